#include "engine/base/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#include "engine/base/assert.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace dimona {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78;  // reflected

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// kTables[k][b]: the CRC of byte b followed by k zero bytes (slice-by-8).
constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[0][i] = c;
  }
  for (size_t k = 1; k < t.size(); ++k) {
    for (size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

uint32_t step8(uint32_t c, uint64_t word) {
  word ^= c;
  return kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
         kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
         kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
         kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
}

uint64_t load_le64(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}

#if defined(__x86_64__)
// Long inputs run as three independent streams of kStripeBytes each (the
// crc32 instruction has a latency of 3 and a throughput of 1), joined by
// shifting the first two: reg(A B C) = reg(A)·x^(16 L) + reg(B)·x^(8 L) + reg(C).
constexpr size_t kStripeBytes = 8192;

// x^bits mod P in the reflected representation (bit 31 is x^0).
constexpr uint32_t x_power_mod(uint64_t bits) {
  uint32_t p = uint32_t{1} << 31;
  for (uint64_t i = 0; i < bits; ++i) p = (p & 1) ? (p >> 1) ^ kPolynomial : p >> 1;
  return p;
}
constexpr uint32_t kShiftOneStripe = x_power_mod(8 * kStripeBytes);
constexpr uint32_t kShiftTwoStripes = x_power_mod(16 * kStripeBytes);

// a·b mod P, both reflected (zlib's multmodp).
uint32_t multiply_mod(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = uint32_t{1} << 31; m != 0; m >>= 1) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    b = (b & 1) ? (b >> 1) ^ kPolynomial : b >> 1;
  }
  return product;
}

__attribute__((target("sse4.2"))) uint64_t three_stripes(uint64_t c0, const unsigned char* p) {
  uint64_t c1 = 0;
  uint64_t c2 = 0;
  const unsigned char* b = p + kStripeBytes;
  const unsigned char* c = b + kStripeBytes;
  for (size_t i = 0; i < kStripeBytes; i += 8) {
    c0 = _mm_crc32_u64(c0, load_le64(p + i));
    c1 = _mm_crc32_u64(c1, load_le64(b + i));
    c2 = _mm_crc32_u64(c2, load_le64(c + i));
  }
  return multiply_mod(kShiftTwoStripes, static_cast<uint32_t>(c0)) ^
         multiply_mod(kShiftOneStripe, static_cast<uint32_t>(c1)) ^ static_cast<uint32_t>(c2);
}

__attribute__((target("sse4.2"))) uint32_t extend_sse42(uint32_t crc, const unsigned char* p,
                                                        size_t n) {
  uint64_t c = ~crc;
  for (; n >= 3 * kStripeBytes; p += 3 * kStripeBytes, n -= 3 * kStripeBytes) {
    c = three_stripes(c, p);
  }
  for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, load_le64(p));
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}

bool detect_sse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#else
bool detect_sse42() { return false; }
#endif

const bool kHardware = detect_sse42();

}  // namespace

namespace crc32c_detail {

uint32_t extend_portable(uint32_t crc, const void* data, size_t n) {
  auto p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  for (; n >= 8; p += 8, n -= 8) c = step8(c, load_le64(p));
  for (; n > 0; ++p, --n) c = (c >> 8) ^ kTables[0][(c ^ *p) & 0xFF];
  return ~c;
}

bool hardware_available() { return kHardware; }

uint32_t extend_hardware(uint32_t crc, const void* data, size_t n) {
  DIMONA_ASSERT(kHardware);
#if defined(__x86_64__)
  return extend_sse42(crc, static_cast<const unsigned char*>(data), n);
#else
  return extend_portable(crc, data, n);
#endif
}

}  // namespace crc32c_detail

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n) {
  if (kHardware) return crc32c_detail::extend_hardware(crc, data, n);
  return crc32c_detail::extend_portable(crc, data, n);
}

}  // namespace dimona
