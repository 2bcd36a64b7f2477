#include "engine/ledger.h"

#include <gtest/gtest.h>

#include "engine/embedded_log.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::stu_in;

class LedgerTest : public testing::LedgerFixture {};

TEST_F(LedgerTest, ReopeningFoldsTheLogIntoTheSameState) {
  Submission a = submit(stu_in("2025-07-01", "2025-07-31", 30));
  submit(stu_in("2025-08-01", "2025-08-31", 40, "04070101124"));
  submit(R"({"dimonaUpdate":{"periodId":)" + period_of(a) + R"(,"plannedHoursNumber":24}})");
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  const uint64_t next = state().next_id_body();
  reopen();
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 24u);
  EXPECT_EQ(state().student_hours(Ssin{4070101124}, 2025), 40u);
  EXPECT_EQ(state().next_id_body(), next);
  EXPECT_EQ(state().quota(2025), 475u);  // ledger time is 2025-06-01: the 650 h figure is not known yet
  // The next declaration continues the id sequence, never reuses one.
  Submission c = submit(stu_in("2025-09-01", "2025-09-30", 10, "03020202422"));
  EXPECT_GE(c.declaration_id.value / 100, next);
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

TEST_F(LedgerTest, QuotaDefinitionsAreWrittenToEveryPartition) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  for (uint32_t p = 0; p < log_.partition_count(); ++p) {
    ASSERT_FALSE(log_.batches(p).empty()) << p;
    EXPECT_NE(log_.batches(p)[0].payload.find("StudentQuotaDefined"), std::string::npos);
  }
}

TEST_F(LedgerTest, NothingReachesTheLogBeforeCommit) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_EQ(log_.event_count(), 0u);
  EXPECT_GT(ledger_->staged_events(), 0u);
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  EXPECT_GT(log_.event_count(), 0u);
  EXPECT_EQ(ledger_->staged_events(), 0u);
}

TEST_F(LedgerTest, AFailedCommitLosesNothingCommittedBefore) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  const uint64_t committed = log_.event_count();
  submit(stu_in("2025-08-01", "2025-08-31", 30));
  log_.fail_next_append();
  EXPECT_FALSE(ledger_->commit(nullptr).is_ok());
  EXPECT_EQ(log_.event_count(), committed);
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

std::string folded_bytes(EventLog& log) {
  LedgerState fresh;
  EXPECT_TRUE(fold_log(log, &fresh).is_ok());
  return bytes_of(fresh);
}

// A full disk: commits fail, then space comes back. reload() makes the state
// equal the log each time, and the Ledger accepts again without being reopened.
TEST_F(LedgerTest, AfterFailedCommitsReloadMakesTheStateTheLogsAndWritesGoOn) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  const uint64_t committed = log_.event_count();
  log_.fail_appends(2);
  for (int attempt = 0; attempt < 2; ++attempt) {
    submit(stu_in("2025-08-01", "2025-08-31", 40));
    EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 70u);  // ahead of the log
    EXPECT_FALSE(ledger_->commit(nullptr).is_ok());
    EXPECT_EQ(log_.event_count(), committed);
    ASSERT_TRUE(ledger_->reload().is_ok());
    EXPECT_EQ(ledger_->staged_events(), 0u);
    EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 30u);
    EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
  }
  Submission again = submit(stu_in("2025-08-01", "2025-08-31", 40));
  EXPECT_NE(again.decision.result, ResultCode::kRefused);
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  EXPECT_GT(log_.event_count(), committed);
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 70u);
  EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
}

// The same through the double-buffered path: a group in flight fails, the next
// commit_async reports it; reload() drops both and the committer starts afresh.
TEST_F(LedgerTest, ReloadAfterAFailedAsyncCommitDropsWhatWasInFlight) {
  log_.fail_next_append();
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit_async(nullptr).is_ok());
  submit(stu_in("2025-08-01", "2025-08-31", 40, "04070101124"));
  EXPECT_FALSE(ledger_->commit_async(nullptr).is_ok());
  ASSERT_TRUE(ledger_->reload().is_ok());
  EXPECT_EQ(log_.event_count(), 0u);
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 0u);
  EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit_async(nullptr).is_ok());
  ASSERT_TRUE(ledger_->sync().is_ok());
  EXPECT_EQ(bytes_of(state()), folded_bytes(log_));
}

// The same on SQLite with a full disk (max_page_count): the commit fails, reload()
// folds the log, and once there is room the same Ledger commits again.
TEST(LedgerOnAFullDisk, RecoversWithoutBeingReopened) {
  testing::TempDir dir;
  EmbeddedLogOptions options;
  options.create_if_missing = true;
  options.partitions = 4;
  Result<std::unique_ptr<EmbeddedLog>> log = EmbeddedLog::open(dir.file("ledger.db"), options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  ManualClock clock(*parse_instant("2025-06-01T08:00:00Z"));
  Result<std::unique_ptr<Ledger>> ledger = Ledger::open(**log, testing::test_schedule(), clock, ServerSecret::from_passphrase("t"));
  ASSERT_TRUE(ledger.is_ok());
  DeclarationDecoder decoder;
  auto submit_days = [&](int first_day, int days) {
    for (int d = first_day; d < first_day + days; ++d) {
      const std::string day = to_string(Date{date_from_civil(2025, 7, 1).days + d});
      std::string json = testing::stu_in(day, day, 4);
      const size_t size = json.size();
      json.resize(size + kJsonPadding, ' ');
      Result<Declaration> decl = decoder.decode(std::string_view(json.data(), size), json.size());
      ASSERT_TRUE(decl.is_ok());
      ASSERT_TRUE((*ledger)->submit(*decl, std::string_view(json.data(), size), "test").is_ok());
    }
  };
  submit_days(0, 5);
  ASSERT_TRUE((*ledger)->commit(nullptr).is_ok());
  ASSERT_TRUE((*log)->set_size_limit(1).is_ok());  // no page beyond those in use
  for (int round = 0; round < 25; ++round) submit_days(5, 80);  // the repeats are refused, and logged all the same
  Status full = (*ledger)->commit(nullptr);
  ASSERT_FALSE(full.is_ok());
  EXPECT_NE(full.message().find("full"), std::string::npos) << full.to_string();
  ASSERT_TRUE((*ledger)->reload().is_ok());
  EXPECT_EQ((*ledger)->state().student_hours(Ssin{5031412595}, 2025), 20u);
  EXPECT_EQ(bytes_of((*ledger)->state()), folded_bytes(**log));
  ASSERT_TRUE((*log)->set_size_limit(0).is_ok());  // space came back
  submit_days(5, 80);
  ASSERT_TRUE((*ledger)->commit(nullptr).is_ok());
  EXPECT_EQ((*ledger)->state().student_hours(Ssin{5031412595}, 2025), 340u);
  EXPECT_EQ(bytes_of((*ledger)->state()), folded_bytes(**log));
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
  const std::string line = std::string(ledger_->last_staged_event(a.partition)) + "\n";
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  Result<DuplicateEvents> clean = find_duplicate_events(log_);
  ASSERT_TRUE(clean.is_ok()) << clean.status().to_string();
  EXPECT_EQ(clean->events, log_.event_count());
  EXPECT_EQ(clean->duplicates, 0u);

  for (int copies = 1; copies <= 2; ++copies) {
    BatchDraft again;
    again.partition = a.partition;
    again.count = 1;
    again.first_recorded_at = again.last_recorded_at = a.recorded_at;
    again.payload = line;
    ASSERT_TRUE(log_.append(std::span<const BatchDraft>(&again, 1), nullptr).is_ok());
    Result<DuplicateEvents> found = find_duplicate_events(log_);
    ASSERT_TRUE(found.is_ok());
    EXPECT_EQ(found->duplicates, static_cast<uint64_t>(copies));
    ASSERT_EQ(found->ids.size(), 1u);
    EXPECT_EQ(found->ids[0], "act-" + std::to_string(a.outcome.id));
  }
}

TEST_F(LedgerTest, ACorruptBatchIsReportedNotFolded) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  log_.batches(0)[0].payload[10] ^= 1;
  Result<std::unique_ptr<Ledger>> l = Ledger::open(log_, testing::test_schedule(), clock_, ServerSecret::from_passphrase("test"));
  ASSERT_FALSE(l.is_ok());
  EXPECT_EQ(l.status().code(), Code::kCorruption);
}

TEST_F(LedgerTest, RefusedDeclarationsAreRecordedToo) {
  Submission b = submit(stu_in("2025-06-20", "2025-07-10", 40));
  EXPECT_EQ(b.decision.result, ResultCode::kRefused);
  ASSERT_TRUE(ledger_->commit(nullptr).is_ok());
  bool found = false;
  for (uint32_t p = 0; p < log_.partition_count(); ++p)
    for (const RecordBatch& batch : log_.batches(p))
      found |= batch.payload.find(R"("result":"B","anomalies":[{"code":"90373-421")") != std::string::npos;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace dimona
