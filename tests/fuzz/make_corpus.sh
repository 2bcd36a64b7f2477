#!/usr/bin/env bash
# Regenerates the seed corpus of tests/fuzz/corpus/ from real data: the lines
# of tests/data and the action examples of docs/actions.md (commands), the
# event lines `dimona-ledger submit` logged for them (events), batches of
# those lines (batch reader), the checkpoint `dimona-ledger replay` wrote
# (checkpoint), and a few requests of docs/api.md's kinds (http). Inputs
# named regression-* are findings kept after their fix, and directory_rows/
# and reader_cache_rows/ hold hand-written seeds (the row grammars of
# engine/directory.cc and engine/log/reader_cache_rows.h): none is remade.
# Usage: tests/fuzz/make_corpus.sh [path/to/dimona-ledger]   (default build/api/dimona-ledger)
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=${1:-build/api/dimona-ledger}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=tests/fuzz/corpus
# regression-* inputs (what a finding was, kept after its fix) stay.
[ -d "$out" ] && find "$out" -type f ! -name 'regression-*' ! -path "$out/directory_rows/*" ! -path "$out/reader_cache_rows/*" -delete
mkdir -p "$out"/{command_decoder,event_decoder,log_frames,checkpoint,citizen_index,http_request,register_csv}

grep -h '^{"' tests/data/one_per_rule.ndjson > "$tmp/commands"
sed -n '/^{"/p' docs/actions.md | grep -v '…' >> "$tmp/commands"
head -n 8 tests/data/golden/students.ndjson >> "$tmp/commands"
i=0
while IFS= read -r line; do
  i=$((i + 1))
  printf '%s' "$line" > "$out/command_decoder/line-$i.json"
  "$cli" submit --data "$tmp/data" --partitions 1 "$line" > "$tmp/event-$i" 2>/dev/null || true
  [ -s "$tmp/event-$i" ] && head -c -1 "$tmp/event-$i" > "$out/event_decoder/event-$i.json"
done < "$tmp/commands"
# Several lines in one input reach the rules that depend on earlier periods.
head -n 6 tests/data/one_per_rule.ndjson > "$out/command_decoder/sequence-1.ndjson"

"$cli" replay --data "$tmp/data" > /dev/null
python3 - "$tmp/data/checkpoint.db" "$out" "$tmp" <<'PY'
import glob, sqlite3, struct, sys
db, out, tmp = sys.argv[1:4]
state = sqlite3.connect(db).execute("SELECT state FROM partition_states LIMIT 1").fetchone()[0]
# as stored (flag 1), and the LedgerState and the anomaly log's section without their CRCs,
# which the target appends (flag 0)
open(f"{out}/checkpoint/partition-0-stored.bin", "wb").write(b"\x01" + state)
ledger_length = struct.unpack_from("<Q", state)[0]
ledger = state[8:8 + ledger_length - 4]
at, sections = 8 + ledger_length + 4, {}
for _ in range(struct.unpack_from("<I", state, 8 + ledger_length)[0]):
    name = state[at + 1:at + 1 + state[at]].decode()
    at += 1 + state[at] + 4
    size = struct.unpack_from("<Q", state, at)[0]
    sections[name] = state[at + 8:at + 8 + size]
    at += 8 + size
anomalies = sections["anomalies"][:-4]
citizens = sections["citizens"]
open(f"{out}/checkpoint/partition-0.bin", "wb").write(b"\x00" + struct.pack("<I", len(ledger)) + ledger + anomalies)
# the citizen index as stored (flag 1), and without its CRC, which the target appends (flag 0)
open(f"{out}/citizen_index/partition-0-stored.bin", "wb").write(b"\x01" + citizens)
open(f"{out}/citizen_index/partition-0.bin", "wb").write(b"\x00" + citizens[:-4])
lines = [open(f, "rb").read() for f in sorted(glob.glob(f"{tmp}/event-*")) if open(f, "rb").read()]
PY

# A partition with a consultation log section (who looked): the log of tests/data/checkpoint_v5
# replayed by this build (its version 5 checkpoint is set aside, the log folded again and saved).
cp tests/data/checkpoint_v5/ledger.db tests/data/checkpoint_v5/checkpoint.db "$tmp/" && mkdir "$tmp/v5" &&
  mv "$tmp/ledger.db" "$tmp/checkpoint.db" "$tmp/v5/"
"$cli" replay --data "$tmp/v5" > /dev/null
python3 - "$tmp/v5/checkpoint.db" "$out" <<'PY'
import sqlite3, struct, sys
db, out = sys.argv[1:3]
for (state,) in sqlite3.connect(db).execute(
        "SELECT state FROM partition_states WHERE sequence = (SELECT MAX(sequence) FROM partition_states) ORDER BY partition"):
    at = 8 + struct.unpack_from("<Q", state)[0]
    count, at = struct.unpack_from("<I", state, at)[0], at + 4
    for _ in range(count):
        name = state[at + 1:at + 1 + state[at]].decode()
        at += 1 + state[at] + 4
        size = struct.unpack_from("<Q", state, at)[0]
        if name == "consultations" and struct.unpack_from("<I", state, at + 8 + 4)[0] > 0:
            open(f"{out}/checkpoint/partition-consultations-stored.bin", "wb").write(b"\x01" + state)
            sys.exit(0)
        at += 8 + size
sys.exit("no partition with consultations")
PY

# The embedded log's frames (docs/log-format.md) of those event lines: one record,
# several raw, several through LZ4, and a header with its instants given.
python3 - "$out" <<'PY'
import glob, json, struct, sys
out = sys.argv[1]
events = [open(f, "rb").read() for f in sorted(glob.glob(f"{out}/event_decoder/event-*.json"))]
def text(b): return struct.pack("<I", len(b)) + b
def frame(i, line, at):
    e = json.loads(line)
    return (struct.pack("<qI", at, e.get("schemaVersion", 1)) + text(e["eventId"].encode()) + text(e.get("ssin", "").encode())
            + text(e["type"].encode()) + text(b"file:c0ffee:%d" % (i + 1) if i % 2 else b"") + text(line))
at = 1_750_000_000_000_000
frames = [frame(i, line, at + i * 1000) for i, line in enumerate(events[:12])]
def seed(name, flags, records, extra=b""):
    open(f"{out}/log_frames/{name}", "wb").write(struct.pack("<BHI", flags, len(records), 7) + extra + b"".join(records))
seed("one.bin", 0x00, frames[:1])
seed("twelve.bin", 0x00, frames)
seed("twelve-lz4.bin", 0x08, frames)
seed("twelve-blocks.bin", 0x28, frames)  # ~7 KiB of frames: two 4 KiB blocks (codec 2)
seed("twelve-blocks-changed.bin", 0x68, frames)  # and a stored byte changed under a right CRC
seed("instants.bin", 0x24, frames[:4], struct.pack("<qq", at, at + 3000))
PY

ssin=05031412595
emp=0403019261
n=0
http() {  # role method target body
  n=$((n + 1))
  { printf "\\x$(printf %02x "$1")"; printf '%s\n%s\n\n%s' "$2" "$3" "$4"; } > "$out/http_request/request-$n"
}
http 0 GET "/v1/citizens/$ssin/studentBalance" ""
http 0 GET "/v1/citizens/$ssin/calendar?year=2025" ""
http 5 GET "/v1/citizens/$ssin/anomalies?page=2&pageSize=10" ""
http 3 POST /v1/declarations "$(sed -n 1p tests/data/one_per_rule.ndjson)"
http 3 POST /v1/declarations "$(sed -n 2p tests/data/one_per_rule.ndjson)"
http 1 POST /v1/actions "$(sed -n '/dataAccessRequest/p' docs/actions.md | head -n 1)"
http 0 POST /v1/actions "$(sed -n '/attestationRequest/p' docs/actions.md | head -n 1)"
http 5 GET "/v1/declarations/700000000044" ""
http 1 GET "/v1/careerBreakRequests?state=SUBMITTED&page=1" ""
http 2 GET "/v1/citizens/$ssin/interimRelations?from=2025-01-01" ""
http 1 GET "/v1/accessCodes/123456789012" ""
http 0 GET "/v1/citizens/$ssin/consents" ""
http 1 GET "/v1/employers/$emp/settings" ""
http 5 GET "/health" ""
http 5 GET "/metrics" ""
http 5 GET "/v1/citizens/$ssin/studentBalance?asOf=2025-06-30T12:00:00Z&validOn=2025-05-31" ""
http 5 GET "/v1/audit/stateHash?asOf=2025-06-30" ""
http_with() {  # role method target header-line
  n=$((n + 1))
  { printf "\\x$(printf %02x "$1")"; printf '%s\n%s\n%s\n\n' "$2" "$3" "$4"; } > "$out/http_request/request-$n"
}
http_with 2 GET "/v1/citizens/$ssin/interimRelations" "accept:application/pdf;q=0.5, application/json;q=0.9, */*;q=0"
http_with 0 HEAD "/v1/citizens/$ssin/attestations" "accept:application/*"
http_body_with() {  # role method target header-line body
  n=$((n + 1))
  { printf "\\x$(printf %02x "$1")"; printf '%s\n%s\n%s\n\n%s' "$2" "$3" "$4" "$5"; } > "$out/http_request/request-$n"
}
# A body's media type (415 unless JSON), then one of the +json types taken.
http_body_with 3 POST /v1/declarations "content-type:text/plain; charset=utf-8" "$(sed -n 1p tests/data/one_per_rule.ndjson)"
http_body_with 3 POST /v1/declarations "content-type:application/problem+json" "$(sed -n 3p tests/data/one_per_rule.ndjson)"
# The portal (api/portal.h): a file, its configuration, the development sign-in (on in the target).
http 5 GET "/portal/" ""
http 5 GET "/portal/config.json" ""
http_body_with 5 POST /portal/signIn "content-type:application/json" '{"role":"citizen","ssin":"05031412595"}'
# The register's CSV files in their exact shapes (docs/employers.md): headers, rows, a doubled quote.
printf '%s\n' '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC","StartDate"' \
  '"0403.019.261","AC","000","2","014","","01-01-1930"' '"0403.019.360","AC","000","2","610","","15-06-1999"' \
  > "$out/register_csv/enterprise.csv"
printf '%s\n' '"EntityNumber","Language","TypeOfDenomination","Denomination"' \
  '"0403.019.261","2","001","Bakkerij ""De Zon"" NV"' '"0403.019.261","1","003","Boulangerie Le Soleil"' \
  '"2.000.000.339","2","004","Vestiging Gent"' > "$out/register_csv/denomination.csv"
printf '%s\n' '"EntityNumber"' '"0403.019.261"' > "$out/register_csv/enterprise_delete.csv"
echo "corpus: $(find "$out" -type f | wc -l) files in $out"
