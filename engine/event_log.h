// EventLog: the ledger's only source of truth, an append-only sequence of
// events split into partitions (the partition key is the citizen's SSIN).
//
// Contract. Events are stored in record batches, the unit of append, CRC,
// fsync and read (DESIGN.md §2; the grammar is in docs/log-format.md). Each
// partition has its own offsets, dense from 0: a batch with base offset B and
// count N holds offsets B..B+N-1 and the next batch starts at B+N. A batch's
// payload is N events, each one JSON object on one line ending in '\n'.
//
// append() writes a group of batches (any partitions) and, optionally, the
// cursor of the source they came from, all or nothing, and returns only once
// they are durable. Readers never see a partial group. Backends: the embedded
// SQLite log (embedded_log.h, the default) and Kafka (later).
//
// Errors: kCorruption when stored bytes fail their CRC, their line count or
// offset continuity (never folded: the reader stops there); kBusy when another
// writer holds the log; kIoError for the storage. Threading: one writer at a
// time per log; BatchReaders are independent and may run on other threads
// than the writer, one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"

namespace dimona {

using Offset = uint64_t;

// A batch to append: its events, already encoded, one per line.
struct BatchDraft {
  uint32_t partition = 0;
  uint32_t count = 0;
  Instant first_recorded_at;
  Instant last_recorded_at;
  std::string payload;
};

// A batch as stored.
struct RecordBatch {
  uint32_t partition = 0;
  Offset base_offset = 0;
  uint32_t count = 0;
  Instant first_recorded_at;
  Instant last_recorded_at;
  uint32_t crc = 0;  // crc32c of the header fields and the payload (batch_crc)
  std::string payload;

  Offset end_offset() const { return base_offset + count; }
};

// The CRC a batch carries: crc32c over partition, base offset, count, both
// instants (little-endian) and the payload. Same function when written and read.
uint32_t batch_crc(uint32_t partition, Offset base_offset, uint32_t count, Instant first,
                   Instant last, std::string_view payload);

// The partition of a citizen's events: mix64(ssin) mod partitions; events
// without a citizen (ssin 0) go to partition 0. Writers and readers agree on
// this one function.
uint32_t partition_for(uint64_t ssin, uint32_t partitions);

// How far a batch source (an NDJSON file) has been appended; written in the
// same transaction as the batches it produced, so a resumed ingest starts
// exactly after its last durable commit.
struct SourceCursor {
  std::string source_id;   // a fingerprint of the file's content
  uint64_t lines = 0;      // lines consumed
  uint64_t bytes = 0;      // bytes consumed (always at a line boundary)
  uint32_t prefix_crc = 0; // crc32c of those bytes, to detect a changed file
};

class BatchReader {
 public:
  virtual ~BatchReader() = default;
  // The next batch in offset order, verified; false at the end of what was
  // durable when the reader was opened.
  virtual Result<bool> next(RecordBatch* out) = 0;
};

struct PartitionSummary {
  uint32_t partition = 0;
  uint64_t batches = 0;
  Offset end_offset = 0;
  std::optional<Instant> first_recorded_at;
  std::optional<Instant> last_recorded_at;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  virtual uint32_t partition_count() const = 0;
  // The offset the next appended event of `partition` will get.
  virtual Result<Offset> end_offset(uint32_t partition) = 0;
  // Appends `drafts` atomically and durably; returns each draft's base offset.
  virtual Result<std::vector<Offset>> append(std::span<const BatchDraft> drafts,
                                             const SourceCursor* cursor) = 0;
  // Batches of `partition` that contain offsets >= `from`.
  virtual Result<std::unique_ptr<BatchReader>> read(uint32_t partition, Offset from) = 0;
  virtual Result<std::optional<SourceCursor>> source_cursor(std::string_view source_id) = 0;
  // Batch counts, offsets and time range per partition, from the index (no payload read).
  virtual Result<std::vector<PartitionSummary>> summary() = 0;
};

// Events that share an eventId, which DESIGN.md §4 makes unique (the
// idempotency key): the same declaration or action id ("dcl-", "act-") twice
// anywhere in the log, or any other id (a quota definition, written once in
// every partition) twice in one partition. A log holds one only when two
// writers appended beside each other, or a batch was copied by hand; the fold
// applies such an event twice. Lines without an eventId are not counted.
struct DuplicateEvents {
  uint64_t events = 0;      // event lines read
  uint64_t duplicates = 0;  // events whose id an earlier event already has
  std::vector<std::string> ids;  // the ids concerned, at most limits::duplicate_ids_reported_max
};

// Reads every partition once (8 bytes of memory per event), and a second time
// only when two ids hash alike. Errors: the reader's (kCorruption, kIoError).
Result<DuplicateEvents> find_duplicate_events(EventLog& log);

}  // namespace dimona
