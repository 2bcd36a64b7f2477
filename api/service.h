// LedgerService: the live path of `dimona-ledger serve` — the log, its single
// writer and the projector in one process. It holds the data folder's writer
// lock (cli::WriterLock) from open() until it is destroyed: no ingest, submit,
// attest or second serve appends beside it.
//
// Contract. submit() queues one declaration or action (its JSON body) for the
// writer thread, which decides the queued ones in arrival order, appends them
// durably in one commit (group commit), folds them into the projector, and
// only then calls each `done` with the outcome: the event as logged, its
// partition and offset. So a read issued after a POST's response sees it
// (read-your-writes). A full queue (http_limits::write_queue_max) answers
// kUnavailable at once. read(f) runs f on the projector under a shared lock
// (many readers, the fold excluded); wait_for() blocks a reader until a
// partition has folded past an offset, or a deadline. stop() drains the
// queue, writes a checkpoint and joins the writer; after it submit() answers
// kUnavailable. A failed commit (a full disk) answers exactly what happened:
// each submission of the group the log holds gets its outcome, the others
// kUnavailable "not stored"; the writer then folds its state from the log
// again and the next submission is decided against it, so writes resume
// when the storage does, without a restart. A fold of the read models that
// fails after a durable commit still answers the outcome (the write is
// stored) and is retried at the next group. Both are counted
// (commit_failures(), fold_failures()) and said on stderr, without SSINs.
// When the state cannot be folded from the log again (the disk still
// failing), submissions are answered kUnavailable and each new group tries
// the fold again; ready() is false meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "api/cli_support.h"
#include "api/commands.h"
#include "engine/base/status.h"
#include "engine/codec.h"
#include "engine/embedded_log.h"
#include "engine/ledger.h"
#include "projections/projector.h"

namespace dimona::api {

struct WriteOutcome {
  std::string event_json;  // the event as logged (one line, no '\n')
  bool is_action = false;
  uint64_t id = 0;         // declaration id or action id
  Submission declaration;  // when !is_action
  ActionSubmission action; // when is_action
  uint32_t partition = 0;
  Offset offset = 0;       // the event's offset in its partition
};

class LedgerService {
 public:
  static Result<std::unique_ptr<LedgerService>> open(const cli::CommonOptions& common, const Clock& clock,
                                                     unsigned projector_threads);
  ~LedgerService();

  using Done = std::function<void(Result<WriteOutcome>)>;
  // `body` is the JSON as received; `check` may refuse the decoded command
  // (authorization) before anything is decided, seeing the writer's state
  // (whose period an UPDATE addresses): its non-ok Status is returned.
  using Check = std::function<Status(const Command&, const LedgerState&)>;
  void submit(std::string body, Check check, Done done);

  template <typename F>
  auto read(F&& f) const {
    std::shared_lock lock(fold_mutex_);
    return f(*projector_);
  }
  // True when `partition` has folded every offset below `offset` before `deadline_ms` passes.
  bool wait_for(uint32_t partition, Offset offset, int deadline_ms) const;
  uint32_t partition_of(Ssin citizen) const { return partition_for(citizen.value, log_->partition_count()); }

  bool ready() const;
  // Submissions waiting for the writer: what is accepted but not yet folded
  // (the writer folds each group right after its commit).
  uint64_t lag() const;
  uint64_t events_folded() const { return events_folded_; }
  // Commits to the log that failed, and folds that failed after a durable commit (metrics counters).
  uint64_t commit_failures() const { return commit_failures_; }
  uint64_t fold_failures() const { return fold_failures_; }
  // The latest recordedAt folded: "now" for reads never goes behind it (cli::ledger_now).
  Instant ledger_time() const { return Instant{ledger_time_micros_.load()}; }
  void stop();

 private:
  struct Pending {
    std::string body;
    Check check;
    Done done;
  };
  LedgerService() = default;
  void run();
  void process(std::deque<Pending>& group);
  // Decodes, checks, decides and stages one submission; its offset counts from `base`.
  Result<WriteOutcome> stage(const Pending& p, std::map<uint32_t, Offset>* base);
  void fold();  // the projector catches up with the log; readers are woken
  bool recover();  // writer thread: folds the state from the log again after a failed reload

  std::unique_ptr<cli::WriterLock> lock_;  // first: released last, when the service is gone
  std::unique_ptr<EmbeddedLog> log_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Projector> projector_;
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
  std::atomic<uint64_t> commit_failures_{0};
  std::atomic<uint64_t> fold_failures_{0};
  std::atomic<uint64_t> lag_{0};
  std::atomic<int64_t> ledger_time_micros_{0};
  std::thread writer_;
};

}  // namespace dimona::api
