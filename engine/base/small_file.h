// Small files named from outside (a quota table, a key, a secret, a certificate, a report): read
// or written as regular files only, never waiting on what is not one.
//
// Contract. read_small_file() answers the whole content and permission bits of the regular file
// `path`, or a one-line status naming the path: kNotFound when it does not exist,
// kFailedPrecondition when it cannot be opened or read, is not a regular file (a directory, a
// FIFO, a device: opened without blocking, so a FIFO with no writer is refused at once instead of
// holding the process in open() or read()), or is larger than `max` bytes (at most max + one
// block read: a /proc file that never ends costs a bounded read). refuse_non_regular() is ok when
// `path` is a regular file or does not exist, else kFailedPrecondition "PATH is not a regular
// file": for what a library opens itself (TLS files) or is written (reports). Threading: none.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "engine/base/status.h"

namespace dimona {

struct SmallFile {
  std::string bytes;
  mode_t mode = 0;  // st_mode: type and permission bits
};

inline Status not_regular(const std::string& path) { return failed_precondition(path + " is not a regular file"); }

[[nodiscard]] inline Result<SmallFile> read_small_file(const std::string& path, size_t max) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    if (errno == ENOENT) return not_found("cannot open " + path + ": " + why);
    return failed_precondition("cannot open " + path + ": " + why);
  }
  SmallFile file;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return not_regular(path);
  }
  file.mode = st.st_mode;
  std::array<char, 4096> block{};
  ssize_t n = 0;
  while (file.bytes.size() <= max && (n = ::read(fd, block.data(), block.size())) > 0)
    file.bytes.append(block.data(), static_cast<size_t>(n));
  const int read_errno = errno;
  ::close(fd);
  if (n < 0) return failed_precondition("cannot read " + path + ": " + std::strerror(read_errno));
  if (file.bytes.size() > max) return failed_precondition(path + " is larger than " + std::to_string(max) + " bytes");
  return file;
}

[[nodiscard]] inline Status refuse_non_regular(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::ok();  // missing: whoever opens it says why
  return S_ISREG(st.st_mode) ? Status::ok() : not_regular(path);
}

}  // namespace dimona
