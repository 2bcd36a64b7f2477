#!/usr/bin/env bash
# Runs each libFuzzer target of tests/fuzz a bounded time (FUZZ_SECONDS each,
# default 10: under two minutes for the targets) under ASan+UBSan, starting
# from the committed seed corpus (tests/fuzz/corpus/<target>, read only; what
# a run adds goes to a scratch directory). Stops at the first finding: the
# crashing input is left in build-sanitize/findings/ and the run fails.
# Prints each target's last libFuzzer status line (executions, coverage).
# Usage: scripts/fuzz.sh [target...]   (default: all; names without fuzz_)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-10}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(command_decoder event_decoder checkpoint citizen_index log_frames http_request register_csv directory_rows reader_cache_rows)

scripts/build.sh fuzz $(printf 'fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
findings=build-sanitize/findings
mkdir -p "$findings"
# The targets' scratch files (SQLite files, a data folder): on tmpfs when there
# is one, removed here since a crashing target cannot remove its own.
scratch_base=/dev/shm
[ -d "$scratch_base" ] || scratch_base=${TMPDIR:-/tmp}
export DIMONA_FUZZ_SCRATCH
DIMONA_FUZZ_SCRATCH=$(mktemp -d "$scratch_base/dimona-fuzz.XXXXXX")
trap 'rm -rf "$DIMONA_FUZZ_SCRATCH"' EXIT
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  log="build-sanitize/fuzz_$t.log"
  echo "== fuzz $t (${seconds}s)"
  if ! build-sanitize/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/$t-" \
        "$work" "tests/fuzz/corpus/$t" > "$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $t found a failure; the input is in $findings/ (full log $log)" >&2
    rm -rf "$work"
    exit 1
  fi
  grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1
  grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$log" || true
  rm -rf "$work"
done
