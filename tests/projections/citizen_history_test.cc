#include "projections/citizen_history.h"

#include <gtest/gtest.h>

#include "engine/codec.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

using testing::stu_in;

constexpr Ssin kStudent{5031412595};

class CitizenHistoryTest : public testing::LedgerFixture {
 protected:
  // Submits at the given ledger time.
  Submission at(const std::string& when, const std::string& json) {
    clock_.set(*parse_instant(when));
    return submit(json);
  }
  std::unique_ptr<Projector> project() {
    EXPECT_TRUE(ledger_->commit().is_ok());
    auto p = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(p.is_ok());
    EXPECT_TRUE((*p)->catch_up().is_ok());
    return std::move(*p);
  }
  std::vector<std::string> items(const Projector& p, uint64_t first, uint64_t last) {
    std::vector<std::string> out;
    EXPECT_TRUE(write_history(p, kStudent, first, last, [&](std::string_view item) {
                  out.emplace_back(item);
                  return Status::ok();
                }).is_ok());
    return out;
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(CitizenHistoryTest, EachEventWithItsDecisionAndTheRuleBehindEachFigure) {
  const Submission in = at("2025-06-01T08:00:00Z", stu_in("2025-07-01", "2025-09-30", 400));
  at("2025-06-02T08:00:00Z", stu_in("2025-08-01", "2025-08-29", 100, "05031412595", "0403019360"));  // W: 25 beyond 475
  at("2025-06-03T08:00:00Z", stu_in("2025-06-20", "2025-07-10", 40));                                 // B 90373-421
  at("2025-06-04T08:00:00Z", R"({"dimonaUpdate":{"periodId":)" + period_of(in) + R"(,"plannedHoursNumber":350}})");
  at("2025-06-05T08:00:00Z", R"({"dimonaCancel":{"periodId":)" + period_of(in) + "}}");
  at("2025-06-05T09:00:00Z", stu_in("2025-07-01", "2025-07-31", 20, "85073003328"));  // another citizen
  auto p = project();
  Result<uint64_t> total = history_size(*p, kStudent, std::nullopt);
  ASSERT_TRUE(total.is_ok());
  ASSERT_EQ(*total, 5u);
  const std::vector<std::string> all = items(*p, 0, 5);
  ASSERT_EQ(all.size(), 5u);
  const uint32_t part = partition_for(kStudent, p->partition_count());
  const std::vector<Offset> offsets = p->citizens(part).offsets(kStudent);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(has(all[i], "{\"partition\":" + std::to_string(part) + ",\"offset\":" + std::to_string(offsets[i]) +
                                ",\"recordedAt\":\"2025-06-0" + std::to_string(i + 1) + "T08:00:00Z\""))
        << all[i];
    EXPECT_TRUE(has(all[i], ",\"event\":" + *p->event_at(part, offsets[i]) + ",\"decision\":{")) << "as logged";
  }
  EXPECT_TRUE(has(all[0], "\"type\":\"DimonaInDeclared\"")) << all[0];
  EXPECT_TRUE(has(all[0], R"("result":"A","rule":"rule 9: accepted (A))")) << all[0];
  EXPECT_TRUE(has(all[0], R"({"name":"plannedHours","value":400,"rule":"rule 2: )")) << all[0];
  EXPECT_TRUE(has(all[1], R"({"code":"90017-369","severity":"NP","rule":"rule 8: )")) << all[1];
  EXPECT_TRUE(has(all[1], R"({"name":"inQuotaHours","value":75,"rule":"rule 8: )")) << all[1];
  EXPECT_TRUE(has(all[1], R"({"name":"exceedingHours","value":25,"rule":"rule 8: )")) << all[1];
  EXPECT_TRUE(has(all[2], R"("result":"B","rule":"rule 9: refused (B))")) << all[2];
  EXPECT_TRUE(has(all[2], R"({"code":"90373-421","severity":"B","rule":"rule 5: )")) << all[2];
  EXPECT_TRUE(has(all[2], R"("figures":[])")) << "a refusal has no figure: " << all[2];
  EXPECT_TRUE(has(all[3], R"("type":"DimonaUpdateDeclared")")) << all[3];
  EXPECT_TRUE(has(all[3], R"({"name":"plannedHours","value":350,"rule":"rule 3: )")) << all[3];
  EXPECT_TRUE(has(all[4], R"({"name":"plannedHours","value":0,"rule":"rule 4: )")) << all[4];
  EXPECT_EQ(items(*p, 1, 3), std::vector<std::string>(all.begin() + 1, all.begin() + 3)) << "a page is a slice";
}

// asOf keeps the events recorded at or before it: a prefix, at every boundary.
TEST_F(CitizenHistoryTest, AsOfKeepsTheEventsRecordedAtOrBeforeIt) {
  for (int day = 1; day <= 9; ++day)
    at("2025-06-0" + std::to_string(day) + "T08:00:00Z",
       stu_in("2025-07-0" + std::to_string(day), "2025-07-0" + std::to_string(day), 1));
  auto p = project();
  auto size_at = [&](const char* when) {
    Result<uint64_t> n = history_size(*p, kStudent, *parse_instant(when));
    EXPECT_TRUE(n.is_ok());
    return n.is_ok() ? *n : ~uint64_t{0};
  };
  EXPECT_EQ(size_at("2025-05-31T23:59:59Z"), 0u);
  EXPECT_EQ(size_at("2025-06-01T08:00:00Z"), 1u) << "at the instant itself";
  EXPECT_EQ(size_at("2025-06-01T07:59:59.999999Z"), 0u);
  for (int day = 1; day <= 9; ++day)
    EXPECT_EQ(size_at(("2025-06-0" + std::to_string(day) + "T12:00:00Z").c_str()), static_cast<uint64_t>(day));
  EXPECT_EQ(size_at("2030-01-01T00:00:00Z"), 9u);
  EXPECT_EQ(*history_size(*p, Ssin{85073003328}, *parse_instant("2030-01-01T00:00:00Z")), 0u) << "no events";
}

}  // namespace
}  // namespace dimona
