// Test support over the log seam: read a partition back, count events, and
// FaultyLog, a Log that forwards to another and injects failures: appends
// that fail (as a full disk or an unreachable broker makes them fail,
// nothing stored) and records that come back damaged from a read.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/log/log.h"
#include "engine/log/log_tools.h"

namespace dimona::testing {

inline std::vector<LogRecord> read_all(Log& log, uint32_t partition) {
  std::vector<LogRecord> out;
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  EXPECT_TRUE(consumer.is_ok());
  if (!consumer.is_ok()) return out;
  Result<Offset> end = (*consumer)->end_offset(partition);
  EXPECT_TRUE(end.is_ok());
  Status read = read_partition(**consumer, partition, 0, end.is_ok() ? *end : 0, [&](LogRecord& r) {
    out.push_back(std::move(r));
    return Status::ok();
  });
  EXPECT_TRUE(read.is_ok()) << read.to_string();
  return out;
}

inline uint64_t event_count(Log& log) {
  Result<std::vector<PartitionSummary>> summary = summarize(log);
  EXPECT_TRUE(summary.is_ok());
  uint64_t n = 0;
  if (summary.is_ok())
    for (const PartitionSummary& p : *summary) n += p.end_offset;
  return n;
}

class FaultyLog final : public Log {
 public:
  explicit FaultyLog(std::unique_ptr<Log> inner) : inner_(std::move(inner)) {}

  // The next `n` appends (of any partition) fail with kIoError and store nothing.
  void fail_appends(int n) { fail_appends_after(0, n); }
  // The same, once `ok` more appends have gone through.
  void fail_appends_after(int ok, int n) {
    passes_ = ok;
    failures_ = n;
  }
  void fail_next_append() { fail_appends(1); }
  // Reads of (partition, offset) return the record with one payload byte flipped.
  void corrupt(uint32_t partition, Offset offset, size_t byte) {
    std::lock_guard lock(mutex_);
    corrupted_[{partition, offset}] = byte;
  }
  Log& inner() { return *inner_; }

  uint32_t partitions() const override { return inner_->partitions(); }
  std::string uri() const override { return "faulty+" + inner_->uri(); }
  bool parallel_appends() const override { return inner_->parallel_appends(); }
  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override {
    Result<std::unique_ptr<LogProducer>> p = inner_->open_producer(partition);
    DIMONA_TRY(p);
    return std::unique_ptr<LogProducer>(new Producer(*this, std::move(*p)));
  }
  Result<std::unique_ptr<LogConsumer>> open_consumer() override {
    Result<std::unique_ptr<LogConsumer>> c = inner_->open_consumer();
    DIMONA_TRY(c);
    return std::unique_ptr<LogConsumer>(new Consumer(*this, std::move(*c)));
  }

 private:
  struct Producer final : LogProducer {
    Producer(FaultyLog& log, std::unique_ptr<LogProducer> inner) : log_(log), inner_(std::move(inner)) {}
    uint32_t partition() const override { return inner_->partition(); }
    Result<AppendOutcome> append(std::span<const LogRecordDraft> records) override {
      if (log_.passes_ > 0) {
        --log_.passes_;
      } else if (log_.failures_ > 0) {
        --log_.failures_;
        return io_error("injected: database or disk is full");
      }
      return inner_->append(records);
    }
    FaultyLog& log_;
    std::unique_ptr<LogProducer> inner_;
  };
  struct Consumer final : LogConsumer {
    Consumer(FaultyLog& log, std::unique_ptr<LogConsumer> inner) : log_(log), inner_(std::move(inner)) {}
    Status assign(std::span<const uint32_t> ps) override { return inner_->assign(ps); }
    Status seek(uint32_t p, Offset o) override { return inner_->seek(p, o); }
    Status seek_to_instant(uint32_t p, Instant at) override { return inner_->seek_to_instant(p, at); }
    Result<size_t> poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout, size_t max) override {
      const size_t before = out.size();
      Result<size_t> got = inner_->poll(out, timeout, max);
      std::lock_guard lock(log_.mutex_);
      for (size_t i = before; i < out.size(); ++i) {
        auto it = log_.corrupted_.find({out[i].partition, out[i].offset});
        if (it != log_.corrupted_.end() && it->second < out[i].payload.size()) out[i].payload[it->second] ^= 0x20;
      }
      return got;
    }
    Result<Offset> end_offset(uint32_t p) override { return inner_->end_offset(p); }
    FaultyLog& log_;
    std::unique_ptr<LogConsumer> inner_;
  };

  std::unique_ptr<Log> inner_;
  std::atomic<int> passes_{0};
  std::atomic<int> failures_{0};
  std::mutex mutex_;
  std::map<std::pair<uint32_t, Offset>, size_t> corrupted_;
};

}  // namespace dimona::testing
