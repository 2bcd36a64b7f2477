#include "engine/memory_log.h"

#include <algorithm>

namespace dimona {
namespace {

class MemoryReader final : public BatchReader {
 public:
  MemoryReader(const std::vector<RecordBatch>& batches, size_t first, size_t end)
      : batches_(batches), next_(first), end_(end) {}

  Result<bool> next(RecordBatch* out) override {
    if (next_ == end_) return false;
    const RecordBatch& b = batches_[next_++];
    if (batch_crc(b.partition, b.base_offset, b.count, b.first_recorded_at, b.last_recorded_at, b.payload) != b.crc)
      return corruption("batch at offset " + std::to_string(b.base_offset) + " of partition " +
                        std::to_string(b.partition) + " fails its CRC");
    *out = b;
    return true;
  }

 private:
  const std::vector<RecordBatch>& batches_;
  size_t next_;
  size_t end_;
};

}  // namespace

MemoryLog::MemoryLog(uint32_t partitions) : partitions_(partitions) { DIMONA_ASSERT(partitions > 0); }

Result<Offset> MemoryLog::end_offset(uint32_t partition) {
  if (partition >= partitions_.size()) return invalid_argument("no such partition");
  const auto& p = partitions_[partition];
  return p.empty() ? 0 : p.back().end_offset();
}

Result<std::vector<Offset>> MemoryLog::append(std::span<const BatchDraft> drafts, const SourceCursor* cursor) {
  if (failing_appends_ > 0) {
    --failing_appends_;
    return io_error("injected append failure");
  }
  std::vector<Offset> offsets;
  for (const BatchDraft& d : drafts) {
    DIMONA_ASSERT(d.partition < partitions_.size() && d.count > 0);
    DIMONA_ASSERT(static_cast<size_t>(std::count(d.payload.begin(), d.payload.end(), '\n')) == d.count);
    auto& p = partitions_[d.partition];
    RecordBatch b;
    b.partition = d.partition;
    b.base_offset = p.empty() ? 0 : p.back().end_offset();
    b.count = d.count;
    b.first_recorded_at = d.first_recorded_at;
    b.last_recorded_at = d.last_recorded_at;
    b.payload = d.payload;
    b.crc = batch_crc(b.partition, b.base_offset, b.count, b.first_recorded_at, b.last_recorded_at, b.payload);
    offsets.push_back(b.base_offset);
    p.push_back(std::move(b));
  }
  if (cursor) cursors_[cursor->source_id] = *cursor;
  return offsets;
}

Result<std::unique_ptr<BatchReader>> MemoryLog::read(uint32_t partition, Offset from) {
  if (partition >= partitions_.size()) return invalid_argument("no such partition");
  const auto& p = partitions_[partition];
  auto first = std::find_if(p.begin(), p.end(), [from](const RecordBatch& b) { return b.end_offset() > from; });
  return std::unique_ptr<BatchReader>(
      std::make_unique<MemoryReader>(p, static_cast<size_t>(first - p.begin()), p.size()));
}

Result<std::optional<SourceCursor>> MemoryLog::source_cursor(std::string_view source_id) {
  auto it = cursors_.find(source_id);
  if (it == cursors_.end()) return std::optional<SourceCursor>();
  return std::optional<SourceCursor>(it->second);
}

Result<std::vector<PartitionSummary>> MemoryLog::summary() {
  std::vector<PartitionSummary> out;
  for (uint32_t i = 0; i < partitions_.size(); ++i) {
    PartitionSummary s;
    s.partition = i;
    s.batches = partitions_[i].size();
    if (!partitions_[i].empty()) {
      s.end_offset = partitions_[i].back().end_offset();
      s.first_recorded_at = partitions_[i].front().first_recorded_at;
      s.last_recorded_at = partitions_[i].back().last_recorded_at;
    }
    out.push_back(s);
  }
  return out;
}

uint64_t MemoryLog::event_count() const {
  uint64_t n = 0;
  for (const auto& p : partitions_)
    for (const RecordBatch& b : p) n += b.count;
  return n;
}

}  // namespace dimona
