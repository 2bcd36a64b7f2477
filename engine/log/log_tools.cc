#include "engine/log/log_tools.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "engine/base/assert.h"
#include "engine/base/flat_map.h"
#include "engine/base/limits.h"
#include "engine/log/fence.h"

namespace dimona {

Status read_partition(LogConsumer& consumer, uint32_t partition, Offset from, Offset to,
                      const std::function<Status(LogRecord&)>& f) {
  if (from >= to) return Status::ok();
  const uint32_t one[] = {partition};
  DIMONA_TRY(consumer.assign(one));
  DIMONA_TRY(consumer.seek(partition, from));
  ReleaseRecycledOnExit release(consumer);
  std::vector<LogRecord> records;
  Offset at = from;
  auto last_progress = std::chrono::steady_clock::now();
  while (at < to) {
    consumer.recycle(records);
    const size_t want = static_cast<size_t>(std::min<Offset>(to - at, limits::log_read_chunk_records));
    Result<size_t> got = consumer.poll(records, std::chrono::milliseconds(200), want);
    DIMONA_TRY(got);
    if (records.empty()) {
      const auto stalled = std::chrono::steady_clock::now() - last_progress;
      if (stalled > std::chrono::milliseconds(limits::log_read_stall_ms)) {
        return unavailable("partition " + std::to_string(partition) + ": the log delivered nothing past offset " +
                           std::to_string(at) + " (expected up to " + std::to_string(to) + ")");
      }
      continue;
    }
    last_progress = std::chrono::steady_clock::now();
    for (LogRecord& record : records) {
      if (record.offset < at) continue;  // redelivered
      if (record.offset != at) {         // past `to` too: the range's rest is missing
        return corruption("partition " + std::to_string(partition) + ": offset " + std::to_string(record.offset) +
                          " follows " + std::to_string(at) + " (a gap)");
      }
      if (record.offset >= to) return Status::ok();
      DIMONA_TRY(f(record));
      at = record.offset + 1;
    }
  }
  return Status::ok();
}

Result<Offset> first_offset_after(LogConsumer& consumer, uint32_t partition, Instant at, Offset end) {
  Offset low = 0, high = end;  // the answer lies in [low, high]
  while (low < high) {
    const Offset middle = low + (high - low) / 2;
    Instant recorded;
    DIMONA_TRY(read_partition(consumer, partition, middle, middle + 1, [&](LogRecord& record) {
      recorded = record.recorded_at;
      return Status::ok();
    }));
    if (recorded > at) high = middle;
    else low = middle + 1;
  }
  return low;
}

Result<std::vector<PartitionSummary>> summarize(Log& log) {
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  DIMONA_TRY(consumer);
  std::vector<PartitionSummary> out;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    PartitionSummary s;
    s.partition = p;
    Result<Offset> end = (*consumer)->end_offset(p);
    DIMONA_TRY(end);
    s.end_offset = *end;
    if (*end > 0) {
      DIMONA_TRY(read_partition(**consumer, p, 0, 1, [&](LogRecord& r) {
        s.first_recorded_at = r.recorded_at;
        return Status::ok();
      }));
      DIMONA_TRY(read_partition(**consumer, p, *end - 1, *end, [&](LogRecord& r) {
        s.last_recorded_at = r.recorded_at;
        return Status::ok();
      }));
    }
    out.push_back(s);
  }
  return out;
}

size_t VerifyReport::error_count() const {
  return static_cast<size_t>(
      std::count_if(partitions.begin(), partitions.end(), [](const PartitionCheck& c) { return !c.error.is_ok(); }));
}

Result<VerifyReport> verify_log(Log& log) {
  VerifyReport report;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    // A consumer per partition: one that met a corruption is not reused.
    Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
    DIMONA_TRY(consumer);
    Result<Offset> end = (*consumer)->end_offset(p);
    DIMONA_TRY(end);
    PartitionCheck check;
    check.partition = p;
    check.error = read_partition(**consumer, p, 0, *end, [&](LogRecord&) {
      ++check.records;
      return Status::ok();
    });
    if (!check.error.is_ok() && check.error.code() != Code::kCorruption) return check.error;
    report.partitions.push_back(std::move(check));
  }
  return report;
}

namespace {

// Declaration and action ids are unique in the whole log; the others per partition.
bool unique_in_the_log(std::string_view id) { return id.starts_with("dcl-") || id.starts_with("act-"); }

uint64_t key_hash(std::string_view id, uint32_t partition) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (const char c : id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return unique_in_the_log(id) ? h : h ^ mix64(uint64_t{partition} + 1);
}

// Calls f(partition, id) for every event of the log: not for fence records
// nor a zombie's fenced ones (fence.h), which no fold applies.
template <typename F>
Status for_each_event_id(Log& log, F&& f) {
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  DIMONA_TRY(consumer);
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    Result<Offset> end = (*consumer)->end_offset(p);
    DIMONA_TRY(end);
    FenceFilter fences;
    DIMONA_TRY(read_partition(**consumer, p, 0, *end, [&](LogRecord& r) -> Status {
      Result<bool> event = fences.admit(r);
      DIMONA_TRY(event);
      if (*event) f(p, std::string_view(r.event_id));
      return Status::ok();
    }));
  }
  return Status::ok();
}

}  // namespace

Result<DuplicateEvents> find_duplicate_events(Log& log) {
  DuplicateEventCheck check(log.partitions());
  DIMONA_TRY(for_each_event_id(log, [&](uint32_t p, std::string_view id) { check.add(p, id); }));
  return check.finish(log);
}

void DuplicateEventCheck::expect(uint32_t partition, uint64_t records) {
  DIMONA_ASSERT(partition < hashes_.size());
  const uint64_t room = std::min(records, limits::duplicate_check_reserved_max);
  hashes_[partition].reserve(hashes_[partition].size() + static_cast<size_t>(room));
}

void DuplicateEventCheck::add(uint32_t partition, std::string_view event_id) {
  DIMONA_ASSERT(partition < hashes_.size() && !settled_);
  hashes_[partition].push_back(key_hash(event_id, partition));
}

void DuplicateEventCheck::settle() {
  if (settled_) return;
  settled_ = true;
  // Each partition's hashes sorted in place, then merged (a heap of each one's next): the hashes
  // seen twice, without a copy of them all beside the state the fold just built.
  using Head = std::pair<uint64_t, size_t>;  // a partition's next hash, and the partition
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  std::vector<size_t> next(hashes_.size(), 0);
  for (size_t p = 0; p < hashes_.size(); ++p) {
    events_ += hashes_[p].size();
    std::sort(hashes_[p].begin(), hashes_[p].end());
    if (!hashes_[p].empty()) heads.emplace(hashes_[p][0], p);
  }
  bool any = false;
  uint64_t previous = 0;
  while (!heads.empty()) {
    const auto [hash, p] = heads.top();
    heads.pop();
    if (any && hash == previous) suspects_.insert(hash);
    any = true;
    previous = hash;
    if (++next[p] < hashes_[p].size()) heads.emplace(hashes_[p][next[p]], p);
  }
  // Swapped out, not assigned `{}`: that empties a vector but keeps its capacity (the hashes'
  // 8 bytes an event stayed beside the final checkpoint until the process ended).
  for (std::vector<uint64_t>& partition : hashes_) std::vector<uint64_t>().swap(partition);
}

uint64_t DuplicateEventCheck::held_bytes() const {
  uint64_t bytes = 0;
  for (const std::vector<uint64_t>& partition : hashes_) bytes += partition.capacity() * sizeof(uint64_t);
  return bytes;
}

Result<DuplicateEvents> DuplicateEventCheck::finish(Log& log) {
  settle();
  DuplicateEvents found;
  found.events = events_;
  if (suspects_.empty()) return found;
  // Second pass: the real ids behind the hashes seen twice (a collision is not a duplicate).
  std::unordered_map<std::string, uint64_t> seen;
  DIMONA_TRY(for_each_event_id(log, [&](uint32_t p, std::string_view id) {
    if (!suspects_.count(key_hash(id, p))) return;
    std::string key = unique_in_the_log(id) ? std::string(id) : std::to_string(p) + " " + std::string(id);
    if (++seen[key] == 2 && found.ids.size() < limits::duplicate_ids_reported_max) found.ids.emplace_back(id);
  }));
  for (const auto& [key, count] : seen) found.duplicates += count - 1;
  return found;
}

}  // namespace dimona
