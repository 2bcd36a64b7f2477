// Employer-wide views across the members of a serve group (docs/kafka.md
// section 10, "Employer-wide views"): the pieces the router (routes.cc)
// puts together when this process does not hold every partition.
//
// Contract. FanoutPool runs tasks on a fixed number of threads from a
// bounded queue: post() is false (the caller answers 503) when the queue is
// full; the destructor runs what is queued and joins every thread, so a task
// may use what outlives the pool. merged_items() reads the array `keys.array`
// of each collection body (JSON as the single-process handlers write it),
// keeps an item when keep(part, id) says so (part: the body's index in
// `parts`; id: the item's `keys.id` member, else its `keys.other_id`, a
// 12-digit string) and only the first item of an id, and sorts them as the
// single-process lists are: by `keys.time` (newest first, or oldest first
// when keys.oldest_first), then ascending id. Its items are the raw JSON
// bytes as received. A body that is not such a collection is kInternal. with_page() is a target
// with its page and pageSize replaced. Thread-safe: the functions are pure;
// FanoutPool::post from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/base/status.h"

namespace dimona::api {

class FanoutPool {
 public:
  FanoutPool(size_t workers, size_t queue_max);
  ~FanoutPool();
  FanoutPool(const FanoutPool&) = delete;
  FanoutPool& operator=(const FanoutPool&) = delete;
  bool post(std::function<void()> task);

 private:
  void work();
  const size_t queue_max_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

struct CollectionPart {
  size_t part = 0;   // who answered it: 0 this process, then the other members in turn
  std::string body;  // a collection, as the handler writes it
};

// How a list's items are told apart and ordered.
struct ItemKeys {
  std::string_view array;     // the collection's member holding the items
  std::string_view id;        // each item's id member
  std::string_view time;      // each item's instant member, the order
  std::string_view other_id;  // the id member of items without `id` (empty: none)
  bool oldest_first = false;  // the list's order by `time`
};

Result<std::vector<std::string>> merged_items(const std::vector<CollectionPart>& parts, const ItemKeys& keys,
                                              const std::function<bool(size_t part, uint64_t id)>& keep);

// A collection body's "total" and the number of items in `array`; kInternal when it is none.
struct CollectionSize {
  uint64_t total = 0;
  size_t items = 0;
};
Result<CollectionSize> collection_size(std::string_view body, std::string_view array);
// A top-level string member of a JSON object body, written as JSON ("\"2024-01-01\""); kInternal when absent.
Result<std::string> raw_member(std::string_view body, std::string_view key);

std::string with_page(std::string_view target, size_t page, size_t page_size);

}  // namespace dimona::api
