#!/usr/bin/env bash
# Configures and builds one flavour: release (default), sanitize (ASan+UBSan)
# or fuzz (clang, ASan+UBSan and libFuzzer coverage; builds the fuzz targets
# of tests/fuzz unless targets are named).
# Usage: scripts/build.sh [release|sanitize|fuzz] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
case "$flavour" in
  release)  dir=build;          flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) dir=build-sanitize; flags=(-DCMAKE_BUILD_TYPE=Debug -DDIMONA_SANITIZE=ON -DDIMONA_BUILD_BENCH=OFF) ;;
  # Fuzz: -O1 and line tables only (symbolized stacks), a fifth less to
  # compile than -O2 -g for the same findings; DIMONA_ASSERT stays on, and so does
  # assert() (no NDEBUG, unlike RelWithDebInfo): Boost's and the libraries' own checks run too.
  fuzz)     dir=build-fuzz;     flags=(-DCMAKE_BUILD_TYPE=Fuzz "-DCMAKE_CXX_FLAGS_FUZZ=-O1 -gline-tables-only"
                                       -DDIMONA_SANITIZE=ON -DDIMONA_FUZZ=ON
                                       -DDIMONA_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++)
            [ $# -eq 0 ] && set -- fuzzers ;;
  *) echo "build: unknown flavour $flavour (release|sanitize|fuzz)" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" ${1:+--target "$@"}
