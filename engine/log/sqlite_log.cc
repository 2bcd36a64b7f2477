// The embedded backend of the log seam (sqlite:PATH): one SQLite file in WAL
// mode, log format version 3, and 2 (docs/log-format.md). One row per record batch;
// the frames, CRC and LZ4 are engine/log/sqlite_frames.h's business.
//
// Why this shape. A producer's append is one BEGIN IMMEDIATE transaction that
// first checks the partition still ends where this producer left it: another
// connection (another process) that appended in between makes the append
// fail whole (kFailedPrecondition), so two writers never interleave offsets.
// Within the process the fence (kBusy) stops a second producer before that.
// A consumer keeps one read-only connection and reads in a fresh read
// transaction per poll, so it sees every commit; it waits on a process-local
// condition variable that in-process producers notify, and re-checks
// `PRAGMA data_version` every limits::sqlite_log_poll_recheck_ms for commits
// of other processes.
#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <type_traits>

#include "engine/base/limits.h"
#include "engine/base/private_file.h"
#include "engine/base/sqlite.h"
#include "engine/log/keyed_table_internal.h"
#include "engine/log/log_internal.h"
#include "engine/log/sqlite_frames.h"

namespace dimona::log_internal {
namespace {

using log_frames::BatchHeader;
using log_frames::EncodedBatch;

// A new file is version 3 (batches compressed in blocks, log_frames::kCodecLz4Blocks); a version 2
// file is read and appended to as version 2 (one LZ4 block a batch), so older builds still read it.
constexpr int64_t kFormatVersion = 3;
constexpr int64_t kFormatVersionOneBlock = 2;

struct Format {
  uint32_t partitions = 0;
  int64_t version = kFormatVersion;
  log_frames::Compression compression() const {
    return version >= 3 ? log_frames::Compression::kBlocks : log_frames::Compression::kOneBlock;
  }
};
constexpr std::string_view kPartitioner = "murmur2";
// A new file's pages: 16 KiB, about one batch each (its stored bytes are at most
// limits::sqlite_batch_stored_bytes_max, within a 16 KiB leaf's local payload, 16 349 bytes, in a
// rowid table), so a batch read by offset costs one 16 KiB page read, not a 64 KiB one (version 2's
// pages, when a batch was a commit group's share and spanned overflow pages; 64 KiB pages then
// halved the append cost against 4 KiB ones). One citizen's past 1.37x the reads/s of 64 KiB pages
// at 20 000 students; replay and the log's size about unchanged.
constexpr int kPageSizeBytes = 16384;

// --- SQLite, thinly (engine/base/sqlite.h) -------------------------------------

using sqlite::bind;
using sqlite::bind_blob;
using sqlite::bind_text;
using sqlite::Connection;
using sqlite::exec;
using sqlite::prepare;
using sqlite::query_int;
using sqlite::sqlite_error;
using sqlite::Statement;
using sqlite::StatementUse;
using sqlite::step_done;
using sqlite::step_row;

Result<Connection> open_connection(const std::string& path, int flags, int busy_timeout_ms) {
  return sqlite::open_connection(path, flags | SQLITE_OPEN_NOMUTEX, busy_timeout_ms, "the log");
}

std::string partition_text(uint32_t p) { return "partition " + std::to_string(p); }

// --- Schema and format ------------------------------------------------------------

constexpr char kSchema[] = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY NOT NULL,
  value ANY NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE batches(
  partition INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_recorded_at INTEGER NOT NULL,
  last_recorded_at INTEGER NOT NULL,
  crc INTEGER NOT NULL,
  codec INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  payload BLOB NOT NULL,
  PRIMARY KEY(partition, base_offset)
) STRICT;
CREATE INDEX batches_by_time ON batches(partition, last_recorded_at);
)sql";
// (Version 2 made `batches` WITHOUT ROWID: its interior pages held whole divider rows, ~14 KiB
// each, so about four to a 64 KiB page and a B-tree ~8 levels deep: a batch looked up by offset
// read several 64 KiB pages. A rowid table keeps the rows in its leaves, and the primary key's
// index holds only the keys: one leaf page read per look-up. The statements are the same.)

constexpr std::string_view kTailSql =
    "SELECT base_offset + count, last_recorded_at FROM batches WHERE partition = ?1 "
    "ORDER BY base_offset DESC LIMIT 1";
constexpr std::string_view kInsertSql =
    "INSERT INTO batches(partition, base_offset, count, first_recorded_at, last_recorded_at, crc, codec, "
    "raw_size, payload) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view kBatchColumns =
    "SELECT base_offset, count, first_recorded_at, last_recorded_at, crc, codec, raw_size, payload FROM batches ";

Result<bool> has_meta_table(sqlite3* db) {
  Result<std::optional<int64_t>> found = query_int(
      db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'", "cannot read the log's schema");
  DIMONA_TRY(found);
  return found->has_value();
}

Status create_schema(sqlite3* db, const LogOptions& options) {
  DIMONA_TRY(exec(db, kSchema));
  SystemClock system_clock;
  const Clock& clock = options.clock != nullptr ? *options.clock : system_clock;
  Result<Statement> insert = prepare(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)");
  DIMONA_TRY(insert);
  sqlite3_stmt* s = insert->get();
  auto put = [&](std::string_view key, auto value) -> Status {
    StatementUse use(s);
    bind_text(s, 1, key);
    if constexpr (std::is_same_v<decltype(value), std::string_view>) {
      bind_text(s, 2, value);
    } else {
      bind(s, 2, static_cast<int64_t>(value));
    }
    return step_done(db, s, "cannot write the log's meta table");
  };
  DIMONA_TRY(put("format_version", kFormatVersion));
  DIMONA_TRY(put("partitions", options.partitions));
  DIMONA_TRY(put("partitioner", kPartitioner));
  return put("created_at", clock.now().micros);
}

// A new file: its page size, WAL, then the tables in one write transaction (a
// creator racing this one may have won: then its tables stand).
Status create_log(sqlite3* db, const LogOptions& options) {
  DIMONA_TRY(exec(db, "PRAGMA page_size = " + std::to_string(kPageSizeBytes)));
  DIMONA_TRY(exec(db, "PRAGMA journal_mode = WAL"));
  return sqlite::in_transaction(db, "BEGIN IMMEDIATE", "the log's creation", [&]() -> Status {
    Result<bool> raced = has_meta_table(db);
    DIMONA_TRY(raced);
    return *raced ? Status::ok() : create_schema(db, options);
  });
}

// The log's partition count and version, after the format checks; refuses any format but 2 and 3.
Result<Format> check_format(sqlite3* db, const std::string& path) {
  Result<std::optional<int64_t>> version =
      query_int(db, "SELECT value FROM meta WHERE key = 'format_version'", "cannot read the log's meta table");
  DIMONA_TRY(version);
  if (!version->has_value()) return corruption(path + ": the meta table has no format_version");
  if (**version != kFormatVersion && **version != kFormatVersionOneBlock) {
    const std::string refused = path + " has log format version " + std::to_string(**version) +
                                "; this build reads versions " + std::to_string(kFormatVersionOneBlock) + " and " +
                                std::to_string(kFormatVersion) + " only";
    if (**version > kFormatVersion)
      return failed_precondition(refused + ": the file was written by a newer build, use it");
    return failed_precondition(refused + " (version 1 predates murmur2 partitioning and record headers): " +
                               "ingest the source files into a new data folder");
  }
  Result<Statement> partitioner = prepare(db, "SELECT value FROM meta WHERE key = 'partitioner'");
  DIMONA_TRY(partitioner);
  Result<bool> row = step_row(db, partitioner->get(), "cannot read the log's meta table");
  DIMONA_TRY(row);
  auto text = *row ? reinterpret_cast<const char*>(sqlite3_column_text(partitioner->get(), 0)) : nullptr;
  if (text == nullptr || std::string_view(text) != kPartitioner) {
    return corruption(path + ": the meta table does not name the murmur2 partitioner");
  }
  Result<std::optional<int64_t>> partitions =
      query_int(db, "SELECT value FROM meta WHERE key = 'partitions'", "cannot read the log's meta table");
  DIMONA_TRY(partitions);
  if (!partitions->has_value() || **partitions < 1 || **partitions > int64_t{limits::partitions_max}) {
    return corruption(path + ": the meta table has no possible partition count");
  }
  // Batches of a partition past the count: a count changed under the log (the primary key's
  // first column: one look-up). A count raised is found by the reader (read_logged_event).
  Result<std::optional<int64_t>> highest =
      query_int(db, "SELECT MAX(partition) FROM batches", "cannot read the log's batches");
  DIMONA_TRY(highest);
  if (highest->has_value() && (**highest < 0 || **highest >= **partitions))
    return corruption(path + ": it holds batches of partition " + std::to_string(**highest) +
                      " but its meta table says " + std::to_string(**partitions) + " partitions");
  return Format{static_cast<uint32_t>(**partitions), **version};
}

// Opens or creates the log's tables on the writer connection; its partition count and version.
Result<Format> open_schema(sqlite3* db, const std::string& path, const LogOptions& options) {
  // One statement, so one snapshot: a writer creating the log commits all its tables at once
  // (create_log), and two separate reads could see "no meta" and then "some table" across its
  // commit. 0: an empty database, 1: tables but no meta, 2: the meta table.
  Result<std::optional<int64_t>> schema =
      query_int(db,
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta') THEN 2 "
                "WHEN EXISTS (SELECT 1 FROM sqlite_schema) THEN 1 ELSE 0 END",
                "cannot read the log's schema");
  DIMONA_TRY(schema);
  const int64_t found = schema->value_or(0);
  if (found != 2) {
    // An empty database is a log a writer is creating (its tables come in the
    // transaction after the file): for a reader there is no log there yet.
    if (found == 0 && !options.create_if_missing)
      return not_found("no log at " + path + " yet: it holds no table (ingest a file first)");
    if (found == 1) return failed_precondition(path + " is not a Dimona ledger log (no meta table)");
    DIMONA_TRY(create_log(db, options));
  }
  Result<Format> format = check_format(db, path);  // before anything is changed in the file
  DIMONA_TRY(format);
  Result<Statement> wal = prepare(db, "PRAGMA journal_mode = WAL");
  DIMONA_TRY(wal);
  Result<bool> row = step_row(db, wal->get(), "cannot switch the log to WAL mode");
  DIMONA_TRY(row);
  auto mode = *row ? reinterpret_cast<const char*>(sqlite3_column_text(wal->get(), 0)) : nullptr;
  if (mode == nullptr || std::string_view(mode) != "wal") {
    return io_error(path + ": the log cannot use WAL mode (is its directory read-only?)");
  }
  DIMONA_TRY(exec(db, "PRAGMA synchronous = FULL"));  // a commit is fsynced: append() returns once durable
  return format;
}

// Caps the file at about `bytes` (SQLite's max_page_count, on this connection).
Status cap_size(sqlite3* db, uint64_t bytes) {
  if (bytes == 0) return Status::ok();
  Result<std::optional<int64_t>> page = query_int(db, "PRAGMA page_size", "cannot read the page size");
  DIMONA_TRY(page);
  if (!page->has_value() || **page <= 0) return io_error("the log has no page size");
  const uint64_t pages = std::max<uint64_t>(1, bytes / static_cast<uint64_t>(**page));
  Result<std::optional<int64_t>> set =
      query_int(db, "PRAGMA max_page_count = " + std::to_string(pages), "cannot cap the log's size");
  DIMONA_TRY(set);
  return Status::ok();
}

// --- What the process shares per file ---------------------------------------------

// Wakes the consumers of one file when an in-process producer committed.
class Notifier {
 public:
  uint64_t generation() {
    std::lock_guard lock(mutex_);
    return generation_;
  }
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    appended_.notify_all();
  }
  // True when an append came after `seen` before `until`.
  bool wait(uint64_t seen, std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(mutex_);
    return appended_.wait_until(lock, until, [&] { return generation_ != seen; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable appended_;
  uint64_t generation_ = 0;
};

std::shared_ptr<Notifier> notifier_for(const std::string& canonical_path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<Notifier>, std::less<>> notifiers;
  std::lock_guard lock(mutex);
  std::weak_ptr<Notifier>& slot = notifiers[canonical_path];
  std::shared_ptr<Notifier> notifier = slot.lock();
  if (!notifier) {
    notifier = std::make_shared<Notifier>();
    slot = notifier;
  }
  return notifier;
}

// The in-process fence: (canonical path, partition) held by a live producer.
std::mutex fence_mutex;
std::set<std::pair<std::string, uint32_t>> held_partitions;

struct Tail {
  Offset end = 0;
  Instant last_recorded_at{};  // as memory: an empty partition accepts any recordedAt from 0
};

// A Log's write connection, shared by its producers one append at a time.
class Writer {
 public:
  std::mutex mutex;
  Connection db;  // declared first: closed after the statements are finalized
  sqlite::Transactions appends;
  Statement insert, tail;
  // How the file's version stores a batch (set at open, before any producer).
  log_frames::Compression compression = log_frames::Compression::kBlocks;

  Status prepare_all() {
    Result<sqlite::Transactions> transactions = sqlite::Transactions::prepare(db.get(), "BEGIN IMMEDIATE");
    DIMONA_TRY(transactions);
    appends = std::move(*transactions);
    return sqlite::prepare_all(db.get(), {std::pair{&insert, kInsertSql}, std::pair{&tail, kTailSql}});
  }

  // The partition's end and last recordedAt, as committed (call with mutex held).
  Result<Tail> read_tail(uint32_t partition) {
    StatementUse use(tail.get());
    bind(tail.get(), 1, int64_t{partition});
    Result<bool> row = step_row(db.get(), tail.get(), "cannot read the end of " + partition_text(partition));
    DIMONA_TRY(row);
    if (!*row) return Tail{};
    int64_t end = sqlite3_column_int64(tail.get(), 0);
    if (end < 0) return corruption(partition_text(partition) + " has a negative end offset");
    return Tail{static_cast<Offset>(end), Instant{sqlite3_column_int64(tail.get(), 1)}};
  }

  Status insert_batch(const EncodedBatch& batch) {
    const BatchHeader& h = batch.header;
    sqlite3_stmt* s = insert.get();
    StatementUse use(s);
    bind(s, 1, int64_t{h.partition});
    bind(s, 2, h.base_offset);
    bind(s, 3, h.count);
    bind(s, 4, h.first_recorded_at);
    bind(s, 5, h.last_recorded_at);
    bind(s, 6, h.crc);
    bind(s, 7, h.codec);
    bind(s, 8, h.raw_size);
    bind_blob(s, 9, batch.stored);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return Status::ok();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return failed_precondition(partition_text(h.partition) + " offset " + std::to_string(h.base_offset) +
                                 " is taken: another writer appended to it; reopen the producer");
    }
    return sqlite_error(db.get(), rc, "cannot append to " + partition_text(h.partition));
  }

  // Appends the batches in one transaction, if the partition still ends at expected_end.
  Status commit_batches(uint32_t partition, Offset expected_end, std::span<const EncodedBatch> batches) {
    std::lock_guard lock(mutex);
    return appends.run("an append to " + partition_text(partition),
                       [&] { return write(partition, expected_end, batches); });
  }

 private:
  Status write(uint32_t partition, Offset expected_end, std::span<const EncodedBatch> batches) {
    Result<Tail> now = read_tail(partition);
    DIMONA_TRY(now);
    if (now->end != expected_end) {
      return failed_precondition(partition_text(partition) + " ends at offset " + std::to_string(now->end) + ", not " +
                                 std::to_string(expected_end) + ": another writer appended to it; reopen the producer");
    }
    for (const EncodedBatch& batch : batches) DIMONA_TRY(insert_batch(batch));
    return Status::ok();
  }
};

// --- Producer -------------------------------------------------------------------

class SqliteProducer final : public LogProducer {
 public:
  SqliteProducer(std::shared_ptr<Writer> writer, std::shared_ptr<Notifier> notifier, std::string fence_key,
                 uint32_t partition, Tail tail)
      : writer_(std::move(writer)),
        notifier_(std::move(notifier)),
        fence_key_(std::move(fence_key)),
        partition_(partition),
        end_(tail.end),
        last_recorded_at_(tail.last_recorded_at) {}
  ~SqliteProducer() override {
    std::lock_guard lock(fence_mutex);
    held_partitions.erase({fence_key_, partition_});
  }
  uint32_t partition() const override { return partition_; }

  Result<AppendOutcome> append(std::span<const LogRecordDraft> records) override {
    DIMONA_TRY(validate_batch(records, last_recorded_at_));
    std::vector<size_t> first = first_occurrences(records);
    AppendOutcome outcome;
    std::vector<LogRecordDraft> fresh;  // the records to store, in order
    for (size_t i = 0; i < records.size(); ++i) {
      std::optional<Offset> earlier =
          first[i] != i ? std::optional(outcome.offsets[first[i]]) : session_.offset_of(records[i].event_id);
      if (earlier) {
        outcome.offsets.push_back(*earlier);
        ++outcome.duplicates;
        continue;
      }
      if (log_frames::frame_bytes(records[i]) > limits::batch_payload_bytes_max) {
        // Not named by its id: the id may be what is too long.
        return invalid_argument("record " + std::to_string(i) +
                                " of the append, its headers and payload, is larger than a record batch (" +
                                std::to_string(limits::batch_payload_bytes_max) + " bytes)");
      }
      outcome.offsets.push_back(end_ + fresh.size());
      fresh.push_back(records[i]);
    }
    if (fresh.empty()) return outcome;
    std::vector<EncodedBatch> batches = encode(fresh);  // outside the write lock
    DIMONA_TRY(writer_->commit_batches(partition_, end_, batches));
    for (size_t i = 0; i < fresh.size(); ++i) session_.remember(fresh[i].event_id, end_ + i);
    end_ += fresh.size();
    last_recorded_at_ = fresh.back().recorded_at;
    notifier_->notify();
    return outcome;
  }

 private:
  // Splits the records into batches of at most limits::sqlite_batch_bytes_target bytes of frames
  // (one record at least; within batch_events_max, and batch_payload_bytes_max since every frame
  // fits one) whose stored bytes stay within limits::sqlite_batch_stored_bytes_max, so that no row
  // spills to an overflow page: the frames taken are sized by the last batch's compression ratio,
  // and a batch stored bigger is cut in proportion and encoded again.
  std::vector<EncodedBatch> encode(std::span<const LogRecordDraft> fresh) {
    static_assert(limits::sqlite_batch_bytes_target <= limits::batch_payload_bytes_max);
    std::vector<EncodedBatch> batches;
    size_t start = 0;
    while (start < fresh.size()) {
      const auto target = static_cast<size_t>(
          std::clamp(static_cast<double>(limits::sqlite_batch_stored_bytes_max) * ratio_ * kStoredMargin,
                     static_cast<double>(limits::sqlite_block_bytes_target),
                     static_cast<double>(limits::sqlite_batch_bytes_target)));
      size_t end = start;
      size_t bytes = 0;
      while (end < fresh.size() && end - start < limits::batch_events_max &&
             (end == start || bytes + log_frames::frame_bytes(fresh[end]) <= target)) {
        bytes += log_frames::frame_bytes(fresh[end]);
        ++end;
      }
      DIMONA_ASSERT(end > start);  // every frame fits a batch (checked in append)
      for (;;) {
        EncodedBatch batch =
            log_frames::encode_batch(partition_, end_ + start, fresh.subspan(start, end - start), writer_->compression);
        const size_t stored = batch.stored.size();
        ratio_ = static_cast<double>(batch.header.raw_size) / static_cast<double>(std::max<size_t>(stored, 1));
        if (stored <= limits::sqlite_batch_stored_bytes_max || end - start == 1) {
          batches.push_back(std::move(batch));
          break;
        }
        const auto keep = static_cast<size_t>(static_cast<double>(end - start) * kStoredMargin *
                                              static_cast<double>(limits::sqlite_batch_stored_bytes_max) /
                                              static_cast<double>(stored));
        end = start + std::clamp<size_t>(keep, 1, end - start - 1);
      }
      start = end;
    }
    return batches;
  }

  // The share of limits::sqlite_batch_stored_bytes_max a batch aims at: batches vary around it.
  static constexpr double kStoredMargin = 0.9;
  std::shared_ptr<Writer> writer_;
  std::shared_ptr<Notifier> notifier_;
  std::string fence_key_;
  uint32_t partition_;
  Offset end_;  // where this producer's next record goes, as it last saw the partition
  Instant last_recorded_at_;
  ProducerSession session_;
  double ratio_ = 4;  // frames' bytes per stored byte in the last batch encoded (LZ4 on events: ~4)
};

// --- Consumer -------------------------------------------------------------------

// Ends a read transaction on every exit (a read transaction has nothing to keep).
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db) {}
  ~ReadTransaction() {
    if (open_ && !exec(db_, "COMMIT").is_ok()) (void)exec(db_, "ROLLBACK");
  }
  Status begin() {
    if (open_) return Status::ok();
    DIMONA_TRY(exec(db_, "BEGIN"));
    open_ = true;
    return Status::ok();
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  sqlite3* db_;
  bool open_ = false;
};

class SqliteConsumer final : public LogConsumer {
 public:
  SqliteConsumer(Connection db, std::shared_ptr<Notifier> notifier, uint32_t partitions)
      : db_(std::move(db)), notifier_(std::move(notifier)), partitions_(partitions) {}

  Status prepare_all() {
    sqlite3* d = db_.get();
    const std::pair<Statement*, std::string> all[] = {
        {&tail_, std::string(kTailSql)},
        {&holder_,
         "SELECT base_offset, count FROM batches WHERE partition = ?1 AND base_offset <= ?2 "
         "ORDER BY base_offset DESC LIMIT 1"},
        {&rows_, std::string(kBatchColumns) + "WHERE partition = ?1 AND base_offset >= ?2 ORDER BY base_offset"},
        {&batch_at_,
         std::string(kBatchColumns) + "WHERE partition = ?1 AND base_offset <= ?2 ORDER BY base_offset DESC LIMIT 1"},
        {&at_time_,
         std::string(kBatchColumns) +
             "WHERE partition = ?1 AND last_recorded_at >= ?2 ORDER BY last_recorded_at, base_offset LIMIT 1"},
        {&data_version_, "PRAGMA data_version"}};
    for (const auto& [target, sql] : all) {
      Result<Statement> s = prepare(d, sql);
      DIMONA_TRY(s);
      *target = std::move(s).value();
    }
    return Status::ok();
  }

  Status assign(std::span<const uint32_t> partitions) override {
    std::map<uint32_t, Cursor> cursors;
    for (uint32_t p : partitions) {
      DIMONA_TRY(check_partition(p));
      cursors[p] = Cursor{};
    }
    cursors_ = std::move(cursors);
    return Status::ok();
  }

  Status seek(uint32_t partition, Offset offset) override {
    DIMONA_TRY(check_assigned(partition));
    Result<Offset> end = end_offset(partition);
    DIMONA_TRY(end);
    cursors_[partition] = cursor_at(std::min(offset, *end));
    return Status::ok();
  }

  Status seek_to_instant(uint32_t partition, Instant at) override;
  Status read_at(uint32_t partition, std::span<const Offset> offsets,
                 const std::function<Status(LogRecord&)>& f) override;
  Result<size_t> poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout, size_t max_records) override;
  Result<size_t> poll_views(std::vector<LogRecordView>& out, std::chrono::milliseconds timeout,
                            size_t max_records) override;

  void recycle(std::vector<LogRecord>& records) override { spare_.keep(records); }
  void release_recycled() override {
    release_viewed();
    spare_.release();
    std::vector<log_frames::FrameBuffer>().swap(view_frames_);
    views_held_ = 0;
    // Its page cache too (up to SQLite's 2 MB a connection; the Projector keeps a consumer per
    // partition, 32 MB beside a rebuild's final checkpoint): the next read takes the few pages
    // it needs from the OS's cache again.
    (void)sqlite3_db_release_memory(db_.get());
  }
  Result<Offset> end_offset(uint32_t partition) override {
    DIMONA_TRY(check_partition(partition));
    StatementUse use(tail_.get());
    bind(tail_.get(), 1, int64_t{partition});
    Result<bool> row = step_row(db_.get(), tail_.get(), "cannot read the end of " + partition_text(partition));
    DIMONA_TRY(row);
    if (!*row) return Offset{0};
    int64_t end = sqlite3_column_int64(tail_.get(), 0);
    if (end < 0) return corruption(partition_text(partition) + " has a negative end offset");
    return static_cast<Offset>(end);
  }

 private:
  struct Cursor {
    Offset position = 0;
    // The last batch read's last recordedAt: the next batch starts at or after it.
    Instant last_read{std::numeric_limits<int64_t>::min()};
    std::vector<LogRecord> pending;  // decoded, not yet delivered: pending[next].offset == position
    size_t next = 0;
  };
  static Cursor cursor_at(Offset position) {
    Cursor c;
    c.position = position;
    return c;
  }

  // The batch a statement stepped onto, checked and decoded: its records from `position` on
  // (all of them when it is not in the batch), only `budget` of them for a short read by offset
  // (at most limits::log_window_records_max, ending before the batch does: decode_batch_window
  // decompresses only up to the window's end).
  Status decode_row(sqlite3_stmt* s, uint32_t partition, BatchHeader* h, std::vector<LogRecord>* records,
                    Offset position, size_t budget) {
    const std::string_view stored = row_of(s, partition, h);
    const Offset base = h->base_offset >= 0 ? static_cast<Offset>(h->base_offset) : 0;
    const Offset end = h->count > 0 ? base + static_cast<Offset>(h->count) : base;
    if (h->base_offset >= 0 && base <= position && position < end && budget <= limits::log_window_records_max &&
        end - position > budget) {
      return log_frames::decode_batch_window(*h, stored, static_cast<uint32_t>(position - base),
                                             static_cast<uint32_t>(budget), records, &scratch_, &spare_);
    }
    return log_frames::decode_batch(*h, stored, records, &scratch_, &spare_);
  }

  // The header and stored bytes of the batch a statement (kBatchColumns) stepped onto; the bytes
  // are the statement's until its next step or reset.
  static std::string_view row_of(sqlite3_stmt* s, uint32_t partition, BatchHeader* h) {
    h->partition = partition;
    h->base_offset = sqlite3_column_int64(s, 0);
    h->count = sqlite3_column_int64(s, 1);
    h->first_recorded_at = sqlite3_column_int64(s, 2);
    h->last_recorded_at = sqlite3_column_int64(s, 3);
    h->crc = sqlite3_column_int64(s, 4);
    h->codec = sqlite3_column_int64(s, 5);
    h->raw_size = sqlite3_column_int64(s, 6);
    return sqlite::column_view(s, 7);
  }

  // Whether batch h, the first one this read steps onto or not, continues what cursor c read: it
  // holds c.position (the first) or starts there, and is not recorded before the batch before it
  // (a read that starts inside a batch, after a seek or a short read of it, has that batch's own
  // order checked by its decode).
  static Status check_continues(uint32_t partition, const Cursor& c, const BatchHeader& h, bool first) {
    const auto base = static_cast<Offset>(h.base_offset);
    const bool follows =
        first ? base <= c.position && c.position < base + static_cast<Offset>(h.count) : base == c.position;
    if (!follows) {
      return corruption(log_frames::batch_location(partition, h.base_offset) + " does not continue offset " +
                        std::to_string(c.position) + " (a batch is missing or overlaps)");
    }
    if (!(first && base < c.position) && Instant{h.first_recorded_at} < c.last_read) {
      return corruption(log_frames::batch_location(partition, h.base_offset) +
                        " is recorded before the batch it follows");
    }
    return Status::ok();
  }

  static size_t deliver(Cursor& c, std::vector<LogRecord>& out, size_t budget) {
    size_t taken = 0;
    while (taken < budget && c.next < c.pending.size()) {
      DIMONA_ASSERT(c.pending[c.next].offset == c.position);
      out.push_back(std::move(c.pending[c.next++]));
      ++c.position;
      ++taken;
    }
    if (c.next == c.pending.size()) {
      c.pending.clear();
      c.next = 0;
    }
    return taken;
  }

  Result<Offset> holder_base(uint32_t partition, Offset position);
  template <typename Batch>
  Status step_batches(uint32_t partition, const Cursor& c, Batch&& batch);
  Status read_partition(uint32_t partition, Cursor& c, std::vector<LogRecord>& out, size_t budget, size_t* taken);
  Result<size_t> read_available(std::vector<LogRecord>& out, size_t max_records);
  Status read_partition_views(uint32_t partition, Cursor& c, std::vector<LogRecordView>& out, size_t budget,
                              size_t* taken);
  Result<size_t> read_available_views(std::vector<LogRecordView>& out, size_t max_records);
  // Polls with `read_available(max_records)` until it gives records, fails or the timeout passes.
  template <typename ReadAvailable>
  Result<size_t> poll_with(std::chrono::milliseconds timeout, ReadAvailable&& read_available);
  Result<int64_t> data_version() {
    StatementUse use(data_version_.get());
    Result<bool> row = step_row(db_.get(), data_version_.get(), "cannot read the log's data version");
    DIMONA_TRY(row);
    return *row ? sqlite3_column_int64(data_version_.get(), 0) : int64_t{0};
  }

  Status check_partition(uint32_t partition) const {
    if (partition < partitions_) return Status::ok();
    return invalid_argument(partition_text(partition) + " does not exist");
  }
  Status check_assigned(uint32_t partition) const {
    if (cursors_.contains(partition)) return Status::ok();
    return invalid_argument(partition_text(partition) + " is not assigned");
  }

  Connection db_;  // declared first: closed after the statements are finalized
  Statement tail_, holder_, rows_, batch_at_, at_time_, data_version_;
  std::shared_ptr<Notifier> notifier_;
  uint32_t partitions_;
  std::map<uint32_t, Cursor> cursors_;
  std::string scratch_;  // decompressed frames
  // Records given back (recycle()), whose buffers the next batches are decoded into; freed by
  // release_recycled().
  log_internal::SpareRecords spare_;
  // poll_views(): the frames of each batch its views point into, view_frames_[0, views_held_)
  // those of the last poll; their buffers are reused by the next one, freed by release_recycled().
  std::vector<log_frames::FrameBuffer> view_frames_;
  size_t views_held_ = 0;
};

Status SqliteConsumer::seek_to_instant(uint32_t partition, Instant at) {
  DIMONA_TRY(check_assigned(partition));
  ReadTransaction read(db_.get());
  DIMONA_TRY(read.begin());  // the batch found and the end agree
  sqlite3_stmt* s = at_time_.get();
  StatementUse use(s);
  bind(s, 1, int64_t{partition});
  bind(s, 2, at.micros);
  Result<bool> row = step_row(db_.get(), s, "cannot search " + partition_text(partition) + " by time");
  DIMONA_TRY(row);
  if (!*row) {
    Result<Offset> end = end_offset(partition);
    DIMONA_TRY(end);
    cursors_[partition] = cursor_at(*end);
    return Status::ok();
  }
  BatchHeader h;
  std::vector<LogRecord> records;
  DIMONA_TRY(decode_row(s, partition, &h, &records, 0, SIZE_MAX));  // the whole batch
  // recordedAt never goes back: the batch's last record is at or after `at`.
  auto first = std::find_if(records.begin(), records.end(), [&](const LogRecord& r) { return r.recorded_at >= at; });
  DIMONA_ASSERT(first != records.end());
  Cursor c = cursor_at(first->offset);
  c.last_read = Instant{h.last_recorded_at};
  c.pending.assign(std::make_move_iterator(first), std::make_move_iterator(records.end()));
  cursors_[partition] = std::move(c);
  return Status::ok();
}

// One read transaction; per batch holding a wanted offset, one index look-up (the batch whose
// base is the greatest at or below the offset) and one decode of the wanted frames alone.
Status SqliteConsumer::read_at(uint32_t partition, std::span<const Offset> offsets,
                               const std::function<Status(LogRecord&)>& f) {
  DIMONA_TRY(check_partition(partition));
  cursors_.clear();
  cursors_[partition] = Cursor{};
  if (offsets.empty()) return Status::ok();
  ReadTransaction read(db_.get());
  DIMONA_TRY(read.begin());
  // As every backend: an offset past the end is refused before f sees any record.
  Result<Offset> log_end = end_offset(partition);
  DIMONA_TRY(log_end);
  if (offsets.back() >= *log_end) return no_such_offset(partition, offsets.back());
  ReleaseRecycledOnExit release(*this);
  sqlite3_stmt* s = batch_at_.get();
  std::vector<uint32_t> wanted;
  std::vector<LogRecord> records;
  for (size_t i = 0; i < offsets.size();) {
    StatementUse use(s);
    bind(s, 1, int64_t{partition});
    bind(s, 2, static_cast<int64_t>(std::min<Offset>(offsets[i], std::numeric_limits<int64_t>::max())));
    Result<bool> row = step_row(db_.get(), s, "cannot read " + partition_text(partition));
    DIMONA_TRY(row);
    BatchHeader h;
    const std::string_view stored = *row ? row_of(s, partition, &h) : std::string_view();
    if (*row && (h.base_offset < 0 || h.count < 1 || h.count > int64_t{limits::batch_events_max}))
      return corruption(log_frames::batch_location(partition, h.base_offset) + " has an impossible header");
    const auto base = static_cast<Offset>(h.base_offset);
    const Offset end = base + static_cast<Offset>(h.count);
    if (!*row || offsets[i] >= end) {  // below the end (checked above): a hole in the partition
      return corruption(partition_text(partition) + ": no batch holds offset " + std::to_string(offsets[i]) +
                        " (a batch is missing)");
    }
    wanted.clear();
    size_t j = i;
    for (; j < offsets.size() && offsets[j] < end; ++j) {
      DIMONA_ASSERT(j == i || offsets[j] > offsets[j - 1]);
      wanted.push_back(static_cast<uint32_t>(offsets[j] - base));
    }
    records.clear();
    DIMONA_TRY(log_frames::decode_batch_records(h, stored, wanted, &records, &scratch_, &spare_));
    DIMONA_ASSERT(records.size() == wanted.size());
    for (LogRecord& record : records) DIMONA_TRY(f(record));
    recycle(records);
    cursors_[partition] = cursor_at(offsets[j - 1] + 1);
    i = j;
  }
  return Status::ok();
}

// The base offset of the batch holding position, or position when no batch
// holds it (it is the end, or a gap the continuity check reports).
Result<Offset> SqliteConsumer::holder_base(uint32_t partition, Offset position) {
  StatementUse use(holder_.get());
  bind(holder_.get(), 1, int64_t{partition});
  bind(holder_.get(), 2, static_cast<int64_t>(position));
  Result<bool> row = step_row(db_.get(), holder_.get(), "cannot read " + partition_text(partition));
  DIMONA_TRY(row);
  if (!*row) return position;
  const int64_t base = sqlite3_column_int64(holder_.get(), 0);
  const int64_t count = sqlite3_column_int64(holder_.get(), 1);
  if (base < 0 || count < 1) return position;  // the row's checks report it
  return static_cast<Offset>(base) + static_cast<Offset>(count) > position ? static_cast<Offset>(base) : position;
}

// Steps partition's stored batches from the one holding c.position on, in one statement (in the
// caller's read transaction), handing each row to `batch(statement, first)` until it answers
// false or an error, or the rows end.
template <typename Batch>
Status SqliteConsumer::step_batches(uint32_t partition, const Cursor& c, Batch&& batch) {
  Result<Offset> start = holder_base(partition, c.position);
  DIMONA_TRY(start);
  sqlite3_stmt* s = rows_.get();
  StatementUse use(s);
  bind(s, 1, int64_t{partition});
  bind(s, 2, static_cast<int64_t>(*start));
  for (bool first = true;; first = false) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return Status::ok();
    if (rc != SQLITE_ROW) return sqlite_error(db_.get(), rc, "cannot read " + partition_text(partition));
    Result<bool> more = batch(s, first);
    DIMONA_TRY(more);
    if (!*more) return Status::ok();
  }
}

// Reads partition's next batches from c.position within one read transaction:
// each checked (sqlite_frames.h), continuing the previous one, its recordedAt
// not before the previous batch's. Stops at the first bad batch.
Status SqliteConsumer::read_partition(uint32_t partition, Cursor& c, std::vector<LogRecord>& out, size_t budget,
                                      size_t* taken) {
  DIMONA_ASSERT(budget > 0);
  return step_batches(partition, c, [&](sqlite3_stmt* s, bool first) -> Result<bool> {
    BatchHeader h;
    std::vector<LogRecord> records;
    DIMONA_TRY(decode_row(s, partition, &h, &records, c.position, budget));
    DIMONA_TRY(check_continues(partition, c, h, first));
    c.last_read = Instant{h.last_recorded_at};
    const Offset decoded_from = records.front().offset;  // base, or position for a window
    c.pending.assign(std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(c.position - decoded_from)),
                     std::make_move_iterator(records.end()));
    c.next = 0;
    const size_t delivered = deliver(c, out, budget);
    budget -= delivered;
    *taken += delivered;
    return budget > 0;
  });
}

// What the assigned partitions hold now, in one read transaction; on a bad
// batch, the good records before it, else its kCorruption.
Result<size_t> SqliteConsumer::read_available(std::vector<LogRecord>& out, size_t max_records) {
  size_t taken = 0;
  ReadTransaction read(db_.get());
  for (auto& [partition, cursor] : cursors_) {
    if (taken == max_records) break;
    taken += deliver(cursor, out, max_records - taken);
    if (taken == max_records) break;
    DIMONA_TRY(read.begin());
    Status read_one = read_partition(partition, cursor, out, max_records - taken, &taken);
    if (!read_one.is_ok()) {
      if (taken > 0) return taken;  // the next poll starts at the bad batch and reports it
      return read_one;
    }
  }
  return taken;
}

// The views' twin of read_partition: each batch decoded whole into a frames buffer of its own,
// its records from c.position on delivered as views, the last one possibly past the budget.
Status SqliteConsumer::read_partition_views(uint32_t partition, Cursor& c, std::vector<LogRecordView>& out,
                                            size_t budget, size_t* taken) {
  DIMONA_ASSERT(budget > 0);
  DIMONA_ASSERT(c.pending.empty());  // poll_views() reads through poll() until they are delivered
  return step_batches(partition, c, [&](sqlite3_stmt* s, bool first) -> Result<bool> {
    BatchHeader h;
    const std::string_view stored = row_of(s, partition, &h);
    if (views_held_ == view_frames_.size()) view_frames_.emplace_back();
    const size_t before = out.size();
    DIMONA_TRY(log_frames::decode_batch_views(h, stored, &out, &view_frames_[views_held_]));
    if (Status continues = check_continues(partition, c, h, first); !continues.is_ok()) {
      out.resize(before);
      return continues;
    }
    ++views_held_;
    c.last_read = Instant{h.last_recorded_at};
    // A poll that starts inside the batch (after a seek) delivers it from c.position on.
    const auto skipped = static_cast<std::ptrdiff_t>(c.position - static_cast<Offset>(h.base_offset));
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(before),
              out.begin() + static_cast<std::ptrdiff_t>(before) + skipped);
    const size_t delivered = out.size() - before;
    c.position += delivered;
    budget -= std::min(budget, delivered);
    *taken += delivered;
    return budget > 0;
  });
}

Result<size_t> SqliteConsumer::read_available_views(std::vector<LogRecordView>& out, size_t max_records) {
  size_t taken = 0;
  views_held_ = 0;  // the last poll's views are done with: their buffers are reused
  ReadTransaction read(db_.get());
  for (auto& [partition, cursor] : cursors_) {
    if (taken >= max_records) break;
    DIMONA_TRY(read.begin());
    Status read_one = read_partition_views(partition, cursor, out, max_records - taken, &taken);
    if (!read_one.is_ok()) {
      if (taken > 0) return taken;  // the next poll starts at the bad batch and reports it
      return read_one;
    }
  }
  return taken;
}

Result<size_t> SqliteConsumer::poll_views(std::vector<LogRecordView>& out, std::chrono::milliseconds timeout,
                                          size_t max_records) {
  // Records a poll() decoded and has not delivered yet are delivered by poll() first.
  for (const auto& [partition, cursor] : cursors_)
    if (!cursor.pending.empty()) return LogConsumer::poll_views(out, timeout, max_records);
  if (max_records == 0) return invalid_argument("a poll asks for at least one record");
  max_records = std::min(max_records, limits::log_poll_records_max);
  return poll_with(timeout, [&]() { return read_available_views(out, max_records); });
}

Result<size_t> SqliteConsumer::poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout,
                                    size_t max_records) {
  if (max_records == 0) return invalid_argument("a poll asks for at least one record");
  max_records = std::min(max_records, limits::log_poll_records_max);
  return poll_with(timeout, [&]() { return read_available(out, max_records); });
}

template <typename ReadAvailable>
Result<size_t> SqliteConsumer::poll_with(std::chrono::milliseconds timeout, ReadAvailable&& read_available) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Taken before the read: an append committed after it changes one or the other.
    const uint64_t generation = notifier_->generation();
    Result<int64_t> version = data_version();
    DIMONA_TRY(version);
    Result<size_t> got = read_available();
    if (!got.is_ok() || *got > 0) return got;
    for (;;) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return size_t{0};
      auto until = std::min(deadline, now + std::chrono::milliseconds(limits::sqlite_log_poll_recheck_ms));
      if (notifier_->wait(generation, until)) break;  // an in-process append
      Result<int64_t> now_version = data_version();   // another process's commit
      DIMONA_TRY(now_version);
      if (*now_version != *version) break;
    }
  }
}

// --- Keyed tables -----------------------------------------------------------------

// The keyed tables (keyed_table.h) live in one table of the log's file,
// created by the first open_table(); the log's format checks and readers
// never look at it (docs/log-format.md "Keyed tables").
constexpr char kKeyedSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS keyed(
  name TEXT NOT NULL,
  key BLOB NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY(name, key)
) STRICT, WITHOUT ROWID;
)sql";

// A table on a connection of its own: put() is one autocommit statement
// (fsynced, as an append), get() reads the row, refresh() reads them all.
class SqliteTable final : public KeyedTable {
 public:
  SqliteTable(Connection db, std::string name) : db_(std::move(db)), name_(std::move(name)) {}

  Status prepare_all() {
    const std::pair<Statement*, std::string_view> all[] = {
        {&upsert_,
         "INSERT INTO keyed(name, key, value) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(name, key) DO UPDATE SET value = excluded.value"},
        {&erase_, "DELETE FROM keyed WHERE name = ?1 AND key = ?2"},
        {&select_, "SELECT value FROM keyed WHERE name = ?1 AND key = ?2"},
        {&all_, "SELECT key, value FROM keyed WHERE name = ?1 ORDER BY key"}};
    for (const auto& [target, sql] : all) {
      Result<Statement> s = prepare(db_.get(), sql);
      DIMONA_TRY(s);
      *target = std::move(s).value();
    }
    return Status::ok();
  }

  Status put(std::string_view key, std::string_view value) override {
    DIMONA_TRY(check_table_entry(name_, key, value));
    sqlite3_stmt* s = value.empty() ? erase_.get() : upsert_.get();
    StatementUse use(s);
    bind_text(s, 1, name_);
    bind_blob(s, 2, key);
    if (!value.empty()) bind_blob(s, 3, value);
    DIMONA_TRY(step_done(db_.get(), s, "cannot write to table " + name_));
    view_.apply(key, value);
    return Status::ok();
  }

  // One transaction: every row or none (the view learns them once committed).
  Status put_all(std::span<const Row> rows) override {
    for (const Row& row : rows) DIMONA_TRY(check_table_entry(name_, row.first, row.second));
    if (rows.empty()) return Status::ok();
    DIMONA_TRY(sqlite::in_transaction(db_.get(), "BEGIN IMMEDIATE", "a write to table " + name_, [&]() -> Status {
      for (const Row& row : rows) {
        sqlite3_stmt* s = row.second.empty() ? erase_.get() : upsert_.get();
        StatementUse use(s);
        bind_text(s, 1, name_);
        bind_blob(s, 2, row.first);
        if (!row.second.empty()) bind_blob(s, 3, row.second);
        DIMONA_TRY(step_done(db_.get(), s, "cannot write to table " + name_));
      }
      return Status::ok();
    }));
    for (const Row& row : rows) view_.apply(row.first, row.second);
    return Status::ok();
  }

  Result<std::optional<std::string>> get(std::string_view key) override {
    DIMONA_TRY(check_table_key(name_, key));
    sqlite3_stmt* s = select_.get();
    StatementUse use(s);
    bind_text(s, 1, name_);
    bind_blob(s, 2, key);
    Result<bool> row = step_row(db_.get(), s, "cannot read table " + name_);
    DIMONA_TRY(row);
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(column_bytes(s, 0));
  }

  Status refresh() override {
    sqlite3_stmt* s = all_.get();
    StatementUse use(s);
    bind_text(s, 1, name_);
    std::map<std::string, std::string, std::less<>> entries;
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return sqlite_error(db_.get(), rc, "cannot read table " + name_);
      entries.insert_or_assign(column_bytes(s, 0), column_bytes(s, 1));
    }
    view_.replace(std::move(entries));
    return Status::ok();
  }

  void for_each(const std::function<void(std::string_view, std::string_view)>& f) const override {
    view_.for_each(f);
  }

 private:
  static std::string column_bytes(sqlite3_stmt* s, int column) { return std::string(sqlite::column_view(s, column)); }

  Connection db_;  // declared first: closed after the statements are finalized
  Statement upsert_, erase_, select_, all_;
  std::string name_;
  TableView view_;
};

// --- Log ------------------------------------------------------------------------

class SqliteLog final : public Log {
 public:
  SqliteLog(std::string path, std::string canonical_path, uint32_t partitions, int busy_timeout_ms,
            uint64_t size_limit_bytes, std::shared_ptr<Writer> writer)
      : path_(std::move(path)),
        canonical_path_(std::move(canonical_path)),
        partitions_(partitions),
        busy_timeout_ms_(busy_timeout_ms),
        size_limit_bytes_(size_limit_bytes),
        writer_(std::move(writer)),
        notifier_(notifier_for(canonical_path_)) {}

  uint32_t partitions() const override { return partitions_; }
  std::string uri() const override { return "sqlite:" + path_; }

  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override {
    if (partition >= partitions_) return invalid_argument(partition_text(partition) + " does not exist");
    {
      std::lock_guard lock(fence_mutex);
      if (!held_partitions.insert({canonical_path_, partition}).second) {
        return busy(partition_text(partition) + " is held by another producer");
      }
    }
    Result<Tail> tail = [&] {
      std::lock_guard lock(writer_->mutex);
      return writer_->read_tail(partition);
    }();
    if (!tail.is_ok()) {
      std::lock_guard lock(fence_mutex);
      held_partitions.erase({canonical_path_, partition});
      return tail.status();
    }
    return std::unique_ptr<LogProducer>(
        std::make_unique<SqliteProducer>(writer_, notifier_, canonical_path_, partition, *tail));
  }

  Result<std::unique_ptr<LogConsumer>> open_consumer() override {
    Result<Connection> db = open_connection(path_, SQLITE_OPEN_READONLY, busy_timeout_ms_);
    DIMONA_TRY(db);
    auto consumer = std::make_unique<SqliteConsumer>(std::move(db).value(), notifier_, partitions_);
    DIMONA_TRY(consumer->prepare_all());
    return std::unique_ptr<LogConsumer>(std::move(consumer));
  }

  Result<std::unique_ptr<KeyedTable>> open_table(std::string_view name) override {
    return open_sqlite_table(path_, busy_timeout_ms_, size_limit_bytes_, name);
  }

 private:
  std::string path_;
  std::string canonical_path_;  // the fence's and the notifier's key
  uint32_t partitions_;
  int busy_timeout_ms_;
  uint64_t size_limit_bytes_;  // LogOptions::size_limit_bytes, for the tables' connections
  std::shared_ptr<Writer> writer_;
  std::shared_ptr<Notifier> notifier_;
};

}  // namespace

Result<std::unique_ptr<Log>> open_sqlite_log(std::string_view path_view, const LogOptions& options) {
  if (path_view.empty()) return invalid_argument("an embedded log names its file: sqlite:PATH");
  if (options.busy_timeout_ms < 0) return invalid_argument("busy_timeout_ms must not be negative");
  const std::string path(path_view);
  std::error_code error;
  const bool exists = std::filesystem::exists(path, error);
  if (!exists && !options.create_if_missing) return not_found("no log at " + path);
  if (!exists) DIMONA_TRY(create_private_file(path));  // 0600: it holds SSINs; -wal and -shm inherit the mode
  auto writer = std::make_shared<Writer>();
  Result<Connection> db = open_connection(path, SQLITE_OPEN_READWRITE, options.busy_timeout_ms);
  DIMONA_TRY(db);
  writer->db = std::move(db).value();
  Result<Format> format = open_schema(writer->db.get(), path, options);
  DIMONA_TRY(format);
  writer->compression = format->compression();
  DIMONA_TRY(cap_size(writer->db.get(), options.size_limit_bytes));
  DIMONA_TRY(writer->prepare_all());
  std::string canonical = std::filesystem::canonical(path, error).string();
  if (error) return io_error("cannot resolve " + path + ": " + error.message());
  return std::unique_ptr<Log>(std::make_unique<SqliteLog>(path, std::move(canonical), format->partitions,
                                                          options.busy_timeout_ms, options.size_limit_bytes,
                                                          std::move(writer)));
}

Result<std::unique_ptr<KeyedTable>> open_sqlite_table(const std::string& path, int busy_timeout_ms,
                                                      uint64_t size_limit_bytes, std::string_view name) {
  DIMONA_TRY(check_table_name(name));
  Result<Connection> db = open_connection(path, SQLITE_OPEN_READWRITE, busy_timeout_ms);
  DIMONA_TRY(db);
  sqlite3* d = db->get();
  DIMONA_TRY(exec(d, "PRAGMA synchronous = FULL"));  // a put is fsynced: durable when it returns
  DIMONA_TRY(cap_size(d, size_limit_bytes));
  Result<std::optional<int64_t>> exists = query_int(
      d, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'keyed'", "cannot read the log's schema");
  DIMONA_TRY(exists);
  if (!exists->has_value()) DIMONA_TRY(exec(d, kKeyedSchema));  // IF NOT EXISTS: a racing opener is no error
  auto table = std::make_unique<SqliteTable>(std::move(db).value(), std::string(name));
  DIMONA_TRY(table->prepare_all());
  return std::unique_ptr<KeyedTable>(std::move(table));
}

}  // namespace dimona::log_internal
