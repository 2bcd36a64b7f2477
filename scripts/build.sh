#!/usr/bin/env bash
# Configures and builds one flavour: release (default) or sanitize (ASan+UBSan).
# Usage: scripts/build.sh [release|sanitize] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
case "$flavour" in
  release)  dir=build;          flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) dir=build-sanitize; flags=(-DCMAKE_BUILD_TYPE=Debug -DDIMONA_SANITIZE=ON -DDIMONA_BUILD_BENCH=OFF) ;;
  *) echo "build: unknown flavour $flavour (release|sanitize)" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" ${1:+--target "$@"}
