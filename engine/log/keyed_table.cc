// The keyed tables' shared checks and view, and the memory backend: a map
// per table in the memory store, shared by every open of memory:NAME.
#include <functional>

#include "engine/base/limits.h"
#include "engine/log/keyed_table_internal.h"

namespace dimona::log_internal {

Status check_table_name(std::string_view name) {
  if (name.empty() || name.size() > limits::keyed_table_name_bytes_max) {
    return invalid_argument("a keyed table's name has 1.." + std::to_string(limits::keyed_table_name_bytes_max) +
                            " bytes");
  }
  for (char c : name) {
    bool legal =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!legal) return invalid_argument("a keyed table's name is made of [a-zA-Z0-9._-]");
  }
  return Status::ok();
}

Status check_table_key(std::string_view table, std::string_view key) {
  if (key.empty() || key.size() > limits::keyed_table_key_bytes_max) {
    return invalid_argument("a key of table " + std::string(table) + " has 1.." +
                            std::to_string(limits::keyed_table_key_bytes_max) + " bytes, not " +
                            std::to_string(key.size()));
  }
  return Status::ok();
}

Status check_table_entry(std::string_view table, std::string_view key, std::string_view value) {
  DIMONA_TRY(check_table_key(table, key));
  if (value.size() > limits::keyed_table_value_bytes_max) {
    return invalid_argument("a value of table " + std::string(table) + " has at most " +
                            std::to_string(limits::keyed_table_value_bytes_max) + " bytes, not " +
                            std::to_string(value.size()));
  }
  return Status::ok();
}

void TableView::apply(std::string_view key, std::string_view value) {
  if (value.empty()) {
    if (auto it = entries_.find(key); it != entries_.end()) entries_.erase(it);
    return;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), std::string(value));
  } else {
    it->second.assign(value);
  }
}

std::optional<std::string> TableView::find(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void TableView::for_each(const std::function<void(std::string_view, std::string_view)>& f) const {
  for (const auto& [key, value] : entries_) f(key, value);
}

namespace {

// get() reads the shared map (always current); the view holds the last
// refresh() and this object's puts, for for_each().
class MemoryTable final : public KeyedTable {
 public:
  MemoryTable(std::shared_ptr<MemoryTables> tables, std::string name)
      : tables_(std::move(tables)), name_(std::move(name)) {}

  Status put(std::string_view key, std::string_view value) override {
    const Row row{std::string(key), std::string(value)};
    return put_all(std::span<const Row>(&row, 1));
  }

  // Every row under one lock: others see all of them or none.
  Status put_all(std::span<const Row> rows) override {
    for (const Row& row : rows) DIMONA_TRY(check_table_entry(name_, row.first, row.second));
    {
      std::lock_guard lock(tables_->mutex);
      auto& entries = shared();
      for (const auto& [key, value] : rows) {
        if (value.empty()) {
          if (auto it = entries.find(key); it != entries.end()) entries.erase(it);
        } else {
          entries.insert_or_assign(key, value);
        }
      }
    }
    for (const Row& row : rows) view_.apply(row.first, row.second);
    return Status::ok();
  }

  Result<std::optional<std::string>> get(std::string_view key) override {
    DIMONA_TRY(check_table_key(name_, key));
    std::lock_guard lock(tables_->mutex);
    auto& entries = shared();
    auto it = entries.find(key);
    if (it == entries.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status refresh() override {
    std::map<std::string, std::string, std::less<>> copy;
    {
      std::lock_guard lock(tables_->mutex);
      copy = shared();
    }
    view_.replace(std::move(copy));
    return Status::ok();
  }

  void for_each(const std::function<void(std::string_view, std::string_view)>& f) const override { view_.for_each(f); }

 private:
  // The table's shared entries (call with the mutex held; open_memory_table created them).
  std::map<std::string, std::string, std::less<>>& shared() {
    auto it = tables_->tables.find(name_);
    DIMONA_ASSERT(it != tables_->tables.end());
    return it->second;
  }

  std::shared_ptr<MemoryTables> tables_;
  std::string name_;
  TableView view_;
};

}  // namespace

Result<std::unique_ptr<KeyedTable>> open_memory_table(std::shared_ptr<MemoryTables> tables, std::string_view name) {
  DIMONA_TRY(check_table_name(name));
  {
    std::lock_guard lock(tables->mutex);
    tables->tables.try_emplace(std::string(name));
  }
  return std::unique_ptr<KeyedTable>(std::make_unique<MemoryTable>(std::move(tables), std::string(name)));
}

}  // namespace dimona::log_internal
