// The embedded log's record batch codec (log format versions 2 and 3,
// docs/log-format.md): the frames of a batch's records, the batch's CRC32C,
// its LZ4 compression, and the checks a stored batch must pass to be read.
//
// Contract. Internal to engine/log (sqlite_log.cc and the fuzzer
// tests/fuzz/fuzz_log_frames.cc). Pure functions over bytes: no SQLite, no
// I/O, no state but encode_batch()'s per-thread compressor buffers;
// thread-safe. encode_batch() frames records that passed
// log_internal::validate_batch() and fit one batch (batch_fits); it asserts
// what its caller promised. decode_batch() trusts nothing: any bytes give
// records or kCorruption, whose message names the partition and the batch's
// base offset and never a payload byte. Limits: limits::batch_events_max and
// limits::batch_payload_bytes_max bound a batch's frames (before
// compression); a stored batch outside them is corrupt.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/log/log.h"
#include "engine/log/log_internal.h"

namespace dimona::log_frames {

// The `codec` column: how a batch's frames are stored.
inline constexpr int64_t kCodecNone = 0;  // the frames themselves
inline constexpr int64_t kCodecLz4 = 1;   // one LZ4 block of the frames (liblz4)
// The frames in LZ4 blocks of about limits::sqlite_block_bytes_target, each holding whole
// frames, the first the dictionary of the others, behind a table of the blocks (log format
// version 3, docs/log-format.md "Blocks"): a read by offset decompresses two blocks.
inline constexpr int64_t kCodecLz4Blocks = 2;

// How encode_batch() compresses: one LZ4 block (what log format version 2 reads), or blocks.
enum class Compression { kOneBlock, kBlocks };

// A row of the `batches` table without its stored bytes. int64: as SQLite
// gives them back, so that decode_batch() judges the values a row really holds.
struct BatchHeader {
  uint32_t partition = 0;
  int64_t base_offset = 0;
  int64_t count = 0;
  int64_t first_recorded_at = 0;
  int64_t last_recorded_at = 0;
  int64_t crc = 0;  // 0 .. 2^32-1
  int64_t codec = kCodecNone;
  int64_t raw_size = 0;  // the frames' size before compression
};

struct EncodedBatch {
  BatchHeader header;
  std::string stored;  // what goes into the payload column
};

// The bytes one record's frame takes.
size_t frame_bytes(const LogRecordDraft& record);

// Appends one record's frame to out.
void append_frame(const LogRecordDraft& record, std::string* out);

// CRC-32C of the header fields (little-endian, docs/log-format.md) followed by
// the stored bytes.
uint32_t batch_crc(const BatchHeader& header, std::string_view stored);

// Frames records (1 .. batch_events_max of them, their frames at most
// batch_payload_bytes_max bytes) as the batch at base of partition; compressed
// (one LZ4 block, or blocks when asked and there is more than one block's worth)
// when that stores fewer bytes.
EncodedBatch encode_batch(uint32_t partition, Offset base, std::span<const LogRecordDraft> records,
                          Compression compression = Compression::kBlocks);

// Decodes exactly count frames that fill `frames`, as the records at
// base .. base+count-1 of partition, appended to out. kCorruption (message
// without location) when the bytes are not that. Each record is built in the
// buffers of one taken from the back of `spare` when it holds any
// (LogConsumer::recycle): the same record, fewer allocations.
Status decode_frames(std::string_view frames, uint32_t partition, Offset base, uint32_t count,
                     std::vector<LogRecord>* out, log_internal::SpareRecords* spare = nullptr);

// Checks a stored batch (header ranges, CRC, codec and size, frames, each
// record's recordedAt within [first, last] and non-decreasing) and appends its
// records to out; scratch holds the decompressed frames. On kCorruption
// nothing is appended.
Status decode_batch(const BatchHeader& header, std::string_view stored, std::vector<LogRecord>* out,
                    std::string* scratch, log_internal::SpareRecords* spare = nullptr);

// The bytes a batch's frames are decoded into for views: grown to the largest batch it held,
// never shrunk nor zero-filled (a consumer keeps one per batch of a poll).
class FrameBuffer {
 public:
  // At least n bytes, their contents unspecified; earlier pointers are invalid when it grows.
  char* room(size_t n) {
    if (n > capacity_) {
      bytes_ = std::make_unique_for_overwrite<char[]>(n);
      capacity_ = n;
    }
    return bytes_.get();
  }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t capacity_ = 0;
};

// decode_batch(), the records as views into `frames`, which holds the batch's frames when it
// returns (decompressed, or copied when stored raw): valid while `frames` is unchanged.
Status decode_batch_views(const BatchHeader& header, std::string_view stored, std::vector<LogRecordView>* out,
                          FrameBuffer* frames);

// "partition 3: batch at offset 42", the prefix of every corruption message.
// The records [first, first + n) of a batch (0-based within it) appended to
// out: a read by offset (a citizen's events) takes a few records of a batch of
// thousands. The CRC is checked over all the stored bytes as decode_batch
// does; the frames are decompressed (LZ4_decompress_safe_partial) and parsed
// only as far as the window's end, the ones before it stepped over without a
// copy, so a frame after the window is not checked (the CRC covers it). The
// whole batch (first 0, n count) or a window out of range is decode_batch.
Status decode_batch_window(const BatchHeader& header, std::string_view stored, uint32_t first, uint32_t n,
                           std::vector<LogRecord>* out, std::string* scratch,
                           log_internal::SpareRecords* spare = nullptr);

// The records at the batch indexes `wanted` (strictly increasing, 0-based within the batch)
// appended to out, as decode_batch_window decodes a window: the CRC over all the stored bytes,
// the frames decompressed and parsed only as far as the last one wanted, the others stepped over
// without a copy (a read by offsets: LogConsumer::read_at). kCorruption when the header is
// impossible or holds no record at wanted.back(), or as decode_batch_window.
Status decode_batch_records(const BatchHeader& header, std::string_view stored, std::span<const uint32_t> wanted,
                            std::vector<LogRecord>* out, std::string* scratch,
                            log_internal::SpareRecords* spare = nullptr);

std::string batch_location(uint32_t partition, int64_t base_offset);

}  // namespace dimona::log_frames
