// The frame of a read model's checkpoint section: a magic number naming the
// model (u32), the model's own bytes, and a CRC32C of both (u32), little-endian.
//
// Contract. begin_section() writes the magic and returns where the section
// began; seal_section() appends the CRC32C of everything since. open_section()
// checks a section's length, CRC and magic, in that order, and gives the
// model's bytes between magic and CRC; bytes it did not frame get kCorruption
// naming `what` ("<what> truncated", "<what> fails its CRC", "not a <what>").
// Pure functions; every standard read model (read_model.h) frames its section
// with them, so one reader checks them all the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace dimona {

size_t begin_section(std::string* out, uint32_t magic);
void seal_section(std::string* out, size_t begin);
Result<std::string_view> open_section(std::string_view in, uint32_t magic, std::string_view what);

}  // namespace dimona
