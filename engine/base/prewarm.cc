#include "engine/base/prewarm.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/base/limits.h"

namespace dimona {

uint64_t prewarm_budget_bytes() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  char line[256];
  uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long value = 0;
    if (std::sscanf(line, "MemAvailable: %llu kB", &value) == 1) {
      kib = value;
      break;
    }
  }
  std::fclose(f);
  const uint64_t available = kib * 1024;
  return available > limits::prewarm_keep_available_bytes ? available - limits::prewarm_keep_available_bytes : 0;
}

Result<PrewarmFile> PrewarmFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + path + " to prewarm it: " + std::strerror(errno));
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);  // a larger readahead window
  return PrewarmFile(path, fd);
}

PrewarmFile::~PrewarmFile() {
  if (fd_ >= 0) ::close(fd_);  // after SQLite's connections to the file: see the header
}

Result<uint64_t> PrewarmFile::read(uint64_t budget, const std::function<bool()>& stop) const {
  const auto buffer = std::make_unique<char[]>(limits::prewarm_chunk_bytes);
  uint64_t read = 0;
  while (read < budget && !stop()) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(limits::prewarm_chunk_bytes, budget - read));
    const ssize_t n = ::pread(fd_, buffer.get(), want, static_cast<off_t>(read));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read " + path_ + " to prewarm it: " + std::strerror(errno));
    if (n == 0) break;  // the end
    read += static_cast<uint64_t>(n);
  }
  return read;
}

}  // namespace dimona
