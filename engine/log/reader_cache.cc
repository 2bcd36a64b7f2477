// The reader cache (reader_cache.h): one SQLite file, three tables.
//
//   meta(key, value)                  format 1, the log's URI, its partition count
//   ranges(partition, first, end)     each partition's copied range [first, end)
//   records(id, record)               id = partition << reader_cache_offset_bits | offset
//
// A record row is reader_cache_rows.h's. A record and its range's end are written in one transaction, so a
// reader's transaction sees a range whose every present offset has its row.
#include "engine/log/reader_cache.h"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/limits.h"
#include "engine/base/private_file.h"
#include "engine/base/sqlite.h"
#include "engine/log/reader_cache_rows.h"

namespace dimona {
namespace {

using reader_cache_rows::decode_record;
using reader_cache_rows::encode_record;
using sqlite::bind;
using sqlite::bind_blob;
using sqlite::bind_text;
using sqlite::Connection;
using sqlite::exec;
using sqlite::prepare;
using sqlite::Statement;
using sqlite::StatementUse;
using sqlite::step_done;
using sqlite::step_row;

constexpr int64_t kFormatVersion = 1;
constexpr std::string_view kWhat = "the reader cache";

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY NOT NULL,
  value ANY NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ranges(
  partition INTEGER PRIMARY KEY,
  first INTEGER NOT NULL,
  end INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS records(
  id INTEGER PRIMARY KEY,
  record BLOB NOT NULL
) STRICT;
)sql";

int64_t key_of(uint32_t partition, Offset offset) {
  DIMONA_ASSERT(offset < limits::reader_cache_offsets_max);
  return static_cast<int64_t>((uint64_t{partition} << limits::reader_cache_offset_bits) | offset);
}
// The last key a partition may hold.
int64_t last_key_of(uint32_t partition) { return key_of(partition, limits::reader_cache_offsets_max - 1); }

bool same_record(const LogRecord& a, const LogRecord& b) {
  return a.partition == b.partition && a.offset == b.offset && a.recorded_at == b.recorded_at &&
         a.schema_version == b.schema_version && a.epoch == b.epoch && a.event_id == b.event_id && a.key == b.key &&
         a.type == b.type && a.source == b.source && a.payload == b.payload;
}

// What the Log, its mirror and its readers share.
struct CacheState {
  CacheState(std::string p, uint32_t n)
      : path(std::move(p)),
        partitions(n),
        usable(new std::atomic<bool>[n]),
        generation(new std::atomic<uint64_t>[n]),
        ends(new std::atomic<uint64_t>[n]) {
    for (uint32_t i = 0; i < n; ++i) {
      usable[i].store(false);
      generation[i].store(0);
      ends[i].store(0);
    }
  }
  // The mirror stops partition p's copy answering reads (to check it, or to empty it). A read
  // that began before gives up too: it delivers only if the generation it saw still holds.
  void withdraw(uint32_t p) {
    generation[p].fetch_add(1);
    usable[p].store(false);
  }
  const std::string path;
  const uint32_t partitions;
  std::unique_ptr<std::atomic<bool>[]> usable;    // the partition's copy is checked: it may answer reads
  std::unique_ptr<std::atomic<uint64_t>[]> generation;  // bumped by every withdraw()
  std::unique_ptr<std::atomic<uint64_t>[]> ends;  // the partition's copied end, as committed
  std::atomic<uint64_t> hits{0}, misses{0}, copied{0}, resets{0};
  std::mutex mutex;  // for `changed` only
  std::condition_variable changed;
  void notify() {
    { std::lock_guard lock(mutex); }
    changed.notify_all();
  }
};

// --- The mirror: the log copied into the file --------------------------------------

class Mirror {
 public:
  Mirror(Log& inner, std::shared_ptr<CacheState> state, Connection db)
      : inner_(inner),
        state_(std::move(state)),
        db_(std::move(db)),
        first_(state_->partitions, 0),
        end_(state_->partitions, 0),
        has_range_(state_->partitions, false) {}
  ~Mirror() { stop(); }

  Status prepare_statements() {
    sqlite3* db = db_.get();
    Result<sqlite::Transactions> transactions = sqlite::Transactions::prepare(db, "BEGIN IMMEDIATE");
    DIMONA_TRY(transactions);
    transactions_ = std::move(*transactions);
    return sqlite::prepare_all(
        db, {
                std::pair{&range_, "SELECT first, end FROM ranges WHERE partition = ?1"},
                std::pair{&last_, "SELECT id, record FROM records WHERE id BETWEEN ?1 AND ?2 ORDER BY id DESC LIMIT 1"},
                std::pair{&first_row_, "SELECT id, record FROM records WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT 1"},
                std::pair{&insert_, "INSERT OR REPLACE INTO records(id, record) VALUES(?1, ?2)"},
                std::pair{&set_range_, "INSERT OR REPLACE INTO ranges(partition, first, end) VALUES(?1, ?2, ?3)"},
                std::pair{&drop_records_, "DELETE FROM records WHERE id BETWEEN ?1 AND ?2"},
                std::pair{&drop_range_, "DELETE FROM ranges WHERE partition = ?1"},
            });
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  // The partitions to copy from now on (empty: every one); the others stop answering reads.
  void copy_only(std::vector<uint32_t> partitions) {
    std::lock_guard lock(wanted_mutex_);
    wanted_ = std::move(partitions);
    ++wanted_generation_;
  }

  void stop() {
    {
      std::lock_guard lock(stop_mutex_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  bool stopping() {
    std::lock_guard lock(stop_mutex_);
    return stopping_;
  }

  void run() {
    std::string said;
    while (!stopping()) {
      Status s = follow();
      consumer_.reset();
      verifier_.reset();
      if (stopping()) break;
      if (s.is_ok()) continue;      // the partitions to copy changed: follow them at once
      if (s.to_string() != said) {  // the log's or SQLite's words: no record's key nor payload
        said = s.to_string();
        std::fprintf(stderr, "dimona-ledger: reader cache %s: cannot copy the log (%s); trying again every %d ms\n",
                     state_->path.c_str(), said.c_str(), limits::reader_cache_retry_ms);
      }
      std::unique_lock lock(stop_mutex_);
      stop_cv_.wait_for(lock, std::chrono::milliseconds(limits::reader_cache_retry_ms), [&] { return stopping_; });
    }
  }

  // Checks each partition's copy, then follows the log until a failure or stop(). Every copy
  // stops answering reads until it is checked again (a failure may be the log replaced).
  // Returns ok at stop(), or when copy_only() changed the partitions to copy.
  Status follow() {
    for (uint32_t p = 0; p < state_->partitions; ++p) state_->withdraw(p);
    std::vector<uint32_t> copied;
    uint64_t generation = 0;
    {
      std::lock_guard lock(wanted_mutex_);
      copied = wanted_;
      generation = wanted_generation_;
    }
    if (copied.empty()) {
      copied.resize(state_->partitions);
      for (uint32_t p = 0; p < state_->partitions; ++p) copied[p] = p;
    }
    Result<std::unique_ptr<LogConsumer>> consumer = inner_.open_consumer();
    DIMONA_TRY(consumer);
    consumer_ = std::move(*consumer);
    DIMONA_TRY(consumer_->assign(copied));
    for (uint32_t p : copied) {
      DIMONA_TRY(check_partition(p));
      DIMONA_TRY(consumer_->seek(p, end_[p]));
    }
    std::vector<LogRecord> records;
    while (!stopping()) {
      {
        std::lock_guard lock(wanted_mutex_);
        if (wanted_generation_ != generation) return Status::ok();
      }
      Result<size_t> n = consumer_->poll(records, std::chrono::milliseconds(limits::reader_cache_poll_ms),
                                         limits::reader_cache_poll_records);
      DIMONA_TRY(n);
      if (*n == 0) continue;
      DIMONA_TRY(store(records));
      consumer_->recycle(records);
    }
    return Status::ok();
  }

  // Loads partition p's range and checks its first and last records against the log's: a range
  // the keys cannot hold, or a copy that differs from the log at either end, is emptied. Then p
  // answers reads.
  Status check_partition(uint32_t p) {
    state_->withdraw(p);
    DIMONA_TRY(load_range(p));
    if (has_range_[p]) {
      Result<bool> same = first_[p] < end_[p] ? copy_is_the_logs(p) : Result<bool>(false);
      DIMONA_TRY(same);
      if (!*same) {
        DIMONA_TRY(reset(p));
        state_->resets.fetch_add(1);
      }
    }
    state_->ends[p].store(end_[p], std::memory_order_release);
    state_->usable[p].store(true, std::memory_order_release);
    state_->notify();
    return Status::ok();
  }

  Status load_range(uint32_t p) {
    sqlite3_stmt* s = range_.get();
    StatementUse use(s);
    bind(s, 1, p);
    Result<bool> row = step_row(db_.get(), s, "cannot read the reader cache's ranges");
    DIMONA_TRY(row);
    has_range_[p] = *row;
    const int64_t first = *row ? sqlite3_column_int64(s, 0) : 0;
    const int64_t end = *row ? sqlite3_column_int64(s, 1) : 0;
    // A range the keys cannot hold (a file changed from outside) reads as (0, 0): emptied by
    // check_partition.
    const bool sound = first >= 0 && first < end && static_cast<uint64_t>(end) <= limits::reader_cache_offsets_max;
    first_[p] = sound ? static_cast<Offset>(first) : 0;
    end_[p] = sound ? static_cast<Offset>(end) : 0;
    return Status::ok();
  }

  // The copy's first and last records equal the log's at their offsets. A log that now ends
  // before the copy does is checked at its own last offset: the same there (a new leader whose
  // end lags for a moment) is checked again later (kUnavailable), not copied again.
  Result<bool> copy_is_the_logs(uint32_t p) {
    if (!verifier_) {
      Result<std::unique_ptr<LogConsumer>> reader = inner_.open_reader();
      DIMONA_TRY(reader);
      verifier_ = std::move(*reader);
    }
    Result<Offset> log_end = verifier_->end_offset(p);
    DIMONA_TRY(log_end);
    if (*log_end <= first_[p]) return false;
    const bool behind = *log_end < end_[p];
    for (const bool first : {true, false}) {
      Result<std::optional<LogRecord>> mine = copied_record(p, first, behind ? *log_end : end_[p]);
      DIMONA_TRY(mine);
      if (!mine->has_value()) return false;
      std::optional<LogRecord> theirs;
      const Offset wanted[] = {(*mine)->offset};
      Status read = verifier_->read_at(p, wanted, [&](LogRecord& r) {
        theirs = std::move(r);
        return Status::ok();
      });
      // The log has no such offset now (or says it is corrupt there): not the copied log.
      if (read.code() == Code::kFailedPrecondition || read.code() == Code::kCorruption) return false;
      DIMONA_TRY(read);
      if (!theirs || !same_record(*theirs, **mine)) return false;
    }
    if (behind)
      return unavailable("partition " + std::to_string(p) + " of the log ends at " + std::to_string(*log_end) +
                         ", before its copy (" + std::to_string(end_[p]) + "): checked again");
    return true;
  }

  // The copy's first record of partition p (or its last below `below`); none when there is
  // none there or it does not decode.
  Result<std::optional<LogRecord>> copied_record(uint32_t p, bool first, Offset below) {
    sqlite3_stmt* s = first ? first_row_.get() : last_.get();
    StatementUse use(s);
    bind(s, 1, key_of(p, first_[p]));
    bind(s, 2, key_of(p, below - 1));
    Result<bool> row = step_row(db_.get(), s, "cannot read the reader cache's records");
    DIMONA_TRY(row);
    if (!*row) return std::optional<LogRecord>();
    LogRecord r;
    const Offset offset = static_cast<Offset>(sqlite3_column_int64(s, 0)) & (limits::reader_cache_offsets_max - 1);
    if (!decode_record(sqlite::column_view(s, 1), p, offset, &r)) return std::optional<LogRecord>();
    return std::optional<LogRecord>(std::move(r));
  }

  Status reset(uint32_t p) {
    DIMONA_TRY(transactions_.run("an emptying of the reader cache", [&]() -> Status {
      {
        sqlite3_stmt* d = drop_records_.get();
        StatementUse use(d);
        bind(d, 1, key_of(p, 0));
        bind(d, 2, last_key_of(p));
        DIMONA_TRY(step_done(db_.get(), d, "cannot empty a partition of the reader cache"));
      }
      sqlite3_stmt* d = drop_range_.get();
      StatementUse use(d);
      bind(d, 1, p);
      return step_done(db_.get(), d, "cannot empty a partition of the reader cache");
    }));
    has_range_[p] = false;
    first_[p] = end_[p] = 0;
    return Status::ok();
  }

  // One poll's records, in one transaction; records before a partition's copied end (a
  // redelivery) are skipped. A partition past the keys' offsets stops answering reads.
  Status store(const std::vector<LogRecord>& records) {
    std::vector<uint32_t> touched;
    uint64_t stored = 0;
    Status done = transactions_.run("a write to the reader cache", [&]() -> Status {
      for (const LogRecord& r : records) {
        const uint32_t p = r.partition;
        DIMONA_ASSERT(p < state_->partitions);
        // The consumer was sought to the copy's end and hands each offset once, in order: an
        // earlier one is the log gone back (replaced), and everything is checked again.
        if (has_range_[p] && r.offset < end_[p])
          return failed_precondition("partition " + std::to_string(p) + " of the log handed offset " +
                                     std::to_string(r.offset) + ", before its copy's end " + std::to_string(end_[p]));
        if (r.offset >= limits::reader_cache_offsets_max) {
          state_->withdraw(p);  // past what the keys hold: the log answers p's reads from now on
          continue;
        }
        encode_record(r, &bytes_);
        sqlite3_stmt* s = insert_.get();
        StatementUse use(s);
        bind(s, 1, key_of(p, r.offset));
        bind_blob(s, 2, bytes_);
        DIMONA_TRY(step_done(db_.get(), s, "cannot write to the reader cache"));
        if (!has_range_[p]) {
          has_range_[p] = true;
          first_[p] = r.offset;
        }
        end_[p] = r.offset + 1;
        if (touched.empty() || touched.back() != p) touched.push_back(p);
        ++stored;
      }
      for (uint32_t p : touched) {
        sqlite3_stmt* s = set_range_.get();
        StatementUse use(s);
        bind(s, 1, p);
        bind(s, 2, static_cast<int64_t>(first_[p]));
        bind(s, 3, static_cast<int64_t>(end_[p]));
        DIMONA_TRY(step_done(db_.get(), s, "cannot write to the reader cache"));
      }
      return Status::ok();
    });
    if (!done.is_ok()) {
      for (uint32_t p = 0; p < state_->partitions; ++p) DIMONA_TRY(load_range(p));  // what the file holds
      return done;
    }
    state_->copied.fetch_add(stored);  // before the ends: wait_copied() sees the count final
    for (uint32_t p : touched) state_->ends[p].store(end_[p], std::memory_order_release);
    state_->notify();
    return Status::ok();
  }

  Log& inner_;
  std::shared_ptr<CacheState> state_;
  Connection db_;  // declared before the statements: closed after they are finalized
  sqlite::Transactions transactions_;
  Statement range_, last_, first_row_, insert_, set_range_, drop_records_, drop_range_;
  std::vector<Offset> first_, end_;  // each partition's range as the file holds it
  std::vector<bool> has_range_;
  std::string bytes_;                      // a record's row, reused
  std::unique_ptr<LogConsumer> consumer_;  // follows every partition
  std::unique_ptr<LogConsumer> verifier_;  // reads one record to check a copy
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::mutex wanted_mutex_;
  std::vector<uint32_t> wanted_;  // copy_only()'s partitions; empty: every one
  uint64_t wanted_generation_ = 0;
  std::thread thread_;
};

// --- A reader: read_at from the file when it can ---------------------------------------

class CachedReader final : public LogConsumer {
 public:
  CachedReader(Log& inner, std::shared_ptr<CacheState> state) : inner_log_(inner), state_(std::move(state)) {}

  Status assign(std::span<const uint32_t> partitions) override {
    DIMONA_TRY(open_inner());
    return inner_->assign(partitions);
  }
  Status seek(uint32_t partition, Offset offset) override {
    DIMONA_TRY(open_inner());
    return inner_->seek(partition, offset);
  }
  Status seek_to_instant(uint32_t partition, Instant at) override {
    DIMONA_TRY(open_inner());
    return inner_->seek_to_instant(partition, at);
  }
  Result<size_t> poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout, size_t max_records) override {
    DIMONA_TRY(open_inner());
    return inner_->poll(out, timeout, max_records);
  }
  Result<size_t> poll_views(std::vector<LogRecordView>& out, std::chrono::milliseconds timeout,
                            size_t max_records) override {
    DIMONA_TRY(open_inner());
    return inner_->poll_views(out, timeout, max_records);
  }
  Result<Offset> end_offset(uint32_t partition) override {
    DIMONA_TRY(open_inner());
    return inner_->end_offset(partition);
  }
  void recycle(std::vector<LogRecord>& records) override {
    if (inner_) return inner_->recycle(records);
    records.clear();
  }
  void release_recycled() override {
    release_viewed();
    std::vector<LogRecord>().swap(records_);
    if (inner_) inner_->release_recycled();
  }

  Status read_at(uint32_t partition, std::span<const Offset> offsets,
                 const std::function<Status(LogRecord&)>& f) override {
    if (offsets.empty()) return Status::ok();  // as every backend: nothing read, nothing refused
    if (partition < state_->partitions && offsets.back() < limits::reader_cache_offsets_max) {
      // The copy answers when it was usable before the read and still is after it, with no
      // withdraw() between (the copy checked or emptied meanwhile): CacheState::withdraw.
      const uint64_t generation = state_->generation[partition].load();
      Result<bool> cached = state_->usable[partition].load() ? read_cached(partition, offsets) : Result<bool>(false);
      if (cached.is_ok() && *cached && state_->usable[partition].load() &&
          state_->generation[partition].load() == generation) {
        state_->hits.fetch_add(1, std::memory_order_relaxed);
        // As inner's read_at: the assignment is the partition alone afterwards.
        if (inner_) {
          DIMONA_TRY(inner_->assign(std::span<const uint32_t>(&partition, 1)));
        } else {
          assign_on_open_ = partition;
        }
        for (size_t i = 0; i < offsets.size(); ++i) DIMONA_TRY(f(records_[i]));
        return Status::ok();
      }
    }
    state_->misses.fetch_add(1, std::memory_order_relaxed);
    DIMONA_TRY(open_inner());
    return inner_->read_at(partition, offsets, f);
  }

 private:
  Status open_inner() {
    if (inner_) return Status::ok();
    Result<std::unique_ptr<LogConsumer>> opened = inner_log_.open_reader();
    DIMONA_TRY(opened);
    inner_ = std::move(*opened);
    if (assign_on_open_) {
      const uint32_t p = *assign_on_open_;
      assign_on_open_.reset();
      DIMONA_TRY(inner_->assign(std::span<const uint32_t>(&p, 1)));
    }
    return Status::ok();
  }

  Status open_file() {
    if (db_) return Status::ok();
    Result<Connection> db = sqlite::open_connection(state_->path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                                                    limits::sqlite_busy_timeout_ms, kWhat);
    DIMONA_TRY(db);
    Connection connection = std::move(*db);
    Result<sqlite::Transactions> transactions = sqlite::Transactions::prepare(connection.get(), "BEGIN");
    DIMONA_TRY(transactions);
    DIMONA_TRY(sqlite::prepare_all(connection.get(),
                                   {
                                       std::pair{&range_, "SELECT first, end FROM ranges WHERE partition = ?1"},
                                       std::pair{&record_, "SELECT record FROM records WHERE id = ?1"},
                                   }));
    transactions_ = std::move(*transactions);
    db_ = std::move(connection);
    return Status::ok();
  }

  // true with records_[0, offsets.size()) filled when every offset is in the file.
  Result<bool> read_cached(uint32_t partition, std::span<const Offset> offsets) {
    DIMONA_TRY(open_file());
    sqlite3* db = db_.get();
    return transactions_.run("a read of the reader cache", [&]() -> Result<bool> {
      {
        sqlite3_stmt* s = range_.get();
        StatementUse use(s);
        bind(s, 1, partition);
        Result<bool> row = step_row(db, s, "cannot read the reader cache");
        DIMONA_TRY(row);
        if (!*row) return false;
        const auto first = static_cast<Offset>(sqlite3_column_int64(s, 0));
        const auto end = static_cast<Offset>(sqlite3_column_int64(s, 1));
        if (offsets.front() < first || offsets.back() >= end) return false;
      }
      if (records_.size() < offsets.size()) records_.resize(offsets.size());
      for (size_t i = 0; i < offsets.size(); ++i) {
        DIMONA_ASSERT(i == 0 || offsets[i] > offsets[i - 1]);
        sqlite3_stmt* s = record_.get();
        StatementUse use(s);
        bind(s, 1, key_of(partition, offsets[i]));
        Result<bool> row = step_row(db, s, "cannot read the reader cache");
        DIMONA_TRY(row);
        if (!*row) return false;  // an offset the log may not have: its refusal is inner's to give
        if (!decode_record(sqlite::column_view(s, 0), partition, offsets[i], &records_[i]))
          return corruption("a record of the reader cache " + state_->path + " does not decode");
      }
      return true;
    });
  }

  Log& inner_log_;
  std::shared_ptr<CacheState> state_;
  std::unique_ptr<LogConsumer> inner_;      // opened on first need
  std::optional<uint32_t> assign_on_open_;  // a cached read_at's assignment, for inner_ when opened
  Connection db_;                           // declared before the statements: closed after they are finalized
  sqlite::Transactions transactions_;
  Statement range_, record_;
  std::vector<LogRecord> records_;  // a read's records, their buffers reused
};

// --- The Log ------------------------------------------------------------------------

class CachedLog final : public ReaderCacheLog {
 public:
  CachedLog(std::unique_ptr<Log> inner, std::shared_ptr<CacheState> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}
  ~CachedLog() override { mirror_.reset(); }  // stopped, its consumers closed, before inner_

  Log& inner_log() { return *inner_; }
  void set_mirror(std::unique_ptr<Mirror> mirror) { mirror_ = std::move(mirror); }

  uint32_t partitions() const override { return inner_->partitions(); }
  std::string uri() const override { return inner_->uri(); }
  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override {
    return inner_->open_producer(partition);
  }
  Result<std::unique_ptr<LogConsumer>> open_consumer() override { return inner_->open_consumer(); }
  Result<std::unique_ptr<LogConsumer>> open_reader() override {
    return std::unique_ptr<LogConsumer>(std::make_unique<CachedReader>(*inner_, state_));
  }
  bool parallel_appends() const override { return inner_->parallel_appends(); }
  bool fences_writers() const override { return inner_->fences_writers(); }
  Result<std::unique_ptr<GroupMember>> join_group(const GroupOptions& options, GroupCallbacks callbacks) override {
    return inner_->join_group(options, std::move(callbacks));
  }
  bool has_groups() const override { return inner_->has_groups(); }
  Result<std::unique_ptr<KeyedTable>> open_table(std::string_view name) override { return inner_->open_table(name); }

  void copy_only(std::vector<uint32_t> partitions) override {
    for (uint32_t p : partitions) DIMONA_ASSERT(p < state_->partitions);
    mirror_->copy_only(std::move(partitions));
  }

  ReaderCacheStats stats() const override {
    return ReaderCacheStats{state_->hits.load(), state_->misses.load(), state_->copied.load(), state_->resets.load()};
  }

  bool wait_copied(std::span<const Offset> ends, std::chrono::milliseconds timeout) const override {
    DIMONA_ASSERT(ends.size() == state_->partitions);
    std::unique_lock lock(state_->mutex);
    return state_->changed.wait_for(lock, timeout, [&] {
      for (uint32_t p = 0; p < state_->partitions; ++p)
        if (ends[p] != 0 && (!state_->usable[p].load() || state_->ends[p].load() < ends[p])) return false;
      return true;
    });
  }

 private:
  std::unique_ptr<Log> inner_;
  std::shared_ptr<CacheState> state_;
  std::unique_ptr<Mirror> mirror_;
};

Result<std::optional<std::string>> meta_value(sqlite3* db, std::string_view key) {
  Result<Statement> s = prepare(db, "SELECT CAST(value AS TEXT) FROM meta WHERE key = ?1");
  DIMONA_TRY(s);
  bind_text(s->get(), 1, key);
  Result<bool> row = step_row(db, s->get(), "cannot read the reader cache's meta table");
  DIMONA_TRY(row);
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(sqlite::column_view(s->get(), 0)));
}

// The file at `path` opened as `inner`'s cache: made when missing, named (meta) when new; a file
// of another log or format is kFailedPrecondition.
Result<Connection> open_cache_file(const std::string& path, const Log& inner) {
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored))
    DIMONA_TRY(create_private_file(path));  // 0600: it holds SSINs; -wal and -shm inherit the mode
  Result<Connection> db =
      sqlite::open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, limits::sqlite_busy_timeout_ms, kWhat);
  DIMONA_TRY(db);
  sqlite3* raw = db->get();
  DIMONA_TRY(exec(raw, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL"));
  DIMONA_TRY(exec(raw, kSchema));
  // The tables have this cache's columns (a file from outside may hold others of the same names).
  for (const char* sql : {"SELECT key, value FROM meta LIMIT 0", "SELECT partition, first, end FROM ranges LIMIT 0",
                          "SELECT id, record FROM records LIMIT 0"})
    DIMONA_TRY(prepare(raw, sql));
  const std::pair<std::string_view, std::string> wanted[] = {
      {"format", std::to_string(kFormatVersion)},
      {"log", inner.uri()},
      {"partitions", std::to_string(inner.partitions())},
  };
  bool same = true;
  bool named = false;
  for (const auto& [key, value] : wanted) {
    Result<std::optional<std::string>> has = meta_value(raw, key);
    DIMONA_TRY(has);
    named = named || has->has_value();
    same = same && *has == value;
  }
  if (same) return db;
  if (named) return failed_precondition("a copy of another log, or of another format");
  Result<std::optional<int64_t>> rows =
      sqlite::query_int(raw, "SELECT count(*) FROM records", "cannot read the reader cache");
  DIMONA_TRY(rows);
  if (rows->value_or(0) != 0) return failed_precondition("records without the log's name");
  for (const auto& [key, value] : wanted) {
    Result<Statement> insert = prepare(raw, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
    DIMONA_TRY(insert);
    bind_text(insert->get(), 1, key);
    bind_text(insert->get(), 2, value);
    DIMONA_TRY(step_done(raw, insert->get(), "cannot write the reader cache's meta table"));
  }
  return db;
}

// open_cache_file(); a file it refuses (another log's, not a database, tables of another shape)
// is removed and made again, once: it is a cache.
Result<Connection> open_or_remake_cache_file(const std::string& path, const Log& inner) {
  Result<Connection> db = open_cache_file(path, inner);
  if (db.is_ok()) return db;
  std::fprintf(stderr, "dimona-ledger: reader cache %s: %s; made again\n", path.c_str(),
               db.status().to_string().c_str());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code error;
    std::filesystem::remove(path + suffix, error);
    if (error) return io_error("cannot remove " + path + suffix + ": " + error.message());
  }
  return open_cache_file(path, inner);
}

}  // namespace

namespace reader_cache_rows {

void encode_record(const LogRecord& r, std::string* out) {
  out->clear();
  put(out, r.recorded_at.micros);
  put(out, r.schema_version);
  put(out, r.epoch);
  put(out, r.event_id);
  put(out, r.key);
  put(out, r.type);
  put(out, r.source);
  put(out, r.payload);
}

bool decode_record(std::string_view bytes, uint32_t partition, Offset offset, LogRecord* r) {
  ByteReader in(bytes);
  r->partition = partition;
  r->offset = offset;
  return in.get(&r->recorded_at.micros) && in.get(&r->schema_version) && in.get(&r->epoch) && in.get(&r->event_id) &&
         in.get(&r->key) && in.get(&r->type) && in.get(&r->source) && in.get(&r->payload) && in.remaining() == 0;
}

}  // namespace reader_cache_rows

std::optional<ReaderCacheStats> reader_cache_stats_of(const Log& log) {
  const auto* cached = dynamic_cast<const ReaderCacheLog*>(&log);
  return cached != nullptr ? std::optional<ReaderCacheStats>(cached->stats()) : std::nullopt;
}

Result<std::unique_ptr<ReaderCacheLog>> with_reader_cache(std::unique_ptr<Log> inner, const std::string& path) {
  DIMONA_ASSERT(inner != nullptr);
  if (inner->partitions() > limits::reader_cache_partitions_max)
    return invalid_argument("the reader cache keeps at most " + std::to_string(limits::reader_cache_partitions_max) +
                            " partitions; the log has " + std::to_string(inner->partitions()));
  Result<Connection> db = open_or_remake_cache_file(path, *inner);
  DIMONA_TRY(db);
  auto state = std::make_shared<CacheState>(path, inner->partitions());
  auto log = std::make_unique<CachedLog>(std::move(inner), state);
  auto mirror = std::make_unique<Mirror>(log->inner_log(), state, std::move(*db));
  DIMONA_TRY(mirror->prepare_statements());
  mirror->start();
  log->set_mirror(std::move(mirror));
  return std::unique_ptr<ReaderCacheLog>(std::move(log));
}

}  // namespace dimona
