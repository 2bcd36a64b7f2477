// AscendingMap (engine/base/ascending_map.h): the same answers as std::map for any order of puts
// (ascending runs, keys put again, keys below the run, values that go back, gaps past 32 bits),
// and every key once, ascending, in for_each_sorted.
#include "engine/base/ascending_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace dimona {
namespace {

void expect_same(const AscendingMap& map, const std::map<uint64_t, uint64_t>& model) {
  ASSERT_EQ(map.size(), model.size());
  for (const auto& [k, v] : model) {
    ASSERT_EQ(map.find(k), std::optional<uint64_t>(v)) << "key " << k;
    if (!model.contains(k + 1)) {
      ASSERT_FALSE(map.find(k + 1).has_value()) << "key " << k + 1;
    }
    if (k > 0 && !model.contains(k - 1)) {
      ASSERT_FALSE(map.find(k - 1).has_value()) << "key " << k - 1;
    }
  }
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  map.for_each_sorted([&seen](uint64_t k, uint64_t v) { seen.emplace_back(k, v); });
  const std::vector<std::pair<uint64_t, uint64_t>> expected(model.begin(), model.end());
  EXPECT_EQ(seen, expected);
}

TEST(AscendingMap, AnEmptyMapFindsNothing) {
  AscendingMap map;
  EXPECT_EQ(map.size(), 0u);
  EXPECT_FALSE(map.find(0).has_value());
  EXPECT_FALSE(map.find(~uint64_t{0}).has_value());
  expect_same(map, {});
}

TEST(AscendingMap, AnAscendingRunAcrossBlocksAndWideGaps) {
  AscendingMap map;
  std::map<uint64_t, uint64_t> model;
  uint64_t key = 7, value = 0;
  for (int i = 0; i < 1000; ++i) {
    key += (i % 97 == 0) ? (uint64_t{1} << 33) : 1 + i % 5;    // now and then a gap no 32-bit delta holds
    value += (i % 89 == 0) ? (uint64_t{1} << 32) + 3 : i % 3;  // values may repeat, never go back
    map.put(key, value);
    model[key] = value;
  }
  expect_same(map, model);
}

TEST(AscendingMap, TheLastPutWinsInWhateverOrderTheyCome) {
  AscendingMap map;
  std::map<uint64_t, uint64_t> model;
  map.put(100, 5);
  map.put(200, 9);
  map.put(100, 12);  // put again, after the run moved past it
  map.put(150, 1);   // below the run's last key
  map.put(300, 2);   // above it, but its value goes back
  map.put(400, 20);  // the run again
  map.put(150, 3);   // put again, out of the run
  map.put(500, 1);   // above the run's last key, its value back: beside the run
  map.put(500, 30);  // then again in the run's order: the later value still wins
  model = {{100, 12}, {150, 3}, {200, 9}, {300, 2}, {400, 20}, {500, 30}};
  expect_same(map, model);
}

TEST(AscendingMap, RandomPutsAnswerAsAStdMap) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    AscendingMap map;
    std::map<uint64_t, uint64_t> model;
    uint64_t key = rng() % 1000, value = 0;
    for (int i = 0; i < 3000; ++i) {
      const uint64_t dice = rng() % 100;
      uint64_t k, v;
      if (dice < 80) {  // the writer's order: both grow
        k = key += 1 + rng() % (dice < 2 ? uint64_t{1} << 34 : 50);
        v = value += rng() % 4;
      } else if (dice < 90 && !model.empty()) {  // a key put again
        auto it = model.begin();
        std::advance(it, static_cast<long>(rng() % model.size()));
        k = it->first;
        v = rng() % 100000;
      } else {  // anywhere at all
        k = rng() % (key + 2);
        v = rng() % 100000;
      }
      if (k == FlatMap<uint64_t>::kEmptyKey) continue;
      map.put(k, v);
      model[k] = v;
    }
    expect_same(map, model);
  }
}

}  // namespace
}  // namespace dimona
