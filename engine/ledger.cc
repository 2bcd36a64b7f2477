#include "engine/ledger.h"

#include "engine/action_decision.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "engine/base/flat_map.h"
#include "engine/base/limits.h"
#include "engine/codec.h"

namespace dimona {

Status fold_log(EventLog& log, LedgerState* state) {
  EventDecoder decoder;
  RecordBatch batch;
  for (uint32_t partition = 0; partition < log.partition_count(); ++partition) {
    auto reader = log.read(partition, 0);
    DIMONA_TRY(reader);
    for (;;) {
      Result<bool> more = (*reader)->next(&batch);
      DIMONA_TRY(more);
      if (!*more) break;
      batch.payload.reserve(batch.payload.size() + kJsonPadding);
      const char* end = batch.payload.data() + batch.payload.size();
      for (const char* at = batch.payload.data(); at < end;) {
        const char* nl = static_cast<const char*>(std::memchr(at, '\n', static_cast<size_t>(end - at)));
        DIMONA_ASSERT(nl != nullptr);  // the reader checked the line count
        const std::string_view line(at, static_cast<size_t>(nl - at));
        Result<Event> event = decoder.decode(line, static_cast<size_t>(end - at) + kJsonPadding);
        if (!event.is_ok()) return corruption("partition " + std::to_string(partition) + " near offset " +
                                              std::to_string(batch.base_offset) + ": " + event.status().message());
        DIMONA_TRY(state->apply(*event));
        at = nl + 1;
      }
    }
  }
  return Status::ok();
}

// The committer thread: appends one group at a time, handed over with its
// cursor. The drafts are swapped, never reallocated, so their buffers keep
// their capacity from group to group.
struct Ledger::Committer {
  explicit Committer(EventLog& target) : log(target), thread([this] { loop(); }) {}
  ~Committer() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    thread.join();
  }

  // Waits until nothing is in flight; returns the outcome of the last group.
  Status wait() {
    std::unique_lock lock(mutex);
    done.wait(lock, [this] { return !busy; });
    return outcome;
  }

  // Takes `drafts` (swapped with the emptied buffers of the previous group).
  void hand_over(std::vector<BatchDraft>& drafts, const SourceCursor* c) {
    std::lock_guard lock(mutex);
    DIMONA_ASSERT(!busy);
    group.swap(drafts);
    for (BatchDraft& d : drafts) {
      d.count = 0;
      d.payload.clear();
    }
    has_cursor = c != nullptr;
    if (c) cursor = *c;
    busy = true;
    wake.notify_all();
  }

  void loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return busy || stopping; });
      if (!busy) return;
      lock.unlock();
      std::vector<BatchDraft> ready;
      for (BatchDraft& d : group)
        if (d.count > 0) ready.push_back(std::move(d));
      Result<std::vector<Offset>> appended = ready.empty() && !has_cursor ? Result<std::vector<Offset>>(std::vector<Offset>{})
                                                                         : log.append(ready, has_cursor ? &cursor : nullptr);
      size_t next = 0;  // give the buffers back to their slots, emptied
      for (BatchDraft& d : group) {
        if (d.count == 0) continue;
        d = std::move(ready[next++]);
        d.count = 0;
        d.payload.clear();
      }
      lock.lock();
      if (!appended.is_ok() && outcome.is_ok()) outcome = appended.status();
      busy = false;
      done.notify_all();
    }
  }

  EventLog& log;
  std::mutex mutex;
  std::condition_variable wake, done;
  std::vector<BatchDraft> group;
  SourceCursor cursor;
  bool has_cursor = false;
  bool busy = false;
  bool stopping = false;
  Status outcome;
  std::thread thread;  // last: starts once the members above exist
};

Ledger::Ledger(Key, EventLog& log, QuotaSchedule schedule, const Clock& clock, ServerSecret secret)
    : log_(log),
      schedule_(std::move(schedule)),
      clock_(clock),
      secret_(secret),
      drafts_(log.partition_count()),
      future_skew_seconds_(limits::recorded_at_future_skew_seconds) {
  for (uint32_t p = 0; p < drafts_.size(); ++p) drafts_[p].partition = p;
}

Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::open(EventLog& log, QuotaSchedule schedule, const Clock& clock,
                                             ServerSecret secret) {
  auto ledger = std::make_unique<Ledger>(Key{}, log, std::move(schedule), clock, secret);
  DIMONA_TRY(dimona::fold_log(log, ledger->state_.get()));
  return ledger;
}

void Ledger::set_recorded_at_future_skew(int64_t seconds) {
  DIMONA_ASSERT(seconds >= 0);
  future_skew_seconds_ = seconds;
}

uint32_t Ledger::partition_of(Ssin worker) const { return partition_for(worker.value, log_.partition_count()); }

Status Ledger::stage(const Event& event, uint32_t partition) {
  BatchDraft& draft = drafts_[partition];
  if (draft.count == 0) draft.first_recorded_at = event.recorded_at;
  draft.last_recorded_at = event.recorded_at;
  ++draft.count;
  ++staged_events_;
  encode_event(event, &draft.payload);
  return Status::ok();
}

Status Ledger::stage_due_quota(Instant until) {
  for (const QuotaEntry& entry : schedule_.entries) {
    if (until < entry.defined_at) break;
    const auto& known = state_->quota_definitions();
    const bool in_log = std::any_of(known.begin(), known.end(), [&](const QuotaDefinition& q) {
      return q.year == entry.year && q.hours == entry.hours && q.effective_from == entry.effective_from;
    });
    if (in_log) continue;
    Event event;
    event.type = EventType::kStudentQuotaDefined;
    event.recorded_at = std::max(entry.defined_at, state_->last_recorded_at());
    event.source = "schedule:quota.json";
    event.quota = QuotaBody{entry.year, entry.hours, entry.effective_from, entry.legal_source};
    for (uint32_t p = 0; p < drafts_.size(); ++p) DIMONA_TRY(stage(event, p));
    DIMONA_TRY(state_->apply(event));
  }
  return Status::ok();
}

Result<Instant> Ledger::ledger_time(const std::optional<Instant>& recorded_at) {
  Instant at = std::max(clock_.now(), state_->last_recorded_at());
  if (recorded_at) {
    const Instant latest{clock_.now().micros + future_skew_seconds_ * kMicrosPerSecond};
    if (latest < *recorded_at)
      return invalid_argument("field recordedAt: " + to_string(*recorded_at) + " is more than " +
                              std::to_string(future_skew_seconds_) + " s ahead of the clock (" + to_string(clock_.now()) +
                              ")");
    if (*recorded_at < state_->last_recorded_at())
      return invalid_argument("recordedAt " + to_string(*recorded_at) + " is before ledger time " +
                              to_string(state_->last_recorded_at()));
    at = *recorded_at;
  }
  DIMONA_TRY(stage_due_quota(at));
  return at;
}

std::string_view Ledger::one_line(std::string_view raw) {
  if (!std::memchr(raw.data(), '\n', raw.size()) && !std::memchr(raw.data(), '\r', raw.size())) return raw;
  line_.assign(raw);  // pretty-printed: one line in the log
  std::replace_if(line_.begin(), line_.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return line_;
}

Status Ledger::stage_and_fold(const Event& event, uint32_t partition) {
  DIMONA_TRY(stage(event, partition));
  if (Status s = state_->apply(event); !s.is_ok()) {
    poisoned_ = true;
    return s;
  }
  return Status::ok();
}

Result<ActionSubmission> Ledger::submit_action(const Action& a, std::string_view raw, std::string_view source) {
  DIMONA_ASSERT(!poisoned_);
  Result<Instant> at = ledger_time(a.recorded_at);
  if (!at.is_ok()) return at.status();
  Event event;
  event.type = event_type_of(a.kind);
  event.recorded_at = *at;
  event.source = source;
  event.action.action = a;
  event.action.outcome = decide_action(*state_, a, *at, secret_, dimona_id_from_body(state_->next_id_body()));
  event.action.raw = one_line(raw);
  const ActionOutcome& o = event.action.outcome;
  event.ssin = o.worker;
  const uint32_t partition = partition_of(o.worker);
  DIMONA_TRY(stage_and_fold(event, partition));
  return ActionSubmission{o, *at, partition};
}

Result<Submission> Ledger::submit(const Declaration& d, std::string_view raw, std::string_view source) {
  DIMONA_ASSERT(!poisoned_);
  Result<Instant> recorded = ledger_time(d.recorded_at);
  if (!recorded.is_ok()) return recorded.status();
  const Instant at = *recorded;

  Event event;
  event.type = event_type_of(d.kind);
  event.recorded_at = at;
  event.source = source;
  DeclarationBody& body = event.declaration;
  body.declaration = d;
  body.decision = decide(*state_, d, at);
  body.declaration_id = DeclarationId{dimona_id_from_body(state_->next_id_body())};
  Decision& decision = body.decision;
  if (d.kind == DeclarationKind::kIn && decision.period_id.value == 0 && decision.result != ResultCode::kRefused)
    decision.period_id = PeriodId{dimona_id_from_body(state_->next_id_body() + 1)};
  event.ssin = decision.worker;

  std::string canonical;  // the identity codes in one form (docs/declarations.md "Value types")
  body.raw = one_line(canonical_text(d, raw, &canonical));
  const uint32_t partition = partition_of(decision.worker);
  DIMONA_TRY(stage_and_fold(event, partition));
  return Submission{body.declaration_id, decision, at, partition};
}

std::string_view Ledger::last_staged_event(uint32_t partition) const {
  std::string_view payload = drafts_[partition].payload;
  if (payload.empty()) return {};
  payload.remove_suffix(1);  // the last event's '\n'
  const size_t start = payload.rfind('\n');
  return start == std::string_view::npos ? payload : payload.substr(start + 1);
}

bool Ledger::should_commit() const {
  for (const BatchDraft& draft : drafts_) {
    if (draft.count + drafts_.size() + 1 >= limits::batch_events_max) return true;
    if (draft.payload.size() + 2 * limits::event_bytes_max >= limits::batch_payload_bytes_max) return true;
  }
  return false;
}

Status Ledger::commit_async(const SourceCursor* cursor) {
  DIMONA_ASSERT(!poisoned_);
  if (!committer_) {
    committer_ = std::make_unique<Committer>(log_);
    committer_->group.resize(drafts_.size());
    for (uint32_t p = 0; p < drafts_.size(); ++p) committer_->group[p].partition = p;
  }
  if (Status s = timed_wait(); !s.is_ok()) {
    poisoned_ = true;
    return s;
  }
  committer_->hand_over(drafts_, cursor);
  staged_events_ = 0;
  return Status::ok();
}

Status Ledger::timed_wait() {
  const auto t0 = std::chrono::steady_clock::now();
  Status s = committer_->wait();
  commit_wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

Status Ledger::sync() {
  if (!committer_) return Status::ok();
  Status s = timed_wait();
  if (!s.is_ok()) poisoned_ = true;
  return s;
}

Status Ledger::reload() {
  poisoned_ = true;  // until the fold below succeeds
  committer_.reset();  // joins: the group in flight, if any, is durable or not, the log says which
  for (BatchDraft& d : drafts_) {
    d.count = 0;
    d.payload.clear();
  }
  staged_events_ = 0;
  auto fresh = std::make_unique<LedgerState>();
  DIMONA_TRY(dimona::fold_log(log_, fresh.get()));
  state_ = std::move(fresh);
  poisoned_ = false;
  return Status::ok();
}

Status Ledger::commit(const SourceCursor* cursor) {
  DIMONA_TRY(commit_async(cursor));
  return sync();
}

}  // namespace dimona
