// Helpers shared by the libFuzzer targets of tests/fuzz (one target per file,
// each a LLVMFuzzerTestOneInput over one decoder or loader of untrusted bytes).
//
// Contract. A target never trusts its input and never skips an input: it
// feeds the bytes to the code under test, and checks the properties that
// must hold whatever the bytes (no crash, no sanitizer report, round trips
// that are idempotent). A broken property aborts through FUZZ_CHECK, which
// libFuzzer reports as a crash with the input saved. Scratch files go under
// one directory per process (scratch_dir), made once, under
// $DIMONA_FUZZ_SCRATCH, else /dev/shm when it exists (SQLite on tmpfs: no
// fsync cost per input), else /tmp.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "engine/codec.h"

namespace dimona::fuzz {

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond,         \
                   __FILE__, __LINE__);                                      \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

// The input as text with the kJsonPadding readable bytes the decoders ask for.
class Padded {
 public:
  Padded(const uint8_t* data, size_t size) {
    buffer_.reserve(size + kJsonPadding);
    buffer_.assign(reinterpret_cast<const char*>(data), size);
    buffer_.append(kJsonPadding, '\0');
    buffer_.resize(size);
  }
  explicit Padded(std::string_view text) : Padded(reinterpret_cast<const uint8_t*>(text.data()), text.size()) {}
  std::string_view text() const { return buffer_; }
  size_t capacity() const { return buffer_.capacity(); }

 private:
  std::string buffer_;
};

// Reads an input field by field; past its end, fields read as zero bytes
// (no input is skipped for being short).
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  template <typename T>
  T take() {
    T v{};
    unsigned char bytes[sizeof(T)] = {};
    for (size_t i = 0; i < sizeof(T) && at_ < size_; ++i) bytes[i] = data_[at_++];
    std::memcpy(&v, bytes, sizeof(T));
    return v;
  }
  std::string_view rest() { return bytes(size_ - std::min(at_, size_)); }
  std::string_view bytes(size_t n) {
    n = std::min(n, size_ - at_);
    std::string_view out(reinterpret_cast<const char*>(data_ + at_), n);
    at_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// A directory for this process's scratch files, removed at exit (the name is
// never destroyed: the exit handler runs after static destructors).
inline const std::string& scratch_dir() {
  static const std::string* const dir = [] {
    // scripts/fuzz.sh names the base and removes it: a crash skips the exit handler.
    const char* base = std::getenv("DIMONA_FUZZ_SCRATCH");
    if (base == nullptr) base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    auto* d = new std::string(std::string(base) + "/dimona-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(*d);
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return d;
  }();
  return *dir;
}

}  // namespace dimona::fuzz
