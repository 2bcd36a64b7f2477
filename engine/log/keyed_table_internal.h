// What the backends of the keyed tables (keyed_table.h) share: the checks of
// the contract (a table's name, a key, a value), the view a table object
// keeps (what for_each walks), and each backend's factory.
//
// Contract. Internal to engine/log (not included outside it). The checks
// return kInvalidArgument naming what is wrong, never the bytes of a key or
// a value (a key may be an SSIN). TableView is a plain map in key order (byte
// order, as SQLite compares BLOBs), used by its table object's thread only.
// MemoryTables is the shared store of one memory log: every method locks it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "engine/log/keyed_table.h"
#include "engine/log/log.h"

namespace dimona::log_internal {

// Letters, digits, '.', '-', '_'; 1..limits::keyed_table_name_bytes_max bytes.
Status check_table_name(std::string_view name);
// 1..limits::keyed_table_key_bytes_max bytes.
Status check_table_key(std::string_view table, std::string_view key);
// check_table_key, and a value of at most limits::keyed_table_value_bytes_max bytes (empty: a tombstone).
Status check_table_entry(std::string_view table, std::string_view key, std::string_view value);

// The table as a table object last read it, plus its own puts.
class TableView {
 public:
  // A put or a record read: an empty value erases the key.
  void apply(std::string_view key, std::string_view value);
  std::optional<std::string> find(std::string_view key) const;
  void replace(std::map<std::string, std::string, std::less<>> entries) { entries_ = std::move(entries); }
  void for_each(const std::function<void(std::string_view, std::string_view)>& f) const;

 private:
  std::map<std::string, std::string, std::less<>> entries_;
};

// The keyed tables of one in-memory store (memory:NAME), shared by its Logs.
struct MemoryTables {
  std::mutex mutex;
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> tables;
};

Result<std::unique_ptr<KeyedTable>> open_memory_table(std::shared_ptr<MemoryTables> tables, std::string_view name);

// The table `name` in the embedded log's file at path (sqlite_log.cc), on a
// connection of its own with the log's busy timeout and size cap.
Result<std::unique_ptr<KeyedTable>> open_sqlite_table(const std::string& path, int busy_timeout_ms,
                                                      uint64_t size_limit_bytes, std::string_view name);

// The table `name` of the Kafka log on log_topic: topic "log_topic.name" (kafka_table.cc).
Result<std::unique_ptr<KeyedTable>> open_kafka_table(const std::string& bootstrap, const std::string& log_topic,
                                                     int16_t replication_factor, int delivery_timeout_ms,
                                                     std::string_view name);

}  // namespace dimona::log_internal
