// KeyedTable: a small table of keys to values kept with a Log and shared by
// every process that opens the same log: the Kafka way of a look-up that
// crosses partitions, a compacted topic keyed by the id (issue 11, item 2),
// and, in the same shape, the embedded log's and the memory log's own.
//
// Contract. Log::open_table(name) opens the table `name` of the log
// (letters, digits, '.', '-', '_'; 1..limits::keyed_table_name_bytes_max
// bytes), creating it when missing. put(key, value) is durable when it
// returns ok (Kafka: acks=all; sqlite: fsynced), and the latest put of a
// key wins everywhere (a compacted topic keeps at least the latest record
// of each key). An empty value is a tombstone (a null record value on
// Kafka): get() no longer finds the key; erasing an absent key is no error.
// put_all(rows) puts each row in order and is durable when it returns ok,
// as one write (memory: under one lock; sqlite: one transaction, all or
// nothing; Kafka: every record produced, then one wait for all their
// acknowledgements; kUnavailable then means some may be stored: putting
// them all again is harmless); a bad row refuses the call before any is
// written. get(key) finds a key this object put, or any process put before the
// get() started (and did not erase): on a miss it reads the table's new
// records first (Kafka: up to the end offset it asks for;
// sqlite: the row; memory: the shared map). A hit on Kafka answers from the
// table as this object last read it (memory and sqlite read the current
// value every time): a key another process changed or erased since shows
// its new value after refresh(), so a look-up whose value changes (the
// owner of a partition) refreshes first. refresh() reads what others put
// since; for_each() walks, in key order (bytes, unsigned), what the last
// refresh() read plus this object's puts since (Kafka: also what open and
// get() read). Keys are 1..limits::keyed_table_key_bytes_max bytes, values
// at most limits::keyed_table_value_bytes_max, both bytes (not text).
// Backends: memory (a map per table name, shared by every open of
// memory:NAME in the process, thread-safe), sqlite (table `keyed` in the
// log's own file, docs/log-format.md; a connection per table object), Kafka
// (topic TOPIC.NAME, one partition, cleanup.policy=compact, the log's
// replication factor; key and value as the record's key and value, so any
// Kafka client can read it; the whole table held in memory, read at open;
// docs/kafka.md "Keyed tables"). Errors as values: kInvalidArgument (a bad
// name, key or value; a topic name past Kafka's 249 characters),
// kUnavailable (a broker cannot be reached or did not acknowledge within
// LogOptions::delivery_timeout_ms: such a put may still have been stored,
// putting it again is harmless), kFailedPrecondition (Kafka: a table topic
// that cannot be created, or that has more than one partition), kIoError
// (the embedded file, past LogOptions::size_limit_bytes too), kCorruption
// (Kafka: a record without a key, or larger than the limits; the read stops
// before it, and each refresh() reports it again). Not thread-safe: one
// thread uses a table object; open one per thread. The table must be
// destroyed before its Log.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "engine/base/status.h"

namespace dimona {

class KeyedTable {
 public:
  virtual ~KeyedTable() = default;
  using Row = std::pair<std::string, std::string>;

  virtual Status put(std::string_view key, std::string_view value) = 0;
  // Every row, durable together; the default (for a table that has no better
  // way) checks nothing itself and puts them one by one.
  virtual Status put_all(std::span<const Row> rows) {
    for (const Row& row : rows) DIMONA_TRY(put(row.first, row.second));
    return Status::ok();
  }
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  virtual Status refresh() = 0;
  virtual void for_each(const std::function<void(std::string_view key, std::string_view value)>& f) const = 0;
};

}  // namespace dimona
