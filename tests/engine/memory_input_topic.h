// MemoryInputTopic: an input topic in memory for the tests of ingest_topic and
// the serve feeder (engine/log/input_topic.h's contract, minus the broker).
#pragma once

#include <algorithm>
#include <atomic>
#include <fstream>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "engine/log/input_topic.h"

namespace dimona::testing {

// An input topic in memory (input_topic.h's contract): records of several
// partitions, polled in the order they were produced, so that recordedAt never
// goes back; `stop` is set once a poll finds nothing more (a follow's end).
class MemoryInputTopic final : public InputTopic {
 public:
  MemoryInputTopic(uint32_t partitions, Offset first = 0) : partitions_(partitions), first_(first) {}
  // Line i of the file goes to partition i % partitions, at the next offset.
  void produce_lines(const std::string& path) {
    std::ifstream f(path);
    std::vector<Offset> next(partitions_, first_);
    for (std::string line; std::getline(f, line);) {
      const auto p = static_cast<uint32_t>(records_.size() % partitions_);
      records_.push_back({p, next[p]++, 0, line, false});
    }
  }
  // One record at the end of `partition` (produced after every earlier one).
  void produce(uint32_t partition, std::string value) {
    std::lock_guard lock(mutex_);
    Offset next = first_;
    for (const InputRecord& r : records_)
      if (r.partition == partition) next = r.offset + 1;
    records_.push_back({partition, next, 0, std::move(value), false});
  }
  std::atomic<bool> stop{false};

  const std::string& topic() const override { return topic_; }
  uint32_t partitions() const override { return partitions_; }
  Status assign(const std::map<uint32_t, Offset>& from) override {
    std::lock_guard lock(mutex_);
    for (const auto& [p, offset] : from)
      if (offset < first_) return invalid_argument("records deleted before they were read");
    from_ = from;
    cursor_ = 0;
    return Status::ok();
  }
  Result<size_t> poll(std::vector<InputRecord>& out, std::chrono::milliseconds timeout, size_t max_records) override {
    std::lock_guard lock(mutex_);
    size_t taken = 0;
    for (; cursor_ < records_.size() && taken < max_records; ++cursor_) {
      const InputRecord& r = records_[cursor_];
      auto from = from_.find(r.partition);
      if (from == from_.end() || r.offset < from->second) continue;
      InputRecord copy = r;
      copy.too_large = r.value.size() > limits::input_record_bytes_max;
      if (copy.too_large) copy.value.clear();
      out.push_back(std::move(copy));
      ++taken;
    }
    if (taken == 0) {
      stop = true;
      std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(5)));  // as a broker waits
    }
    return taken;
  }
  Result<PartitionRange> range(uint32_t partition) override {
    std::lock_guard lock(mutex_);
    Offset end = first_;
    for (const InputRecord& r : records_)
      if (r.partition == partition) end = r.offset + 1;
    return PartitionRange{first_, end};
  }
  Result<Offset> position(uint32_t partition) override {
    std::lock_guard lock(mutex_);
    Offset next = from_.at(partition);
    for (size_t i = 0; i < cursor_; ++i)
      if (records_[i].partition == partition) next = std::max(next, records_[i].offset + 1);
    return next;
  }

 private:
  std::string topic_ = "input";
  uint32_t partitions_;
  Offset first_;
  std::vector<InputRecord> records_;
  std::map<uint32_t, Offset> from_;
  size_t cursor_ = 0;
  std::mutex mutex_;  // produce() from a test's thread while a feeder polls
};

}  // namespace dimona::testing
