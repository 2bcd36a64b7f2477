// Helpers shared by the test suites: a temporary directory that cleans up after
// itself, a file read whole and a shell command run with its stdout, stderr and
// exit code captured. Header-only; failures show as empty results (an empty
// file, exit code -1) that the test's own expectations then reject.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace dimona::testing {

// A fresh directory under the system's temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dimona-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole content of the file at `path`; empty when it cannot be opened (the
// comparison that follows then fails and shows it).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Invocation {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command` with /bin/sh; stdout captured, stderr through a file of dir.
inline Invocation run_shell(const std::string& command, const TempDir& dir) {
  const std::string err_file = dir.file("stderr");
  Invocation r;
  std::FILE* p = ::popen((command + " 2>" + err_file).c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_file(err_file);
  return r;
}

}  // namespace dimona::testing
