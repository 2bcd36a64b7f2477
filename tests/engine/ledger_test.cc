#include "engine/ledger.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "tests/engine/ingest_check.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::anomalies_of;
using testing::event_count;
using testing::has_anomaly;
using testing::read_all;
using testing::stu_in;

class LedgerTest : public testing::LedgerFixture {};

TEST_F(LedgerTest, ReopeningFoldsTheLogIntoTheSameState) {
  Submission a = submit(stu_in("2025-07-01", "2025-07-31", 30));
  submit(stu_in("2025-08-01", "2025-08-31", 40, "04070101124"));
  submit(R"({"dimonaUpdate":{"periodId":)" + period_of(a) + R"(,"plannedHoursNumber":24}})");
  ASSERT_TRUE(ledger_->commit().is_ok());
  const uint64_t next = state().next_id_body();
  reopen();
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 24u);
  EXPECT_EQ(state().student_hours(Ssin{4070101124}, 2025), 40u);
  EXPECT_EQ(state().next_id_body(), next);
  EXPECT_EQ(state().quota(2025, state().last_recorded_at()), 475u);  // 2025-06-01: 650 h is not known yet
  // The next declaration of a partition continues that partition's ids, never reuses one.
  Submission c = submit(stu_in("2025-09-01", "2025-09-30", 10, "05031412595"));
  EXPECT_EQ(c.partition, a.partition);
  EXPECT_GT(c.declaration_id.value, a.declaration_id.value);
  EXPECT_GT(c.declaration_id.value, a.decision.period_id.value);
  EXPECT_EQ(ledger_id_partition(c.declaration_id.value, log_.partitions()), c.partition);
}

// Ids without a global counter (ledger.h): each says its partition, each
// partition's serials are dense from 0, and no id is given twice, even when
// a reopened writer continues.
TEST_F(LedgerTest, LedgerIdsSayTheirPartitionAndEachPartitionCountsItsOwn) {
  const char* workers[] = {"05031412595", "04070101124", "03020202422", "97062691197", "60021778675"};
  std::set<uint64_t> ids;
  std::map<uint32_t, std::vector<uint64_t>> by_partition;
  auto note = [&](uint64_t id, uint32_t partition) {
    EXPECT_TRUE(ids.insert(id).second) << id << " given twice";
    EXPECT_EQ(ledger_id_partition(id, log_.partitions()), partition) << id;
    by_partition[partition].push_back(id / 100);
  };
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) {
      const std::string from = "2025-0" + std::to_string(round + 1) + "-0" + std::to_string(i + 1);
      Submission s = submit(stu_in(from, from, 4, workers[i]));
      note(s.declaration_id.value, s.partition);
      note(s.decision.period_id.value, s.partition);
    }
    ASSERT_TRUE(ledger_->commit().is_ok());
    reopen();
  }
  for (const auto& [partition, bodies] : by_partition) {
    for (size_t k = 0; k < bodies.size(); ++k)  // dense: the k-th id of the partition has serial k
      EXPECT_EQ(bodies[k], kLedgerIdBodyFirst + k * log_.partitions() + partition) << partition << " " << k;
  }
  EXPECT_EQ(ledger_id_partition(dimona_id_from_body(kLedgerIdBodyFirst - 1), log_.partitions()), std::nullopt);
}

// Issue 10 item 3: a payroll client's integer gender and string country
// codes are accepted and the event carries them in their canonical form.
TEST_F(LedgerTest, IdentityCodesAreLoggedInTheirCanonicalForm) {
  Submission s = submit(R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595","gender":2,)"
                        R"("familyName":"Peeters","nationality":"150"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX",)"
                        R"("workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30}})");
  EXPECT_NE(s.decision.result, ResultCode::kRefused);
  const std::string line(ledger_->last_staged_event(s.partition));
  EXPECT_NE(line.find(R"("gender":"2","familyName":"Peeters","nationality":150})"), std::string::npos) << line;
}

// The quota schedule is reference data (issue 11, item 2): no partition
// holds a copy of it, and every decision reads the figure known at its own
// instant, in whatever partition it falls, however the log was reopened.
TEST_F(LedgerTest, TheQuotaScheduleIsReferenceDataNotEventsInEveryPartition) {
  Submission before = submit(stu_in("2025-06-02", "2025-06-30", 480));
  ASSERT_TRUE(ledger_->commit().is_ok());
  reopen();
  clock_.set(*parse_instant("2025-07-02T08:00:00Z"));
  Submission after = submit(stu_in("2025-07-03", "2025-07-31", 480, "04070101124"));
  ASSERT_TRUE(ledger_->commit().is_ok());
  EXPECT_EQ(before.decision.exceeding_hours, 5u);  // 475 h known on 2025-06-01
  EXPECT_EQ(after.decision.exceeding_hours, 0u);   // 650 h known from 2025-07-01
  uint64_t records = 0;
  for (uint32_t p = 0; p < log_.partitions(); ++p) {
    for (const LogRecord& r : read_all(log_, p)) {
      EXPECT_NE(r.type, "StudentQuotaDefined") << "partition " << p << " offset " << r.offset;
      ++records;
    }
  }
  EXPECT_EQ(records, 2u);
}

// An imported period id is one period's, whichever partition holds it (DOMAIN rule on period
// ids; Ledger::remote_facts asks every other partition, through a filter of each one's ids that
// grows with it: a filter that forgot an id would let a second IN take it).
TEST_F(LedgerTest, AnImportedPeriodIdIsTakenWhicheverPartitionHoldsIt) {
  // Valid SSINs of workers born 1990-01-01: serial, then 97 - (the nine digits mod 97).
  std::vector<std::string> workers;
  for (uint64_t serial = 1; workers.size() < 40; serial += 2) {
    const uint64_t base = 900101 * 1000 + serial;
    char text[12];
    std::snprintf(text, sizeof text, "%09llu%02llu", static_cast<unsigned long long>(base),
                  static_cast<unsigned long long>(97 - base % 97));
    workers.emplace_back(text);
  }
  auto in = [](const std::string& worker, const std::string& day, uint64_t id) {
    return R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":")" + worker +
           R"("},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":")" + day +
           R"(","endDate":")" + day + R"(","plannedHoursNumber":4,"periodId":)" + std::to_string(id) + "}}";
  };
  auto day = [](int n) {  // 2025-07-01 onwards, one day each
    const Date d{date_from_civil(2025, 7, 1).days + n};
    return to_string(d);
  };
  // 1 200 imported ids over 40 workers, about 300 a partition: each partition's filter is
  // rebuilt larger twice (at its 65th and its 257th id).
  constexpr int kIds = 1200;
  std::vector<uint64_t> ids;
  std::vector<uint32_t> partition_of_id;
  for (int i = 0; i < kIds; ++i) {
    const uint64_t id = dimona_id_from_body(1'100'000'000 + static_cast<uint64_t>(i) * 13);
    Submission s = submit(in(workers[i % 40], day(i / 40), id));
    ASSERT_EQ(s.decision.result, ResultCode::kAccepted) << anomalies_of(s);
    ASSERT_EQ(s.decision.period_id.value, id);
    ids.push_back(id);
    partition_of_id.push_back(s.partition);
  }
  ASSERT_TRUE(ledger_->commit().is_ok());
  // Each id asked again by a worker of another partition: refused as taken.
  int asked = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t w = 0; w < workers.size(); ++w) {
      Submission again = submit(in(workers[w], day(40 + static_cast<int>(i % 40)), ids[i]));
      if (again.partition == partition_of_id[i]) continue;  // the same partition: decided locally
      EXPECT_TRUE(has_anomaly(again, anomaly::kPeriodIdInvalid)) << ids[i] << ": " << anomalies_of(again);
      ++asked;
      break;
    }
  }
  EXPECT_EQ(asked, kIds);
  // A fresh id is free wherever it is asked.
  Submission fresh = submit(in(workers[0], day(85), dimona_id_from_body(1'200'000'001)));
  EXPECT_EQ(fresh.decision.result, ResultCode::kAccepted) << anomalies_of(fresh);
}

TEST_F(LedgerTest, NothingReachesTheLogBeforeCommit) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_EQ(event_count(log_), 0u);
  EXPECT_GT(ledger_->staged_events(), 0u);
  ASSERT_TRUE(ledger_->commit().is_ok());
  EXPECT_GT(event_count(log_), 0u);
  EXPECT_EQ(ledger_->staged_events(), 0u);
}

TEST_F(LedgerTest, AFailedCommitLosesNothingCommittedBefore) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit().is_ok());
  const uint64_t committed = event_count(log_);
  submit(stu_in("2025-08-01", "2025-08-31", 30));
  log_.fail_next_append();
  EXPECT_FALSE(ledger_->commit().is_ok());
  EXPECT_EQ(event_count(log_), committed);
  reopen();  // the state is rebuilt from what the log holds
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 30u);
}

// The state a Ledger decides against, as bytes, and the state folded from the log alone.
// Without events_applied (bytes 8..15, docs/checkpoints.md): the writer applies a quota
// definition once, the log holds it once per partition.
std::string bytes_of(const LedgerState& state) {
  std::string out;
  state.save(&out);
  EXPECT_EQ(out.compare(0, 4, "DLS1"), 0);
  std::fill(out.begin() + 8, out.begin() + 16, '\0');
  return out.substr(0, out.size() - 4);  // and its CRC
}

// The log folded one state per partition, merged: what the writer's merged_state() must equal.
std::string folded_bytes(Log& log) {
  LedgerState fresh;
  EXPECT_TRUE(LedgerState::load(testing::folded_state(log), &fresh).is_ok());
  return bytes_of(fresh);
}

// A full disk: commits fail, then space comes back. reload() makes the state
// equal the log each time, and the Ledger accepts again without being reopened.
TEST_F(LedgerTest, AfterFailedCommitsReloadMakesTheStateTheLogsAndWritesGoOn) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit().is_ok());
  const uint64_t committed = event_count(log_);
  log_.fail_appends(2);
  for (int attempt = 0; attempt < 2; ++attempt) {
    submit(stu_in("2025-08-01", "2025-08-31", 40));
    EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 70u);  // ahead of the log
    EXPECT_FALSE(ledger_->commit().is_ok());
    EXPECT_EQ(event_count(log_), committed);
    ASSERT_TRUE(ledger_->reload().is_ok());
    EXPECT_EQ(ledger_->staged_events(), 0u);
    EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 30u);
    EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
  }
  Submission again = submit(stu_in("2025-08-01", "2025-08-31", 40));
  EXPECT_NE(again.decision.result, ResultCode::kRefused);
  ASSERT_TRUE(ledger_->commit().is_ok());
  EXPECT_GT(event_count(log_), committed);
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 70u);
  EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
}

// The same through the double-buffered path: a group in flight fails, the next
// commit_async reports it; reload() drops both and the committer starts afresh.
TEST_F(LedgerTest, ReloadAfterAFailedAsyncCommitDropsWhatWasInFlight) {
  log_.fail_next_append();
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit_async().is_ok());
  submit(stu_in("2025-08-01", "2025-08-31", 40, "04070101124"));
  EXPECT_FALSE(ledger_->commit_async().is_ok());
  ASSERT_TRUE(ledger_->reload().is_ok());
  EXPECT_EQ(event_count(log_), 0u);
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 0u);
  EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit_async().is_ok());
  ASSERT_TRUE(ledger_->sync().is_ok());
  EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
}

std::string with_recorded_at(std::string json, const std::string& at) {
  json.pop_back();
  return json + R"(,"recordedAt":")" + at + R"("})";
}

// Ledger time stays near the clock (08:00 on 2025-06-01 here): an imported
// recordedAt more than the skew ahead of it is refused, precisely, and stages nothing.
TEST_F(LedgerTest, ARecordedAtTooFarAheadOfTheClockIsRefused) {
  const Instant before = state().last_recorded_at();
  for (const char* at : {"2099-01-01T00:00:00Z", "2025-06-02T08:00:00.000001Z"}) {
    Result<Submission> r = try_submit(with_recorded_at(stu_in("2025-07-01", "2025-07-31", 30), at));
    ASSERT_FALSE(r.is_ok()) << at;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind("field recordedAt: ", 0), 0u) << r.status().message();
    EXPECT_NE(r.status().message().find("more than 86400 s ahead of the clock (2025-06-01T08:00:00Z)"), std::string::npos)
        << r.status().message();
    EXPECT_EQ(ledger_->staged_events(), 0u);
    EXPECT_EQ(state().last_recorded_at(), before);
  }
  Submission edge = submit(with_recorded_at(stu_in("2025-07-01", "2025-07-31", 30), "2025-06-02T08:00:00Z"));
  EXPECT_EQ(edge.recorded_at, *parse_instant("2025-06-02T08:00:00Z"));
  ledger_->set_recorded_at_future_skew(0);
  EXPECT_FALSE(try_submit(with_recorded_at(stu_in("2025-08-01", "2025-08-31", 30), "2025-06-02T08:00:01Z")).is_ok());
  clock_.set(*parse_instant("2025-06-02T08:00:01Z"));
  EXPECT_TRUE(try_submit(with_recorded_at(stu_in("2025-08-01", "2025-08-31", 30), "2025-06-02T08:00:01Z")).is_ok());
}

// Two events with one eventId (an action appended twice, as two writers beside
// each other would) are found; the quota definition, once in every partition, is not one.
TEST_F(LedgerTest, AnEventAppendedTwiceIsFoundAsADuplicate) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ActionSubmission a = act(R"({"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2025}})");
  const std::string line(ledger_->last_staged_event(a.partition));
  ASSERT_TRUE(ledger_->commit().is_ok());
  close();  // its producers with it: the test appends beside it, as a second writer would
  Result<DuplicateEvents> clean = find_duplicate_events(log_);
  ASSERT_TRUE(clean.is_ok()) << clean.status().to_string();
  EXPECT_EQ(clean->events, event_count(log_));
  EXPECT_EQ(clean->duplicates, 0u);

  const std::string id = "act-" + std::to_string(a.outcome.id);
  for (int copies = 1; copies <= 2; ++copies) {
    Result<std::unique_ptr<LogProducer>> second = log_.open_producer(a.partition);  // a new session: no memory of ids
    ASSERT_TRUE(second.is_ok());
    const LogRecordDraft again{id, "05031412595", "StudentAttestationIssued", 1, a.recorded_at, line, {}};
    ASSERT_TRUE((*second)->append(std::span<const LogRecordDraft>(&again, 1)).is_ok());
    Result<DuplicateEvents> found = find_duplicate_events(log_);
    ASSERT_TRUE(found.is_ok());
    EXPECT_EQ(found->duplicates, static_cast<uint64_t>(copies));
    ASSERT_EQ(found->ids.size(), 1u);
    EXPECT_EQ(found->ids[0], "act-" + std::to_string(a.outcome.id));
    // The same from a check handed every id, its hashes merged and freed (settle) before finish:
    // spilled to its files, a buffer of 64 KiB or of two hashes (many writes and merged blocks),
    // or, with no file to be had, kept nowhere (finish reads the log).
    struct Mode {
      std::string temp_dir;
      size_t buffer;
      bool spilled;
    };
    for (const Mode& mode : {Mode{"", limits::duplicate_check_buffer_hashes, true}, Mode{"", 2, true},
                             Mode{"/nonexistent-dir-for-the-check", 2, false}}) {
      DuplicateEventCheck check(log_.partitions(), mode.temp_dir, mode.buffer);
      EXPECT_EQ(check.spilled(), mode.spilled);
      Result<std::unique_ptr<LogConsumer>> consumer = log_.open_consumer();
      ASSERT_TRUE(consumer.is_ok());
      for (uint32_t p = 0; p < log_.partitions(); ++p) {
        Result<Offset> end = (*consumer)->end_offset(p);
        ASSERT_TRUE(end.is_ok());
        ASSERT_TRUE(read_partition(**consumer, p, 0, *end, [&](LogRecord& r) {
                      check.add(p, r.event_id);
                      return Status::ok();
                    }).is_ok());
      }
      if (mode.spilled) {
        EXPECT_GT(check.held_bytes(), 0u);
      }
      check.settle();
      EXPECT_EQ(check.held_bytes(), 0u);  // freed, reserve and all: not beside a replay's final checkpoint
      check.settle();                     // once is all
      Result<DuplicateEvents> settled = check.finish(log_);
      ASSERT_TRUE(settled.is_ok()) << settled.status().to_string();
      EXPECT_EQ(settled->events, found->events) << mode.buffer << " " << mode.temp_dir;
      EXPECT_EQ(settled->duplicates, found->duplicates);
      EXPECT_EQ(settled->ids, found->ids);
    }
  }
}

TEST_F(LedgerTest, ARecordThatDoesNotDecodeIsReportedNotFolded) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit().is_ok());
  close();
  log_.corrupt(0, 0, 1);  // '"' of "eventId" becomes '\x02'
  Result<std::unique_ptr<Ledger>> l = Ledger::open(log_, testing::test_schedule(), clock_, ServerSecret::from_passphrase("test"));
  ASSERT_FALSE(l.is_ok());
  EXPECT_EQ(l.status().code(), Code::kCorruption);
  EXPECT_NE(l.status().message().find("partition 0 offset 0"), std::string::npos) << l.status().to_string();
}

TEST_F(LedgerTest, RefusedDeclarationsAreRecordedToo) {
  Submission b = submit(stu_in("2025-06-20", "2025-07-10", 40));
  EXPECT_EQ(b.decision.result, ResultCode::kRefused);
  ASSERT_TRUE(ledger_->commit().is_ok());
  bool found = false;
  for (uint32_t p = 0; p < log_.partitions(); ++p)
    for (const LogRecord& record : read_all(log_, p))
      found |= record.payload.find(R"("result":"B","anomalies":[{"code":"90373-421")") != std::string::npos;
  EXPECT_TRUE(found);
}

// The quota schedule kept with the log (quota_schedule.h): recorded once,
// read back the same by any process, extended by later entries, and never
// rewritten: a schedule that drops or changes a figure the log holds is refused.
TEST(QuotaReference, TheScheduleKeptWithTheLogIsOnlyEverExtended) {
  auto log = testing::memory_log(4);
  EXPECT_EQ(*recorded_quota_schedule(*log), std::nullopt);
  const QuotaSchedule first = testing::test_schedule();
  ASSERT_TRUE(record_quota_schedule(*log, first).is_ok());
  Result<std::optional<QuotaSchedule>> read = recorded_quota_schedule(*log);
  ASSERT_TRUE(read.is_ok() && read->has_value());
  EXPECT_EQ(format_quota_schedule(**read), format_quota_schedule(first));
  EXPECT_EQ(format_quota_schedule(*parse_quota_schedule(format_quota_schedule(first))), format_quota_schedule(first));

  QuotaSchedule more = first;  // a later figure for 2027: recorded
  more.entries.push_back({2027, 700, *parse_date("2027-01-01"), *parse_instant("2026-12-01T00:00:00Z"), "a later law"});
  ASSERT_TRUE(record_quota_schedule(*log, more).is_ok());
  EXPECT_EQ(format_quota_schedule(**recorded_quota_schedule(*log)), format_quota_schedule(more));

  QuotaSchedule rewritten = more;  // 2025's 475 h made 500 h after the fact: refused, nothing stored
  for (QuotaEntry& e : rewritten.entries)
    if (e.year == 2025 && e.hours == 475) e.hours = 500;
  const Status refused = record_quota_schedule(*log, rewritten);
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition) << refused.to_string();
  EXPECT_NE(refused.message().find("year 2025 (475 h"), std::string::npos) << refused.to_string();
  EXPECT_EQ(format_quota_schedule(**recorded_quota_schedule(*log)), format_quota_schedule(more));
  EXPECT_EQ(record_quota_schedule(*log, first).code(), Code::kFailedPrecondition);  // 2027 dropped
}

// Scale-out's writers (issue 11, item 6): two Ledgers over disjoint
// partitions of one log, each deciding the submissions whose partition it
// holds and refusing the others, write the very log one Ledger holding
// every partition writes (same events, same ids, same offsets).
TEST(LedgerOfHeldPartitions, TwoWritersOfDisjointPartitionsWriteWhatOneWriterWrites) {
  const std::vector<std::string> workers = {"05031412595", "04070101124", "03020202422", "97062691197",
                                            "60021778675", "85073003328", "85073003526", "98042372094"};
  ManualClock clock(*parse_instant("2025-06-01T08:00:00Z"));
  DeclarationDecoder decoder;
  auto decode = [&](std::string json) {
    const size_t size = json.size();
    json.resize(size + kJsonPadding, ' ');
    Result<Declaration> d = decoder.decode(std::string_view(json.data(), size), json.size());
    EXPECT_TRUE(d.is_ok()) << json;
    return *d;
  };
  std::vector<std::string> lines;
  for (int day = 1; day <= 3; ++day)
    for (const std::string& w : workers)
      lines.push_back(stu_in("2025-07-0" + std::to_string(day), "2025-07-0" + std::to_string(day), 8, w));

  auto one = testing::memory_log(4);
  auto two = testing::memory_log(4);
  {
    Result<std::unique_ptr<Ledger>> all = Ledger::open(*one, testing::test_schedule(), clock, ServerSecret::from_passphrase("t"));
    ASSERT_TRUE(all.is_ok());
    Result<std::unique_ptr<Ledger>> even = Ledger::open(*two, testing::test_schedule(), clock, ServerSecret::from_passphrase("t"), {0, 2});
    Result<std::unique_ptr<Ledger>> odd = Ledger::open(*two, testing::test_schedule(), clock, ServerSecret::from_passphrase("t"), {1, 3});
    ASSERT_TRUE(even.is_ok() && odd.is_ok());
    EXPECT_EQ(Ledger::open(*two, testing::test_schedule(), clock, ServerSecret::from_passphrase("t"), {3}).status().code(),
              Code::kBusy);  // partition 3's producer is odd's
    EXPECT_EQ(Ledger::open(*two, testing::test_schedule(), clock, ServerSecret::from_passphrase("t"), {4}).status().code(),
              Code::kInvalidArgument);
    std::string first_period;
    for (size_t i = 0; i <= lines.size(); ++i) {
      const std::string json = i < lines.size() ? lines[i]
                                                : R"({"dimonaUpdate":{"periodId":)" + first_period + R"(,"plannedHoursNumber":6}})";
      const Declaration d = decode(json);
      Result<Submission> a = (*all)->submit(d, json, "test");
      ASSERT_TRUE(a.is_ok());
      if (i == 0) first_period = std::to_string(a->decision.period_id.value);
      Ledger& owner = (*even)->holds(a->partition) ? **even : **odd;
      Ledger& other = (*even)->holds(a->partition) ? **odd : **even;
      if (i < lines.size()) {  // an UPDATE names no worker: it must reach its period's owner (ledger.h)
        Result<Submission> refused = other.submit(d, json, "test");
        ASSERT_FALSE(refused.is_ok()) << json;
        EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
        EXPECT_NE(refused.status().message().find("partition " + std::to_string(a->partition) + " is not held"),
                  std::string::npos) << refused.status().to_string();
      }
      Result<Submission> b = owner.submit(d, json, "test");
      ASSERT_TRUE(b.is_ok()) << b.status().to_string();
      EXPECT_EQ(b->declaration_id, a->declaration_id);
      EXPECT_EQ(b->decision.period_id, a->decision.period_id);
      EXPECT_EQ(b->decision.result, a->decision.result);
    }
    ASSERT_TRUE((*all)->commit().is_ok());
    ASSERT_TRUE((*even)->commit().is_ok());
    ASSERT_TRUE((*odd)->commit().is_ok());
  }
  for (uint32_t p = 0; p < 4; ++p) {
    const std::vector<LogRecord> want = read_all(*one, p), got = read_all(*two, p);
    ASSERT_EQ(got.size(), want.size()) << "partition " << p;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].payload, want[i].payload) << "partition " << p << " offset " << i;
      EXPECT_EQ(got[i].offset, want[i].offset);
    }
  }
}

// A citizen's partition is its SSIN's key's: the 11 digits, with the leading zeros of a BIS or
// early-century number (what kcat and every other producer key its records with;
// partition_for_key agrees with librdkafka's partitioner: log_conformance_test.cc).
TEST(PartitionFor, ACitizensPartitionIsThatOfItsElevenDigitKey) {
  for (uint32_t partitions : {1u, 3u, 16u, 100u}) {
    for (uint64_t ssin : {1ULL, 5031412595ULL, 83120965727ULL, 99999999999ULL, 10000000000ULL, 100ULL}) {
      std::string key = std::to_string(ssin);
      key.insert(0, 11 - key.size(), '0');
      EXPECT_EQ(partition_for(Ssin{ssin}, partitions), partition_for_key(key, partitions)) << key;
    }
  }
  EXPECT_EQ(partition_for(Ssin{}, 16), 0u);  // no citizen
}

}  // namespace

}  // namespace dimona
