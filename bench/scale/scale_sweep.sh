#!/usr/bin/env bash
# The ledger's speed against its size (issue 13 item 7; docs/benchmarks.md, "Against the
# ledger's size"): for each size, a generated 2025 year of that many students, then
#   ingest   generate | ingest (decode, decide, durable append), events/s;
#   replay   replay --rebuild --threads T of the whole log (its checkpoint written at the end), events/s;
#   restart  serve from that checkpoint: seconds until GET /ready answers 200 (reads served),
#            until it says "writer":"open", and serve's peak RSS;
#   asOf     bench/audit/citizen_as_of.sh, ROLES=citizen: GET studentBalance of a random citizen
#            at a random second of 2025 (one citizen's events folded), req/s, p50 and p99.
# One row per size in OUT/scale.tsv; OUT/scale.png charts it (bench/scale/plot_scale.py). Each
# size's data folder is removed once measured (a 50 M-event folder holds ~20 GB).
# Usage: bench/scale/scale_sweep.sh OUT [students ...]   (default 33000 165000 330000 820000 1640000:
#        about 1, 5, 10, 25 and 50 M events)
# Environment: THREADS (replay threads, default 2), ASOF_SECONDS (default 10), SEED (default 1),
#   BIN (the dimona-ledger to measure, default build/api/dimona-ledger: a copy lets you rebuild meanwhile).
# Needs a release build (scripts/build.sh release), wrk, curl; progress on a terminal only.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: $0 OUT [students ...]}
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(33000 165000 330000 820000 1640000)
threads=${THREADS:-2}; asof_seconds=${ASOF_SECONDS:-10}; seed=${SEED:-1}
bin=$(realpath "${BIN:-build/api/dimona-ledger}")
[ -x "$bin" ] || { echo "scale_sweep: build first: scripts/build.sh release" >&2; exit 1; }
for tool in wrk curl; do command -v $tool >/dev/null || { echo "scale_sweep: $tool is missing" >&2; exit 1; }; done
if [ -t 1 ]; then say() { echo "scale_sweep: $(date -u +%H:%M:%S) $*"; }; else say() { :; }; fi
die() { echo "scale_sweep: $*" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
table=$out/scale.tsv
[ -s "$table" ] || printf 'students\tevents\tingest_s\tingest_eps\treplay_s\treplay_eps\tready_s\twriter_open_s\tserve_rss_mb\tasof_rps\tasof_p50_ms\tasof_p99_ms\tlive_p99_ms\n' >"$table"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

for students in "${sizes[@]}"; do
  data=$out/data-$students
  rm -rf "$data"
  say "$students students: generate | ingest"
  t=$(now)
  "$bin" generate --students "$students" --seed "$seed" --out - |
    "$bin" ingest - --data "$data" --report "$out/refused-$students.ndjson" >"$out/ingest-$students.log" 2>&1
  ingest_s=$(since "$t")
  # Citizens for the asOf sample (any 50 000 of the log's SSINs, read back from its events).
  "$bin" log dump --data "$data" 2>/dev/null | grep -o '"ssin":"[0-9]\{11\}"' | cut -d'"' -f4 | head -n 200000 |
    sort -u | shuf -n 50000 >"$out/ssins-$students.txt" || true

  say "$students students: replay --rebuild --threads $threads"
  t=$(now)
  "$bin" replay --data "$data" --rebuild --threads "$threads" --keep-checkpoints 1 >"$out/replay-$students.log" 2>&1
  replay_s=$(since "$t")
  events=$(grep -o '[0-9]* events' "$out/replay-$students.log" | head -1 | cut -d' ' -f1)
  [ -n "$events" ] || die "no event count in $out/replay-$students.log: $(tail -1 "$out/replay-$students.log")"

  say "$students students: serve from the checkpoint"
  read -r ready_s writer_s rss < <(bench/scale/serve_start.sh "$bin" "$data" "$out/serve-$students.log") ||
    die "serve did not start: $(tail -1 "$out/serve-$students.log")"

  say "$students students: asOf of a random citizen"
  BIN=$bin ROLES=citizen bench/audit/citizen_as_of.sh "$data" "$out/ssins-$students.txt" "$asof_seconds" 2 1 300 \
    >"$out/asof-$students.log" 2>&1 || die "citizen_as_of failed: $(tail -1 "$out/asof-$students.log")"
  past=$(grep "citizen's own, asOf" "$out/asof-$students.log" | awk '{ print $(NF-6), $(NF-5), $(NF-3) }')
  live_p99=$(grep "citizen's own, live" "$out/asof-$students.log" | awk '{ print $(NF-3) }')
  read -r asof_rps asof_p50 asof_p99 <<<"$past"

  ingest_eps=$(awk -v e="$events" -v s="$ingest_s" 'BEGIN { printf "%.0f", e / s }')
  replay_eps=$(awk -v e="$events" -v s="$replay_s" 'BEGIN { printf "%.0f", e / s }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$students" "$events" "$ingest_s" "$ingest_eps" \
    "$replay_s" "$replay_eps" "$ready_s" "$writer_s" "$rss" "$asof_rps" "$asof_p50" "$asof_p99" "$live_p99" >>"$table"
  say "$students students: $(tail -1 "$table")"
  rm -rf "$data"
done
column -t "$table"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 bench/scale/plot_scale.py "$table" "$out/scale.png" && echo "scale_sweep: chart $out/scale.png"
else
  echo "scale_sweep: no chart: python3-matplotlib is missing (apt-get install python3-matplotlib)" >&2
fi
