#!/usr/bin/env bash
# The main job on the embedded default: install what is missing, build, then
# generate a sample year with its employers' register extract, import the
# employers' names, ingest the year into ./dimona-data, inspect the log,
# replay it into the read models, show a few students' balances and gross
# wages and a student interim worker's relations (employers by name), issue
# an attestation and look its access code up as an employer, then serve the
# REST API and the reference portal (http://127.0.0.1:8080/portal/, docs/portal.md) on
# http://127.0.0.1:8080 with curl commands to try (Ctrl-C stops).
# Usage: scripts/demo.sh [students]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-100000}
scripts/bootstrap.sh
scripts/build.sh release dimona-ledger
bin=build/api/dimona-ledger
mkdir -p dimona-data
echo "== generate --year 2025 --students $students"
"$bin" generate --year 2025 --students "$students" --seed 1 -o dimona-data/year-2025.ndjson --kbo dimona-data/kbo
echo "== employers import: the employers' names (a register extract of the generated employers)"
"$bin" employers import dimona-data/kbo --data dimona-data
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
  echo "== wages $s --year 2025 (gross, per employer and quarter)"
  "$bin" wages "$s" --year 2025 --data dimona-data
done
# A student who works through an interim agency: the agency and the user company by name.
interim=$(grep -m 1 '"jointCommissionNumber":"322","workerType":"STU"' dimona-data/year-2025.ndjson |
          grep -o '"ssin":"[0-9]*"' | cut -d'"' -f4 || true)
if [ -n "$interim" ]; then
  echo "== interim $interim"
  "$bin" interim "$interim" --data dimona-data
fi
# An attestation for the first of them, then the employer's view through its access code.
first=$(echo "$students" | head -1)
echo "== attest $first"
"$bin" attest "$first" --data dimona-data
code=$("$bin" attest "$first" --json --data dimona-data | grep -o '"accessCode":"[^"]*"' | cut -d'"' -f4)
echo "== access-code $code (what an employer holding it sees)"
"$bin" access-code "$code" --data dimona-data


# The main job ends serving the REST API on the embedded default (Ctrl-C or SIGTERM stops it).
cat <<EOF

== the portal: http://127.0.0.1:8080/portal/ (docs/portal.md; development sign-in, loopback only)
   a student:       role "Student or worker", SSIN $first (balances, calendar, attestation, who looked)
   an interim one:  role "Student or worker", SSIN ${interim:-(none in this year)} (relations, filters, PDF)
   an employer:     role "Employer", enterprise number 0403019261, access code $code
   an auditor:      role "Auditor", then the history of $first (the asOf slider)

== serve: http://127.0.0.1:8080 (Ctrl-C stops). In another terminal, from this folder:
B=$bin
STUDENT=\$(\$B token --role citizen --ssin $first --data dimona-data)
curl -s -H "Authorization: Bearer \$STUDENT" -H 'Accept-Language: nl' "http://127.0.0.1:8080/v1/citizens/$first/studentBalance?year=2025"
curl -s -H "Authorization: Bearer \$STUDENT" "http://127.0.0.1:8080/v1/citizens/$first/wages?year=2025"   # gross wages, 2025-Q1..Q4
curl -s -H "Authorization: Bearer \$STUDENT" "http://127.0.0.1:8080/v1/citizens/$first/wages"             # the last four quarters
INTERIM=\$(\$B token --role citizen --ssin $interim --data dimona-data)
curl -s -H "Authorization: Bearer \$INTERIM" -H "Accept: application/pdf" \\
     http://127.0.0.1:8080/v1/citizens/$interim/interimRelations -o interim-relations.pdf   # agencies and user companies by name
curl -s -X POST -H "Authorization: Bearer \$STUDENT" -H "Accept: application/pdf" \\
     http://127.0.0.1:8080/v1/citizens/$first/attestations -o attestation.pdf
EMPLOYER=\$(\$B token --role employer --enterprise-number 0403019261 --data dimona-data)
curl -s -H "Authorization: Bearer \$EMPLOYER" http://127.0.0.1:8080/v1/accessCodes/$code
curl -s -H "Authorization: Bearer \$EMPLOYER" "http://127.0.0.1:8080/v1/citizens/$first/studentBalance"   # refused: 403
AUDITOR=\$(\$B token --role auditor --data dimona-data)
curl -s -H "Authorization: Bearer \$AUDITOR" http://127.0.0.1:8080/v1/citizens/$first/anomalies
EOF
exec "$bin" serve --data dimona-data --port 8080 --portal-sign-in
