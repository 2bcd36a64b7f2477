// Kafka client plumbing the Kafka backends of engine/log share (the log,
// the input topic, group membership, keyed tables): librdkafka handles as
// owning pointers, the settings every handle gets, the consumer settings of
// a reader on manual assignment, the poll loop, watermarks, topic metadata
// and creation.
//
// Contract. Internal to engine/log (not included outside it: the one place
// librdkafka's header is seen, with the .cc files of the Kafka backends),
// but for bench/kafka_bench.cc, whose bare librdkafka baselines take the
// log's settings and headers from here.
// Errors as values: kUnavailable when a broker cannot answer within
// limits::kafka_request_timeout_ms, kNotFound for a missing topic,
// kFailedPrecondition when a topic cannot be created, kInternal when
// librdkafka refuses a setting. Every function may be called from any
// thread; a handle is used as librdkafka allows (its own thread rules).
#pragma once

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/log/log.h"

namespace dimona::kafka_client {

// A consumer is closed, then left limits::kafka_consumer_close_settle_ms
// before rd_kafka_destroy: librdkafka 2.0.2 (Debian 12) can drop a broker's
// last reference off its own thread when the group coordinator's
// disconnect, which the close sends, races the destroy (assertion
// "thrd_is_current(rkb->rkb_thread)" in rd_kafka_broker_destroy_final,
// librdkafka #3608, fixed in 2.10.0 by #4557). A producer is destroyed at once.
struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
// Asks for `topic`'s metadata now. librdkafka 2.0.2 asks only when rd_kafka_topic_new names a
// topic: a consumer handed its partitions by rd_kafka_assign alone, or a producer by produceva,
// whose connection came up first fetches or sends nothing until its 1 s timer
// (rd_kafka_topic_scan_all) asks (the producer's side fixed in 2.10.1, #5032). Seen as
// one-second stalls of fresh consumers (docs/benchmarks.md, Kafka).
void know_topic(rd_kafka_t* handle, const std::string& topic);
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

using Settings = std::vector<std::pair<std::string, std::string>>;

// "WHAT: librdkafka's text for err".
std::string kafka_error(std::string_view what, rd_kafka_resp_err_t err);

// Settings shared by every handle: bootstrap.servers, client.id, no topic
// auto-creation, socket timeout.
Settings common_settings(std::string_view bootstrap);

// The settings of the log's producers (kafka_log.cc): common_settings, then
// idempotence, acks=all, LZ4, the linger, batch and queue limits of limits.h,
// and `delivery_timeout_ms`.
Settings log_producer_settings(std::string_view bootstrap, int delivery_timeout_ms);

// Record headers the log writes and requires (text, for clients no one here wrote).
inline constexpr const char* kHeaderEventId = "dimona.eventId";
inline constexpr const char* kHeaderEventType = "dimona.eventType";
inline constexpr const char* kHeaderSchemaVersion = "dimona.schemaVersion";
inline constexpr const char* kHeaderRecordedAt = "dimona.recordedAt";  // microseconds since the epoch
inline constexpr const char* kHeaderSource = "dimona.source";          // the source position, when there is one
inline constexpr const char* kHeaderEpoch = "dimona.epoch";            // the producer's fence offset, when it fenced (log.h)

// The rd_kafka_produceva arguments of one log record to `topic`/`partition`
// (the log's own and a bare producer's alike): topic, partition, copy, key,
// value, timestamp (recordedAt in ms) and its dimona.* headers, newly made
// (returned: librdkafka owns them once a produce succeeds; else
// rd_kafka_headers_destroy). `topic` and `record` must outlive the produce call.
inline constexpr size_t kRecordValues = 7;
// `epoch`: the producer's fence offset (a dimona.epoch header), kNoEpoch for none.
rd_kafka_headers_t* record_values(const std::string& topic, uint32_t partition, const LogRecordDraft& record,
                                  std::span<rd_kafka_vu_t, kRecordValues> values, Offset epoch = kNoEpoch);

// librdkafka's rebalance callback (a group member's, kafka_group.cc).
using RebalanceCallback = void (*)(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*, void*);

// A handle of `type` with `settings` (every one checked), librdkafka's log
// lines on stderr (kafka_client.cc log_line), and optional delivery report
// and rebalance callbacks (both get `opaque`).
Result<KafkaHandle> new_handle(rd_kafka_type_t type, const Settings& settings,
                               void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr,
                               void* opaque = nullptr, RebalanceCallback on_rebalance = nullptr);

// A consumer on manual assignment: `group_id` is required by librdkafka and
// never joined; no commits, no auto offset store, auto.offset.reset=error,
// read_uncommitted, CRCs checked, the fetch limits of limits.h. `extra`
// settings are added last (they override). A group member (kafka_group.cc)
// passes its rebalance callback and joins `group_id` by subscribing.
Result<KafkaHandle> new_consumer(std::string_view bootstrap, const char* group_id = "dimona-ledger.log-reader",
                                 const Settings& extra = {}, RebalanceCallback on_rebalance = nullptr,
                                 void* opaque = nullptr);

// Consumer errors librdkafka recovers from by itself (it reconnects and refetches).
inline bool is_transient(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__PARTITION_EOF || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
         err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
}

// The poll loop both consumers share: waits up to `timeout` for the first
// message, then takes what is already there without waiting, up to
// `max_records`; transient errors are retried, others are kUnavailable
// ("cannot read WHAT"). `take` sees each message and answers whether it
// counted (false: a stale fetch or a record skipped), or an error. Messages
// already fetched are taken from the consumer's queue in batches of up to
// limits::kafka_consume_batch_messages (rd_kafka_consume_batch_queue, one
// lock of the queue a batch instead of one a message); only an empty queue
// waits, for one message (rd_kafka_consumer_poll), so a poll returns as soon
// as anything is there, as before.
template <typename Take>
Result<size_t> poll_messages(rd_kafka_t* handle, std::chrono::milliseconds timeout, size_t max_records,
                             const std::string& what, Take&& take) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const QueueHandle queue(rd_kafka_queue_get_consumer(handle));
  DIMONA_ASSERT(queue != nullptr);  // a consumer's handle always has its queue
  std::array<rd_kafka_message_t*, limits::kafka_consume_batch_messages> fetched{};
  size_t taken = 0;
  // One message: false to go on, true when `take` counted it; an error stops the poll.
  auto one = [&](rd_kafka_message_t& message) -> Result<bool> {
    if (message.err) {
      if (is_transient(message.err)) return false;
      return unavailable(kafka_error("cannot read " + what, message.err));
    }
    return take(message);
  };
  while (taken < max_records) {
    const size_t room = std::min(max_records - taken, fetched.size());
    const ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, fetched.data(), room);
    if (n > 0) {
      std::array<Message, limits::kafka_consume_batch_messages> owned;  // destroyed on any return
      for (ssize_t i = 0; i < n; ++i) owned[static_cast<size_t>(i)].reset(fetched[static_cast<size_t>(i)]);
      for (ssize_t i = 0; i < n; ++i) {
        Result<bool> counted = one(*owned[static_cast<size_t>(i)]);
        DIMONA_TRY(counted);
        if (*counted) ++taken;
      }
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (taken > 0 || left.count() <= 0) break;
    Message message(rd_kafka_consumer_poll(handle, static_cast<int>(left.count())));
    if (!message) continue;
    Result<bool> counted = one(*message);
    DIMONA_TRY(counted);
    if (*counted) ++taken;
  }
  return taken;
}

struct Watermarks {
  Offset low = 0;
  Offset high = 0;
};

// A partition's low and high watermarks, asked of its leader.
Result<Watermarks> watermarks(rd_kafka_t* handle, const std::string& topic, uint32_t partition);

// The topic's partition count; kNotFound when the cluster has no such topic.
Result<uint32_t> topic_partitions(rd_kafka_t* handle, const std::string& topic);

// CreateTopics with `partitions`, `replication_factor` and topic `config`
// (e.g. cleanup.policy=compact); an existing topic is no error.
Status create_topic(rd_kafka_t* handle, const std::string& topic, uint32_t partitions, int16_t replication_factor,
                    const Settings& config = {});

// The partition count of a topic just created, once the metadata shows it
// (a created topic reaches every broker's metadata after a moment); waits up
// to limits::kafka_request_timeout_ms.
Result<uint32_t> await_topic(rd_kafka_t* handle, const std::string& topic);

}  // namespace dimona::kafka_client
