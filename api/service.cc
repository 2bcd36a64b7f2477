#include "api/embedded_service.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>

#include "api/http.h"

namespace dimona::api {

namespace {

// The answer to a write once a newer writer fenced this one (Ledger::fenced()):
// its record may be in the log, as no event, and no retry here can help.
Status fenced_refusal(const std::string& cause) {
  return unavailable("not stored: a newer writer fenced this one (" + cause +
                     "); this serve writes no more, restart it");
}

}  // namespace

EmbeddedLedgerService::EmbeddedLedgerService(WriteSide write)
    : lock_(std::move(write.lock)), log_(std::move(write.log)), ledger_(std::move(write.ledger)) {}

Result<std::unique_ptr<EmbeddedLedgerService>> EmbeddedLedgerService::open(WriteSide write,
                                                                           const ProjectorOptions& options,
                                                                           std::unique_ptr<Projector> projector,
                                                                           OpenWriter open_writer,
                                                                           LoadFailed on_load_failed) {
  DIMONA_ASSERT((write.ledger == nullptr) == static_cast<bool>(open_writer));
  std::unique_ptr<EmbeddedLedgerService> s(new EmbeddedLedgerService(std::move(write)));
  s->options_ = options;
  if (open_writer) {
    s->open_writer_ = std::move(open_writer);
    s->writer_status_ = WriterStatus::kOpening;
  }
  if (projector == nullptr) {
    Result<std::unique_ptr<Projector>> opened = open_projector(*s->log_, options);
    DIMONA_TRY(opened);
    projector = std::move(*opened);
  }
  s->projector_ = std::move(projector);
  s->past_ = std::make_unique<PastStates>(*s->log_, options);
  Result<std::unique_ptr<LogConsumer>> ends = s->log_->open_consumer();
  DIMONA_TRY(ends);
  s->ends_ = std::move(*ends);
  // A writer given beside a deferred projector would fold into partitions not loaded.
  DIMONA_ASSERT(s->projector_->fully_loaded() || s->ledger_ == nullptr);
  if (!s->projector_->fully_loaded()) {  // "Serve at once": the partitions load in the background
    // "now" for reads meanwhile (a citizen's, answered from their events) never goes behind the
    // ledger time the checkpoint had reached; the load then sets the whole state's.
    s->ledger_time_micros_ = s->projector_->checkpoint_ledger_time().micros;
    s->loading_ = true;
    s->on_load_failed_ = std::move(on_load_failed);
    s->loader_ = std::thread([raw = s.get()] { raw->load(); });
    s->writer_ = std::thread([raw = s.get()] { raw->run(); });
    return s;
  }
  Result<ReplayStats> stats = s->projector_->catch_up();
  DIMONA_TRY(stats);
  s->events_folded_ = stats->events + stats->resumed_events;
  s->ledger_time_micros_ = s->projector_->ledger_time().micros;
  s->note_progress();
  // A long fold at start (no checkpoint, or far behind) is saved now, before any reader or
  // writer waits: otherwise the first write would find one due and write it.
  Result<bool> saved = s->projector_->checkpoint_if_due();
  DIMONA_TRY(saved);
  s->writer_ = std::thread([raw = s.get()] { raw->run(); });
  return s;
}

EmbeddedLedgerService::~EmbeddedLedgerService() { stop(); }

bool EmbeddedLedgerService::enqueue(Pending p) {
  std::lock_guard lock(queue_mutex_);
  if (stopping_ || queue_.size() >= http_limits::write_queue_max) return false;
  queue_.push_back(std::move(p));
  wake_.notify_one();
  return true;
}

void EmbeddedLedgerService::submit(std::string body, Check check, Done done) {
  Pending p;
  p.body = std::move(body);
  p.check = std::move(check);
  p.done = done;
  if (!enqueue(std::move(p))) done(unavailable("the ledger is busy or stopping"));
}

void EmbeddedLedgerService::submit_from(std::string body, SourcePosition position, std::string source, Done done) {
  Pending p;
  p.body = std::move(body);
  p.done = done;
  p.position = std::move(position);
  p.source = std::move(source);
  if (!enqueue(std::move(p))) done(unavailable("the ledger is busy or stopping"));
}

bool EmbeddedLedgerService::with_writer(std::function<void(const Ledger*)> f) {
  Pending p;
  p.on_writer = std::move(f);
  return enqueue(std::move(p));
}

Status EmbeddedLedgerService::open_writer_over_projector() {
  Result<std::unique_ptr<Ledger>> opened = unavailable("not opened");
  {
    // The projector's states are the seed, maybe shared: the open only reads them (a shared
    // seed's tail holds no event, Ledger::fold), so readers go on; nothing folds meanwhile.
    std::shared_lock lock(fold_mutex_);
    opened = open_writer_(*log_, *projector_);
  }
  DIMONA_TRY(opened);
  ledger_ = std::move(*opened);
  if (!ledger_->shares_states()) return Status::ok();
  // On a log that fences writers the open appended a fence to each partition: the projector
  // reads them now (no events), so the first group's hand-over starts where it stands.
  std::unique_lock lock(fold_mutex_);
  shares_ = true;
  Result<ReplayStats> fences = projector_->catch_up();
  if (fences.is_ok() && fences->events == 0) {
    note_progress();
    return Status::ok();
  }
  // Events came past the fence after all (another writer's) and were folded into states the
  // writer had folded them into too, or the read failed half-way: the two part ways.
  return unshare();
}

Status EmbeddedLedgerService::reopen_projector() {
  Result<std::unique_ptr<Projector>> reopened = open_projector(*log_, options_);
  DIMONA_TRY(reopened);
  Result<ReplayStats> stats = (*reopened)->catch_up();
  DIMONA_TRY(stats);
  projector_ = std::move(*reopened);
  events_folded_ = stats->events + stats->resumed_events;
  stale_ = false;
  note_progress();
  return Status::ok();
}

Status EmbeddedLedgerService::unshare() {
  DIMONA_ASSERT(shares_);
  shares_ = false;
  stale_ = true;  // the projector's states hold what the writer staged: until it is opened again
  // The writer folds the log into states of its own, keeping its epoch: a newer writer's fence
  // fences it for good (a new writer here would fence that newer one instead).
  Status reloaded = ledger_->reload();
  if (!reloaded.is_ok()) {
    std::lock_guard queue(queue_mutex_);
    failed_ = true;
  }
  Status reopened = reopen_projector();
  if (!reopened.is_ok())
    std::fprintf(stderr,
                 "dimona-ledger: serve: the read side could not be folded from the log again (%s): not ready, no "
                 "checkpoint, retried at the next write\n",
                 reopened.to_string().c_str());
  return reloaded.is_ok() ? reopened : reloaded;
}

void EmbeddedLedgerService::note_progress() {
  std::vector<PartitionProgress> folded;
  for (uint32_t p = 0; p < projector_->partition_count(); ++p)
    if (projector_->holds(p)) folded.push_back(PartitionProgress{p, projector_->offset(p), 0});
  std::lock_guard lock(progress_mutex_);
  progress_ = std::move(folded);
}

bool EmbeddedLedgerService::open_writer() {
  if (ledger_) return true;
  if (writer_status_ == WriterStatus::kFailed) return false;
  Status opened = open_writer_over_projector();
  open_writer_ = nullptr;  // what it holds (the secret, the schedule) is the Ledger's now
  if (!opened.is_ok()) {
    ledger_.reset();  // opened, then parted from the read side and not reloaded: no writer
    writer_failure_ = opened;
    writer_status_ = WriterStatus::kFailed;
    std::fprintf(stderr, "dimona-ledger: serve: the writer could not open (%s): writes are answered 503, reads go on\n",
                 writer_failure_.to_string().c_str());
    return false;
  }
  writer_status_ = WriterStatus::kOpen;
  return true;
}

void EmbeddedLedgerService::load() {
  const auto started = std::chrono::steady_clock::now();
  const Status loaded = load_partitions();
  if (!loaded.is_ok()) {
    writer_failure_ = loaded;  // before the status turns failed (open_writer reads it)
    writer_status_ = WriterStatus::kFailed;
    if (stop_loading_) {
      // stopped: nothing to say
    } else if (on_load_failed_) {
      on_load_failed_(loaded);  // its owner says it
    } else {
      std::fprintf(stderr,
                   "dimona-ledger: serve: the read side could not be loaded (%s): not ready, writes are answered 503\n",
                   loaded.to_string().c_str());
    }
  } else if (isatty(STDERR_FILENO)) {
    std::fprintf(stderr, "serve: %u partitions loaded in %.1f s, %llu events\n", projector_->partition_count(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                 static_cast<unsigned long long>(events_folded_.load()));
  }
  {
    std::lock_guard lock(queue_mutex_);
    loading_ = false;
  }
  wake_.notify_all();
  { std::lock_guard lock(loaded_mutex_); }
  partition_loaded_.notify_all();
}

bool EmbeddedLedgerService::wait_all_loaded(int deadline_ms) const {
  std::unique_lock lock(loaded_mutex_);
  return partition_loaded_.wait_for(lock, std::chrono::milliseconds(deadline_ms), [&] { return !loading_; });
}

LedgerService::Loaded EmbeddedLedgerService::wait_loaded(uint32_t partition, int deadline_ms) const {
  auto loaded = [&] {
    std::shared_lock readers(fold_mutex_);
    return partition >= projector_->partition_count() || projector_->loaded(partition);
  };
  std::unique_lock lock(loaded_mutex_);
  if (!partition_loaded_.wait_for(lock, std::chrono::milliseconds(deadline_ms), [&] { return !loading_ || loaded(); }))
    return Loaded::kNotYet;
  return loaded() ? Loaded::kYes : Loaded::kNever;  // the load over without it: failed or stopped
}

Status EmbeddedLedgerService::load_partitions() {
  auto loaded = [this](uint32_t) {
    { std::lock_guard lock(loaded_mutex_); }  // a waiter between its check and its wait hears this
    partition_loaded_.notify_all();
  };
  Result<ReplayStats> stats = projector_->load(loaded, &stop_loading_);
  if (!stats.is_ok() && !stop_loading_ && projector_->checkpoint_refused() &&
      set_aside_unusable_checkpoint(options_, stats.status())) {
    Result<std::unique_ptr<Projector>> fresh = Projector::open_deferred(*log_, options_);
    DIMONA_TRY(fresh);
    {
      std::unique_lock lock(fold_mutex_);  // readers of the old one's loaded partitions are done
      projector_ = std::move(*fresh);
      ledger_time_micros_ = 0;  // the checkpoint set aside says nothing more
    }
    stats = projector_->load(loaded, &stop_loading_);
  }
  DIMONA_TRY(stats);
  std::unique_lock lock(fold_mutex_);
  Result<ReplayStats> more = projector_->catch_up();  // what came since the load asked the ends (none: no writer yet)
  DIMONA_TRY(more);
  events_folded_ = stats->events + stats->resumed_events + more->events;
  ledger_time_micros_ = projector_->ledger_time().micros;
  note_progress();
  lock.unlock();
  // A long fold at start (no checkpoint, or far behind) is saved now, before any writer waits.
  std::shared_lock readers(fold_mutex_);
  Result<bool> saved = projector_->checkpoint_if_due();
  DIMONA_TRY(saved);
  return Status::ok();
}

std::optional<LedgerService::LoadProgress> EmbeddedLedgerService::loading() const {
  if (!loading_) return std::nullopt;
  std::shared_lock lock(fold_mutex_);
  return LoadProgress{projector_->loaded_count(), projector_->partition_count()};
}

void EmbeddedLedgerService::run() {
  {
    std::unique_lock lock(queue_mutex_);
    wake_.wait(lock, [this] { return !loading_; });  // the loading thread always ends (stop() stops it)
    if (stopping_ && queue_.empty()) return;         // no writer opened (no fence appended) for a stop
  }
  (void)open_writer();  // first, before any group: writes queued meanwhile wait for it
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

Result<WriteOutcome> EmbeddedLedgerService::stage(const Pending& p) {
  text_.assign(p.body);
  const size_t size = text_.size();
  text_.resize(size + kJsonPadding, ' ');
  Result<Command> command = decoder_.decode_command(std::string_view(text_.data(), size), text_.size());
  DIMONA_TRY(command);
  if (p.position) DIMONA_TRY(refuse_server_internal(*command));  // an input topic's record: from outside
  if (p.check) DIMONA_TRY(p.check(*command, *ledger_));
  WriteOutcome o;
  o.is_action = command->is_action;
  const std::string_view raw(text_.data(), size);
  const SourcePosition* position = p.position ? &*p.position : nullptr;
  if (command->is_action) {
    Result<ActionSubmission> s = ledger_->submit_action(command->action, raw, p.source, position);
    DIMONA_TRY(s);
    o.stored_before = s->stored_before;
    o.action = *s;
    o.id = s->outcome.id;
    o.partition = s->partition;
  } else {
    Result<Submission> s = ledger_->submit(command->declaration, raw, p.source, position);
    DIMONA_TRY(s);
    o.stored_before = s->stored_before;
    o.declaration = *s;
    o.id = s->declaration_id.value;
    o.partition = s->partition;
  }
  if (o.stored_before) return o;  // nothing staged
  o.offset = ledger_->next_offset(o.partition) - 1;
  o.event_json.assign(ledger_->last_staged_event(o.partition));
  o.source_position.assign(ledger_->last_staged_source(o.partition));
  return o;
}

void EmbeddedLedgerService::process(std::deque<Pending>& group) {
  struct Staged {
    Pending* pending;
    WriteOutcome outcome;
    bool durable = false;  // known only after a failed commit
  };
  // Nothing of the group is decided: each write answered `why`, each reader of the writer run.
  auto refuse = [&group, this](const Status& why) {
    for (Pending& p : group) {
      if (p.on_writer)
        p.on_writer(ledger_.get());
      else
        p.done(why);
    }
  };
  if (!open_writer())
    return refuse(unavailable("not stored: the writer could not open (" + writer_failure_.to_string() + ")"));
  if (!recover())
    return refuse(ledger_->fenced()
                      ? fenced_refusal("another process writes its partitions now")
                      : unavailable("not stored: the writer's state cannot be folded from the log; retry later"));
  // A writer sharing the projector's states holds the readers out from its first decision until
  // the group is durable and folded into the read models (embedded_service.h, "One state").
  // Nobody is answered under that lock: an answer may read.
  std::unique_lock<std::shared_mutex> readers(fold_mutex_, std::defer_lock);
  if (shares_) readers.lock();
  std::vector<std::pair<Pending*, Status>> refused;
  std::vector<Staged> staged;
  for (Pending& p : group) {
    if (p.on_writer) {
      p.on_writer(ledger_.get());
      continue;
    }
    Result<WriteOutcome> o = stage(p);
    if (o.is_ok()) staged.push_back(Staged{&p, std::move(*o), false});
    else
      refused.emplace_back(&p, o.status());
  }
  auto answer_refused = [&refused] {
    for (auto& [p, why] : refused) p->done(std::move(why));
  };
  if (staged.empty() && ledger_->staged_events() == 0) {
    if (readers.owns_lock()) readers.unlock();
    return answer_refused();
  }
  const size_t staged_events = ledger_->staged_events();
  Status committed = ledger_->commit();
  if (!committed.is_ok()) {
    // The log says what was stored: a submission below its partition's end
    // offset is durable (201), the others were not written (503). The state,
    // ahead of the log, is folded from the log again, and writes go on.
    // On a fencing log a newer writer's fence may have come first: the records
    // after it are stored but are no events, so not durable (stored_events_end).
    // Compared at the offset the log gave (a zombie's records stepped over may have moved it).
    commit_failures_ += 1;
    size_t stored = 0;
    std::map<uint32_t, Result<Offset>> ends;  // per partition, asked once
    for (Staged& st : staged) {
      const uint32_t p = st.outcome.partition;
      if (!st.outcome.stored_before && !ends.contains(p)) ends.emplace(p, ledger_->stored_events_end(p));
      st.durable = st.outcome.stored_before ||
                   (ends.at(p).is_ok() && ledger_->stored_offset(p, st.outcome.offset) < *ends.at(p));
      stored += st.durable ? 1 : 0;
    }
    // A writer that shares the states staged into the read side's: the two part ways.
    Status reloaded = shares_ ? unshare() : ledger_->reload();
    std::fprintf(stderr,
                 "dimona-ledger: serve: a commit to the log failed (%s): %zu of %zu submission(s) stored, the others "
                 "answered 503 not stored; %s\n",
                 committed.to_string().c_str(), stored, staged.size(),
                 reloaded.is_ok() ? "the writer's state was folded from the log again, writes go on"
                                  : ("the state could not be folded from the log (" + reloaded.to_string() +
                                     "): writes are refused until it can").c_str());
    if (!reloaded.is_ok()) {
      std::lock_guard lock(queue_mutex_);
      failed_ = true;
    }
  }
  if (committed.is_ok()) {
    // Each event as the log stored it, handed to the fold instead of read back (issue 11): a
    // zombie's fenced records may have taken the predicted offsets (ledger.h), so the log's offsets.
    std::vector<Projector::Appended> handed;
    for (Staged& st : staged) {
      if (st.outcome.stored_before) continue;
      st.outcome.offset = ledger_->stored_offset(st.outcome.partition, st.outcome.offset);
      handed.push_back(Projector::Appended{st.outcome.partition, st.outcome.offset, st.outcome.event_json,
                                           st.outcome.source_position});
    }
    // One event per staged submission, its last: anything else staged is read back from the log.
    fold(handed.size() == staged_events ? &handed : nullptr, std::move(readers));
  } else {
    fold(nullptr, std::move(readers));
  }
  answer_refused();
  for (Staged& st : staged) {
    if (committed.is_ok() || st.durable) st.pending->done(std::move(st.outcome));
    else if (ledger_->fenced())
      st.pending->done(fenced_refusal(committed.to_string()));
    else st.pending->done(unavailable("not stored: the log could not commit this write (" + committed.to_string() +
                                      "); nothing of it was written, retry"));
  }
}

void EmbeddedLedgerService::fold(const std::vector<Projector::Appended>* handed,
                                 std::unique_lock<std::shared_mutex> lock) {
  {
    if (!lock.owns_lock()) lock.lock();
    if (handed != nullptr) {
      uint64_t folded = 0;
      Result<bool> whole = projector_->fold_appended(*handed, &folded, /*state_applied=*/shares_);
      events_folded_ += folded;
      events_handed_over_ += folded;
      // Records came between, or one did not decode: the log says what they are.
      if (!whole.is_ok() || !*whole) handed = nullptr;
    }
    if (handed == nullptr && shares_) {
      // The states hold the group, the read models not all of it: the two part ways.
      if (!unshare().is_ok()) fold_failures_ += 1;
    } else if (handed == nullptr && !stale_) {
      Result<ReplayStats> stats = projector_->catch_up();
      if (stats.is_ok()) {
        events_folded_ += stats->events;
      } else {
        // What the log holds is answered as stored all the same; the next group's fold retries.
        fold_failures_ += 1;
        std::fprintf(stderr, "dimona-ledger: serve: folding the read models failed (%s); retried at the next write\n",
                     stats.status().to_string().c_str());
      }
    }
    ledger_time_micros_ = projector_->ledger_time().micros;
    note_progress();
    lock.unlock();
  }
  // Counted, then through the mutex wait_for() waits under: a fold between its check and its
  // wait still wakes it (else it would sleep until its deadline).
  folds_.fetch_add(1);
  { std::lock_guard queue(queue_mutex_); }
  folded_.notify_all();
  // A checkpoint when one is due, beside the readers: it only reads the state, and this thread
  // is the only one that folds (writes wait for it in the queue, reads do not).
  std::shared_lock beside(fold_mutex_);
  if (stale_) return;  // states the log does not hold: never a checkpoint
  if (Result<bool> wrote = projector_->checkpoint_if_due(); !wrote.is_ok())
    std::fprintf(stderr, "dimona-ledger: serve: writing a checkpoint failed (%s); retried when one is next due\n",
                 wrote.status().to_string().c_str());
}

bool EmbeddedLedgerService::recover() {
  if (stale_) {  // a read side to fold from the log again first (unshare())
    std::unique_lock readers(fold_mutex_);
    if (Status reopened = reopen_projector(); !reopened.is_ok()) return false;
    std::fprintf(stderr, "dimona-ledger: serve: the read side was folded from the log again\n");
  }
  {
    std::lock_guard lock(queue_mutex_);
    if (!failed_) return true;
  }
  if (ledger_->fenced()) return false;  // for good: no fold of the whole log per write
  if (Status reloaded = ledger_->reload(); !reloaded.is_ok()) return false;
  std::fprintf(stderr, "dimona-ledger: serve: the writer's state was folded from the log again, writes go on\n");
  std::lock_guard lock(queue_mutex_);
  failed_ = false;
  return true;
}

bool EmbeddedLedgerService::wait_for(uint32_t partition, Offset offset, int deadline_ms) const {
  {
    std::shared_lock lock(fold_mutex_);
    if (partition < projector_->partition_count() && !projector_->loaded(partition))
      (void)projector_->partition(partition);  // throws PartitionLoading: the read waits for it, then asks again
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  for (;;) {
    const uint64_t seen = folds_.load();
    {
      std::shared_lock lock(fold_mutex_);
      if (partition < projector_->partition_count() && projector_->offset(partition) > offset) return true;
    }
    std::unique_lock lock(queue_mutex_);
    if (!folded_.wait_until(lock, deadline, [&] { return folds_.load() != seen; })) {
      std::shared_lock fold(fold_mutex_);
      return partition < projector_->partition_count() && projector_->offset(partition) > offset;
    }
  }
}

// The citizen's offsets are the live index's: complete up to `at` once the partition has folded
// an event recorded after it (recordedAt never decreases in a partition, so every event not yet
// folded is later still). Otherwise, events appended but not folded might be recorded by `at`:
// the whole state, whose bounds are the log's own.
Result<std::shared_ptr<const Projector>> EmbeddedLedgerService::citizen_state_at(Ssin citizen, Instant at) const {
  const uint32_t p = partition_of(citizen);
  std::vector<Offset> offsets;
  bool complete = false;
  {
    std::shared_lock lock(fold_mutex_);
    if (stale_) return unavailable(ReadSideUnavailable().what());
    if (std::optional<std::vector<Offset>> early = projector_->loading_citizen_offsets(citizen)) {
      offsets = std::move(*early);  // all of the citizen's, to the log's end ("Serve at once")
      complete = true;
    } else {
      complete = projector_->holds(p) && projector_->partition(p).last_recorded_at() > at;
      if (complete) offsets = projector_->citizens(p).offsets(citizen);
    }
  }
  if (!complete) return state_at(at);
  return past_->citizen_at(citizen, offsets, at);
}

Result<std::shared_ptr<const Projector>> EmbeddedLedgerService::citizen_state_while_loading(Ssin citizen) const {
  if (!loading_) return std::shared_ptr<const Projector>();
  std::optional<std::vector<Offset>> offsets;
  {
    std::shared_lock lock(fold_mutex_);
    if (stale_) return unavailable(ReadSideUnavailable().what());
    offsets = projector_->loading_citizen_offsets(citizen);
  }
  if (!offsets) return std::shared_ptr<const Projector>();
  // Every event of the citizen up to the log's end: an instant past any recordedAt.
  return past_->citizen_at(citizen, *offsets, Instant{std::numeric_limits<int64_t>::max()});
}

Result<std::shared_ptr<const Projector>> EmbeddedLedgerService::citizen_state_of(Ssin citizen,
                                                                                 const std::vector<Offset>& offsets,
                                                                                 Instant at) const {
  {
    std::shared_lock lock(fold_mutex_);
    if (stale_) return unavailable(ReadSideUnavailable().what());
  }
  return past_->citizen_at(citizen, offsets, at);
}

Result<std::vector<PartitionProgress>> EmbeddedLedgerService::progress() const {
  std::vector<PartitionProgress> out;
  {
    // A snapshot taken after each fold: /ready and /metrics never wait for a commit in flight.
    std::lock_guard lock(progress_mutex_);
    out = progress_;
  }
  std::unique_lock lock(ends_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) {
    // Another read is asking the log: answer from the ends it last gave, never queue behind it.
    std::lock_guard known(known_ends_mutex_);
    if (!ends_known_) return unavailable("the log's ends are being asked for; retry");
    for (PartitionProgress& p : out)
      p.end = std::max(p.folded, p.partition < known_ends_.size() ? known_ends_[p.partition] : Offset{0});
    return out;
  }
  for (PartitionProgress& p : out) {
    Result<Offset> end = ends_->end_offset(p.partition);
    DIMONA_TRY(end);
    p.end = *end;
  }
  std::lock_guard known(known_ends_mutex_);
  for (const PartitionProgress& p : out) {
    if (p.partition >= known_ends_.size()) known_ends_.resize(p.partition + 1, 0);
    known_ends_[p.partition] = p.end;
  }
  ends_known_ = true;
  return out;
}

bool EmbeddedLedgerService::ready() const {
  if (loading_ || writer_status_ == WriterStatus::kFailed || stale_) return false;
  std::lock_guard lock(queue_mutex_);
  return !failed_ && !stopping_;
}

std::string_view EmbeddedLedgerService::writer_status() const {
  switch (writer_status_.load()) {
    case WriterStatus::kOpening: return "opening";
    case WriterStatus::kOpen: return "open";
    case WriterStatus::kFailed: return "failed";
  }
  return "failed";
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
  stop_loading_ = true;
  if (loader_.joinable()) loader_.join();
  if (writer_.joinable()) writer_.join();
  ledger_.reset();                    // before the projector: it may point into its states
  if (!projector_ || stale_) return;  // open() failed before the projector existed; or states the log lacks
  std::unique_lock lock(fold_mutex_);
  (void)projector_->checkpoint();
}

}  // namespace dimona::api
