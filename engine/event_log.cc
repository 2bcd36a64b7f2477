#include "engine/event_log.h"

#include "engine/base/flat_map.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "engine/base/crc32c.h"
#include "engine/base/limits.h"

namespace dimona {
namespace {

// Writes `value` little-endian at `out`, whatever the host's byte order.
template <typename T>
unsigned char* put_le(unsigned char* out, T value) {
  auto bits = static_cast<uint64_t>(value);
  for (size_t i = 0; i < sizeof(T); ++i) *out++ = static_cast<unsigned char>(bits >> (8 * i));
  return out;
}

// The eventId of an event line, which the encoder writes first; empty when none.
std::string_view event_id_in(std::string_view line) {
  constexpr std::string_view kPrefix = "{\"eventId\":\"";
  if (line.substr(0, kPrefix.size()) != kPrefix) return {};
  const size_t end = line.find('"', kPrefix.size());
  return end == std::string_view::npos ? std::string_view() : line.substr(kPrefix.size(), end - kPrefix.size());
}

// Declaration and action ids are unique in the whole log; the others per partition.
bool unique_in_the_log(std::string_view id) { return id.rfind("dcl-", 0) == 0 || id.rfind("act-", 0) == 0; }

uint64_t key_hash(std::string_view id, uint32_t partition) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (const char c : id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return unique_in_the_log(id) ? h : h ^ mix64(uint64_t{partition} + 1);
}

// Calls f(partition, id) for every event line of the log that has an eventId.
template <typename F>
Status for_each_event_id(EventLog& log, F&& f) {
  RecordBatch batch;
  for (uint32_t p = 0; p < log.partition_count(); ++p) {
    Result<std::unique_ptr<BatchReader>> reader = log.read(p, 0);
    DIMONA_TRY(reader);
    for (;;) {
      Result<bool> more = (*reader)->next(&batch);
      DIMONA_TRY(more);
      if (!*more) break;
      std::string_view rest = batch.payload;
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        if (const std::string_view id = event_id_in(line); !id.empty()) f(p, id);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      }
    }
  }
  return Status::ok();
}

}  // namespace

Result<DuplicateEvents> find_duplicate_events(EventLog& log) {
  DuplicateEvents found;
  std::vector<uint64_t> hashes;
  DIMONA_TRY(for_each_event_id(log, [&](uint32_t p, std::string_view id) { hashes.push_back(key_hash(id, p)); }));
  found.events = hashes.size();
  std::sort(hashes.begin(), hashes.end());
  std::unordered_set<uint64_t> suspects;
  for (size_t i = 1; i < hashes.size(); ++i)
    if (hashes[i] == hashes[i - 1]) suspects.insert(hashes[i]);
  hashes = {};
  if (suspects.empty()) return found;
  // Second pass: the real ids behind the hashes seen twice (a collision is not a duplicate).
  std::unordered_map<std::string, uint64_t> seen;
  DIMONA_TRY(for_each_event_id(log, [&](uint32_t p, std::string_view id) {
    if (!suspects.count(key_hash(id, p))) return;
    std::string key = unique_in_the_log(id) ? std::string(id) : std::to_string(p) + " " + std::string(id);
    if (++seen[key] == 2 && found.ids.size() < limits::duplicate_ids_reported_max) found.ids.emplace_back(id);
  }));
  for (const auto& [key, count] : seen) found.duplicates += count - 1;
  return found;
}

uint32_t batch_crc(uint32_t partition, Offset base_offset, uint32_t count, Instant first,
                   Instant last, std::string_view payload) {
  // partition u32 | base_offset u64 | count u32 | first i64 | last i64 (docs/log-format.md)
  std::array<unsigned char, 4 + 8 + 4 + 8 + 8> header{};
  unsigned char* p = header.data();
  p = put_le(p, partition);
  p = put_le(p, base_offset);
  p = put_le(p, count);
  p = put_le(p, first.micros);
  p = put_le(p, last.micros);
  DIMONA_ASSERT(p == header.data() + header.size());
  uint32_t crc = crc32c(header.data(), header.size());
  return crc32c_extend(crc, payload.data(), payload.size());
}

uint32_t partition_for(uint64_t ssin, uint32_t partitions) {
  DIMONA_ASSERT(partitions > 0);
  if (ssin == 0) return 0;
  return static_cast<uint32_t>(mix64(ssin) % partitions);
}

}  // namespace dimona
