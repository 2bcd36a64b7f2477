// Small helpers shared by the bench tools: timing, medians, a fatal error.
//
// Contract. Header-only, no state. die() prints "TOOL: what" on stderr and
// ends the process at once (std::_Exit, safe in a forked child), after
// flushing stdout so the figures printed so far are kept.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace dimona::bench {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The median of a non-empty set of runs (the upper one for an even count).
inline double median(std::vector<double> runs) {
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

[[noreturn]] inline void die(const char* tool, const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", tool, what.c_str());
  std::_Exit(1);
}

}  // namespace dimona::bench
