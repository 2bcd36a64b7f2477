// Tools over any Log (log.h): read a partition's range, summarise a log,
// verify it end to end, find repeated event ids. They use only the seam, so
// they answer the same on every backend (memory, sqlite, Kafka).
//
// Contract. Each opens its own LogConsumer (or uses the one given), reads
// in offset order, and returns errors as values: the backend's kCorruption
// (a record that fails its CRC or framing, named by partition and offset),
// kIoError, kUnavailable (Kafka: the brokers stopped delivering before the
// range's end, after limits::log_read_stall_ms without a record). No
// payload byte reaches a message. Not thread-safe per consumer; the Log may
// be shared.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/log/log.h"

namespace dimona {

// Calls f on each record of `partition` in [from, to), in order; stops at
// f's first non-ok Status and returns it. The consumer is assigned the one
// partition. Records are handed over mutable: f may move their strings.
Status read_partition(LogConsumer& consumer, uint32_t partition, Offset from, Offset to,
                      const std::function<Status(LogRecord&)>& f);
// read_partition(), each record as a view (LogConsumer::poll_views: valid during f's call only),
// for a reader that copies what it keeps of a record (a fold).
Status read_partition_views(LogConsumer& consumer, uint32_t partition, Offset from, Offset to,
                            const std::function<Status(const LogRecordView&)>& f);

// The first offset of `partition` below `end` whose record was recorded after
// `at`, or `end` when none was: [0, result) are the records recorded by `at`
// (recordedAt never goes back within a partition, log.h). A binary search of
// single-record reads: O(log end) reads whatever the backend.
Result<Offset> first_offset_after(LogConsumer& consumer, uint32_t partition, Instant at, Offset end);

// Offsets and time range of each partition (its first and last records).
struct PartitionSummary {
  uint32_t partition = 0;
  Offset end_offset = 0;
  std::optional<Instant> first_recorded_at;
  std::optional<Instant> last_recorded_at;
};
Result<std::vector<PartitionSummary>> summarize(Log& log);

// Every record of every partition read once (the backend checks each).
struct PartitionCheck {
  uint32_t partition = 0;
  uint64_t records = 0;  // read before the error, if any
  Status error;
};
struct VerifyReport {
  std::vector<PartitionCheck> partitions;
  size_t error_count() const;
  bool is_clean() const { return error_count() == 0; }
};
// A corruption is recorded in its partition's check and the next partition
// is read; any other failure is returned as the Result's error.
Result<VerifyReport> verify_log(Log& log);

// Events that share an eventId, which DESIGN.md §4 makes unique (the
// idempotency key): a declaration or action id ("dcl-", "act-") twice
// anywhere in the log, or any other id (a quota definition, written once in
// every partition) twice in one partition. A log holds one only when two
// writers appended beside each other, or records were copied by hand; the
// fold applies such an event twice. Only events count: fence records and a
// zombie writer's fenced records (fence.h), which no fold applies, are left out. Reads every partition once (the ids'
// hashes kept as DuplicateEventCheck keeps them, below), and a second time only when two ids hash alike.
struct DuplicateEvents {
  uint64_t events = 0;
  uint64_t duplicates = 0;       // events whose id an earlier event already has
  std::vector<std::string> ids;  // at most limits::duplicate_ids_reported_max
};
Result<DuplicateEvents> find_duplicate_events(Log& log);
// find_duplicate_events() for a caller that reads every event anyway (replay --rebuild: the
// Projector's fold, ProjectorOptions::event_ids): add() each event's id as it is read, exactly
// once, fence records and fenced ones left out as above; finish() then says what
// find_duplicate_events() would, reading the log again only when two ids hash alike. add() may
// run on several threads at once for different partitions, never for one partition; finish()
// after the last add().
//
// Memory: the hashes (8 bytes an event, 400 MB at 50 M events) are not held beside the state
// the fold builds: each partition's are written, a buffer at a time
// (limits::duplicate_check_buffer_hashes), to an anonymous temporary file in $TMPDIR (or /tmp;
// O_TMPFILE: never seen by name, gone when the check is), then sorted one partition at a time
// and merged from the files (settle). Where no such file can be made or written, the check holds
// no hashes and finish() reads the log again, as find_duplicate_events() does: the answer is the
// same either way, only slower.
class DuplicateEventCheck {
 public:
  // `temp_dir`: where the files go (empty: $TMPDIR, else /tmp); `buffer_hashes`: per partition,
  // written when full (tests make it small).
  explicit DuplicateEventCheck(uint32_t partitions, std::string temp_dir = {},
                               size_t buffer_hashes = limits::duplicate_check_buffer_hashes);
  ~DuplicateEventCheck();
  DuplicateEventCheck(const DuplicateEventCheck&) = delete;
  DuplicateEventCheck& operator=(const DuplicateEventCheck&) = delete;

  void add(uint32_t partition, std::string_view event_id);
  // The hashes merged now: those seen twice kept, the files closed and the buffers freed, so that
  // what follows the last add() — a replay's final checkpoint — holds none of it. No add() after
  // it; finish() then reads the log for those kept, as it would have.
  void settle();
  Result<DuplicateEvents> finish(Log& log);
  // The memory the check holds (its buffers): none once settled.
  uint64_t held_bytes() const;
  // Whether the hashes went to files (false: no file could be made or written; finish() reads the log).
  bool spilled() const { return !failed_; }

 private:
  struct Partition {
    int fd = -1;                   // the anonymous file of its hashes, in add order (sorted by settle)
    uint64_t written = 0;          // hashes in the file
    std::vector<uint64_t> buffer;  // not yet written
  };
  bool flush(Partition& p);  // false (and failed_) when the file cannot be written
  void release();            // the files closed, the buffers freed

  std::vector<Partition> partitions_;
  size_t buffer_hashes_;
  std::atomic<bool> failed_{false};
  bool settled_ = false;
  uint64_t events_ = 0;                    // added, counted at settle()
  std::unordered_set<uint64_t> suspects_;  // hashes added twice, at settle()
};

}  // namespace dimona
