// KeyFilter: which uint64_t keys may be in a set, answered from a small bit
// array (a blocked Bloom filter: one 64-bit word a key, three bits in it).
//
// Contract. might_contain(k) is true for every key added since the last
// reset (no false negative). For a key never added it is false but for about
// 1 % of keys at the highest load, kKeysPerWordMax keys a word (2 bytes a
// key), and fewer below it. It holds no keys: when full() says one more add
// would pass that load, the owner resets it larger and adds its keys again.
// A look-up reads one word, where an absent key's probe run in a FlatMap at
// 7/8 load reads several cache lines: it serves look-ups that mostly miss
// (a period id asked of every partition but its own). Deterministic: the
// answer is a function of the keys added. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/flat_map.h"

namespace dimona {

class KeyFilter {
 public:
  static constexpr size_t kKeysPerWordMax = 4;

  bool might_contain(uint64_t key) const {
    if (words_.empty()) return false;
    const uint64_t h = mix64(key);
    const uint64_t b = bits(h);
    return (words_[h & mask_] & b) == b;
  }

  // Whether one more add would pass kKeysPerWordMax keys a word (always, before the first reset).
  bool full() const { return size_ + 1 > words_.size() * kKeysPerWordMax; }

  void add(uint64_t key) {
    DIMONA_ASSERT(!full());
    const uint64_t h = mix64(key);
    words_[h & mask_] |= bits(h);
    ++size_;
  }

  // Empties the filter and sizes it for `keys` keys before it is full.
  void reset(size_t keys) {
    size_t words = 16;
    while (words * kKeysPerWordMax < keys) words *= 2;
    words_.assign(words, 0);
    mask_ = words - 1;
    size_ = 0;
  }

  size_t size() const { return size_; }

 private:
  // Three bits of the word, from the hash's high bits (its low bits choose the word).
  static uint64_t bits(uint64_t h) {
    return uint64_t{1} << (h >> 58) | uint64_t{1} << (h >> 52 & 63) | uint64_t{1} << (h >> 46 & 63);
  }

  std::vector<uint64_t> words_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace dimona
