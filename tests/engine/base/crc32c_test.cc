#include "engine/base/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dimona {
namespace {

std::vector<unsigned char> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<unsigned char> bytes(n);
  for (unsigned char& b : bytes) b = static_cast<unsigned char>(random());
  return bytes;
}

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string_view()), 0u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
  // RFC 3720 (iSCSI) B.4.
  std::string zeros(32, '\0');
  std::string ones(32, '\xFF');
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32c, PortablePathGivesTheKnownVectors) {
  EXPECT_EQ(crc32c_detail::extend_portable(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c_detail::extend_portable(0, nullptr, 0), 0u);
}

TEST(Crc32c, ExtendEqualsOneShotAtEverySplit) {
  std::vector<unsigned char> bytes = random_bytes(300, 1);
  uint32_t whole = crc32c(bytes.data(), bytes.size());
  for (size_t split = 0; split <= bytes.size(); ++split) {
    uint32_t head = crc32c(bytes.data(), split);
    EXPECT_EQ(crc32c_extend(head, bytes.data() + split, bytes.size() - split), whole) << split;
  }
}

// Runs on every CPU: the dispatched path (hardware where there is SSE4.2) is
// always compared with the portable one, and the hardware one directly when
// this CPU has it; nothing is skipped.
TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  const bool hardware = crc32c_detail::hardware_available();
  // Past 3 * 8 KiB the hardware path runs three interleaved streams.
  std::vector<unsigned char> bytes = random_bytes(100'000, 2);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 80; ++n) lengths.push_back(n);
  for (size_t n : {24575, 24576, 24577, 49152, 49159, 60000, 99'990}) lengths.push_back(n);
  for (size_t n : lengths) {
    for (size_t align = 0; align < 8; ++align) {
      const unsigned char* p = bytes.data() + align;
      uint32_t seed = static_cast<uint32_t>(n * 2654435761u);
      const uint32_t portable = crc32c_detail::extend_portable(seed, p, n);
      EXPECT_EQ(crc32c_extend(seed, p, n), portable) << "length " << n << " alignment " << align;
      if (hardware) {
        EXPECT_EQ(crc32c_detail::extend_hardware(seed, p, n), portable) << "length " << n << " alignment " << align;
      }
    }
  }
}

TEST(Crc32c, DetectsEverySingleBitFlip) {
  std::vector<unsigned char> bytes = random_bytes(64, 3);
  uint32_t original = crc32c(bytes.data(), bytes.size());
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    bytes[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    EXPECT_NE(crc32c(bytes.data(), bytes.size()), original) << bit;
    bytes[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
  }
}

}  // namespace
}  // namespace dimona
