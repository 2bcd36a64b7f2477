// Ledger: the single writer of a log — decides declarations and actions against the
// current state, stages their events, and appends them durably, partition by
// partition, through the log seam (engine/log/log.h).
//
// Contract. open() takes one producer per partition of the log (the fence:
// kBusy when another writer holds one) and folds the whole log into a
// LedgerState (the backend checks every record), keeping each partition's
// end offset and, per input source, the last source position stored in it
// (source_position.h). submit() decides one declaration against the state of
// its subject's partition (the worker's; the partition holding the period an
// UPDATE, OUT or CANCEL names) with what the other partitions hold as
// RemoteFacts (remote_facts.h), encodes its event into the staged events of
// that partition and folds it at once, so the next submission sees it. The quota schedule is reference data the
// state reads beside the events (LedgerState::set_quota_schedule): no quota
// event is written, and each decision takes the figure known at its own
// recordedAt (quota_schedule.h). A submission given a SourcePosition whose
// item a held partition stores, or proves answered (SourceTails, exact: the
// item is never decided again to find its partition), is a redelivery:
// nothing is decided, staged or folded and it comes back with stored_before
// set. commit() appends each partition's staged
// events (one append per partition; nothing spans partitions) and returns
// once all are durable; commit_async() hands them to the Ledger's committer
// thread and returns at once, so deciding the next group overlaps the log's
// I/O (double buffering: it first waits for the previous group, so a group
// is appended only once the one before it is durable); sync() waits for
// what is in flight and returns its outcome. Offsets are predicted
// (next_offset()) and checked against those the log assigns: a difference
// means another writer appended, and the commit fails (kFailedPrecondition).
// On a log that fences writers (Kafka; log.h "Fence"), open() first appends a
// fence record to each held partition, whose offset is this writer's epoch
// there, and every fold reads through a FenceFilter (engine/log/fence.h): a
// zombie's records after the fence are no events. A commit whose offsets were
// overtaken only by such fenced records (an older epoch's) succeeds: this
// writer's decisions never depended on them. One overtaken by a newer fence
// fails: "partition P: fenced by a newer writer at offset F"; this writer is
// the zombie, and its records after that fence are dropped by every reader.
// After a failed commit the state may be ahead of the log: reload() drops
// what is staged or in flight and folds the log again, so the state equals
// what the log holds and the Ledger accepts submissions again (a writer
// recovers without a restart once the storage does; docs/operations.md).
//
// Ledger time never goes back within a partition (the log's order): a
// submission without recordedAt gets max(clock, last recordedAt of the
// whole ledger); one with recordedAt earlier than the last event of its
// partition (known once it is decided), or more than the future skew (limits::recorded_at_future_skew_seconds
// unless set) ahead of the clock, is refused (kInvalidArgument, "field
// recordedAt: ...") and nothing is staged.
//
// Ids without a global counter. The ledger's own ids (declarations,
// periods not imported, actions) are 12-digit Dimona ids whose body is
// kLedgerIdBodyFirst + n * P + p: p the partition of the event that
// allocates them, P the log's partition count, n that partition's own
// serial. So an id says its partition (ledger_id_partition), two writers of
// disjoint partitions never allocate the same id, and a partition's ids
// depend only on its own events: the same input gives the same ids
// whatever the process layout. A partition whose serials would pass
// kDimonaIdBodyMax refuses the submission (kFailedPrecondition).
//
// Look-ups across partitions. A writer that does not hold every partition
// (a consumer group's member) decides with what other partitions hold
// through the log's directory (directory.h, use_directory()): an UPDATE,
// OUT or CANCEL, or a career-break action, whose period, ticket or
// notification another writer holds is refused with that partition's
// not-held status (so serve redirects it to the owner) instead of being
// decided as unknown; an imported id or token in use elsewhere is in use;
// a grant or refusal reads its request (and whether it was answered) from
// the directory; a notification reads its employer's setting there. Each
// commit group's directory rows are put by the committer once its events
// are durable, before commit() or sync() return; a fold (open, reload,
// use_directory) puts again any row of the held partitions the directory
// lacks (a group whose rows were lost with a failed commit, a log written
// before the directory). A writer holding every partition decides from its
// own state alone, and writes the rows all the same.
//
// Starting from the read side. A writer may be opened with a WriterSeed (the Projector's states, loaded from its
// checkpoint and caught up, or a checkpoint's state bytes: api/ledger_root):
// it loads each partition's state (or, when the seed shares them, folds into
// the read side's very states: one state in `serve`), takes each
// partition's source positions, id serials and last recordedAt from the seed,
// and folds only the records after the seed's offsets, through a FenceFilter
// started at the seed's fence; what it then decides is what it decides after
// a fold from offset 0 (a test proves it). The record before each seed offset
// must carry the recordedAt of the seed state's last event, or the seed is
// another log's. This is the start of `serve` (a group member's too, for the
// partitions it holds: the seed's other partitions are not read) and of the
// CLI's writers on a ledger with a checkpoint: the log is not folded from
// offset 0 again. A shared seed refused because the log holds events past it
// (a zombie's, before this writer's fence) serves unshared: its states
// copied, the tail folded into the copies. A writer of some partitions puts
// again the rows its partitions' states imply and the directory lacks
// (Directory::rows_of_state: the seed's events' rows included, which a writer
// that stopped between a group's append and its rows left out).
// Not thread-safe: one Ledger per log, used from one thread; the Log outlives it.
#pragma once

#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/decision.h"
#include "engine/directory.h"
#include "engine/ledger_state.h"
#include "engine/log/log.h"
#include "engine/quota_schedule.h"
#include "engine/secret.h"
#include "engine/source_position.h"
#include "engine/source_tails.h"

namespace dimona {

struct ActionSubmission {
  ActionOutcome outcome;
  Instant recorded_at;
  uint32_t partition = 0;
  bool stored_before = false;  // a redelivery: nothing decided nor staged (the rest empty)
};

struct Submission {
  DeclarationId declaration_id;
  Decision decision;
  Instant recorded_at;
  uint32_t partition = 0;
  bool stored_before = false;  // a redelivery: nothing decided nor staged (the rest empty)
};

// The partition of a ledger-assigned id (body at or above kLedgerIdBodyFirst)
// in a log of `partitions`; nullopt for an imported id.
std::optional<uint32_t> ledger_id_partition(uint64_t dimona_id, uint32_t partitions);

// Moves `serials` (one per partition of the log: n of each partition's next
// ledger-assigned id) past the ids the ledger gave in `event`: the
// declaration's, the period's of an IN that imported none (an UPDATE, OUT or
// CANCEL names a period id, maybe an unknown one: not the ledger's), an
// action's. Each id moves the serial of its residue, which is the partition
// of every id allocated since ids say their partition (an older log's ids
// are kept clear of just as well). A writer's fold and the read side's
// WriterIndex both keep serials by it.
void note_ledger_ids(const Event& event, std::vector<uint64_t>& serials);

// The partition a Ledger refused a submission for because it does not hold
// it (Ledger::open's `held`), read back from that refusal; nullopt for any
// other status. serve --group redirects such a write to the partition's owner.
std::optional<uint32_t> not_held_partition(const Status& status);

// The partition of a citizen's events: partition_for_key (log.h, Kafka's
// murmur2) of the SSIN's 11 digits, so other Kafka clients keyed by SSIN
// agree; events without a citizen (ssin 0) go to partition 0.
uint32_t partition_for(Ssin citizen, uint32_t partitions);

// A logged event of `partition` (one of `partitions`), read with `reader` (event_reader.h) and
// checked to belong there: kCorruption "partition P offset O: ..." when it does not decode, or
// when its citizen's partition (partition_for) is another, as in a log whose partition count was
// changed under it (its meta row), where every citizen would be looked for in the wrong place.
class LoggedEventReader;
Result<Event> read_logged_event(LoggedEventReader& reader, std::string_view payload, uint32_t partition, Offset offset,
                                uint32_t partitions);

// What a writer holding every partition may start from instead of folding
// the log from offset 0 (see "Starting from the read side" above): per
// partition of the log, a state folded from that partition's events alone
// (the Projector's, which must outlive open(); or its bytes, a checkpoint's;
// or, `shared`, the Projector's own state, which the writer then folds into),
// the offset it was folded to, the fence in effect there (fence.h), the last
// position each input source stored in the partition and the id serials its
// events used (both as the read side's WriterIndex keeps them).
struct WriterSeed {
  struct Partition {
    const LedgerState* state = nullptr;  // copied
    // The state itself, shared (serve: one state). The writer decides against it and folds its
    // staged events into it; the owner (a Projector) then folds them into its read models only
    // (Projector::fold_appended, `state_applied`). Every held partition's or none; the seed must
    // hold the log's every event (its records past the seed's offsets fences alone), or open()
    // refuses it (kFailedPrecondition) and folds the log into states of its own.
    LedgerState* shared = nullptr;
    // When state and shared are null, its bytes (LedgerState::save: a checkpoint's), alive for open().
    std::string_view state_bytes;
    Offset offset = 0;
    Offset fence = kNoEpoch;
    SourceTails tails;                   // where each input source stands (source_tails.h)
    std::vector<uint64_t> serials;       // one per partition of the log (note_ledger_ids); empty: none used
  };
  std::vector<Partition> partitions;

  // True when it shares its states (some partition's `shared`).
  bool shares() const;
  // The same seed with each shared state given as one to copy (`state`), for a writer of its own.
  WriterSeed unshared() const;
};

class Ledger {
 public:
  // `secret` keys the access codes and data-access tokens (secret.h).
  // `held`: the partitions this writer owns (a consumer group's share,
  // group.h; empty: all). It takes producers for those only and folds those
  // only; a submission whose event falls in another partition is refused
  // with kFailedPrecondition "partition P is not held by this writer" and
  // nothing is staged. Decisions read the held partitions, and what the
  // others hold through the directory once use_directory() gave one (see
  // "Look-ups across partitions" above); without one, an UPDATE, OUT or
  // CANCEL naming a period another writer holds is decided as one naming an
  // unknown period.
  // `seed`, when given: its start (see "Starting from the read side"); a
  // writer of some partitions reads the seed's partitions it holds only.
  // A seed of another shape (partition or serial count) is kInvalidArgument; one
  // that is not this log's (past its end, its last events not the log's, states
  // that claim the same records) is set aside and the log folded from offset 0
  // (started_from_seed() false, seed_refusal() says why).
  static Result<std::unique_ptr<Ledger>> open(Log& log, QuotaSchedule schedule, const Clock& clock, ServerSecret secret,
                                              std::vector<uint32_t> held = {}, const WriterSeed* seed = nullptr);

  // `raw` is the declaration's JSON as sent, the text decode() read (one
  // line; other line breaks are turned into spaces; identity codes are
  // logged in their canonical form, canonical_text()); `source` says where
  // it came from ("batch:FILE:LINE"); `position`, when given, where in its
  // input (written with the event; a redelivery is skipped, see above).
  Result<Submission> submit(const Declaration& declaration, std::string_view raw, std::string_view source,
                            const SourcePosition* position = nullptr);
  // An action (docs/actions.md), decided by decide_action() and staged like a declaration.
  Result<ActionSubmission> submit_action(const Action& action, std::string_view raw, std::string_view source,
                                         const SourcePosition* position = nullptr);
  // How far ahead of the clock an imported recordedAt may be (seconds, >= 0).
  void set_recorded_at_future_skew(int64_t seconds);
  // The log's directory, from now on: it answers this thread's look-ups and
  // takes the committed rows on the committer thread. Puts the rows the held
  // partitions' events imply that the directory lacks. Call before the first
  // commit.
  Status use_directory(std::unique_ptr<Directory> directory);
  // True when a partition's staged events are close to one append's limits: commit before the next submit.
  bool should_commit() const;
  // Durable when it returns ok.
  Status commit();
  // Queued; durable once a later sync(), commit() or commit_async() returns ok.
  Status commit_async();
  Status sync();
  // Drops the staged events and the group in flight (waiting for it), then
  // folds the whole log into fresh states: a writer that shared its seed's
  // states lets go of them first, whatever the fold's outcome. kCorruption or kIoError from the
  // log leave the Ledger unusable until a reload() succeeds.
  Status reload();
  // True once a fold or a commit found a newer writer's fence in a held
  // partition (log.h "Fence"): this writer never writes again, every later
  // reload() refuses.
  bool fenced() const { return fenced_; }
  ~Ledger();

  size_t staged_events() const { return staged_events_; }
  // Events staged in `partition` since the last commit, and the last of them
  // as it will be logged (one JSON line without its '\n'; empty when none).
  uint32_t staged_in(uint32_t partition) const;
  std::string_view last_staged_event(uint32_t partition) const;
  // The source position text the last event staged in `partition` carries (empty: none or none staged).
  std::string_view last_staged_source(uint32_t partition) const;
  // The offset the next event staged in `partition` gets once everything
  // staged and in flight is appended.
  Offset next_offset(uint32_t partition) const;
  // The offset the log gave the event predicted at `predicted` (next_offset()
  // when it was staged) in the last group commit() or sync() completed: the
  // prediction itself but when a zombie's fenced records came before it
  // (then later, see the contract). For the group just committed only.
  Offset stored_offset(uint32_t partition, Offset predicted) const;
  // After a failed commit, before reload(): where this writer's events end in
  // `partition`, asked of the log now. The log's end, or, on a log that fences
  // writers, the offset of a newer writer's fence after this writer's epoch:
  // the records from there on are in the log but no events (log.h "Fence"), so
  // an event the log gave an offset below the answer (stored_offset()) is
  // stored, any other not.
  Result<Offset> stored_events_end(uint32_t partition);
  // The last position of `source` stored or staged in each partition (nullopt where none).
  std::vector<std::optional<SourcePosition>> source_positions(std::string_view source) const;
  // Every source the held partitions store positions of whose name starts with `prefix`, once each.
  std::vector<std::string> sources_named(std::string_view prefix) const;
  uint32_t partitions() const;
  // Time this thread spent waiting for the log (commits in flight): when it
  // is most of the run, the log's I/O is the bottleneck, not the decisions.
  double commit_wait_seconds() const { return commit_wait_seconds_; }
  // The state of held partition p (null when not held).
  const LedgerState* partition_state(uint32_t p) const { return states_[p]; }
  // The period `id` in the held partitions (null when none holds it).
  const Period* period(PeriodId id) const;
  // The latest recordedAt of the held partitions' events, stored or staged.
  Instant last_recorded_at() const;
  // The held partitions' states merged into the empty `into` (LedgerState::merge; a copy, for
  // tests and inspection: decisions never read one).
  [[nodiscard]] Status merged_state(LedgerState* into) const;
  // True when this writer folds into its seed's shared states (WriterSeed::Partition::shared).
  bool shares_states() const { return shares_states_; }
  uint32_t partition_of(Ssin worker) const;
  bool holds(uint32_t partition) const { return held_[partition]; }
  // Whether open() started from its seed; if a seed was set aside, why (else empty).
  bool started_from_seed() const { return seeded_; }
  const std::string& seed_refusal() const { return seed_refusal_; }

 private:
  struct Committer;
  struct Staged;
  struct Key {
    explicit Key() = default;
  };

 public:
  Ledger(Key, Log& log, QuotaSchedule schedule, const Clock& clock, ServerSecret secret);  // for open() only

 private:
  // The recordedAt of the next event (kInvalidArgument when it is too far ahead of the clock).
  Result<Instant> ledger_time(const std::optional<Instant>& recorded_at);
  std::string_view one_line(std::string_view raw);
  Status stage(const Event& event, uint32_t partition, const SourcePosition* position);
  Status stage_and_fold(const Event& event, uint32_t partition, const SourcePosition* position);
  Status timed_wait();
  // True when a held partition stores `position`'s item, or proves it answered (SourceTails::holds).
  bool stored_before(const SourcePosition* position) const;
  // kInvalidArgument when `at` is before `partition`'s last event (ledger time never goes back in a partition).
  Status in_order(Instant at, uint32_t partition) const;
  // Folds the whole log into a fresh state; ends and source positions with
  // it. From `seed` (open() only): the seed's states merged, then the records
  // from its offsets on.
  Status fold(const WriterSeed* seed = nullptr);
  // kFailedPrecondition when a record past a shared seed's offsets is an event (see fold()).
  Status check_no_events_past(const WriterSeed& seed, const std::vector<Offset>& ends);
  // kFailedPrecondition unless the record before `offset` was recorded at `last` (the seed state's last event).
  Status check_seed_matches(uint32_t partition, Offset offset, const LedgerState::Summary& seed);
  // The k-th fresh id of `partition` (k = 0, 1: an IN takes two), from its serial.
  Result<uint64_t> fresh_id(uint32_t partition, uint32_t k) const;
  // Moves the serials past the ledger-assigned ids `event` holds (folded or staged).
  void note_ids(const Event& event);
  // True when decisions read the directory: a directory, and some partition not held.
  bool reads_directory() const { return directory_ != nullptr && !holds_all_; }
  // The partition whose state a declaration's or an action's decision reads:
  // the worker's, or the held partition that holds the period, ticket or
  // notification it addresses; the not-held status when that lives, per the
  // directory, in a partition another writer holds.
  Result<uint32_t> subject_partition(const Declaration& declaration);
  Result<uint32_t> subject_partition(const Action& action);
  // The facts a decision against partition p's state needs from the other
  // partitions: the held ones' states, then the directory for the others.
  Result<RemoteFacts> remote_facts(const Declaration& declaration, uint32_t p);
  Result<RemoteFacts> remote_facts(const Action& action, uint32_t p);
  // decide() (decide_action()) against the subject partition's state with the
  // other partitions' facts: the decision, and the partition its event goes
  // to (its worker's; kFailedPrecondition, not held, when another writer's).
  Result<std::pair<Decision, uint32_t>> decide_in_partition(const Declaration& d, Instant at);
  Result<std::pair<ActionOutcome, uint32_t>> decide_action_in_partition(const Action& a, Instant at,
                                                                        uint64_t placeholder);
  // kFailedPrecondition (not held) when `id` (a period, ticket or
  // notification the local state lacks) lives, per the directory, in a
  // partition this writer does not hold. One nobody holds is decided here
  // as unknown (its refusal goes to partition 0, as with one writer).
  Status check_subject_held(uint64_t id);
  // Puts the rows of folded_rows_ the directory lacks.
  Status reconcile_directory();

  Log& log_;
  std::shared_ptr<const QuotaSchedule> schedule_;  // reference data of every state this writer folds
  const Clock& clock_;
  ServerSecret secret_;
  // Per partition: the state decisions read and staged events fold into (null: not held);
  // replaced whole by reload(). Each points into owned_, or into the seed's shared states.
  std::vector<LedgerState*> states_;
  std::vector<std::unique_ptr<LedgerState>> owned_;
  bool shares_states_ = false;
  std::vector<std::unique_ptr<LogProducer>> producers_;  // one per partition: the fence; the committer uses them
  std::unique_ptr<LogConsumer> consumer_;               // folds the log; stored_events_end()
  std::vector<Staged> staged_;                          // one per partition, being filled
  std::vector<Offset> handed_end_;                      // per partition: the log's end once the handed-over groups are stored
  std::vector<Instant> partition_time_;                 // per partition: the recordedAt of its last event, stored or staged
  std::vector<uint64_t> next_serial_;                   // per partition: n of its next ledger-assigned id
  std::vector<bool> held_;                              // per partition: owned by this writer
  bool holds_all_ = true;
  std::unique_ptr<Directory> directory_;                // look-ups, and the committer's puts (null: none)
  std::vector<KeyedTable::Row> folded_rows_;            // the directory rows of the last fold, until reconciled
  // kFailedPrecondition unless this writer holds `partition`.
  Status check_held(uint32_t partition) const;
  // Per partition: where each source stands in it, stored or staged.
  std::vector<SourceTails> positions_;
  // Per source: the largest index stored or staged (the log's when it was last folded, then this
  // writer's): an item above it is new without asking the partitions (most submissions).
  std::unordered_map<std::string, uint64_t> stored_max_;
  std::unique_ptr<Committer> committer_;  // owns the group in flight
  // Per partition: this writer's epoch, the offset of the fence it appended
  // at open on a log that fences writers (log.h "Fence"); kNoEpoch otherwise.
  std::vector<Offset> epochs_;
  // Per partition: fenced records the committer stepped over (a zombie's), as last added to handed_end_.
  std::vector<Offset> stepped_over_seen_;
  size_t staged_events_ = 0;
  std::string line_;                // scratch: the declaration on one line
  std::string source_;              // scratch
  bool poisoned_ = false;
  bool fenced_ = false;  // fenced()
  bool seeded_ = false;  // started_from_seed()
  std::string seed_refusal_;
  int64_t future_skew_seconds_;
  double commit_wait_seconds_ = 0;
};

// Folds every event of `log` into `state`, partition by partition.
Status fold_log(Log& log, LedgerState* state);
// Folds each partition of `log` into states[partition] (one per partition; one state may stand
// for several), as a writer folds its held partitions.
Status fold_log(Log& log, const std::vector<LedgerState*>& states);

}  // namespace dimona
