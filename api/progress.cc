#include "api/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "engine/base/limits.h"

namespace dimona {

std::string human_count(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2f G", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1f k", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

Progress::Progress(std::string label, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      enabled_(isatty(STDERR_FILENO) == 1 && std::getenv("CI") == nullptr),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(uint64_t items, uint64_t done, uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(limits::progress_interval_ms)) return;
  last_draw_ = now;
  const double seconds = elapsed_seconds();
  const double rate = seconds > 0 ? static_cast<double>(items) / seconds : 0;
  std::string line = "\r" + label_ + "  ";
  if (total > 0) {
    constexpr int kWidth = 30;
    const double fraction = static_cast<double>(done) / static_cast<double>(total);
    const int filled = static_cast<int>(fraction * kWidth);
    line += '[';
    for (int i = 0; i < kWidth; ++i) line += i < filled ? '=' : (i == filled ? '>' : ' ');
    char tail[96];
    const double eta = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
    std::snprintf(tail, sizeof tail, "] %3.0f%%  ", fraction * 100);
    line += tail;
    line += human_count(rate) + " " + unit_ + "/s";
    std::snprintf(tail, sizeof tail, "  ETA %d:%02d ", static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    line += tail;
  } else {
    line += human_count(static_cast<double>(items)) + " " + unit_ + "  " + human_count(rate) + " " + unit_ + "/s ";
  }
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace dimona
