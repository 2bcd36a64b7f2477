// Group membership (engine/log/group.h) on the memory backend and on Kafka
// (librdkafka's mock cluster, started here on 127.0.0.1): the same tests, the
// same answers. Each member is polled by a thread of its own; the callbacks
// write into one Recorder, which checks at every on_assigned that no other
// member holds the partition (eager: given up before given out).
#include "engine/log/group.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/base/limits.h"
#include "engine/log/kafka_mock.h"
#include "engine/log/log.h"
#include "tests/engine/log_test_support.h"

namespace dimona {
namespace {

using namespace std::chrono_literals;
using Partitions = std::set<uint32_t>;

constexpr uint32_t kPartitions = 4;
const Partitions kAll = {0, 1, 2, 3};
// As small as the mock allows: it holds a first JoinGroup 3 s (its fixed
// group.initial.rebalance.delay.ms) while its 1 s session timer drops a
// member silent for session.timeout.ms, so the session must exceed 3 s with a
// margin; and it waits session.timeout.ms - 1 s for members to rejoin.
constexpr int kSessionTimeoutMs = 3'500;
constexpr int kRebalanceTimeoutMs = 7'000;
constexpr auto kWait = 15s;  // the mock's first join alone waits 3 s

// This suite has always run on a mock of one broker (the other log suites: three).
constexpr int kMockBrokers = 1;

// What the callbacks saw, in one order, and what broke the contract.
class Recorder {
 public:
  explicit Recorder(uint32_t partitions = kPartitions) : partitions_(partitions) {}

  struct Event {
    uint64_t sequence;
    std::string member;
    bool assigned;  // false: revoked
    Partitions partitions;
    std::chrono::steady_clock::time_point at;
  };

  GroupCallbacks callbacks(const std::string& member) {
    return {[this, member](std::span<const uint32_t> p) { revoked(member, p); },
            [this, member](std::span<const uint32_t> p) { assigned(member, p); }};
  }

  Partitions held(const std::string& member) {
    std::lock_guard lock(mutex_);
    return held_[member];
  }
  std::vector<std::string> violations() {
    std::lock_guard lock(mutex_);
    return violations_;
  }
  std::vector<Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // The last callback `member` saw; nullopt if none. (Other members' pollers may add theirs
  // after it at any moment, so a test asks for its member's, never for the last of all.)
  std::optional<Event> last_of(const std::string& member) {
    std::lock_guard lock(mutex_);
    for (auto event = events_.rbegin(); event != events_.rend(); ++event) {
      if (event->member == member) return *event;
    }
    return std::nullopt;
  }
  // The callbacks so far, one per line with milliseconds since the first (for failure messages).
  std::string story() {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const Event& event : events_) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(event.at - events_.front().at).count();
      text += std::to_string(ms) + " ms: " + event.member + (event.assigned ? " assigned {" : " revoked {");
      for (uint32_t partition : event.partitions) text += " " + std::to_string(partition);
      text += " }\n";
    }
    return text;
  }
  // Waits until every member named holds exactly its expected set.
  bool wait_for(const std::map<std::string, Partitions>& expected, std::chrono::milliseconds timeout = kWait) {
    return wait(
        [&] {
          for (const auto& [member, partitions] : expected) {
            if (held_[member] != partitions) return false;
          }
          return true;
        },
        timeout);
  }
  // Waits until the members named hold `sizes` partitions each.
  bool wait_for_sizes(const std::map<std::string, size_t>& sizes, std::chrono::milliseconds timeout = kWait) {
    return wait(
        [&] {
          for (const auto& [member, size] : sizes) {
            if (held_[member].size() != size) return false;
          }
          return true;
        },
        timeout);
  }

 private:
  // Checks `done` under the lock until it holds or the timeout passed (at least once).
  template <typename Done>
  bool wait(Done&& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (done()) return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
  }

  void revoked(const std::string& member, std::span<const uint32_t> partitions) {
    std::lock_guard lock(mutex_);
    Partitions given(partitions.begin(), partitions.end());
    if (given != held_[member]) violations_.push_back(member + " gave up other partitions than it held");
    held_[member].clear();
    events_.push_back({++sequence_, member, false, given, std::chrono::steady_clock::now()});
  }
  void assigned(const std::string& member, std::span<const uint32_t> partitions) {
    std::lock_guard lock(mutex_);
    Partitions taken(partitions.begin(), partitions.end());
    if (!held_[member].empty()) violations_.push_back(member + " was given partitions before giving up its own");
    for (uint32_t partition : taken) {
      if (partition >= partitions_) violations_.push_back(member + " was given partition " + std::to_string(partition));
      for (const auto& [other, holds] : held_) {
        if (other != member && holds.contains(partition)) {
          violations_.push_back("partition " + std::to_string(partition) + " given to " + member + " while " + other +
                                " holds it");
        }
      }
    }
    held_[member] = taken;
    events_.push_back({++sequence_, member, true, taken, std::chrono::steady_clock::now()});
  }

  const uint32_t partitions_;
  std::mutex mutex_;
  uint64_t sequence_ = 0;
  std::map<std::string, Partitions> held_;
  std::vector<Event> events_;
  std::vector<std::string> violations_;
};

// A thread polling one member until stopped (group.h: one thread polls a member).
class Poller {
 public:
  explicit Poller(GroupMember& member)
      : thread_([this, &member] {
          while (!stop_) {
            Result<bool> polled = member.poll(20ms);
            if (!polled.is_ok()) {
              std::lock_guard lock(mutex_);
              error_ = polled.status().to_string();
              return;
            }
          }
        }) {}
  ~Poller() { stop(); }
  // Stops the thread; returns the error a poll returned, or "".
  std::string stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string error_;
  std::thread thread_;
};

Partitions set_of(const std::vector<uint32_t>& partitions) { return {partitions.begin(), partitions.end()}; }

class LogGroup : public testing::LogBackendTest {
 protected:
  LogGroup() : LogBackendTest("group", kPartitions, kMockBrokers) {}

  void SetUp() override {
    LogBackendTest::SetUp();
    group_ = name_ + ".members";
  }

  std::unique_ptr<GroupMember> join(const std::string& name, Log* log = nullptr) {
    GroupOptions options{group_, name, kSessionTimeoutMs, kRebalanceTimeoutMs};
    Result<std::unique_ptr<GroupMember>> member =
        (log ? log : log_.get())->join_group(options, recorder_.callbacks(name));
    EXPECT_TRUE(member.is_ok()) << member.status().to_string();
    return member.is_ok() ? std::move(member).value() : nullptr;
  }

  // a holds everything, then b (on a Log of its own) joins and they split
  // the partitions round-robin. Leaves both members unpolled.
  void split(std::unique_ptr<GroupMember>& a, std::unique_ptr<GroupMember>& b) {
    a = join("a");
    ASSERT_NE(a, nullptr);
    {
      Poller poll_a(*a);
      ASSERT_TRUE(recorder_.wait_for({{"a", kAll}}));
      ASSERT_EQ(poll_a.stop(), "");
    }
    uint64_t first_generation = a->generation();
    EXPECT_GE(first_generation, 1U);
    other_log_ = reopen();
    b = join("b", other_log_.get());
    ASSERT_NE(b, nullptr);
    Poller poll_a(*a);
    Poller poll_b(*b);
    ASSERT_TRUE(recorder_.wait_for_sizes({{"a", 2}, {"b", 2}})) << recorder_.story();
    ASSERT_EQ(poll_a.stop(), "");
    ASSERT_EQ(poll_b.stop(), "");
    EXPECT_GT(a->generation(), first_generation);
    EXPECT_EQ(a->generation(), b->generation()) << recorder_.story();
  }

  std::string group_;
  std::unique_ptr<Log> other_log_;
  Recorder recorder_;
};

TEST_P(LogGroup, ASoleMemberGetsEveryPartition) {
  std::unique_ptr<GroupMember> a = join("a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->assignment().empty());
  EXPECT_EQ(a->generation(), 0U);
  Poller poll_a(*a);
  ASSERT_TRUE(recorder_.wait_for({{"a", kAll}}));
  EXPECT_EQ(poll_a.stop(), "");
  EXPECT_EQ(set_of(a->assignment()), kAll);
  EXPECT_GE(a->generation(), 1U);
  // Nothing changes while nobody joins or leaves.
  Result<bool> polled = a->poll(200ms);
  ASSERT_TRUE(polled.is_ok()) << polled.status().to_string();
  EXPECT_FALSE(*polled);
  EXPECT_TRUE(recorder_.violations().empty()) << recorder_.violations().front();
}

TEST_P(LogGroup, ASecondMemberSplitsThePartitionsNoneHeldTwiceNoneLost) {
  std::unique_ptr<GroupMember> a, b;
  ASSERT_NO_FATAL_FAILURE(split(a, b));
  Partitions of_a = set_of(a->assignment());
  Partitions of_b = set_of(b->assignment());
  EXPECT_EQ(of_a, recorder_.held("a"));
  EXPECT_EQ(of_b, recorder_.held("b"));
  // Round-robin: one gets {0, 2}, the other {1, 3} (on memory by name: a first;
  // the mock sorts by the member ids it makes up).
  std::set<Partitions> shares = {of_a, of_b};
  EXPECT_EQ(shares, (std::set<Partitions>{{0, 2}, {1, 3}}));
  if (GetParam() == "memory") {
    EXPECT_EQ(of_a, (Partitions{0, 2}));
  }
  std::vector<std::string> violations = recorder_.violations();
  EXPECT_TRUE(violations.empty()) << violations.front();
  // Every partition b took, a gave up before: its on_revoked ran first.
  std::vector<Recorder::Event> events = recorder_.events();
  for (uint32_t partition : of_b) {
    uint64_t revoked_by_a = 0, assigned_to_b = 0;
    for (const Recorder::Event& event : events) {
      if (!event.partitions.contains(partition)) continue;
      if (event.member == "a" && !event.assigned && revoked_by_a == 0) revoked_by_a = event.sequence;
      if (event.member == "b" && event.assigned) assigned_to_b = event.sequence;
    }
    EXPECT_NE(revoked_by_a, 0U) << "a never gave up partition " << partition;
    EXPECT_LT(revoked_by_a, assigned_to_b) << "partition " << partition;
  }
}

TEST_P(LogGroup, ALeavingMemberGivesItsPartitionsToTheOthers) {
  std::unique_ptr<GroupMember> a, b;
  ASSERT_NO_FATAL_FAILURE(split(a, b));
  Partitions of_b = set_of(b->assignment());
  Poller poll_a(*a);
  ASSERT_TRUE(b->leave().is_ok());  // on_revoked on this thread, before leave() returns
  EXPECT_TRUE(recorder_.held("b").empty());
  EXPECT_TRUE(b->assignment().empty());
  std::optional<Recorder::Event> last_of_b = recorder_.last_of("b");
  ASSERT_TRUE(last_of_b);
  EXPECT_FALSE(last_of_b->assigned);
  EXPECT_EQ(last_of_b->partitions, of_b);
  EXPECT_EQ(b->poll(10ms).status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(b->leave().is_ok());  // twice: nothing more
  ASSERT_TRUE(recorder_.wait_for({{"a", kAll}, {"b", {}}}));
  EXPECT_EQ(poll_a.stop(), "");
  std::vector<std::string> violations = recorder_.violations();
  EXPECT_TRUE(violations.empty()) << violations.front();
}

TEST_P(LogGroup, ADestroyedMemberLeavesAsLeaveDoes) {
  std::unique_ptr<GroupMember> a, b;
  ASSERT_NO_FATAL_FAILURE(split(a, b));
  Partitions of_b = set_of(b->assignment());
  Poller poll_a(*a);
  b.reset();
  std::optional<Recorder::Event> last_of_b = recorder_.last_of("b");
  ASSERT_TRUE(last_of_b);
  EXPECT_FALSE(last_of_b->assigned);
  EXPECT_EQ(last_of_b->partitions, of_b);
  ASSERT_TRUE(recorder_.wait_for({{"a", kAll}, {"b", {}}}));
  EXPECT_EQ(poll_a.stop(), "");
  std::vector<std::string> violations = recorder_.violations();
  EXPECT_TRUE(violations.empty()) << violations.front();
}

TEST_P(LogGroup, RefusesBadNamesAndTimeouts) {
  auto refused = [&](const GroupOptions& options) {
    return log_->join_group(options, recorder_.callbacks("x")).status().code();
  };
  std::string too_long(limits::group_name_bytes_max + 1, 'g');
  EXPECT_EQ(refused({"", "a"}), Code::kInvalidArgument);
  EXPECT_EQ(refused({group_, ""}), Code::kInvalidArgument);
  EXPECT_EQ(refused({too_long, "a"}), Code::kInvalidArgument);
  EXPECT_EQ(refused({group_, too_long}), Code::kInvalidArgument);
  EXPECT_EQ(refused({group_, "a", 0, 1'000}), Code::kInvalidArgument);
  EXPECT_EQ(refused({group_, "a", 2'000, 1'000}), Code::kInvalidArgument);
  EXPECT_TRUE(recorder_.events().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, LogGroup, ::testing::Values("memory", "kafka"), testing::backend_name);

TEST(LogGroupEmbedded, RefusesWithFailedPrecondition) {
  std::string path = ::testing::TempDir() + "dimona-group-" + std::to_string(::getpid()) + ".db";
  LogOptions options;
  options.partitions = kPartitions;
  Result<std::unique_ptr<Log>> log = open_log("sqlite:" + path, options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<GroupMember>> member = (*log)->join_group({"g", "a"}, {});
  EXPECT_EQ(member.status().code(), Code::kFailedPrecondition);
  log->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// Memory only: the name limit exactly, groups and stores kept apart.
TEST(LogGroupMemory, NamesUpToTheLimitAndGroupsAndStoresApart) {
  LogOptions options;
  options.partitions = kPartitions;
  Result<std::unique_ptr<Log>> log = open_log("memory:group-apart", options);
  Result<std::unique_ptr<Log>> other = open_log("memory:group-apart-other", options);
  ASSERT_TRUE(log.is_ok() && other.is_ok());
  Recorder recorder;
  std::string longest(limits::group_name_bytes_max, 'g');
  std::vector<std::unique_ptr<GroupMember>> members;
  for (auto [log_of, group, name] :
       {std::tuple{log->get(), longest, "a"}, {log->get(), std::string("g2"), "b"}, {other->get(), longest, "c"}}) {
    Result<std::unique_ptr<GroupMember>> member = log_of->join_group({group, name}, recorder.callbacks(name));
    ASSERT_TRUE(member.is_ok()) << member.status().to_string();
    Result<bool> polled = (*member)->poll(0ms);
    ASSERT_TRUE(polled.is_ok());
    EXPECT_TRUE(*polled);
    members.push_back(std::move(member).value());
  }
  EXPECT_TRUE(recorder.wait_for({{"a", kAll}, {"b", kAll}, {"c", kAll}}, 0ms));
}

// Memory only (on Kafka librdkafka heartbeats in the background and the
// fault tests cover a silent process): a member that stops polling is dropped
// after its session timeout; the other takes its partitions (it is a zombie
// meanwhile, group.h), and at its next poll it gives them up and joins again.
TEST(LogGroupMemory, ASilentMemberIsDroppedAndLearnsItAtItsNextPoll) {
  LogOptions options;
  options.partitions = kPartitions;
  Result<std::unique_ptr<Log>> log = open_log("memory:group-silent", options);
  ASSERT_TRUE(log.is_ok());
  Recorder recorder;
  GroupOptions group{"g", "a", 200, 1'000};
  Result<std::unique_ptr<GroupMember>> a = (*log)->join_group(group, recorder.callbacks("a"));
  group.member_name = "b";
  Result<std::unique_ptr<GroupMember>> b = (*log)->join_group(group, recorder.callbacks("b"));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  std::chrono::steady_clock::time_point silent_since;
  {
    Poller poll_a(**a);
    Poller poll_b(**b);
    ASSERT_TRUE(recorder.wait_for({{"a", {0, 2}}, {"b", {1, 3}}}, 2s));
    silent_since = std::chrono::steady_clock::now();  // b, waiting inside poll(), counts as seen now
  }
  {
    Poller poll_a(**a);
    // The coordinator waits for nobody silent: a takes everything while b still thinks it holds {1, 3}.
    ASSERT_TRUE(recorder.wait_for({{"a", kAll}, {"b", {1, 3}}}, 2s));
    EXPECT_GE(std::chrono::steady_clock::now() - silent_since, 200ms);
    Result<bool> polled = (*b)->poll(0ms);
    ASSERT_TRUE(polled.is_ok());
    EXPECT_TRUE(*polled);
    Poller poll_b(**b);
    ASSERT_TRUE(recorder.wait_for({{"a", {0, 2}}, {"b", {1, 3}}}, 2s));
  }
  std::vector<std::string> violations = recorder.violations();
  ASSERT_EQ(violations.size(), 2U);  // the zombie's two partitions, and only those
  EXPECT_EQ(violations[0], "partition 1 given to a while b holds it");
}

// Memory only: members joining and leaving from several threads; at no
// on_assigned does another member hold the partition, and in the end the
// survivors hold every partition once.
TEST(LogGroupMemory, ChurnFromManyThreadsNeverHoldsAPartitionTwice) {
  LogOptions options;
  options.partitions = 7;
  Result<std::unique_ptr<Log>> log = open_log("memory:group-churn", options);
  ASSERT_TRUE(log.is_ok());
  Recorder recorder(options.partitions);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        std::string name = "m" + std::to_string(t) + "-" + std::to_string(round);
        Result<std::unique_ptr<GroupMember>> member =
            (*log)->join_group({"g", name, 1'000, 2'000}, recorder.callbacks(name));
        if (!member.is_ok()) failed = true;
        if (!member.is_ok()) return;
        for (int i = 0; i < 5; ++i) {
          if (!(*member)->poll(std::chrono::milliseconds(1 + (t + i) % 4)).is_ok()) failed = true;
        }
        if (t == 0 && round == 4) {  // the last member of thread 0 stays, polled to the end
          while (!recorder.wait_for({{name, {0, 1, 2, 3, 4, 5, 6}}}, 0ms)) (void)(*member)->poll(5ms);
          return;  // destroyed here: leaves
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_FALSE(failed);
  std::vector<std::string> violations = recorder.violations();
  EXPECT_TRUE(violations.empty()) << violations.front();
}

}  // namespace
}  // namespace dimona
