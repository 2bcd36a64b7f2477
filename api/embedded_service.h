// EmbeddedLedgerService: the LedgerService (service.h) of `serve` over the
// embedded log — the log, its single writer and the projector in one
// process, with one writer thread. Built by the composition root
// (ledger_root.h); the routes know only the interface.
//
// Contract. As LedgerService's. It owns the WriteSide it is opened with, so
// it holds the data folder's writer lock for its whole life. The writer
// thread starts in open() and is joined by stop() (or the destructor). A
// WriteSide without its Ledger comes with an OpenWriter, which the writer
// thread runs first, with the caught-up projector; until it returns, writes
// wait in the queue (writer_status() "opening").
//
// One state (issue 11 item 2). An OpenWriter is given the projector itself:
// the writer it opens may share its LedgerStates (Projector::writer_seed(true),
// Ledger::shares_states()), deciding against them and folding its staged
// events into them, and the projector then folds each committed group into
// its read models only. Each event is then decided and folded once, and the
// ledger's state is in memory once. The price: the readers' lock is held
// exclusively from a group's first decision until it is durable and folded
// (readers never see a write the log may not keep), so reads wait for a
// group's commit. A group the log did not take, or a hand-over that is not
// whole, leaves the states ahead of the read models: the two part ways
// (unshare()): the writer folds the log into states of its own
// (Ledger::reload, which keeps its epoch, so a newer writer's fence still
// fences it) and the projector is opened again from its checkpoint and the
// log, before any reader or writer goes on; the service then keeps two
// states until it restarts. Until that projector is open the read side is
// stale: not ready, never checkpointed, and read_view() throws
// ReadSideUnavailable (503). A group member's share is the same over the
// partitions it holds. A writer that does not share (one whose seed was
// refused) keeps its own states, and the projector folds every event into
// its own.
//
// Serve at once (issue 13 item 4). Given a deferred projector
// (Projector::open_deferred), open() returns at once and a loading thread
// loads its partitions (projector.h "Serve at once"): a read of a loaded
// partition is answered meanwhile, one of a partition still loading throws
// PartitionLoading (503, Retry-After: 1) and that partition is loaded next.
// Not ready, no checkpoint, and writes wait in the queue (the writer opens
// after the last partition) until every partition is loaded. A citizen's
// read of their own data is answered at once even so, from their own events
// (citizen_state_while_loading: the checkpoint's citizen index and the log
// past it; the log takes no write until the load ends, so they are all of
// the citizen's). A checkpoint
// found unusable while loading is set aside and the state is folded from the
// log, as open_projector() does at a synchronous open. A load that fails
// otherwise fails the writer (writes answered 503), and `on_load_failed`
// is called once, on the loading thread; stop() during the load stops it
// between two partitions.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
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
  // Opens the writer of `log` from the read side, on the writer thread (see the contract).
  using OpenWriter = std::function<Result<std::unique_ptr<Ledger>>(Log& log, Projector& read_side)>;
  // Catches a projector up on `write`'s log (from its checkpoint) and starts the writer thread.
  // `projector`: one already opened over that log with `options`; null: opened here.
  // `open_writer`: given exactly when write.ledger is null.
  // `projector` deferred (not fully_loaded()): loaded in the background (see "Serve at once").
  using LoadFailed = std::function<void(const Status&)>;
  static Result<std::unique_ptr<EmbeddedLedgerService>> open(WriteSide write, const ProjectorOptions& options,
                                                             std::unique_ptr<Projector> projector = nullptr,
                                                             OpenWriter open_writer = {},
                                                             LoadFailed on_load_failed = {});
  ~EmbeddedLedgerService() override;

  void submit(std::string body, Check check, Done done) override;
  void submit_from(std::string body, SourcePosition position, std::string source, Done done) override;
  bool with_writer(std::function<void(const Ledger*)> f) override;
  void read_view(const std::function<void(const Projector&)>& f) const override {
    std::shared_lock lock(fold_mutex_);
    if (stale_) throw ReadSideUnavailable();
    f(*projector_);
  }
  Result<std::shared_ptr<const Projector>> state_at(Instant at) const override { return past_->at(at); }
  Result<std::shared_ptr<const Projector>> citizen_state_at(Ssin citizen, Instant at) const override;
  Result<std::shared_ptr<const Projector>> citizen_state_while_loading(Ssin citizen) const override;
  Result<std::shared_ptr<const Projector>> citizen_state_of(Ssin citizen, const std::vector<Offset>& offsets,
                                                            Instant at) const override;
  bool wait_for(uint32_t partition, Offset offset, int deadline_ms) const override;
  uint32_t partition_of(Ssin citizen) const override { return partition_for(citizen, log_->partitions()); }
  bool ready() const override;
  std::optional<LoadProgress> loading() const override;
  Loaded wait_loaded(uint32_t partition, int deadline_ms) const override;
  bool wait_all_loaded(int deadline_ms) const override;
  std::string_view writer_status() const override;
  std::string log_uri() const override { return log_->uri(); }
  Result<std::vector<PartitionProgress>> progress() const override;
  uint64_t lag() const override;
  uint64_t events_folded() const override { return events_folded_; }
  uint64_t events_handed_over() const override { return events_handed_over_; }
  uint64_t commit_failures() const override { return commit_failures_; }
  uint64_t fold_failures() const override { return fold_failures_; }
  std::optional<ReaderCacheStats> reader_cache_stats() const override { return reader_cache_stats_of(*log_); }
  Instant ledger_time() const override { return Instant{ledger_time_micros_.load()}; }
  void stop() override;

 private:
  struct Pending {
    std::string body;
    Check check;
    Done done;
    std::optional<SourcePosition> position;  // submit_from
    std::string source = "http";
    std::function<void(const Ledger*)> on_writer;  // with_writer: no body
  };
  bool enqueue(Pending p);
  explicit EmbeddedLedgerService(WriteSide write);
  void run();
  // The loading thread ("Serve at once"): load_partitions(), then the writer may open.
  void load();
  Status load_partitions();
  // Writer thread, first: runs open_writer_ when there is no writer yet; false when it failed
  // (writer_failure_ says why, once on stderr).
  bool open_writer();
  void process(std::deque<Pending>& group);
  // Decodes, checks, decides and stages one submission.
  Result<WriteOutcome> stage(const Pending& p);
  // The projector folds the events `handed` (a group just committed: each as the log stored it),
  // then catches up with the log unless they were all it lacked (or none given); readers are woken.
  // `lock`: the readers' lock, held already (a writer sharing the states holds it from its first
  // decision) or not; released once folded.
  void fold(const std::vector<Projector::Appended>* handed, std::unique_lock<std::shared_mutex> lock);
  // Writer thread: opens a stale read side again, then folds the writer's state from the log
  // again after a failed reload; false when either fails.
  bool recover();
  // Opens the writer over the projector (open_writer_), then folds what the open appended (fences).
  Status open_writer_over_projector();
  // Writer thread, readers' lock held exclusively, writer sharing the projector's states: the
  // writer folds the log into states of its own, and the projector is opened again.
  Status unshare();
  // Readers' lock held exclusively: the projector opened again from its checkpoint and the log.
  Status reopen_projector();
  // Readers' lock held: the partitions' folded offsets, for progress() (which never waits for it).
  void note_progress();

  WriterLock lock_;  // first: released last
  std::unique_ptr<Log> log_;
  std::unique_ptr<Ledger> ledger_;  // null until open_writer_ ran (writer thread only)
  OpenWriter open_writer_;
  ProjectorOptions options_;        // the projector's, to open it again
  bool shares_ = false;             // the writer shares the projector's states (writer thread only)
  // The projector's states hold what the log does not (a failed unshare()): not ready, no checkpoint.
  std::atomic<bool> stale_{false};
  mutable std::mutex progress_mutex_;
  std::vector<PartitionProgress> progress_;  // note_progress()
  enum class WriterStatus { kOpening, kOpen, kFailed };
  std::atomic<WriterStatus> writer_status_{WriterStatus::kOpen};
  Status writer_failure_;  // set before writer_status_ turns kFailed
  std::unique_ptr<Projector> projector_;
  std::unique_ptr<PastStates> past_;  // ?asOf: states at instants, over log_
  mutable std::mutex ends_mutex_;
  std::unique_ptr<LogConsumer> ends_;  // asks the log's ends for progress(), under ends_mutex_
  // The ends last asked, per partition (0: not yet), under known_ends_mutex_: what a progress()
  // answers while another one waits on the log (a broker that does not answer holds that one up to
  // the request timeout; the rest, /health's I/O thread included, are never held behind it).
  mutable std::mutex known_ends_mutex_;
  mutable std::vector<Offset> known_ends_;
  mutable bool ends_known_ = false;
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
  std::atomic<uint64_t> folds_{0};  // folds done, for wait_for()'s wake-ups
  std::atomic<uint64_t> events_handed_over_{0};
  std::atomic<uint64_t> lag_{0};
  std::atomic<uint64_t> commit_failures_{0};
  std::atomic<uint64_t> fold_failures_{0};
  std::atomic<int64_t> ledger_time_micros_{0};
  // "Serve at once": true until the loading thread is done (set under queue_mutex_, waited on with wake_).
  std::atomic<bool> loading_{false};
  std::atomic<bool> stop_loading_{false};
  LoadFailed on_load_failed_;
  mutable std::mutex loaded_mutex_;  // wait_loaded() waits on partition_loaded_, notified as each one loads
  mutable std::condition_variable partition_loaded_;
  std::thread loader_;
  std::thread writer_;
};

}  // namespace dimona::api
