// A record of the reader cache as one row's bytes (reader_cache.h, docs/kafka.md section 12).
//
// Contract. Internal to engine/log (and its fuzz target). encode_record() writes recordedAt
// (i64 microseconds), the schema version (u32), the epoch (u64), then event id, key, type,
// source and payload (each a u32 length and its bytes), little-endian (engine/base/bytes.h).
// decode_record() reads such bytes back into `r`, with the partition and offset the row's id
// gives; false when the bytes are not exactly one record (short, a length past the end, bytes
// left over), `r` then unspecified. Every byte is untrusted: the file is outside the process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/log/log.h"

namespace dimona::reader_cache_rows {

void encode_record(const LogRecord& r, std::string* out);
bool decode_record(std::string_view bytes, uint32_t partition, Offset offset, LogRecord* r);

}  // namespace dimona::reader_cache_rows
