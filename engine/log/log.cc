#include "engine/log/log.h"

#include <charconv>
#include <unordered_map>

#include "engine/base/limits.h"
#include "engine/log/input_topic.h"
#include "engine/log/log_internal.h"
#include "engine/log/log_tools.h"

namespace dimona {

uint32_t kafka_murmur2(std::string_view bytes) {
  // org.apache.kafka.common.utils.Utils.murmur2, in unsigned arithmetic (the
  // Java int wraps the same way).
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t length = bytes.size();
  uint32_t h = kSeed ^ static_cast<uint32_t>(length);
  for (size_t i = 0; i + 4 <= length; i += 4) {
    uint32_t k = uint32_t{data[i]} | (uint32_t{data[i + 1]} << 8) | (uint32_t{data[i + 2]} << 16) |
                 (uint32_t{data[i + 3]} << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const size_t tail = length & ~size_t{3};
  switch (length % 4) {
    case 3: h ^= uint32_t{data[tail + 2]} << 16; [[fallthrough]];
    case 2: h ^= uint32_t{data[tail + 1]} << 8; [[fallthrough]];
    case 1:
      h ^= uint32_t{data[tail]};
      h *= kM;
      break;
    default: break;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return h;
}

Status no_such_offset(uint32_t partition, Offset offset) {
  return failed_precondition("partition " + std::to_string(partition) + " has no offset " + std::to_string(offset));
}

LogRecordView view_of(const LogRecord& r) {
  return LogRecordView{r.partition, r.offset, r.recorded_at, r.schema_version, r.event_id,
                       r.key,       r.type,   r.payload,     r.source,         r.epoch};
}

Result<size_t> LogConsumer::poll_views(std::vector<LogRecordView>& out, std::chrono::milliseconds timeout,
                                       size_t max_records) {
  recycle(viewed_);
  Result<size_t> got = poll(viewed_, timeout, max_records);
  DIMONA_TRY(got);
  for (const LogRecord& record : viewed_) out.push_back(view_of(record));
  return got;
}

Status LogConsumer::read_at(uint32_t partition, std::span<const Offset> offsets,
                            const std::function<Status(LogRecord&)>& f) {
  if (offsets.empty()) return Status::ok();
  Result<Offset> end = end_offset(partition);
  DIMONA_TRY(end);
  if (offsets.back() >= *end) return no_such_offset(partition, offsets.back());
  for (size_t i = 0; i < offsets.size();) {
    // [i, j): offsets read in one pass, across gaps of at most citizen_history_gap_records other
    // records (reading them costs less than a seek: a Kafka fetch).
    size_t j = i + 1;
    while (j < offsets.size() && offsets[j] - offsets[j - 1] - 1 <= limits::citizen_history_gap_records) ++j;
    for (size_t k = i + 1; k < j; ++k) DIMONA_ASSERT(offsets[k] > offsets[k - 1]);
    size_t next = i;
    DIMONA_TRY(read_partition(*this, partition, offsets[i], offsets[j - 1] + 1, [&](LogRecord& record) -> Status {
      if (record.offset != offsets[next]) return Status::ok();
      ++next;
      return f(record);
    }));
    if (next != j)  // read_partition delivers every offset of the range, or says why not
      return corruption("partition " + std::to_string(partition) + ": no record at offset " +
                        std::to_string(offsets[next]));
    i = j;
  }
  return Status::ok();
}

Result<std::unique_ptr<GroupMember>> Log::join_group(const GroupOptions&, GroupCallbacks) {
  return failed_precondition("log " + uri() + " has no consumer groups: scale-out runs on kafka://");
}

Result<std::unique_ptr<KeyedTable>> Log::open_table(std::string_view name) {
  return failed_precondition("log " + uri() + " keeps no table " + std::string(name));
}

uint32_t partition_for_key(std::string_view key, uint32_t partitions) {
  DIMONA_ASSERT(partitions > 0);
  if (key.empty()) return 0;
  return (kafka_murmur2(key) & 0x7fffffffU) % partitions;
}

std::vector<std::string_view> kafka_brokers(std::string_view bootstrap) {
  std::vector<std::string_view> out;
  for (size_t at = 0; at <= bootstrap.size();) {
    const size_t comma = std::min(bootstrap.find(',', at), bootstrap.size());
    out.push_back(bootstrap.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

Result<KafkaAddress> parse_kafka_uri(std::string_view uri) {
  constexpr std::string_view kKafka = "kafka://";
  if (!uri.starts_with(kKafka)) return invalid_argument("a Kafka log is kafka://HOST:PORT/TOPIC");
  std::string_view rest = uri.substr(kKafka.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) {
    return invalid_argument("a Kafka log is kafka://HOST:PORT/TOPIC");
  }
  std::string_view bootstrap = rest.substr(0, slash);
  std::string_view topic = rest.substr(slash + 1);
  if (bootstrap.find('@') != std::string_view::npos)
    return invalid_argument("a Kafka log is kafka://HOST:PORT/TOPIC (no credentials in the URI)");
  // The bootstrap: one broker HOST:PORT or several, comma-separated; a host named, a port 1..65535.
  for (const std::string_view broker : kafka_brokers(bootstrap)) {
    const size_t colon = broker.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return invalid_argument("a Kafka log is kafka://HOST:PORT/TOPIC: each broker is HOST:PORT, its host named");
    const std::string_view port = broker.substr(colon + 1);
    uint32_t number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535)
      return invalid_argument("a Kafka log is kafka://HOST:PORT/TOPIC: a broker's port is 1..65535");
  }
  // Kafka's legal topic names: [a-zA-Z0-9._-], at most 249 characters, neither "." nor "..".
  if (topic.size() > 249) return invalid_argument("a Kafka topic name has at most 249 characters");
  if (topic == "." || topic == "..") return invalid_argument("a Kafka topic name is neither . nor ..");
  for (char c : topic) {
    bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
    if (!legal) return invalid_argument("a Kafka topic name is made of [a-zA-Z0-9._-]");
  }
  return KafkaAddress{std::string(bootstrap), std::string(topic)};
}

Result<std::unique_ptr<Log>> open_log(std::string_view uri, const LogOptions& options) {
  if (options.partitions == 0 || options.partitions > limits::partitions_max) {
    return invalid_argument("a log has 1.." + std::to_string(limits::partitions_max) +
                            " partitions, not " + std::to_string(options.partitions));
  }
  constexpr std::string_view kMemory = "memory:";
  constexpr std::string_view kKafka = "kafka://";
  constexpr std::string_view kSqlite = "sqlite:";
  if (uri.starts_with(kMemory)) return log_internal::open_memory_log(uri.substr(kMemory.size()), options);
  if (uri.starts_with(kSqlite)) return log_internal::open_sqlite_log(uri.substr(kSqlite.size()), options);
  if (uri.starts_with(kKafka)) {
    Result<KafkaAddress> address = parse_kafka_uri(uri);
    DIMONA_TRY(address);
    return log_internal::open_kafka_log(address->bootstrap, address->topic, options);
  }
  return invalid_argument("unknown log URI scheme (memory:, sqlite:PATH, kafka://HOST:PORT/TOPIC)");
}

namespace log_internal {

Status validate_group_options(const GroupOptions& options) {
  for (const auto& [name, what] : {std::pair{&options.group, "a group's id"}, {&options.member_name, "a member's name"}}) {
    if (name->empty()) return invalid_argument(std::string(what) + " is empty");
    if (name->size() > limits::group_name_bytes_max) {
      return invalid_argument(std::string(what) + " has more than " + std::to_string(limits::group_name_bytes_max) +
                              " bytes");
    }
  }
  if (options.session_timeout_ms <= 0 || options.rebalance_timeout_ms < options.session_timeout_ms) {
    return invalid_argument("a group member's timeouts are 0 < session (" + std::to_string(options.session_timeout_ms) +
                            " ms) <= rebalance (" + std::to_string(options.rebalance_timeout_ms) + " ms)");
  }
  return Status::ok();
}

Status validate_batch(std::span<const LogRecordDraft> records, Instant last_recorded_at) {
  if (records.size() > limits::log_append_records_max) {
    return invalid_argument("an append carries at most " +
                            std::to_string(limits::log_append_records_max) + " records");
  }
  size_t bytes = 0;
  Instant previous = last_recorded_at;
  for (const LogRecordDraft& record : records) {
    if (record.event_id.empty()) return invalid_argument("a record without an event id");
    if (record.payload.size() > limits::event_bytes_max) {
      return invalid_argument("event " + std::string(record.event_id) + " is larger than " +
                              std::to_string(limits::event_bytes_max) + " bytes");
    }
    if (record.source.size() > limits::log_source_bytes_max) {
      return invalid_argument("event " + std::string(record.event_id) + " has a source position longer than " +
                              std::to_string(limits::log_source_bytes_max) + " bytes");
    }
    if (record.recorded_at < previous) {
      return invalid_argument("event " + std::string(record.event_id) +
                              " is recorded before the partition's previous event");
    }
    previous = record.recorded_at;
    bytes += record.payload.size();
  }
  if (bytes > limits::log_append_bytes_max) {
    return invalid_argument("an append carries at most " +
                            std::to_string(limits::log_append_bytes_max) + " payload bytes");
  }
  return Status::ok();
}

size_t ProducerSession::find_slot(std::string_view id, uint64_t hash) const {
  DIMONA_ASSERT(!slots_.empty());
  for (size_t i = home(hash);; i = (i + 1) & (slots_.size() - 1)) {
    const Slot& slot = slots_[i];
    if (slot.entry == kNoEntry || (slot.hash == hash && entries_[slot.entry].id == id)) return i;
  }
}

std::optional<Offset> ProducerSession::offset_of(std::string_view event_id) const {
  if (count_ == 0) return std::nullopt;
  const Slot& slot = slots_[find_slot(event_id, std::hash<std::string_view>{}(event_id))];
  if (slot.entry == kNoEntry) return std::nullopt;
  return entries_[slot.entry].offset;
}

void ProducerSession::place(uint32_t entry) {
  size_t i = home(entries_[entry].hash);
  while (slots_[i].entry != kNoEntry) i = (i + 1) & (slots_.size() - 1);
  slots_[i] = Slot{entries_[entry].hash, entry};
}

void ProducerSession::grow() {
  slots_.assign(slots_.empty() ? 16 : slots_.size() * 2, Slot{});
  for (size_t k = 0; k < count_; ++k) place(static_cast<uint32_t>((head_ + k) % entries_.size()));
}

// Empties the oldest entry's slot, shifting the run behind it back (linear probing without
// tombstones: every id stays reachable from its home slot).
void ProducerSession::forget_oldest() {
  const Entry& oldest = entries_[head_];
  size_t i = find_slot(oldest.id, oldest.hash);
  DIMONA_ASSERT(slots_[i].entry == head_);
  const size_t mask = slots_.size() - 1;
  for (size_t j = (i + 1) & mask; slots_[j].entry != kNoEntry; j = (j + 1) & mask) {
    const size_t k = home(slots_[j].hash);
    // Slot j may move to the hole at i when its home is not cyclically within (i, j].
    const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (!stays) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  head_ = (head_ + 1) % entries_.size();
  --count_;
}

void ProducerSession::remember(std::string_view event_id, Offset offset) {
  const uint64_t hash = std::hash<std::string_view>{}(event_id);
  if (count_ > 0 && slots_[find_slot(event_id, hash)].entry != kNoEntry) return;
  constexpr size_t kWindow = limits::log_producer_event_ids_remembered;
  if (count_ == kWindow) forget_oldest();
  if ((count_ + 1) * 2 > slots_.size()) grow();
  uint32_t entry;
  if (entries_.size() < kWindow) {
    entry = static_cast<uint32_t>(entries_.size());
    entries_.push_back(Entry{std::string(event_id), offset, hash});
  } else {  // the ring: the slot after the newest, freed by forget_oldest()
    entry = static_cast<uint32_t>((head_ + count_) % kWindow);
    entries_[entry].id.assign(event_id);
    entries_[entry].offset = offset;
    entries_[entry].hash = hash;
  }
  ++count_;
  place(entry);
}

std::vector<size_t> first_occurrences(std::span<const LogRecordDraft> records) {
  std::unordered_map<std::string_view, size_t> first;
  first.reserve(records.size());
  std::vector<size_t> result(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    result[i] = first.emplace(records[i].event_id, i).first->second;
  }
  return result;
}

void SpareRecords::keep(std::vector<LogRecord>& records) {
  for (LogRecord& r : records) {
    if (kept_.size() >= limits::log_read_chunk_records) break;
    if (r.payload.capacity() > kPayloadBytesMax) continue;
    kept_.push_back(std::move(r));
  }
  records.clear();
}

LogRecord SpareRecords::take() {
  LogRecord record;
  if (kept_.empty()) return record;
  LogRecord& used = kept_.back();
  record.event_id.swap(used.event_id);
  record.key.swap(used.key);
  record.type.swap(used.type);
  record.payload.swap(used.payload);
  record.source.swap(used.source);
  kept_.pop_back();
  return record;
}

}  // namespace log_internal
}  // namespace dimona
