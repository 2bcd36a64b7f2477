// InputFeeder: `serve --input kafka://HOST:PORT/TOPIC` — a thread that reads
// an input topic (engine/log/input_topic.h) into the LedgerService, beside
// the REST API (docs/kafka.md "Input topic").
//
// Contract. start() asks the writer where each input partition's source
// ("topic:TOPIC/P") got to (the largest group start among its stored events,
// as `ingest kafka://…` does; the two share their positions and may take
// turns on one topic), assigns every partition of the topic from there, and
// starts the thread. Each record is handed to submit_from() with its source
// position: at = offset + 1, resume = the lowest offset of its input
// partition not yet answered as stored (in flight or failed), so a stored
// event proves every record of its partition below its resume is stored, and
// a restart, even after SIGKILL, stores every record exactly once (the
// writer skips what a log partition holds). At most
// limits::input_in_flight_max records wait for their answers. A record
// refused as input (malformed, over limits::input_record_bytes_max) is said
// on stderr with its partition and offset (no body, no SSIN) and skipped, as
// is, with --group, a record whose event belongs to a partition another
// member holds (kFailedPrecondition: its producer did not key it by the
// worker's SSIN; counted as misrouted); a
// record answered kUnavailable (the log failed, the queue was full) makes the
// feeder wait for those in flight, then read again from the first such
// offset per partition after limits::input_retry_backoff_ms. stop() stops
// reading, waits for the answers in flight and joins the thread (before the
// service stops). A read error of the topic is said on stderr and retried
// after the same backoff. Counters are for the summary serve prints.
// Threading: start()/stop()/counts() from one thread; the rest is internal.
#pragma once

#include <atomic>
#include <memory>

#include <cstdint>
#include <memory>
#include <vector>

#include "api/service.h"
#include "engine/base/status.h"
#include "engine/log/input_topic.h"

namespace dimona::api {

struct InputCounts {
  uint64_t records = 0;         // read from the topic, retries included
  uint64_t stored = 0;          // decided and stored (refused declarations included)
  uint64_t already_stored = 0;  // redeliveries the log held
  uint64_t malformed = 0;       // refused as input, skipped
  uint64_t retried = 0;         // answered unavailable, read again
  uint64_t misrouted = 0;       // serve --group: its event belongs to another member's partition, skipped
};

// The counts of a process's input feeders as they go, summed over the
// feeders it ran (serve --group starts one per share): /metrics reads them
// while the feeders count. Thread-safe.
class InputTally {
 public:
  InputCounts snapshot() const {
    return InputCounts{records.load(), stored.load(), already_stored.load(),
                       malformed.load(), retried.load(), misrouted.load()};
  }
  std::atomic<uint64_t> records{0}, stored{0}, already_stored{0}, malformed{0}, retried{0}, misrouted{0};
};

class InputFeeder {
 public:
  // `held`: the input partitions to read (a consumer group's share, the same
  // numbers as the log's: producers key records by SSIN); empty: all.
  // `tally`: where the counts go (shared with /metrics and later feeders); null: a tally of its own.
  static Result<std::unique_ptr<InputFeeder>> start(LedgerService& service, std::unique_ptr<InputTopic> input,
                                                    std::vector<uint32_t> held = {},
                                                    std::shared_ptr<InputTally> tally = nullptr);
  ~InputFeeder();
  InputFeeder(const InputFeeder&) = delete;
  InputFeeder& operator=(const InputFeeder&) = delete;
  void stop();
  InputCounts counts() const;  // its tally's
  const std::string& topic() const;

  struct State;  // internal

 private:
  explicit InputFeeder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace dimona::api
