// The Kafka backend of the log seam, over librdkafka (the one file that
// includes it). Each LogProducer is an idempotent librdkafka producer that
// produces to its partition only and waits for every delivery report; each
// LogConsumer is a librdkafka consumer on manual assignment (no group
// membership, no commits: positions live with the caller's checkpoint).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <charconv>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "engine/base/limits.h"
#include "engine/log/input_topic.h"
#include "engine/log/kafka_client.h"
#include "engine/log/kafka_mock.h"
#include "engine/log/keyed_table_internal.h"
#include "engine/log/log_internal.h"

namespace dimona {
namespace {

using namespace kafka_client;  // NOLINT(google-build-using-namespace): this file is its main user

// The in-process fence: partitions held by a live producer, per "bootstrap/topic".
std::mutex fence_mutex;
std::set<std::pair<std::string, uint32_t>> held_partitions;

// The dimona.* headers of a record (kafka_client.h), read in one pass over its headers; the
// last of a repeated name wins, as rd_kafka_header_get_last would say.
struct DimonaHeaders {
  std::optional<std::string_view> event_id, type, schema_version, recorded_at, source, epoch;
};

DimonaHeaders dimona_headers(rd_kafka_headers_t* headers) {
  DimonaHeaders found;
  if (headers == nullptr) return found;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    const std::string_view key(name);
    if (!key.starts_with("dimona.")) continue;
    const std::string_view text(static_cast<const char*>(value), value == nullptr ? 0 : size);
    if (key == kHeaderEventId)
      found.event_id = text;
    else if (key == kHeaderEventType)
      found.type = text;
    else if (key == kHeaderSchemaVersion)
      found.schema_version = text;
    else if (key == kHeaderRecordedAt)
      found.recorded_at = text;
    else if (key == kHeaderSource)
      found.source = text;
    else if (key == kHeaderEpoch)
      found.epoch = text;
  }
  return found;
}

template <typename Integer>
std::optional<Integer> parse_integer(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  Integer value{};
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

Result<LogRecord> record_of(const rd_kafka_message_t& message) {
  rd_kafka_headers_t* headers = nullptr;
  rd_kafka_message_headers(&message, &headers);
  const DimonaHeaders h = dimona_headers(headers);
  std::optional<uint32_t> schema_version = parse_integer<uint32_t>(h.schema_version);
  std::optional<int64_t> recorded_at = parse_integer<int64_t>(h.recorded_at);
  if (!h.event_id || !h.type || !schema_version || !recorded_at) {
    return corruption("record at offset " + std::to_string(message.offset) + " of partition " +
                      std::to_string(message.partition) + " lacks the dimona.* headers");
  }
  LogRecord record;
  if (*h.type == kFenceRecordType) {
    record.epoch = kFenceEpoch;
  } else if (h.epoch) {
    std::optional<Offset> epoch = parse_integer<Offset>(h.epoch);
    if (!epoch || *epoch >= kFenceEpoch)
      return corruption("record at offset " + std::to_string(message.offset) + " of partition " +
                        std::to_string(message.partition) + " has a malformed dimona.epoch header");
    record.epoch = *epoch;
  }
  record.partition = static_cast<uint32_t>(message.partition);
  record.offset = static_cast<Offset>(message.offset);
  record.recorded_at = Instant{*recorded_at};
  record.schema_version = *schema_version;
  record.event_id = std::string(*h.event_id);
  record.type = std::string(*h.type);
  if (h.source) record.source = std::string(*h.source);
  if (message.key != nullptr) record.key.assign(static_cast<const char*>(message.key), message.key_len);
  if (message.payload != nullptr) record.payload.assign(static_cast<const char*>(message.payload), message.len);
  return record;
}

// What a delivery report tells about one produced record.
struct Delivery {
  bool produced = false;
  bool reported = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  int64_t offset = -1;
};

// The delivery reports of the current append. A record's opaque tags it with
// the append's generation and its index, so a report that comes after its
// append gave up (a timeout, then a purge) is recognised and dropped, never
// written into memory that is gone. Outlives the producer's handle.
struct DeliveryBook {
  uint64_t generation = 0;
  std::vector<Delivery> slots;
  size_t outstanding = 0;

  void* tag(size_t index) const {
    DIMONA_ASSERT(index < (uint64_t{1} << 32));
    // An opaque tag, never dereferenced.
    return reinterpret_cast<void*>(  // NOLINT(performance-no-int-to-ptr)
        static_cast<uintptr_t>(((generation & 0xffffffffU) << 32) | index));
  }
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* book = static_cast<DeliveryBook*>(opaque);
  auto tag = reinterpret_cast<uintptr_t>(message->_private);
  size_t index = tag & 0xffffffffU;
  if ((tag >> 32) != (book->generation & 0xffffffffU) || index >= book->slots.size()) return;
  Delivery& delivery = book->slots[index];
  if (delivery.reported) return;
  delivery.reported = true;
  delivery.err = message->err;
  delivery.offset = message->offset;
  --book->outstanding;
}

class KafkaProducer final : public LogProducer {
 public:
  KafkaProducer(std::unique_ptr<DeliveryBook> book, KafkaHandle handle, std::string topic,
                uint32_t partition, std::string fence_key, Instant last_recorded_at, int delivery_timeout_ms)
      : book_(std::move(book)), handle_(std::move(handle)), topic_(std::move(topic)),
        partition_(partition), fence_key_(std::move(fence_key)), last_recorded_at_(last_recorded_at),
        delivery_timeout_ms_(delivery_timeout_ms) {}
  ~KafkaProducer() override {
    // Every append waited for its records or purged them: nothing is left to deliver.
    handle_.reset();
    if (fence_key_.empty()) return;  // the test seam skipped the in-process fence
    std::lock_guard lock(fence_mutex);
    held_partitions.erase({fence_key_, partition_});
  }
  uint32_t partition() const override { return partition_; }

  // The fence record: an id no event has (random: two claimants never share
  // one), the partition's last recordedAt, no key, no payload; its offset is
  // the epoch of every record appended afterwards.
  Result<Offset> fence() override {
    DIMONA_ASSERT(epoch_ == kNoEpoch);  // once, before any append (log.h)
    std::random_device random;
    char id[48];
    std::snprintf(id, sizeof id, "fence-%u-%08x%08x", partition_, random(), random());
    LogRecordDraft draft;
    draft.event_id = id;
    draft.type = kFenceRecordType;
    draft.recorded_at = last_recorded_at_;
    Result<AppendOutcome> appended = append(std::span(&draft, 1));
    DIMONA_TRY(appended);
    DIMONA_ASSERT(appended->offsets.size() == 1 && appended->duplicates == 0);
    epoch_ = appended->offsets[0];
    return epoch_;
  }

  Result<AppendOutcome> append(std::span<const LogRecordDraft> records) override {
    if (rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(handle_.get(), nullptr, 0); fatal) {
      return unavailable(kafka_error("the producer hit a fatal error and must be reopened", fatal));
    }
    DIMONA_TRY(log_internal::validate_batch(records, last_recorded_at_));
    std::vector<size_t> first = log_internal::first_occurrences(records);
    std::vector<std::optional<Offset>> known(records.size());
    ++book_->generation;
    book_->slots.assign(records.size(), Delivery{});
    book_->outstanding = 0;
    Status failure;
    for (size_t i = 0; i < records.size() && failure.is_ok(); ++i) {
      if (first[i] != i) continue;
      known[i] = session_.offset_of(records[i].event_id);
      if (!known[i]) failure = produce(records[i], i);
    }
    rd_kafka_resp_err_t waited = await_deliveries();
    return collect(records, first, known, waited, std::move(failure));
  }

 private:
  // Waits for every report; after the delivery timeout, purges what is left
  // (its fate unknown: the caller's error says so) and collects the purge reports.
  rd_kafka_resp_err_t await_deliveries() {
    rd_kafka_resp_err_t flushed = rd_kafka_flush(handle_.get(), delivery_timeout_ms_ + limits::kafka_linger_ms);
    if (book_->outstanding == 0) return flushed;
    (void)rd_kafka_purge(handle_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits::kafka_request_timeout_ms);
    while (book_->outstanding > 0 && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_poll(handle_.get(), 10);
    }
    return flushed != RD_KAFKA_RESP_ERR_NO_ERROR ? flushed : RD_KAFKA_RESP_ERR__TIMED_OUT;
  }

  Result<AppendOutcome> collect(std::span<const LogRecordDraft> records, const std::vector<size_t>& first,
                                const std::vector<std::optional<Offset>>& known,
                                rd_kafka_resp_err_t waited, Status failure) {
    AppendOutcome outcome;
    std::optional<Offset> previous;
    for (size_t i = 0; i < records.size(); ++i) {
      if (first[i] != i || known[i]) {
        ++outcome.duplicates;
        outcome.offsets.push_back(first[i] != i ? outcome.offsets[first[i]] : *known[i]);
        continue;
      }
      const Delivery& delivery = book_->slots[i];
      if (!delivery.reported || delivery.err != RD_KAFKA_RESP_ERR_NO_ERROR || delivery.offset < 0) {
        if (failure.is_ok()) {
          const std::string what = "partition " + std::to_string(partition_) + " did not acknowledge event " +
                                   std::string(records[i].event_id);
          // Delivered, offset unknown: librdkafka's answer to a retry the broker took for a
          // duplicate. Stored, but where is the log's to say: the caller re-reads its tail.
          failure = delivery.reported && delivery.err == RD_KAFKA_RESP_ERR_NO_ERROR
                        ? unavailable(what + " with its offset (reported delivered, offset unknown)")
                        : unavailable(kafka_error(what, delivery.reported ? delivery.err : waited));
        }
        outcome.offsets.push_back(0);
        continue;
      }
      Offset offset = static_cast<Offset>(delivery.offset);
      // One producer, one partition, max.in.flight 5 with idempotence: offsets keep the order.
      DIMONA_ASSERT(!previous || offset > *previous);
      previous = offset;
      session_.remember(records[i].event_id, offset);
      last_recorded_at_ = records[i].recorded_at;
      outcome.offsets.push_back(offset);
    }
    ++book_->generation;  // a report still to come belongs to no append
    if (!failure.is_ok()) return failure;
    return outcome;
  }

  Status produce(const LogRecordDraft& record, size_t index) {
    rd_kafka_vu_t values[kafka_client::kRecordValues + 1] = {};
    rd_kafka_headers_t* headers =
        kafka_client::record_values(topic_, partition_, record, std::span(values).first<kafka_client::kRecordValues>(),
                                    record.type == kFenceRecordType ? kNoEpoch : epoch_);
    values[kafka_client::kRecordValues].vtype = RD_KAFKA_VTYPE_OPAQUE;
    values[kafka_client::kRecordValues].u.ptr = book_->tag(index);
    for (;;) {
      rd_kafka_error_t* error = rd_kafka_produceva(handle_.get(), values, std::size(values));
      rd_kafka_resp_err_t err = error == nullptr ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_error_code(error);
      if (error != nullptr) rd_kafka_error_destroy(error);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {  // librdkafka owns the headers now
        book_->slots[index].produced = true;
        ++book_->outstanding;
        return Status::ok();
      }
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(handle_.get(), 100);  // serve delivery reports, then retry
        continue;
      }
      rd_kafka_headers_destroy(headers);
      return unavailable(kafka_error("cannot produce event " + std::string(record.event_id), err));
    }
  }

  std::unique_ptr<DeliveryBook> book_;  // declared before handle_: outlives it
  KafkaHandle handle_;
  std::string topic_;
  uint32_t partition_;
  std::string fence_key_;
  Instant last_recorded_at_;
  int delivery_timeout_ms_;
  Offset epoch_ = kNoEpoch;  // fence()'s offset, carried by every record appended after it
  log_internal::ProducerSession session_;
};

// Reads the record at (or the first after) offset of a partition with a handle of its own.
Result<LogRecord> read_one(rd_kafka_t* handle, const std::string& topic, uint32_t partition, Offset offset) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<int32_t>(partition))->offset =
      static_cast<int64_t>(offset);
  if (rd_kafka_resp_err_t err = rd_kafka_assign(handle, list.get()); err) {
    return unavailable(kafka_error("cannot assign a partition", err));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits::kafka_probe_timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    Message message(rd_kafka_consumer_poll(handle, 100));
    if (!message) continue;
    if (message->err) {
      if (is_transient(message->err)) continue;
      return unavailable(kafka_error("cannot read partition " + std::to_string(partition), message->err));
    }
    if (message->partition != static_cast<int32_t>(partition) || message->offset < static_cast<int64_t>(offset)) continue;
    return record_of(*message);
  }
  return unavailable("no record at offset " + std::to_string(offset) + " of partition " +
                     std::to_string(partition) + " within the probe timeout");
}

class KafkaConsumer final : public LogConsumer {
 public:
  // `settings`: the extra ones `handle` was made with, for the probe too.
  KafkaConsumer(std::string bootstrap, std::string topic, uint32_t partitions, KafkaHandle handle,
                Settings settings)
      : bootstrap_(std::move(bootstrap)), topic_(std::move(topic)), partitions_(partitions),
        handle_(std::move(handle)), settings_(std::move(settings)) {}
  ~KafkaConsumer() override {
    (void)rd_kafka_assign(handle_.get(), nullptr);
    if (probe_) (void)rd_kafka_assign(probe_.get(), nullptr);
  }

  Status assign(std::span<const uint32_t> partitions) override {
    std::map<uint32_t, Offset> positions;
    for (uint32_t p : partitions) {
      DIMONA_TRY(check_partition(p));
      positions[p] = 0;
    }
    positions_ = std::move(positions);
    skip_before_.clear();
    return defer_reassign();
  }

  // Past the end is the end: clamped to the high watermark, asked of the broker
  // only when `offset` is past the last one this consumer saw (a partition's
  // end never moves back), so a reader's seek after end_offset() is no round trip.
  // Where it does (a recreated topic; a new leader whose watermark lags for a
  // moment) an unclamped seek past the end is a poll error (auto.offset.reset
  // is error), never a silent jump.
  Status seek(uint32_t partition, Offset offset) override {
    DIMONA_TRY(check_assigned(partition));
    if (offset > known_end(partition)) {
      Result<Offset> end = end_offset(partition);
      DIMONA_TRY(end);
      offset = std::min(offset, *end);
    }
    positions_[partition] = offset;
    skip_before_.erase(partition);
    return defer_reassign();
  }

  Status seek_to_instant(uint32_t partition, Instant at) override {
    DIMONA_TRY(check_assigned(partition));
    Result<Offset> offset = locate(partition, at);
    if (probe_) (void)rd_kafka_assign(probe_.get(), nullptr);  // stop its prefetching
    DIMONA_TRY(offset);
    positions_[partition] = *offset;
    skip_before_[partition] = at;  // offsetsForTimes works in milliseconds
    return defer_reassign();
  }

  Result<size_t> poll(std::vector<LogRecord>& out, std::chrono::milliseconds timeout,
                      size_t max_records) override {
    if (max_records == 0) return invalid_argument("a poll asks for at least one record");
    max_records = std::min(max_records, limits::log_poll_records_max);
    if (reassign_due_) {
      DIMONA_TRY(reassign());
      reassign_due_ = false;
    }
    return poll_messages(handle_.get(), timeout, max_records, "the log", [&](const rd_kafka_message_t& message) -> Result<bool> {
      auto position = positions_.find(static_cast<uint32_t>(message.partition));
      if (position == positions_.end() || message.offset < static_cast<int64_t>(position->second)) return false;
      Result<LogRecord> record = record_of(message);
      DIMONA_TRY(record);
      position->second = record->offset + 1;
      if (auto skip = skip_before_.find(record->partition); skip != skip_before_.end()) {
        if (record->recorded_at < skip->second) return false;
        skip_before_.erase(skip);
      }
      out.push_back(std::move(record).value());
      return true;
    });
  }

  Result<Offset> end_offset(uint32_t partition) override {
    DIMONA_TRY(check_partition(partition));
    Result<Watermarks> marks = watermarks(handle_.get(), topic_, partition);
    DIMONA_TRY(marks);
    Offset& known = known_ends_[partition];
    known = std::max(known, marks->high);
    return marks->high;
  }

 private:
  // assign() and the seeks only note the positions; the next poll() assigns them all in one
  // rd_kafka_assign. An assign then a seek per partition used to be several assignments in a
  // row, which librdkafka 2.0.2 can answer with an abort (a FETCH_STOP sent twice while the
  // assignment changes: rdkafka_assignment.c "rktp->rktp_started", upstream issue #5573).
  Status defer_reassign() {
    reassign_due_ = true;
    return Status::ok();
  }

  Status reassign() {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(positions_.size())));
    for (const auto& [partition, offset] : positions_) {
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), static_cast<int32_t>(partition))->offset =
          static_cast<int64_t>(offset);
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(handle_.get(), list.get());
    if (err) return unavailable(kafka_error("cannot assign partitions", err));
    return Status::ok();
  }

  // The first offset with recordedAt >= at: Kafka's offsetsForTimes, then, when
  // the broker answers "none" (-1), a check of the partition's last record and
  // a binary search over single-record reads (the mock cluster has no
  // offsetsForTimes; recordedAt is non-decreasing within a partition).
  Result<Offset> locate(uint32_t partition, Instant at) {
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), static_cast<int32_t>(partition))->offset =
        at.micros > 0 ? at.micros / 1000 : 0;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(handle_.get(), list.get(), limits::kafka_request_timeout_ms);
    if (!err) err = list->elems[0].err;
    if (err) return unavailable(kafka_error("offsetsForTimes failed", err));
    if (list->elems[0].offset >= 0) return static_cast<Offset>(list->elems[0].offset);
    Result<Watermarks> marks = watermarks(handle_.get(), topic_, partition);
    DIMONA_TRY(marks);
    if (marks->low == marks->high) return marks->high;
    if (!probe_) {
      Result<KafkaHandle> probe = new_consumer(bootstrap_, "dimona-ledger.log-reader", settings_);
      DIMONA_TRY(probe);
      kafka_client::know_topic(probe->get(), topic_);
      probe_ = std::move(probe).value();
    }
    Result<LogRecord> last = read_one(probe_.get(), topic_, partition, marks->high - 1);
    DIMONA_TRY(last);
    if (last->recorded_at < at) return marks->high;
    Offset low = marks->low;
    Offset high = last->offset;  // recorded at or after `at`
    while (low < high) {
      Offset middle = low + (high - low) / 2;
      Result<LogRecord> record = read_one(probe_.get(), topic_, partition, middle);
      DIMONA_TRY(record);
      if (record->recorded_at >= at) {
        high = std::min(high, record->offset);
        if (record->offset > middle) high = middle;  // a gap: nothing readable in [middle, offset)
      } else {
        low = record->offset + 1;
      }
    }
    return low;
  }

  Status check_partition(uint32_t partition) const {
    if (partition < partitions_) return Status::ok();
    return invalid_argument("partition " + std::to_string(partition) + " does not exist");
  }
  Offset known_end(uint32_t partition) const {
    auto known = known_ends_.find(partition);
    return known == known_ends_.end() ? 0 : known->second;
  }

  Status check_assigned(uint32_t partition) const {
    if (positions_.contains(partition)) return Status::ok();
    return invalid_argument("partition " + std::to_string(partition) + " is not assigned");
  }

  std::string bootstrap_;
  std::string topic_;
  uint32_t partitions_;
  KafkaHandle handle_;
  Settings settings_;  // open_reader()'s, or none
  KafkaHandle probe_;  // seek_to_instant's single-record reads
  std::map<uint32_t, Offset> positions_;
  std::map<uint32_t, Offset> known_ends_;  // per partition: the highest end_offset() answered (seek)
  std::map<uint32_t, Instant> skip_before_;
  bool reassign_due_ = false;  // positions changed since the last rd_kafka_assign
};

class KafkaLog final : public Log {
 public:
  KafkaLog(std::string bootstrap, std::string topic, uint32_t partitions, int delivery_timeout_ms,
           int16_t replication_factor, bool skip_in_process_fence)
      : bootstrap_(std::move(bootstrap)), topic_(std::move(topic)), partitions_(partitions),
        delivery_timeout_ms_(delivery_timeout_ms), replication_factor_(replication_factor),
        skip_in_process_fence_(skip_in_process_fence) {}
  bool fences_writers() const override { return true; }
  uint32_t partitions() const override { return partitions_; }
  std::string uri() const override { return "kafka://" + bootstrap_ + "/" + topic_; }
  bool parallel_appends() const override { return true; }

  Result<std::unique_ptr<LogProducer>> open_producer(uint32_t partition) override {
    if (partition >= partitions_) {
      return invalid_argument("partition " + std::to_string(partition) + " does not exist");
    }
    if (skip_in_process_fence_) return open_fenced_producer(partition, "");
    std::string fence_key = bootstrap_ + "/" + topic_;
    {
      std::lock_guard lock(fence_mutex);
      if (!held_partitions.insert({fence_key, partition}).second) {
        return busy("partition " + std::to_string(partition) + " is held by another producer");
      }
    }
    Result<std::unique_ptr<LogProducer>> producer = open_fenced_producer(partition, fence_key);
    if (!producer.is_ok()) {
      std::lock_guard lock(fence_mutex);
      held_partitions.erase({fence_key, partition});
    }
    return producer;
  }

  Result<std::unique_ptr<LogConsumer>> open_consumer() override { return consumer_with({}); }
  Result<std::unique_ptr<LogConsumer>> open_reader() override {
    return consumer_with({{"fetch.wait.max.ms", std::to_string(limits::kafka_reader_fetch_wait_ms)}});
  }
  bool has_groups() const override { return true; }
  Result<std::unique_ptr<GroupMember>> join_group(const GroupOptions& options, GroupCallbacks callbacks) override {
    return log_internal::join_kafka_group(bootstrap_, topic_, options, std::move(callbacks));  // kafka_group.cc
  }

  // The table's topic TOPIC.NAME (kafka_table.cc).
  Result<std::unique_ptr<KeyedTable>> open_table(std::string_view name) override {
    return log_internal::open_kafka_table(bootstrap_, topic_, replication_factor_, delivery_timeout_ms_, name);
  }

 private:
  Result<std::unique_ptr<LogConsumer>> consumer_with(const kafka_client::Settings& extra) {
    Result<KafkaHandle> handle = new_consumer(bootstrap_, "dimona-ledger.log-reader", extra);
    DIMONA_TRY(handle);
    kafka_client::know_topic(handle->get(), topic_);
    return std::unique_ptr<LogConsumer>(
        std::make_unique<KafkaConsumer>(bootstrap_, topic_, partitions_, std::move(handle).value(), extra));
  }

  // The partition's last recordedAt (the order append() keeps), then the producer.
  Result<std::unique_ptr<LogProducer>> open_fenced_producer(uint32_t partition, const std::string& fence_key) {
    Result<KafkaHandle> reader = new_consumer(bootstrap_);
    DIMONA_TRY(reader);
    Result<Watermarks> marks = watermarks(reader->get(), topic_, partition);
    DIMONA_TRY(marks);
    Instant last;
    if (marks->high > marks->low) {
      Result<LogRecord> tail = read_one(reader->get(), topic_, partition, marks->high - 1);
      DIMONA_TRY(tail);
      last = tail->recorded_at;
      (void)rd_kafka_assign(reader->get(), nullptr);
    }
    auto book = std::make_unique<DeliveryBook>();
    Result<KafkaHandle> handle = new_handle(RD_KAFKA_PRODUCER, log_producer_settings(bootstrap_, delivery_timeout_ms_),
                                            on_delivery, book.get());
    DIMONA_TRY(handle);
    kafka_client::know_topic(handle->get(), topic_);
    return std::unique_ptr<LogProducer>(std::make_unique<KafkaProducer>(
        std::move(book), std::move(handle).value(), topic_, partition, fence_key, last, delivery_timeout_ms_));
  }

  std::string bootstrap_;
  std::string topic_;
  uint32_t partitions_;
  int delivery_timeout_ms_;
  int16_t replication_factor_;  // of a table topic it creates
  bool skip_in_process_fence_;  // LogOptions::test_only_skip_in_process_fence
};


// The input topic (input_topic.h): the same consumer settings as the log's
// (manual assignment, enable.auto.commit=false, enable.auto.offset.store=false,
// auto.offset.reset=error, read_uncommitted, check.crcs), under a group id of
// its own that is never joined nor committed to; records taken raw.
class KafkaInputTopic final : public InputTopic {
 public:
  KafkaInputTopic(std::string topic, uint32_t partitions, KafkaHandle handle)
      : topic_(std::move(topic)), partitions_(partitions), handle_(std::move(handle)) {}
  ~KafkaInputTopic() override { (void)rd_kafka_assign(handle_.get(), nullptr); }
  const std::string& topic() const override { return topic_; }
  uint32_t partitions() const override { return partitions_; }

  Status assign(const std::map<uint32_t, Offset>& from) override {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(from.size())));
    for (const auto& [partition, offset] : from) {
      DIMONA_TRY(check_partition(partition));
      Result<PartitionRange> held = range(partition);
      DIMONA_TRY(held);
      if (offset < held->first) {
        return invalid_argument("partition " + std::to_string(partition) + " of topic " + topic_ + " starts at offset " +
                                std::to_string(held->first) + ": the records from " + std::to_string(offset) +
                                " were deleted before they were read");
      }
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), static_cast<int32_t>(partition))->offset =
          static_cast<int64_t>(std::min(offset, held->end));
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(handle_.get(), list.get());
    if (err) return unavailable(kafka_error("cannot assign partitions of " + topic_, err));
    next_.clear();
    for (const auto& [partition, offset] : from) next_[partition] = offset;
    return Status::ok();
  }

  Result<size_t> poll(std::vector<InputRecord>& out, std::chrono::milliseconds timeout,
                      size_t max_records) override {
    if (max_records == 0) return invalid_argument("a poll asks for at least one record");
    return poll_messages(handle_.get(), timeout, max_records, "topic " + topic_, [&](const rd_kafka_message_t& message) -> Result<bool> {
      auto next = next_.find(static_cast<uint32_t>(message.partition));
      if (next == next_.end() || message.offset < static_cast<int64_t>(next->second)) return false;  // a stale fetch
      next->second = static_cast<Offset>(message.offset) + 1;
      InputRecord record;
      record.partition = static_cast<uint32_t>(message.partition);
      record.offset = static_cast<Offset>(message.offset);
      record.timestamp_ms = rd_kafka_message_timestamp(&message, nullptr);
      record.too_large = message.len > limits::input_record_bytes_max;
      if (!record.too_large && message.payload != nullptr)
        record.value.assign(static_cast<const char*>(message.payload), message.len);
      out.push_back(std::move(record));
      return true;
    });
  }

  Result<PartitionRange> range(uint32_t partition) override {
    DIMONA_TRY(check_partition(partition));
    Result<Watermarks> marks = watermarks(handle_.get(), topic_, partition);
    DIMONA_TRY(marks);
    return PartitionRange{marks->low, marks->high};
  }

  Result<Offset> position(uint32_t partition) override {
    auto next = next_.find(partition);
    if (next == next_.end()) return invalid_argument("partition " + std::to_string(partition) + " is not assigned");
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), static_cast<int32_t>(partition));
    rd_kafka_resp_err_t err = rd_kafka_position(handle_.get(), list.get());
    if (!err && list->elems[0].err == RD_KAFKA_RESP_ERR_NO_ERROR && list->elems[0].offset > 0)
      next->second = std::max(next->second, static_cast<Offset>(list->elems[0].offset));  // past control records
    return next->second;
  }

 private:
  Status check_partition(uint32_t partition) const {
    if (partition < partitions_) return Status::ok();
    return invalid_argument("topic " + topic_ + " has no partition " + std::to_string(partition));
  }

  std::string topic_;
  uint32_t partitions_;
  KafkaHandle handle_;
  std::map<uint32_t, Offset> next_;  // per assigned partition: the offset after the last record returned
};

}  // namespace

Result<std::unique_ptr<InputTopic>> open_input_topic(std::string_view uri) {
  Result<KafkaAddress> address = parse_kafka_uri(uri);
  DIMONA_TRY(address);
  Result<KafkaHandle> handle = new_consumer(address->bootstrap, "dimona-ledger.input-reader");
  DIMONA_TRY(handle);
  Result<uint32_t> partitions = topic_partitions(handle->get(), address->topic);
  DIMONA_TRY(partitions);
  if (*partitions > limits::partitions_max) {
    return failed_precondition("topic " + address->topic + " has more than " + std::to_string(limits::partitions_max) + " partitions");
  }
  return std::unique_ptr<InputTopic>(
      std::make_unique<KafkaInputTopic>(address->topic, *partitions, std::move(handle).value()));
}

namespace log_internal {

Result<std::unique_ptr<Log>> open_kafka_log(std::string_view bootstrap, std::string_view topic_name,
                                            const LogOptions& options) {
  std::string topic(topic_name);
  if (options.delivery_timeout_ms <= limits::kafka_linger_ms) {
    return invalid_argument("the delivery timeout must exceed linger.ms (" + std::to_string(limits::kafka_linger_ms) + " ms)");
  }
  Result<KafkaHandle> admin = new_handle(RD_KAFKA_PRODUCER, common_settings(bootstrap), nullptr);
  DIMONA_TRY(admin);
  Result<uint32_t> partitions = topic_partitions(admin->get(), topic);
  if (!partitions.is_ok() && partitions.status().code() == Code::kNotFound) {
    if (!options.create_if_missing) return not_found("no log at kafka://" + std::string(bootstrap) + "/" + topic + ": the topic does not exist");
    DIMONA_TRY(create_topic(admin->get(), topic, options.partitions, options.replication_factor));
    partitions = await_topic(admin->get(), topic);
  }
  DIMONA_TRY(partitions);
  if (*partitions > limits::partitions_max) {
    return failed_precondition("topic " + topic + " has more than " + std::to_string(limits::partitions_max) + " partitions");
  }
  return std::unique_ptr<Log>(std::make_unique<KafkaLog>(std::string(bootstrap), topic, *partitions,
                                                        options.delivery_timeout_ms, options.replication_factor,
                                                        options.test_only_skip_in_process_fence));
}

}  // namespace log_internal

struct KafkaMockCluster::State {
  KafkaHandle handle;  // the mock's host handle; outlives the cluster
  rd_kafka_mock_cluster_t* cluster = nullptr;
  int brokers = 0;
  std::string bootstrap;
  ~State() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
  }
};

KafkaMockCluster::KafkaMockCluster(std::unique_ptr<State> state) : state_(std::move(state)) {}
KafkaMockCluster::~KafkaMockCluster() = default;

Result<std::unique_ptr<KafkaMockCluster>> KafkaMockCluster::start(int brokers) {
  if (brokers < 1) return invalid_argument("a mock cluster has at least one broker");
  Result<KafkaHandle> handle = new_handle(RD_KAFKA_PRODUCER, {{"client.id", "dimona-ledger.mock"}, {"socket.nagle.disable", "true"}}, nullptr);
  DIMONA_TRY(handle);
  auto state = std::make_unique<State>();
  state->handle = std::move(handle).value();
  state->cluster = rd_kafka_mock_cluster_new(state->handle.get(), brokers);
  if (state->cluster == nullptr) return unavailable("librdkafka's mock cluster did not start");
  state->bootstrap = rd_kafka_mock_cluster_bootstraps(state->cluster);
  state->brokers = brokers;
  return std::unique_ptr<KafkaMockCluster>(new KafkaMockCluster(std::move(state)));
}

const std::string& KafkaMockCluster::bootstrap() const { return state_->bootstrap; }

Status KafkaMockCluster::create_topic(std::string_view topic, uint32_t partitions, int replication_factor) {
  std::string name(topic);
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(state_->cluster, name.c_str(),
                                                       static_cast<int>(partitions), replication_factor);
  if (err) return failed_precondition(kafka_error("the mock cannot create topic " + name, err));
  return Status::ok();
}

void KafkaMockCluster::fail_next_produce_requests(size_t count) {
  std::vector<rd_kafka_resp_err_t> errors(count, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  constexpr int16_t kProduceApiKey = 0;  // the Kafka protocol's; librdkafka names it in an internal header
  rd_kafka_mock_push_request_errors_array(state_->cluster, kProduceApiKey, errors.size(), errors.data());
}

void KafkaMockCluster::set_all_brokers_down(bool down) {
  for (int32_t broker = 1; broker <= state_->brokers; ++broker) {  // the mock numbers them from 1
    (void)(down ? rd_kafka_mock_broker_set_down(state_->cluster, broker)
                : rd_kafka_mock_broker_set_up(state_->cluster, broker));
  }
}

uint32_t librdkafka_partition_for_key(std::string_view key, uint32_t partitions) {
  return static_cast<uint32_t>(rd_kafka_msg_partitioner_murmur2_random(
      nullptr, key.data(), key.size(), static_cast<int32_t>(partitions), nullptr, nullptr));
}

}  // namespace dimona
