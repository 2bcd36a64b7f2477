// The in-memory backend of the log seam: the reference the conformance suite
// holds the other backends to. A Store is the topic; producers and consumers
// share it through a shared_ptr, so a named store outlives its Logs.
#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

#include "engine/base/limits.h"
#include "engine/log/keyed_table_internal.h"
#include "engine/log/log_internal.h"

namespace dimona::log_internal {
namespace {

struct Store {
  explicit Store(uint32_t partition_count) : partitions(partition_count), held(partition_count) {}
  std::mutex mutex;
  std::condition_variable appended;
  std::vector<std::vector<LogRecord>> partitions;
  std::vector<bool> held;  // the fence: a live producer per partition
  std::shared_ptr<MemoryTables> tables = std::make_shared<MemoryTables>();  // keyed_table.cc
};

std::shared_ptr<Store> named_store(std::string_view name, uint32_t partitions) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<Store>, std::less<>> stores;
  std::lock_guard lock(mutex);
  auto it = stores.find(name);
  if (it != stores.end()) return it->second;
  auto store = std::make_shared<Store>(partitions);
  stores.emplace(std::string(name), store);
  return store;
}

class MemoryProducer final : public LogProducer {
 public:
  MemoryProducer(std::shared_ptr<Store> store, uint32_t partition, bool fences, bool holds)
      : store_(std::move(store)), partition_(partition), fences_(fences), holds_(holds) {}
  ~MemoryProducer() override {
    if (!holds_) return;
    std::lock_guard lock(store_->mutex);
    store_->held[partition_] = false;
  }

  Result<Offset> fence() override {
    if (!fences_) return LogProducer::fence();
    DIMONA_ASSERT(epoch_ == kNoEpoch);  // once, before any append (log.h)
    std::lock_guard lock(store_->mutex);
    std::vector<LogRecord>& partition = store_->partitions[partition_];
    const Offset offset = partition.size();
    LogRecord r{partition_, offset, partition.empty() ? Instant{} : partition.back().recorded_at, 0,
                "fence-" + std::to_string(partition_) + "-" + std::to_string(offset), "",
                std::string(kFenceRecordType), "", ""};
    r.epoch = kFenceEpoch;
    partition.push_back(std::move(r));
    epoch_ = offset;
    store_->appended.notify_all();
    return offset;
  }
  uint32_t partition() const override { return partition_; }

  Result<AppendOutcome> append(std::span<const LogRecordDraft> records) override {
    std::lock_guard lock(store_->mutex);
    std::vector<LogRecord>& partition = store_->partitions[partition_];
    Instant last = partition.empty() ? Instant{} : partition.back().recorded_at;
    DIMONA_TRY(validate_batch(records, last));
    std::vector<size_t> first = first_occurrences(records);
    AppendOutcome outcome;
    outcome.offsets.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      const LogRecordDraft& draft = records[i];
      std::optional<Offset> earlier = first[i] != i ? std::optional(outcome.offsets[first[i]])
                                                    : session_.offset_of(draft.event_id);
      if (earlier) {
        outcome.offsets.push_back(*earlier);
        ++outcome.duplicates;
        continue;
      }
      Offset offset = partition.size();
      partition.push_back(LogRecord{partition_, offset, draft.recorded_at, draft.schema_version,
                                    std::string(draft.event_id), std::string(draft.key),
                                    std::string(draft.type), std::string(draft.payload),
                                    std::string(draft.source)});
      partition.back().epoch = epoch_;
      session_.remember(draft.event_id, offset);
      outcome.offsets.push_back(offset);
    }
    store_->appended.notify_all();
    return outcome;
  }

 private:
  std::shared_ptr<Store> store_;
  uint32_t partition_;
  bool fences_;          // LogOptions::memory_fences_writers
  bool holds_;           // holds the in-process fence (not when the test seam skipped it)
  Offset epoch_ = kNoEpoch;
  ProducerSession session_;
};

class MemoryConsumer final : public LogConsumer {
 public:
  explicit MemoryConsumer(std::shared_ptr<Store> store) : store_(std::move(store)) {}

  Status assign(std::span<const uint32_t> partitions) override {
    std::map<uint32_t, Offset> positions;
    for (uint32_t p : partitions) {
      DIMONA_TRY(check_partition(p));
      positions[p] = 0;
    }
    positions_ = std::move(positions);
    return Status::ok();
  }

  Status seek(uint32_t partition, Offset offset) override {
    DIMONA_TRY(check_assigned(partition));
    std::lock_guard lock(store_->mutex);
    positions_[partition] = std::min<Offset>(offset, store_->partitions[partition].size());
    return Status::ok();
  }

  Status seek_to_instant(uint32_t partition, Instant at) override {
    DIMONA_TRY(check_assigned(partition));
    std::lock_guard lock(store_->mutex);
    const std::vector<LogRecord>& records = store_->partitions[partition];
    auto it = std::lower_bound(records.begin(), records.end(), at,
                               [](const LogRecord& r, Instant t) { return r.recorded_at < t; });
    positions_[partition] = static_cast<Offset>(it - records.begin());
    return Status::ok();
  }

  Result<size_t> poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout,
                      size_t max_records) override {
    if (max_records == 0) return invalid_argument("a poll asks for at least one record");
    max_records = std::min(max_records, limits::log_poll_records_max);
    std::unique_lock lock(store_->mutex);
    store_->appended.wait_for(lock, timeout, [&] { return any_ready(); });
    size_t taken = 0;
    for (auto& [partition, position] : positions_) {
      const std::vector<LogRecord>& records = store_->partitions[partition];
      while (taken < max_records && position < records.size()) {
        out.push_back(records[position++]);
        ++taken;
      }
    }
    return taken;
  }

  Result<Offset> end_offset(uint32_t partition) override {
    DIMONA_TRY(check_partition(partition));
    std::lock_guard lock(store_->mutex);
    return static_cast<Offset>(store_->partitions[partition].size());
  }

 private:
  bool any_ready() const {
    for (const auto& [partition, position] : positions_) {
      if (position < store_->partitions[partition].size()) return true;
    }
    return false;
  }
  Status check_partition(uint32_t partition) const {
    if (partition < store_->partitions.size()) return Status::ok();
    return invalid_argument("partition " + std::to_string(partition) + " does not exist");
  }
  Status check_assigned(uint32_t partition) const {
    if (positions_.contains(partition)) return Status::ok();
    return invalid_argument("partition " + std::to_string(partition) + " is not assigned");
  }

  std::shared_ptr<Store> store_;
  std::map<uint32_t, Offset> positions_;
};

class MemoryLog final : public Log {
 public:
  MemoryLog(std::shared_ptr<Store> store, std::string name, const LogOptions& options)
      : store_(std::move(store)), name_(std::move(name)), fences_(options.memory_fences_writers),
        skip_in_process_fence_(options.test_only_skip_in_process_fence) {}
  bool fences_writers() const override { return fences_; }
  uint32_t partitions() const override { return static_cast<uint32_t>(store_->partitions.size()); }
  std::string uri() const override { return "memory:" + name_; }

  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override {
    if (partition >= partitions()) {
      return invalid_argument("partition " + std::to_string(partition) + " does not exist");
    }
    std::lock_guard lock(store_->mutex);
    if (skip_in_process_fence_)
      return std::unique_ptr<LogProducer>(std::make_unique<MemoryProducer>(store_, partition, fences_, false));
    if (store_->held[partition]) {
      return busy("partition " + std::to_string(partition) + " is held by another producer");
    }
    store_->held[partition] = true;
    return std::unique_ptr<LogProducer>(std::make_unique<MemoryProducer>(store_, partition, fences_, true));
  }
  Result<std::unique_ptr<LogConsumer>> open_consumer() override {
    return std::unique_ptr<LogConsumer>(std::make_unique<MemoryConsumer>(store_));
  }
  Result<std::unique_ptr<KeyedTable>> open_table(std::string_view name) override {
    return open_memory_table(store_->tables, name);
  }

  bool has_groups() const override { return true; }
  Result<std::unique_ptr<GroupMember>> join_group(const GroupOptions& options, GroupCallbacks callbacks) override {
    return join_memory_group(store_, partitions(), options, std::move(callbacks));  // memory_group.cc
  }

 private:
  std::shared_ptr<Store> store_;
  std::string name_;
  bool fences_;
  bool skip_in_process_fence_;
};

}  // namespace

Result<std::unique_ptr<Log>> open_memory_log(std::string_view name, const LogOptions& options) {
  std::shared_ptr<Store> store = name.empty() ? std::make_shared<Store>(options.partitions)
                                              : named_store(name, options.partitions);
  return std::unique_ptr<Log>(std::make_unique<MemoryLog>(std::move(store), std::string(name), options));
}

}  // namespace dimona::log_internal
