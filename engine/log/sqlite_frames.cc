#include "engine/log/sqlite_frames.h"

#include <lz4.h>

#include <algorithm>
#include <limits>
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

bool read_frame(Reader& in, LogRecord* record) {
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

// The frames of a checked batch: the stored bytes themselves, or decompressed into scratch.
Status expand(const BatchHeader& h, std::string_view stored, std::string* scratch, std::string_view* frames) {
  const std::string at = batch_location(h.partition, h.base_offset);
  if (h.codec == kCodecNone) {
    if (static_cast<int64_t>(stored.size()) != h.raw_size) return corruption(at + " does not hold its size");
    *frames = stored;
    return Status::ok();
  }
  if (h.codec != kCodecLz4) return corruption(at + " has an unknown codec");
  scratch->resize(static_cast<size_t>(h.raw_size));
  const int n = LZ4_decompress_safe(stored.data(), scratch->data(), static_cast<int>(stored.size()),
                                    static_cast<int>(h.raw_size));
  if (n != h.raw_size) return corruption(at + " does not decompress to its size");
  *frames = *scratch;
  return Status::ok();
}

// recordedAt of each record within [first, last], non-decreasing, with the
// first and last records at the header's instants.
bool recorded_in_order(const BatchHeader& h, std::span<const LogRecord> records) {
  Instant previous{h.first_recorded_at};
  for (const LogRecord& r : records) {
    if (r.recorded_at < previous) return false;
    previous = r.recorded_at;
  }
  return records.front().recorded_at.micros == h.first_recorded_at &&
         records.back().recorded_at.micros == h.last_recorded_at;
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

EncodedBatch encode_batch(uint32_t partition, Offset base, std::span<const LogRecordDraft> records) {
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
  // The compressor's output buffer is kept per thread: no zero-filled buffer per batch.
  thread_local std::vector<char> compressed;
  const size_t bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(frames.size())));
  if (compressed.size() < bound) compressed.resize(bound);
  const int n = LZ4_compress_default(frames.data(), compressed.data(), static_cast<int>(frames.size()),
                                     static_cast<int>(compressed.size()));
  if (n > 0 && static_cast<size_t>(n) < frames.size()) {
    batch.stored.assign(compressed.data(), static_cast<size_t>(n));
    h.codec = kCodecLz4;
  } else {
    batch.stored = std::move(frames);
    h.codec = kCodecNone;
  }
  h.crc = batch_crc(h, batch.stored);
  return batch;
}

// A record with default fields and, from the back of `spare` when it holds one, its string
// buffers (read_frame assigns every string, so the bytes they hold do not matter).
LogRecord take_spare(std::vector<LogRecord>* spare) {
  LogRecord record;
  if (spare == nullptr || spare->empty()) return record;
  LogRecord& used = spare->back();
  record.event_id.swap(used.event_id);
  record.key.swap(used.key);
  record.type.swap(used.type);
  record.payload.swap(used.payload);
  record.source.swap(used.source);
  spare->pop_back();
  return record;
}

Status decode_frames(std::string_view frames, uint32_t partition, Offset base, uint32_t count,
                     std::vector<LogRecord>* out, std::vector<LogRecord>* spare) {
  const size_t before = out->size();
  // No more records than the bytes can hold (a frame's fixed fields and a one-byte id: 33 bytes),
  // whatever count a caller passes.
  constexpr size_t kFrameBytesMin = 8 + 4 + 5 * 4 + 1;
  out->reserve(before + std::min<size_t>(count, frames.size() / kFrameBytesMin));
  Reader in(frames);
  for (uint32_t i = 0; i < count; ++i) {
    LogRecord record = take_spare(spare);
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

Status decode_batch(const BatchHeader& h, std::string_view stored, std::vector<LogRecord>* out, std::string* scratch,
                    std::vector<LogRecord>* spare) {
  const std::string at = batch_location(h.partition, h.base_offset);
  if (!header_in_range(h, stored.size())) return corruption(at + " has an impossible header");
  if (batch_crc(h, stored) != static_cast<uint32_t>(h.crc)) return corruption(at + " fails its CRC");
  std::string_view frames;
  DIMONA_TRY(expand(h, stored, scratch, &frames));
  const size_t before = out->size();
  Status decoded = decode_frames(frames, h.partition, static_cast<Offset>(h.base_offset),
                                 static_cast<uint32_t>(h.count), out, spare);
  if (!decoded.is_ok()) return corruption(at + ": " + decoded.message());
  if (!recorded_in_order(h, std::span<const LogRecord>(*out).subspan(before))) {
    out->resize(before);
    return corruption(at + " has its recordedAt out of order");
  }
  return Status::ok();
}

namespace {

// The records of a checked-in-range batch whose indexes i < end have wanted(i), appended to out:
// the CRC checked over all the stored bytes; an LZ4 block decompressed from its start only as far
// as the record `end` needs (a guess in proportion to the records, doubled until it is whole); the
// unwanted frames before it stepped over without a copy; frames past it not parsed (the CRC
// vouches for their bytes). The records' recordedAt must lie within the header's and not go back.
template <typename Wanted>
Status decode_some(const BatchHeader& h, std::string_view stored, uint32_t end, const Wanted& wanted,
                   std::vector<LogRecord>* out, std::string* scratch, std::vector<LogRecord>* spare) {
  DIMONA_ASSERT(header_in_range(h, stored.size()) && end >= 1 && end <= h.count);
  const std::string at = batch_location(h.partition, h.base_offset);
  if (batch_crc(h, stored) != static_cast<uint32_t>(h.crc)) return corruption(at + " fails its CRC");
  const auto raw = static_cast<size_t>(h.raw_size);
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
    Reader in(frames);
    bool whole = true;
    const size_t before = out->size();
    for (uint32_t i = 0; i < end && whole; ++i) {
      if (!wanted(i)) {
        whole = skip_frame(in);
        continue;
      }
      LogRecord record = take_spare(spare);
      whole = read_frame(in, &record);
      record.partition = h.partition;
      record.offset = static_cast<Offset>(h.base_offset) + i;
      if (whole) out->push_back(std::move(record));
    }
    if (whole) {
      Instant previous{h.first_recorded_at};
      for (const LogRecord& r : std::span<const LogRecord>(*out).subspan(before)) {
        if (r.recorded_at < previous || r.recorded_at.micros > h.last_recorded_at) {
          out->resize(before);
          return corruption(at + " has its recordedAt out of order");
        }
        previous = r.recorded_at;
      }
      return Status::ok();
    }
    out->resize(before);
    if (frames.size() >= raw || want >= raw)
      return corruption(at + ": a record before " + std::to_string(end) + " is not a whole frame");
    want = std::min(raw, want * 2);
  }
}

}  // namespace

Status decode_batch_window(const BatchHeader& h, std::string_view stored, uint32_t first, uint32_t n,
                           std::vector<LogRecord>* out, std::string* scratch, std::vector<LogRecord>* spare) {
  if (!header_in_range(h, stored.size()) || n == 0 || first >= h.count || n > h.count - first)
    return decode_batch(h, stored, out, scratch, spare);  // refused there, with its message, or whole
  if (first == 0 && n == h.count) return decode_batch(h, stored, out, scratch, spare);
  return decode_some(
      h, stored, first + n, [first](uint32_t i) { return i >= first; }, out, scratch, spare);
}

Status decode_batch_records(const BatchHeader& h, std::string_view stored, std::span<const uint32_t> wanted,
                            std::vector<LogRecord>* out, std::string* scratch, std::vector<LogRecord>* spare) {
  if (wanted.empty()) return Status::ok();
  for (size_t i = 1; i < wanted.size(); ++i) DIMONA_ASSERT(wanted[i] > wanted[i - 1]);
  if (!header_in_range(h, stored.size()) || wanted.back() >= h.count)
    return corruption(batch_location(h.partition, h.base_offset) + " has an impossible header or lacks a record");
  size_t next = 0;  // the wanted index the frame walk reaches next (the walk asks in increasing order)
  return decode_some(
      h, stored, wanted.back() + 1,
      [&](uint32_t i) {
        if (i == 0) next = 0;  // a walk started again (a bigger decompression)
        if (next < wanted.size() && wanted[next] == i) {
          ++next;
          return true;
        }
        return false;
      },
      out, scratch, spare);
}

}  // namespace dimona::log_frames
