#!/usr/bin/env bash
# GET balance over HTTP/1.1 keep-alive with auth, side by side with a bare
# Beast server returning a constant body (DESIGN.md §8): wrk, 64 connections,
# alternating runs, medians of req/s, p50 and p99, and the ratio ours / bare.
# Usage: bench/http/http_bench.sh [runs=3] [seconds=10] [connections=64]
# OLD=path/to/an/older/dimona-ledger adds that build to the alternation (its own copy of the
# data folder), so a change is measured side by side with the build before it.
# Needs a release build (scripts/build.sh release) and wrk (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}; seconds=${2:-10}; connections=${3:-64}
bin=build/api/dimona-ledger
bare=build/bench/bare_server
[ -x "$bin" ] && [ -x "$bare" ] || { echo "http_bench: build first: scripts/build.sh release" >&2; exit 1; }
. bench/http/wrk_lib.sh
need_wrk
dir=$(mktemp -d)
cleanup() { kill "${serve_pid:-}" "${bare_pid:-}" "${old_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

"$bin" ingest tests/data/golden/students.ndjson --data "$dir/data" >/dev/null
[ -n "${OLD:-}" ] && cp -r "$dir/data" "$dir/old-data"  # before serve opens it
"$bin" serve --data "$dir/data" --port 18181 --io-threads 2 >"$dir/serve.log" 2>&1 &
serve_pid=$!
"$bare" 18182 2 &
bare_pid=$!
sides="ours bare"
if [ -n "${OLD:-}" ]; then
  "$OLD" serve --data "$dir/old-data" --port 18183 --io-threads 2 >"$dir/old.log" 2>&1 &
  old_pid=$!
  sides="ours old bare"
fi
sleep 1
token=$("$bin" token --role citizen --ssin 05031412595 --data "$dir/data")
ours_url="http://127.0.0.1:18181/v1/citizens/05031412595/studentBalance?year=2025"
bare_url="http://127.0.0.1:18182/v1/citizens/05031412595/studentBalance?year=2025"
old_url="http://127.0.0.1:18183/v1/citizens/05031412595/studentBalance?year=2025"
curl -sf -H "Authorization: Bearer $token" "$ours_url" >/dev/null || { echo "http_bench: the server does not answer" >&2; exit 1; }

: >"$dir/ours"; : >"$dir/old"; : >"$dir/bare"
for i in $(seq "$runs"); do
  measure "$connections" "$seconds" -H "Authorization: Bearer $token" "$ours_url" >>"$dir/ours"
  [ -n "${OLD:-}" ] && measure "$connections" "$seconds" -H "Authorization: Bearer $token" "$old_url" >>"$dir/old"
  measure "$connections" "$seconds" "$bare_url" >>"$dir/bare"
  line="run $i: ours $(tail -1 "$dir/ours")"
  [ -n "${OLD:-}" ] && line="$line   old $(tail -1 "$dir/old")"
  echo "$line   bare $(tail -1 "$dir/bare")   (req/s p50_ms p99_ms)"
done
for side in $sides; do
  for col in 1 2 3; do eval "${side}_${col}=$(cut -d' ' -f$col "$dir/$side" | median)"; done
done
echo
echo "GET studentBalance, HTTP/1.1 keep-alive, $connections connections, ${seconds}s x $runs runs (medians):"
printf '  ours (JWT ES256 + route + read model)  %10.0f req/s  p50 %6.3f ms  p99 %6.3f ms\n' "$ours_1" "$ours_2" "$ours_3"
[ -n "${OLD:-}" ] && printf '  the OLD build                          %10.0f req/s  p50 %6.3f ms  p99 %6.3f ms\n' "$old_1" "$old_2" "$old_3"
printf '  bare Beast, constant body              %10.0f req/s  p50 %6.3f ms  p99 %6.3f ms\n' "$bare_1" "$bare_2" "$bare_3"
awk -v o="$ours_1" -v b="$bare_1" -v p="$ours_3" 'BEGIN {
  printf "  ratio ours / bare: %.2fx (target >= 0.8x: %s); p99 %s 2 ms (target < 2 ms)\n", o / b, (o / b >= 0.8 ? "met" : "NOT met"), (p < 2 ? "<" : ">=") }'
if [ -n "${OLD:-}" ]; then
  awk -v o="$ours_1" -v p="$old_1" -v b="$bare_1" 'BEGIN { printf "  ours / OLD: %.2fx; OLD / bare: %.2fx\n", o / p, p / b }'
fi
