// KeyFilter (engine/base/key_filter.h): no key added is ever said absent, through every
// growth its owner makes; keys never added are said present rarely (the false-positive rate at
// the highest load); an empty or never-sized filter holds nothing.
#include "engine/base/key_filter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace dimona {
namespace {

// Adds `key` as an owner does (LedgerState::restore_period): when full, reset twice as large and
// add every key again.
void add_as_owner(KeyFilter& filter, std::vector<uint64_t>& keys, uint64_t key) {
  keys.push_back(key);
  if (filter.full()) {
    filter.reset(2 * keys.size());
    for (uint64_t k : keys) filter.add(k);
  } else {
    filter.add(key);
  }
}

TEST(KeyFilter, AnEmptyFilterHoldsNothing) {
  KeyFilter filter;
  EXPECT_TRUE(filter.full());
  EXPECT_FALSE(filter.might_contain(0));
  EXPECT_FALSE(filter.might_contain(~uint64_t{0}));
  filter.reset(100);
  EXPECT_FALSE(filter.full());
  for (uint64_t k = 1; k < 1000; ++k) EXPECT_FALSE(filter.might_contain(k * 7919));
}

TEST(KeyFilter, NoKeyAddedIsEverSaidAbsentThroughItsGrowth) {
  KeyFilter filter;
  std::vector<uint64_t> keys;
  for (uint64_t i = 0; i < 200'000; ++i) {
    add_as_owner(filter, keys, 100'000'000'000 + i * 37);  // 12-digit ids, as periods have
    if ((i & (i - 1)) == 0) {                              // at each power of two: every key so far
      for (uint64_t k : keys) ASSERT_TRUE(filter.might_contain(k)) << k << " after " << i + 1 << " keys";
    }
  }
  for (uint64_t k : keys) ASSERT_TRUE(filter.might_contain(k));
  EXPECT_EQ(filter.size(), keys.size());
}

TEST(KeyFilter, KeysNeverAddedAreRarelySaidPresentAtTheHighestLoad) {
  KeyFilter filter;
  filter.reset(1 << 16);
  uint64_t added = 0;
  for (uint64_t k = 1; !filter.full(); ++k, ++added) filter.add(k * 2);  // even keys, up to the load limit
  EXPECT_EQ(added, size_t{1} << 16);
  uint64_t false_positives = 0;
  const uint64_t asked = 1'000'000;
  for (uint64_t k = 0; k < asked; ++k) false_positives += filter.might_contain(k * 2 + 1);  // odd keys: none added
  EXPECT_LT(false_positives, asked * 2 / 100) << false_positives << " of " << asked;        // ~1 % expected
  EXPECT_GT(false_positives, 0u);  // a filter, not a set: a test that could not see one would prove nothing
}

TEST(KeyFilter, AddingPastFullIsABrokenInvariant) {
  KeyFilter filter;
  EXPECT_DEATH(filter.add(42), "invariant broken");
}

}  // namespace
}  // namespace dimona
