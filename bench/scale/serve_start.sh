#!/usr/bin/env bash
# One start of `serve` on a data folder: seconds from launch until GET /ready answers 200 (every
# partition loaded: reads of any kind served), until it says "writer":"open", and serve's peak RSS
# in MB then, printed as "READY_S WRITER_S RSS_MB". Given SSINS (a file of the ledger's citizens'
# SSINs, one per line), it first prints FIRST_S: seconds from launch until a citizen's own read
# (GET /v1/citizens/{ssin}/studentBalance?year=2025 with the citizen's token, a citizen drawn at
# random from the file) answers 200, retried every 20 ms while it answers 503 (its partition still
# loading: docs/operations.md "Serve at once"): "FIRST_S READY_S WRITER_S RSS_MB".
# serve listens on a free port drawn here (PORT to choose it): the script asks from the launch on,
# since serve prints its "serving" line only once loaded or after 2 s (http_limits::
# serve_announce_wait_ms) while it answers from the start.
# serve is stopped (SIGTERM) once measured; its stderr goes to LOG.
# Usage: bench/scale/serve_start.sh BIN DATA LOG [SSINS]
set -euo pipefail
bin=${1:?usage: $0 BIN DATA LOG [SSINS]}; data=${2:?}; log=${3:?}; ssins=${4:-}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null; true; }
trap cleanup EXIT
ssin=; token=; first_s=
if [ -n "$ssins" ]; then
  # A well-formed SSIN (mod 97, born before or after 2000) drawn at random.
  ssin=$(awk 'length($0) == 11 { n = substr($0, 1, 9) + 0; c = substr($0, 10, 2) + 0
              if (c == 97 - n % 97 || c == 97 - (2000000000 + n) % 97) print }' "$ssins" | shuf -n 1)
  [ -n "$ssin" ] || { echo "serve_start: no well-formed SSIN in $ssins" >&2; exit 2; }
  token=$("$bin" token --role citizen --ssin "$ssin" --lifetime 3600 --data "$data")
fi
port=${PORT:-}
while [ -z "$port" ]; do
  port=$(shuf -i 20000-60000 -n 1)
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && port=  # taken
done
t=$(now)
"$bin" serve --data "$data" --address 127.0.0.1 --port "$port" --io-threads 2 >"$log" 2>&1 &
serve_pid=$!
ready_s=; writer_s=
while kill -0 "$serve_pid" 2>/dev/null; do
  {
    if [ -n "$ssin" ] && [ -z "$first_s" ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$port/v1/citizens/$ssin/studentBalance?year=2025" || true)
      case $code in
        200) first_s=$(since "$t") ;;
        503|000) ;;
        *) echo "serve_start: the citizen's read answered $code" >&2; exit 1 ;;
      esac
    fi
    body=$(curl -s --max-time 5 "http://127.0.0.1:$port/ready" || true)
    case $body in *'"status":"UP"'*) [ -n "$ready_s" ] || ready_s=$(since "$t") ;; esac
    case $body in *'"writer":"open"'*) writer_s=$(since "$t"); [ -z "$ssin" ] || [ -n "$first_s" ] && break ;; esac
  }
  sleep 0.02
done
[ -n "$writer_s" ] || { echo "serve_start: serve did not open its writer: $(tail -1 "$log")" >&2; exit 1; }
rss=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$serve_pid/status")
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=
echo ${first_s:+$first_s }"$ready_s $writer_s $rss"
