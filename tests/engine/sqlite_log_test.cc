// The embedded backend of the log seam (engine/log/sqlite_log.cc) beyond the
// conformance suite: what only a file has. Persistence, the format check,
// corruption found on read, the size cap, the file's mode, a missing file,
// and a writer or a reader on another connection, as another process is.
#include "engine/log/log.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/limits.h"
#include "engine/base/time.h"
#include "engine/log/log_tools.h"
#include "engine/log/sqlite_frames.h"

namespace dimona {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kStartMicros = 1'750'000'000 * kMicrosPerSecond;

struct Batch {
  std::vector<std::string> ids, payloads, sources;
  std::vector<Instant> recorded_at;
  std::string key = "05031412595", type = "DimonaInDeclared";
  uint32_t schema_version = 3;

  void add(std::string id, Instant at, std::string payload) {
    ids.push_back(std::move(id));
    payloads.push_back(std::move(payload));
    recorded_at.push_back(at);
    sources.push_back("file:c0ffee:" + std::to_string(ids.size()));
  }
  std::vector<LogRecordDraft> drafts() const {
    std::vector<LogRecordDraft> result;
    for (size_t i = 0; i < ids.size(); ++i) {
      result.push_back({ids[i], key, type, schema_version, recorded_at[i], payloads[i], sources[i]});
    }
    return result;
  }
};

Batch make_batch(const std::string& prefix, size_t count, int64_t start = kStartMicros, size_t payload_bytes = 40) {
  Batch batch;
  for (size_t i = 0; i < count; ++i) {
    std::string payload = "{\"eventId\":\"" + prefix + std::to_string(i) + "\",\"pad\":\"";
    payload.append(payload_bytes > payload.size() ? payload_bytes - payload.size() : 0, 'x');
    batch.add(prefix + "-" + std::to_string(i), Instant{start + static_cast<int64_t>(i) * 1000}, payload + "\"}");
  }
  return batch;
}

// Bytes LZ4 cannot shrink (a xorshift stream of letters).
std::string incompressible(size_t bytes, uint64_t seed) {
  std::string text;
  text.reserve(bytes);
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  while (text.size() < bytes) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    text.push_back(static_cast<char>('a' + x % 26));
  }
  return text;
}

class SqliteLog : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "dimona-sqlite-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    remove_files();
  }
  void TearDown() override { remove_files(); }
  void remove_files() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }

  Result<std::unique_ptr<Log>> open(LogOptions options = {}) { return open_log("sqlite:" + path_, options); }
  std::unique_ptr<Log> must_open(LogOptions options = {}) {
    Result<std::unique_ptr<Log>> log = open(options);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }
  static std::unique_ptr<LogProducer> producer(Log& log, uint32_t partition) {
    Result<std::unique_ptr<LogProducer>> opened = log.open_producer(partition);
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    return opened.is_ok() ? std::move(opened).value() : nullptr;
  }
  static std::unique_ptr<LogConsumer> consumer(Log& log, uint32_t partition) {
    Result<std::unique_ptr<LogConsumer>> opened = log.open_consumer();
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    if (!opened.is_ok()) return nullptr;
    std::vector<uint32_t> one{partition};
    EXPECT_TRUE((*opened)->assign(one).is_ok());
    return std::move(opened).value();
  }
  static Result<AppendOutcome> append(LogProducer& producer, const Batch& batch) {
    std::vector<LogRecordDraft> drafts = batch.drafts();
    return producer.append(drafts);
  }
  static std::vector<LogRecord> read_all(LogConsumer& consumer) {
    std::vector<LogRecord> records;
    for (;;) {
      Result<size_t> got = consumer.poll(records, 0ms, limits::log_poll_records_max);
      EXPECT_TRUE(got.is_ok()) << got.status().to_string();
      if (!got.is_ok() || *got == 0) return records;
    }
  }

  // One poll of up to 10 s while another thread appends after 200 ms; how long it waited.
  static std::chrono::steady_clock::duration poll_while_appending(LogConsumer& reader, size_t expected,
                                                                  const std::function<void()>& append_later) {
    std::thread appender([&] {
      std::this_thread::sleep_for(200ms);
      append_later();
    });
    std::vector<LogRecord> records;
    auto start = std::chrono::steady_clock::now();
    Result<size_t> got = reader.poll(records, 10s, 100);
    auto waited = std::chrono::steady_clock::now() - start;
    appender.join();
    EXPECT_TRUE(got.is_ok()) << got.status().to_string();
    EXPECT_EQ(got.is_ok() ? *got : 0u, expected);
    return waited;
  }

  // A raw connection to the file: another process's view of it.
  sqlite3* raw() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
  }
  int64_t one_int(const std::string& query) {
    sqlite3* db = raw();
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, query.c_str(), -1, &s, nullptr), SQLITE_OK) << query;
    const int64_t value = s != nullptr && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return value;
  }
  void sql(const std::string& statement) {
    sqlite3* db = raw();
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }
  // Flips one bit of the stored payload of the batch at (partition, base).
  void flip_payload_bit(uint32_t partition, Offset base, size_t at) {
    sqlite3* db = raw();
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT payload FROM batches WHERE partition = ?1 AND base_offset = ?2", -1, &s,
                                 nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(s, 1, partition);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(base));
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    std::string payload(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                        static_cast<size_t>(sqlite3_column_bytes(s, 0)));
    sqlite3_finalize(s);
    ASSERT_LT(at, payload.size());
    payload[at] = static_cast<char>(payload[at] ^ 1);
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE batches SET payload = ?3 WHERE partition = ?1 AND base_offset = ?2", -1,
                                 &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(s, 1, partition);
    sqlite3_bind_int64(s, 2, static_cast<int64_t>(base));
    sqlite3_bind_blob(s, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  // Appends a batch as another process's producer would: its own connection,
  // one transaction, the next offsets of the partition.
  void append_from_another_connection(uint32_t partition, Offset base, const Batch& batch) {
    std::vector<LogRecordDraft> drafts = batch.drafts();
    log_frames::EncodedBatch encoded = log_frames::encode_batch(partition, base, drafts);
    sqlite3* db = raw();
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO batches(partition, base_offset, count, first_recorded_at, "
                                 "last_recorded_at, crc, codec, raw_size, payload) VALUES(?,?,?,?,?,?,?,?,?)",
                                 -1, &s, nullptr),
              SQLITE_OK);
    const log_frames::BatchHeader& h = encoded.header;
    int64_t values[] = {h.partition,        h.base_offset, h.count, h.first_recorded_at,
                        h.last_recorded_at, h.crc,         h.codec, h.raw_size};
    for (int i = 0; i < 8; ++i) sqlite3_bind_int64(s, i + 1, values[i]);
    sqlite3_bind_blob(s, 9, encoded.stored.data(), static_cast<int>(encoded.stored.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }

  std::string path_;
};

TEST_F(SqliteLog, RecordsAndThePartitionCountSurviveAReopen) {
  LogOptions options;
  options.partitions = 3;
  Batch batch = make_batch("keep", 4);
  {
    std::unique_ptr<Log> log = must_open(options);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->uri(), "sqlite:" + path_);
    auto writer = producer(*log, 2);
    ASSERT_TRUE(append(*writer, batch).is_ok());
  }
  options.partitions = 16;  // an existing log keeps its own count
  std::unique_ptr<Log> log = must_open(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->partitions(), 3u);
  std::vector<LogRecord> records = read_all(*consumer(*log, 2));
  ASSERT_EQ(records.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(records[i].event_id, batch.ids[i]);
    EXPECT_EQ(records[i].payload, batch.payloads[i]);
    EXPECT_EQ(records[i].source, batch.sources[i]);
    EXPECT_EQ(records[i].recorded_at, batch.recorded_at[i]);
  }
}

TEST_F(SqliteLog, TheMetaTableNamesFormatPartitionerAndCreationTime) {
  ManualClock clock(Instant{kStartMicros});
  LogOptions options;
  options.partitions = 5;
  options.clock = &clock;
  ASSERT_NE(must_open(options), nullptr);
  sqlite3* db = raw();
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT key, value FROM meta ORDER BY key", -1, &s, nullptr), SQLITE_OK);
  std::string rows;
  while (sqlite3_step(s) == SQLITE_ROW) {
    rows += reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    rows += "=";
    rows += reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    rows += ";";
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  EXPECT_EQ(rows, "created_at=" + std::to_string(kStartMicros) + ";format_version=3;partitioner=murmur2;partitions=5;");
  // Version 3's batches are a rowid table of 16 KiB pages (docs/log-format.md "Versions 2 and 3").
  EXPECT_EQ(one_int("SELECT COUNT(*) FROM pragma_table_list WHERE name = 'batches' AND wr = 0"), 1);
  EXPECT_EQ(one_int("SELECT page_size FROM pragma_page_size"), 16384);
}

TEST_F(SqliteLog, AnAppendWhileAnotherConnectionHoldsTheWriteLockIsBusyAndStoresNothing) {
  LogOptions options;
  options.busy_timeout_ms = 100;
  std::unique_ptr<Log> log = must_open(options);
  auto writer = producer(*log, 0);
  sqlite3* other = raw();
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Batch batch = make_batch("locked", 2);
  Result<AppendOutcome> refused = append(*writer, batch);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kBusy) << refused.status().to_string();
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  Result<AppendOutcome> retried = append(*writer, batch);  // the session remembered nothing of the refusal
  ASSERT_TRUE(retried.is_ok()) << retried.status().to_string();
  EXPECT_EQ(retried->offsets, (std::vector<Offset>{0, 1}));
  EXPECT_EQ(retried->duplicates, 0u);
}

TEST_F(SqliteLog, AFileOfFormatOneIsRefusedWithWhatToDo) {
  // Format 1's meta table, as engine/embedded_log.cc wrote it.
  sql("CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;"
      "INSERT INTO meta VALUES('format_version', 1), ('partitions', 16), ('created_at', 0);"
      "CREATE TABLE batches(partition INTEGER NOT NULL, base_offset INTEGER NOT NULL, count INTEGER NOT NULL,"
      " first_recorded_at INTEGER NOT NULL, last_recorded_at INTEGER NOT NULL, crc INTEGER NOT NULL,"
      " payload BLOB NOT NULL, codec INTEGER NOT NULL DEFAULT 0, raw_size INTEGER NOT NULL DEFAULT 0,"
      " PRIMARY KEY(partition, base_offset)) STRICT, WITHOUT ROWID;");
  Result<std::unique_ptr<Log>> log = open();
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kFailedPrecondition);
  const std::string& message = log.status().message();
  EXPECT_NE(message.find("format version 1"), std::string::npos) << message;
  EXPECT_NE(message.find("new data folder"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  sql("UPDATE meta SET value = 4 WHERE key = 'format_version'");  // a later format too, which says so
  Result<std::unique_ptr<Log>> later = open();
  ASSERT_FALSE(later.is_ok());
  EXPECT_EQ(later.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(later.status().message().find("newer build"), std::string::npos) << later.status().to_string();
}

// A version 2 file, as builds before version 3 made it (64 KiB pages, batches WITHOUT ROWID, one
// LZ4 block a batch), is read, and appended to, as version 2: its new batches are one block too
// (an older build still reads the file), while a version 3 file's batches of more than a block's
// worth are in blocks (codec 2). Both keep every batch of several records within
// sqlite_batch_stored_bytes_max stored bytes (payloads that compress ~1.6x: the writer's first
// guess, 64 KiB of frames, stores too much and is cut), and both read back the same records,
// whole, as a window and by offsets.
TEST_F(SqliteLog, AVersionTwoFileIsAppendedToAsVersionTwo) {
  for (const int version : {2, 3}) {
    SCOPED_TRACE("format version " + std::to_string(version));
    remove_files();
    if (version == 2) {
      sql("PRAGMA page_size = 65536; PRAGMA journal_mode = WAL;"
          "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value ANY NOT NULL) STRICT, WITHOUT ROWID;"
          "INSERT INTO meta VALUES('format_version', 2), ('partitions', 5), ('partitioner', 'murmur2'),"
          " ('created_at', 0);"
          "CREATE TABLE batches(partition INTEGER NOT NULL, base_offset INTEGER NOT NULL, count INTEGER NOT NULL,"
          " first_recorded_at INTEGER NOT NULL, last_recorded_at INTEGER NOT NULL, crc INTEGER NOT NULL,"
          " codec INTEGER NOT NULL, raw_size INTEGER NOT NULL, payload BLOB NOT NULL,"
          " PRIMARY KEY(partition, base_offset)) STRICT, WITHOUT ROWID;"
          "CREATE INDEX batches_by_time ON batches(partition, last_recorded_at);");
    }
    {
      std::unique_ptr<Log> log = must_open();
      auto writer = producer(*log, 1);
      ASSERT_TRUE(append(*writer, make_batch("before", 1)).is_ok());
    }
    std::unique_ptr<Log> log = must_open();
    auto writer = producer(*log, 1);
    Batch big;  // ~230 KiB of frames, 300 letters of each payload beyond LZ4's reach
    for (int i = 0; i < 400; ++i)
      big.add("big-" + std::to_string(i), Instant{kStartMicros + 1000 + i},
              "{\"eventId\":\"big-" + std::to_string(i) + "\",\"pad\":\"" + incompressible(300, i + 1) +
                  std::string(200, 'x') + "\"}");
    ASSERT_TRUE(append(*writer, big).is_ok());
    EXPECT_EQ(one_int("SELECT value FROM meta WHERE key = 'format_version'"), version);
    EXPECT_EQ(one_int("SELECT page_size FROM pragma_page_size"), version == 3 ? 16384 : 65536);
    EXPECT_EQ(one_int("SELECT wr FROM pragma_table_list WHERE name = 'batches'"), version == 3 ? 0 : 1);
    const int64_t blocks = version == 3 ? log_frames::kCodecLz4Blocks : log_frames::kCodecLz4;
    EXPECT_EQ(one_int("SELECT COUNT(*) FROM batches WHERE partition = 1 AND base_offset > 0 AND codec <> " +
                      std::to_string(blocks)),
              0);
    EXPECT_GE(one_int("SELECT COUNT(*) FROM batches WHERE partition = 1 AND base_offset > 0"), 8);
    EXPECT_LE(one_int("SELECT MAX(LENGTH(payload)) FROM batches WHERE count > 1"),
              static_cast<int64_t>(limits::sqlite_batch_stored_bytes_max));
    auto whole = consumer(*log, 1);
    std::vector<LogRecord> all;
    while (all.size() < 401) {
      Result<size_t> got = whole->poll(all, 100ms, 4096);
      ASSERT_TRUE(got.is_ok() && *got > 0) << got.status().to_string();
    }
    for (size_t i = 1; i < all.size(); ++i) {
      EXPECT_EQ(all[i].offset, i);
      EXPECT_EQ(all[i].event_id, "big-" + std::to_string(i - 1));
    }
    auto reader = consumer(*log, 1);
    const std::vector<Offset> wanted = {1, 2, 40, 41, 99, 150, 151, 152, 300, 400};
    std::vector<LogRecord> some;
    ASSERT_TRUE(reader
                    ->read_at(1, wanted,
                              [&](LogRecord& r) {
                                some.push_back(r);
                                return Status::ok();
                              })
                    .is_ok());
    ASSERT_EQ(some.size(), wanted.size());
    for (size_t i = 0; i < wanted.size(); ++i) {
      EXPECT_EQ(some[i].offset, wanted[i]);
      EXPECT_EQ(some[i].payload, all[wanted[i]].payload);
      EXPECT_EQ(some[i].source, all[wanted[i]].source);
    }
    ASSERT_TRUE(reader->seek(1, 77).is_ok());
    std::vector<LogRecord> window;
    ASSERT_TRUE(reader->poll(window, 100ms, 5).is_ok());
    ASSERT_FALSE(window.empty());
    EXPECT_EQ(window.front().offset, 77u);
    EXPECT_EQ(window.front().payload, all[77].payload);
  }
}

TEST_F(SqliteLog, AFileThatIsNotALogIsRefused) {
  sql("CREATE TABLE checkpoints(x INTEGER)");
  EXPECT_EQ(open().status().code(), Code::kFailedPrecondition);
  remove_files();
  std::FILE* f = std::fopen(path_.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a database, only a text that is long enough to have a header", f);
  std::fclose(f);
  Result<std::unique_ptr<Log>> log = open();
  ASSERT_FALSE(log.is_ok());
  EXPECT_EQ(log.status().code(), Code::kCorruption) << log.status().to_string();
}

TEST_F(SqliteLog, AMissingFileIsNotFoundUnlessItMayBeCreated) {
  LogOptions options;
  options.create_if_missing = false;
  EXPECT_EQ(open(options).status().code(), Code::kNotFound);
  struct stat st;
  EXPECT_NE(::stat(path_.c_str(), &st), 0);  // nothing was created
  options.create_if_missing = true;
  EXPECT_TRUE(open(options).is_ok());
}

TEST_F(SqliteLog, TheFileAndItsWalAreReadableByTheOwnerOnly) {
  std::unique_ptr<Log> log = must_open();
  ASSERT_NE(log, nullptr);
  auto writer = producer(*log, 0);
  ASSERT_TRUE(append(*writer, make_batch("mode", 2)).is_ok());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st;
    ASSERT_EQ(::stat((path_ + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
}

TEST_F(SqliteLog, AFlippedPayloadByteIsCorruptionNamingPartitionAndOffset) {
  Batch first = make_batch("good", 5);
  {
    std::unique_ptr<Log> log = must_open();
    auto writer = producer(*log, 2);
    ASSERT_TRUE(append(*writer, first).is_ok());
    ASSERT_TRUE(append(*writer, make_batch("bad", 5, kStartMicros + 10'000)).is_ok());
    ASSERT_TRUE(append(*writer, make_batch("after", 5, kStartMicros + 20'000)).is_ok());
  }
  flip_payload_bit(2, 5, 20);
  std::unique_ptr<Log> log = must_open();
  auto reader = consumer(*log, 2);
  std::vector<LogRecord> records;
  Result<size_t> got = reader->poll(records, 100ms, 1000);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  ASSERT_EQ(*got, 5u);  // the good batch before it
  EXPECT_EQ(records.back().event_id, "good-4");
  for (int attempt = 0; attempt < 2; ++attempt) {  // and it stays reported
    Result<size_t> bad = reader->poll(records, 100ms, 1000);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), Code::kCorruption);
    const std::string& message = bad.status().message();
    EXPECT_NE(message.find("partition 2"), std::string::npos) << message;
    EXPECT_NE(message.find("offset 5"), std::string::npos) << message;
    EXPECT_EQ(message.find("bad-"), std::string::npos) << message;  // no payload byte
  }
  EXPECT_EQ(records.size(), 5u);
  // Read as views (the fold's read): the same good records, then the same report, nothing of it.
  auto viewer = consumer(*log, 2);
  std::vector<LogRecordView> views;
  ASSERT_EQ(*viewer->poll_views(views, 100ms, 1000), 5u);
  EXPECT_EQ(views.back().event_id, "good-4");
  for (int attempt = 0; attempt < 2; ++attempt) {
    views.clear();
    Result<size_t> bad = viewer->poll_views(views, 100ms, 1000);
    ASSERT_EQ(bad.status().code(), Code::kCorruption);
    EXPECT_NE(bad.status().message().find("partition 2: batch at offset 5"), std::string::npos)
        << bad.status().message();
    EXPECT_TRUE(views.empty());
  }
}

TEST_F(SqliteLog, AMissingBatchIsCorruptionAtTheGap) {
  {
    std::unique_ptr<Log> log = must_open();
    auto writer = producer(*log, 1);
    for (int round = 0; round < 3; ++round) {
      ASSERT_TRUE(append(*writer, make_batch("r" + std::to_string(round), 3, kStartMicros + round * 10'000)).is_ok());
    }
  }
  sql("DELETE FROM batches WHERE partition = 1 AND base_offset = 3");
  std::unique_ptr<Log> log = must_open();
  auto reader = consumer(*log, 1);
  std::vector<LogRecord> records;
  ASSERT_EQ(*reader->poll(records, 0ms, 1000), 3u);
  Result<size_t> gap = reader->poll(records, 0ms, 1000);
  ASSERT_EQ(gap.status().code(), Code::kCorruption);
  EXPECT_NE(gap.status().message().find("offset 6"), std::string::npos) << gap.status().message();
  EXPECT_NE(gap.status().message().find("continue offset 3"), std::string::npos) << gap.status().message();
  auto viewer = consumer(*log, 1);  // read as views: the same
  std::vector<LogRecordView> views;
  ASSERT_EQ(*viewer->poll_views(views, 0ms, 1000), 3u);
  views.clear();
  EXPECT_EQ(viewer->poll_views(views, 0ms, 1000).status().to_string(), gap.status().to_string());
  EXPECT_TRUE(views.empty());
}

TEST_F(SqliteLog, AnAppendPastTheSizeCapFailsWholeAndALaterOneWorksOnceLifted) {
  LogOptions capped;
  capped.size_limit_bytes = 1 << 20;
  Batch small = make_batch("small", 2);
  Batch big;
  for (int i = 0; i < 24; ++i) {  // 24 x 60 KB that LZ4 cannot shrink: past 1 MiB
    big.add("big-" + std::to_string(i), Instant{kStartMicros + 100'000 + i}, incompressible(60'000, i));
  }
  {
    std::unique_ptr<Log> log = must_open(capped);
    ASSERT_NE(log, nullptr);
    auto writer = producer(*log, 0);
    ASSERT_TRUE(append(*writer, small).is_ok());
    Result<AppendOutcome> full = append(*writer, big);
    ASSERT_FALSE(full.is_ok());
    EXPECT_EQ(full.status().code(), Code::kIoError);
    EXPECT_NE(full.status().message().find("database or disk is full"), std::string::npos) << full.status().to_string();
    auto reader = consumer(*log, 0);
    EXPECT_EQ(*reader->end_offset(0), 2u);  // nothing of it was stored
    EXPECT_EQ(read_all(*reader).size(), 2u);
  }
  std::unique_ptr<Log> log = must_open();  // the cap lifted
  auto writer = producer(*log, 0);
  Result<AppendOutcome> stored = append(*writer, big);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  EXPECT_EQ(stored->offsets.front(), 2u);
  EXPECT_EQ(read_all(*consumer(*log, 0)).size(), 2u + 24u);
}

// An append is stored as batches of about limits::sqlite_batch_bytes_target (before compression):
// small records share a batch up to it, a record over it is a batch alone; all read back in order.
TEST_F(SqliteLog, AnAppendIsStoredAsBatchesOfAboutTheTargetBytes) {
  struct Case {
    int records;
    size_t payload;
    int64_t rows_at_least;
    uint32_t partition;
  };
  // 2 000 x 600 B: ~1.2 MB in batches under 64 KiB each; 40 x 69 000 B: one record per batch.
  std::unique_ptr<Log> log = must_open();
  for (const Case c : {Case{2000, 600, 18, 3}, Case{40, 69'000, 40, 4}}) {
    SCOPED_TRACE(c.payload);
    Batch batch;
    for (int i = 0; i < c.records; ++i)
      batch.add("split-" + std::to_string(c.payload) + "-" + std::to_string(i), Instant{kStartMicros + i},
                std::string(c.payload, static_cast<char>('a' + i % 26)));
    auto writer = producer(*log, c.partition);
    Result<AppendOutcome> outcome = append(*writer, batch);
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().to_string();
    ASSERT_EQ(outcome->offsets.size(), static_cast<size_t>(c.records));
    sqlite3* db = raw();
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), max(raw_size), max(count), sum(count) FROM batches "
                                     "WHERE partition = ?1", -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(s, 1, c.partition);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_GE(sqlite3_column_int64(s, 0), c.rows_at_least);
    if (c.payload < limits::sqlite_batch_bytes_target) {
      EXPECT_LE(sqlite3_column_int64(s, 1), static_cast<int64_t>(limits::sqlite_batch_bytes_target));
      EXPECT_GT(sqlite3_column_int64(s, 2), 1);  // small records share a batch
    } else {
      EXPECT_EQ(sqlite3_column_int64(s, 2), 1);  // a record over the target is a batch alone
    }
    EXPECT_EQ(sqlite3_column_int64(s, 3), c.records);
    sqlite3_finalize(s);
    sqlite3_close(db);
    std::vector<LogRecord> records = read_all(*consumer(*log, c.partition));
    ASSERT_EQ(records.size(), static_cast<size_t>(c.records));
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_EQ(records[i].offset, i);
      ASSERT_EQ(records[i].event_id, batch.ids[i]);
    }
  }
}

TEST_F(SqliteLog, AnotherConnectionsAppendFailsTheProducersNextAppend) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 1);
  ASSERT_TRUE(append(*writer, make_batch("mine", 3)).is_ok());
  append_from_another_connection(1, 3, make_batch("theirs", 2, kStartMicros + 10'000));
  Result<AppendOutcome> refused = append(*writer, make_batch("mine-again", 2, kStartMicros + 20'000));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("another writer"), std::string::npos);
  auto reader = consumer(*log, 1);
  std::vector<LogRecord> records = read_all(*reader);
  ASSERT_EQ(records.size(), 5u);  // nothing of the refused append
  EXPECT_EQ(records.back().event_id, "theirs-1");
  writer.reset();  // a new producer starts from the partition's end as it is
  auto next = producer(*log, 1);
  Result<AppendOutcome> resumed = append(*next, make_batch("resumed", 1, kStartMicros + 30'000));
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().to_string();
  EXPECT_EQ(resumed->offsets, (std::vector<Offset>{5}));
}

TEST_F(SqliteLog, AReaderInAnotherLogSeesLaterAppendsWhileItWaits) {
  std::unique_ptr<Log> writer_log = must_open();
  std::unique_ptr<Log> reader_log = must_open();
  auto reader = consumer(*reader_log, 0);
  std::vector<LogRecord> records;
  ASSERT_EQ(*reader->poll(records, 0ms, 100), 0u);
  auto waited = poll_while_appending(*reader, 3, [&] {
    auto writer = producer(*writer_log, 0);
    EXPECT_TRUE(append(*writer, make_batch("later", 3)).is_ok());
  });
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 5s);
}

// No in-process producer to wake it: the poll finds the commit by re-checking the file.
TEST_F(SqliteLog, AWaitingReaderSeesAnotherProcesssCommit) {
  std::unique_ptr<Log> log = must_open();
  auto reader = consumer(*log, 2);
  auto waited =
      poll_while_appending(*reader, 2, [&] { append_from_another_connection(2, 0, make_batch("elsewhere", 2)); });
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 2s);
}

TEST_F(SqliteLog, SeekToAnInstantFindsItsBatchAmongSeveral) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 0);
  for (int round = 0; round < 4; ++round) {  // batches at +0, +100 ms, +200 ms, +300 ms; records 1 ms apart
    ASSERT_TRUE(append(*writer, make_batch("b" + std::to_string(round), 5, kStartMicros + round * 100'000)).is_ok());
  }
  auto reader = consumer(*log, 0);
  ASSERT_TRUE(reader->seek_to_instant(0, Instant{kStartMicros + 201'500}).is_ok());
  std::vector<LogRecord> records = read_all(*reader);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().offset, 12u);  // b2-2, at +202 ms
  EXPECT_EQ(records.size(), 8u);
  ASSERT_TRUE(reader->seek_to_instant(0, Instant{kStartMicros + 150'000}).is_ok());  // between batches
  EXPECT_EQ(read_all(*reader).front().offset, 10u);
}

TEST_F(SqliteLog, APollReturnsAtMostItsMaxAndKeepsTheRestOfTheBatchInOrder) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 0);
  ASSERT_TRUE(append(*writer, make_batch("one-batch", 10)).is_ok());
  ASSERT_TRUE(append(*writer, make_batch("next", 2, kStartMicros + 50'000)).is_ok());
  auto reader = consumer(*log, 0);
  std::vector<LogRecord> records;
  std::vector<size_t> sizes;
  for (;;) {
    Result<size_t> got = reader->poll(records, 0ms, 3);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    if (*got == 0) break;
    sizes.push_back(*got);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 3}));  // the last one spans both batches
  ASSERT_EQ(records.size(), 12u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].offset, i);
  ASSERT_TRUE(reader->seek(0, 4).is_ok());  // back into the middle of the first batch
  records.clear();
  ASSERT_EQ(*reader->poll(records, 0ms, 1), 1u);
  EXPECT_EQ(records[0].event_id, "one-batch-4");
}

// poll_views (the fold's read): whole batches, each record's texts views into the consumer's
// frames, from the seek's offset inside a batch; a poll() that left records of a batch undelivered
// hands them over first; past the max only to the end of the batch that reaches it.
TEST_F(SqliteLog, PollViewsDeliversWholeBatchesFromTheSeekAndAfterAShortPoll) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 0);
  ASSERT_TRUE(append(*writer, make_batch("one-batch", 10)).is_ok());
  ASSERT_TRUE(append(*writer, make_batch("next", 2, kStartMicros + 50'000)).is_ok());
  auto reader = consumer(*log, 0);
  std::vector<LogRecordView> views;
  Result<size_t> got = reader->poll_views(views, 0ms, 3);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  ASSERT_EQ(*got, 10u);  // the whole first batch, past the max of 3
  ASSERT_EQ(views.size(), 10u);
  for (size_t i = 0; i < views.size(); ++i) {
    EXPECT_EQ(views[i].offset, i);
    EXPECT_EQ(views[i].partition, 0u);
    EXPECT_EQ(views[i].event_id, "one-batch-" + std::to_string(i));
    EXPECT_EQ(views[i].type, "DimonaInDeclared");
  }
  views.clear();
  ASSERT_EQ(*reader->poll_views(views, 0ms, 100), 2u);
  EXPECT_EQ(views[0].event_id, "next-0");
  views.clear();
  EXPECT_EQ(*reader->poll_views(views, 0ms, 100), 0u);

  ASSERT_TRUE(reader->seek(0, 4).is_ok());  // into the middle of the first batch
  views.clear();
  ASSERT_EQ(*reader->poll_views(views, 0ms, 1), 6u);
  EXPECT_EQ(views.front().event_id, "one-batch-4");
  EXPECT_EQ(views.back().offset, 9u);

  ASSERT_TRUE(reader->seek(0, 0).is_ok());
  std::vector<LogRecord> records;
  ASSERT_EQ(*reader->poll(records, 0ms, 3), 3u);  // a window of the batch: nothing left pending
  views.clear();
  ASSERT_EQ(*reader->poll_views(views, 0ms, 8), 9u);  // the batch's rest, then the next one whole
  EXPECT_EQ(views.front().event_id, "one-batch-3");
  EXPECT_EQ(views.back().event_id, "next-1");
}

TEST_F(SqliteLog, PollViewsHandsOverWhatAPollLeftPendingFirst) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 0);
  constexpr size_t kMany = 2000;  // stored batches of more than a window's records
  ASSERT_TRUE(append(*writer, make_batch("m", kMany, kStartMicros, 0)).is_ok());  // small frames
  const auto first = static_cast<size_t>(one_int("SELECT count FROM batches WHERE partition = 0 AND base_offset = 0"));
  ASSERT_GT(first, limits::log_window_records_max + 10);
  auto reader = consumer(*log, 0);
  std::vector<LogRecord> records;
  // More than a window: the whole batch decoded, the 10 records past the max kept for the next poll.
  ASSERT_EQ(*reader->poll(records, 0ms, first - 10), first - 10);
  std::vector<LogRecordView> views;
  ASSERT_EQ(*reader->poll_views(views, 0ms, 4), 4u);  // through poll(), at most its max
  EXPECT_EQ(views.front().offset, first - 10);
  views.clear();
  ASSERT_EQ(*reader->poll_views(views, 0ms, 7), 7u);  // the 6 left, then one more through poll()
  for (size_t i = 0; i < views.size(); ++i) EXPECT_EQ(views[i].offset, first - 6 + i);
  views.clear();
  const auto second = static_cast<size_t>(
      one_int("SELECT count FROM batches WHERE partition = 0 AND base_offset = " + std::to_string(first)));
  ASSERT_GT(second, 2u);
  ASSERT_EQ(*reader->poll_views(views, 0ms, 1), second - 1);  // nothing pending: the batch's rest
  EXPECT_EQ(views.front().offset, first + 1);
  EXPECT_EQ(views.back().offset, first + second - 1);
}

// A short read by offset (a citizen's events: Projector::events_at) decodes only its records of
// a large batch (log_frames::decode_batch_window): the same records as a read of the whole batch,
// at its start, middle and end, compressed or not; and still checked against the batch's CRC.
TEST_F(SqliteLog, AShortReadByOffsetGivesTheRecordsAWholeReadGives) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 1);
  ASSERT_TRUE(append(*writer, make_batch("big", 3000)).is_ok());                                   // LZ4
  ASSERT_TRUE(append(*writer, make_batch("raw", 1, kStartMicros + 4'000'000, 200)).is_ok());
  Batch noise;  // a batch LZ4 cannot shrink: stored as its frames
  for (int i = 0; i < 400; ++i)
    noise.add("noise-" + std::to_string(i), Instant{kStartMicros + 5'000'000 + i}, "{\"x\":\"" + incompressible(64, i) + "\"}");
  ASSERT_TRUE(append(*writer, noise).is_ok());
  auto whole_reader = consumer(*log, 1);
  std::vector<LogRecord> whole;
  while (whole.size() < 3401) {
    Result<size_t> got = whole_reader->poll(whole, 100ms, 4096);  // whole batches
    ASSERT_TRUE(got.is_ok() && *got > 0) << got.status().to_string();
  }
  auto reader = consumer(*log, 1);
  for (Offset at : {Offset{0}, Offset{1}, Offset{1499}, Offset{2700}, Offset{2998}, Offset{3000}, Offset{3001},
                    Offset{3200}, Offset{3390}}) {
    for (size_t n : {size_t{1}, size_t{7}, limits::log_window_records_max}) {
      SCOPED_TRACE("offset " + std::to_string(at) + ", " + std::to_string(n) + " records");
      ASSERT_TRUE(reader->seek(1, at).is_ok());
      std::vector<LogRecord> some;
      Result<size_t> got = reader->poll(some, 100ms, n);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      ASSERT_GE(*got, 1u);
      for (const LogRecord& r : some) {
        ASSERT_LT(r.offset, whole.size());
        const LogRecord& w = whole[r.offset];
        EXPECT_EQ(r.event_id, w.event_id);
        EXPECT_EQ(r.payload, w.payload);
        EXPECT_EQ(r.recorded_at, w.recorded_at);
        EXPECT_EQ(r.key, w.key);
        EXPECT_EQ(r.source, w.source);
      }
      EXPECT_EQ(some.front().offset, at);
      for (size_t i = 1; i < some.size(); ++i) EXPECT_EQ(some[i].offset, some[i - 1].offset + 1);
      // The poll after it goes on where it stopped.
      std::vector<LogRecord> next;
      ASSERT_TRUE(reader->poll(next, 0ms, 1).is_ok());
      if (!next.empty()) {
        EXPECT_EQ(next.front().offset, some.back().offset + 1);
      }
    }
  }
  // A flipped byte anywhere in the big batch fails a read of any one record of it.
  log.reset();
  writer.reset();
  flip_payload_bit(1, 0, 1000);
  std::unique_ptr<Log> again = must_open();
  auto after = consumer(*again, 1);
  ASSERT_TRUE(after->seek(1, 5).is_ok());
  std::vector<LogRecord> none;
  Result<size_t> bad = after->poll(none, 100ms, 1);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kCorruption);
  EXPECT_NE(bad.status().message().find("CRC"), std::string::npos) << bad.status().to_string();
  // And a read by offsets (read_at) of any record of it.
  const Offset wanted[] = {5};
  Status by_offset = after->read_at(1, wanted, [](LogRecord&) { return Status::ok(); });
  EXPECT_EQ(by_offset.code(), Code::kCorruption);
  EXPECT_NE(by_offset.message().find("CRC"), std::string::npos) << by_offset.to_string();
}

// A read by offsets (read_at) of an offset whose batch was deleted is kCorruption, not "past the
// end", and reads of the batches around it go on.
TEST_F(SqliteLog, AReadByOffsetsOfAMissingBatchIsCorruption) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 1);
  ASSERT_TRUE(append(*writer, make_batch("m", 600, kStartMicros, 500)).is_ok());
  const int64_t base =
      one_int("SELECT base_offset FROM batches WHERE partition = 1 ORDER BY base_offset LIMIT 1 OFFSET 2");
  ASSERT_GT(base, 0);
  sql("DELETE FROM batches WHERE partition = 1 AND base_offset = " + std::to_string(base));
  auto reader = consumer(*log, 1);
  int calls = 0;
  const Offset gone[] = {0, static_cast<Offset>(base)};
  Status missing = reader->read_at(1, gone, [&](LogRecord&) {
    ++calls;
    return Status::ok();
  });
  EXPECT_EQ(missing.code(), Code::kCorruption) << missing.to_string();
  EXPECT_NE(missing.message().find("a batch is missing"), std::string::npos) << missing.to_string();
  const Offset around[] = {0, 599};
  std::vector<Offset> read;
  ASSERT_TRUE(reader
                  ->read_at(1, around,
                            [&](LogRecord& r) {
                              read.push_back(r.offset);
                              return Status::ok();
                            })
                  .is_ok());
  EXPECT_EQ(read, (std::vector<Offset>{0, 599}));
}

TEST_F(SqliteLog, ACorruptBatchFoundBySeekToInstantIsReported) {
  {
    std::unique_ptr<Log> log = must_open();
    auto writer = producer(*log, 3);
    ASSERT_TRUE(append(*writer, make_batch("a", 3)).is_ok());
    ASSERT_TRUE(append(*writer, make_batch("b", 3, kStartMicros + 10'000)).is_ok());
  }
  flip_payload_bit(3, 3, 0);
  std::unique_ptr<Log> log = must_open();
  auto reader = consumer(*log, 3);
  Status seek = reader->seek_to_instant(3, Instant{kStartMicros + 10'000});
  EXPECT_EQ(seek.code(), Code::kCorruption);
  EXPECT_NE(seek.message().find("partition 3: batch at offset 3"), std::string::npos) << seek.message();
}

TEST_F(SqliteLog, ARecordWhoseFrameCannotFitOneBatchIsRefused) {
  std::unique_ptr<Log> log = must_open();
  auto writer = producer(*log, 0);
  Batch batch = make_batch("fits", 1);
  batch.ids[0].assign(limits::batch_payload_bytes_max, 'i');  // no limit on an id's length but the batch's
  Result<AppendOutcome> refused = append(*writer, batch);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_LT(refused.status().message().size(), 200u);  // the id is not repeated in it
  EXPECT_EQ(*consumer(*log, 0)->end_offset(0), 0u);
}

TEST_F(SqliteLog, ProducersOfDifferentPartitionsAppendFromSeveralThreads) {
  std::unique_ptr<Log> log = must_open();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (uint32_t p = 0; p < 4; ++p) {
    threads.emplace_back([&, p] {
      auto writer = producer(*log, p);
      for (int round = 0; round < 10; ++round) {
        if (!append(*writer,
                    make_batch("t" + std::to_string(p) + "-" + std::to_string(round), 3, kStartMicros + round * 10'000))
                 .is_ok())
          ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (uint32_t p = 0; p < 4; ++p) EXPECT_EQ(read_all(*consumer(*log, p)).size(), 30u);
}

}  // namespace
}  // namespace dimona
