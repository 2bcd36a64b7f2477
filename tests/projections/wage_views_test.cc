#include "projections/wage_views.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/event.h"
#include "engine/ledger_state.h"

namespace dimona {
namespace {

constexpr Ssin kStudent{5031412595};
constexpr Ssin kOther{85073003328};
constexpr uint64_t kEmployer = 403019261;
constexpr uint64_t kEmployer2 = 202239951;

// An accepted occupationQuarter as the log would hold it.
Event occupation(Ssin worker, uint64_t employer, int32_t year, int quarter, std::optional<int64_t> cents, uint64_t id) {
  Event e;
  e.type = event_type_of(ActionKind::kOccupationQuarter);
  e.recorded_at = *parse_instant("2025-05-01T10:00:00Z");
  e.ssin = worker;
  e.source = "test";
  Action& a = e.action.action;
  a.kind = ActionKind::kOccupationQuarter;
  a.year = year;
  a.quarter = static_cast<uint8_t>(quarter);
  a.fraction_permille = 500;
  a.gross_wage_cents = cents;
  e.action.outcome.id = id;
  e.action.outcome.worker = worker;
  e.action.outcome.employer = employer;
  return e;
}

class WageViewsTest : public ::testing::Test {
 protected:
  void apply(const Event& e) { ASSERT_TRUE(actions_.apply(e).is_ok()); }
  ActionState actions_;
};

TEST_F(WageViewsTest, TheFourQuartersBeforeTheCurrentOnePerEmployerWithTheirTotal) {
  apply(occupation(kStudent, kEmployer, 2024, 1, 10000, 700000000101));   // 2024-Q1: too old
  apply(occupation(kStudent, kEmployer, 2024, 2, 123456, 700000000102));  // shown
  apply(occupation(kStudent, kEmployer2, 2024, 2, 50, 700000000103));     // shown, same quarter
  apply(occupation(kStudent, kEmployer, 2024, 4, std::nullopt, 700000000104));  // no wage: not counted
  apply(occupation(kStudent, kEmployer, 2025, 1, 99999, 700000000105));  // shown
  apply(occupation(kStudent, kEmployer, 2025, 2, 77700, 700000000106));  // the current quarter: not yet
  apply(occupation(kOther, kEmployer, 2024, 3, 88800, 700000000107));    // someone else
  const std::vector<QuarterWages> w =
      wages_of_last_quarters(actions_, kStudent, 2025 * 4 + 1 /* 2025-Q2 */);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].quarter, 2024 * 4 + 1);
  ASSERT_EQ(w[0].by_employer.size(), 2u);
  EXPECT_EQ(w[0].by_employer[0].employer, kEmployer2);  // ascending keys
  EXPECT_EQ(w[0].total_cents, 123506);
  EXPECT_TRUE(w[1].by_employer.empty());  // 2024-Q3: listed, empty
  EXPECT_TRUE(w[2].by_employer.empty());  // 2024-Q4: an occupation without a wage
  EXPECT_EQ(w[3].quarter, 2025 * 4);
  EXPECT_EQ(w[3].total_cents, 99999);

  std::string json;
  to_json(kStudent, w, [](uint64_t e) -> std::optional<std::string> {
    if (e == kEmployer) return "Bakkerij \"De Molen\"";
    return std::nullopt;
  }, &json);
  EXPECT_EQ(json,
            R"({"ssin":"05031412595","quarters":[{"quarter":"2024-Q2","grossWage":1235.06,"employers":[)"
            R"({"employer":"0202239951","grossWage":0.50},)"
            R"({"employer":"0403019261","employerName":"Bakkerij \"De Molen\"","grossWage":1234.56}]},)"
            R"({"quarter":"2024-Q3","grossWage":0.00,"employers":[]},{"quarter":"2024-Q4","grossWage":0.00,"employers":[]},)"
            R"({"quarter":"2025-Q1","grossWage":999.99,"employers":[{"employer":"0403019261","employerName":"Bakkerij \"De Molen\"","grossWage":999.99}]}]})");
}

TEST_F(WageViewsTest, AQuarterSentAgainReplacesTheWageAndALeftOutWageIsGone) {
  apply(occupation(kStudent, kEmployer, 2024, 4, 10000, 700000000201));
  apply(occupation(kStudent, kEmployer, 2024, 4, 20000, 700000000202));
  std::vector<QuarterWages> w = wages_of_last_quarters(actions_, kStudent, 2025 * 4);
  EXPECT_EQ(w[3].total_cents, 20000);
  ASSERT_EQ(w[3].by_employer.size(), 1u);
  apply(occupation(kStudent, kEmployer, 2024, 4, std::nullopt, 700000000203));
  w = wages_of_last_quarters(actions_, kStudent, 2025 * 4);
  EXPECT_TRUE(w[3].by_employer.empty());
}

TEST_F(WageViewsTest, NoDataGivesFourEmptyQuartersAndNoNamesWithoutAReference) {
  const std::vector<QuarterWages> w = wages_of_last_quarters(actions_, kStudent, 2025 * 4);
  ASSERT_EQ(w.size(), 4u);
  for (const QuarterWages& q : w) EXPECT_TRUE(q.by_employer.empty());
  std::string json;
  to_json(kStudent, w, {}, &json);
  EXPECT_EQ(json.find("employerName"), std::string::npos);
}

}  // namespace
}  // namespace dimona
