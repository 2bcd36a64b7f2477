#include "projections/checkpoint_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/base/limits.h"
#include "engine/base/private_file.h"

namespace dimona {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

Status sqlite_status(sqlite3* db, int rc, const std::string& what) {
  const std::string message = what + ": " + sqlite3_errmsg(db);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return busy(message);
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return corruption(message);
  return io_error(message);
}

Status exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::ok() : sqlite_status(db, rc, "checkpoint store");
}

Result<Statement> prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(db, rc, "checkpoint store");
  return Statement(s);
}

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints(sequence INTEGER PRIMARY KEY, partitions INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS partition_states(
  sequence INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, state BLOB NOT NULL,
  PRIMARY KEY(sequence, partition)) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES('format_version', 5);
)sql";

}  // namespace

struct CheckpointStore::Impl {
  Db db;
  std::vector<Offset> last_offsets;  // of the last checkpoint saved or loaded
};

CheckpointStore::CheckpointStore(Key, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CheckpointStore::~CheckpointStore() = default;

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::open(const std::string& path) {
  static_assert(kCheckpointFormatVersion == 5, "kSchema writes version 5");
  DIMONA_TRY(create_private_file(path));  // 0600: the states hold SSINs, and so will -wal and -shm
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return sqlite_status(raw, rc, "cannot open the checkpoint file " + path);
  sqlite3_busy_timeout(db.get(), limits::sqlite_busy_timeout_ms);
  DIMONA_TRY(exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  DIMONA_TRY(exec(db.get(), kSchema));
  Result<Statement> version = prepare(db.get(), "SELECT value FROM meta WHERE key = 'format_version'");
  DIMONA_TRY(version);
  if (sqlite3_step(version->get()) != SQLITE_ROW) return corruption(path + " has no format version");
  const int64_t v = sqlite3_column_int64(version->get(), 0);
  if (v != kCheckpointFormatVersion)
    return failed_precondition(path + " is a checkpoint of format " + std::to_string(v) + ", this build reads format " +
                               std::to_string(kCheckpointFormatVersion) +
                               ": rebuild it from the log with `dimona-ledger replay --rebuild`");
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db);
  return std::make_unique<CheckpointStore>(Key{}, std::move(impl));
}

Status CheckpointStore::save(const Checkpoint& c) {
  // Offsets only grow: a checkpoint behind the previous one is a projector bug.
  if (!impl_->last_offsets.empty()) {
    DIMONA_ASSERT(impl_->last_offsets.size() == c.partitions.size());
    for (size_t p = 0; p < c.partitions.size(); ++p) DIMONA_ASSERT(c.partitions[p].offset >= impl_->last_offsets[p]);
  }
  sqlite3* db = impl_->db.get();
  DIMONA_TRY(exec(db, "BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    DIMONA_TRY(exec(db, "DELETE FROM partition_states; DELETE FROM checkpoints;"));
    Result<Statement> head = prepare(db, "INSERT INTO checkpoints VALUES(?1, ?2)");
    DIMONA_TRY(head);
    sqlite3_bind_int64(head->get(), 1, static_cast<int64_t>(c.sequence));
    sqlite3_bind_int64(head->get(), 2, static_cast<int64_t>(c.partitions.size()));
    if (int rc = sqlite3_step(head->get()); rc != SQLITE_DONE) return sqlite_status(db, rc, "checkpoint");
    Result<Statement> row = prepare(db, "INSERT INTO partition_states VALUES(?1, ?2, ?3, ?4)");
    DIMONA_TRY(row);
    for (size_t p = 0; p < c.partitions.size(); ++p) {
      sqlite3_stmt* s = row->get();
      sqlite3_bind_int64(s, 1, static_cast<int64_t>(c.sequence));
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(p));
      sqlite3_bind_int64(s, 3, static_cast<int64_t>(c.partitions[p].offset));
      sqlite3_bind_blob64(s, 4, c.partitions[p].state.data(), c.partitions[p].state.size(), SQLITE_STATIC);
      if (int rc = sqlite3_step(s); rc != SQLITE_DONE) return sqlite_status(db, rc, "checkpoint");
      sqlite3_reset(s);
    }
    return exec(db, "COMMIT");
  };
  if (Status s = body(); !s.is_ok()) {
    (void)exec(db, "ROLLBACK");
    return s;
  }
  impl_->last_offsets.clear();
  for (const PartitionCheckpoint& p : c.partitions) impl_->last_offsets.push_back(p.offset);
  return Status::ok();
}

Result<std::optional<Checkpoint>> CheckpointStore::load() {
  sqlite3* db = impl_->db.get();
  Result<Statement> head = prepare(db, "SELECT sequence, partitions FROM checkpoints ORDER BY sequence DESC LIMIT 1");
  DIMONA_TRY(head);
  if (sqlite3_step(head->get()) != SQLITE_ROW) return std::optional<Checkpoint>();
  Checkpoint c;
  c.sequence = static_cast<uint64_t>(sqlite3_column_int64(head->get(), 0));
  const int64_t partitions = sqlite3_column_int64(head->get(), 1);
  Result<Statement> rows = prepare(db, "SELECT partition, offset, state FROM partition_states WHERE sequence = ?1 ORDER BY partition");
  DIMONA_TRY(rows);
  sqlite3_bind_int64(rows->get(), 1, static_cast<int64_t>(c.sequence));
  while (sqlite3_step(rows->get()) == SQLITE_ROW) {
    sqlite3_stmt* s = rows->get();
    if (sqlite3_column_int64(s, 0) != static_cast<int64_t>(c.partitions.size()) || sqlite3_column_int64(s, 1) < 0)
      return corruption("the checkpoint's partitions are not 0..n-1");
    PartitionCheckpoint p;
    p.offset = static_cast<Offset>(sqlite3_column_int64(s, 1));
    const void* blob = sqlite3_column_blob(s, 2);
    if (blob) p.state.assign(static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(s, 2)));
    c.partitions.push_back(std::move(p));
  }
  if (static_cast<int64_t>(c.partitions.size()) != partitions) return corruption("the checkpoint is missing partitions");
  impl_->last_offsets.clear();
  for (const PartitionCheckpoint& p : c.partitions) impl_->last_offsets.push_back(p.offset);
  return std::optional<Checkpoint>(std::move(c));
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
