#!/usr/bin/env bash
# One start of `serve` on a data folder: seconds until GET /ready answers 200 (reads served), until
# it says "writer":"open", and serve's peak RSS in MB then, printed as "READY_S WRITER_S RSS_MB".
# serve is stopped (SIGTERM) once measured; its stderr goes to LOG.
# Usage: bench/scale/serve_start.sh BIN DATA LOG
set -euo pipefail
bin=${1:?usage: $0 BIN DATA LOG}; data=${2:?}; log=${3:?}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null; true; }
trap cleanup EXIT
t=$(now)
"$bin" serve --data "$data" --address 127.0.0.1 --port 0 --io-threads 2 >"$log" 2>&1 &
serve_pid=$!
ready_s=; writer_s=; port=
while kill -0 "$serve_pid" 2>/dev/null; do
  [ -n "$port" ] || port=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$log" | cut -d: -f3 || true)
  if [ -n "$port" ]; then
    body=$(curl -s --max-time 5 "http://127.0.0.1:$port/ready" || true)
    case $body in *'"status":"UP"'*) [ -n "$ready_s" ] || ready_s=$(since "$t") ;; esac
    case $body in *'"writer":"open"'*) writer_s=$(since "$t"); break ;; esac
  fi
  sleep 0.02
done
[ -n "$writer_s" ] || { echo "serve_start: serve did not open its writer: $(tail -1 "$log")" >&2; exit 1; }
rss=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$serve_pid/status")
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=
echo "$ready_s $writer_s $rss"
