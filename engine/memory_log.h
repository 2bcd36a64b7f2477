// MemoryLog: an EventLog held in memory, for unit tests and benchmarks.
//
// Contract. Same semantics as the embedded log (dense offsets per partition,
// atomic append of a group with its source cursor, CRC-verified reads)
// without durability: everything is gone with the object. A test can make
// the next appends fail (fail_next_append, fail_appends: a full disk) to
// exercise the failure paths; a failed append stores nothing.
// Not thread-safe: readers must not run while appending.
#pragma once

#include <map>
#include <vector>

#include "engine/event_log.h"

namespace dimona {

class MemoryLog final : public EventLog {
 public:
  explicit MemoryLog(uint32_t partitions);

  uint32_t partition_count() const override { return static_cast<uint32_t>(partitions_.size()); }
  Result<Offset> end_offset(uint32_t partition) override;
  Result<std::vector<Offset>> append(std::span<const BatchDraft> drafts, const SourceCursor* cursor) override;
  Result<std::unique_ptr<BatchReader>> read(uint32_t partition, Offset from) override;
  Result<std::optional<SourceCursor>> source_cursor(std::string_view source_id) override;
  Result<std::vector<PartitionSummary>> summary() override;

  void fail_next_append() { failing_appends_ = 1; }
  void fail_appends(uint32_t count) { failing_appends_ = count; }
  uint64_t event_count() const;
  // Direct access, to corrupt stored bytes in tests.
  std::vector<RecordBatch>& batches(uint32_t partition) { return partitions_[partition]; }

 private:
  std::vector<std::vector<RecordBatch>> partitions_;
  std::map<std::string, SourceCursor, std::less<>> cursors_;
  uint32_t failing_appends_ = 0;
};

}  // namespace dimona
