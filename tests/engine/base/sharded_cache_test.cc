#include "engine/base/sharded_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dimona {
namespace {

auto always = [](const auto&) { return true; };

struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

TEST(ShardedCache, FindsWhatWasPutAndNothingElse) {
  ShardedCache<uint64_t, int, 4> cache(100);
  EXPECT_FALSE(cache.find(uint64_t{7}, always));
  cache.put(uint64_t{7}, 70);
  ASSERT_TRUE(cache.find(uint64_t{7}, always));
  EXPECT_EQ(*cache.find(uint64_t{7}, always), 70);
  EXPECT_FALSE(cache.find(uint64_t{8}, always));
  cache.put(uint64_t{7}, 71);  // replaced, not added
  EXPECT_EQ(*cache.find(uint64_t{7}, always), 71);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ShardedCache, AStaleValueIsAsGoodAsAbsentAndTheNextPutReplacesIt) {
  ShardedCache<uint64_t, int, 2> cache(10);
  cache.put(uint64_t{1}, 5);
  EXPECT_FALSE(cache.find(uint64_t{1}, [](int v) { return v > 5; }));
  EXPECT_TRUE(cache.find(uint64_t{1}, [](int v) { return v == 5; }));
  cache.put(uint64_t{1}, 6);
  EXPECT_EQ(*cache.find(uint64_t{1}, [](int v) { return v > 5; }), 6);
}

TEST(ShardedCache, NeverHoldsMoreThanItsCapacity) {
  ShardedCache<uint64_t, uint64_t, 4> cache(64);
  for (uint64_t k = 0; k < 10'000; ++k) {
    cache.put(k, k * 3);
    ASSERT_LE(cache.size(), 64u) << "after key " << k;
    ASSERT_EQ(*cache.find(k, always), k * 3) << "the key just put is always there";
  }
}

TEST(ShardedCache, ACapacityBelowTheShardCountStillKeepsOneAShard) {
  ShardedCache<uint64_t, int, 16> cache(3);
  cache.put(uint64_t{42}, 1);
  EXPECT_TRUE(cache.find(uint64_t{42}, always));
  for (uint64_t k = 0; k < 100; ++k) cache.put(k, 2);
  EXPECT_LE(cache.size(), 16u);
}

TEST(ShardedCache, AStringKeyIsFoundByAStringView) {
  ShardedCache<std::string, int, 4, TextHash> cache(10);
  const std::string_view token = "Bearer abc.def.ghi";
  cache.put(token, 9);
  std::string other(token);
  EXPECT_EQ(*cache.find(std::string_view(other), always), 9);
  EXPECT_FALSE(cache.find(std::string_view("Bearer abc.def.gh"), always));
}

TEST(ShardedCache, ReadersAndWritersOnManyThreadsSeeOnlyValuesPutForTheirKey) {
  ShardedCache<uint64_t, uint64_t, 8> cache(256);
  std::atomic<uint64_t> wrong{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 20'000; ++i) {
        const uint64_t k = (i * 7 + t) % 1'000;
        if (i % 3 == 0) cache.put(k, k + 1'000'000);
        if (auto v = cache.find(k, always); v && *v != k + 1'000'000) ++wrong;
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_LE(cache.size(), 256u);
}

}  // namespace
}  // namespace dimona
