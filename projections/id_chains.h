// IdChains<N>: the ids of one kind of record, each listed under N keys (an
// employer, a citizen, an access code), with one chain per key, newest first.
// It is what a read model keeps when the records themselves live in the
// engine's state (found there by id) and only the lists that no decision reads
// are the read model's (issue 12 item 1): CareerBreakIndex and AccessIndex.
//
// Contract. add() appends in fold order and links the entry at the head of
// each of its keys' chains; it refuses (false, nothing added) an id listed
// already, or an id or key that is 0 (none) or FlatMap's reserved key, so the
// maps never meet a key they may not hold. of<K>(key, f) calls f(id) for the
// ids listed under `key` in position K, newest first, walking that key's
// chain only. save() writes the count (u32) and each entry's id and keys
// (u64s) in fold order; load() reads them back through add(), so a section
// that lists an impossible or repeated entry is refused, and a saved chain
// loads to the same chains (canonical bytes). Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/flat_map.h"
#include "engine/base/status.h"

namespace dimona {

template <size_t N>
class IdChains {
 public:
  using Keys = std::array<uint64_t, N>;

  // False (nothing added) when `id` is listed already, or it or a key is 0 or reserved.
  bool add(uint64_t id, const Keys& keys) {
    if (!is_record_key(id) || by_id_.find(id) != nullptr) return false;
    for (uint64_t k : keys)
      if (!is_record_key(k)) return false;
    const auto at = static_cast<uint32_t>(entries_.size());
    Entry e{id, keys, {}};
    for (size_t k = 0; k < N; ++k) {
      uint32_t& head = heads_[k][keys[k]];
      e.prev[k] = head == 0 ? kNone : head - 1;
      head = at + 1;
    }
    by_id_[id] = at + 1;
    entries_.push_back(e);
    return true;
  }

  // f(id) for each id listed under `key` in position K, newest first.
  template <size_t K, typename F>
  void of(uint64_t key, F&& f) const {
    static_assert(K < N);
    const uint32_t* head = heads_[K].find(key);
    for (uint32_t at = head ? *head - 1 : kNone; at != kNone; at = entries_[at].prev[K]) f(entries_[at].id);
  }
  // f(key) for every key in position K, each once, in no particular order.
  template <size_t K, typename F>
  void for_each_key(F&& f) const {
    static_assert(K < N);
    heads_[K].for_each([&f](uint64_t key, uint32_t) { f(key); });
  }
  // The keys `id` was listed under, or null when it is not listed.
  const Keys* keys_of(uint64_t id) const {
    const uint32_t* at = by_id_.find(id);
    return at ? &entries_[*at - 1].keys : nullptr;
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  void save(std::string* out) const {
    put<uint32_t>(out, static_cast<uint32_t>(entries_.size()));
    for (const Entry& e : entries_) {
      put(out, e.id);
      for (uint64_t k : e.keys) put(out, k);
    }
  }
  // Reads what save() wrote from `r` into an empty IdChains; `what` names the section in the error.
  [[nodiscard]] Status load(ByteReader* r, std::string_view what) {
    DIMONA_ASSERT(entries_.empty());
    constexpr size_t kEntryBytes = (1 + N) * sizeof(uint64_t);
    uint32_t count = 0;
    if (!r->get(&count) || count > r->remaining() / kEntryBytes) return corruption(std::string(what) + " truncated");
    entries_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      uint64_t id = 0;
      Keys keys{};
      bool read = r->get(&id);
      for (uint64_t& k : keys) read = read && r->get(&k);
      if (!read) return corruption(std::string(what) + " truncated");
      if (!add(id, keys)) return corruption(std::string(what) + " lists an impossible or repeated record");
    }
    return Status::ok();
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Entry {
    uint64_t id = 0;
    Keys keys{};
    std::array<uint32_t, N> prev{};
  };
  std::vector<Entry> entries_;
  FlatMap<uint32_t> by_id_;
  std::array<FlatMap<uint32_t>, N> heads_;  // key -> 1 + index of its newest entry
};

}  // namespace dimona
