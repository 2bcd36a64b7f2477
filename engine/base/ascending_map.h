// AscendingMap: a map from uint64_t keys to uint64_t values for keys that
// mostly arrive in ascending order with ascending values (a partition's
// declaration ids and their offsets), in about 8 bytes a pair.
//
// Contract. put(k, v) sets k's value (the last put wins); find(k) gives it,
// or nullopt. A pair whose key and value are both above the last appended
// pair's is appended to the run: blocks of at most kBlockPairs pairs, each
// pair two 32-bit deltas from its block's first pair (a new block starts
// where a delta would not fit), found by a binary search over the blocks
// then within one. Any other pair (a key put again, a key below the run's
// last, a value that goes back, a key already beside the run) goes to a
// FlatMap beside the run, which is read first: so the order of puts only
// changes where pairs are kept, never an answer. for_each_sorted() visits every key once, ascending,
// with its value: what a canonical save needs. The key FlatMap::kEmptyKey
// is reserved (asserted). No erase. Not thread-safe.
//
// Where a FlatMap<uint64_t> holds a pair in 16 bytes at 44-88 % load, plus
// the old table while it grows (24-36 bytes a pair), the run holds it in
// 8 bytes plus 24 a block; its chunks' untouched pages stay out of the
// resident set (chunked_vector.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/chunked_vector.h"
#include "engine/base/flat_map.h"

namespace dimona {

class AscendingMap {
 public:
  static constexpr size_t kBlockPairs = 64;

  size_t size() const { return size_; }

  std::optional<uint64_t> find(uint64_t key) const {
    if (const uint64_t* v = others_.find(key)) return *v;
    return find_in_run(key);
  }

  void put(uint64_t key, uint64_t value) {
    DIMONA_ASSERT(key != FlatMap<uint64_t>::kEmptyKey);
    // A key put beside the run may come again in the run's order: it stays beside (read first).
    const bool beside = key <= others_max_ && others_.find(key) != nullptr;
    if (!beside && appendable(key, value)) {
      append(key, value);
      ++size_;
      return;
    }
    const bool known = beside || find_in_run(key).has_value();
    others_[key] = value;
    others_max_ = std::max(others_max_, key);
    if (!known) ++size_;
  }

  // Every key once, in ascending order, with its value: f(key, value).
  template <typename F>
  void for_each_sorted(F&& f) const {
    std::vector<std::pair<uint64_t, uint64_t>> others;
    others.reserve(others_.size());
    others_.for_each([&others](uint64_t k, uint64_t v) { others.emplace_back(k, v); });
    std::sort(others.begin(), others.end());
    auto other = others.begin();
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const Block& block = blocks_[b];
      for (size_t i = block.first; i < block_end(b); ++i) {
        const uint64_t key = block.key + pairs_[i].key;
        for (; other != others.end() && other->first < key; ++other) f(other->first, other->second);
        if (other != others.end() && other->first == key) {
          f(other->first, other->second);  // put again after the run: the later value
          ++other;
        } else {
          f(key, block.value + pairs_[i].value);
        }
      }
    }
    for (; other != others.end(); ++other) f(other->first, other->second);
  }

 private:
  struct Block {
    uint64_t key = 0;    // its first pair's
    uint64_t value = 0;  // its first pair's
    size_t first = 0;    // its first pair's index in pairs_
  };
  struct Pair {
    uint32_t key;  // minus the block's
    uint32_t value;
  };

  size_t block_end(size_t b) const { return b + 1 < blocks_.size() ? blocks_[b + 1].first : pairs_.size(); }

  bool appendable(uint64_t key, uint64_t value) const {
    return pairs_.empty() || (key > last_key_ && value >= last_value_);
  }

  void append(uint64_t key, uint64_t value) {
    const bool fits = !blocks_.empty() && pairs_.size() - blocks_.back().first < kBlockPairs &&
                      key - blocks_.back().key <= UINT32_MAX && value - blocks_.back().value <= UINT32_MAX;
    if (!fits) blocks_.push_back(Block{key, value, pairs_.size()});
    const Block& block = blocks_.back();
    pairs_.push_back(Pair{static_cast<uint32_t>(key - block.key), static_cast<uint32_t>(value - block.value)});
    last_key_ = key;
    last_value_ = value;
  }

  std::optional<uint64_t> find_in_run(uint64_t key) const {
    // The last block whose first key is at or below `key`, then the pair in it.
    auto after =
        std::upper_bound(blocks_.begin(), blocks_.end(), key, [](uint64_t k, const Block& b) { return k < b.key; });
    if (after == blocks_.begin()) return std::nullopt;
    const size_t b = static_cast<size_t>(after - blocks_.begin()) - 1;
    const Block& block = blocks_[b];
    const uint64_t delta = key - block.key;
    if (delta > UINT32_MAX) return std::nullopt;
    size_t lo = block.first, hi = block_end(b);
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (pairs_[mid].key < delta)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == block_end(b) || pairs_[lo].key != delta) return std::nullopt;
    return block.value + pairs_[lo].value;
  }

  std::vector<Block> blocks_;
  ChunkedVector<Pair> pairs_;
  uint64_t last_key_ = 0, last_value_ = 0;  // of the run's last pair
  FlatMap<uint64_t> others_;                // pairs out of the run's order; read first
  uint64_t others_max_ = 0;                 // the largest key in others_ (0: none above 0)
  size_t size_ = 0;                         // distinct keys
};

}  // namespace dimona
