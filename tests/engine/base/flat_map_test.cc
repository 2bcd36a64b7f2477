#include "engine/base/flat_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "engine/base/chunked_vector.h"

namespace dimona {
namespace {

TEST(FlatMap, AgreesWithStdMapThroughGrowth) {
  FlatMap<uint32_t> map;
  std::map<uint64_t, uint32_t> reference;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t key = rng() % 50'000 * 1'000'003;  // collisions in the low bits on purpose
    map[key] += 1;
    reference[key] += 1;
  }
  EXPECT_EQ(map.size(), reference.size());
  for (const auto& [k, v] : reference) {
    const uint32_t* found = map.find(k);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, v);
  }
  EXPECT_EQ(map.find(7), nullptr);
  size_t visited = 0;
  map.for_each([&](uint64_t k, uint32_t v) {
    EXPECT_EQ(reference.at(k), v);
    ++visited;
  });
  EXPECT_EQ(visited, reference.size());
}

// Tables of every size the growth passes through (half as large again, not powers of two), and
// any size a reserve asks: each key is found after every insert, probes that wrap past the last
// slot included, and no absent key is.
TEST(FlatMap, EveryTableSizeFindsEveryKey) {
  for (size_t reserved : {size_t{0}, size_t{1}, size_t{17}, size_t{100}, size_t{1001}}) {
    FlatMap<uint32_t> map(reserved);
    std::vector<uint64_t> keys;
    for (uint32_t i = 0; i < 1500; ++i) {
      keys.push_back(mix64(i + 1) >> 1);  // never the reserved key
      ASSERT_TRUE(map.insert(keys.back(), i));
      if (i % 7 != 0 && i > 1400) continue;
      for (uint32_t j = 0; j <= i; ++j) {
        const uint32_t* found = map.find(keys[j]);
        ASSERT_NE(found, nullptr) << "key " << j << " of " << i + 1 << ", reserved " << reserved;
        ASSERT_EQ(*found, j);
      }
      ASSERT_EQ(map.find(keys.back() + 1), nullptr);
    }
    EXPECT_EQ(map.size(), keys.size());
  }
}

// An empty map holds no table: every query answers none, and its first insert (operator[],
// insert, after a reserve(0) too) allocates one.
TEST(FlatMap, AnEmptyMapAnswersNoneUntilItsFirstInsert) {
  for (int how = 0; how < 2; ++how) {
    FlatMap<uint32_t> map;
    map.reserve(0);
    const FlatMap<uint32_t>& view = map;
    EXPECT_EQ(view.find(1), nullptr);
    EXPECT_EQ(map.find(FlatMap<uint32_t>::kEmptyKey), nullptr);
    map.for_each([](uint64_t, uint32_t) { ADD_FAILURE() << "an empty map has no entry"; });
    if (how == 0)
      map[5] = 7;
    else
      EXPECT_TRUE(map.insert(5, 7));
    ASSERT_NE(map.find(5), nullptr);
    EXPECT_EQ(*map.find(5), 7u);
    EXPECT_EQ(map.find(6), nullptr);
    EXPECT_EQ(map.size(), 1u);
  }
}

// insert() adds a key once: a second insert of it keeps the first value, through growth too.
TEST(FlatMap, InsertKeepsTheFirstValueOfAKey) {
  FlatMap<uint32_t> map;
  std::map<uint64_t, uint32_t> reference;
  std::mt19937_64 rng(7);
  for (uint32_t i = 0; i < 50'000; ++i) {
    const uint64_t key = rng() % 20'000 * 1'000'003;
    const bool fresh = reference.emplace(key, i).second;
    EXPECT_EQ(map.insert(key, i), fresh) << key;
  }
  EXPECT_EQ(map.size(), reference.size());
  for (const auto& [k, v] : reference) {
    const uint32_t* found = map.find(k);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, v);
  }
}

TEST(FlatMapDeathTest, TheEmptyKeyIsReserved) {
  FlatMap<int> map;
  EXPECT_DEATH(map[FlatMap<int>::kEmptyKey] = 1, "invariant broken");
  EXPECT_DEATH((void)map.insert(FlatMap<int>::kEmptyKey, 1), "invariant broken");
}

TEST(ChunkedVector, ElementsNeverMove) {
  ChunkedVector<uint64_t> v;
  uint64_t& first = v.push_back(11);
  for (uint64_t i = 1; i < 3 * ChunkedVector<uint64_t>::kChunkElements; ++i) v.push_back(i * 3);
  EXPECT_EQ(&first, &v[0]);
  EXPECT_EQ(v[0], 11u);
  EXPECT_EQ(v[ChunkedVector<uint64_t>::kChunkElements + 5], (ChunkedVector<uint64_t>::kChunkElements + 5) * 3);
  EXPECT_EQ(v.size(), 3 * ChunkedVector<uint64_t>::kChunkElements);
}

// The reserved key from outside finds nothing, in an empty map and a full one (it used to
// answer the value of an empty slot, which callers used as an index).
TEST(FlatMap, TheReservedKeyIsNeverFound) {
  FlatMap<uint32_t> map;
  EXPECT_EQ(map.find(FlatMap<uint32_t>::kEmptyKey), nullptr);
  for (uint64_t k = 0; k < 1000; ++k) map[k] = static_cast<uint32_t>(k + 1);
  EXPECT_EQ(map.find(FlatMap<uint32_t>::kEmptyKey), nullptr);
  const FlatMap<uint32_t>& view = map;
  EXPECT_EQ(view.find(FlatMap<uint32_t>::kEmptyKey), nullptr);
}

}  // namespace
}  // namespace dimona
