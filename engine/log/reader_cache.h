// The reader cache: a local copy of a remote log's records, for reads by offset.
//
// Contract. with_reader_cache(inner, path) returns a Log that is `inner` in every respect (its
// partitions, URI, producers, consumers, groups and tables) except the consumers of open_reader():
// their read_at(p, offsets, f) hands f records read from the SQLite file at `path` when every
// wanted offset is there, the same records field for field as inner would hand (offset,
// recordedAt, schema version, epoch, event id, key, type, source, payload); any other read goes to
// inner, as does every other call of those consumers. A mirror thread copies inner's records into
// the file: it follows every partition from where its copy ends, one SQLite transaction per poll,
// so the file holds for each partition one range [first, end) of offsets and, inside it, every
// record the log has. A copy starts at offset 0 (the ledger's topic keeps every record:
// docs/operations.md, retention).
//
// Why. On Kafka a read by offsets is a seek and a fetch for each run of offsets, with every record
// between them fetched and parsed: one citizen's past took a p99 of ~20 ms at 2 000 students.
// From a local file it is one B-tree look-up per record (issue 12 item 4; docs/audit.md, "One
// citizen"; docs/kafka.md, "The reader cache"). The embedded log needs none: it is local already.
//
// Trust. A log's record at an offset never changes, so a copy stays true while it is of the same
// log. The file names its log (URI and partition count, and its own format): a file of another
// log, or one this cache cannot read as its own (not a database, tables of another shape), is
// removed and made again when opened. Before a partition's copy answers reads, and again after
// any failure of the mirror, the mirror compares the copy's first and last records with the log's
// records at those offsets: a copy that differs at either (a topic deleted and made again), or
// whose range the file cannot hold, is emptied and copied again; a log that ends before the copy
// but agrees at its own end (a new leader catching up) is checked again later. A log that goes
// back while followed (an offset handed twice) has every copy checked again. A read is answered
// from the copy only if the copy was usable before it and still is after it, with no check or
// emptying between (CacheState::withdraw). A cache that fails (a read error, a row that does not
// decode, a wanted offset not in the file) never fails a read: the read goes to inner, and
// stats() counts it.
//
// Durability. A cache (WAL, synchronous=NORMAL): a crash may lose its last transactions, never
// leaves the file inconsistent; deleting it while no process has it open is safe.
//
// Threading and ownership: Log's contract. The mirror runs on a thread of its own from
// with_reader_cache() until the returned Log is destroyed (it is stopped and its consumer closed
// before `inner` is); each reader has its own read-only connection. The mirror retries failures
// (the log unreachable) every limits::reader_cache_retry_ms and says so on stderr once per new
// message, never with a record's key or payload. Limits: engine/base/limits.h, "Reader cache".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/log/log.h"

namespace dimona {

struct ReaderCacheStats {
  uint64_t hits = 0;              // read_at calls answered from the file
  uint64_t misses = 0;            // read_at calls that went to the log
  uint64_t records_copied = 0;    // by the mirror, since the cache was opened
  uint64_t partitions_reset = 0;  // copies emptied because the log differed
};

class ReaderCacheLog : public Log {
 public:
  virtual ReaderCacheStats stats() const = 0;
  // Copies these partitions only from now on (empty: every one, as at the start): a member of a
  // consumer group copies what it holds. The others' copies stay in the file but stop answering
  // reads (their reads go to the log) until copied again.
  virtual void copy_only(std::vector<uint32_t> partitions) = 0;
  // Waits until every partition p with ends[p] > 0 has a copy that reaches ends[p] and may
  // answer reads (ends.size() == partitions()): true, or false after `timeout`. For tests and
  // benchmarks.
  virtual bool wait_copied(std::span<const Offset> ends, std::chrono::milliseconds timeout) const = 0;
};

// The stats of `log` when it is a reader cache's (with_reader_cache()), else none.
std::optional<ReaderCacheStats> reader_cache_stats_of(const Log& log);

// kIoError / kCorruption when the file cannot be opened nor made again (a folder not writable);
// kInvalidArgument for an inner log with more partitions than the file's keys hold
// (limits::reader_cache_partitions_max). On failure `inner` is closed.
Result<std::unique_ptr<ReaderCacheLog>> with_reader_cache(std::unique_ptr<Log> inner, const std::string& path);

}  // namespace dimona
