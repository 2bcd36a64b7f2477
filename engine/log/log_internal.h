// What the backends of the log seam share: the checks on a batch to append
// and a producer session's memory of the event ids it appended.
//
// Contract. Internal to engine/log (not included outside it). validate_batch()
// applies the limits and the recordedAt order of log.h's contract;
// ProducerSession remembers the last limits::log_producer_event_ids_remembered
// event ids with their offsets, oldest forgotten first. Threading: one
// session per producer, used by its thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/log/log.h"

namespace dimona::log_internal {

// kInvalidArgument when the batch breaks a limit or recordedAt goes back
// (against last_recorded_at, the partition's latest known, and within the batch).
Status validate_batch(std::span<const LogRecordDraft> records, Instant last_recorded_at);

// The event ids a producer appended lately, and their offsets: its idempotence window
// (limits::log_producer_event_ids_remembered ids, the oldest forgotten first). An open-addressing
// table of (hash, entry) slots over a ring of the entries: a look-up reads one slot run and, only
// when a hash matches, one id; no allocation but the id's own per record.
class ProducerSession {
 public:
  std::optional<Offset> offset_of(std::string_view event_id) const;
  // Keeps the first offset of an id already remembered.
  void remember(std::string_view event_id, Offset offset);
  size_t size() const { return count_; }

 private:
  static constexpr uint32_t kNoEntry = ~uint32_t{0};
  struct Slot {
    uint64_t hash = 0;
    uint32_t entry = kNoEntry;  // index in entries_
  };
  struct Entry {
    std::string id;
    Offset offset = 0;
    uint64_t hash = 0;
  };
  size_t home(uint64_t hash) const { return hash & (slots_.size() - 1); }
  // The slot of `id`, or of the empty slot where it would go.
  size_t find_slot(std::string_view id, uint64_t hash) const;
  void place(uint32_t entry);  // into the first empty slot of its run
  void forget_oldest();
  void grow();

  std::vector<Slot> slots_;     // a power of two, at most half full
  std::vector<Entry> entries_;  // a ring once it holds the window: head_ is the oldest
  size_t head_ = 0;
  size_t count_ = 0;
};

// The records a consumer's reader is done with (LogConsumer::recycle), kept for their string
// buffers: a long read fills each record it delivers into buffers it already has instead of
// allocating five strings a record. At most limits::log_read_chunk_records are kept, none whose
// payload holds over kPayloadBytesMax (a rare large event is not worth keeping). Used by one
// consumer's thread only.
class SpareRecords {
 public:
  static constexpr size_t kPayloadBytesMax = 16 * 1024;
  // Moves what is worth keeping out of `records`, then empties it.
  void keep(std::vector<LogRecord>& records);
  // A record with default fields and, when one is kept, its buffers (their bytes do not matter:
  // the caller assigns every string).
  LogRecord take();
  void release() { std::vector<LogRecord>().swap(kept_); }

 private:
  std::vector<LogRecord> kept_;
};

// For each record, the index of its first occurrence in the batch (itself
// when it is the first): a repeated event id inside one batch is appended once.
std::vector<size_t> first_occurrences(std::span<const LogRecordDraft> records);

// kInvalidArgument for an empty group or member name, one over
// limits::group_name_bytes_max, or timeouts that are not 0 < session <= rebalance.
Status validate_group_options(const GroupOptions& options);

// Backends, chosen by open_log().
Result<std::unique_ptr<Log>> open_memory_log(std::string_view name, const LogOptions& options);
// path: a file (created 0600 when missing and options.create_if_missing); docs/log-format.md.
Result<std::unique_ptr<Log>> open_sqlite_log(std::string_view path, const LogOptions& options);
// Group membership (group.h). Memory: one coordinator per store (identified
// by `store`, kept alive by its members) and group; memory_group.cc.
Result<std::unique_ptr<GroupMember>> join_memory_group(const std::shared_ptr<void>& store, uint32_t partitions,
                                                       const GroupOptions& options, GroupCallbacks callbacks);
// Kafka: a librdkafka consumer subscribed to `topic` in the group; kafka_group.cc.
Result<std::unique_ptr<GroupMember>> join_kafka_group(const std::string& bootstrap, const std::string& topic,
                                                      const GroupOptions& options, GroupCallbacks callbacks);
Result<std::unique_ptr<Log>> open_kafka_log(std::string_view bootstrap, std::string_view topic,
                                            const LogOptions& options);

}  // namespace dimona::log_internal
