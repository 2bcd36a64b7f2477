#!/usr/bin/env bash
# replay_pg.sh: the PostgreSQL 15 baselines of bench/replay_bench (DESIGN.md §8:
# "the same year folded by PostgreSQL 15 (COPY, then GROUP BY into a table)";
# issue 13 item 2: beside it, an event store the Marten way, the events as jsonb).
#
# Usage: bench/replay_pg.sh EVENTS_TSV WORK_DIR RUNS [EVENTS_NDJSON]
#   EVENTS_TSV  one row per declaration event: seq, ssin, period id, kind
#               (I/U/O/C), result (A/W/B/S), worker type (on an IN), start year,
#               planned hours; \N for none (replay_bench writes it)
#   WORK_DIR    a directory of ours: the cluster goes to WORK_DIR/pg (removed
#               at the end); writes WORK_DIR/pg_times.txt (one line per run:
#               COPY seconds, query seconds) and WORK_DIR/pg_balances.tsv
#               (ssin, year, used hours) of the last run
#   RUNS        how many times COPY + query run, each into fresh tables
#   EVENTS_NDJSON  when given, the jsonb peer too: the same events as they are
#               logged, one JSON object a line, COPYed into a jsonb column (in
#               file order: the log's), then folded by one SQL statement that
#               extracts the fields it needs with ->> and joins with hashes;
#               writes WORK_DIR/pg_jsonb_times.txt and pg_jsonb_balances.tsv
#
# A throwaway cluster: initdb in WORK_DIR/pg, trust auth, listening on
# 127.0.0.1 only (no Unix socket) on a free port, as the postgres user when run
# as root (initdb refuses root); stopped and removed on exit, whatever happens.
# Configured for its best case, not for durability: unlogged tables,
# fsync=off, 4 GB shared_buffers, 2 GB work_mem, 2 parallel workers (the
# machine's 2 cores). Installs postgresql-15 from Debian when missing and root.
set -euo pipefail

die() { echo "replay_pg: $*" >&2; exit 1; }
[[ $# -eq 3 || $# -eq 4 ]] || die "usage: replay_pg.sh EVENTS_TSV WORK_DIR RUNS [EVENTS_NDJSON]"
tsv=$(realpath "$1")
work=$(realpath "$2")
runs=$3
ndjson=""
if [[ $# -eq 4 ]]; then
  ndjson=$(realpath "$4")
  [[ -f $ndjson ]] || die "no such file: $ndjson"
fi
[[ -f $tsv ]] || die "no such file: $tsv"
[[ -d $work ]] || die "no such directory: $work"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"

bin=/usr/lib/postgresql/15/bin
if [[ ! -x $bin/postgres ]]; then
  [[ $EUID -eq 0 ]] || die "PostgreSQL 15 is missing: apt-get install postgresql-15 (as root)"
  echo "replay_pg: installing postgresql-15 (Debian)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 >/dev/null ||
    die "apt-get install postgresql-15 failed"
fi

as=()
if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "no postgres user to run the server as (initdb refuses root)"
  as=(runuser -u postgres --)
fi
"${as[@]}" test -r "$tsv" || die "$tsv is not readable by the server's user (put --dir where it can read)"

# A free port on the loopback: the first one nothing answers on.
port=""
for p in $(seq 54329 54429); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[[ -n $port ]] || die "no free port in 54329..54429"

pg=$work/pg
rm -rf "$pg"
mkdir -p "$pg"
[[ $EUID -eq 0 ]] && chown postgres: "$pg"
cleanup() {
  "${as[@]}" "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pg"
}
trap cleanup EXIT

"${as[@]}" "$bin/initdb" -D "$pg/data" -U postgres --auth=trust -E UTF8 --locale=C >"$pg/initdb.log" 2>&1 ||
  die "initdb failed: $(tail -3 "$pg/initdb.log")"
cat >>"$pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
shared_buffers = '4GB'
work_mem = '2GB'
maintenance_work_mem = '2GB'
max_parallel_workers_per_gather = 2
max_wal_size = '16GB'
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
EOF
"${as[@]}" "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 start >/dev/null ||
  die "the server did not start: $(tail -3 "$pg/server.log")"

export PGOPTIONS="-c client_min_messages=warning"  # no NOTICE for DROP ... IF EXISTS
psql=("${as[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)
now() { date +%s.%N; }

# The rules of the fold (DOMAIN.md §8, engine/ledger_state.cc): only accepted
# declarations (A, W) count; an IN of a STU period reserves its planned hours
# in the year of its start date (immutable for STU); the last accepted UPDATE
# that gives plannedHoursNumber replaces them; an accepted CANCEL releases them.
#
# Both folds join with hashes: the planner has no statistics on a CTE referenced three times
# (materialized), estimates one row for each filtered scan of it and picks nested loops, which
# made the fold quadratic (18 s for 60 000 events; EXPLAIN ANALYZE: 90 M rows removed by join
# filter). Nested loops and merge joins are turned off for the fold, PostgreSQL's best case.
query="
ANALYZE events;
SET enable_nestloop = off;
SET enable_mergejoin = off;
CREATE UNLOGGED TABLE balances AS
WITH accepted AS (SELECT * FROM events WHERE result IN ('A', 'W')),
     ins AS (SELECT period_id, ssin, start_year, hours FROM accepted WHERE kind = 'I' AND worker_type = 'STU'),
     last_update AS (SELECT DISTINCT ON (period_id) period_id, hours FROM accepted
                     WHERE kind = 'U' AND hours IS NOT NULL ORDER BY period_id, seq DESC),
     cancelled AS (SELECT DISTINCT period_id FROM accepted WHERE kind = 'C')
SELECT i.ssin, i.start_year AS year, sum(coalesce(u.hours, i.hours))::int AS used
FROM ins i LEFT JOIN last_update u USING (period_id)
WHERE NOT EXISTS (SELECT 1 FROM cancelled c WHERE c.period_id = i.period_id)
GROUP BY i.ssin, i.start_year;"

# One peer, RUNS times into fresh tables: CREATE, then COPY and the fold, each timed; then its
# last balances and its table's size. peer NAME EVENTS_TABLE BALANCES_TABLE CREATE COPY FOLD
# writes WORK_DIR/NAME_times.txt and NAME_balances.tsv.
peer() {
  local name=$1 events=$2 balances=$3 create=$4 copy=$5 fold=$6 t0 t1 t2
  : >"$work/${name}_times.txt"
  for ((r = 1; r <= runs; r++)); do
    "${psql[@]}" -c "DROP TABLE IF EXISTS $events, $balances; $create"
    t0=$(now)
    "${psql[@]}" -c "$copy"
    t1=$(now)
    "${psql[@]}" -c "$fold"
    t2=$(now)
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.3f %.3f\n", b - a, c - b }' >>"$work/${name}_times.txt"
  done
  "${psql[@]}" -c "COPY (SELECT ssin, year, used FROM $balances WHERE used > 0) TO STDOUT" >"$work/${name}_balances.tsv"
  echo "replay_pg: $name: $events table $("${psql[@]}" -At -c "SELECT pg_size_pretty(pg_table_size('$events'))")" >&2
  "${psql[@]}" -c "DROP TABLE IF EXISTS $events, $balances"
}

echo "replay_pg: $("${psql[@]}" -At -c "SELECT version()" | cut -d, -f1), port $port" >&2
peer pg events balances \
  "CREATE UNLOGGED TABLE events(seq bigint, ssin bigint, period_id bigint, kind text, result text,
                                worker_type text, start_year int, hours int);" \
  "COPY events FROM '$tsv'" "$query"

# The jsonb peer: the same rules over the events as logged. COPY's text format would read a
# JSON backslash as its own escape, so the file is read as CSV with a quote and a delimiter
# that no JSON line holds (0x01, 0x02): each line is one value, byte for byte.
jquery="
ANALYZE jevents;
SET enable_nestloop = off;
SET enable_mergejoin = off;
CREATE UNLOGGED TABLE jbalances AS
WITH d AS (SELECT seq, e->>'type' AS type, (e->>'ssin')::bigint AS ssin,
                  (e->'body'->>'periodId')::bigint AS period_id, e->'body'->'declaration' AS decl
           FROM jevents
           WHERE e->>'type' IN ('DimonaInDeclared', 'DimonaUpdateDeclared', 'DimonaCancelDeclared')
             AND e->'body'->>'result' IN ('A', 'W')),
     ins AS (SELECT period_id, ssin, substr(decl->'dimonaIn'->>'startDate', 1, 4)::int AS start_year,
                    (decl->'dimonaIn'->>'plannedHoursNumber')::int AS hours
             FROM d WHERE type = 'DimonaInDeclared' AND decl->'dimonaIn'->'features'->>'workerType' = 'STU'),
     last_update AS (SELECT DISTINCT ON (period_id) period_id, (decl->'dimonaUpdate'->>'plannedHoursNumber')::int AS hours
                     FROM d WHERE type = 'DimonaUpdateDeclared' AND decl->'dimonaUpdate' ? 'plannedHoursNumber'
                     ORDER BY period_id, seq DESC),
     cancelled AS (SELECT DISTINCT period_id FROM d WHERE type = 'DimonaCancelDeclared')
SELECT i.ssin, i.start_year AS year, sum(coalesce(u.hours, i.hours))::int AS used
FROM ins i LEFT JOIN last_update u USING (period_id) LEFT JOIN cancelled c USING (period_id)
WHERE c.period_id IS NULL
GROUP BY i.ssin, i.start_year;"
if [[ -n $ndjson ]]; then
  "${as[@]}" test -r "$ndjson" || die "$ndjson is not readable by the server's user"
  peer pg_jsonb jevents jbalances \
    "CREATE UNLOGGED TABLE jevents(seq bigint GENERATED ALWAYS AS IDENTITY, e jsonb NOT NULL);" \
    "COPY jevents(e) FROM '$ndjson' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')" "$jquery"
fi
