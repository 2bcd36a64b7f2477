// Fuzz target: CitizenIndex::load (projections/citizen_index.h), the checkpoint
// section of each citizen's offsets. The section ends in its CRC32C, so the
// input says how to build the bytes:
//
//   input = 0x01 bytes     the section as stored
//         | 0x00 bytes     (first byte bit 0 clear) the CRC is appended, so the
//                          fuzzer reaches the varints behind it
//
// Properties: no crash or sanitizer report; an index that loads saves and
// loads again to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/crc32c.h"
#include "projections/citizen_index.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string bytes;
  if (!input.empty() && (input[0] & 1)) {
    bytes.assign(input.substr(1));
  } else {
    bytes.assign(input.substr(input.empty() ? 0 : 1));
    const uint32_t crc = crc32c(bytes.data(), bytes.size());
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  }
  CitizenIndex index;
  if (!CitizenIndex::load(bytes, &index).is_ok()) return 0;
  std::string once;
  index.save(&once);
  CitizenIndex again;
  FUZZ_CHECK(CitizenIndex::load(once, &again).is_ok());
  std::string twice;
  again.save(&twice);
  FUZZ_CHECK(once == twice);
  FUZZ_CHECK(again.citizens() == index.citizens());
  return 0;
}
