// InputTopic: a Kafka topic of records no one here wrote, read raw (issue 11,
// item 5, "Input from a topic"; docs/kafka.md "Input topic").
//
// Contract. Payroll systems produce declarations and actions (one JSON
// object per record value, the same text as one line of an NDJSON batch
// file) to a topic; an InputTopic reads them. Unlike LogConsumer it requires
// no header: key and headers are ignored, the value is taken as it is. It is
// assigned partitions by hand (no consumer group, no committed offsets:
// enable.auto.commit=false; the reader's positions live in the ledger's own
// events, source_position.h), each from a given offset, and polled with a
// timeout; records come in offset order within a partition, partitions
// interleaved. A value longer than limits::input_record_bytes_max is not
// copied: the record comes back with value empty and too_large set (the
// caller reports and skips it). range() asks the broker for a
// partition's first offset still held and its end (the high watermark: the
// offset the next produced record gets). position() is where the next poll
// reads a partition from (past control records a transactional producer
// wrote, which poll() never returns).
//
// Errors, as values: kInvalidArgument (a bad URI, a partition out of range,
// an offset before the partition's first still held: records deleted by
// retention before they were read), kNotFound (no such topic; an InputTopic
// never creates one), kUnavailable (a broker cannot be reached within
// limits::kafka_request_timeout_ms, a fetch error). Threading: one thread at
// a time. Implemented over librdkafka in kafka_log.cc (the one file that
// includes it); a test may implement the interface in memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/log/log.h"

namespace dimona {

struct InputRecord {
  uint32_t partition = 0;
  Offset offset = 0;
  int64_t timestamp_ms = 0;  // the record's timestamp (CreateTime or LogAppendTime); -1 when none
  std::string value;         // empty when too_large
  bool too_large = false;    // longer than limits::input_record_bytes_max
};

struct PartitionRange {
  Offset first = 0;  // the first offset still held (the low watermark)
  Offset end = 0;    // the high watermark
};

class InputTopic {
 public:
  virtual ~InputTopic() = default;
  virtual const std::string& topic() const = 0;
  virtual uint32_t partitions() const = 0;
  // Replaces the assignment: each partition of `from` is read from its offset.
  virtual Status assign(const std::map<uint32_t, Offset>& from) = 0;
  // Appends up to max_records records to out, waiting up to timeout for the
  // first; returns how many (0: none came in time).
  virtual Result<size_t> poll(std::vector<InputRecord>& out, std::chrono::milliseconds timeout,
                              size_t max_records) = 0;
  virtual Result<PartitionRange> range(uint32_t partition) = 0;
  // The offset the next poll() reads an assigned partition from.
  virtual Result<Offset> position(uint32_t partition) = 0;
};

// kafka://HOST:PORT/TOPIC, as open_log() takes it (no credentials in the URI).
struct KafkaAddress {
  std::string bootstrap;
  std::string topic;
};
Result<KafkaAddress> parse_kafka_uri(std::string_view uri);
// A bootstrap's brokers, HOST:PORT each, split at its commas (parse_kafka_uri checked each).
std::vector<std::string_view> kafka_brokers(std::string_view bootstrap);

// Opens the input topic at `uri` (kafka://HOST:PORT/TOPIC); kNotFound when the topic does not exist.
Result<std::unique_ptr<InputTopic>> open_input_topic(std::string_view uri);

}  // namespace dimona
