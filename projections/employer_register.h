// The employer reference: enterprise names from the public register of the
// Crossroads Bank for Enterprises (KBO/BCE open data), kept in the data folder.
//
// Contract. import_register_extract() reads an extract - a folder or a ZIP of
// the register's CSV files (register_csv.h) - into the store at `store_path`
// (DATA/employers.db, SQLite, created 0600). A full extract (enterprise.csv
// and denomination.csv) is built into `store_path`.tmp and renamed over the
// store, so a reader sees the old reference or the new one, never half of
// one, and importing the same extract twice gives the same reference. An
// update extract (enterprise_delete.csv, denomination_delete.csv,
// enterprise_insert.csv, denomination_insert.csv, any of them) is applied to
// an existing store in one transaction: deletions first (each file deletes
// its own table's rows for an EntityNumber), then insertions (an inserted
// enterprise replaces one with its number), so applying it twice is
// harmless. A malformed row is skipped and counted per reason (RowFault), with
// the file and line of the first few; a wrong header, a missing file or a
// storage failure fails the import and leaves the store as it was. `progress`
// (may be empty) is called every limits::register_progress_rows rows.
//
// EmployerRegister reads the store: name() gives an enterprise's legal name in
// the language asked for, or else its legal name in another language (French,
// Dutch, German, English, then unknown), or nothing. An absent store is not an
// error for a reader (open_if_present gives null): views then show numbers.
// open_if_present() reads the store as it is when opened (a command's run);
// follow() is for a reader that outlives imports (`serve`): on a lookup, at
// most every `recheck` (limits::employer_register_recheck_ms in `serve`), it
// compares the file at `path` (device, inode, size, modification time) with
// the one it opened, and when it differs - a full import renamed a new file
// in, an update wrote into it, the file appeared or was removed - it opens it
// again and uses it from that lookup on (a removed file: no names). A file
// that cannot be opened (not a reference, another format) leaves the register
// as it was and is reported through `on_failure` (may be empty; called under
// the register's mutex, so keep it short: a line on stderr) once per file;
// follow() itself never fails: with no readable store it names nothing until
// one appears. A register is safe to share between threads: one mutex guards
// its statement and the swap, so a lookup sees the old store or the new one.
// name() keeps what it looked up (limits::employer_register_cached_names, in
// a ShardedCache, engine/base/sharded_cache.h) until the store changes, and takes no lock at all
// when there is no store: responses name their employers several times, from
// every I/O thread, and one lock for all of them was contended.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/identifiers.h"
#include "projections/employer_names.h"
#include "projections/register_csv.h"

namespace dimona {

struct SkippedRows {
  std::array<uint64_t, kRowFaultCount> counts{};
  std::array<std::vector<std::string>, kRowFaultCount> first_lines;  // "denomination.csv:12"
  uint64_t total() const;
  void add(RowFault fault, std::string_view file, uint64_t line);
};

struct RegisterImportReport {
  bool update = false;
  uint64_t enterprises = 0;              // inserted (or replaced)
  uint64_t denominations = 0;            // inserted
  uint64_t enterprises_deleted = 0;      // rows the deletions removed
  uint64_t denominations_deleted = 0;
  uint64_t enterprises_in_store = 0;     // after the import
  uint64_t bytes = 0;                    // of CSV read
  SkippedRows skipped;
};

// rows read so far, bytes read so far, bytes in all (0 when unknown).
using RegisterImportProgress = std::function<void(uint64_t rows, uint64_t bytes_done, uint64_t bytes_total)>;

Result<RegisterImportReport> import_register_extract(const std::string& extract_path, const std::string& store_path,
                                                     const RegisterImportProgress& progress);

// "nl-BE,fr;q=0.8" -> kDutch: the first of nl, fr, de, en named; kUnknown if none.
RegisterLanguage language_from_accept(std::string_view accept_language);

// Why a followed register could not open the file it found (follow()).
using RegisterFailure = std::function<void(const Status&)>;

class EmployerRegister {
 public:
  // Null when `path` does not exist; an error when it exists and cannot be read.
  static Result<std::unique_ptr<EmployerRegister>> open_if_present(const std::string& path);
  // The register at `path` as it changes (see the contract above); never null.
  static std::unique_ptr<EmployerRegister> follow(const std::string& path, std::chrono::milliseconds recheck,
                                                  RegisterFailure on_failure);
  ~EmployerRegister();
  EmployerRegister(const EmployerRegister&) = delete;
  EmployerRegister& operator=(const EmployerRegister&) = delete;

  std::optional<std::string> name(EnterpriseNumber number, RegisterLanguage preferred) const;
  uint64_t enterprise_count() const;

  struct Impl;
  struct Key {};
  EmployerRegister(Key, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Names from `reg` (may be null: then none) in `language`; `reg` must outlive the function.
EmployerNameOf employer_names(const EmployerRegister* reg, RegisterLanguage language);

// The store's file in a data folder.
std::string employer_register_path(const std::string& data_dir);

}  // namespace dimona
