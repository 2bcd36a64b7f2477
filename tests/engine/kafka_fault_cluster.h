// FaultCluster: librdkafka's mock cluster with the fault knobs of
// rdkafka_mock.h (librdkafka 2.0.2) that KafkaMockCluster (engine/log/
// kafka_mock.h) does not offer: one broker down or up, a partition's leader
// moved, Produce errors pushed, a broker's round-trip time. For the fault
// tests only (tests/engine/kafka_fault_test.cc, ingest_simulation_test.cc).
//
// Contract. The constructor starts `brokers` mock brokers on 127.0.0.1
// (ephemeral ports; brokers are numbered from 1) and fails the test (fatal
// assertion) when the cluster cannot start; the destructor stops them. The
// mock keeps about 5 MiB per partition: keep the data small. A broker set
// down disconnects its clients and refuses new connections; the mock moves
// no leadership by itself. Threading: the knobs may be called from any
// thread (the mock serialises them on its own thread).
//
// Why here and not in KafkaMockCluster: the mock's adapter lives in
// engine/log/kafka_log.cc, which another change is editing; the knobs move
// there (additively) once it is free, and this header goes.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>
#include <vector>

#include "engine/base/assert.h"

namespace dimona::testing {

class FaultCluster {
 public:
  explicit FaultCluster(int brokers) : brokers_(brokers) {
    char error[256] = {};
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    DIMONA_ASSERT(rd_kafka_conf_set(conf, "client.id", "dimona-ledger.fault-mock", error, sizeof error) ==
                  RD_KAFKA_CONF_OK);
    DIMONA_ASSERT(rd_kafka_conf_set(conf, "log_level", "2", error, sizeof error) == RD_KAFKA_CONF_OK);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    DIMONA_ASSERT(handle_ != nullptr);
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    DIMONA_ASSERT(cluster_ != nullptr);
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~FaultCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }
  FaultCluster(const FaultCluster&) = delete;
  FaultCluster& operator=(const FaultCluster&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }
  std::string uri(const std::string& topic) const { return "kafka://" + bootstrap_ + "/" + topic; }

  void create_topic(const std::string& topic, int partitions, int replication_factor) {
    DIMONA_ASSERT(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication_factor) ==
                  RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void set_leader(const std::string& topic, int partition, int broker) {
    DIMONA_ASSERT(rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker) ==
                  RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void set_down(int broker, bool down) {
    DIMONA_ASSERT((down ? rd_kafka_mock_broker_set_down(cluster_, broker)
                        : rd_kafka_mock_broker_set_up(cluster_, broker)) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void set_all_down(bool down) {
    for (int broker = 1; broker <= brokers_; ++broker) set_down(broker, down);
  }
  // The next `count` Produce requests (to any broker) fail with `error`.
  void fail_produce_requests(size_t count, rd_kafka_resp_err_t error) {
    std::vector<rd_kafka_resp_err_t> errors(count, error);
    constexpr int16_t kProduceApiKey = 0;  // the Kafka protocol's
    rd_kafka_mock_push_request_errors_array(cluster_, kProduceApiKey, errors.size(), errors.data());
  }
  // The next `count` Produce requests to `broker` fail with `error` (they take precedence over the above).
  void fail_produce_requests_on(int broker, size_t count, rd_kafka_resp_err_t error) {
    constexpr int16_t kProduceApiKey = 0;
    for (size_t i = 0; i < count; ++i) {
      DIMONA_ASSERT(rd_kafka_mock_broker_push_request_error_rtts(cluster_, broker, kProduceApiKey, 1, error, 0) ==
                    RD_KAFKA_RESP_ERR_NO_ERROR);
    }
  }
  // How many of those errors `broker` has still to answer (0: all were served to a Produce request).
  size_t produce_errors_left(int broker) {
    constexpr int16_t kProduceApiKey = 0;
    size_t count = 0;
    DIMONA_ASSERT(rd_kafka_mock_broker_error_stack_cnt(cluster_, broker, kProduceApiKey, &count) ==
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    return count;
  }
  void set_rtt(int broker, int milliseconds) {
    DIMONA_ASSERT(rd_kafka_mock_broker_set_rtt(cluster_, broker, milliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  int brokers_;
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace dimona::testing
