// Broker faults under a real ingest on the Kafka backend (issue 11, item 8):
// Ledger + ingest_file on a kafka:// log of librdkafka's mock cluster (each
// test its own, three brokers, replication 3), a fault injected between two
// chosen appends (AppendHookLog), then the run again: every line of the
// input in the log exactly once, and the Projector's export equal to a clean
// ingest's into a memory: log. docs/kafka.md "Faults" says what each shows.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "engine/ingest.h"
#include "tests/engine/ingest_check.h"
#include "tests/engine/kafka_fault_cluster.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::AppendHookLog;
using testing::FaultCluster;

constexpr uint32_t kPartitions = 4;
constexpr uint32_t kGroupLines = 200;
constexpr char kLabel[] = "year.ndjson";
constexpr char kTopic[] = "dimona.events";

class KafkaFaultTest : public ::testing::Test {
 protected:
  // One input for the suite, and its clean ingest (the oracle).
  static void SetUpTestSuite() {
    input_dir_ = new testing::TempDir();
    testing::write_year(input(), 100, 11);
    clean_ = new testing::CleanRun(testing::clean_run(input(), kLabel, kPartitions));
    ASSERT_GT(clean_->lines.size(), 10u * kGroupLines) << "the input is to span many commit groups";
    std::fprintf(stderr, "input: %zu logged lines\n", clean_->lines.size());
  }
  static void TearDownTestSuite() {
    delete clean_;
    delete input_dir_;
  }
  static std::string input() { return input_dir_->file(kLabel); }

  // The topic, replicated on the three brokers; partitions 0 and 1 led by broker 1, 2 and 3 by broker 2.
  void SetUp() override {
    cluster_.create_topic(kTopic, kPartitions, 3);
    for (int p = 0; p < static_cast<int>(kPartitions); ++p) cluster_.set_leader(kTopic, p, p < 2 ? 1 : 2);
  }

  std::unique_ptr<Log> open_kafka(int delivery_timeout_ms = limits::kafka_delivery_timeout_ms) {
    LogOptions options;
    options.partitions = kPartitions;
    options.replication_factor = 3;
    options.delivery_timeout_ms = delivery_timeout_ms;
    Result<std::unique_ptr<Log>> log = open_log(cluster_.uri(kTopic), options);
    EXPECT_TRUE(log.is_ok()) << log.status().to_string();
    return log.is_ok() ? std::move(*log) : nullptr;
  }

  // A fresh Ledger over `log`, one ingest run.
  Result<IngestSummary> run(Log& log) {
    Result<std::unique_ptr<Ledger>> ledger = testing::open_ledger(log, clock_);
    if (!ledger.is_ok()) return ledger.status();
    return testing::ingest(**ledger, input(), kGroupLines);
  }

  // The run after a fault: it completes, and a third finds nothing to do.
  void expect_resumes_exactly_once(Log& log, const std::string& what) {
    Result<IngestSummary> again = run(log);
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    Result<IngestSummary> third = run(log);
    ASSERT_TRUE(third.is_ok()) << third.status().to_string();
    EXPECT_TRUE(third->already_complete);
    testing::expect_exactly_once(log, kLabel, *clean_, what);
  }

  static testing::TempDir* input_dir_;
  static testing::CleanRun* clean_;
  FaultCluster cluster_{3};
  ManualClock clock_{testing::after_the_year()};
};

testing::TempDir* KafkaFaultTest::input_dir_ = nullptr;
testing::CleanRun* KafkaFaultTest::clean_ = nullptr;

// Broker 1, leader of partitions 0 and 1, goes down before the 10th append
// (mid-ingest, with a group in flight) and comes back 1.5 s later: within
// the delivery timeout, so librdkafka reconnects and the idempotent producer
// retries; the run completes (or, were the broker away longer, fails with
// kUnavailable), and a run after it leaves every line exactly once.
TEST_F(KafkaFaultTest, ALeaderBrokerDownMidIngestLosesAndDoublesNothing) {
  std::unique_ptr<Log> kafka = open_kafka();
  ASSERT_NE(kafka, nullptr);
  std::jthread back_up;
  AppendHookLog log(*kafka, [&](int append) {
    if (append != 9) return;
    cluster_.set_down(1, true);
    back_up = std::jthread([this] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      cluster_.set_down(1, false);
    });
  });
  Result<IngestSummary> first = run(log);
  if (!first.is_ok()) {
    EXPECT_EQ(first.status().code(), Code::kUnavailable) << first.status().to_string();
  }
  ASSERT_GT(log.appends(), 9) << "the fault never fired: make the input larger";
  if (back_up.joinable()) back_up.join();
  // A failed run may have cut a group between partitions: the rerun completes it, ids as a clean run.
  expect_resumes_exactly_once(log, "after broker 1 was down");
}

// Every partition's leader moves to another broker before the 10th append:
// the producer learns it from NOT_LEADER_OR_FOLLOWER, refreshes its
// metadata and sends there; the run completes at once, nothing lost or doubled.
TEST_F(KafkaFaultTest, ALeaderChangeMidIngestLosesAndDoublesNothing) {
  std::unique_ptr<Log> kafka = open_kafka();
  ASSERT_NE(kafka, nullptr);
  AppendHookLog log(*kafka, [&](int append) {
    if (append != 9) return;
    for (int p = 0; p < static_cast<int>(kPartitions); ++p) cluster_.set_leader(kTopic, p, p < 2 ? 3 : 1);
  });
  Result<IngestSummary> first = run(log);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_FALSE(first->already_complete);
  ASSERT_GT(log.appends(), 9);
  expect_resumes_exactly_once(log, "after a leader change");
}

// Retriable Produce errors (NOT_ENOUGH_REPLICAS: an in-sync replica lost for
// a moment) are retried by the idempotent producer and never reach the
// Ledger: the first run completes, every line once.
TEST_F(KafkaFaultTest, RetriableProduceErrorsAreRetriedInvisibly) {
  std::unique_ptr<Log> kafka = open_kafka();
  ASSERT_NE(kafka, nullptr);
  AppendHookLog log(*kafka, [&](int append) {
    if (append == 4 || append == 13) {
      cluster_.fail_produce_requests_on(1, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);  // partitions 0 and 1
      cluster_.fail_produce_requests_on(2, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);  // partitions 2 and 3
    }
  });
  Result<IngestSummary> first = run(log);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_GT(log.appends(), 13);
  EXPECT_EQ(cluster_.produce_errors_left(1), 0u) << "not every injected error was answered to a Produce request";
  EXPECT_EQ(cluster_.produce_errors_left(2), 0u) << "not every injected error was answered to a Produce request";
  testing::expect_exactly_once(log, kLabel, *clean_, "after NOT_ENOUGH_REPLICAS");
}

// Every broker down past the delivery timeout (2 s here): the commit fails
// kUnavailable; once the brokers are back, Ledger::reload() folds exactly
// what the log holds, and a new run on the same Ledger completes the input
// exactly once (the group cut between partitions included).
TEST_F(KafkaFaultTest, AllBrokersDownPastTheDeliveryTimeoutFailsThenResumesExactlyOnce) {
  std::unique_ptr<Log> kafka = open_kafka(/*delivery_timeout_ms=*/2000);
  ASSERT_NE(kafka, nullptr);
  AppendHookLog log(*kafka, [&](int append) {
    if (append == 10) cluster_.set_all_down(true);
  });
  Result<std::unique_ptr<Ledger>> ledger = testing::open_ledger(log, clock_);
  ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
  const auto t0 = std::chrono::steady_clock::now();
  Result<IngestSummary> first = testing::ingest(**ledger, input(), kGroupLines);
  ASSERT_FALSE(first.is_ok()) << "the ingest went through with every broker down";
  EXPECT_EQ(first.status().code(), Code::kUnavailable) << first.status().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2000)) << "failed before the timeout";
  cluster_.set_all_down(false);

  Status reloaded = (*ledger)->reload();
  ASSERT_TRUE(reloaded.is_ok()) << reloaded.to_string();
  std::string state;
  LedgerState merged;
  ASSERT_TRUE((*ledger)->merged_state(&merged).is_ok());
  merged.save(&state);
  EXPECT_TRUE(state == testing::folded_state(log)) << "reload() does not hold what the log holds";
  const std::map<uint64_t, int> stored = testing::source_lines(log, kLabel);
  EXPECT_GT(stored.size(), 0u);
  EXPECT_LT(stored.size(), clean_->lines.size());

  // The producers reconnect with librdkafka's backoff (up to reconnect.backoff.max.ms), which
  // may outlast a 2 s delivery timeout: an operator runs the ingest again, as here.
  Result<IngestSummary> again = testing::ingest(**ledger, input(), kGroupLines);
  for (int attempt = 1; attempt < 5 && !again.is_ok(); ++attempt) {
    ASSERT_EQ(again.status().code(), Code::kUnavailable) << again.status().to_string();
    ASSERT_TRUE((*ledger)->reload().is_ok());
    again = testing::ingest(**ledger, input(), kGroupLines);
  }
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_GT(again->resumed_after_lines, 0u);
  ledger->reset();
  // The 11th append cut group 3 between partitions: its other lines got new ids.
  expect_resumes_exactly_once(log, "after every broker was down");
}

}  // namespace
}  // namespace dimona
