// PastStates (api/past_states.h): the state at an instant, kept for the next
// reader of that instant; a reader of a kept instant waits for no one's search
// of the log (bench/audit found warm asOf reads stalled ~0.5 s behind a cold one).
#include "api/past_states.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

using testing::stu_in;
using PastState = Result<std::shared_ptr<const Projector>>;

// A log whose consumers' end_offset waits while the gate is shut: a search of
// the log (first_offset_after asks each partition's end first) held midway.
class GatedLog final : public Log {
 public:
  explicit GatedLog(Log& inner) : inner_(inner) {}

  void shut() {
    std::lock_guard lock(mutex_);
    shut_ = true;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      shut_ = false;
    }
    changed_.notify_all();
  }
  // True once a reader waits at the gate (within 10 s).
  bool someone_waits() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [this] { return waiting_ > 0; });
  }

  uint32_t partitions() const override { return inner_.partitions(); }
  std::string uri() const override { return "gated+" + inner_.uri(); }
  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override { return inner_.open_producer(partition); }
  Result<std::unique_ptr<LogConsumer>> open_consumer() override {
    Result<std::unique_ptr<LogConsumer>> c = inner_.open_consumer();
    DIMONA_TRY(c);
    return std::unique_ptr<LogConsumer>(std::make_unique<Consumer>(*this, std::move(*c)));
  }

 private:
  void pass() {
    std::unique_lock lock(mutex_);
    if (!shut_) return;
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !shut_; });
    --waiting_;
  }

  struct Consumer final : LogConsumer {
    Consumer(GatedLog& log, std::unique_ptr<LogConsumer> inner) : log_(log), inner_(std::move(inner)) {}
    Status assign(std::span<const uint32_t> partitions) override { return inner_->assign(partitions); }
    Status seek(uint32_t partition, Offset offset) override { return inner_->seek(partition, offset); }
    Status seek_to_instant(uint32_t partition, Instant at) override { return inner_->seek_to_instant(partition, at); }
    Result<size_t> poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout, size_t max_records) override {
      return inner_->poll(out, timeout, max_records);
    }
    Result<Offset> end_offset(uint32_t partition) override {
      log_.pass();
      return inner_->end_offset(partition);
    }
    GatedLog& log_;
    std::unique_ptr<LogConsumer> inner_;
  };

  Log& inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool shut_ = false;
  int waiting_ = 0;
};

class PastStatesTest : public testing::LedgerFixture {
 protected:
  // The partition holding the student's two events.
  uint32_t student_partition() {
    Result<std::unique_ptr<LogConsumer>> consumer = log_.open_consumer();
    EXPECT_TRUE(consumer.is_ok());
    for (uint32_t p = 0; p < log_.partitions(); ++p) {
      Result<Offset> end = (*consumer)->end_offset(p);
      if (end.is_ok() && *end == 2) return p;
    }
    ADD_FAILURE() << "no partition holds the two events";
    return 0;
  }
};

TEST_F(PastStatesTest, AKeptInstantIsAnsweredWhileAnotherReaderSearchesTheLog) {
  submit(stu_in("2025-06-02", "2025-06-30", 40));  // recorded 2025-06-01T08:00
  clock_.set(*parse_instant("2025-06-10T08:00:00Z"));
  submit(stu_in("2025-06-12", "2025-06-30", 20));
  ASSERT_TRUE(ledger_->commit().is_ok());
  const uint32_t partition = student_partition();
  GatedLog gated(log_);
  ProjectorOptions base;
  base.partitions = {partition};
  api::PastStates past(gated, base);

  const Instant seen = *parse_instant("2025-06-05T00:00:00Z");  // a record after it: its bounds are for good
  const PastState first = past.at(seen);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ((*first)->offset(partition), 1u);

  gated.shut();
  std::future<PastState> searching = std::async(std::launch::async, [&] { return past.at(*parse_instant("2025-06-20T00:00:00Z")); });
  ASSERT_TRUE(gated.someone_waits()) << "the new instant did not search the log";
  std::future<PastState> again = std::async(std::launch::async, [&] { return past.at(seen); });
  const bool answered = again.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  gated.open();
  EXPECT_TRUE(answered) << "a kept instant waited for another reader's search of the log";
  const PastState kept = again.get();
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  EXPECT_EQ(kept->get(), first->get());  // the kept state itself, not a rebuild
  const PastState later = searching.get();
  ASSERT_TRUE(later.is_ok()) << later.status().to_string();
  EXPECT_EQ((*later)->offset(partition), 2u);
}

}  // namespace
}  // namespace dimona
