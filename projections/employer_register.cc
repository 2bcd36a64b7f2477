#include "projections/employer_register.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "engine/base/private_file.h"
#include "engine/base/sharded_cache.h"
#include "engine/base/sqlite.h"
#include "engine/declaration.h"

namespace dimona {

uint64_t SkippedRows::total() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

void SkippedRows::add(RowFault fault, std::string_view file, uint64_t line) {
  const auto i = static_cast<size_t>(fault);
  DIMONA_ASSERT(fault != RowFault::kNone && i < kRowFaultCount);
  ++counts[i];
  if (first_lines[i].size() < limits::register_skipped_lines_reported_max)
    first_lines[i].push_back(std::string(file) + ":" + std::to_string(line));
}

std::string employer_register_path(const std::string& data_dir) { return data_dir + "/employers.db"; }

EmployerNameOf employer_names(const EmployerRegister* reg, RegisterLanguage language) {
  if (reg == nullptr) return {};
  return [reg, language](uint64_t employer) -> std::optional<std::string> {
    if (employer & kNssoEmployerTag || employer == 0 || employer >= 10'000'000'000ULL) return std::nullopt;
    return reg->name(EnterpriseNumber{employer}, language);
  };
}

void write_employer_name(JsonWriter& w, std::string_view key, uint64_t employer, const EmployerNameOf& names) {
  if (!names) return;
  if (std::optional<std::string> name = names(employer)) w.key_text(key).string(*name);
}

namespace {

// --- The extract: a folder or a ZIP (libzip is used here only) ------------------
class EntryReader {
 public:
  virtual ~EntryReader() = default;
  // Bytes read into buf (0 at the end), or an error.
  virtual Result<size_t> read(char* buf, size_t n) = 0;
};

class FileEntry final : public EntryReader {
 public:
  explicit FileEntry(std::FILE* f) : f_(f) {}
  ~FileEntry() override { std::fclose(f_); }
  Result<size_t> read(char* buf, size_t n) override {
    const size_t got = std::fread(buf, 1, n, f_);
    if (got == 0 && std::ferror(f_)) return io_error(std::string("read failed: ") + std::strerror(errno));
    return got;
  }

 private:
  std::FILE* f_;
};

class ZipEntry final : public EntryReader {
 public:
  explicit ZipEntry(zip_file_t* f) : f_(f) {}
  ~ZipEntry() override { zip_fclose(f_); }
  Result<size_t> read(char* buf, size_t n) override {
    const zip_int64_t got = zip_fread(f_, buf, n);
    if (got < 0) return corruption(std::string("ZIP entry unreadable: ") + zip_error_strerror(zip_file_get_error(f_)));
    return static_cast<size_t>(got);
  }

 private:
  zip_file_t* f_;
};

class Extract {
 public:
  static Result<std::unique_ptr<Extract>> open(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return not_found("no extract at " + path);
    auto extract = std::unique_ptr<Extract>(new Extract(path));  // NOLINT: private constructor
    if (S_ISDIR(st.st_mode)) return extract;
    int error = 0;
    extract->zip_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (!extract->zip_) {
      zip_error_t e;
      zip_error_init_with_code(&e, error);
      std::string why = zip_error_strerror(&e);
      zip_error_fini(&e);
      return invalid_argument(path + " is neither a folder nor a readable ZIP: " + why);
    }
    return extract;
  }
  ~Extract() {
    if (zip_) zip_discard(zip_);
  }

  // The entry's size, or nullopt when the extract has no such file.
  std::optional<uint64_t> size_of(const std::string& name) const {
    if (zip_) {
      const zip_int64_t i = zip_name_locate(zip_, name.c_str(), ZIP_FL_NOCASE | ZIP_FL_NODIR);
      zip_stat_t st;
      if (i < 0 || zip_stat_index(zip_, static_cast<zip_uint64_t>(i), 0, &st) != 0) return std::nullopt;
      return st.size;
    }
    struct stat st {};
    if (::stat((path_ + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::unique_ptr<EntryReader>> open_entry(const std::string& name) const {
    if (zip_) {
      const zip_int64_t i = zip_name_locate(zip_, name.c_str(), ZIP_FL_NOCASE | ZIP_FL_NODIR);
      zip_file_t* f = i < 0 ? nullptr : zip_fopen_index(zip_, static_cast<zip_uint64_t>(i), 0);
      if (!f) return not_found("the ZIP has no readable " + name);
      return std::unique_ptr<EntryReader>(std::make_unique<ZipEntry>(f));
    }
    std::FILE* f = std::fopen((path_ + "/" + name).c_str(), "rb");
    if (!f) return io_error("cannot open " + path_ + "/" + name + ": " + std::strerror(errno));
    return std::unique_ptr<EntryReader>(std::make_unique<FileEntry>(f));
  }

 private:
  explicit Extract(std::string path) : path_(std::move(path)) {}
  std::string path_;
  zip_t* zip_ = nullptr;
};

// --- SQLite -------------------------------------------------------------------
using Db = sqlite::Connection;
using sqlite::prepare;
using sqlite::Statement;

Status exec(sqlite3* db, const std::string& sql) { return sqlite::exec(db, sql, "employer reference"); }

Result<Db> open_db(const std::string& path, int flags) {
  return sqlite::open_connection(path, flags, limits::sqlite_busy_timeout_ms, "the employer reference");
}

constexpr int64_t kRegisterFormatVersion = 1;
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS enterprise(number INTEGER PRIMARY KEY, active INTEGER NOT NULL, type INTEGER NOT NULL,
  juridical_form INTEGER NOT NULL, start_date INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS denomination(number INTEGER NOT NULL, language INTEGER NOT NULL, type INTEGER NOT NULL,
  name TEXT NOT NULL, PRIMARY KEY(number, language, type, name)) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES('format_version', 1);
)sql";

// --- Reading one CSV file of the extract, line by line --------------------------
enum class FileKind { kEnterprise, kDenomination, kDeletion };

struct ImportContext {
  sqlite3* db;
  bool update;
  RegisterImportReport* report;
  const RegisterImportProgress* progress;
  uint64_t bytes_total;
  uint64_t rows = 0;
};

std::string_view expected_header(FileKind kind) {
  switch (kind) {
    case FileKind::kEnterprise: return kEnterpriseHeader;
    case FileKind::kDenomination: return kDenominationHeader;
    case FileKind::kDeletion: return kDeletionHeader;
  }
  return {};
}

Status check_header(std::string_view line, FileKind kind, const std::string& name) {
  if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // a UTF-8 BOM
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line == expected_header(kind)) return Status::ok();
  return invalid_argument(name + " does not start with the register's header " + std::string(expected_header(kind)));
}

// Runs `row(line, line_number)` on each line after the header.
template <typename RowFn>
Status for_each_line(const Extract& extract, const std::string& name, FileKind kind, ImportContext& context, RowFn row) {
  Result<std::unique_ptr<EntryReader>> entry = extract.open_entry(name);
  DIMONA_TRY(entry);
  std::string buffer;
  std::vector<char> chunk(limits::register_read_bytes);
  uint64_t line_number = 0;
  bool skipping_long_line = false;
  bool at_end = false;
  while (!at_end) {
    Result<size_t> got = (*entry)->read(chunk.data(), chunk.size());
    if (!got) return Status(got.status().code(), name + ": " + got.status().message());
    at_end = *got == 0;
    context.report->bytes += *got;
    buffer.append(chunk.data(), *got);
    if (at_end && !buffer.empty() && buffer.back() != '\n') buffer.push_back('\n');  // a last line without ending
    size_t start = 0;
    for (size_t nl = buffer.find('\n'); nl != std::string::npos; start = nl + 1, nl = buffer.find('\n', start)) {
      ++line_number;
      const std::string_view line(buffer.data() + start, nl - start);
      if (skipping_long_line) {
        skipping_long_line = false;
        continue;
      }
      if (line_number == 1) {
        DIMONA_TRY(check_header(line, kind, name));
        continue;
      }
      if (line.size() > limits::register_line_bytes_max) {
        context.report->skipped.add(RowFault::kLineTooLong, name, line_number);
        continue;
      }
      if (line.empty() || line == "\r") continue;
      DIMONA_TRY(row(line, line_number));
      if (++context.rows % limits::register_progress_rows == 0 && *context.progress)
        (*context.progress)(context.rows, context.report->bytes, context.bytes_total);
    }
    buffer.erase(0, start);
    if (buffer.size() > limits::register_line_bytes_max) {  // a line longer than the limit: drop it as it comes
      if (!skipping_long_line) {  // counted once, however many reads it spans
        if (line_number == 0) return invalid_argument(name + " does not start with the register's header");
        context.report->skipped.add(RowFault::kLineTooLong, name, line_number + 1);  // numbered when its end arrives
        skipping_long_line = true;
      }
      buffer.clear();
    }
  }
  if (line_number == 0) return invalid_argument(name + " is empty (no header)");
  return Status::ok();
}

Status step_done(sqlite3* db, sqlite3_stmt* s) {
  sqlite::StatementUse use(s);
  return sqlite::step_done(db, s, "employer reference");
}

Status import_enterprises(const Extract& extract, const std::string& name, ImportContext& context) {
  Result<Statement> insert = prepare(context.db, context.update ? "INSERT OR REPLACE INTO enterprise VALUES(?,?,?,?,?)"
                                                                : "INSERT OR IGNORE INTO enterprise VALUES(?,?,?,?,?)");
  DIMONA_TRY(insert);
  sqlite3_stmt* s = insert->get();
  std::string scratch;
  RegisterRecord record;
  return for_each_line(extract, name, FileKind::kEnterprise, context, [&](std::string_view line, uint64_t n) -> Status {
    EnterpriseRow row;
    RowFault fault = split_register_record(line, scratch, record);
    if (fault == RowFault::kNone) fault = parse_enterprise_row(record, row);
    if (fault != RowFault::kNone) {
      context.report->skipped.add(fault, name, n);
      return Status::ok();
    }
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(row.number.value));
    sqlite3_bind_int(s, 2, row.active ? 1 : 0);
    sqlite3_bind_int(s, 3, row.type_of_enterprise);
    sqlite3_bind_int(s, 4, row.juridical_form);
    sqlite3_bind_int(s, 5, row.start_date.days);
    DIMONA_TRY(step_done(context.db, s));
    if (sqlite3_changes(context.db) == 0) context.report->skipped.add(RowFault::kDuplicate, name, n);
    else ++context.report->enterprises;
    return Status::ok();
  });
}

Status import_denominations(const Extract& extract, const std::string& name, ImportContext& context) {
  Result<Statement> insert = prepare(context.db, "INSERT OR IGNORE INTO denomination VALUES(?,?,?,?)");
  DIMONA_TRY(insert);
  sqlite3_stmt* s = insert->get();
  std::string scratch;
  RegisterRecord record;
  return for_each_line(extract, name, FileKind::kDenomination, context, [&](std::string_view line, uint64_t n) -> Status {
    DenominationRow row;
    RowFault fault = split_register_record(line, scratch, record);
    if (fault == RowFault::kNone) fault = parse_denomination_row(record, row);
    if (fault != RowFault::kNone) {
      context.report->skipped.add(fault, name, n);
      return Status::ok();
    }
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(row.number.value));
    sqlite3_bind_int(s, 2, static_cast<int>(row.language));
    sqlite3_bind_int(s, 3, static_cast<int>(row.type));
    sqlite3_bind_text(s, 4, row.denomination.data(), static_cast<int>(row.denomination.size()), SQLITE_STATIC);
    DIMONA_TRY(step_done(context.db, s));
    if (sqlite3_changes(context.db) == 0) context.report->skipped.add(RowFault::kDuplicate, name, n);
    else ++context.report->denominations;
    return Status::ok();
  });
}

Status import_deletions(const Extract& extract, const std::string& name, const char* sql, uint64_t& deleted,
                        ImportContext& context) {
  Result<Statement> remove = prepare(context.db, sql);
  DIMONA_TRY(remove);
  sqlite3_stmt* s = remove->get();
  std::string scratch;
  RegisterRecord record;
  return for_each_line(extract, name, FileKind::kDeletion, context, [&](std::string_view line, uint64_t n) -> Status {
    EnterpriseNumber number;
    RowFault fault = split_register_record(line, scratch, record);
    if (fault == RowFault::kNone) fault = parse_deletion_row(record, number);
    if (fault != RowFault::kNone) {
      context.report->skipped.add(fault, name, n);
      return Status::ok();
    }
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(number.value));
    DIMONA_TRY(step_done(context.db, s));
    deleted += static_cast<uint64_t>(sqlite3_changes(context.db));
    return Status::ok();
  });
}

Result<uint64_t> count_enterprises(sqlite3* db) {
  Result<Statement> count = prepare(db, "SELECT count(*) FROM enterprise");
  DIMONA_TRY(count);
  if (sqlite3_step(count->get()) != SQLITE_ROW) return sqlite::sqlite_error(db, SQLITE_ERROR, "employer reference");
  return static_cast<uint64_t>(sqlite3_column_int64(count->get(), 0));
}

Status sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::ok() : io_error("cannot sync " + path + ": " + std::strerror(errno));
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// A full extract: a new store beside the old one, renamed over it when whole.
Status import_full(const Extract& extract, const std::string& store_path, ImportContext& context) {
  const std::string temporary = store_path + ".tmp";
  if (::unlink(temporary.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove " + temporary);
  DIMONA_TRY(create_private_file(temporary));
  {
    Result<Db> db = open_db(temporary, SQLITE_OPEN_READWRITE);
    DIMONA_TRY(db);
    context.db = db->get();
    // Nothing to protect until the rename: no journal, no sync, a large cache.
    DIMONA_TRY(exec(context.db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;"));
    DIMONA_TRY(exec(context.db, kSchema));
    // No rollback on a failure (without a journal SQLite's ROLLBACK is undefined): the file is
    // left to be removed by the next import.
    DIMONA_TRY(exec(context.db, "BEGIN"));
    DIMONA_TRY(import_enterprises(extract, "enterprise.csv", context));
    DIMONA_TRY(import_denominations(extract, "denomination.csv", context));
    DIMONA_TRY(exec(context.db, "COMMIT"));
    Result<uint64_t> count = count_enterprises(context.db);
    DIMONA_TRY(count);
    context.report->enterprises_in_store = *count;
    context.db = nullptr;
  }
  DIMONA_TRY(sync_path(temporary, O_RDONLY));
  if (::rename(temporary.c_str(), store_path.c_str()) != 0)
    return io_error("cannot rename " + temporary + ": " + std::strerror(errno));
  return sync_path(folder_of(store_path), O_RDONLY | O_DIRECTORY);
}

// An update extract: deletions then insertions, in one transaction on the store.
Status import_update(const Extract& extract, const std::string& store_path, ImportContext& context) {
  struct stat st {};
  if (::stat(store_path.c_str(), &st) != 0)
    return failed_precondition("an update extract needs a reference: import a full extract first");
  Result<Db> db = open_db(store_path, SQLITE_OPEN_READWRITE);
  DIMONA_TRY(db);
  context.db = db->get();
  DIMONA_TRY(exec(context.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"));
  DIMONA_TRY(exec(context.db, kSchema));
  RegisterImportReport& r = *context.report;
  DIMONA_TRY(
      sqlite::in_transaction(context.db, "BEGIN IMMEDIATE", "an update of the employer reference", [&]() -> Status {
        if (extract.size_of("enterprise_delete.csv"))
          DIMONA_TRY(import_deletions(extract, "enterprise_delete.csv", "DELETE FROM enterprise WHERE number = ?",
                                      r.enterprises_deleted, context));
        if (extract.size_of("denomination_delete.csv"))
          DIMONA_TRY(import_deletions(extract, "denomination_delete.csv", "DELETE FROM denomination WHERE number = ?",
                                      r.denominations_deleted, context));
        if (extract.size_of("enterprise_insert.csv"))
          DIMONA_TRY(import_enterprises(extract, "enterprise_insert.csv", context));
        if (extract.size_of("denomination_insert.csv"))
          DIMONA_TRY(import_denominations(extract, "denomination_insert.csv", context));
        return Status::ok();
      }));
  Result<uint64_t> count = count_enterprises(context.db);
  DIMONA_TRY(count);
  r.enterprises_in_store = *count;
  context.db = nullptr;
  return Status::ok();
}

constexpr const char* kUpdateFiles[] = {"enterprise_delete.csv", "denomination_delete.csv", "enterprise_insert.csv",
                                        "denomination_insert.csv"};

}  // namespace

Result<RegisterImportReport> import_register_extract(const std::string& extract_path, const std::string& store_path,
                                                     const RegisterImportProgress& progress) {
  // One import of a store at a time: two shared its .tmp (a store holding both extracts' union,
  // the other import failing on a vanished file). Held until this returns; a second is refused.
  const std::string lock_path = store_path + ".lock";
  DIMONA_TRY(create_private_file(lock_path));
  const int lock_fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (lock_fd < 0) return io_error("cannot open " + lock_path + ": " + std::strerror(errno));
  const std::unique_ptr<int, void (*)(int*)> held(new int(lock_fd), [](int* fd) {
    ::close(*fd);  // releases the flock
    delete fd;
  });
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return failed_precondition("another import of " + store_path + " is running (" + lock_path + "): run it after");
    return io_error("cannot lock " + lock_path + ": " + std::strerror(errno));
  }
  Result<std::unique_ptr<Extract>> extract = Extract::open(extract_path);
  DIMONA_TRY(extract);
  const Extract& x = **extract;
  RegisterImportReport report;
  ImportContext context{nullptr, false, &report, &progress, 0};
  const std::optional<uint64_t> enterprises = x.size_of("enterprise.csv");
  if (enterprises) {
    const std::optional<uint64_t> denominations = x.size_of("denomination.csv");
    if (!denominations) return invalid_argument(extract_path + " has enterprise.csv but no denomination.csv");
    context.bytes_total = *enterprises + *denominations;
    DIMONA_TRY(import_full(x, store_path, context));
    return report;
  }
  report.update = true;
  bool any = false;
  for (const char* name : kUpdateFiles) {
    if (std::optional<uint64_t> size = x.size_of(name)) {
      any = true;
      context.bytes_total += *size;
    }
  }
  if (!any)
    return invalid_argument(extract_path + " is no register extract: neither enterprise.csv (full) nor " +
                            "enterprise_delete.csv, denomination_delete.csv, *_insert.csv (update)");
  context.update = true;
  DIMONA_TRY(import_update(x, store_path, context));
  return report;
}

RegisterLanguage language_from_accept(std::string_view accept) {
  // The first language tag named (q-values are not weighed: browsers list by preference).
  size_t i = 0;
  while (i < accept.size()) {
    while (i < accept.size() && (accept[i] == ' ' || accept[i] == ',')) ++i;
    const size_t end = accept.find_first_of(",;-_.", i);  // nl-BE, and nl_BE.UTF-8 (a POSIX locale)
    const std::string_view tag = accept.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    auto is = [&](const char* two) { return tag.size() == 2 && (tag[0] | 0x20) == two[0] && (tag[1] | 0x20) == two[1]; };
    if (is("nl")) return RegisterLanguage::kDutch;
    if (is("fr")) return RegisterLanguage::kFrench;
    if (is("de")) return RegisterLanguage::kGerman;
    if (is("en")) return RegisterLanguage::kEnglish;
    const size_t comma = accept.find(',', i);
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  return RegisterLanguage::kUnknown;
}

namespace {

// A store opened for reading, with the one statement name() runs.
struct OpenStore {
  Db db;
  Statement names;
};

// What tells one file at `path` from another, or from itself changed: a full import renames a
// new file in (another inode, which cannot be reused while the old one is held open), an update
// writes into it (size, modification time). `present` is false when there is no file.
struct FileIdentity {
  bool present = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t modified_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

FileIdentity identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return FileIdentity{true, st.st_dev, st.st_ino, st.st_size,
                      int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// The store at `path`, read only, after checking that it is an employer reference of this format.
Result<OpenStore> open_store(const std::string& path) {
  Result<Db> db = open_db(path, SQLITE_OPEN_READONLY);
  DIMONA_TRY(db);
  Result<Statement> version = prepare(db->get(), "SELECT value FROM meta WHERE key = 'format_version'");
  if (!version) return corruption(path + " is not an employer reference: " + version.status().message());
  if (sqlite3_step(version->get()) != SQLITE_ROW || sqlite3_column_int64(version->get(), 0) != kRegisterFormatVersion)
    return failed_precondition(path + " is an employer reference of another format: import the extract again");
  Result<Statement> names = prepare(db->get(), "SELECT language, type, name FROM denomination WHERE number = ?");
  DIMONA_TRY(names);
  return OpenStore{std::move(*db), std::move(*names)};
}

}  // namespace

struct EmployerRegister::Impl {
  mutable std::mutex mutex;        // guards everything below but the atomics and the cache
  std::optional<OpenStore> store;  // none: no reference (yet), names nothing
  // Following the file (follow()); `following` false for a register opened once.
  bool following = false;
  std::string path;
  std::chrono::milliseconds recheck{0};
  FileIdentity opened;       // the file `store` was opened from (or its absence)
  FileIdentity last_failed;  // the last file that could not be opened, reported once
  RegisterFailure on_failure;

  // Read by name() without `mutex` (a response names its employers several
  // times, from every I/O thread); written under it by refresh().
  std::atomic<bool> has_store{false};     // store.has_value()
  std::atomic<int64_t> next_check_ns{0};  // when to look at the file again, in nanoseconds of the steady clock
  std::atomic<uint64_t> generation{0};    // moves whenever `store` changes: older cached names are stale

  // Names looked up, per (number, language asked), each with the generation
  // of the store it came from (engine/base/sharded_cache.h).
  struct Cached {
    uint64_t generation = 0;
    std::optional<std::string> name;
  };
  ShardedCache<uint64_t, Cached, limits::employer_register_cache_shards> cache{limits::employer_register_cached_names};

  // Under `mutex`: reopens the store when the file is another than the one opened.
  void refresh();
  // Under `mutex`: the store is now `next` (or none).
  void set_store(std::optional<OpenStore> next);
  // Under `mutex`: the legal name the store holds (see name()).
  std::optional<std::string> look_up(EnterpriseNumber number, RegisterLanguage preferred);
};

namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void EmployerRegister::Impl::set_store(std::optional<OpenStore> next) {
  store = std::move(next);
  has_store.store(store.has_value(), std::memory_order_release);
  generation.fetch_add(1, std::memory_order_acq_rel);
}

void EmployerRegister::Impl::refresh() {
  if (!following) return;
  const int64_t now = steady_ns();
  if (now < next_check_ns.load(std::memory_order_relaxed)) return;
  next_check_ns.store(now + std::chrono::duration_cast<std::chrono::nanoseconds>(recheck).count(),
                      std::memory_order_relaxed);
  const FileIdentity current = identity_of(path);
  if (current == opened) return;
  if (!current.present) {  // the reference was removed: numbers only, as without one
    set_store(std::nullopt);
    opened = current;
    return;
  }
  Result<OpenStore> fresh = open_store(path);
  if (!fresh.is_ok()) {  // keep what was read before; say so once for this file
    if (current != last_failed && on_failure) on_failure(fresh.status());
    last_failed = current;
    return;
  }
  set_store(std::move(*fresh));
  opened = current;
  last_failed = FileIdentity{};
}

EmployerRegister::EmployerRegister(Key, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmployerRegister::~EmployerRegister() = default;

Result<std::unique_ptr<EmployerRegister>> EmployerRegister::open_if_present(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::unique_ptr<EmployerRegister>();
  Result<OpenStore> store = open_store(path);
  DIMONA_TRY(store);
  auto impl = std::make_unique<Impl>();
  impl->set_store(std::move(*store));
  return std::make_unique<EmployerRegister>(Key{}, std::move(impl));
}

std::unique_ptr<EmployerRegister> EmployerRegister::follow(const std::string& path, std::chrono::milliseconds recheck,
                                                           RegisterFailure on_failure) {
  DIMONA_ASSERT(recheck.count() >= 0);
  auto impl = std::make_unique<Impl>();
  impl->following = true;
  impl->path = path;
  impl->recheck = recheck;
  impl->on_failure = std::move(on_failure);
  impl->refresh();  // the reference as it is now; a failure is reported already
  return std::make_unique<EmployerRegister>(Key{}, std::move(impl));
}

std::optional<std::string> EmployerRegister::Impl::look_up(EnterpriseNumber number, RegisterLanguage preferred) {
  // Rank: the legal name in the language asked for, then French, Dutch, German, English, unknown.
  auto rank = [preferred](int language) {
    if (language == static_cast<int>(preferred) && preferred != RegisterLanguage::kUnknown) return 0;
    return language == 0 ? 9 : language;
  };
  if (!store) return std::nullopt;
  sqlite3_stmt* s = store->names.get();
  sqlite3_bind_int64(s, 1, static_cast<int64_t>(number.value));
  std::optional<std::string> best;
  int best_rank = 100;
  while (sqlite3_step(s) == SQLITE_ROW) {
    if (sqlite3_column_int(s, 1) != static_cast<int>(DenominationType::kLegalName)) continue;
    const int r = rank(sqlite3_column_int(s, 0));
    if (r >= best_rank) continue;
    best_rank = r;
    best = std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 2)),
                       static_cast<size_t>(sqlite3_column_bytes(s, 2)));
  }
  sqlite3_reset(s);
  return best;
}

std::optional<std::string> EmployerRegister::name(EnterpriseNumber number, RegisterLanguage preferred) const {
  Impl& r = *impl_;
  if (r.following && steady_ns() >= r.next_check_ns.load(std::memory_order_relaxed)) {
    std::lock_guard lock(r.mutex);
    r.refresh();
  }
  if (!r.has_store.load(std::memory_order_acquire)) return std::nullopt;  // no reference: numbers only, no lock
  const uint64_t key = number.value * 8 + static_cast<uint64_t>(preferred);
  const uint64_t generation = r.generation.load(std::memory_order_acquire);
  if (std::optional<Impl::Cached> seen =
          r.cache.find(key, [generation](const Impl::Cached& c) { return c.generation == generation; }))
    return std::move(seen->name);
  Impl::Cached looked_up;
  {
    std::lock_guard lock(r.mutex);
    looked_up = Impl::Cached{r.generation.load(std::memory_order_relaxed), r.look_up(number, preferred)};
  }
  r.cache.put(key, looked_up);
  return looked_up.name;
}

uint64_t EmployerRegister::enterprise_count() const {
  std::lock_guard lock(impl_->mutex);
  impl_->refresh();
  if (!impl_->store) return 0;
  Result<uint64_t> count = count_enterprises(impl_->store->db.get());
  return count ? *count : 0;
}

}  // namespace dimona
