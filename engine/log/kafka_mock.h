// librdkafka's mock cluster, for tests and local trials.
//
// Contract. start() runs an in-process Kafka cluster of `brokers` mock
// brokers listening on 127.0.0.1 (ephemeral ports) until the object is
// destroyed; bootstrap() is its "HOST:PORT,..." address for kafka:// URIs.
// What the mock does not do (librdkafka's src/rdkafka_mock*.c): it keeps
// about 5 MiB per partition, implements no transaction semantics, answers
// ListOffsets by timestamp with -1 (no offsetsForTimes), and (in librdkafka
// 2.0.2) has no CreateTopics: create_topic() creates a topic through the
// mock's own API. Errors: kUnavailable when the cluster cannot start.
// Threading: the mock runs its own thread; the object is used by one thread.
// Implemented in kafka_log.cc, the one file that includes librdkafka.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace dimona {

class KafkaMockCluster {
 public:
  static Result<std::unique_ptr<KafkaMockCluster>> start(int brokers);
  ~KafkaMockCluster();
  KafkaMockCluster(const KafkaMockCluster&) = delete;
  KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

  const std::string& bootstrap() const;
  Status create_topic(std::string_view topic, uint32_t partitions, int replication_factor);
  // The next `count` Produce requests (to any broker) fail with a retriable
  // NOT_ENOUGH_REPLICAS, as when an in-sync replica is lost for a moment.
  void fail_next_produce_requests(size_t count);
  // Every broker disconnects its clients and refuses new connections (down), or serves again.
  void set_all_brokers_down(bool down);

  struct State;

 private:
  explicit KafkaMockCluster(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The partition librdkafka's own murmur2_random partitioner gives a non-empty
// key: the test of partition_for_key()'s compatibility (log.h).
uint32_t librdkafka_partition_for_key(std::string_view key, uint32_t partitions);

}  // namespace dimona
