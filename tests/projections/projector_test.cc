#include "projections/projector.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

#include "bench/generator/generator.h"
#include "engine/codec.h"
#include "engine/log/log.h"
#include "tests/engine/log_test_support.h"
#include "engine/ingest.h"
#include "projections/checkpoint_store.h"
#include "projections/export.h"
#include "projections/student_views.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/projections/generated_year.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

namespace fs = std::filesystem;

using testing::export_of;

using testing::TempDir;

// A generated year ingested into an in-memory log once, shared by the tests.
class ProjectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log_ = testing::memory_log(8).release();  // NOLINT: suite-lifetime fixture, freed in TearDownTestSuite
    input_ = new std::string(testing::ingest_generated_year(*log_, 1500, 11));  // NOLINT
  }
  static void TearDownTestSuite() {
    delete log_;    // NOLINT
    delete input_;  // NOLINT
  }

  static std::string replay(const ProjectorOptions& options) {
    auto p = Projector::open(*log_, options);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_TRUE((*p)->catch_up().is_ok());
    return export_of(**p);
  }

  // Replays with a checkpoint file, then runs `statement` on that file.
  static void checkpoint_then(const ProjectorOptions& options, const char* statement) {
    replay(options);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options.checkpoint_path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, statement, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  static Log* log_;
  static std::string* input_;
};

Log* ProjectorTest::log_ = nullptr;
std::string* ProjectorTest::input_ = nullptr;

TEST_F(ProjectorTest, ReplayIsDeterministicAcrossRunsAndThreads) {
  ProjectorOptions one;
  const std::string a = replay(one);
  EXPECT_GT(a.size(), 100'000u);
  EXPECT_EQ(replay(one), a);
  ProjectorOptions two;
  two.threads = 2;
  two.round_events = 777;  // many rounds, partitions interleaved differently
  EXPECT_EQ(replay(two), a);
}

// The records of every partition of `full` appended to the same partition of `to` (empty): the
// first half of each, or all.
void copy_records(Log& full, Log& to, bool first_half = true) {
  for (uint32_t p = 0; p < full.partitions(); ++p) {
    const std::vector<LogRecord> records = testing::read_all(full, p);
    std::vector<LogRecordDraft> drafts;
    for (size_t i = 0; i < (first_half ? records.size() / 2 : records.size()); ++i) {
      const LogRecord& r = records[i];
      drafts.push_back({r.event_id, r.key, r.type, r.schema_version, r.recorded_at, r.payload, r.source});
    }
    auto producer = to.open_producer(p);
    ASSERT_TRUE(producer.is_ok());
    ASSERT_TRUE((*producer)->append(drafts).is_ok());
  }
}

TEST_F(ProjectorTest, RestartFromACheckpointGivesTheSameExport) {
  TempDir dir;
  const std::string expected = replay(ProjectorOptions{});
  // First run: a checkpoint every few thousand events, then "stop" halfway by
  // folding a log that holds only the first half of each partition.
  std::unique_ptr<Log> half = testing::memory_log(log_->partitions());
  ASSERT_NO_FATAL_FAILURE(copy_records(*log_, *half));
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  options.checkpoint_every_events = 2000;
  options.round_events = 500;
  {
    auto p = Projector::open(*half, options);
    ASSERT_TRUE(p.is_ok());
    auto stats = (*p)->catch_up();
    ASSERT_TRUE(stats.is_ok());
    EXPECT_GT(stats->checkpoints, 1u);
  }
  auto resumed = Projector::open(*log_, options);
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().to_string();
  auto stats = (*resumed)->catch_up();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_GT(stats->resumed_events, 0u);
  EXPECT_LT(stats->events, testing::event_count(*log_));
  EXPECT_EQ(export_of(**resumed), expected);
}

// A checkpoint that falls due with less than a quarter of checkpoint_every_events left to fold
// waits for the last round's: the whole state is not written twice within seconds (a 50 M-event
// rebuild wrote one 184 000 events before its end). One due earlier is written.
TEST_F(ProjectorTest, ACheckpointDueNearTheEndWaitsForTheLastOne) {
  const uint64_t events = testing::event_count(*log_);
  for (const auto& [every, written] : {std::pair<uint64_t, uint64_t>{events - events / 10, 1}, {events / 2, 2}}) {
    TempDir dir;
    ProjectorOptions options;
    options.checkpoint_path = dir.file("checkpoint.db");
    options.checkpoint_every_events = every;
    options.round_events = 97;
    options.keep_checkpoints = 4;
    auto p = Projector::open(*log_, options);
    ASSERT_TRUE(p.is_ok());
    auto stats = (*p)->catch_up();
    ASSERT_TRUE(stats.is_ok());
    EXPECT_EQ(stats->checkpoints, written) << "every " << every << " of " << events;
    auto store = CheckpointStore::open(options.checkpoint_path);
    ASSERT_TRUE(store.is_ok());
    auto kept = (*store)->list();
    ASSERT_TRUE(kept.is_ok());
    EXPECT_EQ(kept->size(), written);
  }
}

// replay --rebuild's duplicate check fed by the fold (ProjectorOptions::event_ids) finds what
// find_duplicate_events finds reading the log itself, on two threads: nothing in a sound log;
// an event appended again, once.
TEST_F(ProjectorTest, TheFoldHandsEveryEventIdToTheDuplicateCheck) {
  std::unique_ptr<Log> copy = testing::memory_log(log_->partitions());
  ASSERT_NO_FATAL_FAILURE(copy_records(*log_, *copy, /*first_half=*/false));
  auto checked_by_the_fold = [&]() -> DuplicateEvents {
    TempDir dir;
    DuplicateEventCheck check(copy->partitions());
    ProjectorOptions options;
    options.threads = 2;
    options.round_events = 97;                   // many rounds, each reading on from where the last stopped
    options.checkpoint_path = dir.file("c.db");  // and checkpoints written between them
    options.checkpoint_every_events = 1000;
    options.event_ids = &check;
    auto p = Projector::open(*copy, options);
    EXPECT_TRUE(p.is_ok());
    EXPECT_TRUE((*p)->catch_up().is_ok());
    Result<DuplicateEvents> found = check.finish(*copy);
    EXPECT_TRUE(found.is_ok()) << found.status().to_string();
    return found.is_ok() ? *found : DuplicateEvents{};
  };
  const DuplicateEvents sound = checked_by_the_fold();
  Result<DuplicateEvents> sound_read = find_duplicate_events(*copy);
  ASSERT_TRUE(sound_read.is_ok());
  EXPECT_EQ(sound.events, testing::event_count(*copy));
  EXPECT_EQ(sound.events, sound_read->events);
  EXPECT_EQ(sound.duplicates, 0u);
  const std::vector<LogRecord> records = testing::read_all(*copy, 3);
  const LogRecord& again = records.at(5);
  auto producer = copy->open_producer(3);  // a new session: no memory of the ids before it
  ASSERT_TRUE(producer.is_ok());
  const LogRecordDraft draft{again.event_id, again.key,   again.type, again.schema_version, records.back().recorded_at,
                             again.payload,  again.source};
  const Status appended = (*producer)->append(std::span<const LogRecordDraft>(&draft, 1)).status();
  ASSERT_TRUE(appended.is_ok()) << appended.to_string();
  const DuplicateEvents doubled = checked_by_the_fold();
  Result<DuplicateEvents> read = find_duplicate_events(*copy);
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(doubled.events, read->events);
  EXPECT_EQ(doubled.duplicates, 1u);
  EXPECT_EQ(doubled.ids, read->ids);
  EXPECT_EQ(doubled.ids, std::vector<std::string>{again.event_id});
}

// fold_appended (serve's writes handed over, not read back): the log's records handed in any
// interleaving of partitions give the export and state hash of a replay; records handed past a
// gap stop that partition's hand-over (false) and a catch-up from the log folds the rest; a
// record folded already is skipped.
TEST_F(ProjectorTest, EventsHandedOverFoldAsTheLogReadBack) {
  const auto replayed = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(replayed.is_ok());
  ASSERT_TRUE((*replayed)->catch_up().is_ok());
  std::vector<std::vector<LogRecord>> records(log_->partitions());
  for (uint32_t p = 0; p < log_->partitions(); ++p) records[p] = testing::read_all(*log_, p);
  // Round robin over the partitions, each in offset order; `skip` leaves one record out.
  auto handed = [&](std::optional<std::pair<uint32_t, Offset>> skip) {
    std::vector<Projector::Appended> out;
    for (size_t i = 0;; ++i) {
      bool any = false;
      for (uint32_t p = 0; p < log_->partitions(); ++p) {
        if (i >= records[p].size()) continue;
        any = true;
        if (skip && skip->first == p && skip->second == records[p][i].offset) continue;
        out.push_back(Projector::Appended{p, records[p][i].offset, records[p][i].payload, records[p][i].source});
      }
      if (!any) return out;
    }
  };
  {
    auto p = Projector::open(*log_, ProjectorOptions{});
    ASSERT_TRUE(p.is_ok());
    const std::vector<Projector::Appended> all = handed(std::nullopt);
    uint64_t folded = 0;
    Result<bool> whole = (*p)->fold_appended(all, &folded);
    ASSERT_TRUE(whole.is_ok()) << whole.status().to_string();
    EXPECT_TRUE(*whole);
    EXPECT_EQ(folded, testing::event_count(*log_));
    EXPECT_EQ((*p)->state_hash(), (*replayed)->state_hash());
    EXPECT_EQ(export_of(**p), export_of(**replayed));
    // Handed again: every one folded already, nothing changes.
    whole = (*p)->fold_appended(all, &folded);
    ASSERT_TRUE(whole.is_ok());
    EXPECT_TRUE(*whole);
    EXPECT_EQ(folded, 0u);
    EXPECT_EQ((*p)->state_hash(), (*replayed)->state_hash());
  }
  {
    auto p = Projector::open(*log_, ProjectorOptions{});
    ASSERT_TRUE(p.is_ok());
    ASSERT_GT(records[3].size(), 20u);
    Result<bool> whole = (*p)->fold_appended(handed(std::make_pair(3u, Offset{10})));
    ASSERT_TRUE(whole.is_ok()) << whole.status().to_string();
    EXPECT_FALSE(*whole);             // a gap: the caller reads the log
    EXPECT_EQ((*p)->offset(3), 10u);  // partition 3 stopped before it, the others went on
    EXPECT_EQ((*p)->offset(2), records[2].size());
    EXPECT_NE((*p)->state_hash(), (*replayed)->state_hash());
    ASSERT_TRUE((*p)->catch_up().is_ok());
    EXPECT_EQ((*p)->state_hash(), (*replayed)->state_hash());
    EXPECT_EQ(export_of(**p), export_of(**replayed));
  }
}

// A payload handed over that is not an event is corruption, named by its place, as read back.
TEST_F(ProjectorTest, AnUndecodableEventHandedOverIsCorruption) {
  auto p = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(p.is_ok());
  const std::vector<Projector::Appended> bad{{0, 0, "{\"type\":\"noSuchEvent\"}", {}}};
  Result<bool> whole = (*p)->fold_appended(bad);
  ASSERT_FALSE(whole.is_ok());
  EXPECT_EQ(whole.status().code(), Code::kCorruption) << whole.status().to_string();
  EXPECT_NE(whole.status().message().find("partition 0 offset 0"), std::string::npos) << whole.status().to_string();
  EXPECT_EQ((*p)->offset(0), 0u);
}

TEST_F(ProjectorTest, ACheckpointOfAnotherFormatIsRefusedWithTheWayOut) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  checkpoint_then(options, "UPDATE meta SET value = 99 WHERE key = 'format_version'");
  auto p = Projector::open(*log_, options);
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("replay --rebuild"), std::string::npos) << p.status().message();
}

// Format 7, the one before fences (checkpoints.md): upgraded in place, every partition without a fence.
TEST_F(ProjectorTest, ACheckpointOfFormat7IsUpgradedInPlace) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  const std::string expected = replay(ProjectorOptions{});
  checkpoint_then(options, "ALTER TABLE partition_states DROP COLUMN fence;"
                           "UPDATE meta SET value = 7 WHERE key = 'format_version'");
  auto p = Projector::open(*log_, options);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  ASSERT_TRUE((*p)->catch_up().is_ok());
  EXPECT_EQ(export_of(**p), expected);
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options.checkpoint_path);
  ASSERT_TRUE(store.is_ok()) << store.status().to_string();
  Result<std::optional<Checkpoint>> loaded = (*store)->load();
  ASSERT_TRUE(loaded.is_ok() && loaded->has_value());
  for (const PartitionCheckpoint& partition : (**loaded).partitions) EXPECT_EQ(partition.fence, kNoEpoch);
}

// load_each() hands each partition to its taker as it reads it, in partition order, with what
// load() keeps of it; the Checkpoint it returns keeps the offsets and fences, no state. A taker's
// error stops the read there.
TEST_F(ProjectorTest, LoadEachHandsOverEveryPartitionInOrderAndStopsAtATakersError) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  replay(options);
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options.checkpoint_path);
  ASSERT_TRUE(store.is_ok()) << store.status().to_string();
  Result<std::optional<Checkpoint>> whole = (*store)->load();
  ASSERT_TRUE(whole.is_ok() && whole->has_value());
  const Checkpoint& expected = **whole;

  std::vector<PartitionCheckpoint> taken;
  Result<std::optional<Checkpoint>> each =
      (*store)->load_each(std::nullopt, [&](uint32_t p, uint32_t partitions, PartitionCheckpoint&& part) {
        EXPECT_EQ(p, taken.size());
        EXPECT_EQ(partitions, expected.partitions.size());
        taken.push_back(std::move(part));
        return Status::ok();
      });
  ASSERT_TRUE(each.is_ok() && each->has_value()) << each.status().to_string();
  ASSERT_EQ(taken.size(), expected.partitions.size());
  ASSERT_EQ((*each)->partitions.size(), expected.partitions.size());
  EXPECT_EQ((*each)->sequence, expected.sequence);
  EXPECT_EQ((*each)->state_hash, expected.state_hash);
  for (size_t p = 0; p < taken.size(); ++p) {
    EXPECT_EQ(taken[p].state, expected.partitions[p].state) << p;
    EXPECT_FALSE(taken[p].state.empty()) << p;
    EXPECT_EQ(taken[p].offset, expected.partitions[p].offset) << p;
    EXPECT_EQ((*each)->partitions[p].offset, expected.partitions[p].offset) << p;
    EXPECT_EQ((*each)->partitions[p].fence, expected.partitions[p].fence) << p;
    EXPECT_TRUE((*each)->partitions[p].state.empty()) << p;
  }

  uint32_t calls = 0;
  Result<std::optional<Checkpoint>> stopped =
      (*store)->load_each(std::nullopt, [&](uint32_t p, uint32_t, PartitionCheckpoint&&) {
        ++calls;
        return p == 2 ? io_error("partition 2 would not load") : Status::ok();
      });
  ASSERT_FALSE(stopped.is_ok());
  EXPECT_EQ(stopped.status().message(), "partition 2 would not load");
  EXPECT_EQ(calls, 3u);
}

// A partition's fence must lie below its offset (fence.h): anything else is a damaged checkpoint.
TEST_F(ProjectorTest, ACheckpointFenceNotBelowItsOffsetIsCorruption) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  checkpoint_then(options, "UPDATE partition_states SET fence = offset");
  auto p = Projector::open(*log_, options);
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), Code::kCorruption);
  EXPECT_NE(p.status().message().find("not below its offset"), std::string::npos) << p.status().message();
}

TEST_F(ProjectorTest, ACheckpointOfAnotherLogIsRefused) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  replay(options);
  std::unique_ptr<Log> other = testing::memory_log(log_->partitions());
  auto ahead = Projector::open(*other, options);  // the checkpoint is ahead of an empty log
  ASSERT_FALSE(ahead.is_ok());
  EXPECT_NE(ahead.status().message().find("ahead of the log"), std::string::npos);
  std::unique_ptr<Log> reshaped = testing::memory_log(3);
  auto shape = Projector::open(*reshaped, options);
  ASSERT_FALSE(shape.is_ok());
  EXPECT_NE(shape.status().message().find("partitions"), std::string::npos);
}

TEST_F(ProjectorTest, ACorruptCheckpointStateIsRefused) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  checkpoint_then(options, "UPDATE partition_states SET state = substr(state, 1, length(state) - 9) WHERE partition = 1");
  auto p = Projector::open(*log_, options);
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), Code::kCorruption);
}

// Format 8 kept the states in a WITHOUT ROWID table, the fence after the state: upgraded in
// place to format 9 (a rowid table, the state last), the checkpoint unchanged.
TEST_F(ProjectorTest, ACheckpointOfFormat8IsUpgradedInPlace) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  const std::string expected = replay(ProjectorOptions{});
  checkpoint_then(options,
                  "CREATE TABLE v8(sequence INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,"
                  " state BLOB NOT NULL, fence INTEGER, PRIMARY KEY(sequence, partition)) STRICT, WITHOUT ROWID;"
                  "INSERT INTO v8 SELECT sequence, partition, offset, state, fence FROM partition_states;"
                  "DROP TABLE partition_states; ALTER TABLE v8 RENAME TO partition_states;"
                  "UPDATE meta SET value = 8 WHERE key = 'format_version'");
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options.checkpoint_path);
  ASSERT_TRUE(store.is_ok()) << store.status().to_string();
  Result<std::optional<Checkpoint>> upgraded = (*store)->load();
  ASSERT_TRUE(upgraded.is_ok() && upgraded->has_value()) << upgraded.status().to_string();
  store->reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options.checkpoint_path.c_str(), &db), SQLITE_OK);
  std::string columns, version;
  auto collect = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) += std::string(values[0]) + ",";
    return 0;
  };
  ASSERT_EQ(sqlite3_exec(db, "SELECT name FROM pragma_table_info('partition_states')", collect, &columns, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "SELECT value FROM meta WHERE key = 'format_version'", collect, &version, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(columns, "sequence,partition,offset,fence,state,");
  EXPECT_EQ(version, "9,");
  auto p = Projector::open(*log_, options);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  ASSERT_TRUE((*p)->catch_up().is_ok());
  EXPECT_EQ(export_of(**p), expected);
  EXPECT_EQ((*p)->state_hash(), (*upgraded)->state_hash);
}

// --- Serve at once: a deferred open, partitions loaded one by one (projector.h) ---

// A checkpoint of the first half of every partition of the suite's log (the second half is the
// tail a load folds past it), at `path`.
void checkpoint_half(Log& full, const std::string& path) {
  std::unique_ptr<Log> half = testing::memory_log(full.partitions());
  ASSERT_NO_FATAL_FAILURE(copy_records(full, *half));
  ProjectorOptions options;
  options.checkpoint_path = path;
  auto p = Projector::open(*half, options);
  ASSERT_TRUE(p.is_ok());
  ASSERT_TRUE((*p)->catch_up().is_ok());
}

// A deferred projector over the suite's log and a checkpoint of its first half, beside the whole fold.
struct HalfCheckpointed {
  TempDir dir;
  std::unique_ptr<Projector> whole;
  std::unique_ptr<Projector> deferred;
};
void half_checkpointed(Log& log, HalfCheckpointed* out) {
  ProjectorOptions options;
  options.checkpoint_path = out->dir.file("checkpoint.db");
  ASSERT_NO_FATAL_FAILURE(checkpoint_half(log, options.checkpoint_path));
  auto whole = Projector::open(log, ProjectorOptions{});
  ASSERT_TRUE(whole.is_ok());
  ASSERT_TRUE((*whole)->catch_up().is_ok());
  out->whole = std::move(*whole);
  auto deferred = Projector::open_deferred(log, options);
  ASSERT_TRUE(deferred.is_ok()) << deferred.status().to_string();
  out->deferred = std::move(*deferred);
}

TEST_F(ProjectorTest, ADeferredProjectorAnswersNothingOfAPartitionUntilItIsLoadedWhole) {
  HalfCheckpointed half;
  ASSERT_NO_FATAL_FAILURE(half_checkpointed(*log_, &half));
  const std::unique_ptr<Projector>& whole = half.whole;
  Projector& deferred = *half.deferred;
  EXPECT_FALSE(deferred.fully_loaded());
  EXPECT_EQ(deferred.loaded_count(), 0u);
  EXPECT_FALSE(deferred.loaded(0));
  EXPECT_EQ(deferred.offset(0), 0u);
  // Where "now" starts while loading: the half's ledger time, short of the whole's.
  EXPECT_GT(deferred.checkpoint_ledger_time(), Instant{});
  EXPECT_LT(deferred.checkpoint_ledger_time(), whole->ledger_time());
  EXPECT_THROW((void)deferred.partition(0), PartitionLoading);
  EXPECT_THROW((void)deferred.anomalies(1), PartitionLoading);
  EXPECT_THROW((void)deferred.find([](const LedgerState&) -> const Period* { return nullptr; }), PartitionLoading);
  EXPECT_THROW((void)deferred.ledger_time(), PartitionLoading);
  EXPECT_THROW((void)deferred.state_hash(), PartitionLoading);
  const Status no_checkpoint = deferred.checkpoint();
  EXPECT_EQ(no_checkpoint.code(), Code::kFailedPrecondition) << no_checkpoint.to_string();

  std::vector<uint32_t> order;
  Result<ReplayStats> stats = deferred.load([&](uint32_t q) {
    order.push_back(q);
    EXPECT_TRUE(deferred.loaded(q));
    EXPECT_EQ(deferred.offset(q), whole->offset(q)) << q;  // its tail folded before it answers
  });
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(order.size(), log_->partitions());
  EXPECT_TRUE(deferred.fully_loaded());
  EXPECT_GT(stats->resumed_events, 0u);
  EXPECT_EQ(stats->resumed_events + stats->events, testing::event_count(*log_));
  EXPECT_EQ(deferred.state_hash(), whole->state_hash());
  EXPECT_EQ(export_of(deferred), export_of(*whole));
  // Past the checkpoint: the next one is due and written; a catch-up folds nothing more.
  Result<ReplayStats> more = deferred.catch_up();
  ASSERT_TRUE(more.is_ok());
  EXPECT_EQ(more->events, 0u);
}

// A citizen's offsets before the citizen's partition is loaded: the checkpoint's CitizenIndex
// section, read alone, and the log past the checkpoint give exactly the offsets of the whole fold.
TEST_F(ProjectorTest, ACitizensOffsetsAreKnownBeforeTheirPartitionIsLoaded) {
  HalfCheckpointed half;
  ASSERT_NO_FATAL_FAILURE(half_checkpointed(*log_, &half));
  const std::unique_ptr<Projector>& whole = half.whole;
  const std::unique_ptr<Projector>& p = half.deferred;
  size_t citizens = 0, with_a_tail = 0;
  for (uint32_t q = 0; q < log_->partitions(); ++q) {
    const Offset middle = testing::read_all(*log_, q).size() / 2;
    whole->partition(q).for_each_worker([&](Ssin worker) {
      if (!worker.value) return;
      const std::vector<Offset> expected = whole->citizens(q).offsets(worker);
      const std::optional<std::vector<Offset>> early = p->loading_citizen_offsets(worker);
      ASSERT_TRUE(early.has_value()) << q;
      EXPECT_EQ(*early, expected) << q;
      ++citizens;
      with_a_tail += !expected.empty() && expected.back() >= middle;
    });
  }
  EXPECT_GT(citizens, 1000u);
  EXPECT_GT(with_a_tail, 100u);         // the log past the checkpoint counts too
  EXPECT_EQ(p->loaded_count(), 0u);     // nothing loaded for them
  EXPECT_EQ(p->loading_citizen_offsets(Ssin{1}), std::optional<std::vector<Offset>>(std::vector<Offset>{}));
  ASSERT_TRUE(p->load().is_ok());
  EXPECT_EQ(p->loading_citizen_offsets(Ssin{1}), std::nullopt);  // loaded: read the partition
  EXPECT_EQ(export_of(*p), export_of(*whole));
}

// A partition with more events past its checkpoint than loading_tail_events_max leaves its
// citizens to wait for its load; one with fewer (or none) answers early.
TEST_F(ProjectorTest, NoEarlyOffsetsPastTheTailLimit) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  ASSERT_NO_FATAL_FAILURE(checkpoint_half(*log_, options.checkpoint_path));
  const uint32_t p = 2;
  const uint64_t tail = testing::read_all(*log_, p).size() - testing::read_all(*log_, p).size() / 2;
  ASSERT_GT(tail, 10u);
  Ssin citizen{0};
  for (const LogRecord& r : testing::read_all(*log_, p))
    if (citizen.value == 0 && r.key.size() == 11) citizen = Ssin{std::stoull(r.key)};
  ASSERT_EQ(partition_for(citizen, log_->partitions()), p);
  for (const uint64_t limit : {tail - 1, tail}) {
    options.loading_tail_events_max = limit;
    auto deferred = Projector::open_deferred(*log_, options);
    ASSERT_TRUE(deferred.is_ok()) << deferred.status().to_string();
    EXPECT_EQ((*deferred)->loading_citizen_offsets(citizen).has_value(), limit == tail) << limit;
  }
}

// Without a checkpoint's index to start from, a citizen's reader waits for the load: a checkpoint
// cut short (whose load is then refused), one without a CitizenIndex section.
TEST_F(ProjectorTest, NoEarlyOffsetsFromACheckpointWithoutAUsableCitizenIndex) {
  const Ssin someone = [] {
    Ssin found{0};
    for (const LogRecord& r : testing::read_all(*log_, 0))
      if (found.value == 0 && r.key.size() == 11) found = Ssin{std::stoull(r.key)};
    return found;
  }();
  ASSERT_NE(someone.value, 0u);
  {
    TempDir dir;
    ProjectorOptions options;
    options.checkpoint_path = dir.file("checkpoint.db");
    checkpoint_then(options, "UPDATE partition_states SET state = substr(state, 1, 20)");
    auto p = Projector::open_deferred(*log_, options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_EQ((*p)->loading_citizen_offsets(someone), std::nullopt);
    EXPECT_FALSE((*p)->load().is_ok());
    EXPECT_TRUE((*p)->checkpoint_refused());
  }
  {
    TempDir dir;
    ProjectorOptions options;
    options.checkpoint_path = dir.file("checkpoint.db");
    for (const ReadModelFactory& make : standard_read_models())
      if (make()->name() != CitizenIndex::kName) options.read_models.push_back(make);
    auto without = Projector::open(*log_, options);
    ASSERT_TRUE(without.is_ok());
    ASSERT_TRUE((*without)->catch_up().is_ok());
    options.read_models.clear();  // the standard ones: the CitizenIndex is folded again at the load
    auto p = Projector::open_deferred(*log_, options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_EQ((*p)->loading_citizen_offsets(someone), std::nullopt);
    ASSERT_TRUE((*p)->load().is_ok());
    EXPECT_FALSE((*p)->citizens(0).offsets(someone).empty());
  }
}

TEST_F(ProjectorTest, APartitionAskedForIsLoadedBeforeTheOthers) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  replay(options);
  auto p = Projector::open_deferred(*log_, options);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  try {
    (void)(*p)->partition(5);
    ADD_FAILURE() << "partition 5 answered before it was loaded";
  } catch (const PartitionLoading& e) {
    EXPECT_EQ(e.partition, 5u);
    EXPECT_NE(std::string(e.what()).find("0 of 8 loaded"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)(*p)->model<CitizenIndex>(3), PartitionLoading);
  EXPECT_THROW((void)(*p)->partition(5), PartitionLoading);  // asked twice: once in the queue
  std::vector<uint32_t> order;
  ASSERT_TRUE((*p)->load([&](uint32_t q) { order.push_back(q); }).is_ok());
  EXPECT_EQ(order, (std::vector<uint32_t>{5, 3, 0, 1, 2, 4, 6, 7}));
}

TEST_F(ProjectorTest, ADeferredLoadWithoutACheckpointFoldsTheLog) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  options.threads = 2;
  auto p = Projector::open_deferred(*log_, options);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  Result<ReplayStats> stats = (*p)->load();
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_EQ(stats->resumed_events, 0u);
  EXPECT_EQ(stats->events, testing::event_count(*log_));
  EXPECT_EQ(export_of(**p), replay(ProjectorOptions{}));
}

TEST_F(ProjectorTest, AStoppedLoadLeavesTheRestUnloadedAndSavesNothing) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  ASSERT_NO_FATAL_FAILURE(checkpoint_half(*log_, options.checkpoint_path));
  auto p = Projector::open_deferred(*log_, options);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  std::atomic<bool> stop{false};
  Result<ReplayStats> stopped = (*p)->load([&](uint32_t) { stop = true; }, &stop);
  ASSERT_FALSE(stopped.is_ok());
  EXPECT_EQ(stopped.status().code(), Code::kUnavailable);
  EXPECT_EQ((*p)->loaded_count(), 1u);
  EXPECT_FALSE((*p)->checkpoint().is_ok());  // a part of the state is never a checkpoint
  Result<bool> due = (*p)->checkpoint_if_due();
  ASSERT_TRUE(due.is_ok());
  EXPECT_FALSE(*due);
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(options.checkpoint_path);
  ASSERT_TRUE(store.is_ok());
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();
  ASSERT_TRUE(kept.is_ok());
  EXPECT_EQ(kept->size(), 1u);
}

// A checkpoint the load cannot use is told apart (checkpoint_refused) so that it may be set
// aside; the checks open() makes at once are made by open_deferred() at once.
TEST_F(ProjectorTest, ADeferredLoadRefusesABadCheckpointAsOpenDoes) {
  {
    TempDir dir;
    ProjectorOptions options;
    options.checkpoint_path = dir.file("checkpoint.db");
    checkpoint_then(options,
                    "UPDATE partition_states SET state = substr(state, 1, length(state) - 9) WHERE partition = 6");
    auto p = Projector::open_deferred(*log_, options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    Result<ReplayStats> loaded = (*p)->load();
    ASSERT_FALSE(loaded.is_ok());
    EXPECT_EQ(loaded.status().code(), Code::kCorruption) << loaded.status().to_string();
    EXPECT_TRUE((*p)->checkpoint_refused());
    EXPECT_FALSE((*p)->loaded(6));
  }
  {
    TempDir dir;
    ProjectorOptions options;
    options.checkpoint_path = dir.file("checkpoint.db");
    checkpoint_then(options, "UPDATE partition_states SET fence = offset WHERE partition = 2");
    auto p = Projector::open_deferred(*log_, options);  // the fences are read with the offsets, at once
    ASSERT_FALSE(p.is_ok());
    EXPECT_EQ(p.status().code(), Code::kCorruption);
    EXPECT_NE(p.status().message().find("not below its offset"), std::string::npos) << p.status().to_string();
  }
  {
    TempDir dir;
    ProjectorOptions options;
    options.checkpoint_path = dir.file("checkpoint.db");
    replay(options);
    std::unique_ptr<Log> empty = testing::memory_log(log_->partitions());
    auto ahead = Projector::open_deferred(*empty, options);
    ASSERT_FALSE(ahead.is_ok());
    EXPECT_NE(ahead.status().message().find("ahead of the log"), std::string::npos);
    std::unique_ptr<Log> reshaped = testing::memory_log(3);
    auto shape = Projector::open_deferred(*reshaped, options);
    ASSERT_FALSE(shape.is_ok());
    EXPECT_NE(shape.status().message().find("partitions"), std::string::npos);
    ProjectorOptions past = options;
    past.as_of = Instant{1};
    EXPECT_EQ(Projector::open_deferred(*log_, past).status().code(), Code::kInvalidArgument);
  }
}

// An independent, straightforward recomputation of every (student, year)'s
// used hours from the log's events: a map of periods, A/W only, UPDATE
// replaces, CANCEL releases — checked against the read model.
TEST_F(ProjectorTest, BalancesMatchAStraightforwardRecomputation) {
  struct P {
    uint64_t ssin;
    int year;
    int64_t hours;
    bool stu;
    bool cancelled;
  };
  std::map<uint64_t, P> periods;
  EventDecoder decoder;
  for (uint32_t p = 0; p < log_->partitions(); ++p) {
    for (LogRecord& r : testing::read_all(*log_, p)) {
      {
        const size_t size = r.payload.size();
        r.payload.append(kJsonPadding, ' ');
        auto e = decoder.decode(std::string_view(r.payload.data(), size), r.payload.size());
        ASSERT_TRUE(e.is_ok());
        if (!e->is_declaration()) continue;
        const Decision& d = e->declaration.decision;
        if (d.result != ResultCode::kAccepted && d.result != ResultCode::kWarning) continue;
        const Declaration& decl = e->declaration.declaration;
        if (decl.kind == DeclarationKind::kIn) {
          periods[d.period_id.value] = P{e->ssin.value, year_of(decl.start_date.value),
                                         decl.planned_hours.valid() ? decl.planned_hours.value : 0,
                                         decl.worker_type.value == WorkerType::kSTU, false};
        } else if (decl.kind == DeclarationKind::kCancel) {
          periods.at(d.period_id.value).cancelled = true;
        } else if (decl.kind == DeclarationKind::kUpdate && decl.planned_hours.valid()) {
          periods.at(d.period_id.value).hours = decl.planned_hours.value;
        }
      }
    }
  }
  std::map<std::pair<uint64_t, int>, int64_t> used;
  for (const auto& [id, p] : periods)
    if (p.stu && !p.cancelled) used[{p.ssin, p.year}] += p.hours;
  ASSERT_GT(used.size(), 1000u);

  auto projector = Projector::open(*log_, ProjectorOptions{});
  ASSERT_TRUE(projector.is_ok());
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  int checked = 0;
  for (const auto& [key, hours] : used) {
    const Ssin s{key.first};
    const StudentBalance b = student_balance((*projector)->state_of(s), s, key.second, *parse_date("2025-12-31"));
    ASSERT_EQ(b.used, hours) << "student " << key.first << " year " << key.second;
    if (b.quota) {
      EXPECT_EQ(b.remaining, hours >= *b.quota ? 0 : *b.quota - hours);
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(used.size()));
}

// A replay killed with SIGKILL restarts from its checkpoint and ends with the
// same export as an uninterrupted one.
TEST(ProjectorDurability, KilledReplayRestartsFromItsCheckpoint) {
  TempDir dir;
  const std::string cli = DIMONA_CLI_PATH;
  const std::string data = dir.file("data");
  const std::string input = dir.file("year.ndjson");
  ASSERT_EQ(std::system((cli + " generate --year 2025 --students 5000 --seed 3 -o " + input + " 2>/dev/null").c_str()), 0);
  ASSERT_EQ(std::system((cli + " ingest " + input + " --data " + data + " --partitions 4 > /dev/null").c_str()), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::freopen("/dev/null", "w", stdout);
    ::execl(cli.c_str(), cli.c_str(), "replay", "--data", data.c_str(), "--threads", "1", "--checkpoint-every", "10000",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it as soon as a first checkpoint is committed.
  const std::string checkpoint = data + "/checkpoint.db";
  auto committed = [&checkpoint] {
    sqlite3* db = nullptr;
    int64_t n = 0;
    if (fs::exists(checkpoint) && sqlite3_open_v2(checkpoint.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT count(*) FROM checkpoints", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
      sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return n > 0;
  };
  for (int i = 0; i < 4000 && !committed(); ++i) ::usleep(1'000);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the replay finished before it could be killed: make the input larger";
  ASSERT_EQ(std::system((cli + " replay --data " + data + " > " + dir.file("second") + " 2>&1").c_str()), 0);
  ASSERT_EQ(std::system((cli + " export --data " + data + " -o " + dir.file("resumed.ndjson")).c_str()), 0);
  ASSERT_EQ(std::system((cli + " replay --rebuild --threads 2 --data " + data + " > /dev/null").c_str()), 0);
  ASSERT_EQ(std::system((cli + " export --data " + data + " -o " + dir.file("fresh.ndjson")).c_str()), 0);
  const std::string resumed = testing::read_file(dir.file("resumed.ndjson")), fresh = testing::read_file(dir.file("fresh.ndjson"));
  EXPECT_GT(fresh.size(), 1000u);
  EXPECT_TRUE(resumed == fresh) << "the export after a killed replay differs from a fresh one";
  const std::string text = testing::read_file(dir.file("second"));
  EXPECT_NE(text.find("resumed after"), std::string::npos) << text;
}

}  // namespace
}  // namespace dimona
