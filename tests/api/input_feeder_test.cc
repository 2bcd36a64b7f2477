// InputFeeder (serve --input): where it starts, the resume each record carries
// (the lowest offset of its partition not yet answered stored), and the read
// again after an answer "unavailable", against a LedgerService that holds the
// answers until the test gives them.
#include "api/input_feeder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/codec.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/engine/memory_input_topic.h"

namespace dimona::api {
namespace {

using testing::MemoryInputTopic;

class HoldingService final : public LedgerService {
 public:
  struct Held {
    SourcePosition position;
    std::string source;
    Done done;
  };
  explicit HoldingService(const Ledger& ledger) : ledger_(ledger) {}

  void submit(std::string, Check, Done done) override { done(unavailable("not here")); }
  void submit_from(std::string, SourcePosition position, std::string source, Done done) override {
    std::lock_guard lock(mutex_);
    held_.push_back({std::move(position), std::move(source), std::move(done)});
    changed_.notify_all();
  }
  bool with_writer(std::function<void(const Ledger*)> f) override {
    f(&ledger_);
    return true;
  }
  // The n-th submission (from 0), waiting up to 5 s for it.
  Held* nth(size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return held_.size() > n; });
    return held_.size() > n ? &held_[n] : nullptr;
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  void answer(size_t n, Result<WriteOutcome> outcome) {
    Done done;
    {
      std::lock_guard lock(mutex_);
      done = held_.at(n).done;
    }
    done(std::move(outcome));
  }

  void read_view(const std::function<void(const Projector&)>&) const override {}
  Result<std::shared_ptr<const Projector>> state_at(Instant) const override { return unavailable("not here"); }
  bool wait_for(uint32_t, Offset, int) const override { return false; }
  uint32_t partition_of(Ssin) const override { return 0; }
  bool ready() const override { return true; }
  std::string log_uri() const override { return "memory:held"; }
  Result<std::vector<PartitionProgress>> progress() const override { return std::vector<PartitionProgress>{}; }
  uint64_t lag() const override { return 0; }
  uint64_t events_folded() const override { return 0; }
  uint64_t commit_failures() const override { return 0; }
  uint64_t fold_failures() const override { return 0; }
  Instant ledger_time() const override { return Instant{}; }
  void stop() override {}

 private:
  const Ledger& ledger_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Held> held_;  // deque: pointers stay valid as it grows
};

std::string where(const HoldingService::Held* h) {
  if (h == nullptr) return "none";
  return h->position.source + "@" + std::to_string(h->position.at.index) + " resume " +
         std::to_string(h->position.resume.index);
}

class InputFeederTest : public testing::LedgerFixture {};

TEST_F(InputFeederTest, ResumesFromTheStoredGroupStartAndEachRecordCarriesTheLowestOffsetNotAnswered) {
  Ledger& ledger = *ledger_;
  // An earlier run stored partition 0's records up to offset 4, its group starting at offset 3.
  std::string text = testing::stu_in("2025-07-01", "2025-07-01", 4);
  const size_t size = text.size();
  text.resize(size + kJsonPadding, ' ');
  Result<Command> command = decoder_.decode_command(std::string_view(text.data(), size), text.size());
  ASSERT_TRUE(command.is_ok()) << command.status().to_string();
  const SourcePosition stored{"topic:input/0", {5, 5, 0}, {3, 3, 0}};
  ASSERT_TRUE(ledger.submit(command->declaration, std::string_view(text.data(), size), "x", &stored).is_ok());
  ASSERT_TRUE(ledger.commit().is_ok());

  auto topic = std::make_unique<MemoryInputTopic>(2);
  MemoryInputTopic& input = *topic;
  for (int i = 0; i < 6; ++i) input.produce(0, "{}");
  for (int i = 0; i < 3; ++i) input.produce(1, "{}");
  HoldingService service(ledger);
  Result<std::unique_ptr<InputFeeder>> feeder = InputFeeder::start(service, std::move(topic));
  ASSERT_TRUE(feeder.is_ok()) << feeder.status().to_string();

  // Partition 0 from offset 3 (index 4), partition 1 from its start; nothing answered yet.
  EXPECT_EQ(where(service.nth(0)), "topic:input/0@4 resume 3");
  EXPECT_EQ(where(service.nth(1)), "topic:input/0@5 resume 3");
  EXPECT_EQ(where(service.nth(2)), "topic:input/0@6 resume 3");
  EXPECT_EQ(where(service.nth(3)), "topic:input/1@1 resume 0");
  EXPECT_EQ(where(service.nth(4)), "topic:input/1@2 resume 0");
  EXPECT_EQ(where(service.nth(5)), "topic:input/1@3 resume 0");
  EXPECT_EQ(service.nth(0)->source, "topic:input/0:3");

  // Answers: partition 0's offset 3 stored, partition 1's offset 0 stored and 1 refused as input.
  service.answer(0, WriteOutcome{});
  service.answer(3, WriteOutcome{});
  service.answer(4, invalid_argument("field x: unknown field"));
  input.produce(0, "{}");
  input.produce(1, "{}");
  EXPECT_EQ(where(service.nth(6)), "topic:input/0@7 resume 4");
  EXPECT_EQ(where(service.nth(7)), "topic:input/1@4 resume 2");

  // Partition 1's offset 2 is answered unavailable: once the rest is answered, read again from it.
  service.answer(5, unavailable("not stored"));
  for (size_t n : {1, 2, 6, 7}) service.answer(n, WriteOutcome{});
  EXPECT_EQ(where(service.nth(8)), "topic:input/1@3 resume 2");
  EXPECT_EQ(where(service.nth(9)), "topic:input/1@4 resume 2");
  service.answer(8, WriteOutcome{});
  service.answer(9, WriteOutcome{});
  (*feeder)->stop();
  const InputCounts counts = (*feeder)->counts();
  EXPECT_EQ(counts.malformed, 1u);
  EXPECT_EQ(counts.retried, 1u);
  EXPECT_EQ(counts.stored, 8u);
  EXPECT_EQ(service.count(), 10u);
}

}  // namespace
}  // namespace dimona::api
