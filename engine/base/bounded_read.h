// read_at_most: a whole stream into memory, never more than a named limit.
//
// Contract. Reads `in` to its end and answers its bytes, or kInvalidArgument ("larger than MAX
// bytes") as soon as more than `max` bytes came, having read at most max + one block: an endless
// input (/dev/zero, a pipe that never closes its end with data) costs a bounded read, never all
// the memory. kInvalidArgument also for a stream that fails before its end. Threading: the
// caller's stream.
#pragma once

#include <array>
#include <istream>
#include <string>

#include "engine/base/status.h"

namespace dimona {

inline Result<std::string> read_at_most(std::istream& in, size_t max) {
  std::string text;
  std::array<char, 4096> block{};
  while (in) {
    in.read(block.data(), block.size());
    text.append(block.data(), static_cast<size_t>(in.gcount()));
    if (text.size() > max) return invalid_argument("larger than " + std::to_string(max) + " bytes");
  }
  if (in.bad()) return invalid_argument("cannot be read to its end");
  return text;
}

}  // namespace dimona
