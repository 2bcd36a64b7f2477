// A producer's idempotence window (engine/log/log_internal.h, ProducerSession): every id it
// remembers answers its first offset until limits::log_producer_event_ids_remembered newer ids
// have come, then none; checked against a plain model (a map and a queue) over a seeded run of
// repeats and evictions, where a slot lost or left behind by a deletion would show.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <unordered_map>

#include "engine/base/limits.h"
#include "engine/log/log_internal.h"

namespace dimona::log_internal {
namespace {

constexpr size_t kWindow = limits::log_producer_event_ids_remembered;

std::string id_of(uint64_t n) { return "dcl-" + std::to_string(700'000'000'000 + n); }

TEST(ProducerSession, AnIdAnswersItsFirstOffset) {
  ProducerSession session;
  EXPECT_FALSE(session.offset_of("dcl-1").has_value());
  session.remember("dcl-1", 7);
  session.remember("dcl-1", 9);  // a repeat keeps the first
  session.remember("act-1", 8);
  EXPECT_EQ(session.offset_of("dcl-1"), Offset{7});
  EXPECT_EQ(session.offset_of("act-1"), Offset{8});
  EXPECT_FALSE(session.offset_of("dcl-2").has_value());
  EXPECT_FALSE(session.offset_of("").has_value());
  EXPECT_EQ(session.size(), 2u);
}

TEST(ProducerSession, TheOldestIdsAreForgottenBeyondTheWindow) {
  ProducerSession session;
  const uint64_t extra = 1000;
  for (uint64_t n = 0; n < kWindow + extra; ++n) session.remember(id_of(n), n);
  EXPECT_EQ(session.size(), kWindow);
  for (uint64_t n = 0; n < extra; ++n) ASSERT_FALSE(session.offset_of(id_of(n)).has_value()) << n;
  for (uint64_t n = extra; n < kWindow + extra; ++n) ASSERT_EQ(session.offset_of(id_of(n)), Offset{n}) << n;
}

TEST(ProducerSession, AnswersAsAMapAndAQueueDoThroughRepeatsAndEvictions) {
  std::mt19937_64 rng(20261207);
  ProducerSession session;
  std::unordered_map<std::string, Offset> model;
  std::deque<std::string> order;
  Offset next = 0;
  for (int step = 0; step < 400'000; ++step) {
    // Ids drawn from a range a little wider than the window: repeats, returns after eviction.
    const std::string id = id_of(rng() % (kWindow + kWindow / 4));
    if (rng() % 3 == 0) {
      auto it = model.find(id);
      const std::optional<Offset> expected = it == model.end() ? std::nullopt : std::optional(it->second);
      ASSERT_EQ(session.offset_of(id), expected) << "step " << step << " id " << id;
      continue;
    }
    session.remember(id, next);
    if (model.emplace(id, next).second) {
      order.push_back(id);
      if (order.size() > kWindow) {
        model.erase(order.front());
        order.pop_front();
      }
    }
    ++next;
    ASSERT_EQ(session.size(), model.size()) << "step " << step;
  }
  for (const auto& [id, offset] : model) ASSERT_EQ(session.offset_of(id), offset) << id;
}

}  // namespace
}  // namespace dimona::log_internal
