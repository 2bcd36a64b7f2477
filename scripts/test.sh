#!/usr/bin/env bash
# The test command of the README (and of CI): installs what is missing,
# builds the release and the ASan+UBSan flavours, and runs every test in both.
# Benchmarks are built and smoke-run (tiny sizes), never timed here.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

scripts/build.sh release
scripts/build.sh sanitize

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== tests (release)"
ctest --test-dir build --output-on-failure -j "$(nproc)"
echo "== tests (ASan+UBSan)"
ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" -LE bench
