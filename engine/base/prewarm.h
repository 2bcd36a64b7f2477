// Prewarming a file into the page cache, as pg_prewarm does for PostgreSQL: a server whose reads
// land at random in a file that fits in memory reads it once, in order, in the background, rather
// than page by page from disk as requests come (docs/operations.md, "Prewarming the log").
//
// Contract. PrewarmFile::open(path) opens `path` for reading; read(budget, stop) reads it from its
// start in chunks of limits::prewarm_chunk_bytes (the bytes are dropped: the kernel keeps them in
// its page cache), at most `budget` bytes, and returns how many it read. It stops at the end, at
// the budget, or when `stop()` says so (asked before each chunk). prewarm_budget_bytes() is the
// memory the machine has available now (/proc/meminfo MemAvailable: free memory and clean pages
// the kernel may drop) less limits::prewarm_keep_available_bytes, 0 when that is all: a prewarm
// never pushes out a process's memory, only other files' cached pages (as any read does).
//
// Lifetime, which matters: the file is an SQLite database the process has open. Closing any
// descriptor of a file releases every POSIX lock the process holds on it (fcntl(2)), SQLite's
// included, and SQLite then fails with "disk I/O error". So the descriptor is closed only when
// the PrewarmFile is destroyed, which its owner does after every SQLite connection to the file
// is closed (serve: declared before its service). Errors as values: kIoError naming the path when
// it cannot be opened or read. Threading: read() on one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/base/status.h"

namespace dimona {

class PrewarmFile {
 public:
  static Result<PrewarmFile> open(const std::string& path);
  PrewarmFile(PrewarmFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) { other.fd_ = -1; }
  PrewarmFile& operator=(PrewarmFile&&) = delete;
  PrewarmFile(const PrewarmFile&) = delete;
  ~PrewarmFile();

  Result<uint64_t> read(uint64_t budget, const std::function<bool()>& stop) const;
  const std::string& path() const { return path_; }

 private:
  PrewarmFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

uint64_t prewarm_budget_bytes();

}  // namespace dimona
