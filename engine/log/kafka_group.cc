// Group membership on Kafka (group.h): a librdkafka KafkaConsumer in the
// group, subscribed to the log's topic, eager (roundrobin). It never reads
// records for its caller: each partition it is given is assigned at its end
// and paused at once, and whatever poll still returns is dropped. The
// rebalance callback, which librdkafka runs inside rd_kafka_consumer_poll()
// or rd_kafka_consumer_close() on the caller's thread, calls on_revoked
// before rd_kafka_assign(NULL) and on_assigned after rd_kafka_assign(list).
#include <algorithm>
#include <cstring>
#include <string_view>

#include "engine/base/limits.h"
#include "engine/log/kafka_client.h"
#include "engine/log/log_internal.h"

namespace dimona::log_internal {
namespace {

using namespace kafka_client;  // NOLINT(google-build-using-namespace)

class KafkaGroupMember final : public GroupMember {
 public:
  KafkaGroupMember(std::string topic, std::string group, GroupCallbacks callbacks)
      : topic_(std::move(topic)), group_(std::move(group)), callbacks_(std::move(callbacks)) {}
  ~KafkaGroupMember() override { (void)leave(); }

  // Once: the handle whose rebalance callback has this member as its opaque.
  Status start(KafkaHandle handle) {
    handle_ = std::move(handle);
    PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topic_.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(handle_.get(), topics.get()); err) {
      return unavailable(kafka_error("cannot join group " + group_ + " on topic " + topic_, err));
    }
    return Status::ok();
  }

  Result<bool> poll(std::chrono::milliseconds timeout) override {
    if (left_) return failed_precondition("the member has left group " + group_);
    changed_ = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      Message message(rd_kafka_consumer_poll(handle_.get(), static_cast<int>(std::max<int64_t>(left.count(), 0))));
      // A record fetched before its partition was paused is not this member's business.
      // Errors other than fatal ones (a lost connection, a missed poll interval) are
      // librdkafka's to recover from: it reconnects and rejoins, through the callbacks.
      if (message && message->err) {
        char reason[512];
        if (rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(handle_.get(), reason, sizeof reason); fatal) {
          return unavailable("member of group " + group_ + " hit a fatal error: " + reason);
        }
      }
      if (!callback_status_.is_ok()) return std::exchange(callback_status_, Status::ok());
    } while (std::chrono::steady_clock::now() < deadline);
    return changed_;
  }

  std::vector<uint32_t> assignment() const override { return held_; }
  uint64_t generation() const override { return generation_; }

  Status leave() override {
    if (left_ || !handle_) return Status::ok();
    left_ = true;
    // Runs the revoke callback (on this thread), then LeaveGroup: the others rebalance at once.
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(handle_.get());
    if (!held_.empty() || active_) give_up();  // closed without the callback (the coordinator gone)
    handle_.reset();
    if (err) return unavailable(kafka_error("member of group " + group_ + " left uncleanly", err));
    return callback_status_;
  }

  static void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                           void* opaque) {
    auto* self = static_cast<KafkaGroupMember*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->take_share(handle, partitions);
    } else {  // __REVOKE_PARTITIONS, or an error: librdkafka says give everything up
      self->give_up();
      if (rd_kafka_resp_err_t unassigned = rd_kafka_assign(handle, nullptr); unassigned) {
        self->fail(kafka_error("cannot give up the partitions of group " + self->group_, unassigned));
      }
    }
  }

 private:
  void give_up() {
    std::vector<uint32_t> held = std::move(held_);
    held_.clear();
    active_ = false;
    changed_ = true;
    if (callbacks_.on_revoked) callbacks_.on_revoked(held);
  }

  // Assigns the partitions at their end and pauses them: membership only, no records.
  void take_share(rd_kafka_t* handle, rd_kafka_topic_partition_list_t* partitions) {
    std::vector<uint32_t> share;
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& partition = partitions->elems[i];
      partition.offset = RD_KAFKA_OFFSET_END;
      if (topic_ == partition.topic) share.push_back(static_cast<uint32_t>(partition.partition));
    }
    std::sort(share.begin(), share.end());
    if (rd_kafka_resp_err_t err = rd_kafka_assign(handle, partitions); err) {
      fail(kafka_error("cannot take the partitions of group " + group_, err));
      return;
    }
    (void)rd_kafka_pause_partitions(handle, partitions);  // per-partition errors: nothing to fetch anyway
    held_ = std::move(share);
    active_ = true;
    changed_ = true;
    generation_ = std::max(generation_ + 1, group_generation(handle));
    if (callbacks_.on_assigned) callbacks_.on_assigned(held_);
  }

  // The group's generation id, from the consumer group metadata librdkafka
  // serialises for transactions ("CGMDv2:" then the int32 generation id, in
  // host order: rdkafka_cgrp.c); 0 when it cannot be read.
  static uint64_t group_generation(rd_kafka_t* handle) {
    constexpr std::string_view kMagic("CGMDv2:", 7);
    rd_kafka_consumer_group_metadata_t* metadata = rd_kafka_consumer_group_metadata(handle);
    if (metadata == nullptr) return 0;
    void* buffer = nullptr;
    size_t size = 0;
    rd_kafka_error_t* error = rd_kafka_consumer_group_metadata_write(metadata, &buffer, &size);
    rd_kafka_consumer_group_metadata_destroy(metadata);
    if (error != nullptr) {
      rd_kafka_error_destroy(error);
      return 0;
    }
    int32_t generation = 0;
    std::string_view bytes(static_cast<const char*>(buffer), size);
    if (bytes.size() >= kMagic.size() + sizeof generation && bytes.starts_with(kMagic)) {
      std::memcpy(&generation, bytes.data() + kMagic.size(), sizeof generation);
    }
    rd_kafka_mem_free(handle, buffer);
    return generation > 0 ? static_cast<uint64_t>(generation) : 0;
  }

  void fail(std::string message) {
    if (callback_status_.is_ok()) callback_status_ = unavailable(std::move(message));
  }

  std::string topic_;
  std::string group_;
  GroupCallbacks callbacks_;
  KafkaHandle handle_;
  std::vector<uint32_t> held_;  // ascending
  bool active_ = false;         // took an assignment and has not given it up
  bool changed_ = false;        // during the current poll
  bool left_ = false;
  uint64_t generation_ = 0;  // the group's, when librdkafka tells it; grows with each assignment anyway
  Status callback_status_;   // an error inside a callback, returned by the next poll
};

}  // namespace

Result<std::unique_ptr<GroupMember>> join_kafka_group(const std::string& bootstrap, const std::string& topic,
                                                      const GroupOptions& options, GroupCallbacks callbacks) {
  DIMONA_TRY(validate_group_options(options));
  auto member = std::make_unique<KafkaGroupMember>(topic, options.group, std::move(callbacks));
  Settings settings = {
      {"client.id", options.member_name},
      {"partition.assignment.strategy", "roundrobin"},  // eager: everything revoked, then dealt
      {"session.timeout.ms", std::to_string(options.session_timeout_ms)},
      {"heartbeat.interval.ms",
       std::to_string(std::max(1, options.session_timeout_ms / limits::group_heartbeats_per_session))},
      {"max.poll.interval.ms", std::to_string(options.rebalance_timeout_ms)},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
  };
  Result<KafkaHandle> handle =
      new_consumer(bootstrap, options.group.c_str(), settings, &KafkaGroupMember::on_rebalance, member.get());
  DIMONA_TRY(handle);
  // The coordinator's cluster answers, and the topic is there.
  DIMONA_TRY(topic_partitions(handle->get(), topic));
  DIMONA_TRY(member->start(std::move(handle).value()));
  return std::unique_ptr<GroupMember>(std::move(member));
}

}  // namespace dimona::log_internal
