// The Kafka backend of the keyed tables (keyed_table.h): topic TOPIC.NAME,
// one partition, cleanup.policy=compact; a record's key and value are the
// table's key and value, a null value a tombstone, so any client reads it.
//
// Why this shape. A table object holds the whole partition as a map (a
// compacted topic holds about one record per key): open() reads it up to the
// high watermark, refresh() reads on to the current one, and get() answers
// from the map, refreshing first on a miss. put() is one record from an
// idempotent producer (acks=all) and waits for its delivery report, then
// applies itself to the map (put_all(): every record, then one wait for all
// their reports); a later refresh() reads the same record again,
// in offset order after any older one of the key, so the latest still wins.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>

#include "engine/base/limits.h"
#include "engine/log/kafka_client.h"
#include "engine/log/keyed_table_internal.h"

namespace dimona::log_internal {
namespace {

using kafka_client::kafka_error;
using kafka_client::KafkaHandle;
using kafka_client::Message;
using kafka_client::PartitionList;

constexpr int32_t kPartition = 0;
constexpr size_t kTopicBytesMax = 249;  // Kafka's longest topic name

// The delivery report of the put in flight. A record's opaque is its put's
// number, so a report that comes after its put gave up is dropped.
// Outlives the producer's handle.
struct PutDelivery {
  uint64_t put = 0;
  size_t reported = 0;  // reports of this put's records
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;  // the first error among them
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* delivery = static_cast<PutDelivery*>(opaque);
  if (reinterpret_cast<uintptr_t>(message->_private) != delivery->put) return;
  ++delivery->reported;
  if (delivery->err == RD_KAFKA_RESP_ERR_NO_ERROR) delivery->err = message->err;
}

kafka_client::Settings producer_settings(const std::string& bootstrap, int delivery_timeout_ms) {
  const kafka_client::Settings own = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"max.in.flight.requests.per.connection", "5"},
      {"linger.ms", "0"},            // one record per put, waited for: nothing to batch
      {"compression.type", "none"},  // records of a few hundred bytes
      {"delivery.timeout.ms", std::to_string(delivery_timeout_ms)},
      {"retry.backoff.ms", "100"},
  };
  kafka_client::Settings settings = kafka_client::common_settings(bootstrap);
  settings.insert(settings.end(), own.begin(), own.end());
  return settings;
}

class KafkaTable final : public KeyedTable {
 public:
  KafkaTable(std::string name, std::string topic, int delivery_timeout_ms, std::unique_ptr<PutDelivery> delivery,
             KafkaHandle producer, KafkaHandle consumer)
      : name_(std::move(name)),
        topic_(std::move(topic)),
        delivery_timeout_ms_(delivery_timeout_ms),
        delivery_(std::move(delivery)),
        producer_(std::move(producer)),
        consumer_(std::move(consumer)) {}
  ~KafkaTable() override { (void)rd_kafka_assign(consumer_.get(), nullptr); }

  // Assigns the partition from its start.
  Status start() {
    Result<kafka_client::Watermarks> marks = kafka_client::watermarks(consumer_.get(), topic_, kPartition);
    DIMONA_TRY(marks);
    next_ = marks->low;
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), kPartition)->offset = static_cast<int64_t>(next_);
    if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), list.get()); err) {
      return unavailable(kafka_error("cannot assign topic " + topic_, err));
    }
    return Status::ok();
  }

  Status put(std::string_view key, std::string_view value) override {
    const Row row{std::string(key), std::string(value)};
    return put_all(std::span<const Row>(&row, 1));
  }

  // Every record produced, then one flush waits for all their reports.
  Status put_all(std::span<const Row> rows) override {
    for (const Row& row : rows) DIMONA_TRY(check_table_entry(name_, row.first, row.second));
    if (rows.empty()) return Status::ok();
    if (rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(producer_.get(), nullptr, 0); fatal) {
      return unavailable(kafka_error("table " + name_ + "'s producer hit a fatal error; reopen the table", fatal));
    }
    ++delivery_->put;
    delivery_->reported = 0;
    delivery_->err = RD_KAFKA_RESP_ERR_NO_ERROR;
    Status produced = Status::ok();
    size_t sent = 0;
    for (; sent < rows.size() && produced.is_ok(); ++sent) produced = produce(rows[sent].first, rows[sent].second);
    if (!produced.is_ok()) --sent;
    (void)rd_kafka_flush(producer_.get(), delivery_timeout_ms_ + limits::kafka_linger_ms);
    if (delivery_->reported < sent) {
      // Their fate unknown: purged, and the put says so (a retry puts the same latest values).
      (void)rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      (void)rd_kafka_poll(producer_.get(), 0);
      ++delivery_->put;  // a report still to come belongs to no put
      return unavailable("topic " + topic_ + " did not acknowledge a put to table " + name_ + " within " +
                         std::to_string(delivery_timeout_ms_) + " ms");
    }
    if (delivery_->err)
      return unavailable(kafka_error("topic " + topic_ + " refused a put to table " + name_, delivery_->err));
    DIMONA_TRY(produced);
    for (const Row& row : rows) view_.apply(row.first, row.second);
    return Status::ok();
  }

  Result<std::optional<std::string>> get(std::string_view key) override {
    DIMONA_TRY(check_table_key(name_, key));
    if (std::optional<std::string> found = view_.find(key)) return found;
    DIMONA_TRY(refresh());
    return view_.find(key);
  }

  Status refresh() override;

  void for_each(const std::function<void(std::string_view, std::string_view)>& f) const override { view_.for_each(f); }

 private:
  Status produce(std::string_view key, std::string_view value) {
    // rd_kafka_produceva, not the RD_KAFKA_V_* macros: those are GNU statement expressions.
    rd_kafka_vu_t values[6] = {};
    values[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    values[0].u.cstr = topic_.c_str();
    values[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    values[1].u.i32 = kPartition;
    values[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    values[2].u.i = RD_KAFKA_MSG_F_COPY;
    values[3].vtype = RD_KAFKA_VTYPE_KEY;
    values[3].u.mem = {const_cast<char*>(key.data()), key.size()};
    values[4].vtype = RD_KAFKA_VTYPE_VALUE;  // an empty value is a null one: Kafka's tombstone
    values[4].u.mem = {value.empty() ? nullptr : const_cast<char*>(value.data()), value.size()};
    values[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
    // The put's number as an opaque tag, never dereferenced.
    values[5].u.ptr =
        reinterpret_cast<void*>(static_cast<uintptr_t>(delivery_->put));  // NOLINT(performance-no-int-to-ptr)
    rd_kafka_error_t* error = rd_kafka_produceva(producer_.get(), values, std::size(values));
    if (error == nullptr) return Status::ok();
    Status failed = unavailable("cannot put to table " + name_ + ": " + rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return failed;
  }

  // A record read: applied to the view, or kCorruption for a record the table cannot hold.
  Status take(const rd_kafka_message_t& message) {
    std::string where = "record at offset " + std::to_string(message.offset) + " of topic " + topic_;
    if (message.key == nullptr || message.key_len == 0) return corruption(where + " has no key");
    if (message.key_len > limits::keyed_table_key_bytes_max || message.len > limits::keyed_table_value_bytes_max) {
      return corruption(where + " is larger than table " + name_ + "'s keys and values may be");
    }
    std::string_view key(static_cast<const char*>(message.key), message.key_len);
    std::string_view value(message.payload != nullptr ? static_cast<const char*>(message.payload) : "",
                           message.payload != nullptr ? message.len : 0);
    view_.apply(key, value);
    return Status::ok();
  }

  std::string name_;
  std::string topic_;
  int delivery_timeout_ms_;
  std::unique_ptr<PutDelivery> delivery_;  // declared before producer_: outlives it
  KafkaHandle producer_;
  KafkaHandle consumer_;  // assigned to the partition from start() on, reading ahead
  Offset next_ = 0;       // the offset after the last record taken
  TableView view_;
};

// Reads up to the high watermark asked for now. A record the table cannot
// hold stops the read there (the next refresh reports it again). Stalls
// (nothing read for limits::log_read_stall_ms) are kUnavailable.
Status KafkaTable::refresh() {
  Result<kafka_client::Watermarks> marks = kafka_client::watermarks(consumer_.get(), topic_, kPartition);
  DIMONA_TRY(marks);
  const Offset target = marks->high;
  auto stall = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits::log_read_stall_ms);
  while (next_ < target) {
    if (std::chrono::steady_clock::now() >= stall) {
      return unavailable("table " + name_ + ": topic " + topic_ + " delivered nothing past offset " +
                         std::to_string(next_) + " of " + std::to_string(target) + " for " +
                         std::to_string(limits::log_read_stall_ms) + " ms");
    }
    Message message(rd_kafka_consumer_poll(consumer_.get(), 100));
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The fetcher is at the end: what compaction removed before it is no gap to wait for.
      if (message->offset >= 0) next_ = std::max(next_, static_cast<Offset>(message->offset));
      continue;
    }
    if (message->err) {
      if (kafka_client::is_transient(message->err)) continue;
      return unavailable(kafka_error("cannot read topic " + topic_, message->err));
    }
    if (message->partition != kPartition || message->offset < static_cast<int64_t>(next_)) continue;  // stale
    DIMONA_TRY(take(*message));
    next_ = static_cast<Offset>(message->offset) + 1;
    stall = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits::log_read_stall_ms);
  }
  return Status::ok();
}

// The table's topic: its partition count, created (1 partition, compacted) when missing.
Status ensure_table_topic(rd_kafka_t* handle, const std::string& topic, int16_t replication_factor) {
  Result<uint32_t> partitions = kafka_client::topic_partitions(handle, topic);
  if (!partitions.is_ok() && partitions.status().code() == Code::kNotFound) {
    Status created = kafka_client::create_topic(handle, topic, 1, replication_factor, {{"cleanup.policy", "compact"}});
    if (!created.is_ok()) {
      return Status(created.code(), created.message() + ", replication factor " + std::to_string(replication_factor) +
                                        ", cleanup.policy=compact (a keyed table's topic)");
    }
    partitions = kafka_client::await_topic(handle, topic);
  }
  DIMONA_TRY(partitions);
  if (*partitions != 1) {
    return failed_precondition("topic " + topic + " has " + std::to_string(*partitions) +
                               " partitions; a keyed table's topic has one");
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<KeyedTable>> open_kafka_table(const std::string& bootstrap, const std::string& log_topic,
                                                     int16_t replication_factor, int delivery_timeout_ms,
                                                     std::string_view name) {
  DIMONA_TRY(check_table_name(name));
  std::string topic = log_topic + "." + std::string(name);
  if (topic.size() > kTopicBytesMax) {
    return invalid_argument("topic " + topic + " of table " + std::string(name) + " is longer than Kafka allows (" +
                            std::to_string(kTopicBytesMax) + " characters)");
  }
  auto delivery = std::make_unique<PutDelivery>();
  Result<KafkaHandle> producer = kafka_client::new_handle(
      RD_KAFKA_PRODUCER, producer_settings(bootstrap, delivery_timeout_ms), on_delivery, delivery.get());
  DIMONA_TRY(producer);
  DIMONA_TRY(ensure_table_topic(producer->get(), topic, replication_factor));
  // EOF events: the reader learns it is at the end even when compaction left no record there.
  Result<KafkaHandle> consumer =
      kafka_client::new_consumer(bootstrap, "dimona-ledger.table-reader", {{"enable.partition.eof", "true"}});
  DIMONA_TRY(consumer);
  auto table =
      std::make_unique<KafkaTable>(std::string(name), std::move(topic), delivery_timeout_ms, std::move(delivery),
                                   std::move(producer).value(), std::move(consumer).value());
  DIMONA_TRY(table->start());
  DIMONA_TRY(table->refresh());
  return std::unique_ptr<KeyedTable>(std::move(table));
}

}  // namespace dimona::log_internal
