// `dimona-ledger employers import`: the employer reference from the register's open data.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "api/commands.h"
#include "api/progress.h"
#include "engine/base/private_file.h"
#include "projections/employer_register.h"

namespace dimona::cli {
namespace {

void print_report(const RegisterImportReport& r, double seconds) {
  const uint64_t rows = r.enterprises + r.denominations;
  std::printf("%s extract imported in %.2f s (%s rows/s)\n", r.update ? "update" : "full", seconds,
              human_count(seconds > 0 ? static_cast<double>(rows) / seconds : 0).c_str());
  if (r.update) {
    std::printf("  enterprises deleted     %llu\n", static_cast<unsigned long long>(r.enterprises_deleted));
    std::printf("  denominations deleted   %llu\n", static_cast<unsigned long long>(r.denominations_deleted));
  }
  std::printf("  enterprises inserted    %llu\n", static_cast<unsigned long long>(r.enterprises));
  std::printf("  denominations inserted  %llu\n", static_cast<unsigned long long>(r.denominations));
  std::printf("  enterprises in the reference %llu\n", static_cast<unsigned long long>(r.enterprises_in_store));
  std::printf("skipped rows %llu\n", static_cast<unsigned long long>(r.skipped.total()));
  for (size_t i = 0; i < kRowFaultCount; ++i) {
    if (r.skipped.counts[i] == 0) continue;
    std::string lines;
    for (const std::string& at : r.skipped.first_lines[i]) lines += (lines.empty() ? "" : ", ") + at;
    if (r.skipped.counts[i] > r.skipped.first_lines[i].size()) lines += ", ...";
    const std::string_view why = row_fault_text(static_cast<RowFault>(i));
    std::printf("  %-40.*s %llu  (%s)\n", static_cast<int>(why.size()), why.data(),
                static_cast<unsigned long long>(r.skipped.counts[i]), lines.c_str());
  }
}

}  // namespace

int run_employers_import(const CommonOptions& common, const EmployersImportOptions& options) {
  if (::mkdir(common.data_dir.c_str(), kPrivateDirectoryMode) != 0 && errno != EEXIST)
    return fail("employers import", io_error("cannot create " + common.data_dir + ": " + std::strerror(errno)));
  Progress progress("employers", "rows");
  const RegisterImportProgress report_progress = [&progress](uint64_t rows, uint64_t done, uint64_t total) {
    progress.update(rows, done, total);
  };
  Result<RegisterImportReport> report =
      import_register_extract(options.extract, employer_register_path(common.data_dir), report_progress);
  progress.finish();
  if (!report) return fail("employers import", report.status());
  print_report(*report, progress.elapsed_seconds());
  return 0;
}

}  // namespace dimona::cli
