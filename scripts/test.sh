#!/usr/bin/env bash
# `npm test`: everything CI checks, in order, failing fast with the failing step named:
# typecheck → lint → unit → integration → e2e. Prepares the test databases first (dbmesh_test,
# dbmesh_demo_test), never the ones `npm start` uses.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

started_all=$SECONDS
say() { printf '[test] %s\n' "$*"; }

step() {
  local name="$1"; shift
  local started=$SECONDS
  printf '\n==== %s ====\n' "$name"
  if "$@"; then
    printf '==== %s: ok in %ss ====\n' "$name" "$((SECONDS - started))"
  else
    local status=$?
    printf '\n==== %s: FAILED (exit %s) after %ss; total %ss ====\n' "$name" "$status" "$((SECONDS - started))" "$((SECONDS - started_all))" >&2
    exit "$status"
  fi
}

ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  local sudo=()
  [[ "$(id -u)" -ne 0 ]] && sudo=(sudo -n)
  say "installing Debian's chromium for the browser tests"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium
}

step "prepare (test databases)" bash scripts/prepare.sh --test

export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/dbmesh_test}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export DBMESH_DEMO_DATABASE_URL="${DATABASE_URL%/*}/dbmesh_demo_test"
if [[ -z "${DBMESH_SECRET_KEY:-}" ]]; then
  set -a
  # shellcheck source=/dev/null
  source .dbmesh/secret.env
  set +a
fi

step "chromium" ensure_chromium
typecheck_all() {
  npx turbo run typecheck --output-logs=errors-only
  # The root project: scripts, benches and configs (no workspace owns them).
  npx tsc --noEmit -p tsconfig.json
}

step "typecheck" typecheck_all
step "lint" npx turbo run lint --output-logs=errors-only
step "unit tests" npm run test:unit
# The unit tests above ran SQL analysis on the native parser; its WASM fallback must give the same answers.
step "unit tests (SQL, WASM parser)" env DBMESH_SQL_PARSER=wasm npx vitest run --project unit packages/sql
step "integration tests" npm run test:int
step "build console" npm run build -w @dbmesh/web
step "e2e tests" npm run test:e2e

printf '\n==== all steps passed in %ss ====\n' "$((SECONDS - started_all))"
