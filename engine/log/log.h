// The log seam: the shape Kafka imposes (DESIGN.md §2, docs/kafka.md).
//
// Contract. A Log is a topic of events split into partitions. A LogProducer
// appends batches of already encoded events to ONE partition and learns the
// offsets the log assigned; a LogConsumer is assigned partitions, seeks to an
// offset or to an instant, and polls batches with a timeout. Nothing spans
// partitions: there is no atomic append across partitions, and no source
// cursor written with the events (each event carries its own source position
// in its payload; docs/kafka.md).
//
// Offsets. Each partition's offsets start at 0 and only grow; append()
// returns one offset per record, in order, strictly increasing. A partition
// written by one producer at a time (the fence below) has dense offsets:
// the next append starts at the previous one's last offset + 1.
//
// Durability. append() returns once every record of the batch is durable by
// the backend's standard (memory: in the Log object; Kafka: acknowledged by
// all in-sync replicas, acks=all) or with an error. After an error the
// acknowledged records are remembered by the session (a retry of the same
// batch skips them); the others were refused, or (kUnavailable after the
// delivery timeout, LogOptions::delivery_timeout_ms) their fate is unknown:
// Kafka cannot say whether a purged in-flight record was written, so a retry
// may store such a record a second time, at a new offset. A writer that must
// not double re-reads its partition's tail first (issue 11, item 3).
//
// Idempotence, exactly what is guaranteed: within ONE producer session (one
// LogProducer object), a record whose event id was appended by that session
// (among its last limits::log_producer_event_ids_remembered) is not appended
// again; append() reports the offset it got the first time, and counts it as
// a duplicate. The same holds for an event id repeated inside one batch.
// Kafka's idempotent producer adds that its own internal retries never
// duplicate nor reorder. Across sessions nothing is deduplicated by the log:
// a writer that restarts finds its last source position in the tail of its
// partition and resumes after it (issue 11, item 3).
//
// Fence: one producer per partition at a time. open_producer() for a
// partition another live producer holds returns kBusy ("partition 3 is held
// by another producer"). The memory backend fences within its store; the
// Kafka backend fences within the process (all Logs on the same bootstrap
// address and topic); the embedded backend within the process (all Logs on
// the same file) and, across processes, optimistically: an append finds the
// partition's end where its producer left it, or fails whole with
// kFailedPrecondition. Across processes on Kafka (no transactions: the mock
// has none) a writer fences by epoch (fences_writers(); docs/kafka.md,
// "Fencing a zombie"): LogProducer::fence() appends a fence record and its
// offset F becomes the producer's epoch, carried by every record it appends
// afterwards (LogRecord::epoch; the dimona.epoch header). Offsets are
// unique and ordered by the log, so two claimants never share an epoch and
// the later fence wins. A record is valid iff its epoch is the offset of the
// latest fence before it in its partition (a record without an epoch: while
// no fence precedes it); FenceFilter (engine/log/fence.h) is that rule, and
// every fold reads through it, so a zombie's record appended after a newer
// fence is dropped by every reader alike. Fence records are no events. The
// embedded log writes neither fences nor epochs (its file format is unchanged).
//
// recordedAt is non-decreasing within a partition; append() refuses a record
// earlier than the partition's last one with kInvalidArgument (a Kafka
// producer reads the partition's last record when it opens).
// seek_to_instant(p, T) positions at the first offset whose recordedAt >= T
// (microsecond exact on every backend; Kafka's offsetsForTimes works in
// milliseconds, the backend refines), or at the partition's end.
//
// Ownership and threading. A Log owns its connection settings; producers and
// consumers it opens must be destroyed before it. Each LogProducer and each
// LogConsumer is used by one thread at a time; different ones may run on
// different threads. Log's own methods are safe to call from any thread.
//
// Errors, as values: kInvalidArgument (a bad URI, partition out of range, an
// event larger than limits::event_bytes_max, a batch over the batch limits,
// recordedAt going back), kBusy (the fence), kUnavailable (a broker cannot be
// reached or did not acknowledge within limits::kafka_delivery_timeout_ms),
// kFailedPrecondition (a topic that cannot be created; an embedded log file
// of another format version; another writer appended to the partition),
// kNotFound (an embedded log file missing and not to be created),
// kCorruption (a record without the headers this seam writes, a malformed
// dimona.epoch header; an embedded
// batch failing its checks, docs/log-format.md), kIoError (an embedded log
// past options.size_limit_bytes: "database or disk is full"). Limits: engine/base/limits.h, "Log seam and Kafka".
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/log/group.h"
#include "engine/log/keyed_table.h"

namespace dimona {

using Offset = uint64_t;

// LogRecord::epoch of a record appended by a producer that did not fence
// (before fencing existed, the embedded log, a memory log without fences).
inline constexpr Offset kNoEpoch = ~Offset{0};
// LogRecord::epoch of a fence record itself (LogProducer::fence()).
inline constexpr Offset kFenceEpoch = ~Offset{0} - 1;
// The type of a fence record (dimona.eventType on Kafka); its payload is empty.
inline constexpr std::string_view kFenceRecordType = "dimona.fence";

// One event to append, already encoded. Views: valid during append() only.
struct LogRecordDraft {
  std::string_view event_id;     // the idempotency key ("dcl-…", "act-…")
  std::string_view key;          // the partition key: the SSIN's 11 digits, or empty
  std::string_view type;         // the event type's name (a record header on Kafka)
  uint32_t schema_version = 0;   // (a record header on Kafka)
  Instant recorded_at;           // ledger time; the record's timestamp on Kafka
  std::string_view payload;      // the encoded event, one JSON object, no '\n' needed
  // Where the event came from, as the writer resumes from it after a crash
  // (opaque to the log, at most limits::log_source_bytes_max bytes, may be
  // empty): a record header on Kafka (dimona.source), a field of the record
  // on the embedded log. docs/kafka.md "Exactly once".
  std::string_view source;
};

// One event as read back.
struct LogRecord {
  uint32_t partition = 0;
  Offset offset = 0;
  Instant recorded_at;
  uint32_t schema_version = 0;
  std::string event_id;
  std::string key;
  std::string type;
  std::string payload;
  std::string source;  // as appended (LogRecordDraft::source)
  // The epoch its producer appended it under (the offset of that producer's
  // fence), kNoEpoch when it had none, kFenceEpoch for a fence record.
  Offset epoch = kNoEpoch;
  bool is_fence() const { return epoch == kFenceEpoch; }
};

// One record as read back by LogConsumer::poll_views(): LogRecord's fields, its texts views into
// the consumer's buffers (valid until that consumer's next poll_views, poll, seek, assign, recycle
// or release_recycled), so that a bulk read copies no record's bytes.
struct LogRecordView {
  uint32_t partition = 0;
  Offset offset = 0;
  Instant recorded_at;
  uint32_t schema_version = 0;
  std::string_view event_id;
  std::string_view key;
  std::string_view type;
  std::string_view payload;
  std::string_view source;
  Offset epoch = kNoEpoch;
  bool is_fence() const { return epoch == kFenceEpoch; }
};

// What one append() did: offsets[i] is the offset of records[i].
struct AppendOutcome {
  std::vector<Offset> offsets;
  uint32_t duplicates = 0;  // records skipped because their event id was already appended
};

class LogProducer {
 public:
  virtual ~LogProducer() = default;
  virtual uint32_t partition() const = 0;
  // Appends the records in order to partition(); see the contract above.
  virtual Result<AppendOutcome> append(std::span<const LogRecordDraft> records) = 0;
  // Appends a fence record (type kFenceRecordType, the partition's last
  // recordedAt, an empty payload) and returns its offset F; every record
  // appended afterwards carries epoch F. Called at most once, before any
  // append. kFailedPrecondition on a log that does not fence by epoch
  // (Log::fences_writers() false).
  virtual Result<Offset> fence() {
    return failed_precondition("this log does not fence writers by epoch");
  }
};

class LogConsumer {
 public:
  virtual ~LogConsumer() = default;
  // Replaces the assignment; each partition starts at offset 0 (its start).
  virtual Status assign(std::span<const uint32_t> partitions) = 0;
  // The next poll() returns partition's records from offset; past the end is the end
  // (it waits there for the next append).
  virtual Status seek(uint32_t partition, Offset offset) = 0;
  // The next poll() returns partition's records from the first with recordedAt >= at.
  virtual Status seek_to_instant(uint32_t partition, Instant at) = 0;
  // Appends to out up to max_records of the assigned partitions' next records
  // (each partition's in offset order) and returns how many; waits up to
  // timeout for the first one, 0 when none came in time. max_records >= 1;
  // at most limits::log_poll_records_max are returned.
  virtual Result<size_t> poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout,
                              size_t max_records) = 0;
  // poll(), the records as views (LogRecordView: valid until this consumer's next poll_views,
  // poll, seek, assign, recycle or release_recycled), for a reader that is done with each
  // record before it polls again (a fold). It may return more than max_records, up to the end
  // of the stored batch that reaches it (at most max_records + limits::batch_events_max - 1):
  // whole batches are decoded without a copy of any record's bytes. Default: poll() into
  // records this consumer keeps, seen through views.
  virtual Result<size_t> poll_views(std::vector<LogRecordView>& out, std::chrono::milliseconds timeout,
                                    size_t max_records);
  // The offset the next appended record of partition will get (the high watermark).
  virtual Result<Offset> end_offset(uint32_t partition) = 0;
  // Empties `records` (records this consumer's poll delivered, read and done with), keeping
  // their buffers for the next polls where the backend can: a long read then copies each record
  // into buffers it already has rather than allocating five strings a record, until
  // release_recycled() frees what is kept, the buffers of poll_views() and any cache the backend
  // can drop (the embedded log's SQLite page cache) (read_partition and read_partition_views:
  // when the read ends, so an idle consumer holds none). Default: clear(), and nothing kept.
  virtual void recycle(std::vector<LogRecord>& records) { records.clear(); }
  virtual void release_recycled() { release_viewed(); }
  // Hands f the records of partition at `offsets` (strictly increasing), in order: a read by
  // offsets (a citizen's events, docs/audit.md "One citizen"), not a tail. Replaces the
  // assignment (partition alone); seek before polling after it. kInvalidArgument for a partition
  // out of range; kFailedPrecondition ("partition 3 has no offset 42") when an offset is at or past the
  // partition's end; stops at f's first error and returns it. Default: a seek and a poll for
  // each run of offsets at most limits::citizen_history_gap_records apart, the records between
  // them read through (on Kafka a seek is a fetch round trip); the embedded log reads each batch
  // holding a wanted offset once, in one read transaction, and decodes only the wanted frames.
  virtual Status read_at(uint32_t partition, std::span<const Offset> offsets,
                         const std::function<Status(LogRecord&)>& f);

 protected:
  // Frees the records the default poll_views() keeps: an override of release_recycled() calls it.
  void release_viewed() { std::vector<LogRecord>().swap(viewed_); }

 private:
  std::vector<LogRecord> viewed_;  // the records the default poll_views() hands out as views
};

// A record seen through a view (its strings' bytes stay the record's).
LogRecordView view_of(const LogRecord& record);

// kFailedPrecondition "partition P has no offset O": a read at or past a partition's end
// (LogConsumer::read_at's refusal, on every backend).
Status no_such_offset(uint32_t partition, Offset offset);

// Frees a consumer's recycled buffers (LogConsumer::release_recycled) when it goes out of
// scope: a long read's buffers go with the read, whatever way it ends.
class ReleaseRecycledOnExit {
 public:
  explicit ReleaseRecycledOnExit(LogConsumer& consumer) : consumer_(consumer) {}
  ~ReleaseRecycledOnExit() { consumer_.release_recycled(); }
  ReleaseRecycledOnExit(const ReleaseRecycledOnExit&) = delete;
  ReleaseRecycledOnExit& operator=(const ReleaseRecycledOnExit&) = delete;

 private:
  LogConsumer& consumer_;
};

class Log {
 public:
  virtual ~Log() = default;
  virtual uint32_t partitions() const = 0;
  // "memory:name", "kafka://127.0.0.1:9092/dimona.events" (no credentials in it).
  virtual std::string uri() const = 0;
  virtual Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) = 0;
  virtual Result<std::unique_ptr<LogConsumer>> open_consumer() = 0;
  // A consumer for reads at chosen places (a citizen's offsets, a search by
  // instant, one event): each a seek and a short read, never a tail followed.
  // The same contract as open_consumer(); only its waiting differs. On Kafka its
  // fetches at a partition's end are answered after kafka_reader_fetch_wait_ms,
  // not held open for new records, since the next seek, watermark query and
  // fetch on its connection wait behind a fetch held open (a tail follower's
  // 100 ms made one citizen's past 250-300 ms). Default: open_consumer().
  virtual Result<std::unique_ptr<LogConsumer>> open_reader() { return open_consumer(); }
  // True when appends to different partitions, from different threads, run
  // side by side (Kafka: each waits for its own acknowledgements); false when
  // the backend serialises them anyway (the embedded log's one write lock).
  virtual bool parallel_appends() const { return false; }
  // True when a writer must fence its partitions by epoch (LogProducer::fence(),
  // the contract's "Fence"): Kafka; memory with LogOptions::memory_fences_writers.
  virtual bool fences_writers() const { return false; }
  // Membership in a consumer group over this log's partitions (group.h).
  virtual Result<std::unique_ptr<GroupMember>> join_group(const GroupOptions& options, GroupCallbacks callbacks);
  // True when join_group() works, so several writers may share this log's
  // partitions (memory, Kafka; the embedded log has one writer).
  virtual bool has_groups() const { return false; }
  // The keyed table `name` kept with this log (keyed_table.h).
  virtual Result<std::unique_ptr<KeyedTable>> open_table(std::string_view name);
};

struct LogOptions {
  // The partition count of a topic the log creates; an existing topic keeps its own.
  uint32_t partitions = limits::partitions_default;
  // Kafka: replication factor of a topic the log creates (3 on a real cluster).
  int16_t replication_factor = 1;
  // Kafka: how long append() waits for the brokers' acknowledgements (delivery.timeout.ms).
  int delivery_timeout_ms = limits::kafka_delivery_timeout_ms;
  // Create a missing log (sqlite: the file; Kafka: the topic, with
  // `partitions`); otherwise a missing one is kNotFound. memory: always exists.
  bool create_if_missing = true;
  // Embedded: how long an append waits for another connection's write lock.
  int busy_timeout_ms = limits::sqlite_busy_timeout_ms;
  // Embedded: caps the file at about this many bytes (0: no cap); an append
  // past it fails with kIoError "database or disk is full" and stores
  // nothing, exactly as a full disk does (operators bounding the log; the
  // full-disk recovery tests).
  uint64_t size_limit_bytes = 0;
  // Stamps the log's creation time (embedded); null means the system clock.
  const Clock* clock = nullptr;
  // Memory: fence writers by epoch as Kafka does (fences_writers()), so that
  // the suites cover fencing without a broker. Kafka always does; the embedded log never.
  bool memory_fences_writers = false;
  // TESTS ONLY. open_producer() skips the in-process fence (kBusy), so that
  // one process can hold two producers of a partition as two processes can:
  // the zombie tests (memory and Kafka; the embedded log ignores it).
  bool test_only_skip_in_process_fence = false;
};

// Opens a log from its URI:
//   memory:            a fresh in-memory log, private to the returned object
//   memory:NAME        an in-memory log shared by every open of NAME in this
//                      process, kept until the process ends (tests: a restart)
//   kafka://HOST:PORT/TOPIC   librdkafka; the topic is created with
//                      options.partitions when missing
//   sqlite:PATH        the embedded log, one SQLite file (docs/log-format.md)
Result<std::unique_ptr<Log>> open_log(std::string_view uri, const LogOptions& options);

// The partition of a key, as the Java client's default partitioner and
// librdkafka's murmur2_random choose it: (murmur2(key) & 0x7fffffff) mod
// partitions; an empty key goes to partition 0 (murmur2_random would pick
// one at random; the ledger's keyless events need one fixed place).
uint32_t partition_for_key(std::string_view key, uint32_t partitions);

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c.
uint32_t kafka_murmur2(std::string_view bytes);

}  // namespace dimona
