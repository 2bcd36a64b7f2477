// ShardedCache: a bounded map of values computed elsewhere (a verified token's
// principal, a looked-up name), read from many threads at once.
//
// Contract. kShards shards chosen by the key's hash, each a hash map under its
// own reader-writer lock: find() takes the shard's shared lock, so readers of
// the same shard do not wait for each other; put() takes it exclusively. A
// shard holds at most max(1, capacity / kShards) entries: a put of a new key
// into a full shard empties the shard first (the cache is a shortcut, never
// the truth: what it forgets is computed again). find() hands back a copy, and
// only when the caller's `fresh` predicate accepts the value (an expiry, a
// generation): a stale value is as good as absent, and the next put() of that
// key replaces it. Heterogeneous look-up when Hash and Eq are transparent (a
// std::string key found by string_view). Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include "engine/base/flat_map.h"

namespace dimona {

template <typename Key, typename Value, size_t kShards, typename Hash = std::hash<Key>, typename Eq = std::equal_to<>>
class ShardedCache {
  static_assert(kShards > 0);

 public:
  explicit ShardedCache(size_t capacity) : per_shard_(capacity / kShards > 0 ? capacity / kShards : 1) {}

  // A copy of the value cached for `key` if fresh(value); nullopt when absent or stale.
  template <typename K, typename Fresh>
  std::optional<Value> find(const K& key, Fresh&& fresh) const {
    const Shard& shard = shard_of(key);
    std::shared_lock lock(shard.mutex);
    if (auto it = shard.map.find(key); it != shard.map.end() && fresh(it->second)) return it->second;
    return std::nullopt;
  }

  // `value` is now the one cached for `key` (see the contract for a full shard).
  template <typename K>
  void put(const K& key, Value value) {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.map.find(key); it != shard.map.end()) {
      it->second = std::move(value);
      return;
    }
    if (shard.map.size() >= per_shard_) shard.map.clear();
    shard.map.emplace(Key(key), std::move(value));
  }

  // Entries held in all shards (a moment's count: others may be putting).
  size_t size() const {
    size_t n = 0;
    for (const Shard& shard : shards_) {
      std::shared_lock lock(shard.mutex);
      n += shard.map.size();
    }
    return n;
  }

 private:
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<Key, Value, Hash, Eq> map;
  };
  // mix64: the shard takes the hash's high bits, the map its low ones.
  template <typename K>
  static size_t shard_index(const K& key) {
    return (mix64(Hash{}(key)) >> 32) % kShards;
  }
  template <typename K>
  Shard& shard_of(const K& key) {
    return shards_[shard_index(key)];
  }
  template <typename K>
  const Shard& shard_of(const K& key) const {
    return shards_[shard_index(key)];
  }

  const size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace dimona
