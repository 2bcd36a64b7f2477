// Ledger: the single writer of a log — decides declarations and actions against the
// current state, stages their events, and commits them durably.
//
// Contract. open() folds the whole log into a LedgerState (every batch CRC-
// checked by the reader) and takes the quota schedule. submit() decides one
// declaration, encodes its event into the draft batch of the worker's
// partition and folds it at once, so the next submission sees it; quota
// definitions whose definedAt ledger time has reached are staged first, in
// every partition (each partition's fold is then self-contained). commit()
// appends all staged batches, with the source cursor if given, in one
// atomic, durable append. commit_async() hands them to the Ledger's
// committer thread and returns at once, so deciding the next group overlaps
// the log's I/O (double buffering: it first waits for the previous group);
// sync() waits for what is in flight and returns its outcome. After a failed
// commit the state is ahead of the log: reload() drops what is staged or in
// flight and folds the log again, so the state equals what the log holds and
// the Ledger accepts submissions again (a writer recovers without a restart
// once the storage does; docs/operations.md).
//
// Ledger time never goes back: a submission without recordedAt gets
// max(clock, last recordedAt); one with recordedAt earlier than ledger time,
// or more than the future skew (limits::recorded_at_future_skew_seconds
// unless set) ahead of the clock, is refused (kInvalidArgument, "field
// recordedAt: ...") and nothing is staged. Declaration ids and
// ledger-assigned period ids are 12-digit ids from kLedgerIdBodyFirst up.
// Not thread-safe: one Ledger per log, used from one thread.
#pragma once

#include <memory>
#include <thread>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/decision.h"
#include "engine/event_log.h"
#include "engine/ledger_state.h"
#include "engine/quota_schedule.h"
#include "engine/secret.h"

namespace dimona {

struct ActionSubmission {
  ActionOutcome outcome;
  Instant recorded_at;
  uint32_t partition = 0;
};

struct Submission {
  DeclarationId declaration_id;
  Decision decision;
  Instant recorded_at;
  uint32_t partition = 0;
};

class Ledger {
 public:
  // `secret` keys the access codes and data-access tokens (secret.h).
  static Result<std::unique_ptr<Ledger>> open(EventLog& log, QuotaSchedule schedule, const Clock& clock,
                                              ServerSecret secret);

  // `raw` is the declaration's JSON as sent, the text decode() read (one
  // line; other line breaks are turned into spaces; identity codes are
  // logged in their canonical form, canonical_text()); `source` says where
  // it came from ("batch:FILE:LINE").
  Result<Submission> submit(const Declaration& declaration, std::string_view raw, std::string_view source);
  // An action (docs/actions.md), decided by decide_action() and staged like a declaration.
  Result<ActionSubmission> submit_action(const Action& action, std::string_view raw, std::string_view source);
  // How far ahead of the clock an imported recordedAt may be (seconds, >= 0).
  void set_recorded_at_future_skew(int64_t seconds);
  // True when a staged batch is close to its size limits: commit before the next submit.
  bool should_commit() const;
  // Durable when it returns ok.
  Status commit(const SourceCursor* cursor);
  // Queued; durable once a later sync(), commit() or commit_async() returns ok.
  Status commit_async(const SourceCursor* cursor);
  Status sync();
  // Drops the staged events and the group in flight (waiting for it), then
  // folds the whole log into a fresh state. kCorruption or kIoError from the
  // log leave the Ledger unusable until a reload() succeeds.
  Status reload();
  ~Ledger();

  size_t staged_events() const { return staged_events_; }
  // Events staged in `partition` since the last commit, and the last of them
  // as it will be logged (one JSON line without its '\n'; empty when none).
  uint32_t staged_in(uint32_t partition) const { return drafts_[partition].count; }
  std::string_view last_staged_event(uint32_t partition) const;
  // Time this thread spent waiting for the log (commits in flight): when it
  // is most of the run, the log's I/O is the bottleneck, not the decisions.
  double commit_wait_seconds() const { return commit_wait_seconds_; }
  const LedgerState& state() const { return *state_; }
  uint32_t partition_of(Ssin worker) const;

 private:
  struct Committer;
  struct Key {
    explicit Key() = default;
  };

 public:
  Ledger(Key, EventLog& log, QuotaSchedule schedule, const Clock& clock, ServerSecret secret);  // for open() only

 private:
  // The recordedAt of the next event (kInvalidArgument when it would go back), with due quota staged.
  Result<Instant> ledger_time(const std::optional<Instant>& recorded_at);
  std::string_view one_line(std::string_view raw);
  Status stage(const Event& event, uint32_t partition);
  Status stage_and_fold(const Event& event, uint32_t partition);
  Status stage_due_quota(Instant until);
  Status timed_wait();

  EventLog& log_;
  QuotaSchedule schedule_;
  const Clock& clock_;
  ServerSecret secret_;
  std::unique_ptr<LedgerState> state_ = std::make_unique<LedgerState>();  // replaced whole by reload()
  std::vector<BatchDraft> drafts_;  // one per partition, being filled
  std::unique_ptr<Committer> committer_;  // owns the group in flight
  size_t staged_events_ = 0;
  std::string line_;                // scratch: the declaration on one line
  std::string source_;              // scratch
  bool poisoned_ = false;
  int64_t future_skew_seconds_;
  double commit_wait_seconds_ = 0;
};

// Folds every event of `log` into `state`, partition by partition.
Status fold_log(EventLog& log, LedgerState* state);

}  // namespace dimona
