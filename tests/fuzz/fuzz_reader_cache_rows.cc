// Fuzz target: a row of the reader cache (engine/log/reader_cache_rows.h), bytes read back from
// a file outside the process (DATA/reader-cache.db, docs/kafka.md section 12). Properties: no
// crash or sanitizer report on any bytes; bytes that decode are exactly one record, so encoding
// that record gives the same bytes back; the partition and offset are the row id's, whatever
// the bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/log/reader_cache_rows.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  LogRecord record;
  if (!reader_cache_rows::decode_record(bytes, 7, 4242, &record)) return 0;
  FUZZ_CHECK(record.partition == 7 && record.offset == 4242);
  std::string again;
  reader_cache_rows::encode_record(record, &again);
  FUZZ_CHECK(again == bytes);
  return 0;
}
