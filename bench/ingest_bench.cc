// ingest_bench: declarations/s of validate + decide + append to the embedded
// log (durable), side by side with SQLite inserting the same events one row
// per event (same WAL + synchronous=FULL, same commit size), in one run.
// Prints the median of --runs runs of each and the ratio (DESIGN.md §8:
// >= 1 M declarations/s and >= 2x the row-per-event baseline).
//
// Usage: ingest_bench [--students N] [--runs R] [--dir DIR]
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/generator/generator.h"
#include "engine/base/limits.h"
#include "engine/codec.h"
#include "engine/log/log.h"
#include "engine/log/log_tools.h"
#include "engine/ingest.h"
#include "engine/ledger.h"

namespace fs = std::filesystem;
using namespace dimona;

namespace {

using bench::median;
using bench::seconds_since;

[[noreturn]] void die(const std::string& what) { bench::die("ingest_bench", what); }

// Our path: the ledger's own ingest of the file into a fresh embedded log.
double run_ours(const std::string& input, const std::string& dir, uint64_t* declarations) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto log = open_log("sqlite:" + dir + "/ledger.db", LogOptions{});
  if (!log.is_ok()) die(log.status().to_string());
  auto schedule = load_quota_schedule("");
  if (!schedule.is_ok()) die(schedule.status().to_string());
  SystemClock clock;
  auto t0 = std::chrono::steady_clock::now();
  auto ledger = Ledger::open(**log, std::move(*schedule), clock, ServerSecret::from_passphrase("test"));
  if (!ledger.is_ok()) die(ledger.status().to_string());
  dimona::IngestOptions options;
  auto summary = ingest_file(**ledger, input, options);
  if (!summary.is_ok()) die(summary.status().to_string());
  const double s = seconds_since(t0);
  *declarations = summary->declarations;
  return s;
}

// The events our ingest produced, one per line, to feed the baseline.
std::vector<std::string> events_of(const std::string& dir) {
  auto log = open_log("sqlite:" + dir + "/ledger.db", LogOptions{});
  if (!log.is_ok()) die(log.status().to_string());
  auto consumer = (*log)->open_consumer();
  if (!consumer.is_ok()) die(consumer.status().to_string());
  std::vector<std::string> events;
  for (uint32_t p = 0; p < (*log)->partitions(); ++p) {
    auto end = (*consumer)->end_offset(p);
    if (!end.is_ok()) die(end.status().to_string());
    Status read = read_partition(**consumer, p, 0, *end, [&](LogRecord& r) {
      events.push_back(std::move(r.payload));
      return Status::ok();
    });
    if (!read.is_ok()) die(read.to_string());
  }
  return events;
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) die(std::string("sqlite: ") + (err ? err : "?"));
}

// Baseline: SQLite, one row per event, same durability and commit size.
double run_row_per_event(const std::vector<std::string>& events, const std::string& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  sqlite3* db = nullptr;
  if (sqlite3_open((dir + "/rows.db").c_str(), &db) != SQLITE_OK) die("sqlite open");
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec(db, "CREATE TABLE events(partition INTEGER, offset INTEGER, payload BLOB, PRIMARY KEY(partition, offset)) WITHOUT ROWID");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO events VALUES(?,?,?)", -1, &insert, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<int64_t> offsets(limits::partitions_default, 0);
  for (size_t i = 0; i < events.size(); ++i) {
    if (i % limits::ingest_commit_declarations == 0) exec(db, "BEGIN");
    const auto partition = static_cast<int>(i % limits::partitions_default);
    sqlite3_bind_int(insert, 1, partition);
    sqlite3_bind_int64(insert, 2, offsets[static_cast<size_t>(partition)]++);
    sqlite3_bind_blob(insert, 3, events[i].data(), static_cast<int>(events[i].size()), SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) die("sqlite insert");
    sqlite3_reset(insert);
    if ((i + 1) % limits::ingest_commit_declarations == 0 || i + 1 == events.size()) exec(db, "COMMIT");
  }
  const double s = seconds_since(t0);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t students = 100'000;
  int runs = 3;
  std::string dir = (fs::temp_directory_path() / ("dimona-ingest-bench-" + std::to_string(::getpid()))).string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--students")) students = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else die(std::string("unknown option ") + argv[i]);
  }
  fs::create_directories(dir);
  const std::string input = dir + "/year.ndjson";
  {
    std::FILE* f = std::fopen(input.c_str(), "wb");
    GeneratorOptions g;
    g.students = students;
    auto stats = generate(g, [f](std::string_view chunk) {
      std::fwrite(chunk.data(), 1, chunk.size(), f);
      return Status::ok();
    });
    std::fclose(f);
    if (!stats.is_ok()) die(stats.status().to_string());
    std::printf("input: %llu declarations (--students %llu), %.1f MB\n", static_cast<unsigned long long>(stats->lines),
                static_cast<unsigned long long>(students), static_cast<double>(stats->bytes) / 1e6);
  }
  std::vector<double> ours, rows;
  uint64_t declarations = 0;
  std::vector<std::string> events;
  for (int r = 0; r < runs; ++r) {
    ours.push_back(run_ours(input, dir + "/ours", &declarations));
    if (events.empty()) events = events_of(dir + "/ours");
    rows.push_back(run_row_per_event(events, dir + "/rows"));
    std::printf("run %d: ours %.3f s, sqlite row-per-event %.3f s\n", r + 1, ours.back(), rows.back());
  }
  const double ours_rate = static_cast<double>(declarations) / median(ours);
  const double rows_rate = static_cast<double>(events.size()) / median(rows);
  std::printf("ours (decode + decide + append, durable): %.0f declarations/s (median of %d)\n", ours_rate, runs);
  std::printf("sqlite row-per-event insert (events only): %.0f rows/s (median of %d)\n", rows_rate, runs);
  std::printf("ratio ours / row-per-event: %.2fx (target >= 2x; absolute target >= 1 M/s)\n", ours_rate / rows_rate);
  fs::remove_all(dir);
  return 0;
}
