#!/usr/bin/env bash
# The main job on the embedded default: install what is missing, build, then
# generate a sample year, ingest it into ./dimona-data, inspect the log,
# replay it into the read models, show a few students' balances, issue an
# attestation and look its access code up as an employer.
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
echo "== replay"
"$bin" replay --data dimona-data
# A few students of the file: the workers of its first student INs.
students=$(grep -m 200 '"workerType":"STU"' dimona-data/year-2025.ndjson | grep -o '"ssin":"[0-9]*"' | cut -d'"' -f4 | sort -u | head -3)
for s in $students; do
  echo "== balance $s --year 2025"
  "$bin" balance "$s" --year 2025 --data dimona-data
done
# An attestation for the first of them, then the employer's view through its access code.
first=$(echo "$students" | head -1)
echo "== attest $first"
"$bin" attest "$first" --data dimona-data
code=$("$bin" attest "$first" --json --data dimona-data | grep -o '"accessCode":"[^"]*"' | cut -d'"' -f4)
echo "== access-code $code (what an employer holding it sees)"
"$bin" access-code "$code" --data dimona-data

