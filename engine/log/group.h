// Group membership: this process's share of a Log's partitions among the
// processes of one consumer group (issue 11, item 6; docs/kafka.md
// "Scale-out").
//
// Contract. Log::join_group() makes this process a member of the group
// `options.group` over the log's partitions. The group assigns each
// partition to exactly one live member; a member joining, leaving or missing
// its session timeout moves partitions (a rebalance). The protocol is eager:
// at a rebalance every member first gives up everything it holds, then gets
// its new share. Callbacks run on the thread that calls poll() (or leave()),
// never elsewhere: on_revoked(partitions) runs BEFORE the member gives them
// up, and the group waits for it (within the rebalance timeout) before any
// other member is given them, so a member that stops writing and checkpoints
// a partition inside on_revoked hands it over cleanly; on_assigned(partitions)
// runs once they are this member's. Both may get an empty list. A member
// that stops calling poll() for longer than the session timeout is dropped by
// the group (its partitions move; it learns it at its next poll(), through
// on_revoked); on Kafka librdkafka heartbeats from its own thread, so there
// the limit is the rebalance timeout (max.poll.interval.ms). Without Kafka
// transactions nothing fences such a zombie's appends: the Ledger's offset
// check (ledger.h) makes its next commit fail.
//
// Backends: memory (an in-process coordinator per memory:NAME and group:
// members of one process, for tests), Kafka (librdkafka's consumer group
// protocol on the log's topic, partition.assignment.strategy=roundrobin,
// client.id = member name). The embedded log lives on one machine in one
// process: join_group() there is kFailedPrecondition with a line saying so.
// Errors as values: kInvalidArgument (an empty group or member name, or one
// over limits::group_name_bytes_max), kUnavailable (the coordinator cannot
// be reached within limits::kafka_request_timeout_ms). Not thread-safe: one
// thread polls a member. The member must be destroyed before its Log;
// destroying it leaves the group (on_revoked is called first).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace dimona {

struct GroupOptions {
  std::string group;        // the consumer group's id
  std::string member_name;  // how operators and other members see this one (client.id on Kafka)
  int session_timeout_ms = 10'000;   // a silent member is dropped after this (session.timeout.ms)
  int rebalance_timeout_ms = 30'000; // how long on_revoked may take (max.poll.interval.ms)
};

struct GroupCallbacks {
  std::function<void(std::span<const uint32_t> partitions)> on_revoked;
  std::function<void(std::span<const uint32_t> partitions)> on_assigned;
};

class GroupMember {
 public:
  virtual ~GroupMember() = default;
  // Serves the group protocol (heartbeats, rebalances, the callbacks) for up
  // to `timeout`; returns true when the assignment changed during it.
  virtual Result<bool> poll(std::chrono::milliseconds timeout) = 0;
  // The partitions this member holds now, ascending.
  virtual std::vector<uint32_t> assignment() const = 0;
  // The group's generation of that assignment (grows with every rebalance).
  virtual uint64_t generation() const = 0;
  // Gives up everything (on_revoked) and leaves: the others rebalance at once.
  virtual Status leave() = 0;
};

}  // namespace dimona
