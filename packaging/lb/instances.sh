#!/usr/bin/env bash
# Start N `winroom-backend serve` instances on one PostgreSQL and one Redis behind HAProxy,
# on this machine (CONTRACT §7). Ctrl+C stops them all.
#
#   WINROOM_DATABASE_URL=postgresql://... WINROOM_REDIS_URL=redis://127.0.0.1:6379/0 \
#   WINROOM_JWT_SECRET=... packaging/lb/instances.sh 4 8000
#
# Instances listen on PORT+1 .. PORT+N, HAProxy on PORT. Every instance also runs the
# ingest worker: batches take a PostgreSQL advisory lock, so ingestion stays exactly-once
# and goes on while any instance lives.
set -euo pipefail
n="${1:-2}"; port="${2:-8000}"
here="$(cd "$(dirname "$0")" && pwd)"
: "${WINROOM_DATABASE_URL:?set WINROOM_DATABASE_URL to the shared PostgreSQL}"
: "${WINROOM_REDIS_URL:?set WINROOM_REDIS_URL to the shared Redis}"
: "${WINROOM_JWT_SECRET:?set WINROOM_JWT_SECRET (the same on every instance)}"
backend="${WINROOM_BACKEND:-winroom-backend}"
run="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait || true; rm -rf "$run"; }
trap cleanup EXIT INT TERM

"$backend" migrate
servers=""
for i in $(seq 1 "$n"); do
  p=$((port + i))
  WINROOM_DATA_DIR="$run/i$i" "$backend" serve --port "$p" &
  pids+=($!)
  servers+="    server i$i 127.0.0.1:$p check cookie i$i"$'\n'
done
python3 - "$here/haproxy.cfg.in" "$run/haproxy.cfg" "$port" "$servers" <<'PY'
import sys
src, dst, port, servers = sys.argv[1:]
open(dst, "w").write(open(src).read().replace("{{PORT}}", port).replace("{{SERVERS}}", servers.rstrip()))
PY
haproxy -f "$run/haproxy.cfg" -db &
pids+=($!)
echo "Win Room: $n instances behind http://127.0.0.1:$port (Ctrl+C stops them)"
wait -n
