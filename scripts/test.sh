#!/usr/bin/env bash
# The test command of the README (and of CI): installs what is missing,
# builds the release and the sanitize flavours (the latter clang, ASan+UBSan,
# and the libFuzzer targets in the same tree), runs every test in both, then
# runs each libFuzzer target a bounded time under ASan+UBSan (scripts/fuzz.sh;
# FUZZ_SECONDS per target, 10 by default: under 2 minutes).
# Benchmarks are built and smoke-run (tiny sizes), never timed here.
# A skipped test fails the run: a test that skips while its bug is present
# would otherwise show a regression as a green run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

scripts/build.sh release
scripts/build.sh sanitize

# ctest counts a GTEST_SKIP as "Not Run (Skipped)", which passes; refuse it.
run_tests() {
  local dir=$1
  shift
  local junit="$PWD/$dir/ctest-junit.xml"
  rm -f "$junit"
  # Twice the cores: most of the Kafka, HTTP and multi-process tests wait
  # (on a broker, a timeout, a child), so the cores would idle at -j nproc.
  ctest --test-dir "$dir" --output-on-failure -j "$(($(nproc) * 2))" --output-junit "$junit" "$@"
  # notrun: GTEST_SKIP (gtest_discover_tests' SKIP_REGULAR_EXPRESSION) or a
  # missing requirement; disabled: a DISABLED_ test. Neither may pass.
  local not_run
  not_run=$(grep -cE 'status="(notrun|disabled)"' "$junit" || true)
  if [ "$not_run" -ne 0 ] || grep -qs '\[  SKIPPED \]' "$dir/Testing/Temporary/LastTest.log"; then
    echo "test: tests in $dir did not run (skipped or disabled); a test must pass or fail:" >&2
    grep -E 'status="(notrun|disabled)"' "$junit" | grep -o ' name="[^"]*"' >&2 || true
    exit 1
  fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== tests (release)"
run_tests build
echo "== tests (ASan+UBSan)"
# Label heavy (tests/CMakeLists.txt): the generator's statistics over large
# years, the kill-and-restart runs, the 60-seed memory simulation, the
# longest replays and the four longest multi-process Kafka runs (a group
# rebalance, the outbox, a year through Kafka, the input topic); they ran above, and take minutes under ASan for code other
# sanitized tests run on smaller inputs (the sqlite and Kafka simulations, the
# other projector tests).
run_tests build-sanitize -LE 'bench|heavy'

echo "== fuzzing (libFuzzer, ASan+UBSan)"
scripts/fuzz.sh
