#include "engine/ingest.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "engine/codec.h"
#include "engine/log/kafka_mock.h"
#include "engine/log/log_tools.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/engine/memory_input_topic.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

namespace fs = std::filesystem;
using testing::MemoryInputTopic;
using testing::stu_in;

using testing::TempDir;

std::string with_recorded_at(std::string json, int minute) {
  char at[64];
  std::snprintf(at, sizeof at, R"(,"recordedAt":"2025-06-01T%02d:%02d:00Z")", 8 + minute / 60, minute % 60);
  json.insert(json.size() - 1, at);
  return json;
}

// n student INs for n different employers (no overlap), one per line.
void write_declarations(const std::string& path, int n, const std::string& extra_line = "", int extra_at = -1) {
  std::ofstream f(path);
  static const char* kEmployers[] = {"0403019261", "0403019360", "0876543270", "0456789034"};
  static const char* kStudents[] = {"05031412595", "04070101124", "03020202422", "01123113341"};
  for (int i = 0; i < n; ++i) {
    if (i == extra_at) f << extra_line << "\n";
    const int day = 1 + i % 28;
    char start[16];
    std::snprintf(start, sizeof start, "2025-07-%02d", day);
    f << with_recorded_at(stu_in(start, start, 1 + i % 7, kStudents[(i / 4) % 4], kEmployers[i % 4]), i / 60) << "\n";
  }
}

// Each test runs on every backend that keeps its log in the process or on
// disk: the in-memory log and the embedded SQLite log.
class IngestTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string uri() const {
    static int counter = 0;
    if (!uri_.empty()) return uri_;
    const std::string name = "ingest-" + std::to_string(++counter);
    if (GetParam() == "memory") uri_ = "memory:" + name;
    else if (GetParam() == "sqlite") uri_ = "sqlite:" + dir_.file("ledger.db");
    else {
      EXPECT_TRUE(mock_cluster().create_topic(name, 4, 1).is_ok());
      uri_ = "kafka://" + mock_cluster().bootstrap() + "/" + name;
    }
    return uri_;
  }
  // One mock cluster for the suite (librdkafka's, on 127.0.0.1).
  static KafkaMockCluster& mock_cluster() {
    static std::unique_ptr<KafkaMockCluster> cluster = [] {
      Result<std::unique_ptr<KafkaMockCluster>> started = KafkaMockCluster::start(1);
      DIMONA_ASSERT(started.is_ok());
      return std::move(started).value();
    }();
    return *cluster;
  }
  std::unique_ptr<Log> open_log() {
    LogOptions o;
    o.partitions = 4;
    auto log = dimona::open_log(uri(), o);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(*log) : nullptr;
  }

  Result<IngestSummary> run(Log& log, const std::string& path, bool strict = false,
                            uint32_t commit_lines = limits::ingest_commit_declarations) {
    auto ledger = Ledger::open(log, testing::test_schedule(), clock_, ServerSecret::from_passphrase("test"));
    EXPECT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    if (!ledger.is_ok()) return ledger.status();
    dimona::IngestOptions options;
    options.strict = strict;
    options.commit_lines = commit_lines;
    options.report_path = dir_.file("report.ndjson");
    return ingest_file(**ledger, path, options);
  }

  // Input line -> how many declaration events of the log came from it.
  static std::map<uint64_t, int> lines_in(Log& log, const std::string& label) {
    std::map<uint64_t, int> lines;
    const std::string needle = "\"source\":\"batch:" + label + ":";
    for (uint32_t p = 0; p < log.partitions(); ++p)
      for (const LogRecord& r : testing::read_all(log, p))
        if (size_t at = r.payload.find(needle); at != std::string::npos)
          ++lines[std::strtoull(r.payload.c_str() + at + needle.size(), nullptr, 10)];
    return lines;
  }

  std::string report() { return testing::read_file(dir_.file("report.ndjson")); }

  TempDir dir_;
  mutable std::string uri_;
  ManualClock clock_{*parse_instant("2025-06-01T08:00:00Z")};
};

TEST_P(IngestTest, MalformedLinesAreReportedAndTheRestIsApplied) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 20, R"({"dimonaIn":{"plannedHours":3}})", 5);
  auto log = open_log();
  Result<IngestSummary> s = run(*log, path);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->declarations, 20u);
  EXPECT_EQ(s->malformed, 1u);
  EXPECT_EQ(s->accepted, 20u);
  EXPECT_NE(report().find(R"({"line":6,"error":"field dimonaIn.plannedHours: unknown field"})"), std::string::npos) << report();
}

// A consultation is the ledger's own record of a read (docs/audit.md "Who looked"): a file
// cannot forge one; the line is malformed, never logged, and the rest is applied.
TEST_P(IngestTest, AConsultationLineIsRefusedAsNotTakenFromOutside) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 10,
                     R"({"worker":{"ssin":"05031412595"},"dataConsultation":{"role":"auditor","scope":"anomalies","channel":"auditor"}})",
                     3);
  auto log = open_log();
  Result<IngestSummary> s = run(*log, path);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->declarations, 10u);
  EXPECT_EQ(s->actions, 0u);
  EXPECT_EQ(s->malformed, 1u);
  EXPECT_NE(report().find(R"({"line":4,"error":"field dataConsultation: written by the ledger itself)"), std::string::npos)
      << report();
  for (uint32_t p = 0; p < log->partitions(); ++p)
    for (const LogRecord& r : testing::read_all(*log, p))
      EXPECT_EQ(r.payload.find("CitizenDataConsulted"), std::string::npos) << r.payload;
}

TEST_P(IngestTest, StrictStopsAtTheFirstMalformedLineKeepingWhatCameBefore) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 20, "{not json", 5);
  auto log = open_log();
  Result<IngestSummary> s = run(*log, path, /*strict=*/true);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("line 6"), std::string::npos) << s.status().message();
  auto ledger = Ledger::open(*log, testing::test_schedule(), clock_, ServerSecret::from_passphrase("test"));
  ASSERT_TRUE(ledger.is_ok());
  LedgerState merged;
  ASSERT_TRUE((*ledger)->merged_state(&merged).is_ok());
  EXPECT_EQ(merged.period_count(), 5u);
}

TEST_P(IngestTest, RefusedLinesAreReportedWithTheirCodes) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 3, with_recorded_at(stu_in("2025-06-20", "2025-07-10", 40), 0), 1);
  auto log = open_log();
  Result<IngestSummary> s = run(*log, path);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->refused, 1u);
  EXPECT_EQ(s->anomalies.at(90373421), 1u);
  EXPECT_NE(report().find(R"("line":2,"declarationId")"), std::string::npos) << report();
  EXPECT_NE(report().find(R"("anomalies":["90373-421"])"), std::string::npos) << report();
}

TEST_P(IngestTest, AFinishedIngestIsNotAppliedTwice) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 50);
  auto log = open_log();
  ASSERT_TRUE(run(*log, path).is_ok());
  Result<IngestSummary> again = run(*log, path);
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->already_complete);
  EXPECT_EQ(again->declarations, 0u);
}

// A file under the 1 MiB fingerprint is named by all of its bytes: grown by lines appended (a
// day's file ingested at noon, then again at night), it is the same source continued, so its
// first lines are known as stored, never decided again (they were: refused as "before ledger
// time", or, without a recordedAt, logged twice).
TEST_P(IngestTest, AFileGrownSinceItsIngestGoesOnWhereItStood) {
  const std::string whole = dir_.file("whole.ndjson"), path = dir_.file("in.ndjson");
  write_declarations(whole, 100);
  const std::string text = testing::read_file(whole);
  size_t cut = 0;
  for (int line = 0; line < 40; ++line) cut = text.find('\n', cut) + 1;
  std::ofstream(path) << text.substr(0, cut);
  auto log = open_log();
  Result<IngestSummary> first = run(*log, path);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ(first->declarations, 40u);
  std::ofstream(path) << text;
  Result<IngestSummary> grown = run(*log, path);
  ASSERT_TRUE(grown.is_ok()) << grown.status().to_string();
  EXPECT_EQ(grown->declarations, 60u);
  EXPECT_EQ(grown->malformed, 0u) << report();
  const std::map<uint64_t, int> lines = lines_in(*log, "in.ndjson");
  EXPECT_EQ(lines.size(), 100u);
  for (const auto& [line, events] : lines) EXPECT_EQ(events, 1) << "line " << line;
  Result<IngestSummary> again = run(*log, path);
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->already_complete);
  // A file that starts with the same lines but changed one of them is another file.
  std::string changed = text;
  changed[changed.find("2025-07-01")] = '3';
  std::ofstream(path) << changed;
  Result<IngestSummary> other = run(*log, path);
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  EXPECT_FALSE(other->already_complete);
}

TEST_P(IngestTest, AChangedFileIsRefusedRatherThanHalfApplied) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 5000);  // over the 1 MiB fingerprint: the head stays, the tail changes
  auto log = open_log();
  ASSERT_TRUE(run(*log, path).is_ok());
  std::string text = testing::read_file(path);
  // Same head (the fingerprint), different body.
  const size_t at = text.size() - 40;
  text[at] = text[at] == '1' ? '2' : '1';
  std::ofstream(path) << text;
  Result<IngestSummary> again = run(*log, path);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), Code::kFailedPrecondition);
}

TEST_P(IngestTest, OverlongLinesAreSkippedWhole) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 10, "{\"x\":\"" + std::string(100 * 1024, 'a') + "\"}", 3);
  auto log = open_log();
  Result<IngestSummary> s = run(*log, path);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->malformed, 1u);
  EXPECT_EQ(s->declarations, 10u);
}

// Exactly once without transactions: a commit group reaches some partitions
// and not others (the log failed mid-group, as a crash would cut it). The
// ingest run again on a fresh Ledger resumes from the stored events' own
// source positions and appends every line exactly once.
TEST_P(IngestTest, AGroupCutBetweenPartitionsIsCompletedExactlyOnce) {
  constexpr uint32_t kGroup = 400;  // lines per commit group
  constexpr uint64_t kLines = 3 * kGroup + 100;
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, static_cast<int>(kLines));
  auto inner = open_log();
  testing::FaultyLog log(std::move(inner));
  // The four students live in partitions 0, 1 and 2 (murmur2 of their SSINs; partition 3
  // holds nothing: the quota schedule is no event). Group 1 goes whole (3 appends), group 2
  // reaches partitions 0 and 1, then every append fails: a writer cut between partitions.
  log.fail_appends_after(3 + 2, 1000);
  Result<IngestSummary> cut = run(log, path, false, kGroup);
  ASSERT_FALSE(cut.is_ok());
  const std::map<uint64_t, int> before = lines_in(log, "in.ndjson");
  ASSERT_GT(before.size(), kGroup);      // group 1 and part of group 2
  ASSERT_LT(before.size(), 2 * kGroup);  // not all of group 2
  log.fail_appends(0);
  Result<IngestSummary> again = run(log, path, false, kGroup);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(again->resumed_after_lines, kGroup);  // group 2's start
  EXPECT_EQ(again->already_stored, before.size() - kGroup);
  const std::map<uint64_t, int> after = lines_in(log, "in.ndjson");
  EXPECT_EQ(after.size(), kLines);
  for (uint64_t line = 1, shown = 0; line <= kLines && shown < 5; ++line)
    if (!after.count(line)) ADD_FAILURE() << "line " << line << " is not in the log" << (++shown, "");
  for (const auto& [line, count] : after) ASSERT_EQ(count, 1) << "line " << line;
  Result<IngestSummary> third = run(log, path, false, kGroup);
  ASSERT_TRUE(third.is_ok());
  EXPECT_TRUE(third->already_complete);
  EXPECT_EQ(lines_in(log, "in.ndjson"), after);
}

class IngestTopicTest : public IngestTest {
 protected:
  Result<IngestSummary> run_topic(Log& log, InputTopic& input,
                                  uint32_t commit_lines = limits::ingest_commit_declarations, bool follow = false,
                                  const std::atomic<bool>* stop = nullptr, bool strict = false,
                                  std::vector<uint32_t> partitions = {}) {
    auto ledger = Ledger::open(log, testing::test_schedule(), clock_, ServerSecret::from_passphrase("test"));
    EXPECT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    if (!ledger.is_ok()) return ledger.status();
    dimona::IngestOptions options;
    options.commit_lines = commit_lines;
    options.report_path = dir_.file("report.ndjson");
    options.follow = follow;
    options.stop = stop;
    options.strict = strict;
    options.partitions = std::move(partitions);
    return ingest_topic(**ledger, input, options);
  }
  // "P@INDEX" of each topic record in the log -> how many events came from it.
  static std::map<std::string, int> records_in(Log& log) {
    std::map<std::string, int> records;
    for (uint32_t p = 0; p < log.partitions(); ++p)
      for (const LogRecord& r : testing::read_all(log, p))
        if (r.source.starts_with("topic:input/")) ++records[r.source.substr(12, r.source.find(',') - 12)];
    return records;
  }
};

// The topic's form of the cut above: each input partition resumes from its own
// group start, the Ledger skips what a partition holds, the report keeps each entry once.
TEST_P(IngestTopicTest, AGroupCutBetweenPartitionsIsCompletedExactlyOncePerInputPartition) {
  constexpr uint32_t kGroup = 400;
  constexpr int kLines = 3 * kGroup + 100;
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, kLines, "{not json", 7);  // the malformed one: partition 1, offset 3
  MemoryInputTopic input(3);
  input.produce_lines(path);
  auto inner = open_log();
  testing::FaultyLog log(std::move(inner));
  log.fail_appends_after(4 + 2, 1000);
  Result<IngestSummary> cut = run_topic(log, input, kGroup);
  ASSERT_FALSE(cut.is_ok());
  const std::map<std::string, int> before = records_in(log);
  ASSERT_GT(before.size(), kGroup - 1);
  ASSERT_LT(before.size(), 2 * kGroup);
  log.fail_appends(0);
  Result<IngestSummary> again = run_topic(log, input, kGroup);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_GT(again->resumed_after_lines, 0u);
  EXPECT_GT(again->already_stored, 0u);
  const std::map<std::string, int> after = records_in(log);
  EXPECT_EQ(after.size(), static_cast<size_t>(kLines));
  for (const auto& [record, count] : after) ASSERT_EQ(count, 1) << record;
  EXPECT_EQ(after.count("1@3"), 0u) << "the malformed record is not in the log";
  const std::string reported = report();
  EXPECT_EQ(reported.rfind("{\"partition\":1,\"offset\":2,\"error\":", 0), 0u) << reported;
  // Each record reported once (the refused ones too: this data overlaps periods).
  std::set<std::string> where;
  size_t entries = 0;
  for (size_t at = 0; at < reported.size(); at = reported.find('\n', at) + 1, ++entries)
    where.insert(reported.substr(at, reported.find(",\"", reported.find("offset", at)) - at));
  EXPECT_EQ(where.size(), entries);
  EXPECT_GT(entries, 1u);
  Result<IngestSummary> third = run_topic(log, input, kGroup);
  ASSERT_TRUE(third.is_ok());
  EXPECT_TRUE(third->already_complete);
  EXPECT_EQ(records_in(log), after);
}

// A record read again is a redelivery when a partition stores it, whatever
// deciding it again would say. An UPDATE naming a period not yet known is
// stored in the partition of no worker; its period's IN then comes through
// another input partition. The UPDATE's record, read again (its group's
// start is where its input partition resumes), would now be decided into
// the period's partition, which holds nothing of its input partition: it is
// known stored all the same, and stored once.
TEST_P(IngestTopicTest, ARecordReadAgainIsKnownByWhereItIsStoredNotByDecidingItAgain) {
  const uint32_t nowhere = partition_for(Ssin{}, 4);
  std::string worker;
  uint32_t home = 0;
  for (const char* ssin : {"05031412595", "04070101124", "03020202422", "01123113341"}) {
    home = partition_for(*parse_ssin(ssin), 4);
    if (home != nowhere) {
      worker = ssin;
      break;
    }
  }
  ASSERT_FALSE(worker.empty());
  // The IN's period id: the first ids of its partition (declaration serial 0, period serial 1).
  const uint64_t period = dimona_id_from_body(kLedgerIdBodyFirst + 1 * 4 + home);
  MemoryInputTopic input(2);
  input.produce(0, R"({"dimonaUpdate":{"periodId":)" + std::to_string(period) + R"(,"plannedHoursNumber":6}})");
  auto log = open_log();
  Result<IngestSummary> first = run_topic(*log, input);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_EQ(first->refused, 1u) << "an unknown period";
  input.produce(1, stu_in("2025-07-01", "2025-07-01", 8, worker));
  Result<IngestSummary> second = run_topic(*log, input, limits::ingest_commit_declarations, false, nullptr, false, {1});
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  ASSERT_EQ(second->accepted + second->warnings, 1u);
  bool found = false;
  for (const LogRecord& r : testing::read_all(*log, home))
    found = found || r.payload.find("\"periodId\":\"" + std::to_string(period) + "\"") != std::string::npos;
  ASSERT_TRUE(found) << "the IN's period is " << period;

  Result<IngestSummary> third = run_topic(*log, input);
  ASSERT_TRUE(third.is_ok()) << third.status().to_string();
  EXPECT_EQ(third->already_stored, 2u);  // each input partition's last group, read again
  EXPECT_EQ(third->declarations, 0u);
  EXPECT_EQ(records_in(*log), (std::map<std::string, int>{{"0@1", 1}, {"1@1", 1}}));
}

TEST_P(IngestTopicTest, AFollowCommitsUntilStoppedAndStrictNamesTheRecord) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 50, "{not json", 20);
  MemoryInputTopic input(2);
  input.produce_lines(path);
  auto log = open_log();
  Result<IngestSummary> strict = run_topic(*log, input, limits::ingest_commit_declarations, false, nullptr, true);
  ASSERT_FALSE(strict.is_ok());
  EXPECT_EQ(strict.status().message().rfind("partition 0 offset 10: ", 0), 0u) << strict.status().message();
  EXPECT_EQ(records_in(*log).size(), 20u) << "what came before the malformed record is kept";
  Result<IngestSummary> followed = run_topic(*log, input, limits::ingest_commit_declarations, true, &input.stop);
  ASSERT_TRUE(followed.is_ok()) << followed.status().to_string();
  EXPECT_EQ(followed->declarations, 30u);
  EXPECT_EQ(followed->malformed, 1u);
  EXPECT_EQ(records_in(*log).size(), 50u);
}

TEST_P(IngestTopicTest, AFirstReadStartsWhereThePartitionStartsAndLostOrRecreatedRecordsAreRefused) {
  const std::string path = dir_.file("in.ndjson");
  write_declarations(path, 10);
  MemoryInputTopic input(1, /*first=*/100);  // retention deleted offsets 0..99
  input.produce_lines(path);
  auto log = open_log();
  Result<IngestSummary> s = run_topic(*log, input);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->declarations, 10u);
  EXPECT_EQ(records_in(*log).count("0@101"), 1u);
  MemoryInputTopic later(1, /*first=*/200);  // the same topic after more retention: stored up to 110
  later.produce_lines(path);
  Result<IngestSummary> lost = run_topic(*log, later);
  ASSERT_FALSE(lost.is_ok());
  EXPECT_EQ(lost.status().code(), Code::kInvalidArgument);
  MemoryInputTopic recreated(1);  // offsets from 0 again, fewer than the ledger stored
  for (int i = 0; i < 3; ++i) recreated.produce(0, "{}");
  Result<IngestSummary> behind = run_topic(*log, recreated);
  ASSERT_FALSE(behind.is_ok());
  EXPECT_EQ(behind.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(behind.status().message().find("was the topic recreated?"), std::string::npos) << behind.status().message();
}

// A partition that says it holds records and delivers none (a broker gone): the
// run stops with kUnavailable after the stall time, keeping what it read.
TEST(IngestTopic, RecordsThatDoNotComeStopARunWithWhatItReadStored) {
  TempDir dir;
  const std::string path = dir.file("in.ndjson");
  write_declarations(path, 10);
  class Stalled final : public InputTopic {
   public:
    explicit Stalled(MemoryInputTopic& inner) : inner_(inner) {}
    const std::string& topic() const override { return inner_.topic(); }
    uint32_t partitions() const override { return 1; }
    Status assign(const std::map<uint32_t, Offset>& from) override { return inner_.assign(from); }
    Result<size_t> poll(std::vector<InputRecord>& out, std::chrono::milliseconds t, size_t max) override {
      return inner_.poll(out, t, max);
    }
    Result<PartitionRange> range(uint32_t p) override {
      Result<PartitionRange> r = inner_.range(p);
      DIMONA_TRY(r);
      return PartitionRange{r->first, r->end + 5};  // five more than it will ever deliver
    }
    Result<Offset> position(uint32_t p) override { return inner_.position(p); }

   private:
    MemoryInputTopic& inner_;
  };
  MemoryInputTopic memory(1);
  memory.produce_lines(path);
  Stalled input(memory);
  LogOptions o;
  o.partitions = 4;
  auto log = dimona::open_log("memory:", o);
  ASSERT_TRUE(log.is_ok());
  ManualClock clock{*parse_instant("2025-06-01T08:00:00Z")};
  auto ledger = Ledger::open(**log, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"));
  ASSERT_TRUE(ledger.is_ok());
  dimona::IngestOptions options;
  options.read_stall_ms = 300;
  Result<IngestSummary> s = ingest_topic(**ledger, input, options);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
  EXPECT_NE(s.status().message().find("delivered nothing for 300 ms"), std::string::npos) << s.status().message();
  size_t stored = 0;
  for (uint32_t p = 0; p < (*log)->partitions(); ++p)
    for (const LogRecord& r : testing::read_all(**log, p)) stored += r.source.starts_with("topic:input/0@");
  EXPECT_EQ(stored, 10u);
}

INSTANTIATE_TEST_SUITE_P(Backends, IngestTopicTest, ::testing::Values("memory", "sqlite", "kafka"),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

INSTANTIATE_TEST_SUITE_P(Backends, IngestTest, ::testing::Values("memory", "sqlite", "kafka"),
                         [](const ::testing::TestParamInfo<std::string>& backend) { return backend.param; });

// Durability: an ingest killed with SIGKILL midway leaves whole, verified
// batches; running it again applies every line exactly once.
TEST(IngestDurability, KilledIngestResumesExactlyOnce) {
  TempDir dir;
  const std::string data = dir.file("data");
  const std::string input = dir.file("year.ndjson");
  const std::string cli = DIMONA_CLI_PATH;
  ASSERT_EQ(std::system((cli + " generate --year 2025 --students 20000 --seed 7 -o " + input).c_str()), 0);
  uint64_t lines = 0;
  {
    std::ifstream f(input);
    for (std::string l; std::getline(f, l);) ++lines;
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::freopen("/dev/null", "w", stdout);
    ::execl(cli.c_str(), cli.c_str(), "ingest", input.c_str(), "--data", data.c_str(), "--partitions", "4",
            "--report", dir.file("report").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it once some batches are durable.
  const std::string db = data + "/ledger.db";
  for (int i = 0; i < 400; ++i) {
    ::usleep(10'000);
    std::error_code ec;
    if (fs::exists(db + "-wal", ec) && fs::file_size(db + "-wal", ec) > 2'000'000) break;
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the ingest finished before it could be killed: make the input larger";

  {
    auto log = open_log("sqlite:" + db, LogOptions{});
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    Result<VerifyReport> v = verify_log(**log);
    ASSERT_TRUE(v.is_ok());
    EXPECT_TRUE(v->is_clean());
  }
  ASSERT_EQ(std::system((cli + " ingest " + input + " --data " + data + " --report " + dir.file("report") + " > /dev/null").c_str()), 0);

  // Every line applied exactly once: one declaration event per input line.
  auto log = open_log("sqlite:" + db, LogOptions{});
  ASSERT_TRUE(log.is_ok());
  std::set<uint64_t> seen;
  uint64_t declarations = 0;
  for (uint32_t p = 0; p < (*log)->partitions(); ++p) {
    for (const LogRecord& r : testing::read_all(**log, p)) {
      const size_t at = r.payload.find("\"source\":\"batch:year.ndjson:");
      if (at == std::string::npos) continue;
      const uint64_t line = std::strtoull(r.payload.c_str() + at + 28, nullptr, 10);
      EXPECT_TRUE(seen.insert(line).second) << "line " << line << " applied twice";
      ++declarations;
    }
  }
  uint64_t malformed_or_blank = 0;
  {
    // Lines the decoder refuses are reported, not logged.
    // One report across the killed run and the resumed one: each line once.
    std::ifstream f(dir.file("report"));
    std::set<uint64_t> reported;
    for (std::string l; std::getline(f, l);) {
      EXPECT_TRUE(reported.insert(std::strtoull(l.c_str() + 8, nullptr, 10)).second) << "reported twice: " << l;
      malformed_or_blank += l.find("\"error\"") != std::string::npos;
    }
  }
  EXPECT_EQ(declarations + malformed_or_blank, lines);
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

// tests/data/one_per_rule.ndjson holds one declaration per decision rule;
// one_per_rule.expected gives each line's result and anomaly codes. The
// file goes through the real ingest into a real SQLite log, and each line's
// event is read back from the log.
TEST(IngestGolden, OneDeclarationPerRuleGetsItsExpectedResult) {
  TempDir dir;
  const std::string data = std::string(DIMONA_TEST_DATA_DIR);
  auto log = open_log("sqlite:" + dir.file("ledger.db"), LogOptions{});
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  ManualClock clock(*parse_instant("2025-06-01T00:00:00Z"));
  auto ledger = Ledger::open(**log, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"));
  ASSERT_TRUE(ledger.is_ok());
  dimona::IngestOptions options;
  options.report_path = dir.file("report");
  Result<IngestSummary> summary = ingest_file(**ledger, data + "/one_per_rule.ndjson", options);
  ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();

  std::map<uint64_t, std::string> got;  // line -> "R codes"
  EventDecoder decoder;
  for (uint32_t p = 0; p < (*log)->partitions(); ++p) {
    for (LogRecord& record : testing::read_all(**log, p)) {
      {
        const size_t size = record.payload.size();
        record.payload.append(kJsonPadding, ' ');
        Result<Event> e = decoder.decode(std::string_view(record.payload.data(), size), record.payload.size());
        ASSERT_TRUE(e.is_ok()) << e.status().to_string();
        if (!e->is_declaration()) continue;
        const uint64_t line = std::stoull(std::string(e->source.substr(e->source.rfind(':') + 1)));
        std::string r(1, static_cast<char>(e->declaration.decision.result));
        r += ' ';
        for (size_t i = 0; i < e->declaration.decision.anomaly_count; ++i)
          r += (i ? "," : "") + anomaly_code_string(e->declaration.decision.anomalies[i].code);
        got[line] = r;
      }
    }
  }
  std::ifstream expected(data + "/one_per_rule.expected");
  int checked = 0;
  for (std::string l; std::getline(expected, l);) {
    const uint64_t line = std::strtoull(l.c_str(), nullptr, 10);
    const std::string want = l.substr(l.find(' ') + 1);
    if (want.rfind("malformed", 0) == 0) {
      EXPECT_EQ(got.count(line), 0u) << "a malformed line reached the log: " << line;
      continue;
    }
    EXPECT_EQ(got[line], want) << "line " << line;
    ++checked;
  }
  EXPECT_EQ(checked, 27);
  EXPECT_EQ(summary->malformed, 2u);
}

}  // namespace
}  // namespace dimona
