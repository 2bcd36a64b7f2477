#!/usr/bin/env bash
# One citizen's past over HTTP on a ledger that already exists, at any size (issue 12, item 4;
# docs/benchmarks.md, "One citizen's past, smaller batches, and 50 M events").
# GET /v1/citizens/{random citizen}/studentBalance?year=2025 with wrk (random_balance.lua):
#   live (no asOf), then asOf a random second between FROM and TO (each read folds that citizen's
#   events alone: Projector::of_citizen), each with
#   - an auditor's token: every read is recorded in the ledger before it is answered (who looked),
#     so its latency includes a durable commit;
#   - the citizen's own token (one minted per citizen of the sample): not recorded.
# Medians of `runs` runs of `seconds` each. Progress on a terminal only.
# Usage: bench/audit/citizen_as_of.sh DATA SSINS [seconds=10] [connections=16] [runs=3] [sample=500]
#   DATA: a data folder whose ledger was ingested and replayed (its checkpoint.db: serve starts from it);
#   SSINS: a file of its citizens' SSINs, one per line (e.g. grep -o '"ssin":"[0-9]*"' of the input);
#   FROM, TO (environment, epoch seconds): the instants drawn (default: 2025-01-15 .. 2025-12-15);
#   LOG (environment): the log's URI when it is not DATA's embedded one (kafka://HOST:PORT/TOPIC);
#   SERVE_ARGS (environment): more arguments for serve (e.g. --no-reader-cache);
#   ROLES (environment): "auditor citizen" (default) or one of them. Every auditor read records a
#     dataConsultation event in the citizen's history, so the citizen rows after auditor rows read
#     longer histories: ROLES=citizen on a fresh copy measures the ledger as ingested.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:?usage: $0 DATA SSINS [seconds] [connections] [runs] [sample]}
ssins=${2:?usage: $0 DATA SSINS [seconds] [connections] [runs] [sample]}
seconds=${3:-10}; connections=${4:-16}; runs=${5:-3}; sample=${6:-500}
roles=${ROLES:-auditor citizen}
case " $roles " in *" auditor "*|*" citizen "*) ;; *) echo "citizen_as_of: ROLES is auditor, citizen or both" >&2; exit 2 ;; esac
runs_role() { case " $roles " in *" $1 "*) return 0 ;; esac; return 1; }
from=${FROM:-$(date -u -d 2025-01-15 +%s)}; to=${TO:-$(date -u -d 2025-12-15 +%s)}
bin=${BIN:-build/api/dimona-ledger}
lua=bench/audit/random_balance.lua
[ -x "$bin" ] || { echo "citizen_as_of: build first: scripts/build.sh release dimona-ledger" >&2; exit 1; }
[ -d "$data" ] && [ -r "$ssins" ] || { echo "citizen_as_of: no data folder $data or no SSIN file $ssins" >&2; exit 2; }
command -v wrk >/dev/null || { echo "citizen_as_of: wrk is missing (apt-get install wrk)" >&2; exit 1; }
if [ -t 1 ]; then say() { echo "citizen_as_of: $*"; }; else say() { :; }; fi
die() { echo "citizen_as_of: $*" >&2; exit 1; }

dir=$(mktemp -d)
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

# Well-formed SSINs only (mod 97, born before or after 2000), a random sample of them.
awk 'length($0) == 11 { n = substr($0, 1, 9) + 0; c = substr($0, 10, 2) + 0
     if (c == 97 - n % 97 || c == 97 - (2000000000 + n) % 97) print }' "$ssins" | sort -u | shuf -n "$sample" >"$dir/ssins"
[ -s "$dir/ssins" ] || die "no well-formed SSIN in $ssins"
say "minting $(wc -l <"$dir/ssins") citizens' tokens"
while read -r s; do
  echo "$s $("$bin" token --role citizen --ssin "$s" --lifetime 86400 --data "$data")"
done <"$dir/ssins" >"$dir/own"
token=$("$bin" token --role auditor --lifetime 86400 --data "$data")

say "serve (from the checkpoint)"
t0=$(date +%s%N)
# shellcheck disable=SC2086 # SERVE_ARGS: words
"$bin" serve --data "$data" ${LOG:+--log "$LOG"} --address 127.0.0.1 --port 0 --io-threads 2 ${SERVE_ARGS:-} >"$dir/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 6000); do
  port=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$dir/serve.log" | cut -d: -f3 || true)
  [ -n "$port" ] && break
  kill -0 "$serve_pid" 2>/dev/null || die "serve stopped: $(tail -1 "$dir/serve.log")"
  sleep 0.1
done
[ -n "${port:-}" ] || die "serve did not start"
base="http://127.0.0.1:$port"
# serve answers before its partitions are loaded ("Serve at once"): the figures are a loaded server's.
for _ in $(seq 12000); do
  curl -s "$base/ready" | grep -q '"status":"UP"' && break
  kill -0 "$serve_pid" 2>/dev/null || die "serve stopped: $(tail -1 "$dir/serve.log")"
  sleep 0.1
done
curl -s "$base/ready" | grep -q '"status":"UP"' || die "serve was not ready within 20 minutes"
ready_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
# On Kafka, serve's reader cache copies the log in the background (docs/kafka.md "The reader
# cache"): measured once its count of copied records holds still for a second.
copied() { curl -s "$base/metrics" | awk '/^dimona_reader_cache_records_copied_total/ { print $2 }'; }
if [ -n "$(copied)" ]; then
  say "waiting for the reader cache's copy"
  last=-1
  for _ in $(seq 1200); do
    now=$(copied); [ "$now" = "$last" ] && break
    last=$now; sleep 1
  done
fi

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }
measure() {  # file-of-ssins mode [args...] -> "req/s p50 p90 p99 max errors requests"
  local list=$1; shift
  wrk -t2 -c"$connections" -d"${seconds}s" --timeout 60s -H "Authorization: Bearer $token" -s "$lua" "$base/" -- "$list" "$@" |
    awk '/^RESULT/ { printf "%.1f %s %s %s %s %d %d\n", $2 / $3, $4, $5, $6, $7, $8 + $9, $2 }'
}
for f in live_a past_a live_c past_c; do : >"$dir/$f"; done
for i in $(seq "$runs"); do
  say "run $i/$runs"
  if runs_role auditor; then
    measure "$dir/ssins" live >>"$dir/live_a"
    measure "$dir/ssins" random "$from" "$to" >>"$dir/past_a"
  fi
  if runs_role citizen; then
    measure "$dir/own" live >>"$dir/live_c"
    measure "$dir/own" random "$from" "$to" >>"$dir/past_c"
  fi
done
rss=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$serve_pid/status")
events=$(curl -sf "$base/metrics" | awk '/^dimona_events_folded_total/ { print $2 }' || true)
cache=$(curl -sf "$base/metrics" | awk -F'[ "]' '/^dimona_reader_cache_reads_total/ { printf "%s%s %s", sep, $2, $4; sep = ", " }' || true)

col() { cut -d' ' -f"$2" "$dir/$1" | median; }
sum() { awk -v c="$2" '{ s += $c } END { print s + 0 }' "$dir/$1"; }
row() {
  [ -s "$dir/$2" ] || return 0
  printf '  %-58s %9.1f %8.2f %8.2f %8.2f %8.2f %8d %6d\n' "$1" "$(col "$2" 1)" "$(col "$2" 2)" "$(col "$2" 3)" \
    "$(col "$2" 4)" "$(col "$2" 5)" "$(sum "$2" 7)" "$(sum "$2" 6)"
}
echo "citizen_as_of: $data, ready (every partition loaded) after ${ready_s} s, peak RSS $rss MB, ${events:-?} events folded at the end"
[ -z "$cache" ] || echo "reads by offset answered by the reader cache's copy or by the log: $cache"
echo "GET studentBalance?year=2025 of a random one of $(wc -l <"$dir/ssins") citizens, $connections connections, wrk ${seconds}s, medians of $runs runs"
printf '  %-58s %9s %8s %8s %8s %8s %8s %6s\n' "" "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" requests errors
row "auditor, live (each read recorded: who looked)" live_a
row "auditor, asOf a random second (recorded too)" past_a
row "the citizen's own, live" live_c
row "the citizen's own, asOf a random second" past_c
