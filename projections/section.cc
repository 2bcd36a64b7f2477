#include "projections/section.h"

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"

namespace dimona {
namespace {

constexpr size_t kMagicBytes = 4, kCrcBytes = 4;

}  // namespace

size_t begin_section(std::string* out, uint32_t magic) {
  const size_t begin = out->size();
  put<uint32_t>(out, magic);
  return begin;
}

void seal_section(std::string* out, size_t begin) {
  DIMONA_ASSERT(begin + kMagicBytes <= out->size());
  put<uint32_t>(out, crc32c(out->data() + begin, out->size() - begin));
}

Result<std::string_view> open_section(std::string_view in, uint32_t magic, std::string_view what) {
  if (in.size() < kMagicBytes + kCrcBytes) return corruption(std::string(what) + " truncated");
  ByteReader crc(in.substr(in.size() - kCrcBytes));
  uint32_t stored = 0;
  if (!crc.get(&stored) || crc32c(in.data(), in.size() - kCrcBytes) != stored)
    return corruption(std::string(what) + " fails its CRC");
  ByteReader r(in.substr(0, kMagicBytes));
  uint32_t found = 0;
  if (!r.get(&found) || found != magic) return corruption("not a " + std::string(what));
  return in.substr(kMagicBytes, in.size() - kMagicBytes - kCrcBytes);
}

}  // namespace dimona
