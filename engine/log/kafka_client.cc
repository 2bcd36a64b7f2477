#include "engine/log/kafka_client.h"

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "engine/base/limits.h"

namespace dimona::kafka_client {

std::string kafka_error(std::string_view what, rd_kafka_resp_err_t err) {
  return std::string(what) + ": " + rd_kafka_err2str(err);
}

// Settings shared by every handle.
Settings common_settings(std::string_view bootstrap) {
  return {{"bootstrap.servers", std::string(bootstrap)},
          {"client.id", "dimona-ledger"},
          {"allow.auto.create.topics", "false"},  // a topic is created on purpose, with its partitions
          {"socket.timeout.ms", std::to_string(limits::kafka_request_timeout_ms)},
          // TCP_NODELAY, as the Java client always sets: with Nagle on, a request or response
          // written in two segments waits for the peer's delayed ACK (~40 ms on Linux).
          {"socket.nagle.disable", "true"},
          {"log.connection.close", "false"}};
}

rd_kafka_headers_t* record_values(const std::string& topic, uint32_t partition, const LogRecordDraft& record,
                                  std::span<rd_kafka_vu_t, kRecordValues> values, Offset epoch) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(6);
  const std::string schema_version = std::to_string(record.schema_version);
  const std::string recorded_at = std::to_string(record.recorded_at.micros);
  rd_kafka_header_add(headers, kHeaderEventId, -1, record.event_id.data(), static_cast<ssize_t>(record.event_id.size()));
  rd_kafka_header_add(headers, kHeaderEventType, -1, record.type.data(), static_cast<ssize_t>(record.type.size()));
  rd_kafka_header_add(headers, kHeaderSchemaVersion, -1, schema_version.data(), static_cast<ssize_t>(schema_version.size()));
  rd_kafka_header_add(headers, kHeaderRecordedAt, -1, recorded_at.data(), static_cast<ssize_t>(recorded_at.size()));
  if (!record.source.empty())
    rd_kafka_header_add(headers, kHeaderSource, -1, record.source.data(), static_cast<ssize_t>(record.source.size()));
  if (epoch != kNoEpoch) {
    const std::string text = std::to_string(epoch);
    rd_kafka_header_add(headers, kHeaderEpoch, -1, text.data(), static_cast<ssize_t>(text.size()));
  }
  // rd_kafka_produceva, not the RD_KAFKA_V_* macros: those are GNU statement expressions.
  values[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  values[0].u.cstr = topic.c_str();
  values[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  values[1].u.i32 = static_cast<int32_t>(partition);
  values[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  values[2].u.i = RD_KAFKA_MSG_F_COPY;
  values[3].vtype = RD_KAFKA_VTYPE_KEY;
  values[3].u.mem = {const_cast<char*>(record.key.data()), record.key.size()};
  values[4].vtype = RD_KAFKA_VTYPE_VALUE;
  values[4].u.mem = {const_cast<char*>(record.payload.data()), record.payload.size()};
  values[5].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
  values[5].u.i64 = record.recorded_at.micros > 0 ? record.recorded_at.micros / 1000 : 0;
  values[6].vtype = RD_KAFKA_VTYPE_HEADERS;
  values[6].u.headers = headers;
  return headers;
}

Settings log_producer_settings(std::string_view bootstrap, int delivery_timeout_ms) {
  Settings settings = common_settings(bootstrap);
  settings.insert(settings.end(),
                  {
                      {"enable.idempotence", "true"},
                      {"acks", "all"},
                      // One request in flight per partition's producer: a failed request is retried before a
                      // later one is sent, so a partition never holds a later record without an earlier one
                      // of the same append, even on a broker that does not check the idempotent producer's
                      // sequence numbers (librdkafka's mock cluster, for a non-transactional producer: with 5
                      // in flight it stored R2 after refusing R1, and librdkafka, inferring from R2's
                      // success, reported R1's records delivered). An append waits for all its
                      // acknowledgements anyway, and most fit in one request (kafka_batch_bytes_max).
                      {"max.in.flight.requests.per.connection", "1"},
                      {"compression.type", "lz4"},
                      // Records name their partition; for keyed records without one, the Java client's choice.
                      {"partitioner", "murmur2_random"},
                      {"linger.ms", std::to_string(limits::kafka_linger_ms)},
                      {"batch.num.messages", std::to_string(limits::kafka_batch_records_max)},
                      {"batch.size", std::to_string(limits::kafka_batch_bytes_max)},
                      {"delivery.timeout.ms", std::to_string(delivery_timeout_ms)},
                      {"queue.buffering.max.messages", std::to_string(limits::kafka_queue_records_max)},
                      {"queue.buffering.max.kbytes", std::to_string(limits::kafka_queue_kbytes_max)},
                      {"message.max.bytes", std::to_string(limits::kafka_batch_bytes_max + 64 * 1024)},
                      // enable.gapless.guarantee stays at its default (false; librdkafka warns that it is
                      // experimental when set): a failed batch is an append error the caller retries.
                      {"retry.backoff.ms", "100"},
                  });
  return settings;
}

// librdkafka's own log lines (a refused connection, "1/1 brokers are down"),
// on stderr only when the operator asks for them with DIMONA_KAFKA_LOG=1: a
// failed command says what failed in its one line (the error librdkafka
// returned), not after three lines of the client's retries, and a server's
// relay says its own retries. Asked for: errors and warnings, but for the one
// every client meets on an old broker or the mock cluster (AUTOCREATE:
// allow.auto.create.topics is not understood there; the ledger looks a topic
// up in the full metadata and creates it on purpose, docs/kafka.md).
static bool client_log_asked() {
  static const bool asked = [] {
    const char* value = std::getenv("DIMONA_KAFKA_LOG");
    return value != nullptr && std::string_view(value) == "1";
  }();
  return asked;
}

static void log_line(const rd_kafka_t*, int level, const char* facility, const char* message) {
  if (level > 4 || std::string_view(facility) == "AUTOCREATE") return;
  std::fprintf(stderr, "dimona-ledger: kafka: %s: %s\n", facility, message);
}

void HandleDeleter::operator()(rd_kafka_t* handle) const {
  if (rd_kafka_type(handle) == RD_KAFKA_CONSUMER) {
    if (!rd_kafka_consumer_closed(handle)) (void)rd_kafka_consumer_close(handle);
    std::this_thread::sleep_for(std::chrono::milliseconds(limits::kafka_consumer_close_settle_ms));
  }
  rd_kafka_destroy(handle);
}

void know_topic(rd_kafka_t* handle, const std::string& topic) {
  if (rd_kafka_topic_t* named = rd_kafka_topic_new(handle, topic.c_str(), nullptr)) rd_kafka_topic_destroy(named);
}

Result<KafkaHandle> new_handle(rd_kafka_type_t type, const Settings& settings,
                               void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*),
                               void* opaque, RebalanceCallback on_rebalance) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      std::string message = "librdkafka refuses ";
      message.append(name).append("=").append(value).append(": ").append(error);
      return internal_error(std::move(message));
    }
  }
  if (client_log_asked()) {
    rd_kafka_conf_set_log_cb(conf, log_line);
  } else {
    rd_kafka_conf_set_log_cb(conf, nullptr);  // none: librdkafka's default prints to stderr
  }
  if (on_delivery != nullptr) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  if (on_rebalance != nullptr) rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  if (opaque != nullptr) rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_t* handle = rd_kafka_new(type, conf, error, sizeof error);  // owns conf on success
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return unavailable(std::string("cannot create a Kafka client: ") + error);
  }
  return KafkaHandle(handle);
}

Result<KafkaHandle> new_consumer(std::string_view bootstrap, const char* group_id, const Settings& extra,
                                 RebalanceCallback on_rebalance, void* opaque) {
  Settings settings = common_settings(bootstrap);
  settings.insert(settings.end(), {
      {"group.id", group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // An offset out of range (before the log start, past its end) is an error, never a
      // silent jump: the log is the ledger. seek() clamps past-the-end to the end.
      {"auto.offset.reset", "error"},
      // Nothing here writes transactions (exactly once comes from source positions and
      // checkpointed offsets), and the mock cluster implements none.
      {"isolation.level", "read_uncommitted"},
      {"enable.partition.eof", "false"},
      {"check.crcs", "true"},
      {"fetch.wait.max.ms", std::to_string(limits::kafka_tail_fetch_wait_ms)},
      {"fetch.min.bytes", "1"},
      {"max.partition.fetch.bytes", std::to_string(limits::kafka_fetch_partition_bytes_max)},
      {"fetch.max.bytes", std::to_string(limits::kafka_fetch_bytes_max)},
  });
  settings.insert(settings.end(), extra.begin(), extra.end());
  Result<KafkaHandle> handle = new_handle(RD_KAFKA_CONSUMER, settings, nullptr, opaque, on_rebalance);
  if (handle.is_ok()) rd_kafka_poll_set_consumer(handle->get());
  return handle;
}


Result<Watermarks> watermarks(rd_kafka_t* handle, const std::string& topic, uint32_t partition) {
  int64_t low = 0;
  int64_t high = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      handle, topic.c_str(), static_cast<int32_t>(partition), &low, &high, limits::kafka_request_timeout_ms);
  if (err) return unavailable(kafka_error("cannot read partition " + std::to_string(partition) + "'s offsets", err));
  return Watermarks{static_cast<Offset>(low), static_cast<Offset>(high)};
}


// The topic's partition count, kNotFound when the cluster has no such topic.
// Asks for every topic's metadata: a request naming the topic would have an
// old broker (or the mock) auto-create it with its default partition count.
Result<uint32_t> topic_partitions(rd_kafka_t* handle, const std::string& topic) {
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(handle, 1, nullptr, &metadata, limits::kafka_request_timeout_ms);
  if (err) return unavailable(kafka_error("cannot read the cluster's metadata", err));
  std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> owned(metadata, rd_kafka_metadata_destroy);
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& found = metadata->topics[i];
    if (topic != found.topic) continue;
    if (found.err) return not_found(kafka_error("topic " + topic, found.err));
    if (found.partition_cnt <= 0) return not_found("topic " + topic + " has no partitions yet");
    return static_cast<uint32_t>(found.partition_cnt);
  }
  return not_found("topic " + topic + " does not exist");
}

Status create_topic(rd_kafka_t* handle, const std::string& topic, uint32_t partitions, int16_t replication_factor,
                    const Settings& config) {
  char error[512];
  rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), static_cast<int>(partitions),
                                                         replication_factor, error, sizeof error);
  if (new_topic == nullptr) return invalid_argument(std::string("cannot describe topic ") + topic + ": " + error);
  for (const auto& [name, value] : config) {
    if (rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(new_topic, name.c_str(), value.c_str()); err) {
      rd_kafka_NewTopic_destroy(new_topic);
      return invalid_argument(kafka_error("topic setting " + name + "=" + value, err));
    }
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle);
  rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  (void)rd_kafka_AdminOptions_set_request_timeout(admin, limits::kafka_request_timeout_ms, error, sizeof error);
  (void)rd_kafka_AdminOptions_set_operation_timeout(admin, limits::kafka_request_timeout_ms, error, sizeof error);
  rd_kafka_CreateTopics(handle, &new_topic, 1, admin, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 2 * limits::kafka_request_timeout_ms);
  Status status;
  if (event == nullptr) {
    status = unavailable("CreateTopics for " + topic + " got no answer");
  } else if (rd_kafka_event_error(event)) {
    status = failed_precondition("topic " + topic + " does not exist and CreateTopics failed (" +
                                 rd_kafka_event_error_string(event) + "); create it with " +
                                 std::to_string(partitions) + " partitions");
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    rd_kafka_resp_err_t err = count == 1 ? rd_kafka_topic_result_error(results[0]) : RD_KAFKA_RESP_ERR__FAIL;
    if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      status = failed_precondition(kafka_error("topic " + topic + " does not exist and CreateTopics failed", err));
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
  return status;
}

Result<uint32_t> await_topic(rd_kafka_t* handle, const std::string& topic) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits::kafka_request_timeout_ms);
  Result<uint32_t> partitions = not_found("topic " + topic + " does not exist");
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    partitions = topic_partitions(handle, topic);
  } while (!partitions.is_ok() && std::chrono::steady_clock::now() < deadline);
  return partitions;
}

}  // namespace dimona::kafka_client
