#include "api/fanout.h"

#include "engine/base/simdjson_abi.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/base/assert.h"
#include "engine/base/json_writer.h"
#include "engine/base/time.h"

namespace dimona::api {

FanoutPool::FanoutPool(size_t workers, size_t queue_max) : queue_max_(queue_max) {
  DIMONA_ASSERT(workers > 0 && queue_max > 0);
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

FanoutPool::~FanoutPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool FanoutPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_max_) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void FanoutPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and what was queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

namespace {

struct Item {
  std::string raw;
  uint64_t id = 0;
  Instant at;
};

// "000000012345" -> 12345; nullopt when not all digits.
std::optional<uint64_t> digits_value(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Status not_a_collection(std::string_view array) {
  return internal_error("a member's answer is not a collection of " + std::string(array));
}

}  // namespace

Result<std::vector<std::string>> merged_items(const std::vector<CollectionPart>& parts, const ItemKeys& keys,
                                              const std::function<bool(size_t part, uint64_t id)>& keep) {
  const std::string_view array = keys.array;
  std::vector<Item> items;
  std::set<uint64_t> seen;
  simdjson::ondemand::parser parser;
  simdjson::dom::parser item_parser;
  for (const CollectionPart& part : parts) {
    const simdjson::padded_string padded(part.body);
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc)) return not_a_collection(array);
    simdjson::ondemand::array values;
    if (doc[array].get_array().get(values)) return not_a_collection(array);
    for (auto value : values) {
      std::string_view raw;
      simdjson::ondemand::object object;
      if (value.get_object().get(object) || object.raw_json().get(raw)) return not_a_collection(array);
      simdjson::dom::element e;
      std::string_view id_text, time_text;
      if (item_parser.parse(raw.data(), raw.size()).get(e) || e[keys.time].get_string().get(time_text))
        return not_a_collection(array);
      if (e[keys.id].get_string().get(id_text) && (keys.other_id.empty() || e[keys.other_id].get_string().get(id_text)))
        return not_a_collection(array);
      const std::optional<uint64_t> id = digits_value(id_text);
      const std::optional<Instant> at = parse_instant(time_text);
      if (!id || !at) return not_a_collection(array);
      if (!keep(part.part, *id) || !seen.insert(*id).second) continue;
      items.push_back(Item{std::string(raw), *id, *at});
    }
  }
  std::sort(items.begin(), items.end(), [oldest_first = keys.oldest_first](const Item& a, const Item& b) {
    if (a.at != b.at) return oldest_first ? a.at < b.at : b.at < a.at;
    return a.id < b.id;
  });
  std::vector<std::string> out;
  out.reserve(items.size());
  for (Item& i : items) out.push_back(std::move(i.raw));
  return out;
}

Result<CollectionSize> collection_size(std::string_view body, std::string_view array) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::dom::array a;
  uint64_t total = 0;
  if (parser.parse(body.data(), body.size()).get(e) || e[array].get_array().get(a) || e["total"].get_uint64().get(total))
    return not_a_collection(array);
  return CollectionSize{total, a.size()};
}

Result<std::string> raw_member(std::string_view body, std::string_view key) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view value;
  if (parser.parse(body.data(), body.size()).get(e) || e[key].get_string().get(value)) return not_a_collection(key);
  std::string out;
  JsonWriter(&out).string(value);
  return out;
}

std::string with_page(std::string_view target, size_t page, size_t page_size) {
  const size_t q = target.find('?');
  std::string out(target.substr(0, q));
  char sep = '?';
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const std::string_view name = pair.substr(0, pair.find('='));
      if (!pair.empty() && name != "page" && name != "pageSize") {
        out += sep;
        out += pair;
        sep = '&';
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  out += sep;
  out += "page=" + std::to_string(page) + "&pageSize=" + std::to_string(page_size);
  return out;
}

}  // namespace dimona::api
