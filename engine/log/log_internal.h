// What the backends of the log seam share: the checks on a batch to append
// and a producer session's memory of the event ids it appended.
//
// Contract. Internal to engine/log (not included outside it). validate_batch()
// applies the limits and the recordedAt order of log.h's contract;
// ProducerSession remembers the last limits::log_producer_event_ids_remembered
// event ids with their offsets, oldest forgotten first. Threading: one
// session per producer, used by its thread only.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/log/log.h"

namespace dimona::log_internal {

// kInvalidArgument when the batch breaks a limit or recordedAt goes back
// (against last_recorded_at, the partition's latest known, and within the batch).
Status validate_batch(std::span<const LogRecordDraft> records, Instant last_recorded_at);

class ProducerSession {
 public:
  std::optional<Offset> offset_of(std::string_view event_id) const;
  void remember(std::string_view event_id, Offset offset);

 private:
  std::unordered_map<std::string, Offset> offsets_;
  std::deque<std::string> order_;  // oldest first, to forget beyond the window
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
