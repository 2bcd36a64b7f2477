// The auditors' two axes (docs/audit.md; issue 12): a Projector at an instant
// (ProjectorOptions::as_of) is exactly a replay of the events recorded by
// then; the student views read `validOn` and the quota known at `asOf`; the
// checkpoints kept are spread over the log and each records the hash of its
// state, which a fold of the log alone gives again.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/log/log_tools.h"
#include "projections/checkpoint_store.h"
#include "projections/export.h"
#include "projections/projector.h"
#include "engine/flexi.h"
#include "projections/access_views.h"
#include "projections/inbox_views.h"
#include "projections/interim_views.h"
#include "projections/student_views.h"
#include "projections/wage_views.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/projections/generated_year.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::export_of;
using testing::stu_in;
using testing::TempDir;

std::unique_ptr<Projector> caught_up(Log& log, const ProjectorOptions& options, ReplayStats* stats = nullptr) {
  Result<std::unique_ptr<Projector>> p = Projector::open(log, options);
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  if (!p.is_ok()) return nullptr;
  Result<ReplayStats> folded = (*p)->catch_up();
  EXPECT_TRUE(folded.is_ok()) << folded.status().to_string();
  if (stats && folded.is_ok()) *stats = *folded;
  return std::move(*p);
}

ProjectorOptions at(const char* instant) {
  ProjectorOptions options;
  options.as_of = parse_instant(instant);
  EXPECT_TRUE(options.as_of) << instant;
  return options;
}

// --- The axes on a small ledger (the fixture's schedule: 2025 is 475 h, then 650 h from 2025-07-01) ---

class AsOfTest : public testing::LedgerFixture {
 protected:
  std::unique_ptr<Projector> past(const char* instant) {
    EXPECT_TRUE(ledger_->commit().is_ok());
    return caught_up(log_, at(instant));
  }
  StudentBalance balance_then(const char* instant, std::optional<Date> valid_on = std::nullopt) {
    std::unique_ptr<Projector> p = past(instant);
    return student_balance(p->state_of(kStudent), kStudent, 2025, axes_at(*p->as_of(), true, valid_on));
  }
  static constexpr Ssin kStudent{5031412595};
};

TEST_F(AsOfTest, TheQuotaChangeShowsOnBothSidesOfItsInstant) {  // issue 12, item 7
  submit(stu_in("2025-06-02", "2025-06-30", 470));  // recorded 2025-06-01, under 475 h
  submit(stu_in("2025-06-03", "2025-06-30", 30, "05031412595", "0403019360"));  // 25 h beyond 475
  clock_.set(*parse_instant("2025-07-02T08:00:00Z"));
  submit(stu_in("2025-07-03", "2025-07-31", 10, "04070101124"));  // ledger time passes 2025-07-01

  const StudentBalance before = balance_then("2025-06-30T23:59:59Z");
  EXPECT_EQ(before.quota, 475u);
  EXPECT_EQ(before.used, 500u);
  EXPECT_EQ(before.remaining, 0u);
  EXPECT_EQ(before.exceeding, 25u);
  ASSERT_EQ(before.periods.size(), 2u);
  EXPECT_EQ(before.periods[1].exceeding, 25u);

  const StudentBalance after = balance_then("2025-07-01T00:00:00Z");  // the instant the 650 h is known
  EXPECT_EQ(after.quota, 650u);
  EXPECT_EQ(after.used, 500u);
  EXPECT_EQ(after.remaining, 150u);
  EXPECT_EQ(after.exceeding, 0u);
  ASSERT_EQ(after.periods.size(), 2u);
  EXPECT_EQ(after.periods[1].exceeding, 0u);
  EXPECT_EQ(after.periods[1].exceeding_decided, 25u);  // as 90017-369 reported it when decided
}

TEST_F(AsOfTest, AStatusIsShownAsItThenStood) {
  Submission in = submit(stu_in("2025-06-02", "2025-06-30", 40));  // 2025-06-01T08:00
  clock_.set(*parse_instant("2025-06-10T08:00:00Z"));
  submit(R"({"dimonaCancel":{"periodId":)" + period_of(in) + "}}");

  const StudentBalance before = balance_then("2025-06-10T07:59:59Z");
  ASSERT_EQ(before.periods.size(), 1u);
  EXPECT_FALSE(before.periods[0].cancelled);
  EXPECT_EQ(before.used, 40u);
  const StudentBalance after = balance_then("2025-06-10T08:00:00Z");
  ASSERT_EQ(after.periods.size(), 1u);
  EXPECT_TRUE(after.periods[0].cancelled);
  EXPECT_EQ(after.used, 0u);
  // Before the first event there is nothing, and that empty state is the empty projector's.
  std::unique_ptr<Projector> nothing = past("2025-06-01T07:59:59Z");
  EXPECT_EQ(student_balance(nothing->state_of(kStudent), kStudent, 2025, date_of(*nothing->as_of())).periods.size(), 0u);
  Result<std::unique_ptr<Projector>> empty = Projector::open(log_, ProjectorOptions{});
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(nothing->state_hash(), (*empty)->state_hash());
}

TEST_F(AsOfTest, ValidOnCountsThePeriodsStartedAndTheHoursWorkedByThen) {  // issue 12, item 3
  submit(stu_in("2025-06-02", "2025-06-11", 40));  // 10 days, 4 h a day
  submit(stu_in("2025-07-01", "2025-07-10", 20, "05031412595", "0403019360"));
  // "On 2025-06-20, what did the ledger say the student had worked by 2025-06-05?"
  clock_.set(*parse_instant("2025-06-20T08:00:00Z"));
  submit(stu_in("2025-07-03", "2025-07-31", 10, "04070101124"));
  const StudentBalance b = balance_then("2025-06-20T23:59:59Z", *parse_date("2025-06-05"));
  EXPECT_EQ(b.quota, 475u);
  ASSERT_EQ(b.periods.size(), 1u);  // the July period had not started
  EXPECT_EQ(b.periods[0].worked, 16u);
  EXPECT_EQ(b.periods[0].still_to_work, 24u);
  EXPECT_EQ(b.used, 40u);
  // The same question asked of today's ledger counts both periods, worked by today.
  const StudentBalance now = balance_then("2025-06-20T23:59:59Z");
  EXPECT_EQ(now.periods.size(), 2u);
  EXPECT_EQ(now.used, 60u);
  // The calendar stops at validOn.
  std::unique_ptr<Projector> p = past("2025-06-20T23:59:59Z");
  const StudentCalendar cal = student_calendar(p->state_of(kStudent), kStudent, 2025, *parse_date("2025-06-05"));
  ASSERT_EQ(cal.rows.size(), 1u);
  EXPECT_EQ(cal.rows[0].day_count(), 4u);  // 2 to 5 June
  EXPECT_TRUE(student_calendar(p->state_of(kStudent), kStudent, 2025, *parse_date("2025-05-31")).rows.empty());
}

// serve folds after every commit: with checkpoint_at_end off, a fold writes a checkpoint only when
// one is due (counted across folds), not after each (a write once cost a whole checkpoint, 1.6 s
// at 20 000 students, 2026-12-03).
class ServeCheckpointTest : public testing::LedgerFixture {
 protected:
  size_t kept(const std::string& path) {
    Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(path);
    EXPECT_TRUE(store.is_ok());
    Result<std::vector<CheckpointSummary>> list = (*store)->list();
    EXPECT_TRUE(list.is_ok());
    return list.is_ok() ? list->size() : 0;
  }
};

TEST_F(ServeCheckpointTest, AFoldAfterEachCommitWritesACheckpointOnlyWhenOneIsDue) {
  TempDir dir;
  ProjectorOptions options;
  options.checkpoint_path = dir.file("checkpoint.db");
  options.checkpoint_at_end = false;
  options.checkpoint_every_events = 3;
  options.checkpoint_every_seconds = 3600;
  Result<std::unique_ptr<Projector>> p = Projector::open(log_, options);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  const char* starts[] = {"2025-06-02", "2025-06-03", "2025-06-04", "2025-06-05", "2025-06-06"};
  std::vector<size_t> after;
  for (const char* start : starts) {
    submit(stu_in(start, "2025-06-30", 5));
    ASSERT_TRUE(ledger_->commit().is_ok());
    ASSERT_TRUE((*p)->catch_up().is_ok());
    after.push_back(kept(options.checkpoint_path));
  }
  EXPECT_EQ(after, (std::vector<size_t>{0, 0, 1, 1, 1}));  // the third event made one due, across folds
  ASSERT_TRUE((*p)->checkpoint().is_ok());                 // serve's stop
  EXPECT_EQ(kept(options.checkpoint_path), 2u);
  // A replay (the default) keeps its result at the end of every fold.
  ProjectorOptions replay;
  replay.checkpoint_path = dir.file("replay.db");
  Result<std::unique_ptr<Projector>> r = Projector::open(log_, replay);
  ASSERT_TRUE(r.is_ok());
  ASSERT_TRUE((*r)->catch_up().is_ok());
  EXPECT_EQ(kept(replay.checkpoint_path), 1u);
}

// --- A generated year: rebuilds at random instants against replays of the events recorded by then ---

class AuditRebuildTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kPartitions = 4;
  static void SetUpTestSuite() {
    log_ = testing::memory_log(kPartitions).release();  // NOLINT: suite-lifetime fixture
    testing::ingest_generated_year(*log_, 400, 12);
  }
  static void TearDownTestSuite() { delete log_; }  // NOLINT

  static std::vector<LogRecord> records(uint32_t p) {
    Result<std::unique_ptr<LogConsumer>> consumer = log_->open_consumer();
    EXPECT_TRUE(consumer.is_ok());
    Result<Offset> end = (*consumer)->end_offset(p);
    std::vector<LogRecord> out;
    EXPECT_TRUE(read_partition(**consumer, p, 0, *end, [&](LogRecord& r) {
                  out.push_back(r);
                  return Status::ok();
                }).is_ok());
    return out;
  }

  // A new log holding, per partition, the records recorded by `at` (all when nullopt): the
  // events an auditor on another machine would replay.
  static std::unique_ptr<Log> copy_recorded_by(std::optional<Instant> at) {
    std::unique_ptr<Log> copy = testing::memory_log(kPartitions);
    for (uint32_t p = 0; p < kPartitions; ++p) {
      std::vector<LogRecordDraft> drafts;
      std::vector<LogRecord> kept = records(p);
      for (const LogRecord& r : kept) {
        if (at && r.recorded_at > *at) break;
        drafts.push_back({r.event_id, r.key, r.type, r.schema_version, r.recorded_at, r.payload, r.source});
      }
      Result<std::unique_ptr<LogProducer>> producer = copy->open_producer(p);
      EXPECT_TRUE(producer.is_ok());
      for (size_t i = 0; i < drafts.size(); i += 1000) {
        const size_t n = std::min<size_t>(1000, drafts.size() - i);
        EXPECT_TRUE((*producer)->append(std::span(drafts).subspan(i, n)).is_ok());
      }
    }
    return copy;
  }

  static Log* log_;
};

Log* AuditRebuildTest::log_ = nullptr;

TEST_F(AuditRebuildTest, RebuildsAtRandomInstantsEqualReplaysOfTheEventsRecordedByThen) {  // item 5
  TempDir dir;
  ProjectorOptions live;
  live.checkpoint_path = dir.file("checkpoint.db");
  live.checkpoint_every_events = 1500;
  live.round_events = 200;
  live.keep_checkpoints = 4;
  ASSERT_TRUE(caught_up(*log_, live));
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(live.checkpoint_path);
  ASSERT_TRUE(store.is_ok());
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 4u);  // thinned from more

  std::vector<Instant> times;
  for (uint32_t p = 0; p < kPartitions; ++p)
    for (const LogRecord& r : records(p)) times.push_back(r.recorded_at);
  std::sort(times.begin(), times.end());
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (draws the instants)");
  std::mt19937_64 random(seed);
  std::vector<Instant> instants{Instant{times.front().micros - 1}, times.front(), times.back()};
  for (const CheckpointSummary& c : *kept) instants.push_back(c.ledger_time);  // a checkpoint's own instant
  for (int i = 0; i < 8; ++i) {
    const Instant t = times[random() % times.size()];
    instants.push_back(Instant{t.micros + static_cast<int64_t>(random() % 3) - 1});  // at, just before, just after a record
  }
  int from_checkpoints = 0;
  for (Instant t : instants) {
    SCOPED_TRACE("as of " + to_string(t));
    ProjectorOptions rebuild;
    rebuild.checkpoint_path = live.checkpoint_path;
    rebuild.as_of = t;
    ReplayStats stats;
    std::unique_ptr<Projector> rebuilt = caught_up(*log_, rebuild, &stats);
    ASSERT_TRUE(rebuilt);
    from_checkpoints += stats.resumed_events > 0;
    std::unique_ptr<Log> prefix = copy_recorded_by(t);
    std::unique_ptr<Projector> replayed = caught_up(*prefix, ProjectorOptions{});
    ASSERT_TRUE(replayed);
    EXPECT_EQ(export_of(*rebuilt), export_of(*replayed));
    EXPECT_EQ(to_hex(rebuilt->state_hash()), to_hex(replayed->state_hash()));
  }
  EXPECT_GE(from_checkpoints, 4);  // the kept checkpoints were the starting points
  // The checkpoints were only read.
  Result<std::vector<CheckpointSummary>> after = (*store)->list();
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(after->size(), kept->size());
  EXPECT_EQ(after->back().sequence, kept->back().sequence);
}

// Every view of one citizen at `now` (asOf), as the routes under /v1/citizens/{ssin}/ give them.
std::string citizen_views(const Projector& p, Ssin s, Instant now) {
  const LedgerState& state = p.state_of(s);
  std::string out;
  for (int32_t year : {2024, 2025, 2026}) {
    to_json(student_balance(state, s, year, axes_at(now, true, std::nullopt)), &out);
    to_json(student_balance(state, s, year, axes_at(now, true, date_of(now))), &out);
    to_json(student_calendar(state, s, year, std::nullopt), &out);
  }
  const InterimFilter window = interim_window(date_of(now));
  to_json(s, interim_relations(state, s, window, &p.anomalies_of(s)), &out);
  to_json(interim_calendar(state, s, window), &out);
  for (const Attestation& a : attestations_of(p, s)) to_json(a, &out);
  to_json(consents_of(p, s), now, &out);
  to_json(consultations_of(p, s), &out);
  for (const AnomalyRecord& r : p.anomalies_of(s).of_citizen(s)) to_json(r, &out);
  const int32_t quarter = quarter_index(date_of(now));
  to_json(flexi_eligibility(state.actions(), s, quarter, 0), &out);
  to_json(s, wages_of_last_quarters(state.actions(), s, quarter), {}, &out);
  to_json(inbox_of(p, s, now, false), &out);
  to_json(inbox_of(p, s, now, true), &out);
  return out;
}

// Issue 12, item 4: a citizen's state built from that citizen's events alone (their index's
// offsets) answers every view of the citizen as the whole state at the instant does.
TEST_F(AuditRebuildTest, OneCitizensStateAnswersAsTheWholeStateAtRandomInstants) {
  const std::unique_ptr<Projector> live = caught_up(*log_, ProjectorOptions{});
  ASSERT_TRUE(live);
  struct Keyed {
    Ssin citizen;
    Instant recorded_at;
  };
  std::vector<Keyed> events;  // the citizens' events, over every partition
  for (uint32_t p = 0; p < kPartitions; ++p) {
    for (const LogRecord& r : records(p)) {
      Result<Ssin> s = parse_ssin(r.key);
      if (s.is_ok() && live->citizens(p).count(*s) > 0) events.push_back({*s, r.recorded_at});
    }
  }
  ASSERT_GT(events.size(), 1000u);
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (draws the instants and citizens)");
  std::mt19937_64 random(seed);
  int compared = 0, with_events = 0;
  for (int i = 0; i < 12; ++i) {
    // At, just before or just after one citizen's event: that citizen first, then others at random.
    const Keyed drawn = events[random() % events.size()];
    const Instant t{drawn.recorded_at.micros + static_cast<int64_t>(random() % 3) - 1};
    SCOPED_TRACE("as of " + to_string(t));
    ProjectorOptions then;
    then.as_of = t;
    const std::unique_ptr<Projector> whole = caught_up(*log_, then);
    ASSERT_TRUE(whole);
    for (int j = 0; j < 12; ++j) {
      const Ssin s = j == 0 ? drawn.citizen : events[random() % events.size()].citizen;
      SCOPED_TRACE("citizen " + std::to_string(s.value));
      const uint32_t p = partition_for(s, kPartitions);
      Result<std::unique_ptr<Projector>> one = Projector::of_citizen(*log_, ProjectorOptions{}, s, live->citizens(p).offsets(s), t);
      ASSERT_TRUE(one.is_ok()) << one.status().to_string();
      EXPECT_EQ(citizen_views(**one, s, t), citizen_views(*whole, s, t));
      ++compared;
      with_events += (*one)->offset(p) > 0;
    }
  }
  EXPECT_EQ(compared, 144);
  EXPECT_GT(with_events, 48) << "most draws see some of the citizen's events by then";
}

// Offsets that are not the citizen's are refused (a stale or foreign index), never folded.
TEST_F(AuditRebuildTest, OneCitizensStateRefusesAnotherCitizensOffsets) {
  std::vector<LogRecord> p0 = records(0);
  ASSERT_GT(p0.size(), 10u);
  auto keyed = std::find_if(p0.begin(), p0.end(), [](const LogRecord& r) { return parse_ssin(r.key).is_ok(); });
  ASSERT_NE(keyed, p0.end());
  const LogRecord& first = *keyed;
  const LogRecord* other = nullptr;
  for (const LogRecord& r : p0)
    if (!r.key.empty() && r.key != first.key) other = &r;
  ASSERT_NE(other, nullptr);
  Result<Ssin> s = parse_ssin(first.key);
  ASSERT_TRUE(s.is_ok());
  ASSERT_EQ(partition_for(*s, kPartitions), 0u);
  Result<std::unique_ptr<Projector>> one =
      Projector::of_citizen(*log_, ProjectorOptions{}, *s, {first.offset, other->offset}, p0.back().recorded_at);
  ASSERT_FALSE(one.is_ok());
  EXPECT_EQ(one.status().code(), Code::kCorruption);
  EXPECT_NE(one.status().message().find("not the citizen the index names"), std::string::npos) << one.status().to_string();
  // Past the partition's end: the log's answer, not a crash.
  Result<std::unique_ptr<Projector>> beyond =
      Projector::of_citizen(*log_, ProjectorOptions{}, *s, {p0.back().offset + 5}, p0.back().recorded_at);
  EXPECT_FALSE(beyond.is_ok());
}

TEST_F(AuditRebuildTest, StateHashesAgreeLiveRestartedAndRebuiltElsewhere) {  // item 6
  TempDir dir;
  ProjectorOptions live;
  live.checkpoint_path = dir.file("checkpoint.db");
  live.checkpoint_every_events = 2000;
  live.round_events = 300;
  std::unique_ptr<Projector> served = caught_up(*log_, live);
  ASSERT_TRUE(served);
  const std::string hash = served->state_hash();
  // Restarted from its last checkpoint: the same state, the hash the checkpoint recorded.
  std::unique_ptr<Projector> restarted = caught_up(*log_, live);
  EXPECT_EQ(restarted->state_hash(), hash);
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(live.checkpoint_path);
  ASSERT_TRUE(store.is_ok());
  Result<std::optional<Checkpoint>> last = (*store)->load();
  ASSERT_TRUE(last.is_ok() && last->has_value());
  EXPECT_EQ((*last)->state_hash, hash);
  // On "another machine": a copy of the log, folded alone on 3 threads.
  std::unique_ptr<Log> elsewhere = copy_recorded_by(std::nullopt);
  ProjectorOptions independent;
  independent.threads = 3;
  EXPECT_EQ(caught_up(*elsewhere, independent)->state_hash(), hash);
  // Every kept checkpoint's hash is what the log alone gives at its offsets.
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();
  ASSERT_TRUE(kept.is_ok());
  ASSERT_GE(kept->size(), 2u);
  Result<std::unique_ptr<Projector>> verifier = Projector::open(*elsewhere, ProjectorOptions{});
  ASSERT_TRUE(verifier.is_ok());
  for (const CheckpointSummary& c : *kept) {
    ASSERT_TRUE((*verifier)->catch_up_to(c.offsets).is_ok());
    EXPECT_EQ(to_hex((*verifier)->state_hash()), to_hex(c.state_hash)) << "checkpoint " << c.sequence;
  }
  // One event less is another hash.
  std::vector<Offset> short_of_one = kept->back().offsets;
  ASSERT_GT(short_of_one[0], 0u);
  --short_of_one[0];
  Result<std::unique_ptr<Projector>> fewer = Projector::open(*elsewhere, ProjectorOptions{});
  ASSERT_TRUE((*fewer)->catch_up_to(short_of_one).is_ok());
  EXPECT_NE((*fewer)->state_hash(), hash);
  // Asking to go back is refused.
  EXPECT_EQ((*verifier)->catch_up_to(short_of_one).status().code(), Code::kInvalidArgument);
}

// --- The checkpoint history ---

Checkpoint checkpoint_of(uint64_t sequence, Offset events) {
  Checkpoint c;
  c.sequence = sequence;
  c.ledger_time = Instant{static_cast<int64_t>(sequence) * kMicrosPerDay};
  c.partitions = {PartitionCheckpoint{events / 2, "a"}, PartitionCheckpoint{events - events / 2, "b"}};
  c.state_hash = state_hash_of(c.partitions);
  return c;
}

TEST(CheckpointHistory, KeepsAtMostKeepSpreadOverTheLogAndTheNewestAlways) {
  TempDir dir;
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(dir.file("c.db"));
  ASSERT_TRUE(store.is_ok());
  constexpr size_t kKeep = 5;
  for (uint64_t s = 1; s <= 40; ++s) ASSERT_TRUE((*store)->save(checkpoint_of(s, s * 100), kKeep).is_ok());
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), kKeep);
  EXPECT_EQ(kept->back().sequence, 40u);
  uint64_t before = 0, widest = 0;
  for (const CheckpointSummary& c : *kept) {
    const uint64_t events = c.offsets[0] + c.offsets[1];
    widest = std::max(widest, events - before);
    before = events;
    EXPECT_EQ(c.state_hash, checkpoint_of(c.sequence, events).state_hash);
  }
  EXPECT_LE(widest, 2 * 4000 / kKeep) << "a rebuild would fold too far past its checkpoint";
  // load_before: the latest at or before an instant; none before the first.
  Result<std::optional<Checkpoint>> found = (*store)->load_before(Instant{39 * kMicrosPerDay + 5});
  ASSERT_TRUE(found.is_ok() && found->has_value());
  EXPECT_LE((*found)->ledger_time.micros, 39 * kMicrosPerDay + 5);
  EXPECT_EQ((*found)->sequence, (*kept)[kKeep - 2].sequence);
  Result<std::optional<Checkpoint>> none = (*store)->load_before(Instant{(*kept)[0].ledger_time.micros - 1});
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
  // The latest is still what load() gives.
  Result<std::optional<Checkpoint>> latest = (*store)->load();
  ASSERT_TRUE(latest.is_ok() && latest->has_value());
  EXPECT_EQ((*latest)->sequence, 40u);
}

TEST(CheckpointHistory, KeepingOneKeepsTheNewest) {
  TempDir dir;
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(dir.file("c.db"));
  ASSERT_TRUE(store.is_ok());
  for (uint64_t s = 1; s <= 3; ++s) ASSERT_TRUE((*store)->save(checkpoint_of(s, s * 10), 1).is_ok());
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(kept->front().sequence, 3u);
}

// save_each: the partitions made one at a time, the hash computed as they pass; the same
// checkpoint as save() of them all, and nothing written when one cannot be made.
TEST(CheckpointHistory, SavingEachPartitionInTurnWritesWhatSavingThemAllWrites) {
  TempDir dir;
  Result<std::unique_ptr<CheckpointStore>> store = CheckpointStore::open(dir.file("c.db"));
  ASSERT_TRUE(store.is_ok());
  const Checkpoint whole = checkpoint_of(1, 300);
  std::vector<uint32_t> made;
  Result<std::string> hash = (*store)->save_each(
      1, whole.ledger_time, 2,
      [&](uint32_t p) -> Result<PartitionCheckpoint> {
        made.push_back(p);
        return whole.partitions[p];
      },
      2);
  ASSERT_TRUE(hash.is_ok()) << hash.status().to_string();
  EXPECT_EQ(*hash, whole.state_hash);
  EXPECT_EQ(made, (std::vector<uint32_t>{0, 1}));
  Result<std::optional<Checkpoint>> loaded = (*store)->load();
  ASSERT_TRUE(loaded.is_ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->state_hash, whole.state_hash);
  EXPECT_EQ((*loaded)->ledger_time, whole.ledger_time);
  ASSERT_EQ((*loaded)->partitions.size(), 2u);
  for (size_t p = 0; p < 2; ++p) {
    EXPECT_EQ((*loaded)->partitions[p].offset, whole.partitions[p].offset);
    EXPECT_EQ((*loaded)->partitions[p].state, whole.partitions[p].state);
  }
  // A partition that cannot be made: the error, and the checkpoint before it stays the latest.
  Result<std::string> failed = (*store)->save_each(
      2, Instant{2 * kMicrosPerDay}, 2,
      [&](uint32_t p) -> Result<PartitionCheckpoint> {
        if (p == 1) return io_error("partition 1 would not encode");
        return PartitionCheckpoint{500, "x"};
      },
      2);
  EXPECT_EQ(failed.status().code(), Code::kIoError);
  Result<std::vector<CheckpointSummary>> kept = (*store)->list();
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(kept->back().sequence, 1u);
  // And the store still takes the next one.
  EXPECT_TRUE((*store)->save(checkpoint_of(2, 400), 2).is_ok());
}

TEST(StateHash, FedOnePartitionAtATimeIsTheHashOfThemAll) {
  const std::vector<PartitionCheckpoint> parts{{3, "abc"}, {0, ""}, {7, std::string("\0z", 2)}};
  StateHasher hasher(parts.size());
  for (const PartitionCheckpoint& p : parts) hasher.add(p.offset, p.state);
  EXPECT_EQ(hasher.finish(), state_hash_of(parts));
}

TEST(StateHash, CoversEveryOffsetAndEveryByte) {
  const std::vector<PartitionCheckpoint> base{{3, "abc"}, {0, ""}};
  const std::string hash = state_hash_of(base);
  EXPECT_EQ(hash.size(), 32u);
  EXPECT_EQ(to_hex(hash).size(), 64u);
  EXPECT_NE(state_hash_of({{4, "abc"}, {0, ""}}), hash);
  EXPECT_NE(state_hash_of({{3, "abd"}, {0, ""}}), hash);
  EXPECT_NE(state_hash_of({{3, "ab"}, {0, "c"}}), hash);  // the lengths frame the bytes
  EXPECT_NE(state_hash_of({{3, "abc"}}), hash);
  EXPECT_EQ(state_hash_of(base), hash);
  EXPECT_EQ(to_hex(std::string("\x00\xff\x10", 3)), "00ff10");
}

}  // namespace
}  // namespace dimona
