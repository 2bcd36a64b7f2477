#!/usr/bin/env bash
# What writes cost reads (issue 11 item 2, "One state": the writer holds the readers' lock from a
# group's first decision until it is durable and folded). GET studentBalance with a citizen's
# token over CONNECTIONS connections, first alone, then while 4 connections POST declarations as
# fast as the writer takes them (bench/http/post_declaration.lua); medians of RUNS runs of
# SECONDS each, reads' req/s, p50 and p99, and the writes' rate.
# Usage: bench/http/reads_under_writes.sh [runs=3] [seconds=10] [connections=16]
# OLD=path/to/an/older/dimona-ledger alternates that build's serve (its own copy of the data).
# Needs a release build (scripts/build.sh release) and wrk (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}; seconds=${2:-10}; connections=${3:-16}
bin=build/api/dimona-ledger
[ -x "$bin" ] || { echo "reads_under_writes: build first: scripts/build.sh release" >&2; exit 1; }
. bench/http/wrk_lib.sh
need_wrk
dir=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

"$bin" ingest tests/data/golden/students.ndjson --data "$dir/ours" >/dev/null
sides="ours"
[ -n "${OLD:-}" ] && cp -r "$dir/ours" "$dir/old" && sides="ours old"
port=18191
for side in $sides; do
  b=$bin; [ "$side" = old ] && b=$OLD
  "$b" serve --data "$dir/$side" --port "$port" --io-threads 2 >"$dir/$side.log" 2>&1 &
  pids+=($!)
  eval "${side}_port=$port"
  port=$((port + 1))
done
export TOKEN
for side in $sides; do
  : >"$dir/$side.alone"; : >"$dir/$side.mixed"; : >"$dir/$side.writes"
done
# Each side's tokens, by its own binary for its own folder (its keys); once it answers /ready.
tokens() {
  local b=$bin; [ "$1" = old ] && b=$OLD
  reader=$("$b" token --role citizen --ssin 05031412595 --data "$dir/$1")
  TOKEN=$("$b" token --role declarant --data "$dir/$1")
}
for side in $sides; do
  eval "p=\$${side}_port"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/ready" >/dev/null && break; sleep 0.1; done
done
for i in $(seq "$runs"); do
  for side in $sides; do
    tokens "$side"
    eval "p=\$${side}_port"
    url="http://127.0.0.1:$p/v1/citizens/05031412595/studentBalance?year=2025"
    curl -sf -H "Authorization: Bearer $reader" "$url" >/dev/null || { echo "reads_under_writes: $side does not answer: $(tail -2 "$dir/$side.log")" >&2; exit 1; }
    measure "$connections" "$seconds" -H "Authorization: Bearer $reader" "$url" >>"$dir/$side.alone"
    measure 4 "$((seconds + 2))" -s bench/http/post_declaration.lua "http://127.0.0.1:$p" >"$dir/w" &
    writes=$!
    sleep 1
    measure "$connections" "$seconds" -H "Authorization: Bearer $reader" "$url" >>"$dir/$side.mixed"
    wait "$writes"
    cat "$dir/w" >>"$dir/$side.writes"
    echo "run $i $side: reads alone $(tail -1 "$dir/$side.alone"); with writes $(tail -1 "$dir/$side.mixed"); writes $(cut -d' ' -f1 "$dir/w")/s"
  done
done
echo
echo "GET studentBalance, $connections connections, ${seconds}s x $runs runs (medians; req/s p50_ms p99_ms):"
for side in $sides; do
  row=()
  for f in alone mixed; do
    for col in 1 2 3; do row+=("$(cut -d' ' -f$col "$dir/$side.$f" | median)"); done
  done
  printf '  %-4s reads alone %8.0f %7.3f %7.3f   with writes %8.0f %7.3f %7.3f   writes %6.0f/s\n' "$side" "${row[@]}" \
    "$(cut -d' ' -f1 "$dir/$side.writes" | median)"
done
