#include "engine/log/log_tools.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "engine/base/assert.h"
#include "engine/base/flat_map.h"
#include "engine/base/limits.h"
#include "engine/log/fence.h"

namespace dimona {

namespace {

// read_partition() and read_partition_views(): `poll(records, want)` empties `records` and
// polls up to `want` into it.
template <typename Record, typename Poll, typename F>
Status read_range(LogConsumer& consumer, uint32_t partition, Offset from, Offset to, Poll&& poll, F&& f) {
  if (from >= to) return Status::ok();
  const uint32_t one[] = {partition};
  DIMONA_TRY(consumer.assign(one));
  DIMONA_TRY(consumer.seek(partition, from));
  ReleaseRecycledOnExit release(consumer);
  std::vector<Record> records;
  Offset at = from;
  auto last_progress = std::chrono::steady_clock::now();
  while (at < to) {
    const size_t want = static_cast<size_t>(std::min<Offset>(to - at, limits::log_read_chunk_records));
    Result<size_t> got = poll(records, want);
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
    for (Record& record : records) {
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

constexpr std::chrono::milliseconds kReadPollWait{200};

}  // namespace

Status read_partition(LogConsumer& consumer, uint32_t partition, Offset from, Offset to,
                      const std::function<Status(LogRecord&)>& f) {
  return read_range<LogRecord>(
      consumer, partition, from, to,
      [&](std::vector<LogRecord>& records, size_t want) {
        consumer.recycle(records);
        return consumer.poll(records, kReadPollWait, want);
      },
      f);
}

Status read_partition_views(LogConsumer& consumer, uint32_t partition, Offset from, Offset to,
                            const std::function<Status(const LogRecordView&)>& f) {
  return read_range<LogRecordView>(
      consumer, partition, from, to,
      [&](std::vector<LogRecordView>& records, size_t want) {
        records.clear();
        return consumer.poll_views(records, kReadPollWait, want);
      },
      f);
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
    check.error = read_partition_views(**consumer, p, 0, *end, [&](const LogRecordView&) {
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
    DIMONA_TRY(read_partition_views(**consumer, p, 0, *end, [&](const LogRecordView& r) -> Status {
      Result<bool> event = fences.admit(r);
      DIMONA_TRY(event);
      if (*event) f(p, r.event_id);
      return Status::ok();
    }));
  }
  return Status::ok();
}

// The real ids behind the hashes seen twice (a collision is not a duplicate): a second read.
Result<DuplicateEvents> confirm_suspects(Log& log, uint64_t events, const std::unordered_set<uint64_t>& suspects) {
  DuplicateEvents found;
  found.events = events;
  if (suspects.empty()) return found;
  std::unordered_map<std::string, uint64_t> seen;
  DIMONA_TRY(for_each_event_id(log, [&](uint32_t p, std::string_view id) {
    if (!suspects.count(key_hash(id, p))) return;
    std::string key = unique_in_the_log(id) ? std::string(id) : std::to_string(p) + " " + std::string(id);
    if (++seen[key] == 2 && found.ids.size() < limits::duplicate_ids_reported_max) found.ids.emplace_back(id);
  }));
  for (const auto& [key, count] : seen) found.duplicates += count - 1;
  return found;
}

// Every hash in memory (8 bytes an event), sorted: where no temporary file can be had.
Result<DuplicateEvents> duplicates_in_memory(Log& log) {
  std::vector<uint64_t> hashes;
  DIMONA_TRY(for_each_event_id(log, [&](uint32_t p, std::string_view id) { hashes.push_back(key_hash(id, p)); }));
  std::sort(hashes.begin(), hashes.end());
  std::unordered_set<uint64_t> suspects;
  for (size_t i = 1; i < hashes.size(); ++i)
    if (hashes[i] == hashes[i - 1]) suspects.insert(hashes[i]);
  return confirm_suspects(log, hashes.size(), suspects);
}

}  // namespace

Result<DuplicateEvents> find_duplicate_events(Log& log) {
  DuplicateEventCheck check(log.partitions());
  if (!check.spilled()) return duplicates_in_memory(log);
  DIMONA_TRY(for_each_event_id(log, [&](uint32_t p, std::string_view id) { check.add(p, id); }));
  return check.finish(log);
}

namespace {

// An anonymous file in `dir` (O_TMPFILE: no name, freed when closed), or -1.
int anonymous_file(const std::string& dir) {
  std::string where = dir;
  if (where.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    where = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  return ::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

// ::pread or ::pwrite of `bytes` at `at`, whole (a short transfer is retried); false on an error.
template <typename Transfer>
bool whole(Transfer transfer, int fd, void* data, size_t bytes, uint64_t at) {
  char* p = static_cast<char*>(data);
  while (bytes > 0) {
    const ssize_t n = transfer(fd, p, bytes, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n, at += static_cast<uint64_t>(n), bytes -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

DuplicateEventCheck::DuplicateEventCheck(uint32_t partitions, std::string temp_dir, size_t buffer_hashes)
    : partitions_(partitions), buffer_hashes_(std::max<size_t>(buffer_hashes, 1)) {
  for (Partition& p : partitions_) {
    p.fd = anonymous_file(temp_dir);
    if (p.fd < 0) {
      failed_ = true;
      release();
      return;
    }
    p.buffer.reserve(buffer_hashes_);
  }
}

DuplicateEventCheck::~DuplicateEventCheck() { release(); }

void DuplicateEventCheck::release() {
  for (Partition& p : partitions_) {
    if (p.fd >= 0) ::close(p.fd);
    p.fd = -1;
    std::vector<uint64_t>().swap(p.buffer);  // not `= {}`: that keeps the capacity
  }
}

bool DuplicateEventCheck::flush(Partition& p) {
  if (p.buffer.empty()) return true;
  if (!whole(::pwrite, p.fd, p.buffer.data(), p.buffer.size() * sizeof(uint64_t), p.written * sizeof(uint64_t))) {
    failed_ = true;
    return false;
  }
  p.written += p.buffer.size();
  p.buffer.clear();
  return true;
}

void DuplicateEventCheck::add(uint32_t partition, std::string_view event_id) {
  DIMONA_ASSERT(partition < partitions_.size() && !settled_);
  if (failed_.load(std::memory_order_relaxed)) return;  // finish() reads the log
  Partition& p = partitions_[partition];
  p.buffer.push_back(key_hash(event_id, partition));
  if (p.buffer.size() >= buffer_hashes_) (void)flush(p);
}

void DuplicateEventCheck::settle() {
  if (settled_) return;
  for (Partition& p : partitions_)
    if (!failed_) (void)flush(p);
  // Each partition's hashes read back, sorted and written over themselves, one partition at a
  // time (its hashes alone in memory: 8 bytes an event of one partition).
  for (Partition& p : partitions_) {
    if (failed_) break;
    std::vector<uint64_t> hashes(static_cast<size_t>(p.written));
    const size_t bytes = hashes.size() * sizeof(uint64_t);
    if (!whole(::pread, p.fd, hashes.data(), bytes, 0)) {
      failed_ = true;
      break;
    }
    std::sort(hashes.begin(), hashes.end());
    if (!whole(::pwrite, p.fd, hashes.data(), bytes, 0)) failed_ = true;
  }
  // Then merged (a heap of each partition's next hash, read a buffer at a time): those seen twice.
  struct Cursor {
    std::vector<uint64_t> block;
    size_t at = 0;
    uint64_t read = 0;  // hashes of the file read into blocks so far
  };
  std::vector<Cursor> cursors(partitions_.size());
  const auto next_block = [&](size_t p) -> bool {  // false at the file's end or on an error
    Cursor& c = cursors[p];
    const uint64_t left = partitions_[p].written - c.read;
    c.block.resize(static_cast<size_t>(std::min<uint64_t>(left, buffer_hashes_)));
    c.at = 0;
    if (c.block.empty()) return false;
    if (!whole(::pread, partitions_[p].fd, c.block.data(), c.block.size() * sizeof(uint64_t),
               c.read * sizeof(uint64_t))) {
      failed_ = true;
      return false;
    }
    c.read += c.block.size();
    return true;
  };
  using Head = std::pair<uint64_t, size_t>;  // a partition's next hash, and the partition
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (size_t p = 0; p < partitions_.size() && !failed_; ++p) {
    events_ += partitions_[p].written;
    if (next_block(p)) heads.emplace(cursors[p].block[0], p);
  }
  bool any = false;
  uint64_t previous = 0;
  while (!heads.empty() && !failed_) {
    const auto [hash, p] = heads.top();
    heads.pop();
    if (any && hash == previous) suspects_.insert(hash);
    any = true;
    previous = hash;
    Cursor& c = cursors[p];
    if (++c.at < c.block.size() || next_block(p)) heads.emplace(c.block[c.at], p);
  }
  if (failed_) suspects_.clear(), events_ = 0;
  settled_ = true;
  release();
}

uint64_t DuplicateEventCheck::held_bytes() const {
  uint64_t bytes = 0;
  for (const Partition& p : partitions_) bytes += p.buffer.capacity() * sizeof(uint64_t);
  return bytes;
}

Result<DuplicateEvents> DuplicateEventCheck::finish(Log& log) {
  settle();
  if (failed_) return duplicates_in_memory(log);  // no hashes kept: the log read for them
  return confirm_suspects(log, events_, suspects_);
}

}  // namespace dimona
