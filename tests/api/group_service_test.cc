// GroupLedgerService::owner_of (api/group_service.h) in one process, two
// members of a group on a memory log: the owner of a partition another member
// holds, never this member itself, also when the owners table this member read
// last (kept limits::group_owners_cache_ms) still names it. The processes and
// Kafka are tests/api/cli_group_test.cc's (ServeGroup).
#include "api/group_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "engine/base/time.h"
#include "engine/identifiers.h"
#include "engine/log/log.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kPartitions = 4;
const std::string kFirst = "http://127.0.0.1:1";
const std::string kSecond = "http://127.0.0.1:2";

class GroupOwners : public ::testing::Test {
 protected:
  static std::string log_uri() { return "memory:" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()); }

  std::unique_ptr<api::GroupLedgerService> join(const std::string& advertise, const std::string& data,
                                                uint32_t partitions = kPartitions) {
    api::LedgerConfig config;
    config.data_dir = dir_.file(data);
    config.log_uri = log_uri();
    config.partitions = partitions;
    api::GroupServiceOptions options;
    options.group = "serve";
    options.advertise = advertise;
    options.projector_threads = 1;
    Result<std::unique_ptr<api::GroupLedgerService>> member = api::GroupLedgerService::open(config, clock_, options);
    EXPECT_TRUE(member.is_ok()) << member.status().to_string();
    return member.is_ok() ? std::move(member).value() : nullptr;
  }

  // The owners table as a third process reads it: true once it names `advertise` for every partition of `held`.
  bool table_names(const std::string& advertise, const std::vector<uint32_t>& held) {
    Result<std::unique_ptr<Log>> log = open_log(log_uri(), LogOptions{});
    EXPECT_TRUE(log.is_ok());
    if (!log.is_ok()) return false;
    Result<std::unique_ptr<KeyedTable>> owners = (*log)->open_table("owners");
    EXPECT_TRUE(owners.is_ok());
    if (!owners.is_ok()) return false;
    for (uint32_t p : held) {
      Result<std::optional<std::string>> owner = (*owners)->get("partition/" + std::to_string(p));
      if (!owner.is_ok() || *owner != advertise) return false;
    }
    return true;
  }

  testing::TempDir dir_;
  ManualClock clock_{*parse_instant("2025-06-01T08:00:00Z")};
};

TEST_F(GroupOwners, AMovedPartitionIsRedirectedToItsNewOwnerNeverToThisMember) {
  std::unique_ptr<api::GroupLedgerService> first = join(kFirst, "first");
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->held().size(), kPartitions);
  ASSERT_TRUE(table_names(kFirst, first->held()));
  // Held here, so the table names this member: no redirect, and the cache now says "kFirst" for all.
  for (uint32_t p = 0; p < kPartitions; ++p) EXPECT_EQ(first->owner_of(p), std::nullopt) << p;

  std::unique_ptr<api::GroupLedgerService> second = join(kSecond, "second");
  ASSERT_NE(second, nullptr);
  const std::vector<uint32_t> moved = second->held();
  ASSERT_FALSE(moved.empty());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!table_names(kSecond, moved) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(table_names(kSecond, moved));
  // The cache of `first` (read above, likely within group_owners_cache_ms) names `first` for the moved
  // partitions: it reads the table again rather than answer "retry" or redirect to itself.
  for (uint32_t p : moved) {
    EXPECT_FALSE(first->holds(p)) << p;
    EXPECT_EQ(first->owner_of(p), kSecond) << p;
  }
  for (uint32_t p = 0; p < kPartitions; ++p) {
    EXPECT_NE(first->owner_of(p), kFirst) << p;
    EXPECT_NE(second->owner_of(p), kSecond) << p;
  }
  // The other way round: what `first` kept.
  for (uint32_t p : first->held()) EXPECT_EQ(second->owner_of(p), kFirst) << p;
  second->stop();
  first->stop();
}

// /ready's "writer" of a member: its share's writer, or why it has none. More members than
// partitions leave one holding nothing: "none", never "opening" (which a monitor would wait on).
TEST_F(GroupOwners, AMemberAssignedNoPartitionSaysItsWriterIsNone) {
  std::unique_ptr<api::GroupLedgerService> first = join(kFirst, "first", 1);
  ASSERT_NE(first, nullptr);
  std::unique_ptr<api::GroupLedgerService> second = join(kSecond, "second", 1);
  ASSERT_NE(second, nullptr);
  // Once the rebalance settles, one of the two holds the partition and its writer opens.
  const auto settled = [&] {
    const bool first_holds = first->held().size() == 1 && second->held().empty();
    const bool second_holds = second->held().size() == 1 && first->held().empty();
    return first_holds || second_holds;
  };
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  api::GroupLedgerService* holder = nullptr;
  api::GroupLedgerService* idle = nullptr;
  while (std::chrono::steady_clock::now() < deadline) {
    if (settled()) {
      holder = first->held().empty() ? second.get() : first.get();
      idle = holder == first.get() ? second.get() : first.get();
      if (holder->writer_status() == "open" && idle->writer_status() == "none") break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_NE(holder, nullptr) << "the partition was never held by exactly one member";
  EXPECT_EQ(holder->writer_status(), "open");
  EXPECT_EQ(idle->writer_status(), "none");
  EXPECT_FALSE(idle->ready());
  second->stop();
  first->stop();
}

// Waits until both members hold a share each with its writer open (false after 20 s).
bool settled(api::GroupLedgerService& a, api::GroupLedgerService& b) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!a.held().empty() && !b.held().empty() && a.held().size() + b.held().size() == kPartitions &&
        a.writer_status() == "open" && b.writer_status() == "open")
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// One state in a member too (issue 11 item 2): a member's writer decides against its read side's
// states of the partitions it holds and folds each event into them, once; the read models take
// it from the hand-over. (Before, a member's writer folded its partitions from offset 0 into
// states of its own: every event applied twice, the state in memory twice.)
TEST_F(GroupOwners, AMembersWriterSharesItsReadSidesStatesAndEachEventIsAppliedOnce) {
  std::unique_ptr<api::GroupLedgerService> first = join(kFirst, "first");
  std::unique_ptr<api::GroupLedgerService> second = join(kSecond, "second");
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(settled(*first, *second));
  const std::vector<std::string> workers = {"05031412595", "04070101124", "03020202422", "97062691197",
                                            "60021778675", "85073003328", "85073003526", "98042372094"};
  uint64_t written = 0;
  for (api::GroupLedgerService* member : {first.get(), second.get()}) {
    std::vector<std::string> mine;
    for (const std::string& w : workers)
      if (member->holds(member->partition_of(*parse_ssin(w)))) mine.push_back(w);
    ASSERT_FALSE(mine.empty());
    for (const std::string& w : mine) {
      const std::string body = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":")" + w +
                               R"("},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},)"
                               R"("startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30}})";
      std::promise<Result<api::WriteOutcome>> answer;
      member->submit(body, nullptr, [&answer](Result<api::WriteOutcome> r) { answer.set_value(std::move(r)); });
      Result<api::WriteOutcome> stored = answer.get_future().get();
      ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
      EXPECT_EQ(stored->declaration.decision.result, ResultCode::kAccepted);
      ++written;
    }
    std::promise<std::vector<const LedgerState*>> writer;
    bool shares = false;
    ASSERT_TRUE(member->with_writer([&](const Ledger* ledger) {
      std::vector<const LedgerState*> states;
      shares = ledger != nullptr && ledger->shares_states();
      if (ledger != nullptr)
        for (uint32_t p = 0; p < kPartitions; ++p) states.push_back(ledger->partition_state(p));
      writer.set_value(std::move(states));
    }));
    const std::vector<const LedgerState*> decided_against = writer.get_future().get();
    EXPECT_TRUE(shares);
    uint64_t applied = 0;
    member->read_view([&](const Projector& read_side) {
      for (uint32_t p = 0; p < kPartitions; ++p) {
        if (!member->holds(p)) {
          EXPECT_EQ(decided_against[p], nullptr) << p;
          continue;
        }
        EXPECT_EQ(decided_against[p], &read_side.partition(p)) << p;
        applied += read_side.partition(p).events_applied();
      }
    });
    EXPECT_EQ(applied, mine.size()) << "an event applied twice, or not at all";
    EXPECT_EQ(member->events_handed_over(), mine.size());
  }
  EXPECT_EQ(written, workers.size());
  second->stop();
  first->stop();
}

}  // namespace
}  // namespace dimona
