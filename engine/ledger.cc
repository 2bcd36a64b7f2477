#include "engine/ledger.h"

#include "engine/action_decision.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "engine/base/decimal_digits.h"
#include "engine/base/limits.h"
#include "engine/codec.h"
#include "engine/event_reader.h"
#include "engine/log/fence.h"
#include "engine/log/log_tools.h"

namespace dimona {

namespace {

// A record's key: the SSIN's 11 digits, written into `digits` (no allocation: every staged event has one).
std::string_view ssin_key(Ssin citizen, char (&digits)[11]) {
  DIMONA_ASSERT(citizen.value < 100'000'000'000ULL);
  format_padded_digits(citizen.value, digits + sizeof digits, static_cast<int>(sizeof digits));  // < 10^11: 11 exactly
  return std::string_view(digits, sizeof digits);
}

// Runs `step(p)` for each of `partitions`: one after the other, or each on a
// thread of its own when `side_by_side` (the log's parallel_appends(): on
// Kafka each step waits for its own broker's acknowledgements, and a fresh
// producer's first one waits for its producer id). The first failure, in the
// order of `partitions`, is the answer: one after the other, the steps after it
// do not run; side by side, every step has run.
Status for_each_partition(const std::vector<uint32_t>& partitions, bool side_by_side,
                          const std::function<Status(uint32_t)>& step) {
  if (!side_by_side || partitions.size() < 2) {
    for (uint32_t p : partitions) DIMONA_TRY(step(p));
    return Status::ok();
  }
  std::vector<Status> outcomes(partitions.size());
  std::vector<std::thread> threads;
  threads.reserve(partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i)
    threads.emplace_back([&outcomes, &partitions, &step, i] { outcomes[i] = step(partitions[i]); });
  for (std::thread& t : threads) t.join();
  for (const Status& s : outcomes) DIMONA_TRY(s);
  return Status::ok();
}

}  // namespace

std::optional<uint32_t> ledger_id_partition(uint64_t dimona_id, uint32_t partitions) {
  DIMONA_ASSERT(partitions > 0);
  const uint64_t body = dimona_id / 100;
  if (body < kLedgerIdBodyFirst) return std::nullopt;
  return static_cast<uint32_t>((body - kLedgerIdBodyFirst) % partitions);
}

namespace {

// Moves `serials` past one ledger-assigned id: its partition's serial (by
// its residue, which is the partition of every id allocated since ids say
// their partition; an older log's ids are kept clear of just as well).
void note_ledger_id(uint64_t dimona_id, std::vector<uint64_t>& serials) {
  const uint64_t body = dimona_id / 100;
  if (body < kLedgerIdBodyFirst) return;  // imported
  const uint64_t p = (body - kLedgerIdBodyFirst) % serials.size();
  const uint64_t n = (body - kLedgerIdBodyFirst) / serials.size();
  serials[p] = std::max(serials[p], n + 1);
}

}  // namespace

void note_ledger_ids(const Event& event, std::vector<uint64_t>& serials) {
  if (event.is_declaration()) {
    const DeclarationBody& b = event.declaration;
    note_ledger_id(b.declaration_id.value, serials);
    if (event.type == EventType::kDimonaInDeclared)
      note_ledger_id(b.decision.period_id.value, serials);  // imported: none
  } else if (event.is_action()) {
    note_ledger_id(event.action.outcome.id, serials);
  }
}

uint32_t partition_for(Ssin citizen, uint32_t partitions) {
  DIMONA_ASSERT(partitions > 0);
  if (citizen.value == 0) return 0;
  char digits[11];
  return partition_for_key(ssin_key(citizen, digits), partitions);
}

Result<Event> read_logged_event(LoggedEventReader& reader, std::string_view payload, uint32_t partition, Offset offset,
                                uint32_t partitions) {
  Result<Event> event = reader.read(payload);
  const auto at = [&] { return "partition " + std::to_string(partition) + " offset " + std::to_string(offset) + ": "; };
  if (!event.is_ok()) return corruption(at() + event.status().message());
  // A citizen's events are in their partition; those without one (ssin 0: a quota definition in
  // every partition, an employer's settings, a worker not identified) are not checked.
  if (event->ssin.value != 0 && partition_for(event->ssin, partitions) != partition)
    return corruption(at() + "an event of a citizen of partition " +
                      std::to_string(partition_for(event->ssin, partitions)) + " of " + std::to_string(partitions) +
                      ": the log's partition count is not the one it was written with");
  return event;
}

// One partition's events staged since the last hand-over: each event's
// payload, id, key and source back to back in one buffer (no allocation
// per event once the buffers have grown).
struct Ledger::Staged {
  struct Record {
    uint32_t at = 0;  // where its fields start in `bytes`
    uint32_t payload = 0, id = 0, key = 0, source = 0;  // their lengths, in that order
    EventType type{};
    uint32_t schema_version = 0;
    Instant recorded_at;
  };
  std::string bytes;
  std::vector<Record> records;
  std::vector<KeyedTable::Row> rows;  // the directory rows of these events (directory.h)

  void clear() {
    bytes.clear();
    records.clear();
    rows.clear();
  }
  std::string_view field(const Record& r, uint32_t skip, uint32_t length) const {
    return std::string_view(bytes).substr(r.at + skip, length);
  }
  std::string_view payload(const Record& r) const { return field(r, 0, r.payload); }
  LogRecordDraft draft(const Record& r) const {
    LogRecordDraft d;
    d.payload = payload(r);
    d.event_id = field(r, r.payload, r.id);
    d.key = field(r, r.payload + r.id, r.key);
    d.source = field(r, r.payload + r.id + r.key, r.source);
    d.type = event_type_name(r.type);
    d.schema_version = r.schema_version;
    d.recorded_at = r.recorded_at;
    return d;
  }
};

// The committer thread: appends one group at a time, partition by partition.
// The staged buffers are swapped, never reallocated, so they keep their
// capacity from group to group.
struct Ledger::Committer {
  Committer(Log& the_log, std::vector<std::unique_ptr<LogProducer>>& targets, std::vector<Offset> ends,
            std::vector<Offset> writer_epochs, bool side_by_side, Directory* directory_writer)
      : log(the_log),
        producers(targets),
        expected(std::move(ends)),
        epochs(std::move(writer_epochs)),
        stepped_over(expected.size(), 0),
        parallel(side_by_side),
        directory(directory_writer),
        thread([this] { loop(); }) {}
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

  // Takes `staged` (swapped with the emptied buffers of the previous group).
  void hand_over(std::vector<Staged>& staged) {
    std::lock_guard lock(mutex);
    DIMONA_ASSERT(!busy);
    group.swap(staged);
    for (Staged& s : staged) s.clear();
    busy = true;
    wake.notify_all();
  }

  // Appends one partition's staged events and checks the offsets the log gave.
  Status append_partition(uint32_t p) {
    const Staged& staged = group[p];
    std::vector<LogRecordDraft> drafts;
    drafts.reserve(staged.records.size());
    for (const Staged::Record& r : staged.records) drafts.push_back(staged.draft(r));
    group_first[p] = expected[p];  // before the append: a failed one leaves no other group's offsets here
    group_offsets[p].clear();
    Result<AppendOutcome> appended = producers[p]->append(drafts);
    DIMONA_TRY(appended);
    group_offsets[p] = appended->offsets;
    // One writer per partition: the log gives the offsets this writer predicted,
    // but for records fenced out before them (a zombie's, on a fencing log).
    for (size_t i = 0; i < appended->offsets.size(); ++i) {
      const Offset got = appended->offsets[i];
      if (got != expected[p] && appended->duplicates == 0 && got > expected[p] && epochs[p] != kNoEpoch) {
        DIMONA_TRY(step_over_fenced(p, got));
      }
      if (got != expected[p] || appended->duplicates != 0) {
        return failed_precondition("partition " + std::to_string(p) + ": the log assigned offset " +
                                   std::to_string(got) + " where this writer expected " +
                                   std::to_string(expected[p]) + " (another writer appended)");
      }
      ++expected[p];
    }
    return Status::ok();
  }

  // Reads partition p's records in [expected, to), which another producer
  // appended before this writer's record at `to`: when each is fenced out
  // (an older epoch's, a zombie's), they are stepped over (expected = to); a
  // newer fence among them means this writer is the zombie.
  Status step_over_fenced(uint32_t p, Offset to) {
    std::unique_ptr<LogConsumer>& reader = readers[p];  // appenders may run side by side: one each
    if (!reader) {
      Result<std::unique_ptr<LogConsumer>> opened = log.open_consumer();
      DIMONA_TRY(opened);
      reader = std::move(*opened);
    }
    FenceFilter filter(epochs[p]);
    Status refused;
    DIMONA_TRY(read_partition(*reader, p, expected[p], to, [&](LogRecord& r) -> Status {
      if (r.is_fence()) {
        superseded = true;
        return failed_precondition("partition " + std::to_string(p) + ": fenced by a newer writer at offset " +
                                   std::to_string(r.offset) + " (this writer's epoch is " + std::to_string(epochs[p]) +
                                   "; its records after that fence are dropped by every reader)");
      }
      Result<bool> valid = filter.admit(r);
      DIMONA_TRY(valid);
      if (*valid)
        refused = failed_precondition("partition " + std::to_string(p) + ": offset " + std::to_string(r.offset) +
                                      " holds a record of this writer's own epoch it did not expect");
      return refused;
    }));
    stepped_over[p] += to - expected[p];
    expected[p] = to;
    return Status::ok();
  }

  // The group's directory rows, once its events are durable (directory.h).
  Status put_rows() {
    if (directory == nullptr) return Status::ok();
    std::vector<KeyedTable::Row> rows;
    for (const Staged& s : group) rows.insert(rows.end(), s.rows.begin(), s.rows.end());
    if (rows.empty()) return Status::ok();
    return directory->put(rows);
  }

  // Every partition of the group: one after the other, or side by side when
  // the log runs appends in parallel (each waits for its own acknowledgements).
  Status append_group() {
    std::vector<uint32_t> touched;
    for (uint32_t p = 0; p < group.size(); ++p)
      if (!group[p].records.empty()) touched.push_back(p);
    return for_each_partition(touched, parallel, [this](uint32_t p) { return append_partition(p); });
  }

  void loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return busy || stopping; });
      if (!busy) return;
      lock.unlock();
      Status appended = outcome.is_ok() ? append_group() : outcome;  // after a failure, nothing more
      if (appended.is_ok()) appended = put_rows();
      lock.lock();
      if (!appended.is_ok() && outcome.is_ok()) outcome = appended;
      busy = false;
      done.notify_all();
    }
  }

  Log& log;
  std::vector<std::unique_ptr<LogProducer>>& producers;
  std::vector<Offset> expected;  // committer thread (each partition's slot by its appender): the next offset
  const std::vector<Offset> epochs;  // per partition: the writer's epoch (Ledger::epochs_)
  std::vector<Offset> stepped_over;  // per partition, as `expected`: fenced records stepped over; read after wait()
  std::atomic<bool> superseded{false};  // a newer writer's fence came before this writer's records
  // Per partition, as `expected`: the offset predicted for the last group's first record, and those the log gave.
  std::vector<Offset> group_first = expected;
  std::vector<std::vector<Offset>> group_offsets = std::vector<std::vector<Offset>>(expected.size());
  std::vector<std::unique_ptr<LogConsumer>> readers = std::vector<std::unique_ptr<LogConsumer>>(expected.size());  // step_over_fenced(), per partition
  const bool parallel;
  Directory* const directory;  // null: none
  std::mutex mutex;
  std::condition_variable wake, done;
  std::vector<Staged> group;
  bool busy = false;
  bool stopping = false;
  Status outcome;
  std::thread thread;  // last: starts once the members above exist
};

Ledger::Ledger(Key, Log& log, QuotaSchedule schedule, const Clock& clock, ServerSecret secret)
    : log_(log),
      schedule_(std::make_shared<const QuotaSchedule>(std::move(schedule))),
      clock_(clock),
      secret_(secret),
      states_(log.partitions(), nullptr),
      owned_(log.partitions()),
      staged_(log.partitions()),
      handed_end_(log.partitions(), 0),
      partition_time_(log.partitions()),
      next_serial_(log.partitions(), 0),
      held_(log.partitions(), true),
      positions_(log.partitions()),
      epochs_(log.partitions(), kNoEpoch),
      stepped_over_seen_(log.partitions(), 0),
      future_skew_seconds_(limits::recorded_at_future_skew_seconds) {}

Ledger::~Ledger() = default;

uint32_t Ledger::partitions() const { return static_cast<uint32_t>(staged_.size()); }

bool WriterSeed::shares() const {
  return std::any_of(partitions.begin(), partitions.end(), [](const Partition& p) { return p.shared != nullptr; });
}

WriterSeed WriterSeed::unshared() const {
  WriterSeed copy = *this;
  for (Partition& p : copy.partitions)
    if (p.shared != nullptr) {
      p.state = p.shared;
      p.shared = nullptr;
    }
  return copy;
}

Result<std::unique_ptr<Ledger>> Ledger::open(Log& log, QuotaSchedule schedule, const Clock& clock, ServerSecret secret,
                                             std::vector<uint32_t> held, const WriterSeed* seed) {
  if (seed != nullptr && seed->partitions.size() != log.partitions())
    return invalid_argument("the seed has " + std::to_string(seed->partitions.size()) + " partitions, the log " +
                            std::to_string(log.partitions()));
  auto ledger = std::make_unique<Ledger>(Key{}, log, std::move(schedule), clock, secret);
  if (!held.empty()) {
    ledger->held_.assign(log.partitions(), false);
    for (uint32_t p : held) {
      if (p >= log.partitions())
        return invalid_argument("partition " + std::to_string(p) + " does not exist (the log has " +
                                std::to_string(log.partitions()) + ")");
      ledger->held_[p] = true;
    }
    ledger->holds_all_ = std::find(ledger->held_.begin(), ledger->held_.end(), false) == ledger->held_.end();
  }
  std::vector<uint32_t> held_partitions;
  ledger->producers_.resize(log.partitions());
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    if (!ledger->held_[p]) continue;
    Result<std::unique_ptr<LogProducer>> producer = log.open_producer(p);
    DIMONA_TRY(producer);
    ledger->producers_[p] = std::move(*producer);
    held_partitions.push_back(p);
  }
  if (log.fences_writers()) {  // before the fold: it reads what came before the fence, and no zombie record after
    // Side by side where appends are: each fence is a fresh producer's first
    // append, and waits for its producer id (on Kafka, up to a second each).
    Ledger& opened = *ledger;
    DIMONA_TRY(for_each_partition(held_partitions, log.parallel_appends(), [&opened](uint32_t p) -> Status {
      Result<Offset> epoch = opened.producers_[p]->fence();
      DIMONA_TRY(epoch);
      opened.epochs_[p] = *epoch;
      return Status::ok();
    }));
  }
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  DIMONA_TRY(consumer);
  ledger->consumer_ = std::move(*consumer);
  if (seed != nullptr) {
    Status seeded = ledger->fold(seed);
    if (!seeded.is_ok() && seeded.code() == Code::kFailedPrecondition && seed->shares()) {
      // Events came past the read side's states (a zombie's, before this writer's fence): the
      // same seed serves unshared, its states copied and the tail folded into the copies.
      const WriterSeed copied = seed->unshared();
      seeded = ledger->fold(&copied);
    }
    ledger->seeded_ = seeded.is_ok();
    if (seeded.is_ok()) return ledger;
    // Not this log's state (another log's checkpoint, or one ahead of it): the log is the truth,
    // fold it from the start. A fault of the log itself comes back from that fold too.
    if (seeded.code() != Code::kFailedPrecondition && seeded.code() != Code::kCorruption) return seeded;
    ledger->seed_refusal_ = seeded.to_string();
  }
  DIMONA_TRY(ledger->fold());
  return ledger;
}

namespace {

// The order a record was decided in, among records of the same recordedAt:
// a quota definition is staged before the submission that made it due (0),
// an imported action id has no serial (0 too), a ledger-assigned id gives
// its partition's serial + 1 (ledger.h "Ids without a global counter").
uint64_t decision_order(std::string_view event_id, uint32_t partitions) {
  if (!event_id.starts_with("dcl-") && !event_id.starts_with("act-")) return 0;
  uint64_t id = 0;
  for (const char c : event_id.substr(4)) {
    if (c < '0' || c > '9') return 0;
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t body = id / 100;
  return body < kLedgerIdBodyFirst ? 0 : (body - kLedgerIdBodyFirst) / partitions + 1;
}

// One partition being read for the merge: a chunk of records and the position in it.
struct MergeInput {
  std::unique_ptr<LogConsumer> consumer;
  uint32_t partition = 0;
  Offset next = 0, end = 0;
  std::vector<LogRecord> chunk;
  size_t at = 0;
  FenceFilter fences;  // from offset 0: no fence yet

  // Makes chunk[at] the next event, reading chunks when needed; false at the end.
  Result<bool> head() {
    while (at >= chunk.size()) {
      if (next >= end) return false;
      chunk.clear();
      at = 0;
      const Offset to = std::min<Offset>(end, next + limits::log_read_chunk_records);
      DIMONA_TRY(read_partition(*consumer, partition, next, to, [&](LogRecord& r) -> Status {
        Result<bool> event = fences.admit(r);
        DIMONA_TRY(event);
        if (*event) chunk.push_back(std::move(r));
        return Status::ok();
      }));
      next = to;
    }
    return true;
  }
};

// Folds every partition of `log` up to `ends` into states[partition] (one
// state may stand for several), merged in the order the events were decided
// (recordedAt, then each partition's id serial, then the partition): every
// worker's events in their partition's order, so the decisions a state gives
// are those of the state the writer built live (records of different
// partitions with the same recordedAt may be folded in another order than
// they were decided; nothing a decision reads depends on that order).
// `on_record` sees each record after its fold. Fenced
// records are no events (FenceFilter); `fences`, when given, gets each
// partition's latest fence (kNoEpoch where none).
// `from` (empty: offset 0 everywhere) gives, per partition, where to start and
// the fence in effect there.
template <typename OnRecord>
Status fold_merged(Log& log, const std::vector<Offset>& ends, const std::vector<LedgerState*>& states,
                   OnRecord&& on_record, std::vector<Offset>* fences = nullptr,
                   const std::vector<std::pair<Offset, Offset>>& from = {}) {
  DIMONA_ASSERT(from.empty() || from.size() == ends.size());
  std::vector<MergeInput> inputs(ends.size());
  for (uint32_t p = 0; p < ends.size(); ++p) {
    MergeInput& in = inputs[p];
    in.partition = p;
    in.end = ends[p];
    if (!from.empty()) {
      in.next = from[p].first;
      in.fences = FenceFilter(from[p].second);
    }
    if (in.next >= in.end) continue;
    Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
    DIMONA_TRY(consumer);
    in.consumer = std::move(*consumer);
  }
  LoggedEventReader reader;  // the Ledger's own events, read as the Projector reads them (event_reader.h)
  for (;;) {
    MergeInput* first = nullptr;
    std::pair<int64_t, uint64_t> first_key{};
    for (MergeInput& in : inputs) {
      Result<bool> more = in.head();
      DIMONA_TRY(more);
      if (!*more) continue;
      const LogRecord& r = in.chunk[in.at];
      const std::pair<int64_t, uint64_t> key{r.recorded_at.micros,
                                             decision_order(r.event_id, static_cast<uint32_t>(ends.size()))};
      if (first == nullptr || key < first_key) first = &in, first_key = key;
    }
    if (first == nullptr) {
      if (fences != nullptr)
        for (const MergeInput& in : inputs) fences->push_back(in.fences.fence());
      return Status::ok();
    }
    LogRecord& r = first->chunk[first->at++];
    // Views into r.payload, alive until the next head().
    Result<Event> event = read_logged_event(reader, r.payload, r.partition, r.offset, log.partitions());
    DIMONA_TRY(event);
    DIMONA_TRY(states[r.partition]->apply(*event));
    on_record(r, *event);
  }
}

// Each partition's end; 0 (nothing to fold) where `held` is false.
Result<std::vector<Offset>> end_offsets(Log& log, LogConsumer& consumer, const std::vector<bool>& held) {
  std::vector<Offset> ends(log.partitions());
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    if (!held[p]) continue;
    Result<Offset> end = consumer.end_offset(p);
    DIMONA_TRY(end);
    ends[p] = *end;
  }
  return ends;
}

}  // namespace

Status fold_log(Log& log, LedgerState* state) {
  return fold_log(log, std::vector<LedgerState*>(log.partitions(), state));
}

Status fold_log(Log& log, const std::vector<LedgerState*>& states) {
  DIMONA_ASSERT(states.size() == log.partitions());
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  DIMONA_TRY(consumer);
  Result<std::vector<Offset>> ends = end_offsets(log, **consumer, std::vector<bool>(log.partitions(), true));
  DIMONA_TRY(ends);
  return fold_merged(log, *ends, states, [](const LogRecord&, const Event&) {});
}

Status Ledger::fold(const WriterSeed* seed) {
  std::vector<std::unique_ptr<LedgerState>> fresh(partitions());
  std::vector<LedgerState*> into(partitions(), nullptr);
  std::vector<SourceTails> positions(partitions());
  Result<std::vector<Offset>> ends = end_offsets(log_, *consumer_, held_);
  DIMONA_TRY(ends);
  std::vector<Instant> last(partitions());
  std::vector<uint64_t> serials(partitions(), 0);
  std::vector<std::pair<Offset, Offset>> from;  // per partition: the seed's offset and fence (none: from 0)
  const auto first_held = std::find(held_.begin(), held_.end(), true);
  DIMONA_ASSERT(first_held != held_.end());
  const bool shared = seed != nullptr && seed->partitions[first_held - held_.begin()].shared != nullptr;
  for (uint32_t p = 0; p < partitions(); ++p) {
    if (!held_[p]) continue;
    if (shared) {
      into[p] = seed->partitions[p].shared;
      continue;
    }
    fresh[p] = std::make_unique<LedgerState>();
    into[p] = fresh[p].get();
  }
  if (seed != nullptr) {
    DIMONA_ASSERT(seed->partitions.size() == partitions());
    from.assign(partitions(), {Offset{0}, kNoEpoch});
    std::string copy;
    for (uint32_t p = 0; p < partitions(); ++p) {
      if (!held_[p]) continue;  // another writer's: neither folded nor seeded
      const WriterSeed::Partition& part = seed->partitions[p];
      if ((part.shared != nullptr) != shared) return invalid_argument("a seed sharing some partitions' states only");
      if (!shared && part.state == nullptr && part.state_bytes.empty())
        return invalid_argument("a seed partition without its state");
      if (!part.serials.empty() && part.serials.size() != partitions())
        return invalid_argument("the seed's id serials are for another partition count");
      if ((*ends)[p] < part.offset)
        return failed_precondition("partition " + std::to_string(p) + ": the seed was folded to offset " +
                                   std::to_string(part.offset) + ", past the log's end " + std::to_string((*ends)[p]));
      const LedgerState* state = shared ? part.shared : part.state;
      Result<LedgerState::Summary> summary =
          state != nullptr ? state->summary() : LedgerState::summary_of(part.state_bytes);
      DIMONA_TRY(summary);
      DIMONA_TRY(check_seed_matches(p, part.offset, *summary));
      if (!shared) {
        std::string_view bytes = part.state_bytes;
        if (part.state != nullptr) {
          copy.clear();
          part.state->save(&copy);
          bytes = copy;
        }
        DIMONA_TRY(LedgerState::load(bytes, fresh[p].get()));
      }
      from[p] = {part.offset, part.fence};
      last[p] = summary->last_recorded_at;  // a state folded from one partition: that partition's last
      for (uint32_t q = 0; q < part.serials.size(); ++q) serials[q] = std::max(serials[q], part.serials[q]);
      positions[p] = part.tails;
    }
  }
  for (const std::unique_ptr<LedgerState>& state : fresh)
    if (state) state->set_quota_schedule(schedule_);
  if (shared) DIMONA_TRY(check_no_events_past(*seed, *ends));
  std::vector<Offset> fences;
  DIMONA_TRY(fold_merged(
      log_, *ends, into,
      [&](LogRecord& r, const Event& event) {
        last[r.partition] = std::max(last[r.partition], r.recorded_at);
        note_ledger_ids(event, serials);
        if (!r.source.empty()) (void)positions[r.partition].note(r.source);  // one that does not parse: not ours
      },
      &fences, from));
  for (uint32_t p = 0; p < partitions(); ++p)
    if (held_[p] && epochs_[p] != kNoEpoch && fences[p] != epochs_[p]) {
      fenced_ = true;
      if (fences[p] == kNoEpoch || fences[p] < epochs_[p])  // this writer's own fence is gone from the log
        return failed_precondition("partition " + std::to_string(p) +
                                   ": the log no longer holds this writer's fence (offset " +
                                   std::to_string(epochs_[p]) + "): was the topic recreated or truncated?");
      return failed_precondition("partition " + std::to_string(p) + ": fenced by a newer writer at offset " +
                                 std::to_string(fences[p]) + " (this writer's epoch is " + std::to_string(epochs_[p]) + ")");
    }
  stored_max_.clear();
  for (const SourceTails& partition : positions)
    partition.for_each_last([&](std::string_view text) {
      if (Result<SourcePosition> stored = parse_source_position(text); stored.is_ok())
        stored_max_[stored->source] = std::max(stored_max_[stored->source], stored->at.index);
    });
  owned_ = std::move(fresh);
  states_ = std::move(into);
  shares_states_ = shared;
  positions_ = std::move(positions);
  partition_time_ = std::move(last);
  next_serial_ = std::move(serials);
  handed_end_ = std::move(*ends);
  // A writer of some partitions, who reads the directory, puts again the rows of every event its
  // partitions hold, the seed's included (a writer that stopped between a group's append and its
  // rows left them out). A writer of every partition never reads it: it puts its own commits'
  // rows and leaves the rest to the member that next holds a partition (no cost at its open).
  folded_rows_.clear();
  if (!holds_all_ && (directory_ != nullptr || log_.has_groups()))
    for (uint32_t p = 0; p < partitions(); ++p)
      if (held_[p]) Directory::rows_of_state(*states_[p], p, &folded_rows_);
  return reconcile_directory();
}

// A shared seed's states must hold every event: its owner folds only what it is handed after
// this, so a tail event folded here would be folded twice. Records past the seed's offsets may
// be fences (a writer's open appends one, log.h "Fence") and a zombie's fenced records; the
// first event found, or a tail longer than limits::shared_seed_tail_records_max, refuses the
// sharing before anything is folded.
Status Ledger::check_no_events_past(const WriterSeed& seed, const std::vector<Offset>& ends) {
  for (uint32_t p = 0; p < partitions(); ++p) {
    const WriterSeed::Partition& part = seed.partitions[p];
    if (!held_[p] || ends[p] == part.offset) continue;
    if (ends[p] - part.offset > limits::shared_seed_tail_records_max)
      return failed_precondition("partition " + std::to_string(p) + ": the read side's state is " +
                                 std::to_string(ends[p] - part.offset) + " records behind the log: not shared");
    FenceFilter fences(part.fence);
    bool event = false;
    DIMONA_TRY(read_partition(*consumer_, p, part.offset, ends[p], [&](LogRecord& r) -> Status {
      Result<bool> admitted = fences.admit(r);
      DIMONA_TRY(admitted);
      event = event || *admitted;
      return Status::ok();
    }));
    if (event)
      return failed_precondition("partition " + std::to_string(p) +
                                 ": the read side's state lacks events the log holds: not shared");
  }
  return Status::ok();
}

// The record before the seed's offset was recorded when the seed's state says its partition's
// last event was: a cheap check that the seed was folded from this log (a checkpoint of another
// log of the same shape would otherwise pass). A partition whose state folded no event (fences
// alone) has nothing to compare.
Status Ledger::check_seed_matches(uint32_t p, Offset offset, const LedgerState::Summary& seed) {
  if (offset == 0 || seed.events_applied == 0) return Status::ok();
  std::optional<Instant> at;
  DIMONA_TRY(read_partition(*consumer_, p, offset - 1, offset, [&at](LogRecord& r) -> Status {
    at = r.recorded_at;
    return Status::ok();
  }));
  if (at == seed.last_recorded_at) return Status::ok();
  return failed_precondition("partition " + std::to_string(p) + ": the seed's last event (" +
                             to_string(seed.last_recorded_at) + ") is not the log's record at offset " +
                             std::to_string(offset - 1) + (at ? " (" + to_string(*at) + ")" : std::string()) +
                             ": a state folded from another log");
}

Status Ledger::use_directory(std::unique_ptr<Directory> directory) {
  DIMONA_ASSERT(directory != nullptr && committer_ == nullptr);
  directory_ = std::move(directory);
  return reconcile_directory();
}

Status Ledger::reconcile_directory() {
  if (directory_ == nullptr || folded_rows_.empty()) return Status::ok();  // kept until a directory comes
  Result<std::vector<KeyedTable::Row>> missing = directory_->lacking(folded_rows_);
  DIMONA_TRY(missing);
  folded_rows_.clear();
  return missing->empty() ? Status::ok() : directory_->put(*missing);
}

void Ledger::set_recorded_at_future_skew(int64_t seconds) {
  DIMONA_ASSERT(seconds >= 0);
  future_skew_seconds_ = seconds;
}

uint32_t Ledger::partition_of(Ssin worker) const { return partition_for(worker, partitions()); }

uint32_t Ledger::staged_in(uint32_t partition) const {
  return static_cast<uint32_t>(staged_[partition].records.size());
}

Offset Ledger::next_offset(uint32_t partition) const { return handed_end_[partition] + staged_in(partition); }

Result<Offset> Ledger::stored_events_end(uint32_t partition) {
  Result<Offset> end = consumer_->end_offset(partition);
  DIMONA_TRY(end);
  if (epochs_[partition] == kNoEpoch) return end;
  // A newer fence lies past every record this writer had seen stored: in its
  // last group's range (group_first: where that group was predicted to start).
  Offset from = epochs_[partition] + 1;
  if (committer_) from = std::max(from, committer_->group_first[partition]);
  Offset events_end = *end;
  // A reader of its own: the fold's consumer stays unassigned (no fetch held open behind its queries).
  Result<std::unique_ptr<LogConsumer>> reader = log_.open_reader();
  DIMONA_TRY(reader);
  DIMONA_TRY(read_partition(**reader, partition, from, *end, [&](LogRecord& r) {
    if (r.is_fence() && events_end == *end) events_end = r.offset;  // not this writer's: its own is at the epoch
    return Status::ok();
  }));
  return events_end;
}

Offset Ledger::stored_offset(uint32_t partition, Offset predicted) const {
  if (!committer_) return predicted;
  const Offset first = committer_->group_first[partition];
  const std::vector<Offset>& given = committer_->group_offsets[partition];
  return predicted >= first && predicted - first < given.size() ? given[predicted - first] : predicted;
}

std::vector<std::optional<SourcePosition>> Ledger::source_positions(std::string_view source) const {
  std::vector<std::optional<SourcePosition>> out(partitions());
  for (uint32_t p = 0; p < partitions(); ++p) {
    const std::string_view text = positions_[p].last(source);
    if (text.empty()) continue;
    Result<SourcePosition> parsed = parse_source_position(text);
    if (parsed.is_ok()) out[p] = std::move(*parsed);
  }
  return out;
}

std::vector<std::string> Ledger::sources_named(std::string_view prefix) const {
  std::set<std::string, std::less<>> names;
  for (uint32_t p = 0; p < partitions(); ++p) {
    positions_[p].for_each_last([&](std::string_view text) {
      const std::string_view source = source_of_position(text);
      if (source.starts_with(prefix)) names.emplace(source);
    });
  }
  return {names.begin(), names.end()};
}

bool Ledger::stored_before(const SourcePosition* position) const {
  if (position == nullptr) return false;
  auto most = stored_max_.find(position->source);
  if (most == stored_max_.end() || position->at.index > most->second) return false;  // new: the common case
  for (uint32_t p = 0; p < partitions(); ++p)
    if (held_[p] && positions_[p].holds(position->source, position->at.index)) return true;
  return false;
}

namespace {
constexpr std::string_view kNotHeldPrefix = "partition ";
constexpr std::string_view kNotHeldSuffix = " is not held by this writer";
}  // namespace

Status Ledger::check_held(uint32_t partition) const {
  if (held_[partition]) return Status::ok();
  return failed_precondition(std::string(kNotHeldPrefix) + std::to_string(partition) + std::string(kNotHeldSuffix));
}

std::optional<uint32_t> not_held_partition(const Status& status) {
  const std::string& m = status.message();
  if (status.code() != Code::kFailedPrecondition || !m.starts_with(kNotHeldPrefix) || !m.ends_with(kNotHeldSuffix))
    return std::nullopt;
  const std::string_view digits = std::string_view(m).substr(kNotHeldPrefix.size(), m.size() - kNotHeldPrefix.size() - kNotHeldSuffix.size());
  uint32_t partition = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  return partition;
}

Status Ledger::stage(const Event& event, uint32_t partition, const SourcePosition* position) {
  DIMONA_ASSERT(held_[partition]);
  Staged& staged = staged_[partition];
  Staged::Record r;
  r.at = static_cast<uint32_t>(staged.bytes.size());
  encode_event(event, &staged.bytes);
  staged.bytes.pop_back();  // the line's '\n': a record is the object alone
  r.payload = static_cast<uint32_t>(staged.bytes.size() - r.at);
  size_t before = staged.bytes.size();
  append_event_id(event, &staged.bytes);
  r.id = static_cast<uint32_t>(staged.bytes.size() - before);
  if (event.ssin.value != 0) {  // the key: the SSIN's 11 digits
    char digits[11];
    const std::string_view key = ssin_key(event.ssin, digits);
    staged.bytes.append(key);
    r.key = static_cast<uint32_t>(key.size());
  }
  if (position) {
    before = staged.bytes.size();
    format_source_position(*position, &staged.bytes);
    r.source = static_cast<uint32_t>(staged.bytes.size() - before);
    positions_[partition].note(*position, std::string_view(staged.bytes).substr(before, r.source));
    uint64_t& most = stored_max_[position->source];  // a later submission of the same line is a redelivery too
    most = std::max(most, position->at.index);
  }
  if (directory_) Directory::rows_of(event, partition, &staged.rows);
  r.type = event.type;
  r.schema_version = event.schema_version;
  r.recorded_at = event.recorded_at;
  DIMONA_ASSERT(!(event.recorded_at < partition_time_[partition]));  // the log's order, checked before staging
  partition_time_[partition] = event.recorded_at;
  staged.records.push_back(r);
  ++staged_events_;
  return Status::ok();
}

Result<Instant> Ledger::ledger_time(const std::optional<Instant>& recorded_at) {
  Instant at = std::max(clock_.now(), last_recorded_at());
  if (recorded_at) {
    const Instant latest{clock_.now().micros + future_skew_seconds_ * kMicrosPerSecond};
    if (latest < *recorded_at)
      return invalid_argument("field recordedAt: " + to_string(*recorded_at) + " is more than " +
                              std::to_string(future_skew_seconds_) + " s ahead of the clock (" + to_string(clock_.now()) +
                              ")");
    at = *recorded_at;  // checked against its partition's time once the partition is known (in_order)
  }
  return at;
}

std::string_view Ledger::one_line(std::string_view raw) {
  if (!std::memchr(raw.data(), '\n', raw.size()) && !std::memchr(raw.data(), '\r', raw.size())) return raw;
  line_.assign(raw);  // pretty-printed: one line in the log
  std::replace_if(line_.begin(), line_.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return line_;
}

Result<uint64_t> Ledger::fresh_id(uint32_t partition, uint32_t k) const {
  const uint64_t serial = next_serial_[partition] + k;
  const uint64_t room = (kDimonaIdBodyMax - kLedgerIdBodyFirst - partition) / partitions();
  if (serial > room)
    return failed_precondition("partition " + std::to_string(partition) + " has used every ledger id (" +
                               std::to_string(room + 1) + "): the ledger's id range is exhausted");
  return dimona_id_from_body(kLedgerIdBodyFirst + serial * partitions() + partition);
}

void Ledger::note_ids(const Event& event) { note_ledger_ids(event, next_serial_); }

Status Ledger::stage_and_fold(const Event& event, uint32_t partition, const SourcePosition* position) {
  DIMONA_TRY(stage(event, partition, position));
  note_ids(event);
  if (Status s = states_[partition]->apply(event); !s.is_ok()) {
    poisoned_ = true;
    return s;
  }
  return Status::ok();
}

Status Ledger::in_order(Instant at, uint32_t partition) const {
  if (!(at < partition_time_[partition])) return Status::ok();
  return invalid_argument("recordedAt " + to_string(at) + " is before ledger time " +
                          to_string(partition_time_[partition]) + " (its partition's last event)");
}

Status Ledger::check_subject_held(uint64_t id) {
  Result<std::optional<uint32_t>> found = directory_->partition_of(id);
  DIMONA_TRY(found);
  if (!found->has_value() || **found >= partitions()) return Status::ok();  // nowhere: decided as unknown, here
  return check_held(**found);
}

namespace {

// What `f` finds (a pointer or a bool) in the first of `states` (null: not held) but `except` to have it.
template <typename F>
auto find_in_others(const std::vector<LedgerState*>& states, uint32_t except, F&& f)
    -> decltype(f(std::declval<const LedgerState&>())) {
  for (uint32_t p = 0; p < states.size(); ++p)
    if (p != except && states[p] != nullptr)
      if (auto found = f(*states[p])) return found;
  return {};
}

}  // namespace

const Period* Ledger::period(PeriodId id) const {
  return find_in_others(states_, partitions(), [id](const LedgerState& s) { return s.probe_period(id); });
}

Instant Ledger::last_recorded_at() const {
  Instant last;
  for (uint32_t p = 0; p < partitions(); ++p)
    if (held_[p]) last = std::max(last, partition_time_[p]);
  return last;
}

Status Ledger::merged_state(LedgerState* into) const {
  std::vector<LedgerState::Part> parts;
  for (const LedgerState* state : states_)
    if (state != nullptr) parts.push_back(LedgerState::Part{state, {}});
  DIMONA_TRY(LedgerState::merge(parts, into));
  into->set_quota_schedule(schedule_);
  return Status::ok();
}

namespace {

// The first held partition (states[p] not null) whose state holds what `holds` looks for.
template <typename F>
std::optional<uint32_t> holder(const std::vector<LedgerState*>& states, F&& holds) {
  for (uint32_t p = 0; p < states.size(); ++p)
    if (states[p] != nullptr && holds(*states[p])) return p;
  return std::nullopt;
}

}  // namespace

Result<uint32_t> Ledger::subject_partition(const Declaration& d) {
  if (d.kind == DeclarationKind::kIn) return partition_of(d.ssin.valid() ? d.ssin.value : Ssin{});
  if (d.period_id.valid()) {
    const PeriodId id = d.period_id.value;
    if (std::optional<uint32_t> p =
            holder(states_, [id](const LedgerState& s) { return s.probe_period(id) != nullptr; }))
      return *p;
    if (reads_directory()) DIMONA_TRY(check_subject_held(id.value));  // another writer's?
  }
  return partition_of(Ssin{});  // an unknown period: refused, no worker
}

Result<uint32_t> Ledger::subject_partition(const Action& a) {
  const AddressedSubject addressed = addressed_subject(a);
  if (addressed != AddressedSubject::kTicket && addressed != AddressedSubject::kNotification)
    return partition_of(a.worker);
  const bool ticket = addressed == AddressedSubject::kTicket;
  if (std::optional<uint32_t> p = holder(states_, [&a, ticket](const LedgerState& s) {
        return ticket ? s.actions().ticket(a.id) != nullptr : s.actions().notification(a.id) != nullptr;
      }))
    return *p;
  if (reads_directory()) DIMONA_TRY(check_subject_held(a.id));  // another writer's?
  return partition_of(a.worker);
}

Result<RemoteFacts> Ledger::remote_facts(const Declaration& d, uint32_t p) {
  // An IN's imported period id is looked up in the held partitions only:
  // a look-up per IN would cost a round trip to the directory on most
  // imports (docs/kafka.md "The directory").
  RemoteFacts facts;
  if (!d.period_id.valid() || states_[p]->period(d.period_id.value)) return facts;
  const PeriodId id = d.period_id.value;
  if (d.kind == DeclarationKind::kIn)
    facts.id_taken = find_in_others(states_, p, [id](const LedgerState& s) { return s.probe_period(id) != nullptr; });
  return facts;
}

Result<RemoteFacts> Ledger::remote_facts(const Action& a, uint32_t p) {
  RemoteFacts facts;
  const ActionState& local = states_[p]->actions();
  auto others = [this, p](auto&& f) { return find_in_others(states_, p, f); };
  if (creates_subject(a.kind) && a.id != 0 && !local.id_in_use(a.id)) {
    facts.id_taken = others([&a](const LedgerState& s) {
      return s.actions().id_in_use(a.id) || s.probe_period(PeriodId{a.id}) != nullptr;
    });
    if (!facts.id_taken && reads_directory()) {
      Result<std::optional<uint32_t>> found = directory_->partition_of(a.id);
      DIMONA_TRY(found);
      facts.id_taken = found->has_value();
    }
  }
  switch (a.kind) {
    case ActionKind::kDataAccessRequest:
      if (!a.token.empty() && !facts.id_taken && !local.request_by_token(a.token)) {
        facts.id_taken =
            others([&a](const LedgerState& s) { return s.actions().request_by_token(a.token) != nullptr; });
        if (!facts.id_taken && reads_directory()) {
          Result<std::optional<Directory::TokenRow>> row = directory_->token(a.token);
          DIMONA_TRY(row);
          facts.id_taken = row->has_value();
        }
      }
      break;
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal: {
      const DataAccessRequest* request = local.request_by_token(a.token);
      if (request == nullptr) {
        if (const DataAccessRequest* there =
                others([&a](const LedgerState& s) { return s.actions().request_by_token(a.token); })) {
          facts.request = *there;
        } else if (reads_directory()) {
          Result<std::optional<Directory::TokenRow>> row = directory_->token(a.token);
          DIMONA_TRY(row);
          if (row->has_value()) facts.request = (*row)->request;
        }
      }
      const uint64_t id = request ? request->id : facts.request ? facts.request->id : 0;
      if (id != 0 && !local.answer(id)) {
        facts.request_answered = others([id](const LedgerState& s) { return s.actions().answer(id) != nullptr; });
        if (!facts.request_answered && reads_directory()) {
          Result<bool> answered = directory_->answered(id);
          DIMONA_TRY(answered);
          facts.request_answered = *answered;
        }
      }
      break;
    }
    case ActionKind::kCareerBreakNotification:
      if (!local.settings(a.employer)) {  // an employer's settings: no citizen's, partition 0
        if (const EmployerSettings* there =
                others([&a](const LedgerState& s) { return s.actions().settings(a.employer); })) {
          facts.settings = *there;
        } else if (reads_directory() && !held_[partition_of(Ssin{})]) {
          Result<std::optional<EmployerSettings>> settings = directory_->settings(a.employer);
          DIMONA_TRY(settings);
          facts.settings = std::move(*settings);
        }
      }
      break;
    default: break;
  }
  return facts;
}

Result<std::pair<Decision, uint32_t>> Ledger::decide_in_partition(const Declaration& d, Instant at) {
  Result<uint32_t> subject = subject_partition(d);
  DIMONA_TRY(subject);
  DIMONA_TRY(check_held(*subject));
  Result<RemoteFacts> facts = remote_facts(d, *subject);
  DIMONA_TRY(facts);
  const Decision decision = decide(*states_[*subject], d, at, &*facts);
  const uint32_t partition = partition_of(decision.worker);  // the subject's: the period's worker, or the SSIN
  DIMONA_TRY(check_held(partition));
  return std::make_pair(decision, partition);
}

Result<std::pair<ActionOutcome, uint32_t>> Ledger::decide_action_in_partition(const Action& a, Instant at,
                                                                              uint64_t placeholder) {
  Result<uint32_t> subject = subject_partition(a);
  DIMONA_TRY(subject);
  DIMONA_TRY(check_held(*subject));
  Result<RemoteFacts> facts = remote_facts(a, *subject);
  DIMONA_TRY(facts);
  ActionOutcome outcome = decide_action(*states_[*subject], a, at, secret_, placeholder, &*facts);
  // Refused as not the parties' own, a ticket's or notification's action is logged with the
  // worker who sent it, maybe in another partition than the one it addresses.
  const uint32_t partition = partition_of(outcome.worker);
  DIMONA_TRY(check_held(partition));
  return std::make_pair(std::move(outcome), partition);
}

Result<ActionSubmission> Ledger::submit_action(const Action& a, std::string_view raw, std::string_view source,
                                               const SourcePosition* position) {
  DIMONA_ASSERT(!poisoned_);
  // The worker, hence the partition whose serial gives the fresh id, is known once decided:
  // the decision takes a placeholder id, then the real one (restamp_fresh_id).
  const uint64_t placeholder = dimona_id_from_body(kLedgerIdBodyFirst);
  if (stored_before(position)) return ActionSubmission{{}, {}, 0, true};
  Result<Instant> at = ledger_time(a.recorded_at);
  if (!at.is_ok()) return at.status();
  Result<std::pair<ActionOutcome, uint32_t>> decided = decide_action_in_partition(a, *at, placeholder);
  DIMONA_TRY(decided);
  ActionOutcome& outcome = decided->first;
  const uint32_t partition = decided->second;
  Result<uint64_t> id = fresh_id(partition, 0);
  DIMONA_TRY(id);
  restamp_fresh_id(a, secret_, placeholder, *id, &outcome);
  Event event;
  event.type = event_type_of(a.kind);
  event.recorded_at = *at;
  event.source = source;
  event.action.action = a;
  event.action.outcome = outcome;
  event.action.raw = one_line(raw);
  const ActionOutcome& o = event.action.outcome;
  DIMONA_ASSERT(partition_of(o.worker) == partition);
  event.ssin = o.worker;
  DIMONA_TRY(in_order(*at, partition));
  DIMONA_TRY(stage_and_fold(event, partition, position));
  return ActionSubmission{o, *at, partition};
}

Result<Submission> Ledger::submit(const Declaration& d, std::string_view raw, std::string_view source,
                                  const SourcePosition* position) {
  DIMONA_ASSERT(!poisoned_);
  if (stored_before(position)) return Submission{DeclarationId{}, {}, {}, 0, true};
  Result<Instant> recorded = ledger_time(d.recorded_at);
  if (!recorded.is_ok()) return recorded.status();
  const Instant at = *recorded;

  Event event;
  event.type = event_type_of(d.kind);
  event.recorded_at = at;
  event.source = source;
  DeclarationBody& body = event.declaration;
  body.declaration = d;
  Result<std::pair<Decision, uint32_t>> decided = decide_in_partition(d, at);
  DIMONA_TRY(decided);
  body.decision = decided->first;
  Decision& decision = body.decision;
  const uint32_t partition = decided->second;
  Result<uint64_t> declaration_id = fresh_id(partition, 0);
  DIMONA_TRY(declaration_id);
  body.declaration_id = DeclarationId{*declaration_id};
  if (d.kind == DeclarationKind::kIn && decision.period_id.value == 0 && changes_period(decision.result)) {
    Result<uint64_t> period_id = fresh_id(partition, 1);
    DIMONA_TRY(period_id);
    decision.period_id = PeriodId{*period_id};
  }
  event.ssin = decision.worker;

  std::string canonical;  // the identity codes in one form (docs/declarations.md "Value types")
  body.raw = one_line(canonical_text(d, raw, &canonical));
  DIMONA_TRY(in_order(at, partition));
  DIMONA_TRY(stage_and_fold(event, partition, position));
  return Submission{body.declaration_id, decision, at, partition};
}


std::string_view Ledger::last_staged_event(uint32_t partition) const {
  const Staged& staged = staged_[partition];
  if (staged.records.empty()) return {};
  return staged.payload(staged.records.back());
}

std::string_view Ledger::last_staged_source(uint32_t partition) const {
  const Staged& staged = staged_[partition];
  if (staged.records.empty()) return {};
  return staged.draft(staged.records.back()).source;
}

bool Ledger::should_commit() const {
  for (const Staged& staged : staged_) {
    if (staged.records.size() + partitions() + 1 >= limits::log_append_records_max) return true;
    if (staged.bytes.size() + 2 * (limits::event_bytes_max + limits::log_source_bytes_max) >= limits::log_append_bytes_max)
      return true;
  }
  return false;
}

Status Ledger::commit_async() {
  DIMONA_ASSERT(!poisoned_);
  if (!committer_) {
    committer_ = std::make_unique<Committer>(log_, producers_, handed_end_, epochs_, log_.parallel_appends(),
                                             directory_.get());
    std::fill(stepped_over_seen_.begin(), stepped_over_seen_.end(), 0);
    committer_->group.resize(staged_.size());
  }
  if (Status s = timed_wait(); !s.is_ok()) {
    poisoned_ = true;
    return s;
  }
  for (uint32_t p = 0; p < partitions(); ++p) handed_end_[p] += staged_[p].records.size();
  committer_->hand_over(staged_);
  staged_events_ = 0;
  return Status::ok();
}

Status Ledger::timed_wait() {
  const auto t0 = std::chrono::steady_clock::now();
  Status s = committer_->wait();
  commit_wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Fenced records the committer stepped over moved the log's end past the prediction.
  for (uint32_t p = 0; p < partitions(); ++p) {
    handed_end_[p] += committer_->stepped_over[p] - stepped_over_seen_[p];
    stepped_over_seen_[p] = committer_->stepped_over[p];
  }
  fenced_ = fenced_ || committer_->superseded.load();
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
  if (shares_states_) {  // its seed's owner keeps those: this writer's are its own from now on, or none
    std::fill(states_.begin(), states_.end(), nullptr);
    shares_states_ = false;
  }
  committer_.reset();  // joins: the group in flight, if any, is durable or not, the log says which
  for (Staged& s : staged_) s.clear();
  staged_events_ = 0;
  DIMONA_TRY(fold());
  poisoned_ = false;
  return Status::ok();
}

Status Ledger::commit() {
  DIMONA_TRY(commit_async());
  return sync();
}

}  // namespace dimona
