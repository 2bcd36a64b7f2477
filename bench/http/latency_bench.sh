#!/usr/bin/env bash
# GET balance latency at a fixed request rate, below saturation, side by side with the bare
# Beast server (issue 13 item 6: p99 < 2 ms at 64 connections). wrk (http_bench.sh) keeps every
# connection busy, so its p99 is the queue at full load; here `hey` paces 64 connections to a
# total rate and reports the latency distribution at that rate. Alternating runs, medians.
# Usage: bench/http/latency_bench.sh [runs=3] [seconds=8] [rate=20000] [connections=64]
# Needs a release build (scripts/build.sh release) and hey (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}; seconds=${2:-8}; rate=${3:-20000}; connections=${4:-64}
bin=build/api/dimona-ledger
bare=build/bench/bare_server
[ -x "$bin" ] && [ -x "$bare" ] || { echo "latency_bench: build first: scripts/build.sh release" >&2; exit 1; }
if ! command -v hey >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq hey >/dev/null; else sudo apt-get install -y -qq hey >/dev/null; fi
fi
. bench/http/wrk_lib.sh  # median
dir=$(mktemp -d)
cleanup() { kill "${serve_pid:-}" "${bare_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

"$bin" ingest tests/data/golden/students.ndjson --data "$dir/data" >/dev/null
"$bin" serve --data "$dir/data" --port 18185 --io-threads 2 >"$dir/serve.log" 2>&1 &
serve_pid=$!
"$bare" 18186 2 &
bare_pid=$!
sleep 1
token=$("$bin" token --role citizen --ssin 05031412595 --data "$dir/data" 2>/dev/null)
path="/v1/citizens/05031412595/studentBalance?year=2025"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:18185$path" >/dev/null ||
  { echo "latency_bench: the server does not answer" >&2; exit 1; }

# One run: "req/s p50_ms p90_ms p99_ms" from hey's summary (its latencies are in seconds).
run() {
  hey -z "${seconds}s" -c "$connections" -q "$(awk -v r="$rate" -v c="$connections" 'BEGIN { printf "%.3f", r / c }')" \
    "$@" | awk '
      /Requests\/sec:/ { rps = $2 }
      /^ +50%/ { p50 = $3 * 1000 } /^ +90%/ { p90 = $3 * 1000 } /^ +99%/ { p99 = $3 * 1000 }
      END { printf "%.0f %.3f %.3f %.3f\n", rps, p50, p90, p99 }'
}
: >"$dir/ours"; : >"$dir/bare"
for i in $(seq "$runs"); do
  run -H "Authorization: Bearer $token" "http://127.0.0.1:18185$path" >>"$dir/ours"
  run "http://127.0.0.1:18186$path" >>"$dir/bare"
  echo "run $i: ours $(tail -1 "$dir/ours")   bare $(tail -1 "$dir/bare")   (req/s p50 p90 p99, ms)"
done
echo
echo "GET studentBalance at $rate req/s over $connections connections, ${seconds}s x $runs runs (medians, ms):"
for side in ours bare; do
  printf '  %-5s %8.0f req/s  p50 %6.3f  p90 %6.3f  p99 %6.3f\n' "$side" \
    "$(cut -d' ' -f1 "$dir/$side" | median)" "$(cut -d' ' -f2 "$dir/$side" | median)" \
    "$(cut -d' ' -f3 "$dir/$side" | median)" "$(cut -d' ' -f4 "$dir/$side" | median)"
done
p99=$(cut -d' ' -f4 "$dir/ours" | median)
awk -v p="$p99" 'BEGIN { printf "  ours p99 %s 2 ms (target < 2 ms: %s)\n", (p < 2 ? "<" : ">="), (p < 2 ? "met" : "NOT met") }'
