#!/usr/bin/env bash
# The main job on the embedded default: install what is missing, build, then
# generate a sample year, ingest it into ./dimona-data and inspect the log.
# Usage: scripts/demo.sh [students]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-100000}
scripts/bootstrap.sh
scripts/build.sh release dimona-ledger
bin=build/api/dimona-ledger
mkdir -p dimona-data
echo "== generate --year 2025 --students $students"
"$bin" generate --year 2025 --students "$students" --seed 1 -o dimona-data/year-2025.ndjson
echo "== ingest"
"$bin" ingest dimona-data/year-2025.ndjson --data dimona-data
echo "== log inspect"
"$bin" log inspect --data dimona-data
