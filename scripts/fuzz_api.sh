#!/usr/bin/env bash
# Fuzz the HTTP API from its own OpenAPI document with Schemathesis, as each kind of caller.
#
#   make fuzz                      (or: scripts/fuzz_api.sh [max-examples, default 100])
#
# A throwaway server on embedded SQLite (port 18555) with 40 simulated sales and one user per
# role; Schemathesis (in its own venv, .fuzz-venv: it is not a dependency of the product)
# runs every check as admin, finance, sales_lead, sales and a TV (the admin and finance API
# of CONTRACT §4a as each role meets it). What to expect (docs/ARCHITECTURE.md, "Bad
# input"): no 500 anywhere; a few "schema-valid request rejected" where
# a rule is not expressible in JSON Schema (one emoji, no NUL character, chat moderation's
# "slow down") or where the fuzzer rounds 2**62 up through a float. Each failing operation is
# listed with the answer it got. FUZZ_PORT picks another port.
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES="${1:-100}"
PORT="${FUZZ_PORT:-18555}"
URL="http://127.0.0.1:$PORT"
PY=.venv/bin/python
B=.venv/bin/winroom-backend
[ -x "$B" ] || { echo "run 'make test' or 'make demo' once first (no .venv)" >&2; exit 1; }
if curl -s -o /dev/null "$URL/healthz"; then
  echo "port $PORT is taken: set FUZZ_PORT to a free one" >&2
  exit 1
fi
[ -x .fuzz-venv/bin/schemathesis ] || {
  $PY -m venv .fuzz-venv
  .fuzz-venv/bin/pip install -q --upgrade pip
  .fuzz-venv/bin/pip install -q 'schemathesis>=4,<5'
}
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# everything in the throwaway dir, whatever .env or the shell say (never a real database)
export WINROOM_DATA_DIR="$WORK" WINROOM_CLAIM_RATE_LIMIT=100000/minute \
  WINROOM_DATABASE_URL="sqlite:///$WORK/winroom.db" \
  WINROOM_CORE_DATABASE_URL="sqlite:///$WORK/core.db" WINROOM_REDIS_URL=""
$B migrate >/dev/null
for role in sales sales_lead finance admin; do
  echo "pw-$role-12345" | $B create-user --email "$role@fuzz.io" --name "Fuzz $role" \
    --role "$role" --password-stdin >/dev/null
done
$B simulate --count 40 --seed 3 >/dev/null
$B serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -sf "$URL/readyz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { echo "the server did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "$URL/readyz" >/dev/null || { echo "the server is not ready" >&2; exit 1; }

token() {
  curl -sf -X POST "$URL/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@fuzz.io\",\"password\":\"pw-$1-12345\"}" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
ADMIN="$(token admin)"
FINANCE="$(token finance)"
LEAD="$(token sales_lead)"
SALES="$(token sales)"
TV="$($B device-token --name 'Fuzz TV' | tail -n1)"
for t in "$ADMIN" "$FINANCE" "$LEAD" "$SALES" "$TV"; do
  [ -n "$t" ] || { echo "could not get a token" >&2; exit 1; }
done
status=0
for who in admin finance sales_lead sales tv; do
  case $who in
    admin) tok=$ADMIN ;; finance) tok=$FINANCE ;; sales_lead) tok=$LEAD ;;
    sales) tok=$SALES ;; tv) tok=$TV ;;
  esac
  echo "== as $who"
  rc=0
  .fuzz-venv/bin/schemathesis run "$URL/openapi.json" --checks all --no-color \
    --max-examples "$EXAMPLES" -H "Authorization: Bearer $tok" >"$WORK/st-$who.log" 2>&1 || rc=$?
  # the failing operations and their answers, then the summary
  grep -E '^_{5,} |^- ST|^\[[0-9]{3}\]|^    `\{"error' "$WORK/st-$who.log" || true
  sed -n '/^Failures:/,/^Seed:/p' "$WORK/st-$who.log"
  if [ "$rc" -gt 1 ]; then  # 1: checks failed (read above); more: Schemathesis itself failed
    echo "schemathesis failed (exit $rc):" >&2
    tail -20 "$WORK/st-$who.log" >&2
    status=1
  fi
done
if grep -q "unexpected error" "$WORK/serve.log"; then
  echo "the server logged unexpected errors (500):" >&2
  grep -A150 "unexpected error" "$WORK/serve.log" | grep -v "^  File .*site-packages" >&2
  status=1
else
  echo "the server logged no unexpected error (no 500)"
fi
exit $status
