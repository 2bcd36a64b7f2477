// The employer reference's import on a register-sized extract (issue 14:
// "the full register, about 1.9 M enterprises, imports in seconds").
//
// Usage: employers_import_bench [--enterprises N] [--runs R] [--dir DIR]
// Writes a full extract of N enterprises (write_register_extract: names in
// the regions' languages, so about 1.3 denominations per enterprise) to DIR
// (default: a fresh folder under /tmp), then imports it R times into a new
// DATA/employers.db and prints the median seconds, rows/s, the import's peak
// memory (VmHWM, reset before each run), the store's bytes per enterprise,
// and the time of one name look-up. Single-threaded, like the import.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/generator/register_extract.h"
#include "projections/employer_register.h"

namespace {

using dimona::bench::die;
using dimona::bench::seconds_since;

constexpr const char* kTool = "employers_import_bench";

// Regions in about the shares of Belgium's enterprises (Flanders 60 %, Wallonia 27 %, Brussels 12 %, East 1 %).
dimona::RegisterRegion region_of(uint64_t i) {
  const uint64_t r = i * 2654435761u % 100;
  if (r < 60) return dimona::RegisterRegion::kFlanders;
  if (r < 87) return dimona::RegisterRegion::kWallonia;
  if (r < 99) return dimona::RegisterRegion::kBrussels;
  return dimona::RegisterRegion::kEastCantons;
}

uint64_t vm_hwm_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

void reset_peak() {  // Linux >= 4.0: writing 5 resets VmHWM to the current RSS
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

uint64_t vm_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

void write_extract(const std::string& folder, uint64_t count) {
  std::vector<dimona::RegisterEnterprise> enterprises;
  enterprises.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {  // bodies 2 000 000 + i*5: 0200.000.0xx onwards, all valid
    const uint64_t body = 2'000'000 + i * 5;
    enterprises.push_back({body * 100 + (97 - body % 97), region_of(i)});
  }
  std::FILE* firms = std::fopen((folder + "/enterprise.csv").c_str(), "wb");
  std::FILE* names = std::fopen((folder + "/denomination.csv").c_str(), "wb");
  if (!firms || !names) die(kTool, "cannot write in " + folder);
  auto sink = [](std::FILE* f) {
    return [f](std::string_view chunk) -> dimona::Status {
      if (std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size()) return dimona::io_error("write failed");
      return dimona::Status::ok();
    };
  };
  if (dimona::Status s = dimona::write_register_extract(enterprises, sink(firms), sink(names)); !s.is_ok())
    die(kTool, s.to_string());
  std::fclose(firms);
  std::fclose(names);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t count = 1'900'000;
  int runs = 3;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--enterprises")) count = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else die(kTool, std::string("unknown option ") + argv[i]);
  }
  if (count == 0 || runs < 1) die(kTool, "--enterprises and --runs must be positive");
  const bool own_dir = dir.empty();
  if (own_dir) {
    std::string pattern = "/tmp/employers-bench-XXXXXX";
    if (!::mkdtemp(pattern.data())) die(kTool, "cannot make a folder under /tmp");
    dir = pattern;
  }
  const std::string extract = dir + "/extract", data = dir + "/data";
  std::filesystem::create_directories(extract);
  std::filesystem::create_directories(data);
  auto t0 = std::chrono::steady_clock::now();
  write_extract(extract, count);
  const double bytes = static_cast<double>(std::filesystem::file_size(extract + "/enterprise.csv") +
                                           std::filesystem::file_size(extract + "/denomination.csv"));
  std::printf("extract: %llu enterprises, %.1f MB of CSV, written in %.2f s\n", static_cast<unsigned long long>(count),
              bytes / 1e6, seconds_since(t0));

  std::vector<double> seconds;
  uint64_t rows = 0, peak_kib = 0, base_kib = 0;
  const std::string store = dimona::employer_register_path(data);
  for (int r = 0; r < runs; ++r) {
    std::filesystem::remove(store);
    base_kib = vm_rss_kib();
    reset_peak();
    t0 = std::chrono::steady_clock::now();
    dimona::Result<dimona::RegisterImportReport> report = dimona::import_register_extract(extract, store, {});
    seconds.push_back(seconds_since(t0));
    if (!report) die(kTool, report.status().to_string());
    if (report->skipped.total() != 0 || report->enterprises != count) die(kTool, "the import skipped rows");
    rows = report->enterprises + report->denominations;
    peak_kib = std::max(peak_kib, vm_hwm_kib() - base_kib);
  }
  const double s = dimona::bench::median(seconds);
  const double store_bytes = static_cast<double>(std::filesystem::file_size(store));
  std::printf("import (median of %d): %.2f s, %.2f M rows/s (%llu rows), %.2f M enterprises/s\n", runs, s,
              static_cast<double>(rows) / s / 1e6, static_cast<unsigned long long>(rows),
              static_cast<double>(count) / s / 1e6);
  const auto peak_bytes = static_cast<double>(peak_kib) * 1024.0;
  std::printf("import memory: peak %.1f MB above the start (%.1f bytes per enterprise)\n", peak_bytes / 1e6,
              peak_bytes / static_cast<double>(count));
  std::printf("store: %.1f MB on disk, %.1f bytes per enterprise\n", store_bytes / 1e6,
              store_bytes / static_cast<double>(count));

  dimona::Result<std::unique_ptr<dimona::EmployerRegister>> reg = dimona::EmployerRegister::open_if_present(store);
  if (!reg || !*reg) die(kTool, "cannot open the store");
  constexpr int kLookups = 100'000;
  t0 = std::chrono::steady_clock::now();
  uint64_t found = 0;
  for (int i = 0; i < kLookups; ++i) {
    const uint64_t body = 2'000'000 + (static_cast<uint64_t>(i) * 7919 % count) * 5;
    found += (*reg)->name(dimona::EnterpriseNumber{body * 100 + (97 - body % 97)}, dimona::RegisterLanguage::kDutch)
                 .has_value();
  }
  const double lookup = seconds_since(t0);
  if (found != kLookups) die(kTool, "a name look-up found nothing");
  std::printf("name look-up: %.2f us each (%d random ones)\n", lookup / kLookups * 1e6, kLookups);
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
