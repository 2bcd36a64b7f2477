#!/usr/bin/env bash
# Auditors' reads and rebuilds (issue 12, item 10; docs/benchmarks.md, "Audit: asOf and rebuilds").
# On a generated year, ingested, then `replay --keep-checkpoints 8` (checkpoints spread over the log):
#  a. GET studentBalance of random citizens of the input over HTTP (wrk, random_balance.lua):
#     live (no asOf: the baseline); asOf one of 3 fixed instants (warm: their past states are kept,
#     api/past_states.h; the first request at each, cold, timed apart with curl); asOf a random
#     second (cold: nearly every request builds a past state), on 1 connection and on 4 (or fewer);
#     the fixed instants again with one cold client beside (a reader of a kept state waits for none).
#  b. `audit rebuild --as-of T` at a random T from the kept checkpoints, beside the same rebuild
#     without checkpoints (a clean replay stopped at T) and a full replay (export, no checkpoint).
#  c. `audit verify` over the kept checkpoints.
# Medians of `runs` runs; instants drawn between the 5th and 95th percentile of the input's
# recordedAt. Progress on a terminal only: piped, the table alone.
# Usage: bench/audit/audit_bench.sh [students=20000] [runs=3] [seconds=10] [connections=16]
# Needs a release build (scripts/build.sh release dimona-ledger), curl and wrk (installed if
# missing); sqlite3, when present, says how many events each rebuild folded from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
students=${1:-20000}; runs=${2:-3}; seconds=${3:-10}; connections=${4:-16}
cold_connections=$(( connections < 4 ? connections : 4 ))  # past states are built one at a time: more only queue
bin=build/api/dimona-ledger
lua=bench/audit/random_balance.lua
[ -x "$bin" ] || { echo "audit_bench: build first: scripts/build.sh release dimona-ledger" >&2; exit 1; }
for n in "$students" "$runs" "$seconds" "$connections"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "audit_bench: usage: $0 [students] [runs] [seconds] [connections] (positive integers)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "audit_bench: curl is missing" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
if [ -t 1 ]; then say() { echo "audit_bench: $*"; }; else say() { :; }; fi
die() { echo "audit_bench: $*" >&2; exit 1; }

dir=$(mktemp -d)
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
data="$dir/data"        # the log and its kept checkpoints
bare="$dir/bare"        # the same log, no checkpoint
input="$dir/year.ndjson"

# --- the input, the log, the checkpoints ---
say "generating $students students"
"$bin" generate --students "$students" --seed 1 -o "$input" >/dev/null 2>"$dir/err" || die "generate: $(tail -1 "$dir/err")"
say "ingesting"
"$bin" ingest "$input" --data "$data" >/dev/null 2>"$dir/err" || die "ingest: $(tail -1 "$dir/err")"
read -r events log_first log_last < <("$bin" log inspect --no-verify --data "$data" |
  awk '/^total:/ { gsub(",", "", $3); print $2, $4, $6 }')
[ -n "${events:-}" ] || die "log inspect gave no total"
mkdir -p "$bare"
cp "$data"/ledger.db* "$data/secret.key" "$bare/"
every=$(( events / 16 > 0 ? events / 16 : 1 ))  # about 16 written, 8 kept (thinned to stay spread)
say "replay: $events events, a checkpoint every $every events, 8 kept"
"$bin" replay --data "$data" --keep-checkpoints 8 --checkpoint-every "$every" >/dev/null 2>"$dir/err" ||
  die "replay: $(tail -1 "$dir/err")"

# Instants: the input's recordedAt is non-decreasing, so its lines' quantiles are the log's.
lines=$(wc -l <"$input")
recorded_at() { sed -n "$(( ($1 * lines + 99) / 100 ))p" "$input" | grep -o '"recordedAt":"[^"]*"' | cut -d'"' -f4; }
epoch() { date -u -d "$1" +%s; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
lo=$(epoch "$(recorded_at 5)"); hi=$(epoch "$(recorded_at 95)")
fixed=("$(recorded_at 25)" "$(recorded_at 50)" "$(recorded_at 75)")
random_instant() { iso "$(shuf -i "$lo-$hi" -n 1)"; }
# Students of the input whose SSIN is well formed (mod 97, born before or after 2000): a bad one is a 400.
grep '"workerType":"STU"' "$input" | grep -o '"worker":{"ssin":"[0-9]*"' | cut -d'"' -f6 | sort -u |
  awk 'length($0) == 11 { n = substr($0, 1, 9) + 0; c = substr($0, 10, 2) + 0
       if (c == 97 - n % 97 || c == 97 - (2000000000 + n) % 97) print }' >"$dir/ssins"
citizens=$(wc -l <"$dir/ssins")
[ "$citizens" -gt 0 ] || die "no student in the input"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }
seconds_of() {  # wall seconds of a command (its output in $dir/out); dies when it fails
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$dir/out" 2>"$dir/err" || die "$* failed: $(tail -1 "$dir/err")"
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}
# Events a rebuild at T folds: the events recorded by T less those of the checkpoint it starts from.
folded_at() {
  local prefix from
  prefix=$("$bin" audit state-hash --data "$data" --as-of "$1" | grep -o '"offsets":\[[0-9,]*\]' | grep -o '[0-9][0-9]*' |
    awk '{ s += $1 } END { print s + 0 }')
  from=$(sqlite3 "file:$data/checkpoint.db?mode=ro" \
    "SELECT coalesce(max(events), 0) FROM checkpoints WHERE ledger_time <= $(epoch "$1")000000" 2>/dev/null) || from=0
  echo $(( prefix - from ))
}

# --- b and c: rebuilds and verify (before serving: a server stopping writes a checkpoint) ---
: >"$dir/rebuild"; : >"$dir/prefix"; : >"$dir/full"; : >"$dir/verify"; : >"$dir/folded"
for i in $(seq "$runs"); do
  at=$(random_instant)
  say "run $i/$runs: audit rebuild --as-of $at, without checkpoints, full replay, audit verify"
  seconds_of "$bin" audit rebuild --data "$data" --as-of "$at" -o /dev/null >>"$dir/rebuild"
  seconds_of "$bin" audit rebuild --data "$bare" --as-of "$at" -o /dev/null >>"$dir/prefix"
  rm -f "$bare"/checkpoint.db*
  seconds_of "$bin" export --data "$bare" -o /dev/null >>"$dir/full"
  rm -f "$bare"/checkpoint.db*
  seconds_of "$bin" audit verify --data "$data" >>"$dir/verify"
  if command -v sqlite3 >/dev/null; then folded_at "$at" >>"$dir/folded"; fi
done
kept=$(grep -c '"verdict":"same"' "$dir/out" || true)  # the last verify's

# --- a: asOf over HTTP ---
"$bin" serve --data "$data" --address 127.0.0.1 --port 0 --io-threads 2 >"$dir/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 300); do
  port=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$dir/serve.log" | cut -d: -f3 || true)
  [ -n "$port" ] && break
  kill -0 "$serve_pid" 2>/dev/null || die "serve stopped: $(tail -1 "$dir/serve.log")"
  sleep 0.1
done
[ -n "${port:-}" ] || die "serve did not start"
base="http://127.0.0.1:$port"
token=$("$bin" token --role auditor --data "$data")
auth="Authorization: Bearer $token"
first_ssin=$(head -1 "$dir/ssins")
curl -sf -o /dev/null -H "$auth" "$base/v1/citizens/$first_ssin/studentBalance?year=2025" || die "the server does not answer"

# wrk -> "req/s p50 p90 p99 max errors requests" (ms); errors: non-2xx answers and socket errors.
measure() {  # connections mode [args...]
  local c=$1 t=$(( $1 < 2 ? 1 : 2 )); shift
  wrk -t"$t" -c"$c" -d"${seconds}s" --timeout 60s -H "$auth" -s "$lua" "$base/" -- "$dir/ssins" "$@" |
    awk '/^RESULT/ { printf "%.1f %s %s %s %s %d %d\n", $2 / $3, $4, $5, $6, $7, $8 + $9, $2 }'
}
first_request_ms() {  # one asOf request, timed by curl
  curl -sf -o /dev/null -w '%{time_total}\n' -H "$auth" "$base/v1/citizens/$first_ssin/studentBalance?year=2025&asOf=$1" |
    awk '{ printf "%.1f\n", $1 * 1000 }'
}
: >"$dir/live"; : >"$dir/warm"; : >"$dir/cold1"; : >"$dir/coldc"; : >"$dir/first"; : >"$dir/mixed"
rss_live=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$serve_pid/status")
for i in $(seq "$runs"); do
  say "run $i/$runs: live"
  measure "$connections" live >>"$dir/live"
  for at in "${fixed[@]}"; do  # never asked before in run 1: cold; later, kept or built again
    if [ "$i" -eq 1 ]; then first_request_ms "$at" >>"$dir/first"; else first_request_ms "$at" >/dev/null; fi
  done
  say "run $i/$runs: asOf at ${fixed[*]}"
  measure "$connections" fixed "${fixed[@]}" >>"$dir/warm"
  say "run $i/$runs: asOf at random seconds, 1 connection"
  measure 1 random "$lo" "$hi" >>"$dir/cold1"
  say "run $i/$runs: asOf at random seconds, $cold_connections connections"
  measure "$cold_connections" random "$lo" "$hi" >>"$dir/coldc"
  for at in "${fixed[@]}"; do first_request_ms "$at" >/dev/null; done
  say "run $i/$runs: asOf at ${fixed[*]}, one client at random seconds beside"
  measure 1 random "$lo" "$hi" >/dev/null &
  measure "$connections" fixed "${fixed[@]}" >>"$dir/mixed"
  wait $!
done
rss_peak=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$serve_pid/status")

# --- the table ---
col() { cut -d' ' -f"$2" "$dir/$1" | median; }
sum() { awk -v c="$2" '{ s += $c } END { print s + 0 }' "$dir/$1"; }
row() {  # label connections file
  printf '  %-50s %5s %9.1f %8.2f %8.2f %8.2f %8.2f %8d %6d\n' "$1" "$2" "$(col "$3" 1)" "$(col "$3" 2)" "$(col "$3" 3)" \
    "$(col "$3" 4)" "$(col "$3" 5)" "$(sum "$3" 7)" "$(sum "$3" 6)"
}
rebuild=$(median <"$dir/rebuild"); prefix=$(median <"$dir/prefix"); full=$(median <"$dir/full")
echo "audit_bench: $students students, $events events ($log_first .. $log_last), $kept checkpoints kept; medians of $runs runs"
echo "GET /v1/citizens/{random of $citizens students}/studentBalance, auditor token, wrk ${seconds}s per run"
printf '  %-50s %5s %9s %8s %8s %8s %8s %8s %6s\n' "" conns "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" requests errors
row "live (no asOf)" "$connections" live
row "asOf, 3 fixed instants (warm: past states kept)" "$connections" warm
row "asOf, a random second (cold: a state built each)" 1 cold1
row "asOf, a random second (cold)" "$cold_connections" coldc
row "asOf, 3 fixed instants, 1 cold client beside" "$connections" mixed
printf '  first request at each fixed instant (cold, curl): median %s ms of %d\n' "$(median <"$dir/first")" "$(wc -l <"$dir/first")"
printf '  serve RSS: %s MB live, %s MB at its peak (the live state and up to %s past states)\n' "$rss_live" "$rss_peak" \
  "$(awk '/as_of_states_cached =/ { gsub(";", ""); print $NF }' engine/base/limits.h)"
echo "Rebuild at a random instant (wall seconds)"
printf '  %-50s %8.3f\n' "audit rebuild --as-of T, from the kept checkpoints" "$rebuild"
printf '  %-50s %8.3f\n' "audit rebuild --as-of T, no checkpoint (a prefix)" "$prefix"
printf '  %-50s %8.3f\n' "full replay (export, no checkpoint)" "$full"
awk -v r="$rebuild" -v p="$prefix" -v f="$full" 'BEGIN {
  printf "  ratio rebuild / full replay %.2fx, rebuild / prefix replay %.2fx\n", r / f, r / p }'
[ -s "$dir/folded" ] && printf '  events a rebuild folded from its checkpoint: median %s (%s)\n' "$(median <"$dir/folded")" \
  "$(tr '\n' ' ' <"$dir/folded" | sed 's/ $//')"
printf 'audit verify over %s kept checkpoints: %.3f s\n' "$kept" "$(median <"$dir/verify")"
