#include "projections/projector.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "engine/base/bytes.h"
#include "engine/base/free_memory.h"
#include "engine/event_reader.h"
#include "engine/ledger.h"
#include "engine/log/fence.h"
#include "engine/log/log_tools.h"
#include "projections/checkpoint_store.h"

namespace dimona {

// What a deferred projector's load() works from (open_deferred).
struct Projector::Deferred {
  std::mutex store_mutex;                  // one read of the store at a time
  std::unique_ptr<CheckpointStore> store;  // in its partial load; null once load() ends
  std::mutex mutex;                        // guards what follows (never held across a read)
  std::optional<Checkpoint> head;          // the checkpoint's offsets and fences, states empty; nullopt: none
  std::vector<Offset> ends;                // each partition's log end, asked at open
  std::vector<bool> claimed;               // being loaded or loaded
  std::deque<uint32_t> wanted;             // asked for by readers, in the order asked
  uint32_t next = 0;                       // the lowest partition maybe unclaimed
  std::atomic<uint32_t> loaded{0};
  std::atomic<uint64_t> folded{0}, backfilled{0};
  std::atomic<bool> checkpoint_refused{false};  // a partition's checkpoint did not read or decode
  std::atomic<bool> failed{false};              // a loading thread failed: the others stop too
  // loading_citizen_offsets(): a connection of its own to the checkpoint (so that its small reads
  // never wait behind a loading thread's read of a whole partition), opened at the first one, in
  // a read of the same checkpoint; closed with `store`.
  std::mutex early_store_mutex;
  bool early_store_tried = false;
  std::unique_ptr<CheckpointStore> early_store;
  // loading_citizen_offsets(): per partition, its CitizenIndex before its load.
  struct EarlyIndex {
    std::mutex mutex;  // held by the one reader building it; the partition's other readers wait
    bool tried = false;
    std::unique_ptr<CitizenIndex> index;  // null: none to be had, or dropped
    // Once the partition is loaded, or the load has ended: none is built again.
    void drop() {
      std::lock_guard lock(mutex);
      tried = true;
      index.reset();
    }
  };
  std::unique_ptr<EarlyIndex[]> early;
};

Projector::Projector(Key, Log& log, const ProjectorOptions& options)
    : log_(log),
      options_(options),
      consumers_(log.partitions()),
      offsets_(log.partitions(), 0),
      fences_(log.partitions(), kNoEpoch),
      held_(log.partitions(), options.partitions.empty()),
      loaded_(std::make_unique<std::atomic<bool>[]>(log.partitions())) {
  for (uint32_t p = 0; p < log.partitions(); ++p) loaded_[p].store(true, std::memory_order_relaxed);
  DIMONA_ASSERT(options_.threads >= 1 && options_.round_events >= 1);
  DIMONA_ASSERT(options_.keep_checkpoints >= 1 && options_.keep_checkpoints <= limits::checkpoints_kept_max);
  for (uint32_t p : options_.partitions) {
    DIMONA_ASSERT(p < log.partitions());  // checked by open()
    held_[p] = true;
  }
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    states_.push_back(std::make_unique<LedgerState>());
    states_.back()->set_quota_schedule(options_.quota);
    models_.emplace_back();
    for (const ReadModelFactory& make : options_.read_models) models_.back().push_back(make());
    backfill_.emplace_back(options_.read_models.size(), false);
  }
}

std::vector<ReadModelFactory> standard_read_models() {
  return {[] { return std::make_unique<AnomalyLog>(); },       [] { return std::make_unique<DeclarationLog>(); },
          [] { return std::make_unique<CitizenIndex>(); },     [] { return std::make_unique<ConsultationLog>(); },
          [] { return std::make_unique<CareerBreakIndex>(); }, [] { return std::make_unique<AccessIndex>(); },
          [] { return std::make_unique<WriterIndex>(); }};
}

Projector::~Projector() = default;

namespace {

// Splits a section written by put_section() off the front of `bytes`.
bool take_section(std::string_view* bytes, std::string_view* section) {
  if (bytes->size() < 8) return false;
  uint64_t n = 0;
  for (size_t i = 0; i < 8; ++i) n |= uint64_t{static_cast<unsigned char>((*bytes)[i])} << (8 * i);
  if (n > bytes->size() - 8) return false;
  *section = bytes->substr(8, n);
  bytes->remove_prefix(8 + n);
  return true;
}

// Appends a section as its length (u64 LE) then the bytes `write` appends.
template <typename F>
void put_section(std::string* out, F&& write) {
  const size_t at = out->size();
  out->append(8, '\0');
  write(out);
  const uint64_t n = out->size() - at - 8;
  for (size_t i = 0; i < 8; ++i) (*out)[at + i] = static_cast<char>(n >> (8 * i));
}

// A read model's section: name length (u8), name, version (u32 LE), bytes length (u64 LE), bytes.
void put_model_section(std::string* out, const ReadModel& model) {
  const std::string_view name = model.name();
  out->push_back(static_cast<char>(name.size()));
  out->append(name);
  for (size_t i = 0; i < 4; ++i) out->push_back(static_cast<char>(model.version() >> (8 * i)));
  put_section(out, [&](std::string* bytes) { model.save(bytes); });
}

struct ModelSection {
  std::string_view name;
  uint32_t version = 0;
  std::string_view bytes;
};

// Splits the read models' sections (a u32 LE count, then put_model_section's) off `bytes`, whole.
bool take_model_sections(std::string_view bytes, std::vector<ModelSection>* out) {
  if (bytes.size() < 4) return false;
  uint32_t count = 0;
  for (size_t i = 0; i < 4; ++i) count |= uint32_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  bytes.remove_prefix(4);
  for (uint32_t m = 0; m < count; ++m) {
    if (bytes.empty()) return false;
    const size_t name_bytes = static_cast<unsigned char>(bytes[0]);
    if (name_bytes == 0 || name_bytes > limits::read_model_name_bytes_max || bytes.size() < 1 + name_bytes + 4) return false;
    ModelSection section;
    section.name = bytes.substr(1, name_bytes);
    for (size_t i = 0; i < 4; ++i) section.version |= uint32_t{static_cast<unsigned char>(bytes[1 + name_bytes + i])} << (8 * i);
    bytes.remove_prefix(1 + name_bytes + 4);
    if (!take_section(&bytes, &section.bytes)) return false;
    for (const ModelSection& seen : *out)
      if (seen.name == section.name) return false;
    out->push_back(section);
  }
  return bytes.empty();
}

// The bytes of the read model `name` at `version` in a partition's checkpoint bytes, walked as
// split_partition() walks them but read piece by piece through `read(at, length)` (a store's
// ranged read), the LedgerState's bytes and the other models' skipped, never read. nullopt when
// no section has that name, or it has another version; kCorruption when the frame does not walk.
// It checks the frame up to that section only (split_partition() checks it all at the load, and
// the section checks its own CRC as it loads).
Result<std::optional<std::string>> read_model_section(const CheckpointStore::RangeReader& read, std::string_view name,
                                                      uint32_t version) {
  auto read_u64 = [&](uint64_t at) -> Result<uint64_t> {
    Result<std::string> bytes = read(at, 8);
    DIMONA_TRY(bytes);
    uint64_t v = 0;
    ByteReader(*bytes).get(&v);
    return v;
  };
  Result<uint64_t> ledger = read_u64(0);
  DIMONA_TRY(ledger);
  if (*ledger > (uint64_t{1} << 62)) return corruption("a checkpoint partition is truncated");
  uint64_t at = 8 + *ledger;
  Result<std::string> count_bytes = read(at, 4);
  DIMONA_TRY(count_bytes);
  uint32_t count = 0;
  ByteReader(*count_bytes).get(&count);
  at += 4;
  if (count > limits::read_models_max)
    return corruption("a checkpoint partition claims " + std::to_string(count) + " read models");
  for (uint32_t m = 0; m < count; ++m) {
    Result<std::string> name_length = read(at, 1);
    DIMONA_TRY(name_length);
    const size_t name_bytes = static_cast<unsigned char>((*name_length)[0]);
    if (name_bytes == 0 || name_bytes > limits::read_model_name_bytes_max)
      return corruption("a checkpoint partition is truncated");
    Result<std::string> head = read(at + 1, name_bytes + 4 + 8);
    DIMONA_TRY(head);
    ByteReader in(std::string_view(*head).substr(name_bytes));
    uint32_t section_version = 0;
    uint64_t length = 0;
    in.get(&section_version);
    in.get(&length);
    at += 1 + name_bytes + 4 + 8;
    if (std::string_view(*head).substr(0, name_bytes) == name) {
      if (section_version != version) return std::optional<std::string>();
      Result<std::string> section = read(at, length);
      DIMONA_TRY(section);
      return std::optional<std::string>(std::move(*section));
    }
    if (length > (uint64_t{1} << 62)) return corruption("a checkpoint partition is truncated");
    at += length;
  }
  return std::optional<std::string>();
}

// A partition's checkpoint bytes: the LedgerState's section (its length, u64 LE, then its bytes),
// then the read models' sections (take_model_sections). kCorruption, naming p, when they do not split.
Status split_partition(std::string_view bytes, uint32_t p, std::string_view* ledger,
                       std::vector<ModelSection>* sections) {
  if (!take_section(&bytes, ledger) || !take_model_sections(bytes, sections))
    return corruption("checkpoint partition " + std::to_string(p) + " is truncated");
  return Status::ok();
}

// A writer's seed of one partition: where it was folded to, and its WriterIndex (its state is the caller's).
WriterSeed::Partition seed_partition(Offset offset, Offset fence, const WriterIndex& index) {
  WriterSeed::Partition part;
  part.offset = offset;
  part.fence = fence;
  part.tails = index.tails();
  part.serials = index.serials();
  return part;
}

// The event at `offset` of partition p, from its payload; one that does not decode is corruption,
// named by its place.

// Runs f(p) for each partition p < count on min(threads, count) threads (partition p on thread
// p % threads, which stops at its first error), f touching partition p's own slots only. The
// error of the lowest partition that failed.
template <typename F>
Status for_each_partition_on_threads(unsigned threads, uint32_t count, F&& f) {
  threads = std::max(1U, std::min<unsigned>(threads, count));
  std::vector<Status> errors(count);
  auto run = [&](unsigned t) {
    for (uint32_t p = t; p < count; p += threads)
      if (!(errors[p] = f(p)).is_ok()) return;
  };
  if (threads == 1) {
    run(0);
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(run, t);
    for (std::thread& th : pool) th.join();
  }
  for (const Status& error : errors) DIMONA_TRY(error);
  return Status::ok();
}

}  // namespace

namespace {

// Each partition's end in `log`.
Result<std::vector<Offset>> log_ends(Log& log) {
  Result<std::unique_ptr<LogConsumer>> consumer = log.open_consumer();
  DIMONA_TRY(consumer);
  std::vector<Offset> ends;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    Result<Offset> end = (*consumer)->end_offset(p);
    DIMONA_TRY(end);
    ends.push_back(*end);
  }
  return ends;
}

// The refusals of a checkpoint that is not this log's (open() and open_deferred() alike).
Status of_another_log(size_t checkpoint_partitions, uint32_t log_partitions) {
  return failed_precondition("the checkpoint has " + std::to_string(checkpoint_partitions) + " partitions, the log " +
                             std::to_string(log_partitions) + ": rebuild it with `dimona-ledger replay --rebuild`");
}
Status ahead_of_the_log(uint32_t p) {
  return failed_precondition("the checkpoint is ahead of the log (partition " + std::to_string(p) +
                             "): it belongs to another log; rebuild it with `dimona-ledger replay --rebuild`");
}

// Partition p's events in [from, until) as a fold takes them: each record `fences` admits,
// decoded, handed to `take` with its record; `passed` hears of each record it drops (a fence, or
// a zombie's record: no event). The fold, a backfill and an early citizen index read alike.
template <typename Take, typename Passed>
Status read_fenced_events(LogConsumer& consumer, uint32_t p, uint32_t partitions, Offset from, Offset until,
                          FenceFilter& fences, Take&& take, Passed&& passed) {
  LoggedEventReader decoder;
  return read_partition_views(consumer, p, from, until, [&](const LogRecordView& record) -> Status {
    Result<bool> admitted = fences.admit(record);
    DIMONA_TRY(admitted);
    if (!*admitted) {
      passed(record);
      return Status::ok();
    }
    Result<Event> event = read_logged_event(decoder, record.payload, p, record.offset, partitions);
    DIMONA_TRY(event);
    return take(record, *event);
  });
}
void no_event(const LogRecordView&) {}

}  // namespace

Result<std::unique_ptr<Projector>> Projector::make(Log& log, const ProjectorOptions& given) {
  ProjectorOptions options = given;
  for (uint32_t p : options.partitions)
    if (p >= log.partitions())
      return invalid_argument("partition " + std::to_string(p) + " does not exist (the log has " +
                              std::to_string(log.partitions()) + ")");
  if (options.read_models.empty()) options.read_models = standard_read_models();
  if (!options.quota) {
    Result<std::shared_ptr<const QuotaSchedule>> schedule = default_quota_schedule();
    DIMONA_TRY(schedule);
    options.quota = *schedule;
  }
  return std::make_unique<Projector>(Key{}, log, options);
}

Result<std::unique_ptr<Projector>> Projector::open(Log& log, const ProjectorOptions& options) {
  Result<std::unique_ptr<Projector>> made = make(log, options);
  DIMONA_TRY(made);
  std::unique_ptr<Projector> projector = std::move(*made);
  if (options.checkpoint_path.empty()) return projector;
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options.checkpoint_path);
  DIMONA_TRY(store);
  const uint32_t n = log.partitions();
  std::vector<Offset> ends;  // the log's, asked once there is a checkpoint to check against them
  // This thread reads the partitions one after the other; the fold threads load each as soon
  // as it is read (its bytes, state and models are its own), and drop its bytes once loaded.
  struct Handoff {
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::optional<PartitionCheckpoint>> parts;
    bool closed = false;  // the read ended: what has not arrived never will
  } handoff;
  handoff.parts.resize(n);
  Status loaded = Status::ok();
  std::thread loading([&] {
    loaded = for_each_partition_on_threads(options.threads, n, [&](uint32_t p) -> Status {
      PartitionCheckpoint pc;
      {
        std::unique_lock lock(handoff.mutex);
        handoff.arrived.wait(lock, [&] { return handoff.parts[p].has_value() || handoff.closed; });
        if (!handoff.parts[p])
          return unavailable("partition " + std::to_string(p) + " was not read");  // the read says why
        pc = std::move(*handoff.parts[p]);
      }
      return projector->install(p, std::move(pc));
    });
  });
  Result<std::optional<Checkpoint>> checkpoint =
      (*store)->load_each(options.as_of, [&](uint32_t p, uint32_t partitions, PartitionCheckpoint&& pc) -> Status {
        if (partitions != n) return of_another_log(partitions, n);
        if (ends.empty()) {
          Result<std::vector<Offset>> asked = log_ends(log);
          DIMONA_TRY(asked);
          ends = std::move(*asked);
        }
        if (pc.offset > ends[p]) return ahead_of_the_log(p);
        {
          std::lock_guard lock(handoff.mutex);
          handoff.parts[p] = std::move(pc);
        }
        handoff.arrived.notify_all();
        return Status::ok();
      });
  {
    std::lock_guard lock(handoff.mutex);
    handoff.closed = true;
  }
  handoff.arrived.notify_all();
  loading.join();
  DIMONA_TRY(checkpoint);
  if (!checkpoint->has_value()) return projector;
  if ((*checkpoint)->partitions.size() != n) return of_another_log((*checkpoint)->partitions.size(), n);
  DIMONA_TRY(loaded);
  projector->checkpoint_current_ =
      !options.as_of && std::none_of(projector->backfill_.begin(), projector->backfill_.end(), [](const auto& models) {
        return std::find(models.begin(), models.end(), true) != models.end();
      });
  return projector;
}

Status Projector::install(uint32_t p, PartitionCheckpoint&& pc) {
  std::string_view ledger;
  std::vector<ModelSection> sections;
  DIMONA_TRY(split_partition(pc.state, p, &ledger, &sections));
  auto state = std::make_unique<LedgerState>();
  DIMONA_TRY(LedgerState::load(ledger, state.get()));
  state->set_quota_schedule(options_.quota);
  states_[p] = std::move(state);
  for (size_t m = 0; m < models_[p].size(); ++m) {
    ReadModel& model = *models_[p][m];
    auto section =
        std::find_if(sections.begin(), sections.end(), [&](const ModelSection& x) { return x.name == model.name(); });
    if (section == sections.end() || section->version != model.version()) {
      backfill_[p][m] = pc.offset > 0;  // folded again alone (the contract)
      continue;
    }
    if (Status model_loaded = model.load(section->bytes); !model_loaded.is_ok())
      return corruption("checkpoint partition " + std::to_string(p) + ", read model " + std::string(model.name()) +
                        ": " + model_loaded.message());
  }
  offsets_[p] = pc.offset;
  fences_[p] = pc.fence;
  return Status::ok();
}

Result<std::unique_ptr<Projector>> Projector::open_deferred(Log& log, const ProjectorOptions& given) {
  if (given.as_of || !given.partitions.empty())
    return invalid_argument("a deferred projector holds every partition of the present");
  Result<std::unique_ptr<Projector>> made = make(log, given);  // nothing loaded: the reads are load()'s
  DIMONA_TRY(made);
  std::unique_ptr<Projector> projector = std::move(*made);
  const uint32_t n = log.partitions();
  auto d = std::make_unique<Deferred>();
  d->claimed.assign(n, false);
  Result<std::vector<Offset>> ends = log_ends(log);
  DIMONA_TRY(ends);
  d->ends = std::move(*ends);
  if (!given.checkpoint_path.empty()) {
    Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(given.checkpoint_path);
    DIMONA_TRY(store);
    Result<std::optional<Checkpoint>> head = (*store)->begin_partial_load();
    DIMONA_TRY(head);
    if (head->has_value()) {
      if ((*head)->partitions.size() != n) return of_another_log((*head)->partitions.size(), n);
      for (uint32_t p = 0; p < n; ++p)
        if ((*head)->partitions[p].offset > d->ends[p]) return ahead_of_the_log(p);
      d->head = std::move(*head);
      d->store = std::move(*store);
    }
  }
  d->early = std::make_unique<Deferred::EarlyIndex[]>(n);
  for (uint32_t p = 0; p < n; ++p) projector->loaded_[p].store(false, std::memory_order_relaxed);
  projector->deferred_ = std::move(d);
  return projector;
}

Instant Projector::checkpoint_ledger_time() const {
  return deferred_ && deferred_->head ? deferred_->head->ledger_time : Instant{};
}

bool Projector::checkpoint_refused() const { return deferred_ && deferred_->checkpoint_refused; }

uint32_t Projector::loaded_count() const {
  return deferred_ ? deferred_->loaded.load(std::memory_order_acquire) : partition_count();
}

void Projector::want(uint32_t p) const {
  DIMONA_ASSERT(deferred_ != nullptr);  // only a deferred projector has partitions not loaded
  {
    std::lock_guard lock(deferred_->mutex);
    if (!deferred_->claimed[p] &&
        std::find(deferred_->wanted.begin(), deferred_->wanted.end(), p) == deferred_->wanted.end())
      deferred_->wanted.push_back(p);
  }
  throw PartitionLoading(p, loaded_count(), partition_count());
}

std::optional<std::vector<Offset>> Projector::loading_citizen_offsets(Ssin citizen) const {
  const uint32_t p = partition_of(citizen);
  if (loaded(p)) return std::nullopt;
  DIMONA_ASSERT(deferred_ != nullptr);  // only a deferred projector has partitions not loaded
  Deferred::EarlyIndex& early = deferred_->early[p];
  std::lock_guard lock(early.mutex);
  if (!std::exchange(early.tried, true)) early.index = early_citizen_index(p);
  if (!early.index) return std::nullopt;
  return early.index->offsets(citizen);
}

std::unique_ptr<CitizenIndex> Projector::early_citizen_index(uint32_t p) const {
  Deferred& d = *deferred_;
  const Offset from = d.head ? d.head->partitions[p].offset : 0;
  if (d.ends[p] - from > options_.loading_tail_events_max) return nullptr;
  auto index = std::make_unique<CitizenIndex>();
  if (from > 0) {
    std::optional<std::string> section;
    std::unique_lock lock(d.early_store_mutex);  // the read only: the section loads after
    if (!std::exchange(d.early_store_tried, true)) {
      Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options_.checkpoint_path);
      Result<std::optional<Checkpoint>> same = store.is_ok() ? (*store)->begin_partial_load() : store.status();
      // The same checkpoint, not one written since in its place (a new file restarts sequences).
      const auto same_as_head = [&](const Checkpoint& c) {
        if (c.sequence != d.head->sequence || c.state_hash != d.head->state_hash ||
            c.ledger_time != d.head->ledger_time || c.partitions.size() != d.head->partitions.size())
          return false;
        for (size_t q = 0; q < c.partitions.size(); ++q)
          if (c.partitions[q].offset != d.head->partitions[q].offset ||
              c.partitions[q].fence != d.head->partitions[q].fence)
            return false;
        return true;
      };
      if (same.is_ok() && same->has_value() && same_as_head(**same)) d.early_store = std::move(*store);
    }
    if (!d.early_store) return nullptr;  // none to be had, or the load has ended (the partition loaded, or never will)
    const Status read =
        d.early_store->read_partition_bytes(p, [&](const CheckpointStore::RangeReader& range) -> Status {
          Result<std::optional<std::string>> found =
              read_model_section(range, CitizenIndex::kName, CitizenIndex::kVersion);
          DIMONA_TRY(found);
          section = std::move(*found);
          return Status::ok();
        });
    lock.unlock();
    if (!read.is_ok() || !section || !CitizenIndex::load(*section, index.get()).is_ok()) return nullptr;
  }
  if (from == d.ends[p]) return index;
  Result<std::unique_ptr<LogConsumer>> consumer = log_.open_consumer();
  if (!consumer.is_ok()) return nullptr;
  FenceFilter fences(d.head ? d.head->partitions[p].fence : kNoEpoch);
  const Status read = read_fenced_events(
      **consumer, p, partition_count(), from, d.ends[p], fences,
      [&](const LogRecordView& record, const Event& event) {
        index->apply_record(event, record.offset, FoldedRecord{record.source, p, partition_count()});
        return Status::ok();
      },
      no_event);
  if (!read.is_ok()) return nullptr;
  return index;
}

Result<std::optional<uint32_t>> Projector::load_next(const std::atomic<bool>* stop) {
  Deferred& d = *deferred_;
  const uint32_t n = partition_count();
  uint32_t p = n;
  {
    std::lock_guard lock(d.mutex);
    while (!d.wanted.empty() && d.claimed[d.wanted.front()]) d.wanted.pop_front();
    if (!d.wanted.empty()) {
      p = d.wanted.front();
      d.wanted.pop_front();
    } else {
      while (d.next < n && d.claimed[d.next]) ++d.next;
      if (d.next == n) return std::optional<uint32_t>();
      p = d.next;
    }
    d.claimed[p] = true;
  }
  if (d.head) {
    Result<PartitionCheckpoint> read = failed_precondition("the load has ended");
    {
      std::lock_guard lock(d.store_mutex);
      if (d.store) read = d.store->load_partition(p);
    }
    if (read.is_ok() && read->offset != d.head->partitions[p].offset)  // one read transaction: never, unless corrupt
      read = corruption("checkpoint partition " + std::to_string(p) + " changed while loading");
    if (!read.is_ok()) {
      d.checkpoint_refused = read.status().code() != Code::kFailedPrecondition;
      return read.status();
    }
    if (Status installed = install(p, std::move(*read)); !installed.is_ok()) {
      d.checkpoint_refused = true;
      return installed;
    }
  }
  uint64_t backfilled = 0, folded = 0;
  DIMONA_TRY(backfill_partition(p, &backfilled));
  while (offsets_[p] < d.ends[p]) {  // in rounds, so that a stop is heard within one
    if ((stop && stop->load()) || d.failed) return unavailable("stopped while loading partition " + std::to_string(p));
    DIMONA_TRY(fold_partition(p, d.ends[p], options_.round_events, &folded));
  }
  d.backfilled += backfilled;
  d.folded += folded;
  loaded_[p].store(true, std::memory_order_release);
  d.loaded.fetch_add(1, std::memory_order_acq_rel);
  d.early[p].drop();  // its readers read the partition now
  return std::optional<uint32_t>(p);
}

Result<ReplayStats> Projector::load(const std::function<void(uint32_t)>& on_loaded, const std::atomic<bool>* stop) {
  DIMONA_ASSERT(deferred_ != nullptr);
  const auto start = std::chrono::steady_clock::now();
  const unsigned threads = std::max(1U, std::min<unsigned>(options_.threads, partition_count()));
  std::vector<Status> errors(threads);
  Deferred& d = *deferred_;
  auto run = [&](unsigned t) {
    while (!(stop && stop->load()) && !d.failed) {
      Result<std::optional<uint32_t>> p = load_next(stop);
      if (!p.is_ok()) {
        errors[t] = p.status();
        d.failed = true;
        return;
      }
      if (!p->has_value()) return;
      if (on_loaded) on_loaded(**p);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(run, t);
  run(0);
  for (std::thread& th : pool) th.join();
  {
    // Closed on every path: a checkpoint refused is set aside (renamed) by the caller next.
    std::lock_guard lock(d.store_mutex);
    if (d.store) d.store->end_partial_load();
    d.store.reset();
  }
  {
    std::lock_guard lock(d.early_store_mutex);
    d.early_store_tried = true;
    if (d.early_store) d.early_store->end_partial_load();
    d.early_store.reset();
  }
  for (uint32_t p = 0; p < partition_count(); ++p) d.early[p].drop();  // read the partitions now, or wait in vain
  // The first cause: a thread that stopped because another failed says only that it stopped.
  for (const Status& error : errors)
    if (!error.is_ok() && error.code() != Code::kUnavailable) return error;
  for (const Status& error : errors) DIMONA_TRY(error);
  if (!fully_loaded()) return unavailable("stopped while loading the partitions");
  ReplayStats stats;
  stats.events = d.folded;
  stats.backfilled_events = d.backfilled;
  if (d.head)
    for (const PartitionCheckpoint& pc : d.head->partitions) stats.resumed_events += pc.offset;
  unsaved_events_ += stats.events;
  checkpoint_current_ = d.head && stats.events == 0 && stats.backfilled_events == 0;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

Result<std::unique_ptr<Projector>> Projector::of_citizen(Log& log, const ProjectorOptions& given, Ssin citizen,
                                                         const std::vector<Offset>& offsets, Instant as_of,
                                                         LogConsumer* reader) {
  ProjectorOptions options = given;
  options.checkpoint_path.clear();
  options.partitions.clear();
  options.as_of = as_of;
  Result<std::unique_ptr<Projector>> opened = open(log, options);
  DIMONA_TRY(opened);
  Projector& projector = **opened;
  const uint32_t p = projector.partition_of(citizen);
  LoggedEventReader decoder;
  DIMONA_TRY(
      projector.for_each_event_at(p, offsets, reader, [&](Offset offset, const std::string& line) -> Result<bool> {
        Result<Event> event = read_logged_event(decoder, line, p, offset, projector.partition_count());
        DIMONA_TRY(event);
        if (event->ssin != citizen)
          return corruption("partition " + std::to_string(p) + " offset " + std::to_string(offset) +
                            ": not the citizen the index names");
        if (event->recorded_at > as_of) return false;  // the rest are later still
        projector.offsets_[p] = offset;                // the citizen's events alone: the others are not this state's
        DIMONA_TRY(projector.fold_event(p, *event, {}));  // a view: no writer starts from it
        return true;
      }));
  return opened;
}

Status Projector::for_each_event_at(uint32_t p, std::span<const Offset> offsets, LogConsumer* reader,
                                    const std::function<Result<bool>(Offset, const std::string&)>& f) const {
  std::unique_ptr<LogConsumer> own;
  if (!reader && !offsets.empty()) {
    Result<std::unique_ptr<LogConsumer>> consumer = log_.open_reader();
    DIMONA_TRY(consumer);
    own = std::move(*consumer);
    reader = own.get();
  }
  for (size_t at = 0; at < offsets.size();) {
    const size_t chunk_end = std::min(offsets.size(), at + limits::citizen_history_read_events);
    const std::vector<Offset> chunk(offsets.begin() + static_cast<std::ptrdiff_t>(at),
                                    offsets.begin() + static_cast<std::ptrdiff_t>(chunk_end));
    Result<std::vector<std::string>> lines = events_at(p, chunk, reader);
    DIMONA_TRY(lines);
    for (size_t i = 0; i < chunk.size(); ++i) {
      Result<bool> go_on = f(chunk[i], (*lines)[i]);
      DIMONA_TRY(go_on);
      if (!*go_on) return Status::ok();
    }
    at = chunk_end;
  }
  return Status::ok();
}

Result<std::optional<WriterSeed>> writer_seed_of_checkpoint(const std::string& path, uint32_t partitions,
                                                            Checkpoint* keep) {
  using Answer = std::optional<WriterSeed>;
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(path);
  DIMONA_TRY(store);
  Result<std::optional<Checkpoint>> latest = (*store)->load();
  DIMONA_TRY(latest);
  if (!latest->has_value() || (*latest)->partitions.size() != partitions) return Answer();
  *keep = std::move(**latest);
  WriterSeed seed;
  seed.partitions.resize(partitions);
  for (uint32_t p = 0; p < partitions; ++p) {
    const PartitionCheckpoint& pc = keep->partitions[p];
    std::string_view ledger;
    std::vector<ModelSection> sections;
    DIMONA_TRY(split_partition(pc.state, p, &ledger, &sections));
    auto writer = std::find_if(sections.begin(), sections.end(), [](const ModelSection& m) {
      return m.name == WriterIndex::kName && m.version == WriterIndex::kVersion;
    });
    if (writer == sections.end()) return Answer();  // an older checkpoint: a fold from offset 0
    WriterIndex index;
    if (Status loaded = WriterIndex::load(writer->bytes, &index); !loaded.is_ok())
      return corruption("checkpoint partition " + std::to_string(p) + ", read model writer: " + loaded.message());
    seed.partitions[p] = seed_partition(pc.offset, pc.fence, index);
    seed.partitions[p].state_bytes = ledger;
  }
  return Answer(std::move(seed));
}

std::optional<WriterSeed> Projector::writer_seed(bool share) {
  std::optional<WriterSeed> seed = std::as_const(*this).writer_seed();
  if (seed && share)
    for (uint32_t p = 0; p < partition_count(); ++p) {
      if (!held_[p]) continue;
      seed->partitions[p].shared = states_[p].get();
      seed->partitions[p].state = nullptr;
    }
  return seed;
}

std::optional<WriterSeed> Projector::writer_seed() const {
  DIMONA_ASSERT(fully_loaded());
  if (options_.as_of) return std::nullopt;  // a past state: what a writer starts from is the present
  WriterSeed seed;
  seed.partitions.resize(partition_count());
  for (uint32_t p = 0; p < partition_count(); ++p) {
    if (!held_[p]) continue;  // another process's: a writer of this projector's partitions reads none of it
    const WriterIndex* index = find_model<WriterIndex>(p);
    if (index == nullptr) return std::nullopt;
    for (size_t m = 0; m < models_[p].size(); ++m)
      if (backfill_[p][m] && models_[p][m].get() == index) return std::nullopt;  // not folded yet
    seed.partitions[p] = seed_partition(offsets_[p], fences_[p], *index);
    seed.partitions[p].state = states_[p].get();
  }
  return seed;
}

uint32_t Projector::partition_of(Ssin citizen) const { return partition_for(citizen, partition_count()); }

const LedgerState& Projector::state_of(Ssin citizen) const { return partition(partition_of(citizen)); }

const AnomalyLog& Projector::anomalies_of(Ssin citizen) const { return anomalies(partition_of(citizen)); }

std::vector<AnomalyRecord> Projector::anomalies_of_employer(uint64_t employer) const {
  std::vector<AnomalyRecord> records;
  for (uint32_t p = 0; p < partition_count(); ++p) {
    std::vector<AnomalyRecord> some = anomalies(p).of_employer(employer, partition(p));
    records.insert(records.end(), some.begin(), some.end());
  }
  std::sort(records.begin(), records.end(), [](const AnomalyRecord& a, const AnomalyRecord& b) {
    return a.recorded_at != b.recorded_at ? a.recorded_at < b.recorded_at : a.declaration < b.declaration;
  });
  return records;
}

Instant Projector::ledger_time() const {
  Instant t;
  for (uint32_t p = 0; p < partition_count(); ++p) t = std::max(t, partition(p).last_recorded_at());
  return t;
}

// Folds partition p from offsets_[p] on, at most `max_events` events and not past `until`.
Status Projector::fold_partition(uint32_t p, Offset until, uint64_t max_events, uint64_t* folded) {
  Offset& at = offsets_[p];
  const Offset stop = std::min<Offset>(until, at + max_events);
  if (at >= stop) return Status::ok();
  if (!consumers_[p]) {
    Result<std::unique_ptr<LogConsumer>> consumer = log_.open_consumer();
    DIMONA_TRY(consumer);
    consumers_[p] = std::move(*consumer);
  }
  FenceFilter fences(fences_[p]);
  return read_fenced_events(
      *consumers_[p], p, partition_count(), at, stop, fences,
      [&](const LogRecordView& record, const Event& event) -> Status {
        at = record.offset;
        DIMONA_TRY(fold_event(p, event, record.source));
        if (options_.event_ids) options_.event_ids->add(p, record.event_id);
        ++*folded;
        return Status::ok();
      },
      [&](const LogRecordView& record) {
        fences_[p] = fences.fence();
        at = record.offset + 1;
      });
}

Status Projector::fold_event(uint32_t p, const Event& event, std::string_view source, bool state_applied) {
  if (!state_applied) DIMONA_TRY(states_[p]->apply(event));
  const FoldedRecord record{source, p, partition_count()};
  for (const std::unique_ptr<ReadModel>& model : models_[p]) model->apply_record(event, offsets_[p], record);
  ++offsets_[p];
  return Status::ok();
}

Result<bool> Projector::fold_appended(std::span<const Appended> events, uint64_t* folded, bool state_applied) {
  DIMONA_ASSERT(!options_.as_of);  // a past state is a view of the log, never handed writes
  DIMONA_ASSERT(fully_loaded());
  LoggedEventReader decoder;
  std::vector<bool> stopped(partition_count(), false);
  bool whole = true;
  uint64_t n = 0;
  for (const Appended& a : events) {
    DIMONA_ASSERT(a.partition < partition_count());
    const uint32_t p = a.partition;
    if (!held_[p] || stopped[p] || a.offset < offsets_[p]) continue;  // not ours, or folded already
    if (a.offset > offsets_[p]) {  // records came between: the log has them, this hand-over does not
      stopped[p] = true;
      whole = false;
      continue;
    }
    Result<Event> event = read_logged_event(decoder, a.payload, p, a.offset, partition_count());
    DIMONA_TRY(event);
    DIMONA_TRY(fold_event(p, *event, a.source, state_applied));
    ++n;
  }
  unsaved_events_ += n;
  if (n > 0) checkpoint_current_ = false;
  if (folded) *folded = n;
  if (n > 0 && checkpoint_due_in_fold()) DIMONA_TRY(save_checkpoint());
  return whole;
}

bool Projector::checkpoint_due_in_fold() const { return options_.checkpoint_in_fold && checkpoint_due(); }

bool Projector::checkpoint_due() const {
  const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint_).count();
  const double every = std::max(options_.checkpoint_every_seconds, 9 * last_checkpoint_seconds_);
  return !options_.checkpoint_path.empty() && !options_.as_of && unsaved_events_ > 0 &&
         (unsaved_events_ >= options_.checkpoint_every_events || since >= every);
}

Result<bool> Projector::checkpoint_if_due() {
  if (!fully_loaded() || !checkpoint_due()) return false;  // a partial state is never saved
  DIMONA_TRY(save_checkpoint());
  return true;
}

Status Projector::backfill(uint64_t* folded) {
  for (uint32_t p = 0; p < partition_count(); ++p) DIMONA_TRY(backfill_partition(p, folded));
  return Status::ok();
}

Status Projector::backfill_partition(uint32_t p, uint64_t* folded) {
  {
    std::vector<ReadModel*> again;
    for (size_t m = 0; m < models_[p].size(); ++m)
      if (backfill_[p][m]) again.push_back(models_[p][m].get());
    if (again.empty()) return Status::ok();
    if (!deferred_) checkpoint_current_ = false;  // a deferred load() says it once all are loaded
    Result<std::unique_ptr<LogConsumer>> consumer = log_.open_consumer();
    DIMONA_TRY(consumer);
    FenceFilter fences;
    DIMONA_TRY(read_fenced_events(
        **consumer, p, partition_count(), 0, offsets_[p], fences,
        [&](const LogRecordView& record, const Event& event) {
          const FoldedRecord context{record.source, p, partition_count()};
          for (ReadModel* model : again) model->apply_record(event, record.offset, context);
          ++*folded;
          return Status::ok();
        },
        no_event));
    std::fill(backfill_[p].begin(), backfill_[p].end(), false);
  }
  return Status::ok();
}

Result<std::string> Projector::event_at(uint32_t p, Offset offset) const {
  DIMONA_ASSERT(p < partition_count());
  Result<std::unique_ptr<LogConsumer>> consumer = log_.open_reader();
  DIMONA_TRY(consumer);
  std::string payload;
  const Offset wanted[] = {offset};  // past the end: no_such_offset, as every read by offset
  DIMONA_TRY((*consumer)->read_at(p, wanted, [&](LogRecord& record) {
    payload = std::move(record.payload);
    return Status::ok();
  }));
  return payload;
}

Result<std::vector<std::string>> Projector::events_at(uint32_t p, const std::vector<Offset>& offsets,
                                                      LogConsumer* reader) const {
  DIMONA_ASSERT(p < partition_count());
  std::vector<std::string> out;
  if (offsets.empty()) return out;
  std::unique_ptr<LogConsumer> own;
  if (!reader) {
    Result<std::unique_ptr<LogConsumer>> opened = log_.open_reader();
    DIMONA_TRY(opened);
    own = std::move(*opened);
    reader = own.get();
  }
  out.reserve(offsets.size());
  DIMONA_TRY(reader->read_at(p, offsets, [&](LogRecord& record) {
    out.push_back(std::move(record.payload));
    return Status::ok();
  }));
  DIMONA_ASSERT(out.size() == offsets.size());  // read_at hands every offset, in order
  return out;
}

Status Projector::checkpoint() {
  if (options_.checkpoint_path.empty() || options_.as_of || checkpoint_current_) return Status::ok();
  if (!fully_loaded()) return failed_precondition("the partitions are still being loaded: no checkpoint of a part");
  return save_checkpoint();
}

Status Projector::save_checkpoint() {
  DIMONA_ASSERT(!options_.as_of);  // a past state is a view: it never writes a checkpoint
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options_.checkpoint_path);
  DIMONA_TRY(store);
  const auto started = std::chrono::steady_clock::now();
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();  // the sequences, not the states
  DIMONA_TRY(kept);
  for (uint32_t p = 0; p < partition_count(); ++p) require(p);  // before encoding any
  return_free_memory();  // what the fold's growth left free, before a partition's bytes are made beside the state
  const uint64_t sequence = kept->empty() ? 1 : kept->back().sequence + 1;
  encoded_.resize(partition_count());
  Result<std::string> hash = (*store)->save_each(
      sequence, ledger_time(), partition_count(),
      [this](uint32_t p) -> Result<PartitionCheckpoint> {
        // The last checkpoint's size, scaled to the events folded since, and a quarter more: a
        // partition's bytes grow about as its events do.
        const auto [bytes, offset] = encoded_[p];
        const double scaled = offset > 0 ? static_cast<double>(bytes) * static_cast<double>(offsets_[p]) /
                                               static_cast<double>(offset) * 1.25
                                         : 0;
        PartitionCheckpoint pc = encode(p, static_cast<size_t>(scaled));
        encoded_[p] = {pc.state.size(), pc.offset};
        return pc;
      },
      options_.keep_checkpoints);
  DIMONA_TRY(hash);
  unsaved_events_ = 0;
  checkpoint_current_ = true;
  last_checkpoint_ = std::chrono::steady_clock::now();
  last_checkpoint_seconds_ = std::chrono::duration<double>(last_checkpoint_ - started).count();
  return Status::ok();
}

PartitionCheckpoint Projector::encode(uint32_t p, size_t room) const {
  PartitionCheckpoint pc;
  pc.offset = offsets_[p];
  pc.fence = fences_[p];
  pc.state.reserve(std::min(room, limits::checkpoint_partition_room_max));
  put_section(&pc.state, [&](std::string* bytes) { states_[p]->save(bytes); });
  const uint32_t count = static_cast<uint32_t>(models_[p].size());
  for (size_t i = 0; i < 4; ++i) pc.state.push_back(static_cast<char>(count >> (8 * i)));
  for (const std::unique_ptr<ReadModel>& model : models_[p]) put_model_section(&pc.state, *model);
  return pc;
}

std::string Projector::state_hash() const {
  for (uint32_t p = 0; p < partition_count(); ++p) require(p);  // before encoding any
  StateHasher hasher(partition_count());
  for (uint32_t p = 0; p < partition_count(); ++p) {
    const PartitionCheckpoint pc = encode(p);
    hasher.add(pc.offset, pc.state);
  }
  return hasher.finish();
}

Result<ReplayStats> Projector::catch_up(const std::function<void(const ReplayProgress&)>& progress) {
  std::vector<Offset> ends(partition_count());
  Result<std::unique_ptr<LogConsumer>> end_reader = log_.open_consumer();
  DIMONA_TRY(end_reader);
  for (uint32_t p = 0; p < partition_count(); ++p) {
    if (!held_[p]) {
      ends[p] = offsets_[p];  // another process's: nothing to fold here
      continue;
    }
    Result<Offset> end = (*end_reader)->end_offset(p);
    DIMONA_TRY(end);
    if (options_.as_of) end = first_offset_after(**end_reader, p, *options_.as_of, *end);
    DIMONA_TRY(end);
    ends[p] = std::max(*end, offsets_[p]);  // a checkpoint at or before as_of never passes it
  }
  return catch_up_to(ends, progress);
}

Result<ReplayStats> Projector::catch_up_to(const std::vector<Offset>& ends,
                                           const std::function<void(const ReplayProgress&)>& progress) {
  if (ends.size() != partition_count())
    return invalid_argument("catch_up_to: " + std::to_string(ends.size()) + " offsets for " +
                            std::to_string(partition_count()) + " partitions");
  DIMONA_ASSERT(fully_loaded());  // a deferred projector folds nothing until load() ends ("Serve at once")
  const auto start = std::chrono::steady_clock::now();
  ReplayStats stats;
  DIMONA_TRY(backfill(&stats.backfilled_events));
  ReplayProgress shown;
  for (uint32_t p = 0; p < partition_count(); ++p) {
    if (ends[p] < offsets_[p])
      return invalid_argument("catch_up_to: partition " + std::to_string(p) + " is already past offset " +
                              std::to_string(ends[p]));
    stats.resumed_events += offsets_[p];
    shown.total += ends[p] - offsets_[p];
  }
  for (;;) {
    bool done = true;
    for (uint32_t p = 0; p < partition_count(); ++p) done &= offsets_[p] >= ends[p];
    if (done) break;
    // One round: every partition advances by at most round_events, on `threads` threads.
    std::vector<uint64_t> folded(partition_count(), 0);
    DIMONA_TRY(for_each_partition_on_threads(options_.threads, partition_count(), [&](uint32_t p) {
      return fold_partition(p, ends[p], options_.round_events, &folded[p]);
    }));
    for (uint64_t n : folded) {
      stats.events += n;
      unsaved_events_ += n;
      if (n > 0) checkpoint_current_ = false;
      shown.events += n;
    }
    if (progress) progress(shown);
    // A checkpoint due with less than a quarter of checkpoint_every_events left to fold waits for
    // the one after the last round (below): not the whole state written twice within seconds.
    if (checkpoint_due_in_fold() && shown.total - shown.events >= options_.checkpoint_every_events / 4) {
      DIMONA_TRY(save_checkpoint());
      ++stats.checkpoints;
    }
  }
  // Every event read: the duplicate check's hashes merged and freed before the checkpoint below.
  if (options_.event_ids) options_.event_ids->settle();
  const bool at_end = options_.checkpoint_at_end &&
                      (stats.events > 0 || stats.backfilled_events > 0 || stats.resumed_events == 0);
  if (!options_.checkpoint_path.empty() && !options_.as_of && (at_end || (stats.events > 0 && checkpoint_due_in_fold()))) {
    DIMONA_TRY(save_checkpoint());
    ++stats.checkpoints;
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace dimona
