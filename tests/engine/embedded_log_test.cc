#include "engine/embedded_log.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace dimona {
namespace {

constexpr int64_t kStartMicros = 1'750'000'000 * kMicrosPerSecond;

// A fresh directory per test, removed afterwards.
class EmbeddedLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "dimona-log-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "events.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<EmbeddedLog> open_log(uint32_t partitions = 4) {
    EmbeddedLogOptions options;
    options.create_if_missing = true;
    options.partitions = partitions;
    options.busy_timeout_ms = 50;
    Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path_, options);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }

  // Runs SQL on the log file through a connection of its own.
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  // The first column of the first row of a query, as an integer.
  int64_t sql_int(const std::string& query) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, query.c_str(), -1, &s, nullptr), SQLITE_OK);
    const int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
  }

  // Overwrites one row's payload, bypassing the log.
  // Replaces a batch's stored bytes with `payload`, stored raw (codec 0).
  void set_payload(uint32_t partition, Offset base, const std::string& payload) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "UPDATE batches SET payload = ?1, codec = 0 WHERE partition = ?2 AND "
                                 "base_offset = ?3",
                                 -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(s, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, partition);
    sqlite3_bind_int64(s, 3, static_cast<int64_t>(base));
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }

  // Inserts a row with a valid CRC, bypassing the log's checks on append.
  void insert_row(uint32_t partition, Offset base, uint32_t count, int64_t first, int64_t last,
                  const std::string& payload) {
    uint32_t crc = batch_crc(partition, base, count, Instant{first}, Instant{last}, payload);
    sql("INSERT INTO batches(partition, base_offset, count, first_recorded_at, last_recorded_at, crc, payload) "
        "VALUES(" + std::to_string(partition) + "," + std::to_string(base) +
        "," + std::to_string(count) + "," + std::to_string(first) + "," + std::to_string(last) +
        "," + std::to_string(crc) + ",CAST('" + payload + "' AS BLOB))");
  }

  std::filesystem::path dir_;
  std::string path_;
};

std::string lines(uint32_t count, const std::string& tag) {
  std::string payload;
  for (uint32_t i = 0; i < count; ++i) {
    payload += R"({"tag":")" + tag + R"(","n":)" + std::to_string(i) + "}\n";
  }
  return payload;
}

BatchDraft draft(uint32_t partition, uint32_t count, int64_t first_seconds,
                 const std::string& tag = "x") {
  BatchDraft d;
  d.partition = partition;
  d.count = count;
  d.first_recorded_at = Instant{kStartMicros + first_seconds * kMicrosPerSecond};
  d.last_recorded_at = Instant{d.first_recorded_at.micros + 1};
  d.payload = lines(count, tag);
  return d;
}

std::vector<Offset> append_ok(EventLog& log, std::vector<BatchDraft> drafts,
                              const SourceCursor* cursor = nullptr) {
  Result<std::vector<Offset>> bases = log.append(drafts, cursor);
  EXPECT_TRUE(bases.is_ok()) << bases.status().to_string();
  return bases.is_ok() ? *bases : std::vector<Offset>{};
}

// Every batch the reader delivers, and the status it stopped with (ok at the end).
struct ReadOutcome {
  std::vector<RecordBatch> batches;
  Status stop;
};

ReadOutcome read_all(EventLog& log, uint32_t partition, Offset from) {
  ReadOutcome outcome;
  Result<std::unique_ptr<BatchReader>> reader = log.read(partition, from);
  if (!reader.is_ok()) {
    outcome.stop = reader.status();
    return outcome;
  }
  for (RecordBatch batch;;) {
    Result<bool> more = (*reader)->next(&batch);
    if (!more.is_ok()) {
      outcome.stop = more.status();
      return outcome;
    }
    if (!*more) return outcome;
    outcome.batches.push_back(batch);
  }
}

Offset end_of(EventLog& log, uint32_t partition) {
  Result<Offset> end = log.end_offset(partition);
  EXPECT_TRUE(end.is_ok());
  return end.is_ok() ? *end : 0;
}

// --- Open, reopen, refusals ------------------------------------------------------

TEST_F(EmbeddedLogTest, ReopenKeepsOffsetsAndThePartitionCount) {
  {
    auto log = open_log(4);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->partition_count(), 4u);
    EXPECT_EQ(append_ok(*log, {draft(0, 3, 0), draft(1, 2, 0), draft(0, 5, 1)}),
              (std::vector<Offset>{0, 0, 3}));
  }
  auto log = open_log(8);  // an existing log keeps its own count
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->partition_count(), 4u);
  EXPECT_EQ(end_of(*log, 0), 8u);
  EXPECT_EQ(end_of(*log, 1), 2u);
  EXPECT_EQ(end_of(*log, 3), 0u);
  EXPECT_EQ(append_ok(*log, {draft(0, 1, 2)}), std::vector<Offset>{8});
}

TEST_F(EmbeddedLogTest, MissingFileWithoutCreateIsNotFound) {
  EmbeddedLogOptions options;
  Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path_, options);
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(EmbeddedLogTest, ImpossiblePartitionCountsAreRefused) {
  for (uint32_t partitions : {0u, limits::partitions_max + 1}) {
    EmbeddedLogOptions options;
    options.create_if_missing = true;
    options.partitions = partitions;
    Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path_, options);
    ASSERT_FALSE(log.is_ok());
    EXPECT_EQ(log.status().code(), Code::kInvalidArgument);
  }
}

TEST_F(EmbeddedLogTest, AnotherFormatVersionIsRefusedClearly) {
  open_log().reset();
  sql("UPDATE meta SET value = 2 WHERE key = 'format_version'");
  EmbeddedLogOptions options;
  Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path_, options);
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(log.status().message().find("format version 2"), std::string::npos)
      << log.status().message();
  EXPECT_NE(log.status().message().find("version 1"), std::string::npos);
}

TEST_F(EmbeddedLogTest, ADatabaseThatIsNotALogIsRefused) {
  sql("CREATE TABLE something(x)");
  EmbeddedLogOptions options;
  options.create_if_missing = true;
  Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path_, options);
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kFailedPrecondition);
}

TEST_F(EmbeddedLogTest, AFileThatIsNotADatabaseIsRefused) {
  std::ofstream(path_) << std::string(8192, 'z');
  EmbeddedLogOptions options;
  Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path_, options);
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kCorruption) << log.status().to_string();
}

TEST_F(EmbeddedLogTest, MissingMetaRowIsCorruption) {
  open_log().reset();
  sql("DELETE FROM meta WHERE key = 'partitions'");
  Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(path_, EmbeddedLogOptions{});
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kCorruption);
}

// --- Append and read ---------------------------------------------------------------

TEST_F(EmbeddedLogTest, ReadsBackExactlyWhatWasAppended) {
  auto log = open_log();
  std::vector<BatchDraft> drafts = {draft(2, 3, 0, "a"), draft(2, 1, 5, "b"), draft(2, 4, 6, "c")};
  append_ok(*log, drafts);
  ReadOutcome read = read_all(*log, 2, 0);
  ASSERT_TRUE(read.stop.is_ok()) << read.stop.to_string();
  ASSERT_EQ(read.batches.size(), 3u);
  Offset expected = 0;
  for (size_t i = 0; i < drafts.size(); ++i) {
    const RecordBatch& b = read.batches[i];
    EXPECT_EQ(b.partition, 2u);
    EXPECT_EQ(b.base_offset, expected);
    EXPECT_EQ(b.count, drafts[i].count);
    EXPECT_EQ(b.first_recorded_at, drafts[i].first_recorded_at);
    EXPECT_EQ(b.last_recorded_at, drafts[i].last_recorded_at);
    EXPECT_EQ(b.payload, drafts[i].payload);
    EXPECT_EQ(b.crc, batch_crc(2, b.base_offset, b.count, b.first_recorded_at, b.last_recorded_at,
                               b.payload));
    expected = b.end_offset();
  }
  EXPECT_TRUE(read_all(*log, 0, 0).batches.empty());
}

TEST_F(EmbeddedLogTest, ReadFromInsideABatchStartsWithThatBatch) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0), draft(0, 5, 1), draft(0, 2, 2)});  // 0..2, 3..7, 8..9
  for (Offset from : {3u, 5u, 7u}) {
    ReadOutcome read = read_all(*log, 0, from);
    ASSERT_TRUE(read.stop.is_ok()) << read.stop.to_string();
    ASSERT_EQ(read.batches.size(), 2u) << from;
    EXPECT_EQ(read.batches[0].base_offset, 3u);
    EXPECT_EQ(read.batches[1].base_offset, 8u);
  }
  ReadOutcome at_end = read_all(*log, 0, 10);
  EXPECT_TRUE(at_end.stop.is_ok());
  EXPECT_TRUE(at_end.batches.empty());
}

TEST_F(EmbeddedLogTest, ReadPastTheEndOrOfAMissingPartitionIsRefused) {
  auto log = open_log(4);
  append_ok(*log, {draft(0, 3, 0)});
  EXPECT_EQ(read_all(*log, 0, 4).stop.code(), Code::kFailedPrecondition);
  EXPECT_EQ(read_all(*log, 1, 1).stop.code(), Code::kFailedPrecondition);
  EXPECT_EQ(read_all(*log, 4, 0).stop.code(), Code::kInvalidArgument);
  EXPECT_EQ(log->end_offset(4).status().code(), Code::kInvalidArgument);
}

TEST_F(EmbeddedLogTest, AReaderSeesTheLogAsItWasWhenOpened) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0)});
  Result<std::unique_ptr<BatchReader>> reader = log->read(0, 0);
  ASSERT_TRUE(reader.is_ok());
  append_ok(*log, {draft(0, 2, 1)});
  RecordBatch batch;
  Result<bool> first = (*reader)->next(&batch);
  ASSERT_TRUE(first.is_ok());
  EXPECT_TRUE(*first);
  Result<bool> second = (*reader)->next(&batch);
  ASSERT_TRUE(second.is_ok());
  EXPECT_FALSE(*second);
  EXPECT_EQ(read_all(*log, 0, 0).batches.size(), 2u);
}

TEST_F(EmbeddedLogTest, AReaderMayOutliveItsLog) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0), draft(0, 1, 1)});
  Result<std::unique_ptr<BatchReader>> reader = log->read(0, 0);
  ASSERT_TRUE(reader.is_ok());
  log.reset();
  RecordBatch batch;
  int delivered = 0;
  for (;;) {
    Result<bool> more = (*reader)->next(&batch);
    ASSERT_TRUE(more.is_ok()) << more.status().to_string();
    if (!*more) break;
    ++delivered;
  }
  EXPECT_EQ(delivered, 2);
}

TEST_F(EmbeddedLogTest, SummaryComesFromTheIndex) {
  auto log = open_log(3);
  append_ok(*log, {draft(0, 3, 0), draft(0, 2, 10), draft(2, 1, 4)});
  Result<std::vector<PartitionSummary>> summary = log->summary();
  ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
  ASSERT_EQ(summary->size(), 3u);
  const PartitionSummary& zero = (*summary)[0];
  EXPECT_EQ(zero.batches, 2u);
  EXPECT_EQ(zero.end_offset, 5u);
  EXPECT_EQ(zero.first_recorded_at, Instant{kStartMicros});
  EXPECT_EQ(zero.last_recorded_at, Instant{kStartMicros + 10 * kMicrosPerSecond + 1});
  EXPECT_EQ((*summary)[1].batches, 0u);
  EXPECT_FALSE((*summary)[1].first_recorded_at.has_value());
  EXPECT_EQ((*summary)[2].end_offset, 1u);
}

// --- Cursors and atomicity -------------------------------------------------------

TEST_F(EmbeddedLogTest, TheCursorIsStoredWithItsBatches) {
  {
    auto log = open_log();
    SourceCursor cursor{"file-a", 3, 120, 0xDEADBEEF};
    append_ok(*log, {draft(0, 3, 0)}, &cursor);
    cursor.lines = 5;
    cursor.bytes = 200;
    append_ok(*log, {draft(1, 2, 0)}, &cursor);
    Result<std::optional<SourceCursor>> unknown = log->source_cursor("file-b");
    ASSERT_TRUE(unknown.is_ok());
    EXPECT_FALSE(unknown->has_value());
  }
  auto log = open_log();
  Result<std::optional<SourceCursor>> stored = log->source_cursor("file-a");
  ASSERT_TRUE(stored.is_ok());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->source_id, "file-a");
  EXPECT_EQ((*stored)->lines, 5u);
  EXPECT_EQ((*stored)->bytes, 200u);
  EXPECT_EQ((*stored)->prefix_crc, 0xDEADBEEFu);
}

TEST_F(EmbeddedLogTest, ACursorAloneMayBeAppended) {
  auto log = open_log();
  SourceCursor cursor{"empty-file", 0, 0, 0};
  EXPECT_TRUE(append_ok(*log, {}, &cursor).empty());
  Result<std::optional<SourceCursor>> stored = log->source_cursor("empty-file");
  ASSERT_TRUE(stored.is_ok());
  EXPECT_TRUE(stored->has_value());
}

TEST_F(EmbeddedLogTest, ABusyLogWritesNothingAndKeepsItsOffsets) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0)});
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(open_log(), nullptr);  // opening an existing log waits for no lock

  SourceCursor cursor{"file-a", 7, 700, 1};
  std::vector<BatchDraft> group = {draft(0, 2, 1), draft(1, 4, 1)};
  Result<std::vector<Offset>> busy = log->append(group, &cursor);
  ASSERT_FALSE(busy.is_ok());
  EXPECT_EQ(busy.status().code(), Code::kBusy) << busy.status().to_string();
  EXPECT_EQ(end_of(*log, 0), 3u);
  EXPECT_EQ(end_of(*log, 1), 0u);

  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_EQ(read_all(*log, 0, 0).batches.size(), 1u);
  EXPECT_FALSE(log->source_cursor("file-a")->has_value());
  EXPECT_EQ(append_ok(*log, group, &cursor), (std::vector<Offset>{3, 0}));
  EXPECT_EQ(end_of(*log, 0), 5u);
}

TEST_F(EmbeddedLogTest, AFailingGroupRollsBackItsEarlierBatchesAndCursor) {
  auto log = open_log();
  auto intruder = open_log();  // a second writer: breaks the one-writer rule
  append_ok(*intruder, {draft(1, 2, 0)});

  SourceCursor cursor{"file-a", 9, 900, 2};
  std::vector<BatchDraft> group = {draft(0, 3, 0), draft(2, 1, 0), draft(1, 4, 1)};
  Result<std::vector<Offset>> failed = log->append(group, &cursor);
  ASSERT_FALSE(failed.is_ok());
  EXPECT_EQ(failed.status().code(), Code::kFailedPrecondition) << failed.status().to_string();

  EXPECT_EQ(end_of(*log, 0), 0u);
  EXPECT_EQ(end_of(*log, 2), 0u);
  EXPECT_TRUE(read_all(*log, 0, 0).batches.empty());
  EXPECT_TRUE(read_all(*log, 2, 0).batches.empty());
  EXPECT_EQ(read_all(*log, 1, 0).batches.size(), 1u);
  EXPECT_FALSE(log->source_cursor("file-a")->has_value());
  // The log still works for partitions the intruder did not touch.
  EXPECT_EQ(append_ok(*log, {draft(0, 3, 0)}), std::vector<Offset>{0});
}

// --- Corruption --------------------------------------------------------------------

TEST_F(EmbeddedLogTest, AFlippedPayloadByteStopsTheReaderAtThatBatch) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0, "a"), draft(0, 2, 1, "secret"), draft(0, 1, 2, "c")});
  std::string damaged = lines(2, "secret");
  damaged[10] ^= 0x01;
  set_payload(0, 3, damaged);

  ReadOutcome read = read_all(*log, 0, 0);
  ASSERT_EQ(read.batches.size(), 1u);
  EXPECT_EQ(read.batches[0].base_offset, 0u);
  EXPECT_EQ(read.stop.code(), Code::kCorruption);
  const std::string& message = read.stop.message();
  EXPECT_NE(message.find("partition 0"), std::string::npos) << message;
  EXPECT_NE(message.find("offset 3"), std::string::npos) << message;
  EXPECT_NE(message.find("CRC"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << "a payload byte leaked: " << message;
}

TEST_F(EmbeddedLogTest, AFlippedByteOfACompressedPayloadIsCaught) {
  auto log = open_log();
  append_ok(*log, {draft(0, 200, 0, "compressible")});  // repetitive lines: stored LZ4-compressed
  EXPECT_EQ(sql_int("SELECT codec FROM batches WHERE partition = 0"), 1);
  for (int at : {0, 7, 40}) {
    const std::string byte = "substr(payload, " + std::to_string(at + 1) + ", 1)";
    sql("UPDATE batches SET payload = CAST(substr(payload, 1, " + std::to_string(at) + ") || (CASE WHEN " + byte +
        " = x'00' THEN x'01' ELSE x'00' END) || substr(payload, " + std::to_string(at + 2) +
        ") AS BLOB) WHERE partition = 0");
    ReadOutcome read = read_all(*log, 0, 0);
    EXPECT_TRUE(read.batches.empty());
    EXPECT_EQ(read.stop.code(), Code::kCorruption) << at;
  }
}

TEST_F(EmbeddedLogTest, ACorruptReaderKeepsFailing) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0)});
  set_payload(0, 0, lines(3, "y"));
  Result<std::unique_ptr<BatchReader>> reader = log->read(0, 0);
  ASSERT_TRUE(reader.is_ok());
  RecordBatch batch;
  EXPECT_EQ((*reader)->next(&batch).status().code(), Code::kCorruption);
  EXPECT_EQ((*reader)->next(&batch).status().code(), Code::kCorruption);
}

TEST_F(EmbeddedLogTest, AChangedHeaderFieldFailsTheCrc) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0)});
  sql("UPDATE batches SET first_recorded_at = first_recorded_at - 1");
  ReadOutcome read = read_all(*log, 0, 0);
  EXPECT_EQ(read.stop.code(), Code::kCorruption);
  EXPECT_NE(read.stop.message().find("CRC"), std::string::npos) << read.stop.message();
}

TEST_F(EmbeddedLogTest, AMissingMiddleBatchBreaksContinuity) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0), draft(0, 2, 1), draft(0, 4, 2)});
  sql("DELETE FROM batches WHERE partition = 0 AND base_offset = 3");
  ReadOutcome read = read_all(*log, 0, 0);
  ASSERT_EQ(read.batches.size(), 1u);
  EXPECT_EQ(read.stop.code(), Code::kCorruption);
  EXPECT_NE(read.stop.message().find("offset 5"), std::string::npos) << read.stop.message();
  EXPECT_NE(read.stop.message().find("continue"), std::string::npos) << read.stop.message();
  // Reading from inside the lost batch fails at once.
  ReadOutcome inside = read_all(*log, 0, 4);
  EXPECT_TRUE(inside.batches.empty());
  EXPECT_EQ(inside.stop.code(), Code::kCorruption);
}

TEST_F(EmbeddedLogTest, AMissingFirstBatchIsReported) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0), draft(0, 2, 1)});
  sql("DELETE FROM batches WHERE partition = 0 AND base_offset = 0");
  ReadOutcome read = read_all(*log, 0, 0);
  EXPECT_TRUE(read.batches.empty());
  EXPECT_EQ(read.stop.code(), Code::kCorruption);
}

TEST_F(EmbeddedLogTest, ALineCountThatDisagreesWithTheHeaderIsCorruption) {
  open_log().reset();
  insert_row(0, 0, 3, kStartMicros, kStartMicros, lines(2, "a"));
  auto log = open_log();
  ReadOutcome read = read_all(*log, 0, 0);
  EXPECT_EQ(read.stop.code(), Code::kCorruption);
  EXPECT_NE(read.stop.message().find("3 event lines"), std::string::npos) << read.stop.message();
}

TEST_F(EmbeddedLogTest, AnEmptyLineIsCorruption) {
  open_log().reset();
  insert_row(0, 0, 2, kStartMicros, kStartMicros, "{}\n\n");
  auto log = open_log();
  EXPECT_EQ(read_all(*log, 0, 0).stop.code(), Code::kCorruption);
}

TEST_F(EmbeddedLogTest, RecordedAtGoingBackwardsIsCorruption) {
  open_log().reset();
  insert_row(0, 0, 1, kStartMicros, kStartMicros + 100, lines(1, "a"));
  insert_row(0, 1, 1, kStartMicros + 99, kStartMicros + 200, lines(1, "b"));
  auto log = open_log();
  ReadOutcome read = read_all(*log, 0, 0);
  ASSERT_EQ(read.batches.size(), 1u);
  EXPECT_EQ(read.stop.code(), Code::kCorruption);
  EXPECT_NE(read.stop.message().find("recordedAt"), std::string::npos) << read.stop.message();
}

TEST_F(EmbeddedLogTest, OverlappingBatchesAreCorruption) {
  open_log().reset();
  insert_row(0, 0, 3, kStartMicros, kStartMicros, lines(3, "a"));
  insert_row(0, 2, 1, kStartMicros, kStartMicros, lines(1, "b"));
  auto log = open_log();
  ReadOutcome read = read_all(*log, 0, 0);
  EXPECT_EQ(read.batches.size(), 1u);
  EXPECT_EQ(read.stop.code(), Code::kCorruption);
}

// --- verify_log ------------------------------------------------------------------------

TEST_F(EmbeddedLogTest, VerifyCountsEveryPartitionAndReportsEachCorruption) {
  auto log = open_log(3);
  append_ok(*log, {draft(0, 3, 0), draft(0, 2, 1), draft(1, 4, 0), draft(1, 1, 3)});
  Result<VerifyReport> clean = verify_log(*log);
  ASSERT_TRUE(clean.is_ok()) << clean.status().to_string();
  EXPECT_TRUE(clean->is_clean());
  ASSERT_EQ(clean->partitions.size(), 3u);
  EXPECT_EQ(clean->partitions[0].batches, 2u);
  EXPECT_EQ(clean->partitions[0].events, 5u);
  EXPECT_EQ(clean->partitions[0].end_offset, 5u);
  EXPECT_EQ(clean->partitions[0].first_recorded_at, Instant{kStartMicros});
  EXPECT_EQ(clean->partitions[1].last_recorded_at,
            Instant{kStartMicros + 3 * kMicrosPerSecond + 1});
  EXPECT_EQ(clean->partitions[2].batches, 0u);
  EXPECT_FALSE(clean->partitions[2].first_recorded_at.has_value());

  set_payload(0, 3, lines(2, "z"));
  Result<VerifyReport> damaged = verify_log(*log);
  ASSERT_TRUE(damaged.is_ok()) << damaged.status().to_string();
  EXPECT_EQ(damaged->error_count(), 1u);
  EXPECT_EQ(damaged->partitions[0].error.code(), Code::kCorruption);
  EXPECT_EQ(damaged->partitions[0].batches, 1u);  // verified before the damage
  EXPECT_TRUE(damaged->partitions[1].error.is_ok());
  EXPECT_EQ(damaged->partitions[1].events, 5u);
}

// --- Threads ----------------------------------------------------------------------------

TEST_F(EmbeddedLogTest, AReaderOnAnotherThreadWhileAppending) {
  auto log = open_log(2);
  constexpr int kGroups = 60;
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    Offset previous_end = 0;
    while (writing.load() || reads.load() == 0) {
      ReadOutcome read = read_all(*log, 1, 0);  // read() is safe from any thread
      Offset end = read.batches.empty() ? 0 : read.batches.back().end_offset();
      if (!read.stop.is_ok() || end < previous_end) failures.fetch_add(1);
      for (const RecordBatch& b : read.batches) {
        if (b.payload != lines(b.count, "t")) failures.fetch_add(1);
      }
      previous_end = end;
      reads.fetch_add(1);
    }
  });
  for (int i = 0; i < kGroups; ++i) {
    append_ok(*log, {draft(0, 2, i, "t"), draft(1, 3, i, "t")});
  }
  writing.store(false);
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  RecordProperty("reads_while_appending", reads.load());
  EXPECT_EQ(read_all(*log, 1, 0).batches.size(), size_t{kGroups});
}

// --- Broken invariants stop the process ----------------------------------------------

TEST_F(EmbeddedLogTest, IllFormedDraftsAreBrokenInvariants) {
  auto log = open_log(2);
  append_ok(*log, {draft(0, 1, 10)});
  auto append_one = [&](BatchDraft d) { (void)log->append(std::span(&d, 1), nullptr); };
  BatchDraft no_events = draft(0, 1, 20);
  no_events.count = 0;
  no_events.payload.clear();
  EXPECT_DEATH(append_one(no_events), "invariant broken");
  BatchDraft wrong_count = draft(0, 2, 20);
  wrong_count.count = 3;
  EXPECT_DEATH(append_one(wrong_count), "invariant broken");
  BatchDraft no_final_newline = draft(0, 1, 20);
  no_final_newline.payload.pop_back();
  EXPECT_DEATH(append_one(no_final_newline), "invariant broken");
  BatchDraft reversed = draft(0, 1, 20);
  reversed.last_recorded_at.micros = reversed.first_recorded_at.micros - 1;
  EXPECT_DEATH(append_one(reversed), "invariant broken");
  EXPECT_DEATH(append_one(draft(0, 1, 5)), "invariant broken");   // before the last one
  EXPECT_DEATH(append_one(draft(2, 1, 20)), "invariant broken");  // no partition 2
  EXPECT_EQ(end_of(*log, 0), 1u);
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

// A full disk, the way SQLite meets one (max_page_count): the append stores
// nothing, end offsets stay what the file holds, and appends work again once
// there is room, on the same open log.
TEST_F(EmbeddedLogTest, AFullLogStoresNothingAndAppendsAgainOnceThereIsRoom) {
  auto log = open_log();
  append_ok(*log, {draft(0, 3, 0)});
  ASSERT_TRUE(log->set_size_limit(1).is_ok());  // the smallest: SQLite keeps the pages in use
  BatchDraft big = draft(1, 2, 1);
  std::mt19937 random(7);
  while (big.payload.size() < 400'000) {  // random letters: LZ4 cannot shrink them much
    big.count += 1;
    std::string line = "{\"n\":\"";
    for (int j = 0; j < 200; ++j) line += static_cast<char>('a' + random() % 26);
    big.payload += line + "\"}\n";
  }
  Result<std::vector<Offset>> full = log->append(std::vector<BatchDraft>{big}, nullptr);
  ASSERT_FALSE(full.is_ok());
  EXPECT_EQ(full.status().code(), Code::kIoError);
  EXPECT_NE(full.status().message().find("full"), std::string::npos) << full.status().to_string();
  EXPECT_EQ(end_of(*log, 1), 0u);
  EXPECT_EQ(end_of(*log, 0), 3u);
  ASSERT_TRUE(log->set_size_limit(0).is_ok());
  EXPECT_EQ(append_ok(*log, {big}), std::vector<Offset>{0});
  EXPECT_EQ(read_all(*log, 1, 0).batches.size(), 1u);
}

}  // namespace
}  // namespace dimona
