// KeyedTable: a small table of keys to values kept with a Log and shared by
// every process that opens the same log: the Kafka way of a look-up that
// crosses partitions, a compacted topic keyed by the id (issue 11, item 2),
// and, in the same shape, the embedded log's and the memory log's own.
//
// Contract. Log::open_table(name) opens the table `name` of the log
// (letters, digits, '.', '-', '_'; at most limits::keyed_table_name_bytes_max
// bytes), creating it when missing. put(key, value) is durable when it
// returns ok (Kafka: acks=all), and the latest put of a key wins everywhere
// (a compacted topic keeps at least the latest record of each key). An
// empty value is a tombstone: get() no longer finds the key. get(key) sees
// every put this object made, and every put any process made before the
// get() started: on a miss it reads the table's new records first (Kafka:
// up to the end offset it asks for; sqlite: the row). refresh() reads what
// others put since, and for_each() walks the table as last read, in key
// order. Keys are 1..limits::keyed_table_key_bytes_max bytes, values at
// most limits::keyed_table_value_bytes_max. Backends: memory (shared by
// every open of memory:NAME in the process), sqlite (a table in the log's
// own file), Kafka (topic TOPIC.NAME, one partition, cleanup.policy=compact,
// the log's replication factor; key and value as the record's key and
// value, so any Kafka client can read it). Errors as values:
// kInvalidArgument (a bad name, key or value), kUnavailable (a broker
// cannot be reached), kIoError (the embedded file), kCorruption (a record
// without a key). Not thread-safe: one thread uses a table object; open one
// per thread. The table must be destroyed before its Log.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace dimona {

class KeyedTable {
 public:
  virtual ~KeyedTable() = default;
  virtual Status put(std::string_view key, std::string_view value) = 0;
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  virtual Status refresh() = 0;
  virtual void for_each(const std::function<void(std::string_view key, std::string_view value)>& f) const = 0;
};

}  // namespace dimona
