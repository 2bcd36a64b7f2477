// A citizen's history on every backend (memory, the embedded file, Kafka on librdkafka's mock
// cluster): the same items, and asOf at every instant of the log equal to a scan of it. The
// bound asOf needs comes from each backend's seek_to_instant.
#include "projections/citizen_history.h"

#include <gtest/gtest.h>

#include "engine/codec.h"
#include "engine/ledger.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/engine/log_test_support.h"

namespace dimona {
namespace {

constexpr Ssin kStudent{5031412595}, kWorker{85073003328};

class CitizenHistoryBackendTest : public testing::LogBackendTest {
 protected:
  CitizenHistoryBackendTest() : LogBackendTest("history", 1) {}
};

TEST_P(CitizenHistoryBackendTest, AsOfEqualsAScanOfTheLog) {
  const Instant base = *parse_instant("2025-06-01T08:00:00Z");
  ManualClock clock(base);
  {
    Result<std::unique_ptr<Ledger>> ledger =
        Ledger::open(*log_, testing::test_schedule(), clock, ServerSecret::from_passphrase("test"));
    ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    DeclarationDecoder decoder;
    for (int i = 0; i < 24; ++i) {
      clock.set(Instant{base.micros + (i / 3) * 60 * kMicrosPerSecond});  // three events an instant
      std::string json = testing::stu_in("2025-07-01", "2025-07-01", 1 + i, i % 3 == 1 ? "85073003328" : "05031412595");
      const size_t size = json.size();
      json.resize(size + kJsonPadding, ' ');
      Result<Declaration> d = decoder.decode(std::string_view(json.data(), size), json.size());
      ASSERT_TRUE(d.is_ok());
      ASSERT_TRUE((*ledger)->submit(*d, std::string_view(json.data(), size), "test").is_ok());
    }
    ASSERT_TRUE((*ledger)->commit().is_ok());
  }
  Result<std::unique_ptr<Projector>> projector = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(projector.is_ok());
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  const Projector& p = **projector;
  std::vector<std::pair<Instant, uint64_t>> logged;  // recordedAt, ssin: the whole partition
  EventDecoder decoder;
  for (const LogRecord& r : testing::read_all(*log_, 0)) {
    if (r.is_fence()) continue;  // the writer's fence (Kafka): no event
    Result<Event> e = decoder.decode_copy(r.payload);
    ASSERT_TRUE(e.is_ok());
    logged.emplace_back(e->recorded_at, e->ssin.value);
  }
  ASSERT_EQ(logged.size(), 24u);
  for (const Ssin who : {kStudent, kWorker}) {
    std::vector<std::string> all;
    Result<uint64_t> total = citizen_history(p, who, std::nullopt, 0, 100, [&](std::string_view item) {
      all.emplace_back(item);
      return Status::ok();
    });
    ASSERT_TRUE(total.is_ok()) << total.status().to_string();
    ASSERT_EQ(*total, who == kStudent ? 16u : 8u);
    // Every instant; on Kafka the first, a middle and the last (the mock cluster answers no
    // offsetsForTimes, so each seek_to_instant is a binary search of single reads, ~1 s).
    std::vector<Instant> instants;
    for (size_t i = 0; i < logged.size(); ++i)
      if (GetParam() != "kafka" || i == 0 || i == logged.size() / 2 || i + 1 == logged.size())
        instants.push_back(logged[i].first);
    for (const Instant at : instants) {
      for (int64_t shift : {-1, 0, 1}) {
        const Instant as_of{at.micros + shift};
        uint64_t expected = 0;
        for (const auto& [t, s] : logged) expected += (s == who.value && t <= as_of) ? 1 : 0;
        std::vector<std::string> got;
        Result<uint64_t> n = citizen_history(p, who, as_of, 0, 100, [&](std::string_view item) {
          got.emplace_back(item);
          return Status::ok();
        });
        ASSERT_TRUE(n.is_ok()) << n.status().to_string();
        EXPECT_EQ(*n, expected) << to_string(as_of);
        EXPECT_EQ(got, std::vector<std::string>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(expected)));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CitizenHistoryBackendTest, ::testing::Values("memory", "sqlite", "kafka"),
                         testing::backend_name);

}  // namespace
}  // namespace dimona
