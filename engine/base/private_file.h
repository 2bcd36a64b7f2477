// Files that hold SSINs are made readable by their owner only.
//
// Contract. create_private_file() makes `path` as an empty file of mode 0600
// when it does not exist (an existing file keeps its mode: the operator's
// choice), so that a library that opens it afterwards (SQLite, which also
// gives its -wal and -shm files the main file's mode) never creates it with
// the umask's wider default. open_private_file() opens `path` for writing,
// truncated, created 0600 if missing. Errors: kIoError naming the path.
// make_private_directory() makes a data folder 0700 (docs/operations.md).
// may_replace() is what every output a user names passes before it is opened truncated:
// kFailedPrecondition when `path` already is a file the run must not destroy — one of `keep` (an
// input, the ledger's own files: the same file by device and inode, under any name or link) or an
// SQLite database (a ledger, a checkpoint store, a register: its 16-byte header) — with a message
// naming both, or when it names a database's side file (-wal, -shm, -journal), existing or not;
// ok when it does not exist or is none of these.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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

// True when `path` is a file that starts with SQLite's 16-byte header.
inline bool is_sqlite_database(const std::string& path) {
  char head[16] = {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  const size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  return n == sizeof head && std::string_view(head, sizeof head) == std::string_view("SQLite format 3\0", 16);
}

[[nodiscard]] inline Status may_replace(const std::string& path, const std::vector<std::string>& keep,
                                        std::string_view flag) {
  namespace fs = std::filesystem;
  // A database's write-ahead log, shared-memory index or rollback journal, there or not yet:
  // SQLite creates, rewrites and deletes it under that name, so an output there is lost.
  for (std::string_view suffix : {std::string_view("-wal"), std::string_view("-shm"), std::string_view("-journal")}) {
    if (path.size() > suffix.size() && std::string_view(path).ends_with(suffix)) {
      const std::string base = path.substr(0, path.size() - suffix.size());
      if (is_sqlite_database(base))
        return failed_precondition(std::string(flag) + " " + path + " is a side file of the SQLite database " + base +
                                   ": refusing to write it");
    }
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::ok();  // new, a device or a FIFO: nothing to destroy
  const auto same = [&](const fs::path& other) { return fs::equivalent(path, other, ec) && !ec; };
  for (const std::string& k : keep) {
    if (!k.empty() && fs::exists(k, ec) && same(k))
      return failed_precondition(std::string(flag) + " " + path + " is " + k + ": refusing to write over it");
  }
  if (is_sqlite_database(path))
    return failed_precondition(
        std::string(flag) + " " + path +
        " is an SQLite database (a ledger, a checkpoint store, a register): refusing to write over it");
  return Status::ok();
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
