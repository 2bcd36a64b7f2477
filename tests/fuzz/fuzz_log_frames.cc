// Fuzz target: the embedded log's record batch codec (engine/log/sqlite_frames.h,
// log formats 2 and 3): decode_frames() on arbitrary bytes, then decode_batch() on a
// stored batch whose header the input describes, with a right CRC unless told
// otherwise, so the fuzzer reaches the codec, the size and the frames behind it.
//
//   input = flags:u8 count:u16 base:u32 [raw_size:u32 if flags&0x01]
//           [first:i64 last:i64 if flags&0x04] bytes:rest
//   flags 0x01 store bytes as they are with codec LZ4 and the given raw_size
//              (with 0x20: codec 2, the bytes read as a block table and blocks)
//         0x02 store a wrong CRC
//         0x04 the header's instants given (else the decoded frames' first and
//              last recordedAt, so the order check is passed when it may be)
//         0x08 compress bytes with LZ4 first (codec LZ4, raw_size their size):
//              frames reached through the decompression
//         0x10 an unknown codec (5); the partition is flags >> 5
//         0x08|0x20 frames that decode stored in blocks (encode_batch, codec 2
//              when more than a block's worth), with 0x40 a stored byte changed
//              under a right CRC
//
// A batch that decodes is encoded again, one block and in blocks, and read
// back whole and its last record alone.
//
// Properties: no crash or sanitizer report; frames that decode re-encode to
// the same bytes (the framing is canonical); a batch that decodes holds count
// records at offsets base.., recordedAt within [first, last] and never going
// back, and encode_batch() of its records decodes to the same records; a
// wrong CRC never decodes; some records of it (decode_batch_records) are the whole decode's;
// a window of it (decode_batch_window) is the same
// records as the whole decode's slice, or kCorruption, never another answer; decode_batch_views()
// gives the same answer, its records views into its own frames buffer.
#include <lz4.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "engine/log/sqlite_frames.h"
#include "tests/fuzz/fuzz_util.h"

namespace dimona::fuzz {
namespace {

std::vector<LogRecordDraft> drafts_of(const std::vector<LogRecord>& records) {
  std::vector<LogRecordDraft> drafts;
  for (const LogRecord& r : records) {
    drafts.push_back({r.event_id, r.key, r.type, r.schema_version, r.recorded_at, r.payload, r.source});
  }
  return drafts;
}

bool same_records(const std::vector<LogRecord>& a, const std::vector<LogRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const LogRecord& x = a[i];
    const LogRecord& y = b[i];
    if (x.partition != y.partition || x.offset != y.offset || x.recorded_at != y.recorded_at ||
        x.schema_version != y.schema_version || x.event_id != y.event_id || x.key != y.key || x.type != y.type ||
        x.payload != y.payload || x.source != y.source)
      return false;
  }
  return true;
}

// The frames of records, framed again.
std::string frames_of(const std::vector<LogRecord>& records) {
  std::string frames;
  for (const LogRecordDraft& d : drafts_of(records)) log_frames::append_frame(d, &frames);
  return frames;
}

void check_batch(const log_frames::BatchHeader& h, const std::vector<LogRecord>& records) {
  FUZZ_CHECK(records.size() == static_cast<size_t>(h.count));
  Instant previous{h.first_recorded_at};
  for (size_t i = 0; i < records.size(); ++i) {
    FUZZ_CHECK(records[i].partition == h.partition);
    FUZZ_CHECK(records[i].offset == static_cast<Offset>(h.base_offset) + i);
    FUZZ_CHECK(!(records[i].recorded_at < previous) && records[i].recorded_at.micros <= h.last_recorded_at);
    previous = records[i].recorded_at;
  }
  // What the writer would store for these records reads back as them.
  std::vector<LogRecordDraft> drafts = drafts_of(records);
  for (const auto compression : {log_frames::Compression::kBlocks, log_frames::Compression::kOneBlock}) {
    log_frames::EncodedBatch again =
        log_frames::encode_batch(h.partition, static_cast<Offset>(h.base_offset), drafts, compression);
    std::vector<LogRecord> reread;
    std::string scratch;
    FUZZ_CHECK(log_frames::decode_batch(again.header, again.stored, &reread, &scratch).is_ok());
    FUZZ_CHECK(same_records(reread, records));
    // Its last record alone, as a read by offset takes it (in blocks: block 0 and the last block).
    const uint32_t last[] = {static_cast<uint32_t>(records.size() - 1)};
    std::vector<LogRecord> one;
    FUZZ_CHECK(log_frames::decode_batch_records(again.header, again.stored, last, &one, &scratch).is_ok());
    FUZZ_CHECK(same_records(one, std::vector<LogRecord>{records.back()}));
  }
}

}  // namespace
}  // namespace dimona::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona;
  using namespace dimona::fuzz;
  Input in(data, size);
  const auto flags = in.take<uint8_t>();
  const uint32_t count = in.take<uint16_t>();
  const uint32_t base = in.take<uint32_t>();
  const int64_t given_raw = (flags & 0x01) ? int64_t{in.take<uint32_t>()} : -1;
  const int64_t given_first = (flags & 0x04) ? in.take<int64_t>() : 0;
  const int64_t given_last = (flags & 0x04) ? in.take<int64_t>() : 0;
  const std::string_view bytes = in.rest();

  // 1. The frames alone.
  std::vector<LogRecord> framed;
  const bool frames_ok = log_frames::decode_frames(bytes, 0, base, count, &framed).is_ok();
  if (frames_ok) FUZZ_CHECK(framed.size() == count && frames_of(framed) == bytes);
  if (!frames_ok) FUZZ_CHECK(framed.empty());

  // 2. A stored batch around the bytes.
  log_frames::BatchHeader h;
  h.partition = flags >> 5;
  h.base_offset = base;
  h.count = count;
  h.first_recorded_at = (flags & 0x04) || framed.empty() ? given_first : framed.front().recorded_at.micros;
  h.last_recorded_at = (flags & 0x04) || framed.empty() ? given_last : framed.back().recorded_at.micros;
  std::string stored(bytes);
  h.codec = log_frames::kCodecNone;
  h.raw_size = static_cast<int64_t>(bytes.size());
  if (flags & 0x01) {  // any bytes as LZ4, one block or blocks behind a table (0x20, shared with the partition)
    h.codec = (flags & 0x20) ? log_frames::kCodecLz4Blocks : log_frames::kCodecLz4;
    h.raw_size = given_raw;
  } else if ((flags & 0x08) && (flags & 0x20) && frames_ok && count > 0) {
    // The frames in blocks, as a version 3 writer stores them; with 0x40 one stored byte changed
    // (chosen by base) and the CRC made right again: a block table or block that lies.
    const log_frames::EncodedBatch blocks =
        log_frames::encode_batch(h.partition, base, drafts_of(framed), log_frames::Compression::kBlocks);
    stored = blocks.stored;
    h.codec = blocks.header.codec;
    h.raw_size = blocks.header.raw_size;
    if ((flags & 0x40) && !stored.empty()) stored[base % stored.size()] ^= static_cast<char>(1 + (base >> 8) % 255);
  } else if ((flags & 0x08) && !bytes.empty() && bytes.size() <= limits::batch_payload_bytes_max) {
    stored.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(bytes.size()))));
    const int n = LZ4_compress_default(bytes.data(), stored.data(), static_cast<int>(bytes.size()),
                                       static_cast<int>(stored.size()));
    FUZZ_CHECK(n > 0);
    stored.resize(static_cast<size_t>(n));
    h.codec = log_frames::kCodecLz4;
  }
  if (flags & 0x10) h.codec = 5;
  h.crc = log_frames::batch_crc(h, stored);
  if (flags & 0x02) h.crc ^= 0x1;
  std::vector<LogRecord> records;
  std::string scratch;
  Status decoded = log_frames::decode_batch(h, stored, &records, &scratch);
  {
    // The same batch as views (the fold's read): the same answer, the views into `frames` alone
    // (the stored bytes are gone before they are read).
    std::vector<LogRecordView> views;
    log_frames::FrameBuffer frames;
    const char* frames_at = nullptr;
    Status viewed = [&] {
      const std::string gone(stored);
      Status s = log_frames::decode_batch_views(h, gone, &views, &frames);
      frames_at = frames.room(0);
      return s;
    }();
    FUZZ_CHECK(viewed.is_ok() == decoded.is_ok() && viewed.message() == decoded.message());
    FUZZ_CHECK(views.size() == records.size());
    for (size_t i = 0; i < views.size(); ++i) {
      const LogRecordView& v = views[i];
      const LogRecord& r = records[i];
      FUZZ_CHECK(v.partition == r.partition && v.offset == r.offset && v.recorded_at == r.recorded_at &&
                 v.schema_version == r.schema_version && v.event_id == r.event_id && v.key == r.key &&
                 v.type == r.type && v.payload == r.payload && v.source == r.source && v.epoch == r.epoch);
      for (const std::string_view text : {v.event_id, v.key, v.type, v.payload, v.source})
        FUZZ_CHECK(text.empty() || (text.data() >= frames_at && text.data() + text.size() <= frames_at + h.raw_size));
    }
  }
  // 3. A window of it (a read by offset): the whole decode's slice; where that fails, the window
  // may still read (frames past it are the CRC's to vouch for), else it is kCorruption.
  if (count > 0) {
    const uint32_t first = base % count;
    const uint32_t n = 1 + (base / count) % (count - first);
    std::vector<LogRecord> window;
    std::string window_scratch;
    Status w = log_frames::decode_batch_window(h, stored, first, n, &window, &window_scratch);
    if (decoded.is_ok()) {
      FUZZ_CHECK(w.is_ok() && window.size() == n);
      FUZZ_CHECK(same_records(window, std::vector<LogRecord>(records.begin() + first, records.begin() + first + n)));
    } else if (!w.is_ok()) {
      FUZZ_CHECK(window.empty() && w.code() == Code::kCorruption);
    }
    if (w.is_ok()) FUZZ_CHECK(window.size() == n && !(flags & 0x02) && !(flags & 0x10));
    // Some records of it (a read by offsets): the window's first, a middle one and its last.
    std::vector<uint32_t> wanted = {first};
    if (n > 2) wanted.push_back(first + n / 2);
    if (n > 1) wanted.push_back(first + n - 1);
    std::vector<LogRecord> picked;
    std::string picked_scratch;
    Status r = log_frames::decode_batch_records(h, stored, wanted, &picked, &picked_scratch);
    if (decoded.is_ok()) {
      FUZZ_CHECK(r.is_ok() && picked.size() == wanted.size());
      for (size_t i = 0; i < wanted.size(); ++i)
        FUZZ_CHECK(same_records(std::vector<LogRecord>{picked[i]}, std::vector<LogRecord>{records[wanted[i]]}));
    } else if (!r.is_ok()) {
      FUZZ_CHECK(picked.empty() && r.code() == Code::kCorruption);
    }
    if (r.is_ok()) FUZZ_CHECK(picked.size() == wanted.size() && !(flags & 0x02) && !(flags & 0x10));
  }
  if (!decoded.is_ok()) {
    FUZZ_CHECK(records.empty() && decoded.code() == Code::kCorruption);
    FUZZ_CHECK(decoded.message().rfind(log_frames::batch_location(h.partition, h.base_offset), 0) == 0);
    return 0;
  }
  FUZZ_CHECK(!(flags & 0x02) && !(flags & 0x10));
  check_batch(h, records);
  return 0;
}
