// The reader cache (engine/log/reader_cache.h): reads by offset answered from the local copy give
// the log's records field for field; whatever the copy cannot answer goes to the log, with the
// log's answer; a copy of another log, or of a log that changed under it, is emptied and copied
// again; a damaged row never fails a read. Over memory logs (a fresh "memory:" log each, all with
// the same URI: the case of a topic deleted and made again), and once over Kafka on the mock
// cluster (127.0.0.1).
#include "engine/log/reader_cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/log/kafka_mock.h"
#include "tests/engine/log_test_support.h"

namespace dimona {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kPartitions = 2;
constexpr int64_t kStartMicros = 1'750'000'000 * kMicrosPerSecond;

std::string cache_path(const std::string& name) {
  return ::testing::TempDir() + "dimona-reader-cache-" + std::to_string(::getpid()) + "-" + name + ".db";
}

void remove_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

std::unique_ptr<Log> fresh_log(const std::string& uri = "memory:") {
  LogOptions options;
  options.partitions = kPartitions;
  options.memory_fences_writers = true;  // records with epochs, and a fence record
  Result<std::unique_ptr<Log>> log = open_log(uri, options);
  EXPECT_TRUE(log.is_ok()) << log.status().to_string();
  return log.is_ok() ? std::move(log).value() : nullptr;
}

// Appends `count` records "<prefix>-<i>" to partition (after a fence when `fence`); every
// other one with a source, the payloads of different lengths.
void append(Log& log, uint32_t partition, const std::string& prefix, size_t count, bool fence = true) {
  Result<std::unique_ptr<LogProducer>> producer = log.open_producer(partition);
  ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
  if (fence && log.fences_writers()) {
    ASSERT_TRUE((*producer)->fence().is_ok());
  }
  std::vector<std::string> ids, payloads, sources;
  for (size_t i = 0; i < count; ++i) {
    ids.push_back(prefix + "-" + std::to_string(i));
    payloads.push_back("{\"eventId\":\"" + ids.back() + "\",\"pad\":\"" + std::string(i % 97, 'x') + "\"}");
    sources.push_back(i % 2 == 0 ? "file:c0ffee:" + std::to_string(i) : "");
  }
  std::vector<LogRecordDraft> drafts;
  for (size_t i = 0; i < count; ++i)
    drafts.push_back({ids[i], "05031412595", "DimonaInDeclared", 3,
                      Instant{kStartMicros + static_cast<int64_t>(i) * 1000}, payloads[i], sources[i]});
  ASSERT_TRUE((*producer)->append(drafts).is_ok());
}

std::vector<LogRecord> read_at(Log& log, uint32_t partition, const std::vector<Offset>& offsets,
                               Status* status = nullptr) {
  std::vector<LogRecord> out;
  Result<std::unique_ptr<LogConsumer>> reader = log.open_reader();
  EXPECT_TRUE(reader.is_ok());
  if (!reader.is_ok()) return out;
  Status s = (*reader)->read_at(partition, offsets, [&](LogRecord& r) {
    out.push_back(r);
    return Status::ok();
  });
  if (status != nullptr) {
    *status = s;
  } else {
    EXPECT_TRUE(s.is_ok()) << s.to_string();
  }
  return out;
}

void expect_same(const std::vector<LogRecord>& got, const std::vector<LogRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i));
    EXPECT_EQ(got[i].partition, want[i].partition);
    EXPECT_EQ(got[i].offset, want[i].offset);
    EXPECT_EQ(got[i].recorded_at, want[i].recorded_at);
    EXPECT_EQ(got[i].schema_version, want[i].schema_version);
    EXPECT_EQ(got[i].epoch, want[i].epoch);
    EXPECT_EQ(got[i].event_id, want[i].event_id);
    EXPECT_EQ(got[i].key, want[i].key);
    EXPECT_EQ(got[i].type, want[i].type);
    EXPECT_EQ(got[i].source, want[i].source);
    EXPECT_EQ(got[i].payload, want[i].payload);
  }
}

class ReaderCache : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = cache_path(::testing::UnitTest::GetInstance()->current_test_info()->name());
    remove_files(path_);
  }
  void TearDown() override { remove_files(path_); }

  // The cache over `inner`, its copy waited for up to each partition's end.
  std::unique_ptr<ReaderCacheLog> cached(std::unique_ptr<Log> inner) {
    Result<std::unique_ptr<ReaderCacheLog>> log = with_reader_cache(std::move(inner), path_);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    if (!log.is_ok()) return nullptr;
    wait_copied(**log);
    return std::move(log).value();
  }

  static void wait_copied(ReaderCacheLog& log) {
    std::vector<Offset> ends(log.partitions());
    Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
    ASSERT_TRUE(consumer.is_ok());
    for (uint32_t p = 0; p < log.partitions(); ++p) {
      Result<Offset> end = (*consumer)->end_offset(p);
      ASSERT_TRUE(end.is_ok());
      ends[p] = *end;
    }
    ASSERT_TRUE(log.wait_copied(ends, 20s)) << "the mirror did not copy the log in 20 s";
  }

  // Runs a statement on the cache file from outside (a damaged or doctored file).
  void doctor(const std::string& sql) const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  std::string path_;
};

TEST_F(ReaderCache, ReadsByOffsetComeFromTheCopyFieldForField) {
  std::unique_ptr<Log> inner = fresh_log();
  append(*inner, 0, "a", 60);
  append(*inner, 1, "b", 7);
  const std::vector<Offset> wanted = {0, 1, 2, 17, 59, 60};  // the fence, then records
  const std::vector<LogRecord> from_log = read_at(*inner, 0, wanted);
  ASSERT_EQ(from_log.size(), wanted.size());
  ASSERT_TRUE(from_log[0].is_fence());

  std::unique_ptr<ReaderCacheLog> log = cached(std::move(inner));
  ASSERT_NE(log, nullptr);
  expect_same(read_at(*log, 0, wanted), from_log);
  EXPECT_EQ(log->stats().hits, 1u);
  EXPECT_EQ(log->stats().misses, 0u);
  EXPECT_EQ(log->stats().records_copied, 61u + 8u);
  // It holds SSINs: its owner's only, as every file of the data folder.
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(ReaderCache, WhatTheCopyCannotAnswerGoesToTheLog) {
  std::unique_ptr<ReaderCacheLog> log = cached(fresh_log());
  ASSERT_NE(log, nullptr);
  append(*log, 0, "a", 10);  // through the cache's Log: the producer is the log's own
  Status status;
  (void)read_at(*log, 0, {3, 11}, &status);  // 11: past the end, refused as the log refuses it
  EXPECT_EQ(status.code(), Code::kFailedPrecondition) << status.to_string();
  (void)read_at(*log, 5, {0}, &status);
  EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.to_string();
  wait_copied(*log);
  const uint64_t hits = log->stats().hits;
  std::vector<LogRecord> got = read_at(*log, 0, {1, 10});  // copied by now
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].event_id, "a-9");
  EXPECT_EQ(log->stats().hits, hits + 1);
  EXPECT_GE(log->stats().misses, 2u);
}

TEST_F(ReaderCache, AReaderPollsAfterACachedReadAsAfterTheLogsOwn) {
  std::unique_ptr<Log> inner = fresh_log();
  append(*inner, 1, "b", 20);
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(inner));
  ASSERT_NE(log, nullptr);
  Result<std::unique_ptr<LogConsumer>> reader = log->open_reader();
  ASSERT_TRUE(reader.is_ok());
  const Offset wanted[] = {4};
  ASSERT_TRUE((*reader)->read_at(1, wanted, [](LogRecord&) { return Status::ok(); }).is_ok());
  EXPECT_EQ(log->stats().hits, 1u);
  // The assignment is partition 1 alone, as after the log's read_at: a seek and a poll follow.
  ASSERT_TRUE((*reader)->seek(1, 15).is_ok());
  std::vector<LogRecord> records;
  Result<size_t> got = (*reader)->poll(records, 1s, 3);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  ASSERT_EQ(*got, 3u);
  EXPECT_EQ(records[0].offset, 15u);
  EXPECT_EQ(records[0].event_id, "b-14");
  EXPECT_EQ((*reader)->seek(0, 0).code(), Code::kInvalidArgument);  // not assigned
}

TEST_F(ReaderCache, AFileOfAnotherLogIsEmptied) {
  {
    std::unique_ptr<Log> first = fresh_log("memory:reader-cache-first");
    append(*first, 0, "first", 30);
    ASSERT_NE(cached(std::move(first)), nullptr);
  }
  std::unique_ptr<Log> second = fresh_log("memory:reader-cache-second");
  append(*second, 0, "second", 5);
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(second));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->stats().records_copied, 6u);
  Status status;
  (void)read_at(*log, 0, {20}, &status);  // the first log's offset: not in this one
  EXPECT_EQ(status.code(), Code::kFailedPrecondition);
  std::vector<LogRecord> got = read_at(*log, 0, {5});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event_id, "second-4");
}

// The same URI ("memory:"), another log: as a topic deleted and made again.
TEST_F(ReaderCache, ALogThatEndsBeforeTheCopyIsCopiedAgain) {
  {
    std::unique_ptr<Log> before = fresh_log();
    append(*before, 0, "before", 30);
    ASSERT_NE(cached(std::move(before)), nullptr);
  }
  std::unique_ptr<Log> after = fresh_log();
  append(*after, 0, "after", 4);
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(after));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->stats().partitions_reset, 1u);
  std::vector<LogRecord> got = read_at(*log, 0, {1, 4});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].event_id, "after-3");
  EXPECT_EQ(log->stats().hits, 1u);
}

TEST_F(ReaderCache, ALogThatDiffersAtTheCopysEndIsCopiedAgain) {
  {
    std::unique_ptr<Log> before = fresh_log();
    append(*before, 1, "before", 10);
    ASSERT_NE(cached(std::move(before)), nullptr);
  }
  std::unique_ptr<Log> after = fresh_log();
  append(*after, 1, "after", 12);  // longer, and other records at the copy's last offset
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(after));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->stats().partitions_reset, 1u);
  std::vector<LogRecord> got = read_at(*log, 1, {3, 10, 12});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].event_id, "after-2");
  EXPECT_EQ(got[2].event_id, "after-11");
}

TEST_F(ReaderCache, ACopyOfTheSameLogIsKeptAcrossOpens) {
  std::unique_ptr<Log> inner = fresh_log("memory:reader-cache-kept");
  append(*inner, 0, "kept", 25);
  { ASSERT_NE(cached(fresh_log("memory:reader-cache-kept")), nullptr); }
  std::unique_ptr<ReaderCacheLog> log = cached(fresh_log("memory:reader-cache-kept"));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->stats().records_copied, 0u);  // all there already, checked at its end
  EXPECT_EQ(log->stats().partitions_reset, 0u);
  EXPECT_EQ(read_at(*log, 0, {25}).at(0).event_id, "kept-24");
}

TEST_F(ReaderCache, ADamagedRowFallsBackToTheLog) {
  std::unique_ptr<Log> inner = fresh_log();
  append(*inner, 0, "a", 12);
  const std::vector<LogRecord> from_log = read_at(*inner, 0, {2, 7});
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(inner));
  ASSERT_NE(log, nullptr);
  doctor("UPDATE records SET record = x'0102' WHERE id = 7");  // partition 0, offset 7
  expect_same(read_at(*log, 0, {2, 7}), from_log);
  EXPECT_EQ(log->stats().hits, 0u);
  EXPECT_EQ(log->stats().misses, 1u);
  doctor("DELETE FROM records WHERE id = 2");  // a row missing inside the range
  expect_same(read_at(*log, 0, {2, 7}), from_log);
  EXPECT_EQ(log->stats().misses, 2u);
}

// A file the cache cannot read as its own is a cache's: removed and made again.
TEST_F(ReaderCache, AFileThatIsNoDatabaseIsMadeAgain) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("not a database, but long enough to be read as a header of one ....................", f);
    std::fclose(f);
  }
  std::unique_ptr<Log> inner = fresh_log();
  append(*inner, 0, "a", 9);
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(inner));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(read_at(*log, 0, {9}).at(0).event_id, "a-8");
  EXPECT_EQ(log->stats().hits, 1u);
}

TEST_F(ReaderCache, TablesOfAnotherShapeAreMadeAgain) {
  doctor("CREATE TABLE ranges(partition INTEGER PRIMARY KEY, other TEXT); CREATE TABLE records(x, y, z)");
  std::unique_ptr<Log> inner = fresh_log();
  append(*inner, 1, "b", 4);
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(inner));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(read_at(*log, 1, {1, 4}).at(1).event_id, "b-3");
  EXPECT_EQ(log->stats().hits, 1u);
}

// A ranges row changed from outside to values the keys cannot hold: the copy is emptied and
// made again, never trusted, never a crash.
TEST_F(ReaderCache, ARangeTheKeysCannotHoldIsCopiedAgain) {
  const char* doctored[] = {"first = -1", "first = 5, end = 5", "end = 0", "end = 1099511627777",
                            "first = 1099511627776, end = 1099511627777"};  // (STRICT: no REAL)
  for (const char* change : doctored) {
    SCOPED_TRACE(change);
    std::unique_ptr<Log> inner = fresh_log("memory:reader-cache-doctored");
    if (change == doctored[0]) append(*inner, 0, "d", 20);
    ASSERT_NE(cached(std::move(inner)), nullptr);
    doctor(std::string("UPDATE ranges SET ") + change + " WHERE partition = 0");
    std::unique_ptr<ReaderCacheLog> log = cached(fresh_log("memory:reader-cache-doctored"));
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->stats().partitions_reset, 1u);
    EXPECT_EQ(log->stats().records_copied, 21u);
    std::vector<LogRecord> got = read_at(*log, 0, {3, 20});
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].event_id, "d-19");
    EXPECT_EQ(log->stats().hits, 1u);
  }
}

// Readers on several threads while the mirror copies what a producer appends: every read gives
// the log's records (from the copy or from the log), under the sanitizers too.
TEST_F(ReaderCache, ReadersWhileTheMirrorCopiesGetTheLogsRecords) {
  std::unique_ptr<ReaderCacheLog> log = cached(fresh_log());
  ASSERT_NE(log, nullptr);
  constexpr int kBatches = 40;
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      Result<std::unique_ptr<LogConsumer>> reader = log->open_reader();
      if (!reader.is_ok()) return ++wrong, void();
      uint64_t round = 0;
      while (!done.load()) {
        // Offsets 1..: record i of a batch b is "w<b>-<i>" at 1 + b * 10 + i (the fence at 0).
        const Offset a = 1 + (round * 7 + static_cast<uint64_t>(t)) % 50, b = a + 3 + round % 5;
        const Offset wanted[] = {a, b};
        std::vector<std::string> ids;
        Status s = (*reader)->read_at(0, wanted, [&](LogRecord& r) {
          ids.push_back(r.event_id);
          return Status::ok();
        });
        ++round;
        if (s.code() == Code::kFailedPrecondition) continue;  // not appended yet
        if (!s.is_ok() || ids.size() != 2) {
          ++wrong;
          continue;
        }
        for (size_t k = 0; k < 2; ++k) {
          const Offset o = wanted[k] - 1;
          if (ids[k] != "w" + std::to_string(o / 10) + "-" + std::to_string(o % 10)) ++wrong;
        }
      }
    });
  }
  {
    Result<std::unique_ptr<LogProducer>> producer = log->open_producer(0);
    ASSERT_TRUE(producer.is_ok());
    ASSERT_TRUE((*producer)->fence().is_ok());
    for (int b = 0; b < kBatches; ++b) {
      std::vector<std::string> ids;
      for (int i = 0; i < 10; ++i) ids.push_back("w" + std::to_string(b) + "-" + std::to_string(i));
      std::vector<LogRecordDraft> drafts;
      for (const std::string& id : ids)
        drafts.push_back({id, "05031412595", "DimonaInDeclared", 3, Instant{kStartMicros}, "{}", ""});
      ASSERT_TRUE((*producer)->append(drafts).is_ok());
      std::this_thread::sleep_for(2ms);
    }
  }
  wait_copied(*log);
  std::this_thread::sleep_for(50ms);
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(log->stats().hits, 0u);
}

// A consumer group's member copies the partitions it holds: the others' reads go to the log.
TEST_F(ReaderCache, ACopyOfSomePartitionsAnswersTheirReadsAlone) {
  std::unique_ptr<Log> inner = fresh_log();
  append(*inner, 0, "a", 6);
  append(*inner, 1, "b", 6);
  Result<std::unique_ptr<ReaderCacheLog>> opened = with_reader_cache(std::move(inner), path_);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  ReaderCacheLog& log = **opened;
  log.copy_only({1});
  // The mirror may have copied both before it sees the change; once it has, partition 0's reads
  // go to the log, and stay there.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (log.stats().misses == 0 && std::chrono::steady_clock::now() < deadline) {
    EXPECT_EQ(read_at(log, 0, {6}).at(0).event_id, "a-5");
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GT(log.stats().misses, 0u) << "partition 0's copy still answered 20 s after copy_only({1})";
  const Offset only_one[] = {0, 7};
  ASSERT_TRUE(log.wait_copied(only_one, 20s));
  const ReaderCacheStats before = log.stats();
  EXPECT_EQ(read_at(log, 1, {6}).at(0).event_id, "b-5");
  EXPECT_EQ(read_at(log, 0, {6}).at(0).event_id, "a-5");
  EXPECT_EQ(log.stats().hits, before.hits + 1);
  EXPECT_EQ(log.stats().misses, before.misses + 1);
  log.copy_only({});  // every partition again
  wait_copied(log);
  EXPECT_EQ(read_at(log, 0, {6}).at(0).event_id, "a-5");
  EXPECT_EQ(log.stats().hits, before.hits + 2);
}

TEST_F(ReaderCache, EveryOtherCallIsTheLogs) {
  std::unique_ptr<Log> inner = fresh_log("memory:reader-cache-calls");
  Log* raw = inner.get();
  std::unique_ptr<ReaderCacheLog> log = cached(std::move(inner));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->uri(), raw->uri());
  EXPECT_EQ(log->partitions(), raw->partitions());
  EXPECT_EQ(log->fences_writers(), raw->fences_writers());
  EXPECT_EQ(log->has_groups(), raw->has_groups());
  EXPECT_EQ(log->parallel_appends(), raw->parallel_appends());
  append(*log, 1, "c", 3);
  EXPECT_EQ(testing::read_all(*raw, 1).size(), 4u);
  EXPECT_EQ(testing::read_all(*log, 1).size(), 4u);
}

// On Kafka (the mock cluster): the records, epochs and fences as the topic's consumer reads them.
TEST(ReaderCacheOnKafka, ReadsByOffsetComeFromTheCopyFieldForField) {
  const std::string topic = "reader-cache-" + std::to_string(::getpid());
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic, kPartitions, 1).is_ok());
  const std::string path = cache_path("kafka");
  remove_files(path);
  std::unique_ptr<Log> inner = fresh_log("kafka://" + testing::mock_cluster().bootstrap() + "/" + topic);
  ASSERT_NE(inner, nullptr);
  append(*inner, 0, "k", 40);
  append(*inner, 1, "l", 3);
  const std::vector<Offset> wanted = {0, 1, 9, 33, 40};
  const std::vector<LogRecord> from_log = read_at(*inner, 0, wanted);
  ASSERT_EQ(from_log.size(), wanted.size());
  Result<std::unique_ptr<ReaderCacheLog>> log = with_reader_cache(std::move(inner), path);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  const Offset ends[] = {41, 4};
  ASSERT_TRUE((*log)->wait_copied(ends, 30s));
  expect_same(read_at(**log, 0, wanted), from_log);
  EXPECT_EQ((*log)->stats().hits, 1u);
  log->reset();
  remove_files(path);
}

}  // namespace
}  // namespace dimona
