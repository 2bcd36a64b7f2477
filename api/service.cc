#include "api/embedded_service.h"

#include <algorithm>
#include <map>

#include "api/http.h"

namespace dimona::api {

EmbeddedLedgerService::EmbeddedLedgerService(WriteSide write)
    : lock_(std::move(write.lock)), log_(std::move(write.log)), ledger_(std::move(write.ledger)) {}

Result<std::unique_ptr<EmbeddedLedgerService>> EmbeddedLedgerService::open(WriteSide write,
                                                                           const ProjectorOptions& options) {
  std::unique_ptr<EmbeddedLedgerService> s(new EmbeddedLedgerService(std::move(write)));
  Result<std::unique_ptr<Projector>> projector = Projector::open(*s->log_, options);
  DIMONA_TRY(projector);
  s->projector_ = std::move(*projector);
  Result<ReplayStats> stats = s->projector_->catch_up();
  DIMONA_TRY(stats);
  s->events_folded_ = stats->events + stats->resumed_events;
  s->ledger_time_micros_ = s->projector_->ledger_time().micros;
  s->writer_ = std::thread([raw = s.get()] { raw->run(); });
  return s;
}

EmbeddedLedgerService::~EmbeddedLedgerService() { stop(); }

void EmbeddedLedgerService::submit(std::string body, Check check, Done done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_ && !failed_ && queue_.size() < http_limits::write_queue_max) {
      queue_.push_back(Pending{std::move(body), std::move(check), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(unavailable(failed_ ? "the ledger stopped after a failed commit" : "the ledger is busy or stopping"));
}

void EmbeddedLedgerService::run() {
  std::deque<Pending> group;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and drained
      group.swap(queue_);
    }
    process(group);
    group.clear();
  }
}

void EmbeddedLedgerService::process(std::deque<Pending>& group) {
  struct Staged {
    Pending* pending;
    WriteOutcome outcome;
  };
  std::vector<Staged> staged;
  std::map<uint32_t, Offset> base;  // each touched partition's end offset before this commit
  std::string text;
  for (Pending& p : group) {
    text.assign(p.body);
    const size_t size = text.size();
    text.resize(size + kJsonPadding, ' ');
    Result<Command> command = decoder_.decode_command(std::string_view(text.data(), size), text.size());
    if (!command.is_ok()) {
      p.done(command.status());
      continue;
    }
    if (Status allowed = p.check ? p.check(*command, ledger_->state()) : Status::ok(); !allowed.is_ok()) {
      p.done(allowed);
      continue;
    }
    WriteOutcome o;
    o.is_action = command->is_action;
    const std::string_view raw(text.data(), size);
    if (command->is_action) {
      Result<ActionSubmission> s = ledger_->submit_action(command->action, raw, "http");
      if (!s.is_ok()) {
        p.done(s.status());
        continue;
      }
      o.action = *s;
      o.id = s->outcome.id;
      o.partition = s->partition;
    } else {
      Result<Submission> s = ledger_->submit(command->declaration, raw, "http");
      if (!s.is_ok()) {
        p.done(s.status());
        continue;
      }
      o.declaration = *s;
      o.id = s->declaration_id.value;
      o.partition = s->partition;
    }
    if (!base.count(o.partition)) {
      Result<Offset> end = log_->end_offset(o.partition);
      base[o.partition] = end.is_ok() ? *end : 0;
    }
    o.offset = base[o.partition] + ledger_->staged_in(o.partition) - 1;
    o.event_json.assign(ledger_->last_staged_event(o.partition));
    staged.push_back(Staged{&p, std::move(o)});
  }
  if (staged.empty() && ledger_->staged_events() == 0) return;
  Status committed = ledger_->commit(nullptr);
  if (committed.is_ok()) {
    std::unique_lock lock(fold_mutex_);
    Result<ReplayStats> stats = projector_->catch_up();
    if (stats.is_ok()) events_folded_ += stats->events;
    else committed = stats.status();
    ledger_time_micros_ = projector_->ledger_time().micros;
  }
  if (!committed.is_ok()) {
    std::lock_guard lock(queue_mutex_);
    failed_ = true;
  }
  folded_.notify_all();
  for (Staged& s : staged) {
    if (committed.is_ok()) s.pending->done(std::move(s.outcome));
    else s.pending->done(committed);
  }
}

bool EmbeddedLedgerService::wait_for(uint32_t partition, Offset offset, int deadline_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  for (;;) {
    {
      std::shared_lock lock(fold_mutex_);
      if (partition < projector_->partition_count() && projector_->offset(partition) > offset) return true;
    }
    std::unique_lock lock(queue_mutex_);
    if (folded_.wait_until(lock, deadline) == std::cv_status::timeout) {
      std::shared_lock fold(fold_mutex_);
      return partition < projector_->partition_count() && projector_->offset(partition) > offset;
    }
  }
}

bool EmbeddedLedgerService::ready() const {
  std::lock_guard lock(queue_mutex_);
  return !failed_ && !stopping_;
}

uint64_t EmbeddedLedgerService::lag() const {
  std::lock_guard lock(queue_mutex_);
  return queue_.size();
}

void EmbeddedLedgerService::stop() {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::unique_lock lock(fold_mutex_);
  (void)projector_->checkpoint();
}

}  // namespace dimona::api
