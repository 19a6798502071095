#!/usr/bin/env bash
# Brings a checkout to "ready to run": dependencies, PostgreSQL, Redis, a secret key, the Prisma
# client, a migrated control database, the demo database and the seed. Idempotent, and quick when
# everything is already done. `--test` prepares the test databases instead (dbmesh_test,
# dbmesh_demo_test) so that tests never touch the ones `npm start` uses.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

MODE=dev
for arg in "$@"; do
  case "$arg" in
    --test) MODE=test ;;
    *) echo "prepare.sh: unknown argument '$arg' (usage: prepare.sh [--test])" >&2; exit 2 ;;
  esac
done

say() { printf '[prepare] %s\n' "$*"; }
die() { printf '[prepare] error: %s\n' "$*" >&2; exit 1; }

if [[ "$MODE" == test ]]; then
  # Deliberately not DATABASE_URL: a developer's shell pointing at their own database must not be
  # seeded and mutated by a test run.
  export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/dbmesh_test}"
  DEMO_DB=dbmesh_demo_test
  # The test login goes beside, not over, the one `npm start` printed.
  export DBMESH_HOME="$ROOT/.dbmesh/test"
else
  export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/dbmesh}"
  DEMO_DB=dbmesh_demo
fi
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

# --- dependencies ------------------------------------------------------------------------------
if [[ ! -d node_modules ]]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
elif [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "package-lock.json changed: npm install"
  npm install --no-audit --no-fund
fi
# PostgreSQL's parser built natively for SQL analysis; quick when built, and never fatal: without it (no
# compiler, not Linux x64) the WASM build of the same parser is used.
npm run -s build:native -w @dbmesh/sql
# The agent's memory-mapped SQL audit spool segments; never fatal either: without them the spool uses write(2).
npm run -s build:native -w @dbmesh/agent

# --- PostgreSQL --------------------------------------------------------------------------------
# Host and port come from DATABASE_URL; we only ever start a server that should be local.
url_no_query="${DATABASE_URL%%\?*}"
hostport="${url_no_query#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
PGHOST_="${hostport%%:*}"; PGPORT_="${hostport##*:}"
[[ "$PGPORT_" == "$hostport" || -z "$PGPORT_" ]] && PGPORT_=5432
SERVER_URL="${url_no_query%/*}"

is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == "[::1]" ]]; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: install it with: apt-get install -y $2"
}
need pg_isready postgresql-client
need psql postgresql-client

if ! pg_isready -q -d "$DATABASE_URL" -t 2; then
  if is_local "$PGHOST_" && command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]] \
    && [[ -n "$(ls /etc/postgresql 2>/dev/null)" ]]; then
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    say "PostgreSQL is not answering on $PGHOST_:$PGPORT_: starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST_" -p "$PGPORT_" -t 1 && break; sleep 1; done
    pg_isready -q -h "$PGHOST_" -p "$PGPORT_" -t 2 || die "PostgreSQL $version/main started but does not answer on $PGHOST_:$PGPORT_"
  elif is_local "$PGHOST_"; then
    die "PostgreSQL is not running on $PGHOST_:$PGPORT_ and is not installed. Install it with:
    apt-get install -y postgresql   # Debian/Ubuntu; allow local trust auth for user postgres
or run: docker compose up -d postgres"
  else
    die "PostgreSQL at $PGHOST_:$PGPORT_ (from DATABASE_URL) does not answer"
  fi
fi

# --- Redis -------------------------------------------------------------------------------------
redis_hostport="${REDIS_URL#*://}"; redis_hostport="${redis_hostport#*@}"; redis_hostport="${redis_hostport%%/*}"
REDIS_HOST="${redis_hostport%%:*}"; REDIS_PORT="${redis_hostport##*:}"
[[ "$REDIS_PORT" == "$redis_hostport" || -z "$REDIS_PORT" ]] && REDIS_PORT=6379
need redis-cli redis-tools

redis_up() { [[ "$(redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]]; }
if ! redis_up; then
  if is_local "$REDIS_HOST" && command -v redis-server >/dev/null 2>&1; then
    say "Redis is not answering on $REDIS_HOST:$REDIS_PORT: starting it"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
    redis_up || die "redis-server started but does not answer on $REDIS_HOST:$REDIS_PORT (see /var/log/redis/ci.log)"
  elif is_local "$REDIS_HOST"; then
    die "Redis is not running on $REDIS_HOST:$REDIS_PORT and is not installed. Install it with:
    apt-get install -y redis-server
or run: docker compose up -d redis"
  else
    die "Redis at $REDIS_HOST:$REDIS_PORT (from REDIS_URL) does not answer"
  fi
fi

# --- secret key --------------------------------------------------------------------------------
mkdir -p .dbmesh
if [[ ! -f .dbmesh/secret.env ]]; then
  if command -v openssl >/dev/null 2>&1; then
    key="$(openssl rand -hex 32)"
  else
    key="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex"))')"
  fi
  (umask 077; printf 'DBMESH_SECRET_KEY=%s\n' "$key" > .dbmesh/secret.env)
  say "generated .dbmesh/secret.env (keep it: it decrypts the endpoint passwords stored in the database)"
fi
chmod 600 .dbmesh/secret.env
if [[ -z "${DBMESH_SECRET_KEY:-}" ]]; then
  set -a
  # shellcheck source=/dev/null
  source .dbmesh/secret.env
  set +a
fi

# --- Prisma client -----------------------------------------------------------------------------
generated=packages/db/src/generated/prisma/client.ts
if [[ ! -f "$generated" || prisma/schema.prisma -nt "$generated" || node_modules/prisma/package.json -nt "$generated" ]]; then
  say "generating the Prisma client"
  npm run --silent db:generate
fi

# --- control database --------------------------------------------------------------------------
say "migrating ${DATABASE_URL/\/\/*@/\/\/***@}"
npm run --silent db:migrate

# --- demo database (what the demo mesh routes to) ----------------------------------------------
# Loaded under a temporary name and renamed when complete, so an interrupted load is redone.
db_exists() { [[ "$(psql "$SERVER_URL/postgres" -tAqc "SELECT 1 FROM pg_database WHERE datname = '$1'")" == 1 ]]; }
if ! db_exists "$DEMO_DB"; then
  say "creating demo database $DEMO_DB"
  loading="${DEMO_DB}__loading"
  PGOPTIONS="-c client_min_messages=warning" psql "$SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $loading WITH (FORCE)" -c "CREATE DATABASE $loading"
  psql "$SERVER_URL/$loading" -q -v ON_ERROR_STOP=1 -1 -f scripts/demo-data.sql >/dev/null
  psql "$SERVER_URL/postgres" -qc "ALTER DATABASE $loading RENAME TO $DEMO_DB"
fi
export DBMESH_DEMO_DATABASE_URL="$SERVER_URL/$DEMO_DB"

# --- seed --------------------------------------------------------------------------------------
seed=packages/api/src/seed/cli.ts
if [[ -f "$seed" ]]; then
  say "seeding the control database"
  npx tsx "$seed"
else
  say "skipping the seed: $seed does not exist yet"
fi
if [[ "$MODE" == test ]]; then
  # Endpoints earlier test runs left, encrypted under another clone's key (see the script).
  npx tsx scripts/heal-test-secrets.ts
fi

say "ready ($MODE): DATABASE_URL=${DATABASE_URL/\/\/*@/\/\/***@} demo=$DEMO_DB"
