#!/usr/bin/env bash
# Fuzz the HTTP API from its own OpenAPI document with Schemathesis, as each kind of caller.
#
#   make fuzz                      (or: scripts/fuzz_api.sh [max-examples, default 100])
#
# A throwaway server on embedded SQLite (port 18555) with 40 simulated sales and one user per
# role; Schemathesis (in its own venv, .fuzz-venv: it is not a dependency of the product)
# runs every check as admin, sales and a TV. What to expect (docs/ARCHITECTURE.md, "Bad
# input"): no 500 anywhere; "Server error" only for the nine /api/admin/* endpoints of a
# later batch, which answer 501 by CONTRACT §4; a few "schema-valid request rejected" where
# a rule is not expressible in JSON Schema (one emoji, no NUL character) or where the fuzzer
# rounds 2**62 up through a float.
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES="${1:-100}"
PORT=18555
URL="http://127.0.0.1:$PORT"
B=.venv/bin/winroom-backend
[ -x "$B" ] || { echo "run 'make test' or 'make demo' once first (no .venv)" >&2; exit 1; }
[ -x .fuzz-venv/bin/schemathesis ] || {
  python3.11 -m venv .fuzz-venv
  .fuzz-venv/bin/pip install -q --upgrade pip
  .fuzz-venv/bin/pip install -q 'schemathesis>=4,<5'
}
WORK="$(mktemp -d)"
export WINROOM_DATA_DIR="$WORK" WINROOM_CLAIM_RATE_LIMIT=100000/minute
$B migrate >/dev/null
for role in sales sales_lead finance admin; do
  echo "pw-$role-12345" | $B create-user --email "$role@fuzz.io" --name "Fuzz $role" \
    --role "$role" --password-stdin >/dev/null
done
$B simulate --count 40 --seed 3 >/dev/null
$B serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 50); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.2; done

token() {
  curl -sf -X POST "$URL/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@fuzz.io\",\"password\":\"pw-$1-12345\"}" |
    .fuzz-venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
declare -A TOKENS=(
  [admin]="$(token admin)"
  [sales]="$(token sales)"
  [tv]="$($B device-token --name 'Fuzz TV' | tail -n1)"
)
status=0
for who in admin sales tv; do
  echo "== as $who"
  .fuzz-venv/bin/schemathesis run "$URL/openapi.json" --checks all --no-color \
    --max-examples "$EXAMPLES" -H "Authorization: Bearer ${TOKENS[$who]}" |
    sed -n '/^Failures:/,/^Seed:/p' || true
done
if grep -q "unexpected error" "$WORK/serve.log"; then
  echo "the server logged unexpected errors (500):" >&2
  grep -A30 "unexpected error" "$WORK/serve.log" >&2
  status=1
else
  echo "the server logged no unexpected error (no 500)"
fi
exit $status
