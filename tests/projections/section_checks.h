// Checks every read model's checkpoint section passes (projections/section.h:
// magic, body, CRC32C): what its save() never writes is refused as corruption.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"
#include "engine/base/status.h"

namespace dimona::testing {

// `bytes` with its last four bytes replaced by the CRC32C of the rest: an edit the CRC does not catch.
inline std::string recrc(std::string bytes) {
  bytes.resize(bytes.size() - 4);
  put<uint32_t>(&bytes, crc32c(bytes.data(), bytes.size()));
  return bytes;
}

// A flipped bit fails the CRC; with the CRC recomputed, another magic, a count one higher than
// the entries there (the u32 at `count_at`), a byte more before the CRC and every body shorter
// than the whole are refused. load(bytes) gives the Status of loading `bytes` into a fresh model.
template <typename Load>
void expect_refuses_what_save_never_writes(const std::string& saved, size_t count_at, Load load) {
  ASSERT_TRUE(load(saved).is_ok());
  std::string flipped = saved;
  flipped[count_at] ^= 1;
  EXPECT_EQ(load(flipped).code(), Code::kCorruption) << "the CRC";
  std::string magic = saved;
  magic[0] = 'X';
  EXPECT_EQ(load(recrc(magic)).code(), Code::kCorruption) << "the magic";
  std::string more = saved;
  ByteReader count_reader(std::string_view(saved).substr(count_at, 4));
  uint32_t count = 0;
  ASSERT_TRUE(count_reader.get(&count));
  std::string higher;
  put<uint32_t>(&higher, count + 1);
  more.replace(count_at, 4, higher);
  EXPECT_EQ(load(recrc(more)).code(), Code::kCorruption) << "one entry more announced than there";
  std::string trailing = saved;
  trailing.insert(trailing.size() - 4, "x");
  EXPECT_EQ(load(recrc(trailing)).code(), Code::kCorruption) << "trailing bytes";
  for (size_t cut = 0; cut < saved.size() - 4; ++cut)
    EXPECT_EQ(load(recrc(saved.substr(0, cut) + std::string(4, '\0'))).code(), Code::kCorruption) << "cut at " << cut;
}

}  // namespace dimona::testing
