// Test support over the log seam: read a partition back, count events;
// FaultyLog, a Log that forwards to another and injects failures: appends
// that fail (as a full disk or an unreachable broker makes them fail,
// nothing stored) and records that come back damaged from a read; and
// LogBackendTest, the fixture of the suites that run the same tests on every
// backend (the log's conformance suite, the keyed tables, group membership).
// LogBackendTest gives each test a fresh log of its own named after the test:
// a memory log, a SQLite file in the temp dir (removed after the test, with
// its -wal and -shm), or a topic on the one mock cluster the test binary
// shares (librdkafka's, 127.0.0.1, started on first use, stopped at exit).
// Helpers report failures through gtest expectations; nothing here is
// thread-safe but FaultyLog, whose injections may race with its appends.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/log/kafka_mock.h"
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
  // The same, once `ok` more appends have gone through. With `stored`, a failing
  // append stores its records first and only its acknowledgement is lost (a broker
  // that wrote the batch, then a connection that dropped before the answer).
  void fail_appends_after(int ok, int n, bool stored = false) {
    passes_ = ok;
    failures_ = n;
    stored_ = stored;
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
  bool fences_writers() const override { return inner_->fences_writers(); }
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
    Result<Offset> fence() override { return inner_->fence(); }
    Result<AppendOutcome> append(std::span<const LogRecordDraft> records) override {
      if (log_.passes_ > 0) {
        --log_.passes_;
      } else if (log_.failures_ > 0) {
        --log_.failures_;
        if (!log_.stored_) return io_error("injected: database or disk is full");
        Result<AppendOutcome> appended = inner_->append(records);
        return appended.is_ok() ? unavailable("injected: stored, but the acknowledgement was lost") : appended.status();
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
  std::atomic<bool> stored_{false};
  std::atomic<int> failures_{0};
  std::mutex mutex_;
  std::map<std::pair<uint32_t, Offset>, size_t> corrupted_;
};

// The mock cluster of this test binary, of `brokers` brokers: started by the
// first call; every later call must ask for as many.
inline KafkaMockCluster& mock_cluster(int brokers = 3) {
  static const int started_with = brokers;
  static std::unique_ptr<KafkaMockCluster> cluster = [] {
    Result<std::unique_ptr<KafkaMockCluster>> started = KafkaMockCluster::start(started_with);
    DIMONA_ASSERT(started.is_ok());
    return std::move(started).value();
  }();
  DIMONA_ASSERT(brokers == started_with);
  return *cluster;
}

// A suite's fixture over the backend its parameter names: "memory", "sqlite"
// or "kafka". SetUp opens log_ on a fresh log; reopen() opens another Log on
// the same URI (another process, as far as the log can tell).
class LogBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Logs named "<prefix>-<n>-<test>" of `partitions`, on a mock of `mock_brokers`.
  LogBackendTest(std::string prefix, uint32_t partitions, int mock_brokers = 3)
      : prefix_(std::move(prefix)), mock_brokers_(mock_brokers) {
    options_.partitions = partitions;
  }

  void SetUp() override {
    static std::atomic<int> counter{0};
    name_ = prefix_ + "-" + std::to_string(counter++) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name_) {
      if (c == '/') c = '.';
    }
    if (GetParam() == "memory") {
      uri_ = "memory:" + name_;
    } else if (GetParam() == "sqlite") {
      sqlite_path_ = ::testing::TempDir() + "dimona-" + std::to_string(::getpid()) + "-" + name_ + ".db";
      remove_sqlite_files();
      uri_ = "sqlite:" + sqlite_path_;
    } else {
      ASSERT_EQ(GetParam(), "kafka");
      ASSERT_TRUE(mock().create_topic(name_, options_.partitions, 1).is_ok());
      kafka_topic_ = name_;
      uri_ = "kafka://" + mock().bootstrap() + "/" + name_;
    }
    log_ = reopen();
    ASSERT_NE(log_, nullptr);
  }

  void TearDown() override {
    log_.reset();
    remove_sqlite_files();
  }

  std::unique_ptr<Log> reopen() const {
    Result<std::unique_ptr<Log>> log = open_log(uri_, options_);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(log).value() : nullptr;
  }

  KafkaMockCluster& mock() const { return mock_cluster(mock_brokers_); }

  LogOptions options_;       // of every reopen(); a suite may change them in its constructor
  std::string name_;         // this test's log
  std::string uri_;
  std::string sqlite_path_;  // the sqlite backend's file
  std::string kafka_topic_;  // the kafka backend's topic
  std::unique_ptr<Log> log_;

 private:
  void remove_sqlite_files() const {
    if (sqlite_path_.empty()) return;
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((sqlite_path_ + suffix).c_str());
  }

  std::string prefix_;
  int mock_brokers_;
};

// The name of a backend's instantiation: its parameter (Backends/LogConformance.X/kafka).
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& backend) { return backend.param; }

}  // namespace dimona::testing
