// EmbeddedLog: the default EventLog, one SQLite file on the local disk.
//
// Contract. One row per record batch, keyed by (partition, base offset), in a
// WAL-mode database with synchronous=FULL: append() returns once its group is
// fsynced. The file format (schema, the CRC's input, each corruption check) is
// docs/log-format.md; a file of another format version is refused with
// kFailedPrecondition, a missing file with kNotFound unless
// create_if_missing. The partition count is fixed when the log is created.
//
// append() asserts that every draft is well formed: partition in range,
// 1..batch_events_max events, payload at most batch_payload_bytes_max bytes
// made of exactly `count` non-empty lines each ending in '\n', first <= last
// recordedAt, and first >= the partition's previous last recordedAt (ledger
// time never goes backwards within a partition; the caller clamps). A failed
// append (kBusy after busy_timeout_ms when another connection holds the write
// lock, kFailedPrecondition when another writer appended to the same
// partition, kIoError) writes nothing and leaves end_offset() unchanged.
//
// read() opens its own read-only connection and snapshot: the reader returns
// what was durable when it was opened, verifying each batch (CRC, line count,
// offset continuity, recordedAt order) and stopping with kCorruption, which
// names the partition and offset and never a payload byte, at the first batch
// that fails; the batches before it were delivered. Reading from past the end
// is kFailedPrecondition (the caller knows offsets this log does not have).
//
// Threading: one thread at a time calls the log's methods, except read(),
// which only uses the path and may be called from any thread; each
// BatchReader belongs to one thread and may outlive the log. The EmbeddedLog
// owns its connection and prepared statements; moving is not supported.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "engine/event_log.h"

namespace dimona {

// The on-disk format this build reads and writes (docs/log-format.md).
inline constexpr int64_t kEmbeddedLogFormatVersion = 1;

struct EmbeddedLogOptions {
  bool create_if_missing = false;
  // Used only when the log is created: an existing log keeps its own count.
  uint32_t partitions = limits::partitions_default;
  // How long append() waits for another connection's write lock.
  int busy_timeout_ms = limits::sqlite_busy_timeout_ms;
  // Stamps created_at in the meta table; null means the system clock.
  const Clock* clock = nullptr;
};

class EmbeddedLog final : public EventLog {
 public:
  static Result<std::unique_ptr<EmbeddedLog>> open(const std::string& path,
                                                   const EmbeddedLogOptions& options);
  ~EmbeddedLog() override;
  EmbeddedLog(const EmbeddedLog&) = delete;
  EmbeddedLog& operator=(const EmbeddedLog&) = delete;

  const std::string& path() const;
  uint32_t partition_count() const override;
  Result<Offset> end_offset(uint32_t partition) override;
  Result<std::vector<Offset>> append(std::span<const BatchDraft> drafts,
                                     const SourceCursor* cursor) override;
  Result<std::unique_ptr<BatchReader>> read(uint32_t partition, Offset from) override;
  Result<std::optional<SourceCursor>> source_cursor(std::string_view source_id) override;
  Result<std::vector<PartitionSummary>> summary() override;
  // Caps the file at about `bytes`, never below the pages in use (SQLite's
  // max_page_count; 0 lifts the cap):
  // an append that would grow it past the cap fails with kIoError "database or
  // disk is full" and stores nothing, exactly as a full disk does. For
  // operators who bound the log, and for the tests of full-disk recovery.
  Status set_size_limit(uint64_t bytes);

 private:
  struct Impl;
  struct Key {
    explicit Key() = default;
  };

 public:
  EmbeddedLog(Key, std::unique_ptr<Impl> impl);  // for open() only: Key is private

 private:
  std::unique_ptr<Impl> impl_;
};

// What `dimona-ledger log inspect` prints: each partition read in full
// through EventLog::read(), so every check of the reader runs.
struct PartitionCheck {
  uint32_t partition = 0;
  uint64_t batches = 0;  // delivered and verified
  uint64_t events = 0;
  Offset end_offset = 0;  // end of the last verified batch
  std::optional<Instant> first_recorded_at;
  std::optional<Instant> last_recorded_at;
  Status error;  // ok, or the kCorruption that stopped this partition's read
};

struct VerifyReport {
  std::vector<PartitionCheck> partitions;
  size_t error_count() const;
  bool is_clean() const { return error_count() == 0; }
};

// Reads every partition of `log` from offset 0. A corruption is recorded in
// its partition's check and the next partition is read; any other failure
// (I/O, busy) is returned as the Result's error.
Result<VerifyReport> verify_log(EventLog& log);

}  // namespace dimona
