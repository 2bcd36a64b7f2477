// GroupLedgerService: `serve --group NAME` — this process's share of the
// ledger among the `serve` processes of one consumer group (issue 11, item
// 6; docs/kafka.md "Scale-out").
//
// Contract. open() joins the group on the events log (Log::join_group,
// engine/log/group.h) and returns once the group has given this process its
// first share (or limits::group_first_assignment_ms passed: kUnavailable).
// For the partitions it holds, it runs an EmbeddedLedgerService whose
// Projector folds exactly those, from this process's checkpoint and then the
// log's tail, and whose Ledger owns exactly those (their producers) and
// opens over the Projector's states of them (one state, as serve's); with
// `input`, an InputFeeder reads the same partitions of the input topic. A rebalance (eager: on_revoked, then
// on_assigned) stops the feeder, drains the writer (every accepted submission answered and durable), writes a
// checkpoint and releases the producers before the group gives the partitions to anyone else; then the new share is
// opened the same way. So a partition is written by one process at a time and a moved partition resumes from the log:
// nothing is lost or folded twice (the source positions skip what the log holds). Between the two, writes are answered
// kUnavailable and holds() is false everywhere. The owners table (Log::open_table("owners"): "partition/P" ->
// `advertise`) tells every member where a partition is served: owner_of(), from the table as read at most
// limits::group_owners_cache_ms ago (read again at once on a partition it does not name, or that it names as this
// member's); one read at a time, and none for limits::group_owners_retry_ms after one failed: meanwhile it answers
// nullopt (the caller's 503) at once instead of holding a request thread on an unreachable cluster. Every LedgerService
// call goes to the current share under a shared lock. Thread-safe; stop() leaves the group (its partitions move at
// once) and stops the share.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/embedded_service.h"
#include "api/input_feeder.h"
#include "api/ledger_config.h"
#include "engine/log/group.h"
#include "engine/log/keyed_table.h"

namespace dimona::api {

struct GroupServiceOptions {
  std::string group;              // the consumer group's id
  std::string advertise;          // this process's base URL, as the others reach it ("http://127.0.0.1:8081")
  std::string input;              // an input topic (kafka://…), read on the held partitions; empty: none
  unsigned projector_threads = 2;
  std::shared_ptr<InputTally> input_tally;  // the counts of every share's input feeder (/metrics); null: their own
};

class GroupLedgerService final : public LedgerService {
 public:
  static Result<std::unique_ptr<GroupLedgerService>> open(const LedgerConfig& config, const Clock& clock,
                                                          GroupServiceOptions options);
  ~GroupLedgerService() override;

  void submit(std::string body, Check check, Done done) override;
  void submit_from(std::string body, SourcePosition position, std::string source, Done done) override;
  bool with_writer(std::function<void(const Ledger*)> f) override;
  void read_view(const std::function<void(const Projector&)>& f) const override;
  Result<std::shared_ptr<const Projector>> state_at(Instant at) const override;
  Result<std::shared_ptr<const Projector>> citizen_state_at(Ssin citizen, Instant at) const override;
  Result<std::shared_ptr<const Projector>> citizen_state_of(Ssin citizen, const std::vector<Offset>& offsets,
                                                            Instant at) const override;
  bool wait_for(uint32_t partition, Offset offset, int deadline_ms) const override;
  uint32_t partition_of(Ssin citizen) const override;
  bool holds(uint32_t partition) const override;
  std::optional<std::string> owner_of(uint32_t partition) const override;
  bool ready() const override;
  std::string_view writer_status() const override;
  std::string log_uri() const override;
  Result<std::vector<PartitionProgress>> progress() const override;
  uint64_t lag() const override;
  uint64_t events_folded() const override;
  uint64_t events_handed_over() const override;
  uint64_t commit_failures() const override;
  uint64_t fold_failures() const override;
  std::optional<ReaderCacheStats> reader_cache_stats() const override;
  Instant ledger_time() const override;
  void stop() override;

  // The partitions held now, ascending.
  std::vector<uint32_t> held() const;

 private:
  GroupLedgerService(const LedgerConfig& config, const Clock& clock, GroupServiceOptions options);
  void on_revoked();
  void on_assigned(std::vector<uint32_t> partitions);
  void run();  // the membership thread: polls the member until stop()
  // Reads the owners table into owners_cache_; false when it cannot be read. Under owners_mutex_.
  bool read_owners() const;

  const LedgerConfig config_;
  const Clock& clock_;
  const GroupServiceOptions options_;
  std::unique_ptr<Log> log_;              // the membership's and the owners table's
  std::unique_ptr<Projector> idle_;       // answers reads while no share is open (empty states)
  std::unique_ptr<GroupMember> member_;   // membership thread only (after open())
  std::unique_ptr<KeyedTable> owners_;    // membership thread only; null when the log keeps no table
  mutable std::unique_ptr<KeyedTable> owners_reader_;  // owner_of(), under owners_mutex_
  mutable std::map<std::string, std::string> owners_cache_;  // owner_key -> URL, under owners_mutex_
  mutable std::optional<std::chrono::steady_clock::time_point> owners_read_at_;  // under owners_mutex_
  mutable std::optional<std::chrono::steady_clock::time_point> owners_failed_at_;  // under owners_mutex_
  mutable std::mutex owners_mutex_;
  mutable std::shared_mutex share_mutex_;  // guards share_, held_ and idle_writer_
  std::unique_ptr<EmbeddedLedgerService> share_;
  // writer_status() while no share is open: "opening" (joining, or between a revoke and the next
  // assignment), "none" (assigned no partition), "failed" (the share could not open).
  std::string_view idle_writer_ = "opening";
  std::unique_ptr<InputFeeder> feeder_;   // membership thread only
  std::vector<bool> held_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> assigned_once_{false};
  Status failure_;                        // the last share that failed to open (said on stderr)
  std::thread thread_;
};

}  // namespace dimona::api
