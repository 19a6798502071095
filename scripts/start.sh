#!/usr/bin/env bash
# `npm start`: prepares everything (scripts/prepare.sh), builds the console when its sources
# changed, then runs web, worker and agent side by side with prefixed output. Ctrl-C (or SIGTERM)
# stops all three; if any one of them dies, the others are stopped too and this script exits.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

HOST="${DBMESH_WEB_HOST:-127.0.0.1}"
PORT="${DBMESH_WEB_PORT:-3000}"
# The address we poll and print: a wildcard bind is still reached on loopback.
PUBLIC_HOST="$HOST"; [[ "$HOST" == 0.0.0.0 || "$HOST" == "::" ]] && PUBLIC_HOST=127.0.0.1
URL="http://$PUBLIC_HOST:$PORT"

say() { printf '[start] %s\n' "$*"; }

port_taken() { (exec 3<>"/dev/tcp/$PUBLIC_HOST/$PORT") 2>/dev/null; }
if port_taken; then
  if curl -fsS -m 2 "$URL/api/health" >/dev/null 2>&1; then
    say "dbmesh already seems to be running at $URL (port $PORT answers /api/health); not starting a second one."
  else
    say "port $PORT on $PUBLIC_HOST is taken by another program; stop it or set DBMESH_WEB_PORT."
  fi
  exit 1
fi

bash scripts/prepare.sh

export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/dbmesh}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export DBMESH_API_URL="${DBMESH_API_URL:-$URL}"
if [[ -z "${DBMESH_SECRET_KEY:-}" ]]; then
  set -a
  # shellcheck source=/dev/null
  source .dbmesh/secret.env
  set +a
fi

# --- build the console, unless the last build is newer than every source -----------------------
build_id=apps/web/.next/BUILD_ID
stale_source() {
  find apps/web packages prisma package-lock.json \
    \( -name node_modules -o -name .next -o -name .turbo -o -name generated \) -prune -o \
    -type f -newer "$build_id" -print -quit
}
if [[ "${DBMESH_SKIP_BUILD:-}" == 1 ]]; then
  say "DBMESH_SKIP_BUILD=1: using the existing console build as it is"
elif [[ ! -f "$build_id" || -n "$(stale_source)" ]]; then
  say "building the console (apps/web)"
  npm run build -w @dbmesh/web
else
  say "console build is up to date"
fi

# --- run the three processes ----------------------------------------------------------------------
pids=()
names=()
run() {
  local name="$1"; shift
  # Process substitution keeps $! the program's own pid, so signals reach it, not the prefixer.
  # The prefixers ignore Ctrl-C (which reaches the whole terminal group) and end at EOF, so the
  # programs' shutdown logs still get through.
  "$@" > >(trap '' INT TERM; exec sed -u "s/^/[$name] /") 2> >(trap '' INT TERM; exec sed -u "s/^/[$name] /" >&2) &
  pids+=("$!")
  names+=("$name")
}

stop_all() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give them time to finish active work (the worker waits for running jobs).
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
on_signal() {
  say "stopping web, worker and agent"
  stop_all
  exit 130
}
trap on_signal INT TERM

# The console's own server (apps/web/server.ts): Next for pages and tRPC, node:http for the agent protocol.
run web bash -c "cd apps/web && DBMESH_WEB_HOST='$HOST' DBMESH_WEB_PORT='$PORT' exec ../../node_modules/.bin/tsx server.ts"
run worker node_modules/.bin/tsx apps/worker/src/main.ts
# The local agent: its token comes from the seed (.dbmesh/agent.env); it serves the demo on 6432.
if [[ -f .dbmesh/agent.env ]]; then
  set -a
  # shellcheck source=/dev/null
  source .dbmesh/agent.env
  set +a
fi
export DBMESH_AGENT_STATE_DIR="${DBMESH_AGENT_STATE_DIR:-$PWD/.dbmesh/agent}"
run agent node_modules/.bin/tsx apps/agent/src/main.ts

# --- wait until the console answers, then say how to log in --------------------------------------
ready=0
for _ in $(seq 1 120); do
  if curl -fsS -m 2 "$URL/api/health" >/dev/null 2>&1; then ready=1; break; fi
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      say "${names[$i]} exited during startup; stopping the others"
      stop_all
      exit 1
    fi
  done
  sleep 0.5
done
if (( ready )); then
  echo
  say "dbmesh is up: $URL"
  if [[ -f .dbmesh/demo.env ]]; then
    say "demo login (from .dbmesh/demo.env):"
    sed -n 's/^DBMESH_ADMIN_\(EMAIL\|PASSWORD\)=/  \L\1\E: /p' .dbmesh/demo.env
    say "applications connect through the agent (psql \"\$DBMESH_DEMO_DSN\" after: source .dbmesh/demo.env):"
    sed -n 's/^DBMESH_DEMO_DSN=/  /p' .dbmesh/demo.env
  else
    say "no .dbmesh/demo.env yet: the seed did not run"
  fi
  say "press Ctrl-C to stop"
  echo
else
  say "warning: $URL/api/health did not answer within 60 s; the processes keep running"
fi

# --- exit as soon as any of them dies ----------------------------------------------------------------
set +e
wait -n "${pids[@]}"
status=$?
set -e
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then say "${names[$i]} exited (status $status); stopping the others"; fi
done
stop_all
# Even a clean exit of one service is unexpected here: report failure.
(( status == 0 )) && status=1
exit "$status"
