// Progress: a one-line progress display for long commands, on a terminal only.
//
// Contract. Progress draws "label  [=====>    ]  42%  1.2 M/s  ETA 0:12" on
// stderr, redrawn at most every limits::progress_interval_ms, when stderr
// is a terminal (and CI is not set); otherwise it prints nothing, so piped
// output stays clean. `total` may be 0 (unknown): then no bar and no ETA.
// The rate counts items (declarations, events); the bar and ETA follow
// `done` against `total` in the unit the caller chose (bytes for a file).
// finish() clears the line. Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace dimona {

class Progress {
 public:
  Progress(std::string label, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(uint64_t items, uint64_t done, uint64_t total);
  void finish();
  bool enabled() const { return enabled_; }
  double elapsed_seconds() const;

 private:
  std::string label_;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.23 M" style figure.
std::string human_count(double value);

}  // namespace dimona
