// Projector: folds the events of a Log (engine/log/log.h) into per-partition state, on
// several threads, with checkpoints. A partition's state is its LedgerState
// (periods, the read models' source) and one instance of each registered
// read model (read_model.h; by default standard_read_models(): the AnomalyLog,
// the DeclarationLog, where each declaration is, for GET
// /v1/declarations/{id}, the CitizenIndex, where each citizen's events
// are, for a citizen's history, the ConsultationLog, who looked, and the
// CareerBreakIndex, each employer's and citizen's career-break records, the
// AccessIndex, each citizen's attestations and consents, and the WriterIndex,
// what a writer starting from this state needs beside it).
//
// Contract. Each partition is folded by one thread at a time, in offset
// order, into its own LedgerState (the fold the decision side uses, so read
// models and decisions never disagree); partitions are spread over
// `threads` workers. catch_up() folds every partition to the log's end in
// rounds of at most `round_events` events per partition; between rounds,
// and at the end, it writes a checkpoint when one is due (every
// `checkpoint_every_events` events or `checkpoint_every_seconds`): every
// partition's state and offset in one SQLite transaction
// (checkpoint_store.h). Each partition is read by its own LogConsumer,
// positioned at the partition's next offset; a record below it (a
// redelivery) is skipped by its offset, so nothing is folded twice. Records
// are read through a FenceFilter (engine/log/fence.h): fence records and a
// zombie writer's fenced records are no events; each partition's fence in
// effect is kept with its offset in the checkpoint.
// open() loads the latest checkpoint, if any, so a
// restart resumes from its offsets; a checkpoint of another format or
// another log shape is refused with a clear message (run `replay --rebuild`).
// A read model whose checkpoint section is missing or of another version is
// folded again alone, from its partition's start, before the next fold
// (backfill); the other models and the LedgerState keep the checkpoint's.
// The result is the same bytes whatever the thread count or the restarts
// (a test proves it). Queries (state_of) are for after catch_up, from one
// thread; catch_up itself is not reentrant.
//
// At an instant (options.as_of, docs/audit.md): the projector is the state a
// replay of the events recorded by then gives, exactly. It starts from the
// latest kept checkpoint at or before the instant (CheckpointStore::
// load_before), folds each partition up to its first record recorded after
// it (first_offset_after), and never writes a checkpoint: a past state is a
// view, not the ledger's progress. state_hash() is the hash of the state
// and offsets it holds (checkpoint_store.h state_hash_of), the one a
// checkpoint records.
//
// Serve at once (issue 13 item 4). open_deferred() checks the latest
// checkpoint against the log as open() does, and loads no partition; load()
// then loads them on `threads` threads, each partition whole (its checkpoint
// bytes, any read model to fold again, then its log past the checkpoint)
// before it is marked loaded, so a loaded partition answers exactly as it
// would after open() and catch_up(). Until then every accessor of that
// partition (partition(), find_model(), state_of(), find(), ...; those of
// every partition for the ones that read them all) throws PartitionLoading,
// and the partition asked for is loaded next, before the others in order.
// No reader ever sees a partition half-loaded, nor one that is not there
// as empty. Nothing is folded by catch_up(), handed over or checkpointed
// until every partition is loaded. Loading writes only the partition's own
// slots, so readers of loaded partitions go on meanwhile without a lock.
// A citizen need not wait for a partition: loading_citizen_offsets() gives
// the citizen's offsets from the checkpoint's CitizenIndex section alone
// (read without the rest of the partition's bytes) and the log past it, for
// of_citizen() to fold the citizen's events up to the log's end.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/ledger.h"
#include "engine/ledger_state.h"
#include "engine/log/log.h"
#include "engine/log/log_tools.h"
#include "engine/quota_schedule.h"
#include "projections/access_index.h"
#include "projections/anomaly_log.h"
#include "projections/career_break_index.h"
#include "projections/checkpoint_store.h"
#include "projections/citizen_index.h"
#include "projections/consultation_log.h"
#include "projections/declaration_log.h"
#include "projections/read_model.h"
#include "projections/writer_index.h"

namespace dimona {

struct ProjectorOptions {
  unsigned threads = 1;
  std::string checkpoint_path;  // empty: no checkpoints
  uint64_t checkpoint_every_events = 5'000'000;
  double checkpoint_every_seconds = 30;
  uint64_t round_events = 1'000'000;  // per partition, between two checkpoint chances
  // The partitions this process owns (a consumer group's share; empty: all).
  // catch_up() folds those only; the others keep the state and offset the
  // checkpoint had for them (consistent, possibly behind), so a partition
  // given back later resumes from there.
  std::vector<uint32_t> partitions;
  // The reference data every partition's state reads (LedgerState::set_quota_schedule); null: default_quota_schedule().
  std::shared_ptr<const QuotaSchedule> quota;
  // Checkpoints kept (CheckpointStore::save), 1..limits::checkpoints_kept_max.
  size_t keep_checkpoints = limits::checkpoints_kept_default;
  // Whether every catch_up() that folded something ends with a checkpoint (replay, export: the
  // run's result is kept). false (serve, which folds after each commit): a checkpoint only when one
  // is due, counted across catch_up() calls, and at checkpoint().
  bool checkpoint_at_end = true;
  // false (serve): catch_up() and fold_appended() never write a checkpoint themselves; the caller
  // calls checkpoint_if_due() where readers may go on (under a lock they share: writing one of a
  // 50 M-event state takes minutes, and no read should wait for it).
  bool checkpoint_in_fold = true;
  // Fold only the events recorded at or before this instant (see the contract); nullopt: all.
  std::optional<Instant> as_of;
  // The read models folded beside the LedgerState, one per partition each (names unique); empty: standard_read_models().
  std::vector<ReadModelFactory> read_models;
  // Given, each event a fold reads from the log (catch_up(), load(); not one handed over, nor one
  // read again for a backfill) has its id added to it, once: for a projector folding every
  // partition from its start (replay --rebuild), finish() then checks the log's ids
  // (log_tools.h) without reading it again. It must outlive the folds.
  DuplicateEventCheck* event_ids = nullptr;
  // Serve at once: the most events past a partition's checkpoint that loading_citizen_offsets()
  // reads for the partition's citizens before it is loaded (past it, they wait for the load).
  uint64_t loading_tail_events_max = limits::loading_citizen_tail_events_max;
};

struct ReplayProgress {
  uint64_t events = 0;   // folded in this run
  uint64_t total = 0;    // to fold in this run
};

struct ReplayStats {
  uint64_t events = 0;          // folded in this run
  uint64_t resumed_events = 0;  // already in the checkpoint it started from
  // Events folded again into read models the checkpoint lacked (backfill); a replay that did so
  // ends with a checkpoint even when nothing new was folded, so the next start does not again.
  uint64_t backfilled_events = 0;
  uint64_t checkpoints = 0;
  double seconds = 0;
};

// The latest checkpoint at `path` as a writer's seed (engine/ledger.h, "Starting from the read
// side") without building its states: each partition's LedgerState bytes (Ledger::open merges
// them from their bytes), offset, fence and `writer` section. For a writer that needs no read
// model (ingest, submit, ...): half the work and memory of a Projector's open. The seed's views
// point into *keep. nullopt when there is no checkpoint, it has another partition count, or a
// partition lacks a `writer` section of this version (an older checkpoint); kCorruption when its
// framing or its writer section does not decode.
Result<std::optional<WriterSeed>> writer_seed_of_checkpoint(const std::string& path, uint32_t partitions,
                                                            Checkpoint* keep);

// Thrown by a deferred projector's accessors for a partition not loaded yet ("Serve at once"):
// the HTTP edge answers 503 with Retry-After, and that partition is loaded next.
struct PartitionLoading : std::runtime_error {
  PartitionLoading(uint32_t p, uint32_t loaded, uint32_t count)
      : std::runtime_error("partition " + std::to_string(p) + " is being loaded (" + std::to_string(loaded) + " of " +
                           std::to_string(count) + " loaded); retry"),
        partition(p) {}
  uint32_t partition;
};

class Projector {
 public:
  static Result<std::unique_ptr<Projector>> open(Log& log, const ProjectorOptions& options);
  // A projector whose partitions load() loads (see "Serve at once"). Every partition held, no
  // instant: kInvalidArgument otherwise. Refuses a checkpoint as open() does.
  static Result<std::unique_ptr<Projector>> open_deferred(Log& log, const ProjectorOptions& options);
  // Loads every partition not loaded yet on options.threads threads, those asked for first;
  // `loaded(p)` is called (on a loading thread) as each one becomes readable. Stops between two
  // partitions once *stop is true (kCancelled-like: kUnavailable, the projector stays deferred).
  // Once all are loaded, what it folded (ReplayStats: resumed_events from the checkpoint, events
  // past it, backfilled_events) and the projector is as open() and catch_up() leave one. Not
  // reentrant; readers may read loaded partitions meanwhile.
  Result<ReplayStats> load(const std::function<void(uint32_t)>& loaded = {}, const std::atomic<bool>* stop = nullptr);
  // Whether partition p can be read (always, for a projector not deferred); how many can.
  bool loaded(uint32_t p) const { return loaded_[p].load(std::memory_order_acquire); }
  uint32_t loaded_count() const;
  bool fully_loaded() const { return loaded_count() == partition_count(); }
  // After a load() that failed: whether it failed reading or decoding the checkpoint (which may
  // then be set aside and the log folded instead), not the log.
  bool checkpoint_refused() const;
  // The ledger time of the checkpoint a deferred projector loads (Checkpoint::ledger_time; 0 without
  // one): while the partitions load, ledger_time() cannot be had, and this is where it starts.
  Instant checkpoint_ledger_time() const;
  // While the citizen's partition is not loaded: the offsets of every event of the citizen in the
  // partition to the end the load folds to (the checkpoint's CitizenIndex, then the log past the
  // checkpoint, fenced and decoded as the load folds it), for of_citizen(): the citizen's reads
  // then need not wait for the partition (a deferred projector's log takes no append until the
  // load ends). Built once per partition, on the first reader's thread (others wait for it), and
  // dropped once the partition is loaded. nullopt when the partition is loaded (read it), or when the
  // offsets cannot be had early (wait for the load, which says why if it is an error): the
  // checkpoint has no CitizenIndex section of this version, more than
  // ProjectorOptions::loading_tail_events_max events lie past it, or a read or decode fails.
  std::optional<std::vector<Offset>> loading_citizen_offsets(Ssin citizen) const;
  // One citizen at an instant (issue 12, item 4; docs/audit.md "One citizen"):
  // a projector whose partition `p` (the citizen's) holds only the events at
  // `offsets` (the citizen's, increasing: its CitizenIndex's list, taken by
  // the caller from a live projector) recorded at or before `as_of`, folded
  // into a fresh LedgerState and read models; the other partitions are
  // empty. A citizen's views fold only the citizen's own events
  // (citizen_index.h), so it answers every read about that citizen exactly as
  // the whole state at `as_of` does (a test compares them route by route);
  // it answers nothing else. The offsets are read by events_at (only those
  // records); recordedAt never decreases in a partition, so the events kept
  // are a prefix, and the reading stops at the first one after `as_of`. The
  // caller must know every citizen event recorded by `as_of` is in `offsets`
  // (the live fold has passed one recorded after it). kCorruption when a
  // record does not decode or is not the citizen's; the log's errors.
  // `reader`: a consumer of `log` to read with (open_reader()), or null for one of its own.
  static Result<std::unique_ptr<Projector>> of_citizen(Log& log, const ProjectorOptions& options, Ssin citizen,
                                                       const std::vector<Offset>& offsets, Instant as_of,
                                                       LogConsumer* reader = nullptr);
  ~Projector();

  Result<ReplayStats> catch_up(const std::function<void(const ReplayProgress&)>& progress = {});
  // catch_up() to given offsets, one per partition (none below a partition's
  // offset: kInvalidArgument): `audit verify` folds to each checkpoint's.
  Result<ReplayStats> catch_up_to(const std::vector<Offset>& ends,
                                  const std::function<void(const ReplayProgress&)>& progress = {});
  // Writes a checkpoint now (when a checkpoint path is set): a server stopping saves its state.
  // Nothing when the latest checkpoint already holds this state (loaded by open() with no model
  // to fold again, or written since, and nothing folded after): a stop that changed nothing adds
  // no copy.
  Status checkpoint();
  // Writes one when due, as a fold would (true when it did). It only reads the state, so it may
  // run while other threads read this projector, never while one folds into it.
  Result<bool> checkpoint_if_due();

  // An event a writer of this process appended and the log stored (serve: the Ledger beside
  // this projector), handed over as the log holds it: its partition, offset and payload.
  struct Appended {
    uint32_t partition = 0;
    Offset offset = 0;
    std::string_view payload;
    std::string_view source;  // the record's source position as appended (LogRecordDraft::source)
  };
  // Folds `events` (each partition's in offset order) as catch_up() would read them, without
  // reading the log (issue 11: serve folded each write again from the log it had just written).
  // An event of a held partition is folded when it is that partition's next offset; one below
  // it was folded already and is skipped; one past it (records came between: a zombie's fenced
  // records, another writer's) stops that partition's hand-over, its later events are left too,
  // and the answer is false: the caller then catches up from the log, which folds them. The
  // caller vouches that the events are durable and are the log's bytes at those offsets
  // (a fence filter has nothing to drop: the writer's own epoch). A checkpoint is written when
  // one is due, as catch_up() does with checkpoint_at_end off. kCorruption when a payload does
  // not decode; never for a projector at an instant.
  // `state_applied`: the writer folded the events into this projector's LedgerStates already
  // (it shares them: writer_seed(true)); only the read models take them. A hand-over that is
  // not whole then leaves states and read models apart: the caller opens the projector again.
  Result<bool> fold_appended(std::span<const Appended> events, uint64_t* folded = nullptr, bool state_applied = false);

  uint32_t partition_count() const { return static_cast<uint32_t>(states_.size()); }
  // True when this projector folds partition p (ProjectorOptions::partitions).
  bool holds(uint32_t p) const { return held_[p]; }
  const LedgerState& partition(uint32_t p) const {
    require(p);
    return *states_[p];
  }
  const LedgerState& state_of(Ssin citizen) const;
  // The partition of the citizen's events (partition_for, engine/ledger.h).
  uint32_t partition_of(Ssin citizen) const;
  // The first record `f` finds (a non-null pointer), asking each partition's
  // state in turn: for a record whose id does not say its partition (a
  // ticket, a data-access request, an answer, an employer's settings).
  template <typename F>
  auto find(F&& f) const -> decltype(f(std::declval<const LedgerState&>())) {
    for (uint32_t p = 0; p < partition_count(); ++p) {
      require(p);
      if (auto* found = f(*states_[p])) return found;
    }
    return nullptr;
  }
  // Refused and warned declarations (anomaly_log.h), per partition.
  const AnomalyLog& anomalies(uint32_t p) const { return model<AnomalyLog>(p); }
  const AnomalyLog& anomalies_of(Ssin citizen) const;
  // An employer's refused and warned declarations and refused actions, every partition's,
  // oldest first (recordedAt, then id): AnomalyLog::of_employer over each partition.
  std::vector<AnomalyRecord> anomalies_of_employer(uint64_t employer) const;
  // Where each declaration of partition p is (declaration_log.h).
  const DeclarationLog& declarations(uint32_t p) const { return model<DeclarationLog>(p); }
  // The read model of type T of the citizen's partition.
  template <typename T>
  const T& model_of(Ssin citizen) const {
    return model<T>(partition_of(citizen));
  }
  // Partition p's read model of type T (registered under T::kName); nullptr when T is not registered.
  template <typename T>
  const T* find_model(uint32_t p) const {
    require(p);
    for (const auto& m : models_[p])
      if (m->name() == T::kName) return static_cast<const T*>(m.get());
    return nullptr;
  }
  template <typename T>
  const T& model(uint32_t p) const {
    const T* found = find_model<T>(p);
    DIMONA_ASSERT(found != nullptr);  // the standard read models are always registered
    return *found;
  }
  // The event (one JSON object) at `offset` of partition p, read from the
  // log by a consumer of its own (so from any thread); kFailedPrecondition
  // past the end.
  Result<std::string> event_at(uint32_t p, Offset offset) const;
  // Where each citizen's events of partition p are (citizen_index.h).
  const CitizenIndex& citizens(uint32_t p) const { return model<CitizenIndex>(p); }
  // The events (JSON objects) at `offsets` (increasing) of partition p, in
  // that order, through `reader` (open_reader()) or else a consumer of its
  // own (LogConsumer::read_at: no other part of the partition is read but
  // what the backend reads through, the records between kept from no one);
  // kFailedPrecondition past the end.
  Result<std::vector<std::string>> events_at(uint32_t p, const std::vector<Offset>& offsets,
                                             LogConsumer* reader = nullptr) const;
  // f(offset, event) for the events at `offsets` (increasing) of partition p, in that order,
  // read by events_at() limits::citizen_history_read_events at a time (so a long history is
  // never held whole) through `reader`, or else one consumer of its own for the whole walk.
  // f answers true to go on, false to stop there (not an error), or an error, which is returned.
  Status for_each_event_at(uint32_t p, std::span<const Offset> offsets, LogConsumer* reader,
                           const std::function<Result<bool>(Offset, const std::string&)>& f) const;
  // A consumer of the log for reads by offset or instant, used by one thread at a time.
  Result<std::unique_ptr<LogConsumer>> open_reader() const { return log_.open_reader(); }
  // 0 while partition p is not loaded.
  Offset offset(uint32_t p) const { return loaded(p) ? offsets_[p] : 0; }
  // What a writer of this projector's partitions starts from (engine/ledger.h, "Starting from the
  // read side"): each held partition's state, offset and fence, and its WriterIndex (the others'
  // entries empty). Points into this projector: for a Ledger::open while it is alive and not
  // folding. nullopt when it cannot serve: a projector at an instant, without the WriterIndex, or
  // whose WriterIndex is still to be folded again (a checkpoint without its section: catch_up() first).
  std::optional<WriterSeed> writer_seed() const;
  // The same; `share`: its states themselves (WriterSeed::Partition::shared), for a writer that
  // decides against them and folds into them (serve: one state). While that writer lives, this
  // projector's LedgerStates are its: no catch_up() folds an event, fold_appended() takes
  // `state_applied`, and whoever reads this projector is kept out while it stages.
  std::optional<WriterSeed> writer_seed(bool share);
  // The latest ledger time over all partitions: the reference date of exports.
  Instant ledger_time() const;
  // The instant this projector stops at (ProjectorOptions::as_of); nullopt: the log's end.
  const std::optional<Instant>& as_of() const { return options_.as_of; }
  // Partition p's offset and state bytes, as a checkpoint holds them (p loaded: require(p)); and
  // the hash of every partition's (32 bytes, state_hash_of), which holds one partition's bytes at a time.
  // `room`: bytes reserved for it first (untouched, they cost no memory), so that it is not
  // copied into a buffer twice as large as it grows past a guess.
  PartitionCheckpoint encode(uint32_t p, size_t room = 0) const;
  std::string state_hash() const;

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  Projector(Key, Log& log, const ProjectorOptions& options);

 private:
  // The options checked and completed (read models, quota), and a projector built from them with
  // nothing loaded: what open() and open_deferred() start from.
  static Result<std::unique_ptr<Projector>> make(Log& log, const ProjectorOptions& options);
  // Throws PartitionLoading (and asks for p) while partition p is not loaded.
  void require(uint32_t p) const {
    if (!loaded(p)) [[unlikely]]
      want(p);
  }
  [[noreturn]] void want(uint32_t p) const;
  // Partition p's CitizenIndex before its load (loading_citizen_offsets()); null when it cannot be had.
  std::unique_ptr<CitizenIndex> early_citizen_index(uint32_t p) const;
  // Partition p's state and read models from its checkpoint bytes (open(), load()).
  Status install(uint32_t p, PartitionCheckpoint&& checkpoint);
  // load(): loads the next partition (one asked for, else the lowest unclaimed); nullopt when none is left.
  // `stop`: heard between two rounds of the partition's fold past its checkpoint.
  Result<std::optional<uint32_t>> load_next(const std::atomic<bool>* stop);
  Status fold_partition(uint32_t p, Offset until, uint64_t max_events, uint64_t* folded);
  // Partition p's state and read models take `event`, the record at offsets_[p], which moves past it.
  // `source`: the record's source position (FoldedRecord).
  Status fold_event(uint32_t p, const Event& event, std::string_view source, bool state_applied = false);
  // True when a checkpoint is due: a path, not at an instant, and checkpoint_every_events
  // events since the last, or checkpoint_every_seconds and at least nine times the last one's
  // writing time (so writing checkpoints takes at most a tenth of a server's time).
  bool checkpoint_due() const;
  // checkpoint_due(), and the folds write checkpoints themselves (ProjectorOptions::checkpoint_in_fold).
  bool checkpoint_due_in_fold() const;
  Status save_checkpoint();

  Log& log_;
  ProjectorOptions options_;
  std::vector<std::unique_ptr<LogConsumer>> consumers_;  // per partition, opened at its first fold
  std::vector<std::unique_ptr<LedgerState>> states_;
  // Folds the read models marked in backfill_ from their partition's start to offsets_; adds the
  // events read to *folded.
  Status backfill(uint64_t* folded);
  Status backfill_partition(uint32_t p, uint64_t* folded);

  std::vector<std::vector<std::unique_ptr<ReadModel>>> models_;  // per partition, in options_.read_models' order
  std::vector<std::vector<bool>> backfill_;                      // per partition and model: to fold again
  std::vector<Offset> offsets_;  // next offset to fold, per partition
  // Since the last checkpoint written (or open()): events folded and when, across catch_up() calls.
  uint64_t unsaved_events_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
  double last_checkpoint_seconds_ = 0;  // how long the last one took to write
  // Per partition: its last checkpoint's bytes and offset, whence the room its next one reserves.
  std::vector<std::pair<size_t, Offset>> encoded_;
  bool checkpoint_current_ = false;     // the latest checkpoint holds exactly this state (checkpoint())
  std::vector<Offset> fences_;   // per partition: the latest fence before offsets_ (kNoEpoch: none; fence.h)
  std::vector<bool> held_;       // per partition: folded by catch_up()
  std::unique_ptr<std::atomic<bool>[]> loaded_;  // per partition: readable ("Serve at once")
  struct Deferred;                               // open_deferred(): what load() works from
  std::unique_ptr<Deferred> deferred_;
};

}  // namespace dimona
