// SQLite, thinly: what every SQLite file of the project shares (the embedded
// log, engine/log/sqlite_log.cc; the reader cache, engine/log/reader_cache.cc;
// the checkpoints, projections/checkpoint_store.cc; the employer reference,
// projections/employer_register.cc).
//
// Contract. RAII owners for a connection and a prepared statement;
// StatementUse resets a statement and its bindings on every exit; a
// transaction runs a body between BEGIN and COMMIT and rolls back on any
// failure, the body's or the COMMIT's. Every failure is a Status: SQLITE_BUSY
// and SQLITE_LOCKED are kBusy, SQLITE_CORRUPT and SQLITE_NOTADB kCorruption,
// anything else kIoError (SQLITE_FULL reads "database or disk is full"), each
// message "<what>: <SQLite's message>". Binding to a well-formed statement
// fails only on a programming error (asserted). Threading: a connection opened
// with SQLITE_OPEN_NOMUTEX is used by one thread at a time; the others follow
// SQLite's default mode.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/status.h"

namespace dimona::sqlite {

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;
struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Resets a prepared statement and its bindings on every exit.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* s) : s_(s) {}
  ~StatementUse() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* s_;
};

Status sqlite_error(sqlite3* db, int rc, std::string_view what);

// `what_file` names the file in the error ("the log", "the reader cache"). Extended result
// codes on; `flags` as sqlite3_open_v2 takes them.
Result<Connection> open_connection(const std::string& path, int flags, int busy_timeout_ms, std::string_view what_file);

// Runs `sql` (one statement or several); a failure's message starts with `what`, or with the
// SQL when `what` is empty.
Status exec(sqlite3* db, const std::string& sql, std::string_view what = {});

Result<Statement> prepare(sqlite3* db, std::string_view sql);

// Prepares each statement in turn into its owner; the first failure is returned.
Status prepare_all(sqlite3* db, std::initializer_list<std::pair<Statement*, std::string_view>> statements);

inline void bind(sqlite3_stmt* s, int index, int64_t value) {
  DIMONA_ASSERT(sqlite3_bind_int64(s, index, value) == SQLITE_OK);
}
inline void bind_text(sqlite3_stmt* s, int index, std::string_view text) {
  DIMONA_ASSERT(sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC) == SQLITE_OK);
}
inline void bind_blob(sqlite3_stmt* s, int index, std::string_view bytes) {
  DIMONA_ASSERT(sqlite3_bind_blob(s, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC) == SQLITE_OK);
}

// Steps a query of at most one row: true for a row.
Result<bool> step_row(sqlite3* db, sqlite3_stmt* s, std::string_view what);
Status step_done(sqlite3* db, sqlite3_stmt* s, std::string_view what);

// One value of a one-row query (a PRAGMA, a count); null when there is no row.
Result<std::optional<int64_t>> query_int(sqlite3* db, std::string_view sql, std::string_view what);

// A blob column's bytes as a view (valid until the statement steps or resets).
inline std::string_view column_view(sqlite3_stmt* s, int column) {
  const void* bytes = sqlite3_column_blob(s, column);  // before its size, as SQLite asks
  const int size = sqlite3_column_bytes(s, column);
  return bytes == nullptr ? std::string_view()
                          : std::string_view(static_cast<const char*>(bytes), static_cast<size_t>(size));
}

// --- Transactions --------------------------------------------------------------------
//
// `body` returns a Status or a Result<T>; run between a BEGIN and a COMMIT, its answer is the
// transaction's. When it fails, or the COMMIT does, whatever is still open is rolled back and
// the failure returned: the connection is always out of any transaction afterwards (a ROLLBACK
// that leaves one open is a broken invariant: no one could reason about the connection after).
// A failure to begin or commit reads "cannot begin <what>: ..." or "cannot commit <what>: ...".

namespace internal {
// `begin` and `commit` return a Status (an exec, or a prepared statement's step).
template <class Begin, class Commit, class Body>
auto run_transaction(sqlite3* db, Begin&& begin, Commit&& commit, Body&& body) -> decltype(body()) {
  if (Status begun = begin(); !begun.is_ok()) return begun;
  auto answer = body();
  Status ended = detail::status_of(answer);
  if (ended.is_ok()) ended = commit();
  if (ended.is_ok()) return answer;
  if (sqlite3_get_autocommit(db) == 0) (void)exec(db, "ROLLBACK");
  DIMONA_ASSERT(sqlite3_get_autocommit(db) != 0);
  return ended;
}
}  // namespace internal

// One transaction begun by `begin`: "BEGIN" (a read, or a write that takes its lock late) or
// "BEGIN IMMEDIATE" (a write).
template <class Body>
auto in_transaction(sqlite3* db, const std::string& begin, std::string_view what, Body&& body) -> decltype(body()) {
  return internal::run_transaction(
      db, [&] { return exec(db, begin, "cannot begin " + std::string(what)); },
      [&] { return exec(db, "COMMIT", "cannot commit " + std::string(what)); }, std::forward<Body>(body));
}

// The same with BEGIN and COMMIT prepared once, for a connection that runs many transactions
// (an append, a read per request, a write per poll). Holds statements: destroy it before its
// connection.
class Transactions {
 public:
  Transactions() = default;
  static Result<Transactions> prepare(sqlite3* db, std::string_view begin);

  template <class Body>
  auto run(std::string_view what, Body&& body) -> decltype(body()) {
    DIMONA_ASSERT(db_ != nullptr);
    return internal::run_transaction(
        db_, [&] { return step(begin_.get(), "cannot begin ", what); },
        [&] { return step(commit_.get(), "cannot commit ", what); }, std::forward<Body>(body));
  }

 private:
  Status step(sqlite3_stmt* s, std::string_view verb, std::string_view what);
  sqlite3* db_ = nullptr;
  Statement begin_, commit_;
};

}  // namespace dimona::sqlite
