// EmbeddedLedgerService: the LedgerService (service.h) of `serve` over the
// embedded log — the log, its single writer and the projector in one
// process, with one writer thread. Built by the composition root
// (ledger_root.h); the routes know only the interface.
//
// Contract. As LedgerService's. It owns the WriteSide it is opened with, so
// it holds the data folder's writer lock for its whole life. The writer
// thread starts in open() and is joined by stop() (or the destructor).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "api/ledger_root.h"
#include "api/past_states.h"
#include "api/service.h"

namespace dimona::api {

class EmbeddedLedgerService final : public LedgerService {
 public:
  // Catches a projector up on `write`'s log (from its checkpoint) and starts the writer thread.
  // `projector`: one already opened over that log with `options` (open_ledger_service loads it
  // while the writer folds); null: opened here.
  static Result<std::unique_ptr<EmbeddedLedgerService>> open(WriteSide write, const ProjectorOptions& options,
                                                             std::unique_ptr<Projector> projector = nullptr);
  ~EmbeddedLedgerService() override;

  void submit(std::string body, Check check, Done done) override;
  void submit_from(std::string body, SourcePosition position, std::string source, Done done) override;
  bool with_writer(std::function<void(const Ledger&)> f) override;
  void read_view(const std::function<void(const Projector&)>& f) const override {
    std::shared_lock lock(fold_mutex_);
    f(*projector_);
  }
  Result<std::shared_ptr<const Projector>> state_at(Instant at) const override { return past_->at(at); }
  Result<std::shared_ptr<const Projector>> citizen_state_at(Ssin citizen, Instant at) const override;
  bool wait_for(uint32_t partition, Offset offset, int deadline_ms) const override;
  uint32_t partition_of(Ssin citizen) const override { return partition_for(citizen, log_->partitions()); }
  bool ready() const override;
  std::string log_uri() const override { return log_->uri(); }
  Result<std::vector<PartitionProgress>> progress() const override;
  uint64_t lag() const override;
  uint64_t events_folded() const override { return events_folded_; }
  uint64_t events_handed_over() const override { return events_handed_over_; }
  uint64_t commit_failures() const override { return commit_failures_; }
  uint64_t fold_failures() const override { return fold_failures_; }
  Instant ledger_time() const override { return Instant{ledger_time_micros_.load()}; }
  void stop() override;

 private:
  struct Pending {
    std::string body;
    Check check;
    Done done;
    std::optional<SourcePosition> position;  // submit_from
    std::string source = "http";
    std::function<void(const Ledger&)> on_writer;  // with_writer: no body
  };
  bool enqueue(Pending p);
  explicit EmbeddedLedgerService(WriteSide write);
  void run();
  void process(std::deque<Pending>& group);
  // Decodes, checks, decides and stages one submission.
  Result<WriteOutcome> stage(const Pending& p);
  // The projector folds the events `handed` (a group just committed: each as the log stored it),
  // then catches up with the log unless they were all it lacked (or none given); readers are woken.
  void fold(const std::vector<Projector::Appended>* handed = nullptr);
  bool recover();  // writer thread: folds the state from the log again after a failed reload

  WriterLock lock_;  // first: released last
  std::unique_ptr<Log> log_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<PastStates> past_;  // ?asOf: states at instants, over log_
  mutable std::mutex ends_mutex_;
  std::unique_ptr<LogConsumer> ends_;  // asks the log's ends for progress(), under ends_mutex_
  DeclarationDecoder decoder_;  // writer thread only
  std::string text_;            // writer thread only: a body with the decoder's padding
  mutable std::shared_mutex fold_mutex_;
  mutable std::mutex queue_mutex_;
  std::condition_variable wake_;
  mutable std::condition_variable folded_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool failed_ = false;  // the writer's state is ahead of the log: recover() before deciding
  std::atomic<uint64_t> events_folded_{0};
  std::atomic<uint64_t> events_handed_over_{0};
  std::atomic<uint64_t> lag_{0};
  std::atomic<uint64_t> commit_failures_{0};
  std::atomic<uint64_t> fold_failures_{0};
  std::atomic<int64_t> ledger_time_micros_{0};
  std::thread writer_;
};

}  // namespace dimona::api
