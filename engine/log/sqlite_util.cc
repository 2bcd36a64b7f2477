#include "engine/log/sqlite_util.h"

namespace dimona::sqlite_util {

Status sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return busy(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return corruption(std::move(message));
    default: return io_error(std::move(message));  // SQLITE_FULL: "database or disk is full"
  }
}

Result<Connection> open_connection(const std::string& path, int flags, int busy_timeout_ms,
                                   std::string_view what_file) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return sqlite_error(db.get(), rc, "cannot open " + std::string(what_file) + " " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  return db;
}

Status exec(sqlite3* db, const std::string& sql) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, sql);
  return Status::ok();
}

Result<Statement> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement statement(raw);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, "cannot prepare a statement");
  DIMONA_ASSERT(statement != nullptr);
  return statement;
}

Result<bool> step_row(sqlite3* db, sqlite3_stmt* s, std::string_view what) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db, rc, what);
}

Status step_done(sqlite3* db, sqlite3_stmt* s, std::string_view what) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return Status::ok();
  return sqlite_error(db, rc, what);
}

Result<std::optional<int64_t>> query_int(sqlite3* db, std::string_view sql, std::string_view what) {
  Result<Statement> s = prepare(db, sql);
  DIMONA_TRY(s);
  Result<bool> row = step_row(db, s->get(), what);
  DIMONA_TRY(row);
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(sqlite3_column_int64(s->get(), 0));
}

}  // namespace dimona::sqlite_util
