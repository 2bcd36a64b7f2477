// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the
// log's record batches and of an ingest source's consumed prefix.
//
// Contract. crc32c(data, n) is the standard CRC-32C (initial value and final
// xor 0xFFFFFFFF): crc32c("123456789") == 0xE3069283, crc32c of nothing == 0.
// crc32c_extend(crc, data, n) continues a finished CRC over more bytes, so
// crc32c_extend(crc32c(a), b) == crc32c(a followed by b); start from 0.
// The implementation is chosen once per process: SSE4.2's crc32 instruction
// (three interleaved streams on long inputs) when the CPU has it, else a
// portable slice-by-8 table. Both give the same value for every input; the
// portable one is exposed so tests can prove it. No allocation, no state:
// thread-safe. `data` may be null only when n == 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dimona {

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n);

inline uint32_t crc32c(const void* data, size_t n) { return crc32c_extend(0, data, n); }
inline uint32_t crc32c(std::string_view bytes) { return crc32c(bytes.data(), bytes.size()); }

namespace crc32c_detail {
// The table path, whatever the CPU.
uint32_t extend_portable(uint32_t crc, const void* data, size_t n);
// True when crc32c_extend uses the SSE4.2 instruction.
bool hardware_available();
// The SSE4.2 path; asserts hardware_available().
uint32_t extend_hardware(uint32_t crc, const void* data, size_t n);
}  // namespace crc32c_detail

}  // namespace dimona
