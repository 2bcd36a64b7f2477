// Files that hold SSINs are made readable by their owner only.
//
// Contract. create_private_file() makes `path` as an empty file of mode 0600
// when it does not exist (an existing file keeps its mode: the operator's
// choice), so that a library that opens it afterwards (SQLite, which also
// gives its -wal and -shm files the main file's mode) never creates it with
// the umask's wider default. open_private_file() opens `path` for writing,
// truncated, created 0600 if missing. Errors: kIoError naming the path.
// make_private_directory() makes a data folder 0700 (docs/operations.md).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/base/status.h"

namespace dimona {

inline constexpr unsigned kPrivateFileMode = 0600;
inline constexpr unsigned kPrivateDirectoryMode = 0700;

[[nodiscard]] inline Status create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kPrivateFileMode);
  if (fd >= 0) return ::close(fd) == 0 ? Status::ok() : io_error("cannot create " + path + ": " + std::strerror(errno));
  if (errno == EEXIST) return Status::ok();
  return io_error("cannot create " + path + ": " + std::strerror(errno));
}

// Makes the folder `path` (mode 0700) when it does not exist; its parent must.
[[nodiscard]] inline Status make_private_directory(const std::string& path) {
  if (::mkdir(path.c_str(), kPrivateDirectoryMode) == 0 || errno == EEXIST) return Status::ok();
  return io_error("cannot create " + path + ": " + std::strerror(errno));
}

// A stdio stream over `path`, truncated; null with errno set on failure. It never waits at the
// open: a FIFO that no process reads is ENXIO (opened, a FIFO or a terminal is written as usual).
inline std::FILE* open_private_file(const std::string& path) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, kPrivateFileMode);
  if (fd < 0) return nullptr;
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return nullptr;
  }
  std::FILE* f = ::fdopen(fd, "wb");
  if (!f) ::close(fd);
  return f;
}

}  // namespace dimona
