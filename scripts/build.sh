#!/usr/bin/env bash
# Configures and builds one flavour: release (default), or sanitize: clang,
# ASan+UBSan and libFuzzer coverage in every library, which serves both the
# sanitized test run and the fuzz targets of tests/fuzz (one tree, one compile:
# `fuzz` builds only those targets in it, unless targets are named).
# Usage: scripts/build.sh [release|sanitize|fuzz] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
# Sanitize: -O1 and line tables only (symbolized stacks): under clang, the
# sanitized tests run faster than at -O0 and the tree compiles a fifth faster than
# at -O2 -g. DIMONA_ASSERT stays on, and so does assert() (no NDEBUG, unlike
# RelWithDebInfo): Boost's and the libraries' own checks run too. The coverage
# instrumentation (-fsanitize=fuzzer-no-link) costs the tests little and spares
# CI a third compile of the tree.
sanitize_flags=(-DCMAKE_BUILD_TYPE=Sanitize "-DCMAKE_CXX_FLAGS_SANITIZE=-O1 -gline-tables-only"
                -DDIMONA_SANITIZE=ON -DDIMONA_FUZZ=ON -DDIMONA_BUILD_BENCH=OFF
                -DCMAKE_CXX_COMPILER=clang++)
case "$flavour" in
  release)  dir=build;          flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) dir=build-sanitize; flags=("${sanitize_flags[@]}") ;;
  fuzz)     dir=build-sanitize; flags=("${sanitize_flags[@]}")
            [ $# -eq 0 ] && set -- fuzzers ;;
  *) echo "build: unknown flavour $flavour (release|sanitize|fuzz)" >&2; exit 2 ;;
esac
# A tree configured by an earlier layout (gcc's sanitize flavour) cannot switch
# compilers in place: start it afresh.
if [ "$dir" = build-sanitize ] && [ -f "$dir/CMakeCache.txt" ] &&
   ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++$' "$dir/CMakeCache.txt"; then
  rm -rf "$dir"
fi
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" ${1:+--target "$@"}
