#include "engine/ledger.h"

#include <gtest/gtest.h>

#include "tests/engine/ledger_fixture.h"

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
