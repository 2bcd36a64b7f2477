// Fuzz target: the log's batch reader (EmbeddedLog::read, BatchReader::next):
// header checks, offset continuity, LZ4 expansion, the CRC and the line count
// of batches stored in a real SQLite log file, then the EventDecoder on every
// line of every batch delivered. The input describes rows of the `batches`
// table (docs/log-format.md), one after the other:
//
//   row     = flags:u8 [count:u16 if flags&0x20] first_delta:i32 span:u32
//             [base:u32 if flags&0x04] [raw_delta:i32 if flags&0x08]
//             length:u16 payload:length bytes (cut at the input's end)
//   flags   0x01 store LZ4-compressed (codec 1, raw_size = payload bytes)
//           0x02 store a wrong CRC          0x10 store an unknown codec (7)
//           0x04 base offset given (else the previous row's end)
//           0x08 raw_size shifted by raw_delta
//           0x20 count given (else the payload's line count)
//
// first = the previous row's last recordedAt + first_delta, last = first + span
// (microseconds); the CRC is batch_crc() of the row unless told otherwise, so
// the fuzzer reaches what lies past it. Properties: no crash or sanitizer
// report; a delivered batch holds `count` non-empty lines, continues the
// previous offset, and its recordedAt never goes back.
#include <sqlite3.h>
#include <lz4.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "engine/codec.h"
#include "engine/embedded_log.h"
#include "tests/fuzz/fuzz_util.h"

namespace dimona::fuzz {
namespace {

struct Log {
  std::string path = scratch_dir() + "/ledger.db";
  std::unique_ptr<EmbeddedLog> log;
  sqlite3* writer = nullptr;  // a second connection: rows the log's own append would refuse to write
  sqlite3_stmt* insert = nullptr;

  Log() {
    EmbeddedLogOptions options;
    options.create_if_missing = true;
    options.partitions = 1;
    Result<std::unique_ptr<EmbeddedLog>> opened = EmbeddedLog::open(path, options);
    FUZZ_CHECK(opened.is_ok());
    log = std::move(*opened);
    FUZZ_CHECK(sqlite3_open(path.c_str(), &writer) == SQLITE_OK);
    FUZZ_CHECK(sqlite3_prepare_v2(writer,
                                  "INSERT OR REPLACE INTO batches(partition, base_offset, count, first_recorded_at, "
                                  "last_recorded_at, crc, payload, codec, raw_size) VALUES (0,?1,?2,?3,?4,?5,?6,?7,?8)",
                                  -1, &insert, nullptr) == SQLITE_OK);
  }
};

Log& log() {
  static Log l;
  return l;
}

uint32_t line_count(std::string_view payload) {
  uint32_t n = 0;
  for (char c : payload) n += c == '\n';
  return n;
}

// Writes one row described by the input; false when the input is used up.
bool write_row(Input& in, int64_t* next_base, int64_t* last_at) {
  if (in.empty()) return false;
  const auto flags = in.take<uint8_t>();
  const int64_t given_count = (flags & 0x20) ? in.take<uint16_t>() : -1;
  const int64_t first = *last_at + in.take<int32_t>();
  const int64_t last = first + in.take<uint32_t>();
  const int64_t base = (flags & 0x04) ? int64_t{in.take<uint32_t>()} : *next_base;
  const int64_t raw_delta = (flags & 0x08) ? in.take<int32_t>() : 0;
  const std::string_view payload = in.bytes(in.take<uint16_t>());
  const int64_t count = given_count >= 0 ? given_count : line_count(payload);
  uint32_t crc = batch_crc(0, static_cast<Offset>(base), static_cast<uint32_t>(count), Instant{first}, Instant{last},
                           payload);
  if (flags & 0x02) crc ^= 0x5a5a5a5au;
  std::string stored(payload);
  int64_t codec = (flags & 0x10) ? 7 : 0;
  if (flags & 0x01) {
    stored.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(payload.size()))));
    const int n = LZ4_compress_default(payload.data(), stored.data(), static_cast<int>(payload.size()),
                                       static_cast<int>(stored.size()));
    FUZZ_CHECK(n >= 0);
    stored.resize(static_cast<size_t>(n));
    codec = (flags & 0x10) ? 7 : 1;
  }
  sqlite3_stmt* s = log().insert;
  sqlite3_bind_int64(s, 1, base);
  sqlite3_bind_int64(s, 2, count);
  sqlite3_bind_int64(s, 3, first);
  sqlite3_bind_int64(s, 4, last);
  sqlite3_bind_int64(s, 5, crc);
  sqlite3_bind_blob(s, 6, stored.data(), static_cast<int>(stored.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 7, codec);
  sqlite3_bind_int64(s, 8, static_cast<int64_t>(payload.size()) + raw_delta);
  FUZZ_CHECK(sqlite3_step(s) == SQLITE_DONE);
  sqlite3_reset(s);
  *next_base = base + count;
  *last_at = last;
  return true;
}

void read_back() {
  static EventDecoder decoder;
  Result<std::unique_ptr<BatchReader>> reader = log().log->read(0, 0);
  if (!reader.is_ok()) return;
  RecordBatch batch;
  Offset expected = 0;
  Instant previous;
  for (;;) {
    Result<bool> more = (*reader)->next(&batch);
    if (!more.is_ok() || !*more) return;
    FUZZ_CHECK(batch.count >= 1 && line_count(batch.payload) == batch.count);
    FUZZ_CHECK(batch.base_offset == expected);
    FUZZ_CHECK(!(batch.first_recorded_at < previous) && !(batch.last_recorded_at < batch.first_recorded_at));
    expected = batch.end_offset();
    previous = batch.last_recorded_at;
    std::string_view rest = batch.payload;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      FUZZ_CHECK(end != 0 && end != std::string_view::npos);
      const Padded line(rest.substr(0, end));
      (void)decoder.decode(line.text(), line.capacity());
      rest.remove_prefix(end + 1);
    }
  }
}

}  // namespace
}  // namespace dimona::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona::fuzz;
  FUZZ_CHECK(sqlite3_exec(log().writer, "DELETE FROM batches", nullptr, nullptr, nullptr) == SQLITE_OK);
  Input in(data, size);
  int64_t next_base = 0;
  int64_t last_at = 1'700'000'000'000'000;
  for (int rows = 0; rows < 8 && write_row(in, &next_base, &last_at); ++rows) {
  }
  read_back();
  return 0;
}
