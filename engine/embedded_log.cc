#include "engine/embedded_log.h"

#include "engine/base/private_file.h"

#include <lz4.h>
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "engine/base/assert.h"

// Evaluates a Result expression; returns its error, or moves its value into
// lhs (which may declare a variable, hence no parentheses around it).
// NOLINTBEGIN(bugprone-macro-parentheses)
#define LOG_CONCAT_INNER(a, b) a##b
#define LOG_CONCAT(a, b) LOG_CONCAT_INNER(a, b)
#define LOG_ASSIGN_OR_RETURN(lhs, expr) \
  LOG_ASSIGN_OR_RETURN_IMPL(LOG_CONCAT(log_result_, __LINE__), lhs, expr)
#define LOG_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                              \
  if (!result.is_ok()) return result.status();       \
  lhs = std::move(result).value()
// NOLINTEND(bugprone-macro-parentheses)

namespace dimona {
namespace {

// How a batch's payload is stored (the `codec` column).
constexpr int64_t kCodecNone = 0;
constexpr int64_t kCodecLz4 = 1;

// Larger pages mean fewer overflow pages (and syscalls) per batch blob; the
// size only applies when the file is created.
constexpr int kPageSizeBytes = 65536;
static_assert(limits::batch_payload_bytes_max <= std::numeric_limits<int>::max(),
              "SQLite binds a blob's size as an int");
// A partition with no batch yet has no last recordedAt: anything may follow.
constexpr Instant kBeforeAnyInstant{std::numeric_limits<int64_t>::min()};

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Resets a cached statement (and releases what it bound or read) on every exit.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* statement_;
};

Status sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return busy(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return corruption(std::move(message));
    case SQLITE_CONSTRAINT: return failed_precondition(std::move(message));
    default: return io_error(std::move(message));
  }
}

std::string partition_text(uint32_t partition) { return "partition " + std::to_string(partition); }

Result<Connection> open_connection(const std::string& path, int flags, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return sqlite_error(db.get(), rc, "cannot open log " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  return db;
}

// Runs SQL that returns no rows; a failure names `what`, or the SQL itself.
Status exec(sqlite3* db, const char* sql, const char* what = nullptr) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, what != nullptr ? what : sql);
  return Status::ok();
}

Result<Statement> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement statement(raw);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, "cannot prepare a statement of the log");
  DIMONA_ASSERT(statement != nullptr);
  return statement;
}

// Binding a well-formed statement only fails on a programming error.
void bind_value(sqlite3_stmt* statement, int index, int64_t value) {
  DIMONA_ASSERT(sqlite3_bind_int64(statement, index, value) == SQLITE_OK);
}
void bind_value(sqlite3_stmt* statement, int index, std::string_view text) {
  DIMONA_ASSERT(sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                                  SQLITE_STATIC) == SQLITE_OK);
}
void bind_blob(sqlite3_stmt* statement, int index, std::string_view bytes) {
  DIMONA_ASSERT(sqlite3_bind_blob(statement, index, bytes.data(), static_cast<int>(bytes.size()),
                                  SQLITE_STATIC) == SQLITE_OK);
}

// Steps a query expected to give at most one row: true for a row, false for none.
Result<bool> step_row(sqlite3* db, sqlite3_stmt* statement, std::string_view what) {
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db, rc, what);
}

Status step_done(sqlite3* db, sqlite3_stmt* statement, std::string_view what) {
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_DONE) return Status::ok();
  return sqlite_error(db, rc, what);
}

// True when `payload` is exactly `count` non-empty lines, each ending in '\n'.
bool holds_lines(std::string_view payload, uint32_t count) {
  const char* p = payload.data();
  const char* end = p + payload.size();
  uint64_t lines = 0;
  while (p < end) {
    auto newline = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (newline == nullptr || newline == p || ++lines > count) return false;
    p = newline + 1;
  }
  return lines == count;
}

void assert_well_formed(const BatchDraft& draft, uint32_t partitions, Instant previous_last) {
  DIMONA_ASSERT(draft.partition < partitions);
  DIMONA_ASSERT(draft.count > 0 && draft.count <= limits::batch_events_max);
  DIMONA_ASSERT(draft.payload.size() <= limits::batch_payload_bytes_max);
  DIMONA_ASSERT(holds_lines(draft.payload, draft.count));
  DIMONA_ASSERT(draft.first_recorded_at <= draft.last_recorded_at);
  DIMONA_ASSERT(previous_last <= draft.first_recorded_at);
}

constexpr char kSchema[] = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE batches(
  partition INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_recorded_at INTEGER NOT NULL,
  last_recorded_at INTEGER NOT NULL,
  crc INTEGER NOT NULL,
  payload BLOB NOT NULL,
  codec INTEGER NOT NULL DEFAULT 0,
  raw_size INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(partition, base_offset)
) STRICT, WITHOUT ROWID;
CREATE TABLE source_cursors(
  source_id TEXT PRIMARY KEY NOT NULL,
  lines INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  prefix_crc INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

constexpr std::string_view kLastBatchSql =
    "SELECT base_offset + count, last_recorded_at FROM batches WHERE partition = ?1 "
    "ORDER BY base_offset DESC LIMIT 1";

Result<bool> has_table(sqlite3* db, std::string_view name) {
  LOG_ASSIGN_OR_RETURN(
      Statement statement,
      prepare(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1"));
  bind_value(statement.get(), 1, name);
  return step_row(db, statement.get(), "cannot read the log's schema");
}

Result<bool> is_empty_database(sqlite3* db) {
  LOG_ASSIGN_OR_RETURN(Statement statement, prepare(db, "SELECT 1 FROM sqlite_schema LIMIT 1"));
  LOG_ASSIGN_OR_RETURN(bool any, step_row(db, statement.get(), "cannot read the log's schema"));
  return !any;
}

Status insert_meta(sqlite3* db, std::string_view key, int64_t value) {
  LOG_ASSIGN_OR_RETURN(Statement statement,
                       prepare(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)"));
  bind_value(statement.get(), 1, key);
  bind_value(statement.get(), 2, value);
  return step_done(db, statement.get(), "cannot write the log's meta table");
}

Status create_schema(sqlite3* db, const EmbeddedLogOptions& options) {
  DIMONA_TRY(exec(db, kSchema, "cannot create the log's tables"));
  SystemClock system_clock;
  const Clock& clock = options.clock != nullptr ? *options.clock : system_clock;
  DIMONA_TRY(insert_meta(db, "format_version", kEmbeddedLogFormatVersion));
  DIMONA_TRY(insert_meta(db, "partitions", options.partitions));
  return insert_meta(db, "created_at", clock.now().micros);
}

// Creates the tables of a new log inside one write transaction (a creator
// racing us may have won: then its tables stand).
Status create_if_new(sqlite3* db, const std::string& path, const EmbeddedLogOptions& options) {
  LOG_ASSIGN_OR_RETURN(bool has_meta, has_table(db, "meta"));
  if (has_meta) return Status::ok();
  LOG_ASSIGN_OR_RETURN(bool empty, is_empty_database(db));
  if (!empty) return failed_precondition(path + " is not a Dimona ledger log (no meta table)");
  return create_schema(db, options);
}

// Refuses a database that is not a log; creates the tables when the file is
// new and may be created. An existing log is only read here, so opening it
// does not wait for a writer's lock.
Status ensure_schema(sqlite3* db, const std::string& path, const EmbeddedLogOptions& options) {
  LOG_ASSIGN_OR_RETURN(bool has_meta, has_table(db, "meta"));
  if (has_meta) return Status::ok();
  if (!options.create_if_missing) {
    return failed_precondition(path + " is not a Dimona ledger log (no meta table)");
  }
  DIMONA_TRY(exec(db, "BEGIN IMMEDIATE"));
  Status created = create_if_new(db, path, options);
  if (!created.is_ok()) {
    if (sqlite3_get_autocommit(db) == 0) (void)exec(db, "ROLLBACK");
    return created;
  }
  return exec(db, "COMMIT");
}

Result<int64_t> read_meta(sqlite3* db, const std::string& path, std::string_view key) {
  LOG_ASSIGN_OR_RETURN(Statement statement, prepare(db, "SELECT value FROM meta WHERE key = ?1"));
  bind_value(statement.get(), 1, key);
  LOG_ASSIGN_OR_RETURN(bool found,
                       step_row(db, statement.get(), "cannot read the log's meta table"));
  if (!found) return corruption(path + ": the meta table has no " + std::string(key));
  return sqlite3_column_int64(statement.get(), 0);
}

Result<uint32_t> read_partition_count(sqlite3* db, const std::string& path) {
  LOG_ASSIGN_OR_RETURN(int64_t version, read_meta(db, path, "format_version"));
  if (version != kEmbeddedLogFormatVersion) {
    return failed_precondition(path + " has log format version " + std::to_string(version) +
                               "; this build reads version " +
                               std::to_string(kEmbeddedLogFormatVersion) + " only");
  }
  LOG_ASSIGN_OR_RETURN(int64_t partitions, read_meta(db, path, "partitions"));
  if (partitions < 1 || partitions > int64_t{limits::partitions_max}) {
    return corruption(path + ": impossible partition count " + std::to_string(partitions));
  }
  return static_cast<uint32_t>(partitions);
}

Status configure_writer(sqlite3* db) {
  DIMONA_TRY(exec(db, ("PRAGMA page_size = " + std::to_string(kPageSizeBytes)).c_str()));
  LOG_ASSIGN_OR_RETURN(Statement wal, prepare(db, "PRAGMA journal_mode = WAL"));
  LOG_ASSIGN_OR_RETURN(bool row, step_row(db, wal.get(), "cannot switch the log to WAL mode"));
  auto mode = reinterpret_cast<const char*>(row ? sqlite3_column_text(wal.get(), 0) : nullptr);
  if (mode == nullptr || std::string_view(mode) != "wal") {
    return io_error("the log cannot use WAL mode (is its directory read-only?)");
  }
  return exec(db, "PRAGMA synchronous = FULL");
}

}  // namespace

// ---------------------------------------------------------------------------
// The reader

namespace {

struct BatchRow {
  int64_t base_offset;
  int64_t count;
  int64_t first_recorded_at;
  int64_t last_recorded_at;
  int64_t crc;
  std::string_view payload;  // as stored: compressed when codec is kCodecLz4
  int64_t codec;
  int64_t raw_size;
};

class EmbeddedBatchReader final : public BatchReader {
 public:
  EmbeddedBatchReader(Connection db, uint32_t partition, Offset from)
      : db_(std::move(db)), partition_(partition), from_(from), expected_(from) {}

  Status start();
  Result<bool> next(RecordBatch* out) override;

 private:
  Result<Offset> snapshot_end();
  Result<Offset> start_offset();
  Status check(const BatchRow& row) const;
  Status expand(const BatchRow& row, std::string* out) const;
  Status check_order(const BatchRow& row) const;
  Result<bool> finish();
  Status fail(Status status) {
    failure_ = status;
    rows_.reset();
    db_.reset();
    return status;
  }
  std::string at(const BatchRow& row) const {
    return partition_text(partition_) + ": batch at offset " + std::to_string(row.base_offset);
  }

  Connection db_;
  Statement rows_;  // declared after db_: finalized before the connection closes
  uint32_t partition_;
  Offset from_;
  Offset end_ = 0;
  Offset expected_;  // where the next batch must start
  Instant previous_last_ = kBeforeAnyInstant;
  bool first_ = true;
  bool done_ = false;
  Status failure_;
};

Result<Offset> EmbeddedBatchReader::snapshot_end() {
  LOG_ASSIGN_OR_RETURN(Statement last, prepare(db_.get(), kLastBatchSql));
  bind_value(last.get(), 1, int64_t{partition_});
  LOG_ASSIGN_OR_RETURN(bool found, step_row(db_.get(), last.get(), "cannot read the log"));
  if (!found) return Offset{0};
  int64_t end = sqlite3_column_int64(last.get(), 0);
  if (end < 0) return corruption(partition_text(partition_) + ": negative end offset");
  return static_cast<Offset>(end);
}

// The base offset of the batch holding from_ (or from_ itself when no batch
// starts at or before it: the continuity check then reports the gap).
Result<Offset> EmbeddedBatchReader::start_offset() {
  LOG_ASSIGN_OR_RETURN(Statement holder,
                       prepare(db_.get(),
                               "SELECT base_offset FROM batches WHERE partition = ?1 AND "
                               "base_offset <= ?2 ORDER BY base_offset DESC LIMIT 1"));
  bind_value(holder.get(), 1, int64_t{partition_});
  bind_value(holder.get(), 2, static_cast<int64_t>(from_));
  LOG_ASSIGN_OR_RETURN(bool found, step_row(db_.get(), holder.get(), "cannot read the log"));
  if (!found) return from_;
  return static_cast<Offset>(sqlite3_column_int64(holder.get(), 0));
}

Status EmbeddedBatchReader::start() {
  DIMONA_ASSERT(from_ <= static_cast<Offset>(std::numeric_limits<int64_t>::max()));
  // One read transaction: the snapshot is what was durable at this point.
  DIMONA_TRY(exec(db_.get(), "BEGIN"));
  LOG_ASSIGN_OR_RETURN(end_, snapshot_end());
  if (from_ > end_) {
    return failed_precondition(partition_text(partition_) + ": cannot read from offset " +
                               std::to_string(from_) + ", the log ends at " + std::to_string(end_));
  }
  LOG_ASSIGN_OR_RETURN(Offset start, start_offset());
  LOG_ASSIGN_OR_RETURN(rows_, prepare(db_.get(),
                                      "SELECT base_offset, count, first_recorded_at, "
                                      "last_recorded_at, crc, payload, codec, raw_size FROM batches WHERE "
                                      "partition = ?1 AND base_offset >= ?2 AND base_offset < ?3 "
                                      "ORDER BY base_offset"));
  bind_value(rows_.get(), 1, int64_t{partition_});
  bind_value(rows_.get(), 2, static_cast<int64_t>(start));
  bind_value(rows_.get(), 3, static_cast<int64_t>(end_));
  return Status::ok();
}

Status EmbeddedBatchReader::check_order(const BatchRow& row) const {
  auto base = static_cast<Offset>(row.base_offset);
  bool follows = first_ ? base <= expected_ && expected_ < base + static_cast<Offset>(row.count)
                        : base == expected_;
  if (!follows) {
    return corruption(at(row) + " does not continue offset " + std::to_string(expected_) +
                      " (a batch is missing or overlaps)");
  }
  if (row.first_recorded_at > row.last_recorded_at ||
      row.first_recorded_at < previous_last_.micros) {
    return corruption(at(row) + " has its recordedAt out of order");
  }
  return Status::ok();
}

Status EmbeddedBatchReader::check(const BatchRow& row) const {
  if (row.base_offset < 0 || row.count < 1 || row.count > int64_t{limits::batch_events_max} ||
      row.crc < 0 || row.crc > int64_t{std::numeric_limits<uint32_t>::max()} ||
      row.payload.size() > limits::batch_payload_bytes_max) {
    return corruption(at(row) + " has an impossible header");
  }
  if (row.codec != kCodecNone && row.codec != kCodecLz4) return corruption(at(row) + " has an unknown codec");
  if (row.codec == kCodecLz4 && (row.raw_size < 1 || row.raw_size > int64_t{limits::batch_payload_bytes_max}))
    return corruption(at(row) + " has an impossible size");
  return check_order(row);
}

// The payload's events, decompressed when they were stored compressed: the one copy.
Status EmbeddedBatchReader::expand(const BatchRow& row, std::string* out) const {
  if (row.codec == kCodecNone) {
    out->assign(row.payload.data(), row.payload.size());
    return Status::ok();
  }
  out->resize(static_cast<size_t>(row.raw_size));
  const int n = LZ4_decompress_safe(row.payload.data(), out->data(), static_cast<int>(row.payload.size()),
                                    static_cast<int>(row.raw_size));
  if (n != row.raw_size) return corruption(at(row) + " does not decompress to its size");
  return Status::ok();
}

Result<bool> EmbeddedBatchReader::finish() {
  done_ = true;
  if (expected_ != end_) {
    return fail(corruption(partition_text(partition_) + " ends at offset " +
                           std::to_string(expected_) + " instead of " + std::to_string(end_)));
  }
  rows_.reset();
  db_.reset();  // ends the read transaction: the snapshot is no longer needed
  return false;
}

Result<bool> EmbeddedBatchReader::next(RecordBatch* out) {
  DIMONA_ASSERT(out != nullptr);
  if (!failure_.is_ok()) return failure_;
  if (done_) return false;
  if (from_ == end_) return finish();
  int rc = sqlite3_step(rows_.get());
  if (rc == SQLITE_DONE) return finish();
  if (rc != SQLITE_ROW) return fail(sqlite_error(db_.get(), rc, partition_text(partition_)));
  sqlite3_stmt* s = rows_.get();
  const void* blob = sqlite3_column_blob(s, 5);  // before its size, as SQLite asks
  auto size = static_cast<size_t>(sqlite3_column_bytes(s, 5));
  BatchRow row{sqlite3_column_int64(s, 0),
               sqlite3_column_int64(s, 1),
               sqlite3_column_int64(s, 2),
               sqlite3_column_int64(s, 3),
               sqlite3_column_int64(s, 4),
               std::string_view(blob != nullptr ? static_cast<const char*>(blob) : "", size),
               sqlite3_column_int64(s, 6),
               sqlite3_column_int64(s, 7)};
  if (Status bad = check(row); !bad.is_ok()) return fail(std::move(bad));
  if (Status bad = expand(row, &out->payload); !bad.is_ok()) return fail(std::move(bad));
  const uint32_t crc = batch_crc(partition_, static_cast<Offset>(row.base_offset), static_cast<uint32_t>(row.count),
                                 Instant{row.first_recorded_at}, Instant{row.last_recorded_at}, out->payload);
  if (crc != static_cast<uint32_t>(row.crc)) return fail(corruption(at(row) + " fails its CRC"));
  if (!holds_lines(out->payload, static_cast<uint32_t>(row.count)))
    return fail(corruption(at(row) + " does not hold " + std::to_string(row.count) + " event lines"));
  out->partition = partition_;
  out->base_offset = static_cast<Offset>(row.base_offset);
  out->count = static_cast<uint32_t>(row.count);
  out->first_recorded_at = Instant{row.first_recorded_at};
  out->last_recorded_at = Instant{row.last_recorded_at};
  out->crc = static_cast<uint32_t>(row.crc);
  expected_ = out->end_offset();
  previous_last_ = out->last_recorded_at;
  first_ = false;
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// The log

struct EmbeddedLog::Impl {
  std::string path;
  Connection db;  // declared before the statements: closed after they are finalized
  uint32_t partitions = 0;
  int busy_timeout_ms = 0;
  std::vector<Offset> end_offsets;        // per partition, as durable
  std::vector<Instant> last_recorded_at;  // per partition, as durable
  Statement begin, commit, rollback;
  Statement insert_batch, upsert_cursor, select_cursor;
  Statement last_batch, first_batch, count_batches;
  std::string compressed;  // scratch for append

  Status prepare_all();
  Status load_ends();
  Status insert(const BatchDraft& draft, Offset base);
  Status store_cursor(const SourceCursor& cursor);
  Status write_group(std::span<const BatchDraft> drafts, std::span<const Offset> bases,
                     const SourceCursor* cursor);
  void roll_back();
  Result<PartitionSummary> summarize(uint32_t partition);
};

constexpr std::string_view kInsertBatchSql =
    "INSERT INTO batches(partition, base_offset, count, first_recorded_at, last_recorded_at, "
    "crc, payload, codec, raw_size) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr std::string_view kUpsertCursorSql =
    "INSERT INTO source_cursors(source_id, lines, bytes, prefix_crc) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(source_id) DO UPDATE SET lines = excluded.lines, bytes = excluded.bytes, "
    "prefix_crc = excluded.prefix_crc";
constexpr std::string_view kSelectCursorSql =
    "SELECT lines, bytes, prefix_crc FROM source_cursors WHERE source_id = ?1";
constexpr std::string_view kFirstBatchSql =
    "SELECT first_recorded_at FROM batches WHERE partition = ?1 ORDER BY base_offset LIMIT 1";
constexpr std::string_view kCountBatchesSql =
    "SELECT count(*) FROM batches WHERE partition = ?1";

Status EmbeddedLog::Impl::prepare_all() {
  sqlite3* d = db.get();
  LOG_ASSIGN_OR_RETURN(begin, prepare(d, "BEGIN IMMEDIATE"));
  LOG_ASSIGN_OR_RETURN(commit, prepare(d, "COMMIT"));
  LOG_ASSIGN_OR_RETURN(rollback, prepare(d, "ROLLBACK"));
  LOG_ASSIGN_OR_RETURN(insert_batch, prepare(d, kInsertBatchSql));
  LOG_ASSIGN_OR_RETURN(upsert_cursor, prepare(d, kUpsertCursorSql));
  LOG_ASSIGN_OR_RETURN(select_cursor, prepare(d, kSelectCursorSql));
  LOG_ASSIGN_OR_RETURN(last_batch, prepare(d, kLastBatchSql));
  LOG_ASSIGN_OR_RETURN(first_batch, prepare(d, kFirstBatchSql));
  LOG_ASSIGN_OR_RETURN(count_batches, prepare(d, kCountBatchesSql));
  return Status::ok();
}

Status EmbeddedLog::Impl::load_ends() {
  end_offsets.assign(partitions, 0);
  last_recorded_at.assign(partitions, kBeforeAnyInstant);
  for (uint32_t p = 0; p < partitions; ++p) {
    StatementUse use(last_batch.get());
    bind_value(last_batch.get(), 1, int64_t{p});
    LOG_ASSIGN_OR_RETURN(bool found, step_row(db.get(), last_batch.get(), "cannot read the log"));
    if (!found) continue;
    int64_t end = sqlite3_column_int64(last_batch.get(), 0);
    if (end < 0) return corruption(path + ": " + partition_text(p) + " has a negative end offset");
    end_offsets[p] = static_cast<Offset>(end);
    last_recorded_at[p] = Instant{sqlite3_column_int64(last_batch.get(), 1)};
  }
  return Status::ok();
}

Result<std::unique_ptr<EmbeddedLog>> EmbeddedLog::open(const std::string& path,
                                                       const EmbeddedLogOptions& options) {
  if (options.partitions < 1 || options.partitions > limits::partitions_max) {
    return invalid_argument("a log has 1.." + std::to_string(limits::partitions_max) +
                            " partitions, not " + std::to_string(options.partitions));
  }
  if (options.busy_timeout_ms < 0) return invalid_argument("busy_timeout_ms must not be negative");
  std::error_code ignored;
  if (!options.create_if_missing && !std::filesystem::exists(path, ignored)) {
    return not_found("no log at " + path);
  }
  if (options.create_if_missing) DIMONA_TRY(create_private_file(path));  // 0600: it holds SSINs, and so will -wal and -shm
  int flags = SQLITE_OPEN_READWRITE | (options.create_if_missing ? SQLITE_OPEN_CREATE : 0);
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->busy_timeout_ms = options.busy_timeout_ms;
  LOG_ASSIGN_OR_RETURN(impl->db, open_connection(path, flags, options.busy_timeout_ms));
  // A truncated or overwritten file fails here: say which file.
  auto prepare = [&]() -> Status {
    DIMONA_TRY(configure_writer(impl->db.get()));
    DIMONA_TRY(ensure_schema(impl->db.get(), path, options));
    LOG_ASSIGN_OR_RETURN(impl->partitions, read_partition_count(impl->db.get(), path));
    DIMONA_TRY(impl->prepare_all());
    return impl->load_ends();
  };
  if (Status s = prepare(); !s.is_ok())
    return s.message().rfind(path, 0) == 0 ? s : Status(s.code(), "the log " + path + ": " + s.message());
  return std::make_unique<EmbeddedLog>(Key{}, std::move(impl));
}

EmbeddedLog::EmbeddedLog(Key /*only open() builds a log*/, std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

EmbeddedLog::~EmbeddedLog() = default;

const std::string& EmbeddedLog::path() const { return impl_->path; }

uint32_t EmbeddedLog::partition_count() const { return impl_->partitions; }

Result<Offset> EmbeddedLog::end_offset(uint32_t partition) {
  if (partition >= impl_->partitions) {
    return invalid_argument(partition_text(partition) + " does not exist");
  }
  return impl_->end_offsets[partition];
}

Status EmbeddedLog::Impl::insert(const BatchDraft& draft, Offset base) {
  sqlite3_stmt* s = insert_batch.get();
  StatementUse use(s);
  // Event lines compress 4-6x with LZ4 (keys and codes repeat): the log
  // writes, syncs and reads that much less. Kept raw when it does not shrink.
  compressed.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(draft.payload.size()))));
  const int n = LZ4_compress_default(draft.payload.data(), compressed.data(), static_cast<int>(draft.payload.size()),
                                     static_cast<int>(compressed.size()));
  const bool packed = n > 0 && static_cast<size_t>(n) < draft.payload.size();
  const std::string_view stored = packed ? std::string_view(compressed.data(), static_cast<size_t>(n)) : draft.payload;
  uint32_t crc = batch_crc(draft.partition, base, draft.count, draft.first_recorded_at,
                           draft.last_recorded_at, draft.payload);  // of the events, whatever the codec
  bind_value(s, 1, int64_t{draft.partition});
  bind_value(s, 2, static_cast<int64_t>(base));
  bind_value(s, 3, int64_t{draft.count});
  bind_value(s, 4, draft.first_recorded_at.micros);
  bind_value(s, 5, draft.last_recorded_at.micros);
  bind_value(s, 6, int64_t{crc});
  bind_blob(s, 7, stored);
  bind_value(s, 8, packed ? kCodecLz4 : kCodecNone);
  bind_value(s, 9, static_cast<int64_t>(draft.payload.size()));
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return Status::ok();
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return failed_precondition(partition_text(draft.partition) + " offset " + std::to_string(base) +
                               " is taken: another writer appended to this log; reopen it");
  }
  return sqlite_error(db.get(), rc, "cannot append to " + partition_text(draft.partition));
}

Status EmbeddedLog::Impl::store_cursor(const SourceCursor& cursor) {
  constexpr auto kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  DIMONA_ASSERT(!cursor.source_id.empty());
  DIMONA_ASSERT(cursor.lines <= kInt64Max && cursor.bytes <= kInt64Max);
  sqlite3_stmt* s = upsert_cursor.get();
  StatementUse use(s);
  bind_value(s, 1, cursor.source_id);
  bind_value(s, 2, static_cast<int64_t>(cursor.lines));
  bind_value(s, 3, static_cast<int64_t>(cursor.bytes));
  bind_value(s, 4, int64_t{cursor.prefix_crc});
  return step_done(db.get(), s, "cannot store the source cursor");
}

Status EmbeddedLog::Impl::write_group(std::span<const BatchDraft> drafts,
                                      std::span<const Offset> bases, const SourceCursor* cursor) {
  for (size_t i = 0; i < drafts.size(); ++i) DIMONA_TRY(insert(drafts[i], bases[i]));
  if (cursor != nullptr) DIMONA_TRY(store_cursor(*cursor));
  StatementUse use(commit.get());
  return step_done(db.get(), commit.get(), "cannot commit to the log");
}

void EmbeddedLog::Impl::roll_back() {
  if (sqlite3_get_autocommit(db.get()) != 0) return;  // SQLite already rolled back
  StatementUse use(rollback.get());
  // A failed rollback leaves a transaction we can no longer reason about.
  DIMONA_ASSERT(sqlite3_step(rollback.get()) == SQLITE_DONE);
}

Result<std::vector<Offset>> EmbeddedLog::append(std::span<const BatchDraft> drafts,
                                                const SourceCursor* cursor) {
  Impl& log = *impl_;
  // Plan on copies: the durable state changes only once the commit succeeded.
  std::vector<Offset> ends = log.end_offsets;
  std::vector<Instant> lasts = log.last_recorded_at;
  std::vector<Offset> bases;
  bases.reserve(drafts.size());
  for (const BatchDraft& draft : drafts) {
    DIMONA_ASSERT(draft.partition < log.partitions);
    assert_well_formed(draft, log.partitions, lasts[draft.partition]);
    bases.push_back(ends[draft.partition]);
    ends[draft.partition] += draft.count;
    lasts[draft.partition] = draft.last_recorded_at;
  }
  if (drafts.empty() && cursor == nullptr) return bases;
  {
    StatementUse use(log.begin.get());
    DIMONA_TRY(step_done(log.db.get(), log.begin.get(), "cannot start an append to the log"));
  }
  if (Status written = log.write_group(drafts, bases, cursor); !written.is_ok()) {
    log.roll_back();
    // What end_offset() reports is what the file holds, whatever the failure left.
    const std::vector<Offset> before = log.end_offsets;
    const std::vector<Instant> before_last = log.last_recorded_at;
    if (!log.load_ends().is_ok()) {
      log.end_offsets = before;
      log.last_recorded_at = before_last;
    }
    return written;
  }
  log.end_offsets = std::move(ends);
  log.last_recorded_at = std::move(lasts);
  return bases;
}

Status EmbeddedLog::set_size_limit(uint64_t bytes) {
  sqlite3* db = impl_->db.get();
  LOG_ASSIGN_OR_RETURN(Statement size, prepare(db, "PRAGMA page_size"));
  LOG_ASSIGN_OR_RETURN(bool found, step_row(db, size.get(), "cannot read the page size"));
  const int64_t page = found ? sqlite3_column_int64(size.get(), 0) : 0;
  if (page <= 0) return io_error(impl_->path + ": no page size");
  constexpr int64_t kNoCap = 0xFFFFFFFE;  // SQLite's largest page count
  const int64_t pages = bytes == 0 ? kNoCap : std::max<int64_t>(1, static_cast<int64_t>(bytes) / page);
  const std::string sql = "PRAGMA max_page_count = " + std::to_string(pages);
  LOG_ASSIGN_OR_RETURN(Statement cap, prepare(db, sql.c_str()));
  LOG_ASSIGN_OR_RETURN(bool answered, step_row(db, cap.get(), "cannot cap the log's size"));
  (void)answered;
  return Status::ok();
}

Result<std::unique_ptr<BatchReader>> EmbeddedLog::read(uint32_t partition, Offset from) {
  if (partition >= impl_->partitions) {
    return invalid_argument(partition_text(partition) + " does not exist");
  }
  LOG_ASSIGN_OR_RETURN(Connection db,
                       open_connection(impl_->path, SQLITE_OPEN_READONLY, impl_->busy_timeout_ms));
  auto reader = std::make_unique<EmbeddedBatchReader>(std::move(db), partition, from);
  DIMONA_TRY(reader->start());
  return std::unique_ptr<BatchReader>(std::move(reader));
}

Result<std::optional<SourceCursor>> EmbeddedLog::source_cursor(std::string_view source_id) {
  Impl& log = *impl_;
  sqlite3_stmt* s = log.select_cursor.get();
  StatementUse use(s);
  bind_value(s, 1, source_id);
  LOG_ASSIGN_OR_RETURN(bool found, step_row(log.db.get(), s, "cannot read the source cursor"));
  if (!found) return std::optional<SourceCursor>();
  int64_t lines = sqlite3_column_int64(s, 0);
  int64_t bytes = sqlite3_column_int64(s, 1);
  int64_t crc = sqlite3_column_int64(s, 2);
  if (lines < 0 || bytes < 0 || crc < 0 || crc > int64_t{std::numeric_limits<uint32_t>::max()}) {
    return corruption(log.path + ": a source cursor holds impossible values");
  }
  return std::optional<SourceCursor>(
      SourceCursor{std::string(source_id), static_cast<uint64_t>(lines),
                   static_cast<uint64_t>(bytes), static_cast<uint32_t>(crc)});
}

Result<PartitionSummary> EmbeddedLog::Impl::summarize(uint32_t partition) {
  PartitionSummary summary;
  summary.partition = partition;
  sqlite3* d = db.get();
  {
    StatementUse use(count_batches.get());
    bind_value(count_batches.get(), 1, int64_t{partition});
    LOG_ASSIGN_OR_RETURN(bool row, step_row(d, count_batches.get(), "cannot summarize the log"));
    DIMONA_ASSERT(row);  // count(*) always gives a row
    summary.batches = static_cast<uint64_t>(sqlite3_column_int64(count_batches.get(), 0));
  }
  if (summary.batches == 0) return summary;
  StatementUse use_first(first_batch.get());
  bind_value(first_batch.get(), 1, int64_t{partition});
  LOG_ASSIGN_OR_RETURN(bool first, step_row(d, first_batch.get(), "cannot summarize the log"));
  StatementUse use_last(last_batch.get());
  bind_value(last_batch.get(), 1, int64_t{partition});
  LOG_ASSIGN_OR_RETURN(bool last, step_row(d, last_batch.get(), "cannot summarize the log"));
  DIMONA_ASSERT(first && last);  // same read transaction as the count
  summary.first_recorded_at = Instant{sqlite3_column_int64(first_batch.get(), 0)};
  summary.end_offset = static_cast<Offset>(sqlite3_column_int64(last_batch.get(), 0));
  summary.last_recorded_at = Instant{sqlite3_column_int64(last_batch.get(), 1)};
  return summary;
}

Result<std::vector<PartitionSummary>> EmbeddedLog::summary() {
  Impl& log = *impl_;
  DIMONA_TRY(exec(log.db.get(), "BEGIN"));  // one snapshot for every partition
  std::vector<PartitionSummary> summaries;
  summaries.reserve(log.partitions);
  for (uint32_t p = 0; p < log.partitions; ++p) {
    Result<PartitionSummary> one = log.summarize(p);
    if (!one.is_ok()) {
      log.roll_back();
      return one.status();
    }
    summaries.push_back(std::move(one).value());
  }
  DIMONA_TRY(exec(log.db.get(), "COMMIT"));
  return summaries;
}

// ---------------------------------------------------------------------------
// Verification

size_t VerifyReport::error_count() const {
  size_t errors = 0;
  for (const PartitionCheck& check : partitions) errors += check.error.is_ok() ? 0 : 1;
  return errors;
}

namespace {

Status verify_partition(EventLog& log, PartitionCheck* check) {
  LOG_ASSIGN_OR_RETURN(std::unique_ptr<BatchReader> reader, log.read(check->partition, 0));
  RecordBatch batch;
  for (;;) {
    Result<bool> more = reader->next(&batch);
    if (!more.is_ok()) {
      if (more.status().code() != Code::kCorruption) return more.status();
      check->error = more.status();
      return Status::ok();
    }
    if (!*more) return Status::ok();
    if (check->batches == 0) check->first_recorded_at = batch.first_recorded_at;
    check->batches += 1;
    check->events += batch.count;
    check->end_offset = batch.end_offset();
    check->last_recorded_at = batch.last_recorded_at;
  }
}

}  // namespace

Result<VerifyReport> verify_log(EventLog& log) {
  VerifyReport report;
  report.partitions.resize(log.partition_count());
  for (uint32_t p = 0; p < log.partition_count(); ++p) {
    report.partitions[p].partition = p;
    DIMONA_TRY(verify_partition(log, &report.partitions[p]));
  }
  return report;
}

}  // namespace dimona
