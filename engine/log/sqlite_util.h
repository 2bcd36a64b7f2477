// SQLite, thinly: what the log's SQLite files share (the embedded log,
// sqlite_log.cc; the reader cache, reader_cache.cc).
//
// Contract. Internal to engine/log. RAII owners for a connection and a
// prepared statement; StatementUse resets a statement and its bindings on
// every exit. Every failure is a Status: SQLITE_BUSY and SQLITE_LOCKED are
// kBusy, SQLITE_CORRUPT and SQLITE_NOTADB kCorruption, anything else
// kIoError (SQLITE_FULL reads "database or disk is full"), each message
// "<what>: <SQLite's message>". Binding to a well-formed statement fails only
// on a programming error (asserted). Threading: a connection is opened
// SQLITE_OPEN_NOMUTEX, so each is used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/base/status.h"

namespace dimona::sqlite_util {

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

// `what_file` names the file in the error ("the log", "the reader cache").
Result<Connection> open_connection(const std::string& path, int flags, int busy_timeout_ms, std::string_view what_file);

Status exec(sqlite3* db, const std::string& sql);

Result<Statement> prepare(sqlite3* db, std::string_view sql);

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

}  // namespace dimona::sqlite_util
