// FlatMap: an open-addressing hash map from uint64_t keys to small values.
//
// Contract. Linear probing over a table of (key, value) slots (12 bytes for
// a uint32_t value, 16 for a uint64_t), grown by half at 7/8 load; no erase (the ledger's keys are never
// removed). The key kEmptyKey (all ones) is reserved: inserting it is a broken invariant, and find(kEmptyKey) answers
// nullptr (a key from outside may be anything). Iteration order is the slot order, which depends on the insertion
// history: callers that need a stable order (exports) sort. Pointers and references into the map are invalidated by an
// insert that grows it. A table of 2 MiB or more lives on transparent huge pages (huge_pages.h); an empty map holds no
// table until its first insert (a projector of one citizen builds dozens of maps it never fills). Not thread-safe. 3-4x
// faster than std::unordered_map on the fold's access pattern (DESIGN.md §8).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/huge_pages.h"

namespace dimona {

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// A key that names a record and that a FlatMap may hold: not 0 (the ledger's
// "none") and not the reserved kEmptyKey. Checked at the edge (a checkpoint's
// bytes, a folded event) before a key reaches a map.
inline bool is_record_key(uint64_t k) { return k != 0 && k != ~uint64_t{0}; }

template <typename V>
class FlatMap {
 public:
  static constexpr uint64_t kEmptyKey = ~uint64_t{0};

  explicit FlatMap(size_t expected = 0) { reserve(expected); }

  size_t size() const { return size_; }

  const V* find(uint64_t key) const {
    if (slots_.empty() || key == kEmptyKey) return nullptr;  // the empty slots' key is no entry
    for (size_t i = home(key);; i = next(i)) {
      const Slot& s = slots_[i];
      const uint64_t k = s.key();
      if (k == key) return &s.value;
      if (k == kEmptyKey) return nullptr;
    }
  }
  V* find(uint64_t key) { return const_cast<V*>(std::as_const(*this).find(key)); }

  // The value for `key`, default-constructed when it was absent.
  V& operator[](uint64_t key) { return claim(key).first->value; }

  // Inserts (key, value) and answers true; false, the map unchanged, when `key` is present.
  bool insert(uint64_t key, V value) {
    auto [slot, claimed] = claim(key);
    if (claimed) slot->value = std::move(value);
    return claimed;
  }

  void reserve(size_t n) {
    if (n == 0) return;  // the first insert allocates
    const size_t want = std::max<size_t>(16, (n * 8 + 6) / 7);  // n at most 7/8 of it
    if (want > slots_.size()) rehash(want);
  }

  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.key() != kEmptyKey) f(s.key(), s.value);
  }

 private:
  // The key in two 32-bit halves, so that a slot is aligned as its value is: a (key, uint32_t)
  // slot is 12 bytes, not 16, a quarter of the table less for the maps of indexes (issue 13
  // item 3); one unaligned 8-byte load reads it back.
  struct Slot {
    uint32_t halves[2] = {~uint32_t{0}, ~uint32_t{0}};  // kEmptyKey
    V value{};
    uint64_t key() const {
      uint64_t k;
      std::memcpy(&k, halves, sizeof k);
      return k;
    }
    void set_key(uint64_t k) { std::memcpy(halves, &k, sizeof k); }
  };

  // The slot of `key`, claimed for it (value default) when absent; whether it was.
  std::pair<Slot*, bool> claim(uint64_t key) {
    DIMONA_ASSERT(key != kEmptyKey);
    if ((size_ + 1) * 8 > slots_.size() * 7) grow();
    for (size_t i = home(key);; i = next(i)) {
      Slot& s = slots_[i];
      const uint64_t k = s.key();
      if (k == key) return {&s, false};
      if (k == kEmptyKey) {
        s.set_key(key);
        ++size_;
        return {&s, true};
      }
    }
  }

  // A key's first slot: its hash scaled to the table (the high half of hash * capacity), so the
  // table may have any size.
  size_t home(uint64_t key) const {
    __extension__ using Wide = unsigned __int128;  // GCC and Clang, on every 64-bit target
    return static_cast<size_t>((static_cast<Wide>(mix64(key)) * capacity_) >> 64);
  }
  size_t next(size_t i) const { return i + 1 == capacity_ ? 0 : i + 1; }

  // Half as large again: a table's load after growing averages ~70 % where doubling gives ~66 %
  // at 7/8, and at most a third of it is empty where doubling leaves more than half
  // (issue 13 item 3).
  void grow() { rehash(slots_.empty() ? 16 : slots_.size() + slots_.size() / 2); }

  void rehash(size_t capacity) {
    std::vector<Slot, HugePageAllocator<Slot>> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    capacity_ = capacity;
    for (Slot& s : old) {
      if (s.key() == kEmptyKey) continue;
      size_t i = home(s.key());
      while (slots_[i].key() != kEmptyKey) i = next(i);
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot, HugePageAllocator<Slot>> slots_;  // written whole at each rehash
  size_t capacity_ = 0;                               // slots_.size()
  size_t size_ = 0;
};

}  // namespace dimona
