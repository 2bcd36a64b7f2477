#include "engine/base/sqlite.h"

#include <algorithm>

namespace dimona::sqlite {

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
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) return sqlite_error(db.get(), rc, "cannot open " + std::string(what_file) + " " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  return db;
}

Status exec(sqlite3* db, const std::string& sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db, rc, what.empty() ? std::string_view(sql) : what);
  return Status::ok();
}

Result<Statement> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Statement statement(raw);
  if (rc != SQLITE_OK) {  // the statement named (its first line, at most 80 bytes): which one of several failed
    std::string_view first = sql.substr(0, std::min(sql.find('\n'), size_t{80}));
    return sqlite_error(db, rc, "cannot prepare `" + std::string(first) + "`");
  }
  DIMONA_ASSERT(statement != nullptr);
  return statement;
}

Status prepare_all(sqlite3* db, std::initializer_list<std::pair<Statement*, std::string_view>> statements) {
  for (auto [owner, sql] : statements) {
    Result<Statement> s = prepare(db, sql);
    DIMONA_TRY(s);
    *owner = std::move(*s);
  }
  return Status::ok();
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

Result<Transactions> Transactions::prepare(sqlite3* db, std::string_view begin) {
  Transactions t;
  t.db_ = db;
  Result<Statement> b = sqlite::prepare(db, begin);
  DIMONA_TRY(b);
  Result<Statement> c = sqlite::prepare(db, "COMMIT");
  DIMONA_TRY(c);
  t.begin_ = std::move(*b);
  t.commit_ = std::move(*c);
  return t;
}

Status Transactions::step(sqlite3_stmt* s, std::string_view verb, std::string_view what) {
  StatementUse use(s);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return Status::ok();
  std::string message(verb);
  message += what;
  return sqlite_error(db_, rc, message);
}

}  // namespace dimona::sqlite
