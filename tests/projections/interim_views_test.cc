#include "projections/interim_views.h"

#include <gtest/gtest.h>

#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

constexpr Ssin kWorker{85073003328};
constexpr uint64_t kAgency = 403019261;
constexpr uint64_t kUserA = 876543270;
constexpr uint64_t kUserB = 456789034;

std::string daily(const std::string& day, const char* user = "0876543270", const char* type = "OTH") {
  return std::string(R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":")") +
         type + R"("},"startDate":")" + day + R"(","endDate":")" + day + R"(")" +
         (std::string(type) == "STU" ? R"(,"plannedHoursNumber":4)" : "") + R"(,"usingEmployer":{"enterpriseNumber":")" +
         user + R"(","jointCommissionNumber":"111"}}})";
}

class InterimViewsTest : public testing::LedgerFixture {
 protected:
  std::vector<InterimRelation> relations(const InterimFilter& f) {
    EXPECT_TRUE(ledger_->commit(nullptr).is_ok());
    auto projector = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(projector.is_ok());
    EXPECT_TRUE((*projector)->catch_up().is_ok());
    return interim_relations((*projector)->state_of(kWorker), kWorker, f);
  }
  InterimFilter window() { return interim_window(*parse_date("2025-06-01")); }
};

TEST_F(InterimViewsTest, ConsecutiveDailyContractsAreOneRelation) {
  // Thu, Fri, then Mon after a weekend: one relation; then a gap of two weeks: another.
  for (const char* d : {"2025-07-03", "2025-07-04", "2025-07-07", "2025-07-22"}) submit(daily(d));
  auto r = relations(window());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].agency, kAgency);
  EXPECT_EQ(r[0].user_company, kUserA);
  EXPECT_EQ(to_string(r[0].first), "2025-07-03");
  EXPECT_EQ(to_string(r[0].last), "2025-07-07");
  EXPECT_EQ(r[0].days, 3u);
  EXPECT_EQ(r[1].days, 1u);
}

TEST_F(InterimViewsTest, EachUserCompanyHasItsOwnRelations) {
  submit(daily("2025-07-03"));
  submit(daily("2025-07-04", "0456789034"));
  auto r = relations(window());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].user_company, kUserA);
  EXPECT_EQ(r[1].user_company, kUserB);
}

TEST_F(InterimViewsTest, FiltersByDateTypeAgencyAndUserCompany) {
  clock_.set(*parse_instant("2025-07-02T08:00:00Z"));
  submit(daily("2025-07-03"));
  submit(daily("2025-08-04", "0456789034"));
  submit(daily("2025-09-01", "0876543270", "STU"));
  InterimFilter july = window();
  july.from = *parse_date("2025-07-01");
  july.to = *parse_date("2025-07-31");
  EXPECT_EQ(relations(july).size(), 1u);
  InterimFilter students = window();
  students.worker_type = WorkerType::kSTU;
  ASSERT_EQ(relations(students).size(), 1u);
  EXPECT_EQ(to_string(relations(students)[0].first), "2025-09-01");
  InterimFilter at_b = window();
  at_b.user_company = kUserB;
  EXPECT_EQ(relations(at_b).size(), 1u);
  InterimFilter other_agency = window();
  other_agency.agency = 456789034;
  EXPECT_TRUE(relations(other_agency).empty());
}

TEST_F(InterimViewsTest, TheWindowIsPreviousCurrentAndNextYear) {
  const InterimFilter w = interim_window(*parse_date("2025-06-01"));
  EXPECT_EQ(to_string(w.from), "2024-01-01");
  EXPECT_EQ(to_string(w.to), "2026-12-31");
  submit(daily("2025-07-03"));
  InterimFilter later = interim_window(*parse_date("2028-01-10"));
  EXPECT_TRUE(relations(later).empty());
}

TEST_F(InterimViewsTest, CancelledPeriodsAreListedNotCounted) {
  Submission s = submit(daily("2025-07-03"));
  submit(daily("2025-07-04"));
  submit(R"({"dimonaCancel":{"periodId":)" + period_of(s) + "}}");
  auto r = relations(window());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].days, 1u);
  ASSERT_EQ(r[0].periods.size(), 2u);
  EXPECT_TRUE(r[0].periods[0].cancelled);
  std::string json;
  to_json(kWorker, r, &json);
  EXPECT_NE(json.find(R"("status":"cancelled")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("total":1)"), std::string::npos) << json;
}

TEST_F(InterimViewsTest, PeriodsShowTheAnomaliesOfTheirDeclarations) {
  Submission late = submit(daily("2025-05-30"));  // recorded 2025-06-01: late, W 90373-460
  submit(daily("2025-07-03"));
  submit(R"({"dimonaOut":{"periodId":)" + period_of(late) + R"(,"endDate":"2025-05-01"}})");  // B: before the start
  EXPECT_TRUE(ledger_->commit(nullptr).is_ok());
  auto projector = Projector::open(log_, ProjectorOptions{});
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  auto r = interim_relations((*projector)->state_of(kWorker), kWorker, window(), &(*projector)->anomalies_of(kWorker));
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[0].periods.size(), 1u);
  EXPECT_EQ(r[0].periods[0].anomalies, (std::vector<uint32_t>{90373460, 911014}));
  EXPECT_TRUE(r[1].periods[0].anomalies.empty());
}

TEST_F(InterimViewsTest, NonInterimPeriodsAreNotRelations) {
  submit(testing::stu_in("2025-07-03", "2025-07-31", 20, "85073003328"));
  EXPECT_TRUE(relations(window()).empty());
}

}  // namespace
}  // namespace dimona
