#include "projections/checkpoint_store.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

#include "engine/base/limits.h"
#include "engine/base/private_file.h"
#include "engine/base/sqlite.h"

namespace dimona {
namespace {

using Db = sqlite::Connection;
using sqlite::prepare;
using sqlite::Statement;

Status exec(sqlite3* db, const std::string& sql) { return sqlite::exec(db, sql, "checkpoint store"); }

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints(
  sequence INTEGER PRIMARY KEY, partitions INTEGER NOT NULL, ledger_time INTEGER NOT NULL, state_hash BLOB NOT NULL,
  events INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS partition_states(
  sequence INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, fence INTEGER,
  state BLOB NOT NULL, PRIMARY KEY(sequence, partition)) STRICT;
INSERT OR IGNORE INTO meta VALUES('format_version', 9);
)sql";

// Format 7 to 8: the fence column, NULL (no fence) in every kept checkpoint.
constexpr char kUpgradeFrom7[] = R"sql(
ALTER TABLE partition_states ADD COLUMN fence INTEGER;
UPDATE meta SET value = 8 WHERE key = 'format_version' AND value = 7;
)sql";

// Format 8 to 9: the states in a rowid table, the state last. In format 8's WITHOUT ROWID table a
// row was its key: SQLite read a row's whole state (megabytes) to compare it in every seek, and
// walked it to reach the fence behind it. Now a seek compares small keys and reads no state.
constexpr char kUpgradeFrom8[] = R"sql(
CREATE TABLE partition_states_9(
  sequence INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, fence INTEGER,
  state BLOB NOT NULL, PRIMARY KEY(sequence, partition)) STRICT;
INSERT INTO partition_states_9(sequence, partition, offset, fence, state)
  SELECT sequence, partition, offset, fence, state FROM partition_states;
DROP TABLE partition_states;
ALTER TABLE partition_states_9 RENAME TO partition_states;
UPDATE meta SET value = 9 WHERE key = 'format_version' AND value = 8;
)sql";

}  // namespace

struct CheckpointStore::Impl {
  Db db;
  std::vector<Offset> last_offsets;  // of the last checkpoint saved or loaded
  bool partial = false;              // between begin_partial_load() and end_partial_load()
  uint64_t partial_sequence = 0;     // the checkpoint being loaded partition by partition
};

CheckpointStore::CheckpointStore(Key, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CheckpointStore::~CheckpointStore() { end_partial_load(); }

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::open(const std::string& path) {
  static_assert(kCheckpointFormatVersion == 9, "kSchema writes version 9");
  DIMONA_TRY(create_private_file(path));  // 0600: the states hold SSINs, and so will -wal and -shm
  Result<Db> opened = sqlite::open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                              limits::sqlite_busy_timeout_ms, "the checkpoint file");
  DIMONA_TRY(opened);
  Db db = std::move(*opened);
  DIMONA_TRY(exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  DIMONA_TRY(exec(db.get(), kSchema));
  Result<Statement> version = prepare(db.get(), "SELECT value FROM meta WHERE key = 'format_version'");
  DIMONA_TRY(version);
  if (sqlite3_step(version->get()) != SQLITE_ROW) return corruption(path + " has no format version");
  int64_t v = sqlite3_column_int64(version->get(), 0);
  // Each step upgrades one format to the next in place, in one transaction; an older file takes them in turn.
  struct Upgrade {
    int64_t from;
    const char* sql;
  };
  for (const Upgrade& step : {Upgrade{7, kUpgradeFrom7}, Upgrade{8, kUpgradeFrom8}}) {
    if (v != step.from) continue;
    version->reset();
    DIMONA_TRY(sqlite::in_transaction(db.get(), "BEGIN IMMEDIATE", "an upgrade of the checkpoint file " + path,
                                      [&] { return exec(db.get(), step.sql); }));
    v = step.from + 1;
  }
  if (v != kCheckpointFormatVersion)
    return failed_precondition(path + " is a checkpoint of format " + std::to_string(v) + ", this build reads format " +
                               std::to_string(kCheckpointFormatVersion) +
                               ": rebuild it from the log with `dimona-ledger replay --rebuild`");
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db);
  return std::make_unique<CheckpointStore>(Key{}, std::move(impl));
}

namespace {

// The sequences to drop so that at most `keep` remain (`kept`: sequence and
// events covered, oldest first). Each time, the older checkpoint whose removal
// leaves the smallest gap of events between its neighbours (the log's start,
// 0 events, before the first; the first of equals), never the newest: the kept
// ones stay spread over the log, so a rebuild at any instant folds at most
// about events / keep past its checkpoint.
std::vector<uint64_t> thinned(std::vector<std::pair<uint64_t, uint64_t>> kept, size_t keep) {
  DIMONA_ASSERT(keep >= 1);
  std::vector<uint64_t> dropped;
  while (kept.size() > keep) {
    size_t victim = 0;
    uint64_t smallest = std::numeric_limits<uint64_t>::max();
    for (size_t i = 0; i + 1 < kept.size(); ++i) {
      const uint64_t before = i == 0 ? 0 : kept[i - 1].second;
      const uint64_t gap = kept[i + 1].second - before;
      if (gap < smallest) smallest = gap, victim = i;
    }
    dropped.push_back(kept[victim].first);
    kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(victim));
  }
  return dropped;
}

// Writes `state` over the zeros of row `rowid`'s state, which is exactly as long (at most
// SQLite's blob limit, 1e9 bytes: zeroblob64 refused anything longer).
Status write_blob(sqlite3* db, sqlite3_int64 rowid, std::string_view state, uint32_t p) {
  sqlite3_blob* raw = nullptr;
  const int rc = sqlite3_blob_open(db, "main", "partition_states", "state", rowid, /*flags=read-write*/ 1, &raw);
  const std::unique_ptr<sqlite3_blob, int (*)(sqlite3_blob*)> blob(raw, &sqlite3_blob_close);
  if (rc != SQLITE_OK) return sqlite::sqlite_error(db, rc, "checkpoint partition " + std::to_string(p));
  DIMONA_ASSERT(static_cast<uint64_t>(sqlite3_blob_bytes(raw)) == state.size());
  const int written = sqlite3_blob_write(raw, state.data(), static_cast<int>(state.size()), 0);
  if (written != SQLITE_OK) return sqlite::sqlite_error(db, written, "checkpoint partition " + std::to_string(p));
  return Status::ok();
}

}  // namespace

Status CheckpointStore::save(const Checkpoint& c, size_t keep) {
  Result<std::string> written = write(
      c.sequence, c.ledger_time, static_cast<uint32_t>(c.partitions.size()),
      [&c](uint32_t p) -> Result<PartitionCheckpoint> { return PartitionCheckpoint(c.partitions[p]); }, &c.state_hash,
      keep);
  return written.status();
}

Result<std::string> CheckpointStore::save_each(uint64_t sequence, Instant ledger_time, uint32_t partitions,
                                               const PartitionMaker& make, size_t keep) {
  return write(sequence, ledger_time, partitions, make, nullptr, keep);
}

Result<std::string> CheckpointStore::write(uint64_t sequence, Instant ledger_time, uint32_t partitions,
                                           const PartitionMaker& make, const std::string* state_hash, size_t keep) {
  DIMONA_ASSERT(keep >= 1 && keep <= limits::checkpoints_kept_max);
  // Offsets only grow: a checkpoint behind the previous one is a projector bug.
  if (!impl_->last_offsets.empty()) DIMONA_ASSERT(impl_->last_offsets.size() == partitions);
  sqlite3* db = impl_->db.get();
  std::vector<Offset> offsets;
  std::string hash;
  DIMONA_TRY(sqlite::in_transaction(db, "BEGIN IMMEDIATE", "a checkpoint", [&]() -> Status {
    // The partitions first, each made, hashed, written and dropped before the next is made;
    // then the head, which names their hash. One transaction: a reader sees all or nothing.
    Result<Statement> row = prepare(
        db, "INSERT INTO partition_states(sequence, partition, offset, state, fence) VALUES(?1, ?2, ?3, ?4, ?5)");
    DIMONA_TRY(row);
    StateHasher hasher(partitions);
    uint64_t events = 0;
    for (uint32_t p = 0; p < partitions; ++p) {
      Result<PartitionCheckpoint> made = make(p);
      DIMONA_TRY(made);
      const PartitionCheckpoint& pc = *made;
      if (!impl_->last_offsets.empty()) DIMONA_ASSERT(pc.offset >= impl_->last_offsets[p]);
      hasher.add(pc.offset, pc.state);
      events += pc.offset;
      offsets.push_back(pc.offset);
      sqlite3_stmt* s = row->get();
      sqlite3_bind_int64(s, 1, static_cast<int64_t>(sequence));
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(p));
      sqlite3_bind_int64(s, 3, static_cast<int64_t>(pc.offset));
      // The row is inserted with zeros where the state goes, then the state written over them in
      // place: a bound blob would be copied whole into the row's record first (a second copy of
      // the partition's bytes, hundreds of MB at 50 M events, beside the state being saved).
      if (int too_big = sqlite3_bind_zeroblob64(s, 4, pc.state.size()); too_big != SQLITE_OK)
        return sqlite::sqlite_error(db, too_big, "checkpoint partition " + std::to_string(p));
      if (pc.fence == kNoEpoch)
        sqlite3_bind_null(s, 5);
      else
        sqlite3_bind_int64(s, 5, static_cast<int64_t>(pc.fence));
      const int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) return sqlite::sqlite_error(db, rc, "checkpoint partition " + std::to_string(p));
      if (!pc.state.empty()) DIMONA_TRY(write_blob(db, sqlite3_last_insert_rowid(db), pc.state, p));
    }
    hash = state_hash ? *state_hash : hasher.finish();
    Result<Statement> head = prepare(db, "INSERT INTO checkpoints VALUES(?1, ?2, ?3, ?4, ?5)");
    DIMONA_TRY(head);
    sqlite3_bind_int64(head->get(), 1, static_cast<int64_t>(sequence));
    sqlite3_bind_int64(head->get(), 2, static_cast<int64_t>(partitions));
    sqlite3_bind_int64(head->get(), 3, ledger_time.micros);
    sqlite3_bind_blob64(head->get(), 4, hash.data(), hash.size(), SQLITE_STATIC);
    sqlite3_bind_int64(head->get(), 5, static_cast<int64_t>(events));
    if (int rc = sqlite3_step(head->get()); rc != SQLITE_DONE) return sqlite::sqlite_error(db, rc, "checkpoint");
    Result<Statement> kept = prepare(db, "SELECT sequence, events FROM checkpoints ORDER BY sequence");
    DIMONA_TRY(kept);
    std::vector<std::pair<uint64_t, uint64_t>> all;
    while (sqlite3_step(kept->get()) == SQLITE_ROW)
      all.emplace_back(static_cast<uint64_t>(sqlite3_column_int64(kept->get(), 0)),
                       static_cast<uint64_t>(sqlite3_column_int64(kept->get(), 1)));
    DIMONA_ASSERT(!all.empty() && all.back().first == sequence);  // sequences only grow
    Result<Statement> drop_head = prepare(db, "DELETE FROM checkpoints WHERE sequence = ?1");
    DIMONA_TRY(drop_head);
    Result<Statement> drop_rows = prepare(db, "DELETE FROM partition_states WHERE sequence = ?1");
    DIMONA_TRY(drop_rows);
    for (uint64_t dropped : thinned(std::move(all), keep)) {
      for (sqlite3_stmt* s : {drop_head->get(), drop_rows->get()}) {
        sqlite3_bind_int64(s, 1, static_cast<int64_t>(dropped));
        if (int rc = sqlite3_step(s); rc != SQLITE_DONE) return sqlite::sqlite_error(db, rc, "checkpoint");
        sqlite3_reset(s);
      }
    }
    return Status::ok();
  }));
  impl_->last_offsets = std::move(offsets);
  return hash;
}

namespace {

// The checkpoint the one-row `head` query selects (sequence, partitions, ledger_time, state_hash), whole.
// With `take`, each partition is handed to it as soon as it is read (see load_each) and only its
// offset and fence are kept. `states` false: their bytes are not read (format 9 keeps the state
// last in its row, so the offset and fence before it cost no walk of its pages), each empty.
Result<std::optional<Checkpoint>> read_checkpoint(sqlite3* db, sqlite3_stmt* head,
                                                  const CheckpointStore::PartitionTaker* take, bool states) {
  if (sqlite3_step(head) != SQLITE_ROW) return std::optional<Checkpoint>();
  Checkpoint c;
  c.sequence = static_cast<uint64_t>(sqlite3_column_int64(head, 0));
  const int64_t partitions = sqlite3_column_int64(head, 1);
  if (partitions < 0 || partitions > int64_t{limits::partitions_max})
    return corruption("the checkpoint claims " + std::to_string(partitions) + " partitions");
  c.ledger_time = Instant{sqlite3_column_int64(head, 2)};
  if (const void* hash = sqlite3_column_blob(head, 3))
    c.state_hash.assign(static_cast<const char*>(hash), static_cast<size_t>(sqlite3_column_bytes(head, 3)));
  Result<Statement> rows = prepare(
      db, states
              ? "SELECT partition, offset, state, fence FROM partition_states WHERE sequence = ?1 ORDER BY partition"
              : "SELECT partition, offset, NULL, fence FROM partition_states WHERE sequence = ?1 ORDER BY partition");
  DIMONA_TRY(rows);
  sqlite3_bind_int64(rows->get(), 1, static_cast<int64_t>(c.sequence));
  while (sqlite3_step(rows->get()) == SQLITE_ROW) {
    sqlite3_stmt* s = rows->get();
    if (sqlite3_column_int64(s, 0) != static_cast<int64_t>(c.partitions.size()) || sqlite3_column_int64(s, 1) < 0)
      return corruption("the checkpoint's partitions are not 0..n-1");
    PartitionCheckpoint p;
    p.offset = static_cast<Offset>(sqlite3_column_int64(s, 1));
    if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
      const int64_t fence = sqlite3_column_int64(s, 3);
      if (fence < 0 || static_cast<Offset>(fence) >= p.offset)
        return corruption("checkpoint partition " + std::to_string(c.partitions.size()) + " has fence " +
                          std::to_string(fence) + ", not below its offset " + std::to_string(p.offset));
      p.fence = static_cast<Offset>(fence);
    }
    const void* blob = sqlite3_column_blob(s, 2);
    if (blob) p.state.assign(static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(s, 2)));
    if (static_cast<int64_t>(c.partitions.size()) >= partitions)
      return corruption("the checkpoint has extra partitions");
    const auto index = static_cast<uint32_t>(c.partitions.size());
    c.partitions.push_back(PartitionCheckpoint{p.offset, {}, p.fence});
    if (take)
      DIMONA_TRY((*take)(index, static_cast<uint32_t>(partitions), std::move(p)));
    else
      c.partitions.back().state = std::move(p.state);
  }
  if (static_cast<int64_t>(c.partitions.size()) != partitions) return corruption("the checkpoint is missing partitions");
  return std::optional<Checkpoint>(std::move(c));
}

constexpr char kHead[] = "SELECT sequence, partitions, ledger_time, state_hash FROM checkpoints ";

}  // namespace

Result<std::optional<Checkpoint>> CheckpointStore::read(std::optional<Instant> before, const PartitionTaker* take,
                                                        bool states) {
  Result<Statement> head = prepare(
      impl_->db.get(),
      (std::string(kHead) + (before ? "WHERE ledger_time <= ?1 " : "") + "ORDER BY sequence DESC LIMIT 1").c_str());
  DIMONA_TRY(head);
  if (before) sqlite3_bind_int64(head->get(), 1, before->micros);
  Result<std::optional<Checkpoint>> c = read_checkpoint(impl_->db.get(), head->get(), take, states);
  DIMONA_TRY(c);
  if (!before) {  // the latest: what the next save() must only grow
    impl_->last_offsets.clear();
    if (c->has_value())
      for (const PartitionCheckpoint& p : (*c)->partitions) impl_->last_offsets.push_back(p.offset);
  }
  return c;
}

Result<std::optional<Checkpoint>> CheckpointStore::load() { return read(std::nullopt, nullptr); }

Result<std::optional<Checkpoint>> CheckpointStore::load_before(Instant at) { return read(at, nullptr); }

Result<std::optional<Checkpoint>> CheckpointStore::load_each(std::optional<Instant> before,
                                                             const PartitionTaker& take) {
  return read(before, &take);
}

Result<std::optional<Checkpoint>> CheckpointStore::begin_partial_load() {
  DIMONA_ASSERT(!impl_->partial);
  DIMONA_TRY(sqlite::exec(impl_->db.get(), "BEGIN", "checkpoint: cannot begin a read"));
  impl_->partial = true;
  Result<std::optional<Checkpoint>> c = read(std::nullopt, nullptr, /*states=*/false);
  if (!c.is_ok() || !c->has_value()) {
    end_partial_load();
    return c;
  }
  impl_->partial_sequence = (*c)->sequence;
  return c;
}

Result<PartitionCheckpoint> CheckpointStore::load_partition(uint32_t p) {
  DIMONA_ASSERT(impl_->partial);
  Result<Statement> row = prepare(
      impl_->db.get(), "SELECT offset, state, fence FROM partition_states WHERE sequence = ?1 AND partition = ?2");
  DIMONA_TRY(row);
  sqlite3_stmt* s = row->get();
  sqlite3_bind_int64(s, 1, static_cast<int64_t>(impl_->partial_sequence));
  sqlite3_bind_int64(s, 2, p);
  if (sqlite3_step(s) != SQLITE_ROW) return corruption("the checkpoint has no partition " + std::to_string(p));
  PartitionCheckpoint pc;
  const int64_t offset = sqlite3_column_int64(s, 0);
  if (offset < 0) return corruption("checkpoint partition " + std::to_string(p) + " has a negative offset");
  pc.offset = static_cast<Offset>(offset);
  if (const void* blob = sqlite3_column_blob(s, 1))
    pc.state.assign(static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(s, 1)));
  if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
    const int64_t fence = sqlite3_column_int64(s, 2);
    if (fence < 0 || static_cast<Offset>(fence) >= pc.offset)
      return corruption("checkpoint partition " + std::to_string(p) + " has fence " + std::to_string(fence) +
                        ", not below its offset " + std::to_string(pc.offset));
    pc.fence = static_cast<Offset>(fence);
  }
  return pc;
}

Status CheckpointStore::read_partition_bytes(uint32_t p, const std::function<Status(const RangeReader&)>& walk) {
  DIMONA_ASSERT(impl_->partial);
  sqlite3* db = impl_->db.get();
  Result<Statement> row = prepare(db, "SELECT rowid FROM partition_states WHERE sequence = ?1 AND partition = ?2");
  DIMONA_TRY(row);
  sqlite3_bind_int64(row->get(), 1, static_cast<int64_t>(impl_->partial_sequence));
  sqlite3_bind_int64(row->get(), 2, p);
  if (sqlite3_step(row->get()) != SQLITE_ROW) return corruption("the checkpoint has no partition " + std::to_string(p));
  sqlite3_blob* raw = nullptr;
  const int rc = sqlite3_blob_open(db, "main", "partition_states", "state", sqlite3_column_int64(row->get(), 0),
                                   /*flags=read only*/ 0, &raw);
  const std::unique_ptr<sqlite3_blob, int (*)(sqlite3_blob*)> blob(raw, &sqlite3_blob_close);
  if (rc != SQLITE_OK) return sqlite::sqlite_error(db, rc, "checkpoint partition " + std::to_string(p));
  const auto size = static_cast<uint64_t>(sqlite3_blob_bytes(raw));
  return walk([&](uint64_t at, uint64_t length) -> Result<std::string> {
    if (at > size || length > size - at)
      return corruption("checkpoint partition " + std::to_string(p) + " is truncated");
    std::string out(length, '\0');  // at most the state's size
    if (length > 0) {
      const int read = sqlite3_blob_read(raw, out.data(), static_cast<int>(length), static_cast<int>(at));
      if (read != SQLITE_OK) return sqlite::sqlite_error(db, read, "checkpoint partition " + std::to_string(p));
    }
    return out;
  });
}

void CheckpointStore::end_partial_load() {
  if (!impl_->partial) return;
  impl_->partial = false;
  (void)exec(impl_->db.get(), "COMMIT");  // a read: nothing to lose
}

Result<std::vector<CheckpointSummary>> CheckpointStore::list() {
  sqlite3* db = impl_->db.get();
  Result<Statement> heads = prepare(db, "SELECT sequence, ledger_time, state_hash FROM checkpoints ORDER BY sequence");
  DIMONA_TRY(heads);
  Result<Statement> offsets = prepare(db, "SELECT offset FROM partition_states WHERE sequence = ?1 ORDER BY partition");
  DIMONA_TRY(offsets);
  std::vector<CheckpointSummary> out;
  while (sqlite3_step(heads->get()) == SQLITE_ROW) {
    CheckpointSummary c;
    c.sequence = static_cast<uint64_t>(sqlite3_column_int64(heads->get(), 0));
    c.ledger_time = Instant{sqlite3_column_int64(heads->get(), 1)};
    if (const void* hash = sqlite3_column_blob(heads->get(), 2))
      c.state_hash.assign(static_cast<const char*>(hash), static_cast<size_t>(sqlite3_column_bytes(heads->get(), 2)));
    sqlite3_bind_int64(offsets->get(), 1, static_cast<int64_t>(c.sequence));
    while (sqlite3_step(offsets->get()) == SQLITE_ROW) {
      const int64_t offset = sqlite3_column_int64(offsets->get(), 0);
      if (offset < 0) return corruption("checkpoint " + std::to_string(c.sequence) + " has a negative offset");
      c.offsets.push_back(static_cast<Offset>(offset));
    }
    sqlite3_reset(offsets->get());
    out.push_back(std::move(c));
  }
  return out;
}

struct StateHasher::Context {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  void feed(std::string_view bytes) { DIMONA_ASSERT(EVP_DigestUpdate(md.get(), bytes.data(), bytes.size()) == 1); }
  void feed_u64(uint64_t v) {
    char le[8];
    for (size_t i = 0; i < 8; ++i) le[i] = static_cast<char>(v >> (8 * i));
    feed({le, 8});
  }
};

StateHasher::StateHasher(uint64_t partitions) : context_(std::make_unique<Context>()), expected_(partitions) {
  DIMONA_ASSERT(context_->md && EVP_DigestInit_ex(context_->md.get(), EVP_sha256(), nullptr) == 1);
  context_->feed("dimona-state-1");
  context_->feed_u64(partitions);
}

StateHasher::~StateHasher() = default;

void StateHasher::add(Offset offset, std::string_view state) {
  DIMONA_ASSERT(added_ < expected_);
  ++added_;
  context_->feed_u64(offset);
  context_->feed_u64(state.size());
  context_->feed(state);
}

std::string StateHasher::finish() {
  DIMONA_ASSERT(added_ == expected_);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  DIMONA_ASSERT(EVP_DigestFinal_ex(context_->md.get(), digest, &length) == 1 && length == 32);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string state_hash_of(const std::vector<PartitionCheckpoint>& partitions) {
  StateHasher hasher(partitions.size());
  for (const PartitionCheckpoint& p : partitions) hasher.add(p.offset, p.state);
  return hasher.finish();
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += kDigits[b >> 4], out += kDigits[b & 15];
  return out;
}

Result<std::string> set_aside_checkpoint(const std::string& path, Instant now) {
  std::string stamp = to_string(now).substr(0, 19);  // YYYY-MM-DDTHH:MM:SS
  stamp.erase(std::remove(stamp.begin(), stamp.end(), '-'), stamp.end());
  stamp.erase(std::remove(stamp.begin(), stamp.end(), ':'), stamp.end());
  std::string aside = path + ".corrupt-" + stamp + "Z";
  struct stat st {};
  for (int n = 1; ::stat(aside.c_str(), &st) == 0; ++n) aside = path + ".corrupt-" + stamp + "Z-" + std::to_string(n);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string from = path + suffix;
    if (::stat(from.c_str(), &st) != 0) continue;
    if (std::rename(from.c_str(), (aside + suffix).c_str()) != 0)
      return io_error("cannot set the checkpoint " + from + " aside: " + std::strerror(errno));
  }
  return aside;
}

}  // namespace dimona
