#include "engine/event_log.h"

#include "engine/base/flat_map.h"

#include <array>

#include "engine/base/crc32c.h"

namespace dimona {
namespace {

// Writes `value` little-endian at `out`, whatever the host's byte order.
template <typename T>
unsigned char* put_le(unsigned char* out, T value) {
  auto bits = static_cast<uint64_t>(value);
  for (size_t i = 0; i < sizeof(T); ++i) *out++ = static_cast<unsigned char>(bits >> (8 * i));
  return out;
}

}  // namespace

uint32_t batch_crc(uint32_t partition, Offset base_offset, uint32_t count, Instant first,
                   Instant last, std::string_view payload) {
  // partition u32 | base_offset u64 | count u32 | first i64 | last i64 (docs/log-format.md)
  std::array<unsigned char, 4 + 8 + 4 + 8 + 8> header{};
  unsigned char* p = header.data();
  p = put_le(p, partition);
  p = put_le(p, base_offset);
  p = put_le(p, count);
  p = put_le(p, first.micros);
  p = put_le(p, last.micros);
  DIMONA_ASSERT(p == header.data() + header.size());
  uint32_t crc = crc32c(header.data(), header.size());
  return crc32c_extend(crc, payload.data(), payload.size());
}

uint32_t partition_for(uint64_t ssin, uint32_t partitions) {
  DIMONA_ASSERT(partitions > 0);
  if (ssin == 0) return 0;
  return static_cast<uint32_t>(mix64(ssin) % partitions);
}

}  // namespace dimona
