#include "engine/log/sqlite_frames.h"

#include <lz4.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/crc32c.h"
#include "engine/base/limits.h"

namespace dimona::log_frames {
namespace {

static_assert(limits::batch_payload_bytes_max <= static_cast<size_t>(std::numeric_limits<int>::max()),
              "LZ4 and SQLite take a block's size as an int");

// recorded-at, schema-version, then five length prefixes.
constexpr size_t kFrameFixedBytes = 8 + 4 + 5 * 4;

// Little-endian whatever the host: the bytes built in a register, appended at once.
void put_u32(std::string* out, uint32_t v) {
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out->append(bytes, sizeof bytes);
}
void put_u64(std::string* out, uint64_t v) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out->append(bytes, sizeof bytes);
}
void put_text(std::string* out, std::string_view text) {
  DIMONA_ASSERT(text.size() <= std::numeric_limits<uint32_t>::max());
  put_u32(out, static_cast<uint32_t>(text.size()));
  out->append(text);
}

// Reads the little-endian fields of a frame; every read checks the bytes left.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const { return bytes_.empty(); }
  bool u32(uint32_t* v) {
    if (bytes_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= uint32_t{static_cast<unsigned char>(bytes_[i])} << (8 * i);
    bytes_.remove_prefix(4);
    return true;
  }
  bool u64(uint64_t* v) {
    if (bytes_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= uint64_t{static_cast<unsigned char>(bytes_[i])} << (8 * i);
    bytes_.remove_prefix(8);
    return true;
  }
  bool text(std::string* out, size_t max) {
    std::string_view view;
    if (!text(&view, max)) return false;
    out->assign(view);
    return true;
  }
  bool text(std::string_view* out, size_t max) {
    uint32_t n = 0;
    if (!u32(&n) || n > bytes_.size() || n > max) return false;
    *out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view bytes_;
};

// A frame's fields into a record (its strings copied) or a view (its texts views into the frames).
template <typename Record>
bool read_frame(Reader& in, Record* record) {
  uint64_t at = 0;
  if (!in.u64(&at) || !in.u32(&record->schema_version)) return false;
  record->recorded_at = Instant{static_cast<int64_t>(at)};
  constexpr size_t kAny = limits::batch_payload_bytes_max;
  return in.text(&record->event_id, kAny) && !record->event_id.empty() && in.text(&record->key, kAny) &&
         in.text(&record->type, kAny) && in.text(&record->source, limits::log_source_bytes_max) &&
         in.text(&record->payload, limits::event_bytes_max);
}

// Steps over one frame, checking it as read_frame does, copying nothing.
bool skip_frame(Reader& in) {
  uint64_t at = 0;
  uint32_t version = 0;
  std::string_view id, key, type, source, payload;
  constexpr size_t kAny = limits::batch_payload_bytes_max;
  return in.u64(&at) && in.u32(&version) && in.text(&id, kAny) && !id.empty() && in.text(&key, kAny) &&
         in.text(&type, kAny) && in.text(&source, limits::log_source_bytes_max) &&
         in.text(&payload, limits::event_bytes_max);
}

bool header_in_range(const BatchHeader& h, size_t stored_bytes) {
  return h.base_offset >= 0 && h.count >= 1 && h.count <= int64_t{limits::batch_events_max} &&
         h.base_offset <= std::numeric_limits<int64_t>::max() - h.count && h.crc >= 0 &&
         h.crc <= int64_t{std::numeric_limits<uint32_t>::max()} && h.raw_size >= 1 &&
         h.raw_size <= static_cast<int64_t>(limits::batch_payload_bytes_max) &&
         stored_bytes <= limits::batch_payload_bytes_max && h.first_recorded_at <= h.last_recorded_at;
}

// Room for n bytes at the start of scratch, which only grows: a buffer reused for batches of
// different sizes is not zero-filled again for each (std::string::resize writes what it adds).
char* room_for(std::string* scratch, size_t n) {
  if (scratch->size() < n) scratch->resize(n);
  return scratch->data();
}
char* room_for(FrameBuffer* frames, size_t n) { return frames->room(n); }

// The frames of a checked batch: the stored bytes themselves, or decompressed into scratch.
template <typename Scratch>
Status expand(const BatchHeader& h, std::string_view stored, Scratch* scratch, std::string_view* frames) {
  const std::string at = batch_location(h.partition, h.base_offset);
  if (h.codec == kCodecNone) {
    if (static_cast<int64_t>(stored.size()) != h.raw_size) return corruption(at + " does not hold its size");
    *frames = stored;
    return Status::ok();
  }
  if (h.codec != kCodecLz4) return corruption(at + " has an unknown codec");
  char* room = room_for(scratch, static_cast<size_t>(h.raw_size));
  const int n = LZ4_decompress_safe(stored.data(), room, static_cast<int>(stored.size()), static_cast<int>(h.raw_size));
  if (n != h.raw_size) return corruption(at + " does not decompress to its size");
  *frames = std::string_view(room, static_cast<size_t>(h.raw_size));
  return Status::ok();
}

// recordedAt of each record within [first, last], non-decreasing, with the
// first and last records at the header's instants.
template <typename Record>
bool recorded_in_order(const BatchHeader& h, std::span<const Record> records) {
  Instant previous{h.first_recorded_at};
  for (const Record& r : records) {
    if (r.recorded_at < previous) return false;
    previous = r.recorded_at;
  }
  return records.front().recorded_at.micros == h.first_recorded_at &&
         records.back().recorded_at.micros == h.last_recorded_at;
}

// One block of a codec-2 batch (docs/log-format.md "Blocks"): records [first, first + records)
// of the batch, raw bytes of frames at raw_at in the frames, size stored bytes at stored_at.
struct Block {
  uint32_t first = 0;
  uint32_t records = 0;
  size_t raw_at = 0;
  uint32_t raw = 0;
  size_t stored_at = 0;
  uint32_t size = 0;
};

// The block table of a codec-2 batch whose header is in range, checked whole against the header
// and the stored bytes: false when it is not one.
bool parse_blocks(const BatchHeader& h, std::string_view stored, std::vector<Block>* blocks) {
  Reader in(stored);
  uint32_t n = 0;
  if (!in.u32(&n) || n < 2 || n > limits::batch_blocks_max || n > h.count) return false;
  uint64_t first = 0, raw_at = 0, stored_at = 4 + uint64_t{n} * 12;
  if (stored_at > stored.size()) return false;
  blocks->clear();
  blocks->reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    Block b;
    if (!in.u32(&b.records) || !in.u32(&b.raw) || !in.u32(&b.size)) return false;
    if (b.records == 0 || b.raw == 0 || b.size == 0) return false;
    b.first = static_cast<uint32_t>(first);
    b.raw_at = static_cast<size_t>(raw_at);
    b.stored_at = static_cast<size_t>(stored_at);
    first += b.records;  // each at most 2^32: no sum of 4096 of them wraps a uint64
    raw_at += b.raw;
    stored_at += b.size;
    if (first > static_cast<uint64_t>(h.count) || raw_at > static_cast<uint64_t>(h.raw_size) ||
        stored_at > stored.size())
      return false;
    blocks->push_back(b);
  }
  return first == static_cast<uint64_t>(h.count) && raw_at == static_cast<uint64_t>(h.raw_size) &&
         stored_at == stored.size();
}

// Decompresses block k of a parsed table to its place in frames (sized raw_size); block 0 must be
// there already for k > 0 (the dictionary). False when the bytes do not decompress to its size.
bool expand_block(const std::vector<Block>& blocks, size_t k, std::string_view stored, char* frames) {
  const Block& b = blocks[k];
  const char* from = stored.data() + b.stored_at;
  const int n = k == 0
                    ? LZ4_decompress_safe(from, frames, static_cast<int>(b.size), static_cast<int>(b.raw))
                    : LZ4_decompress_safe_usingDict(from, frames + b.raw_at, static_cast<int>(b.size),
                                                    static_cast<int>(b.raw), frames, static_cast<int>(blocks[0].raw));
  return n >= 0 && static_cast<uint32_t>(n) == b.raw;
}

}  // namespace

std::string batch_location(uint32_t partition, int64_t base_offset) {
  return "partition " + std::to_string(partition) + ": batch at offset " + std::to_string(base_offset);
}

size_t frame_bytes(const LogRecordDraft& r) {
  return kFrameFixedBytes + r.event_id.size() + r.key.size() + r.type.size() + r.source.size() + r.payload.size();
}

void append_frame(const LogRecordDraft& r, std::string* out) {
  put_u64(out, static_cast<uint64_t>(r.recorded_at.micros));
  put_u32(out, r.schema_version);
  put_text(out, r.event_id);
  put_text(out, r.key);
  put_text(out, r.type);
  put_text(out, r.source);
  put_text(out, r.payload);
}

uint32_t batch_crc(const BatchHeader& h, std::string_view stored) {
  std::string fields;
  fields.reserve(44);
  put_u32(&fields, h.partition);
  put_u64(&fields, static_cast<uint64_t>(h.base_offset));
  put_u32(&fields, static_cast<uint32_t>(h.count));
  put_u64(&fields, static_cast<uint64_t>(h.first_recorded_at));
  put_u64(&fields, static_cast<uint64_t>(h.last_recorded_at));
  put_u32(&fields, static_cast<uint32_t>(h.codec));
  put_u32(&fields, static_cast<uint32_t>(h.raw_size));
  return crc32c_extend(crc32c(fields), stored.data(), stored.size());
}

namespace {

// The frames in blocks (kCodecLz4Blocks): the table, then block 0 alone and each other block with
// block 0 as its dictionary. Empty when a block does not compress (the caller stores the frames).
std::string compress_blocks(std::string_view frames, const std::vector<Block>& blocks) {
  std::string stored;
  put_u32(&stored, static_cast<uint32_t>(blocks.size()));
  for (const Block& b : blocks) {
    put_u32(&stored, b.records);
    put_u32(&stored, b.raw);
    put_u32(&stored, 0);  // the block's stored size, set below
  }
  // Block 0 loaded once as the dictionary; each other block compressed on a copy of that state
  // (16 KiB copied, as liblz4's documentation suggests, instead of hashing the dictionary again).
  thread_local LZ4_stream_t with_dictionary, stream;
  thread_local std::vector<char> compressed;
  LZ4_loadDict(&with_dictionary, frames.data(), static_cast<int>(blocks[0].raw));
  for (size_t k = 0; k < blocks.size(); ++k) {
    const Block& b = blocks[k];
    const size_t bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(b.raw)));
    if (compressed.size() < bound) compressed.resize(bound);
    const char* from = frames.data() + b.raw_at;
    int n = 0;
    if (k == 0) {
      n = LZ4_compress_default(from, compressed.data(), static_cast<int>(b.raw), static_cast<int>(bound));
    } else {
      std::memcpy(&stream, &with_dictionary, sizeof stream);
      n = LZ4_compress_fast_continue(&stream, from, compressed.data(), static_cast<int>(b.raw), static_cast<int>(bound),
                                     1);
    }
    if (n <= 0) return std::string();
    const size_t size_at = 4 + k * 12 + 8;
    for (int i = 0; i < 4; ++i) stored[size_at + i] = static_cast<char>((static_cast<uint32_t>(n) >> (8 * i)) & 0xFF);
    stored.append(compressed.data(), static_cast<size_t>(n));
  }
  return stored;
}

// Where the blocks of records' frames end: each closes before the frame that would take it past
// the target (at least one frame each); the target grows with the frames so that the blocks stay
// fewer than the blocks a reader accepts (each but the last holds more than half the target).
std::vector<Block> cut_blocks(std::span<const LogRecordDraft> records, size_t frames_bytes) {
  const size_t target = std::max(limits::sqlite_block_bytes_target, frames_bytes / (limits::batch_blocks_max / 2) + 1);
  std::vector<Block> blocks;
  Block open;
  for (const LogRecordDraft& r : records) {
    const size_t bytes = frame_bytes(r);
    if (open.records > 0 && open.raw + bytes > target) {
      blocks.push_back(open);
      open = Block{};
      open.first = blocks.back().first + blocks.back().records;
      open.raw_at = blocks.back().raw_at + blocks.back().raw;
    }
    ++open.records;
    open.raw += static_cast<uint32_t>(bytes);  // a frame is at most batch_payload_bytes_max
  }
  blocks.push_back(open);
  return blocks;
}

}  // namespace

EncodedBatch encode_batch(uint32_t partition, Offset base, std::span<const LogRecordDraft> records,
                          Compression compression) {
  DIMONA_ASSERT(!records.empty() && records.size() <= limits::batch_events_max);
  std::string frames;
  size_t bytes = 0;
  for (const LogRecordDraft& r : records) bytes += frame_bytes(r);
  frames.reserve(bytes);  // one allocation, no copy as it grows
  for (const LogRecordDraft& r : records) append_frame(r, &frames);
  DIMONA_ASSERT(frames.size() <= limits::batch_payload_bytes_max);
  EncodedBatch batch;
  BatchHeader& h = batch.header;
  h.partition = partition;
  h.base_offset = static_cast<int64_t>(base);
  h.count = static_cast<int64_t>(records.size());
  h.first_recorded_at = records.front().recorded_at.micros;
  h.last_recorded_at = records.back().recorded_at.micros;
  h.raw_size = static_cast<int64_t>(frames.size());
  // Frames repeat their keys, types and JSON field names: LZ4 usually shrinks
  // them several times; kept raw when it does not.
  const std::vector<Block> blocks =
      compression == Compression::kBlocks ? cut_blocks(records, frames.size()) : std::vector<Block>();
  std::string stored;
  if (blocks.size() >= 2) {
    DIMONA_ASSERT(blocks.size() <= limits::batch_blocks_max);
    stored = compress_blocks(frames, blocks);
    h.codec = kCodecLz4Blocks;
  } else {
    // The compressor's output buffer is kept per thread: no zero-filled buffer per batch.
    thread_local std::vector<char> compressed;
    const size_t bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(frames.size())));
    if (compressed.size() < bound) compressed.resize(bound);
    const int n = LZ4_compress_default(frames.data(), compressed.data(), static_cast<int>(frames.size()),
                                       static_cast<int>(compressed.size()));
    if (n > 0) stored.assign(compressed.data(), static_cast<size_t>(n));
    h.codec = kCodecLz4;
  }
  if (stored.empty() || stored.size() >= frames.size()) {
    stored = std::move(frames);
    h.codec = kCodecNone;
  }
  batch.stored = std::move(stored);
  h.crc = batch_crc(h, batch.stored);
  return batch;
}

namespace {

// A record with default fields, in the buffers of a spare one when `spare` holds any; a view
// has no buffers.
LogRecord take_spare(log_internal::SpareRecords* spare) { return spare == nullptr ? LogRecord{} : spare->take(); }
LogRecordView take_spare(std::nullptr_t) { return LogRecordView{}; }

template <typename Record, typename Spare>
Status decode_frames_into(std::string_view frames, uint32_t partition, Offset base, uint32_t count,
                          std::vector<Record>* out, Spare spare) {
  const size_t before = out->size();
  // No more records than the bytes can hold (a frame's fixed fields and a one-byte id: 33 bytes),
  // whatever count a caller passes.
  constexpr size_t kFrameBytesMin = 8 + 4 + 5 * 4 + 1;
  out->reserve(before + std::min<size_t>(count, frames.size() / kFrameBytesMin));
  Reader in(frames);
  for (uint32_t i = 0; i < count; ++i) {
    Record record = take_spare(spare);
    if (!read_frame(in, &record)) {
      out->resize(before);
      return corruption("record " + std::to_string(i) + " of the batch is not a whole frame");
    }
    record.partition = partition;
    record.offset = base + i;
    out->push_back(std::move(record));
  }
  if (!in.done()) {
    out->resize(before);
    return corruption("bytes follow the batch's last frame");
  }
  return Status::ok();
}

// decode_batch() and decode_batch_views(): views (LogRecordView) take frames stored without
// compression from a copy in scratch too, so that they outlive the stored bytes.
template <typename Record, typename Scratch, typename Spare>
Status decode_batch_into(const BatchHeader& h, std::string_view stored, std::vector<Record>* out, Scratch* scratch,
                         Spare spare) {
  const std::string at = batch_location(h.partition, h.base_offset);
  if (!header_in_range(h, stored.size())) return corruption(at + " has an impossible header");
  if (batch_crc(h, stored) != static_cast<uint32_t>(h.crc)) return corruption(at + " fails its CRC");
  const size_t before = out->size();
  if (h.codec == kCodecLz4Blocks) {
    // Each block holds exactly its records' whole frames: what a read of one block relies on.
    std::vector<Block> blocks;
    if (!parse_blocks(h, stored, &blocks)) return corruption(at + " has an impossible block table");
    char* room = room_for(scratch, static_cast<size_t>(h.raw_size));
    for (size_t k = 0; k < blocks.size(); ++k) {
      if (!expand_block(blocks, k, stored, room))
        return corruption(at + ": block " + std::to_string(k) + " does not decompress to its size");
    }
    // Once, so that each block's decode never moves them; no more than the frames can hold (33
    // bytes at least each), whatever count the header claims.
    out->reserve(before + std::min<size_t>(static_cast<size_t>(h.count), static_cast<size_t>(h.raw_size) / 33));
    for (size_t k = 0; k < blocks.size(); ++k) {
      const Block& b = blocks[k];
      Status decoded = decode_frames_into(std::string_view(room + b.raw_at, b.raw), h.partition,
                                          static_cast<Offset>(h.base_offset) + b.first, b.records, out, spare);
      if (!decoded.is_ok()) {
        out->resize(before);
        return corruption(at + ": block " + std::to_string(k) + " (records from " + std::to_string(b.first) +
                          "): " + decoded.message());
      }
    }
  } else {
    std::string_view frames;
    DIMONA_TRY(expand(h, stored, scratch, &frames));
    if constexpr (std::is_same_v<Record, LogRecordView>) {
      if (h.codec == kCodecNone) {  // `frames` are the stored bytes (expand checked their size)
        char* room = room_for(scratch, frames.size());
        std::memcpy(room, frames.data(), frames.size());
        frames = std::string_view(room, frames.size());
      }
    }
    Status decoded = decode_frames_into(frames, h.partition, static_cast<Offset>(h.base_offset),
                                        static_cast<uint32_t>(h.count), out, spare);
    if (!decoded.is_ok()) return corruption(at + ": " + decoded.message());
  }
  if (!recorded_in_order(h, std::span<const Record>(*out).subspan(before))) {
    out->resize(before);
    return corruption(at + " has its recordedAt out of order");
  }
  return Status::ok();
}

}  // namespace

Status decode_frames(std::string_view frames, uint32_t partition, Offset base, uint32_t count,
                     std::vector<LogRecord>* out, log_internal::SpareRecords* spare) {
  return decode_frames_into(frames, partition, base, count, out, spare);
}

Status decode_batch(const BatchHeader& h, std::string_view stored, std::vector<LogRecord>* out, std::string* scratch,
                    log_internal::SpareRecords* spare) {
  return decode_batch_into(h, stored, out, scratch, spare);
}

Status decode_batch_views(const BatchHeader& h, std::string_view stored, std::vector<LogRecordView>* out,
                          FrameBuffer* frames) {
  return decode_batch_into(h, stored, out, frames, nullptr);
}

namespace {

// Walks the frames of records [first, ...) in `frames` up to the last of `wanted` (increasing
// batch indexes, the walk's from *next on) below `end`: each wanted one read into a record
// appended to out, the others stepped over without a copy. False when a frame is not whole.
bool walk_frames(const BatchHeader& h, std::string_view frames, uint32_t first, uint32_t end,
                 std::span<const uint32_t> wanted, size_t* next, std::vector<LogRecord>* out,
                 log_internal::SpareRecords* spare, bool to_the_end = false) {
  Reader in(frames);
  uint32_t i = first;
  for (; *next < wanted.size() && wanted[*next] < end; ++i) {
    if (wanted[*next] != i) {
      if (!skip_frame(in)) return false;
      continue;
    }
    LogRecord record = take_spare(spare);
    if (!read_frame(in, &record)) return false;
    record.partition = h.partition;
    record.offset = static_cast<Offset>(h.base_offset) + i;
    out->push_back(std::move(record));
    ++*next;
  }
  if (!to_the_end) return true;
  for (; i < end; ++i)  // the rest, stepped over: `frames` must hold exactly records [first, end)
    if (!skip_frame(in)) return false;
  return in.done();
}

// The records at the batch indexes `wanted` (increasing, below count) of a batch whose header is
// in range, appended to out: the CRC checked over all the stored bytes; one LZ4 block
// decompressed from its start only as far as the last wanted record needs (a guess in proportion
// to the records, doubled until it is whole), or, in blocks, the first block and those holding a
// wanted record; the unwanted frames before the last wanted one stepped over without a copy;
// frames past it not parsed (the CRC vouches for their bytes). The records' recordedAt must lie
// within the header's and not go back.
Status decode_some(const BatchHeader& h, std::string_view stored, std::span<const uint32_t> wanted,
                   std::vector<LogRecord>* out, std::string* scratch, log_internal::SpareRecords* spare) {
  DIMONA_ASSERT(header_in_range(h, stored.size()) && !wanted.empty() && wanted.back() < h.count);
  const std::string at = batch_location(h.partition, h.base_offset);
  if (batch_crc(h, stored) != static_cast<uint32_t>(h.crc)) return corruption(at + " fails its CRC");
  const auto raw = static_cast<size_t>(h.raw_size);
  const uint32_t end = wanted.back() + 1;
  const size_t before = out->size();
  auto in_order = [&]() -> Status {
    Instant previous{h.first_recorded_at};
    for (const LogRecord& r : std::span<const LogRecord>(*out).subspan(before)) {
      if (r.recorded_at < previous || r.recorded_at.micros > h.last_recorded_at) {
        out->resize(before);
        return corruption(at + " has its recordedAt out of order");
      }
      previous = r.recorded_at;
    }
    return Status::ok();
  };
  if (h.codec == kCodecLz4Blocks) {
    std::vector<Block> blocks;
    if (!parse_blocks(h, stored, &blocks)) return corruption(at + " has an impossible block table");
    scratch->resize(raw);
    if (!expand_block(blocks, 0, stored, scratch->data()))
      return corruption(at + ": block 0 does not decompress to its size");
    size_t next = 0;
    for (size_t k = 0; k < blocks.size() && next < wanted.size(); ++k) {
      const Block& b = blocks[k];
      if (wanted[next] >= b.first + b.records) continue;  // no record of this block is wanted
      if (k > 0 && !expand_block(blocks, k, stored, scratch->data())) {
        out->resize(before);
        return corruption(at + ": block " + std::to_string(k) + " does not decompress to its size");
      }
      // The whole block walked (a few KiB, decompressed already): it holds exactly its records'
      // frames, as the table says and a whole decode checks.
      if (!walk_frames(h, std::string_view(*scratch).substr(b.raw_at, b.raw), b.first, b.first + b.records, wanted,
                       &next, out, spare, true)) {
        out->resize(before);
        return corruption(at + ": block " + std::to_string(k) + " does not hold its records' whole frames");
      }
    }
    DIMONA_ASSERT(next == wanted.size());  // the blocks cover every index below count
    return in_order();
  }
  if (h.codec == kCodecNone && stored.size() != raw) return corruption(at + " does not hold its size");
  if (h.codec != kCodecNone && h.codec != kCodecLz4) return corruption(at + " has an unknown codec");
  size_t want = std::min(raw, raw / static_cast<size_t>(h.count) * end * 5 / 4 + 4096);
  for (;;) {
    std::string_view frames = stored;
    if (h.codec == kCodecLz4) {
      scratch->resize(raw);
      const int got = LZ4_decompress_safe_partial(stored.data(), scratch->data(), static_cast<int>(stored.size()),
                                                  static_cast<int>(want), static_cast<int>(raw));
      if (got < 0 || static_cast<size_t>(got) > raw) return corruption(at + " does not decompress to its size");
      frames = std::string_view(scratch->data(), static_cast<size_t>(got));
    }
    size_t next = 0;
    if (walk_frames(h, frames, 0, end, wanted, &next, out, spare)) return in_order();
    out->resize(before);
    if (frames.size() >= raw || want >= raw)
      return corruption(at + ": a record before " + std::to_string(end) + " is not a whole frame");
    want = std::min(raw, want * 2);
  }
}

}  // namespace

Status decode_batch_window(const BatchHeader& h, std::string_view stored, uint32_t first, uint32_t n,
                           std::vector<LogRecord>* out, std::string* scratch, log_internal::SpareRecords* spare) {
  if (!header_in_range(h, stored.size()) || n == 0 || first >= h.count || n > h.count - first)
    return decode_batch(h, stored, out, scratch, spare);  // refused there, with its message, or whole
  if (first == 0 && n == h.count) return decode_batch(h, stored, out, scratch, spare);
  std::vector<uint32_t> wanted(n);
  for (uint32_t i = 0; i < n; ++i) wanted[i] = first + i;
  return decode_some(h, stored, wanted, out, scratch, spare);
}

Status decode_batch_records(const BatchHeader& h, std::string_view stored, std::span<const uint32_t> wanted,
                            std::vector<LogRecord>* out, std::string* scratch, log_internal::SpareRecords* spare) {
  if (wanted.empty()) return Status::ok();
  for (size_t i = 1; i < wanted.size(); ++i) DIMONA_ASSERT(wanted[i] > wanted[i - 1]);
  if (!header_in_range(h, stored.size()) || wanted.back() >= h.count)
    return corruption(batch_location(h.partition, h.base_offset) + " has an impossible header or lacks a record");
  return decode_some(h, stored, wanted, out, scratch, spare);
}

}  // namespace dimona::log_frames
