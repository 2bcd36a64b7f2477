#include "projections/interim_views.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

constexpr Ssin kWorker{85073003328};
constexpr uint64_t kAgency = 403019261;
constexpr uint64_t kUserA = 876543270;
constexpr uint64_t kUserB = 456789034;

std::string span(const std::string& start, const std::string& end, const char* user = "0876543270", const char* type = "OTH",
                 const char* agency = "0403019261") {
  return std::string(R"({"employer":{"enterpriseNumber":")") + agency +
         R"("},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":")" + type +
         R"("},"startDate":")" + start + R"(","endDate":")" + end + R"(")" +
         (std::string(type) == "STU" ? R"(,"plannedHoursNumber":4)" : "") + R"(,"usingEmployer":{"enterpriseNumber":")" +
         user + R"(","jointCommissionNumber":"111"}}})";
}

std::string daily(const std::string& day, const char* user = "0876543270", const char* type = "OTH") {
  return span(day, day, user, type);
}

// The calendar's runs of one row and year, as "from..to" strings.
std::vector<std::string> runs(const InterimCalendarRow& row, int32_t year) {
  std::vector<std::string> out;
  for (const InterimCalendarYear& y : row.years) {
    if (y.year != year) continue;
    const Date first = date_from_civil(year, 1, 1);
    for (int d = 0; d < 366; ++d) {
      if (!y.days.has(d)) continue;
      int e = d;
      while (e + 1 < 366 && y.days.has(e + 1)) ++e;
      out.push_back(to_string(Date{first.days + d}) + ".." + to_string(Date{first.days + e}));
      d = e;
    }
  }
  return out;
}

class InterimViewsTest : public testing::LedgerFixture {
 protected:
  std::vector<InterimRelation> relations(const InterimFilter& f) {
    EXPECT_TRUE(ledger_->commit().is_ok());
    auto projector = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(projector.is_ok());
    EXPECT_TRUE((*projector)->catch_up().is_ok());
    return interim_relations((*projector)->state_of(kWorker), kWorker, f);
  }
  InterimFilter window() { return interim_window(*parse_date("2025-06-01")); }
  InterimCalendar calendar(const InterimFilter& f) {
    EXPECT_TRUE(ledger_->commit().is_ok());
    auto projector = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(projector.is_ok());
    EXPECT_TRUE((*projector)->catch_up().is_ok());
    return interim_calendar((*projector)->state_of(kWorker), kWorker, f);
  }
  // The calendar says exactly what the list says: per (agency, user company),
  // the days of the listed periods that are not cancelled, inside the window.
  void expect_calendar_is_list(const InterimFilter& f) {
    std::map<std::pair<uint64_t, uint64_t>, std::set<int32_t>> listed;
    for (const InterimRelation& r : relations(f))
      for (const InterimPeriod& p : r.periods)
        for (int32_t d = std::max(p.start, f.from).days; !p.cancelled && d <= std::min(p.end, f.to).days; ++d)
          listed[{r.agency, r.user_company}].insert(d);
    std::map<std::pair<uint64_t, uint64_t>, std::set<int32_t>> shown;
    const InterimCalendar cal = calendar(f);
    for (const InterimCalendarRow& row : cal.rows) {
      for (int32_t d = f.from.days; d <= f.to.days; ++d)
        if (row.worked(Date{d})) shown[{row.agency, row.user_company}].insert(d);
      EXPECT_EQ(row.days, (shown[{row.agency, row.user_company}].size()));
    }
    EXPECT_EQ(shown, listed) << to_string(f.from) << ".." << to_string(f.to);
  }
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

// Issue 10 item 6: the gap of days that still joins daily contracts into one
// relation is a named parameter (limits::interim_relation_gap_days, 3 by
// default: a weekend or a long weekend) that a filter may set.
TEST_F(InterimViewsTest, TheJoiningGapIsANamedParameter) {
  static_assert(limits::interim_relation_gap_days == 3);
  // Fri, then Tue after a long weekend (gap 3): one relation; then Sun after a gap of 4: another.
  for (const char* d : {"2025-07-04", "2025-07-08", "2025-07-13"}) submit(daily(d));
  InterimFilter f = window();
  EXPECT_EQ(f.relation_gap_days, limits::interim_relation_gap_days);
  auto by_default = relations(f);
  ASSERT_EQ(by_default.size(), 2u);
  EXPECT_EQ(by_default[0].days, 2u);
  f.relation_gap_days = 0;  // only days that follow each other
  EXPECT_EQ(relations(f).size(), 3u);
  f.relation_gap_days = 4;
  EXPECT_EQ(relations(f).size(), 1u);
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

// A relation's first and last day and its days are those inside the window, as the calendar
// counts them (a `to`, or validOn, stops them there); its periods keep their declared dates.
TEST_F(InterimViewsTest, ARelationsDaysAreThoseInsideTheWindow) {
  clock_.set(*parse_instant("2025-07-02T08:00:00Z"));
  submit(span("2025-07-07", "2025-07-11"));
  InterimFilter f = window();
  f.to = *parse_date("2025-07-09");
  const std::vector<InterimRelation> r = relations(f);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(to_string(r[0].first), "2025-07-07");
  EXPECT_EQ(to_string(r[0].last), "2025-07-09");
  EXPECT_EQ(r[0].days, 3u);
  ASSERT_EQ(r[0].periods.size(), 1u);
  EXPECT_EQ(to_string(r[0].periods[0].end), "2025-07-11");
  f.from = *parse_date("2025-07-08");
  EXPECT_EQ(relations(f)[0].days, 2u);
  EXPECT_EQ(to_string(relations(f)[0].first), "2025-07-08");
  expect_calendar_is_list(f);
  const InterimCalendar cal = calendar(f);
  ASSERT_EQ(cal.rows.size(), 1u);
  EXPECT_EQ(cal.rows[0].days, relations(f)[0].days);
}

TEST_F(InterimViewsTest, TheWindowIsPreviousCurrentAndNextYear) {
  const InterimFilter w = interim_window(*parse_date("2025-06-01"));
  EXPECT_EQ(to_string(w.from), "2024-01-01");
  EXPECT_EQ(to_string(w.to), "2026-12-31");
  submit(daily("2025-07-03"));
  InterimFilter later = interim_window(*parse_date("2028-01-10"));
  EXPECT_TRUE(relations(later).empty());
}

// The one filter parser of the CLI (`interim --from …`) and the API (`?from=…`).
TEST(InterimFilterParse, EmptyFieldsKeepTheWindowAndGivenOnesAreRead) {
  const Date reference = *parse_date("2025-06-01");
  const InterimFilterParsed none = parse_interim_filter({}, reference);
  ASSERT_TRUE(none.issues.empty());
  EXPECT_EQ(none.filter.from, interim_window(reference).from);
  EXPECT_EQ(none.filter.to, interim_window(reference).to);
  EXPECT_EQ(none.filter.worker_type, WorkerType::kUnknown);
  const InterimFilterParsed all =
      parse_interim_filter({"2025-02-01", "2025-03-31", "STU", "0403019261", "0876543270"}, reference);
  ASSERT_TRUE(all.issues.empty());
  EXPECT_EQ(to_string(all.filter.from), "2025-02-01");
  EXPECT_EQ(to_string(all.filter.to), "2025-03-31");
  EXPECT_EQ(all.filter.worker_type, WorkerType::kSTU);
  EXPECT_EQ(all.filter.agency, kAgency);
  EXPECT_EQ(all.filter.user_company, kUserA);
  const InterimFilterParsed named = parse_interim_filter({"", "", "", "", "Brasserie Émile SRL"}, reference);
  ASSERT_TRUE(named.issues.empty());
  EXPECT_TRUE(is_named_user_company(named.filter.user_company));
}

TEST(InterimFilterParse, EveryBadFieldIsNamedAndNoValueEchoed) {
  const InterimFilterParsed bad = parse_interim_filter(
      {"2025-13-01", "yesterday", "XYZ", "0403019262", std::string_view("\0", 1)}, *parse_date("2025-06-01"));
  std::vector<InterimField> fields;
  for (const InterimFilterIssue& i : bad.issues) {
    fields.push_back(i.field);
    EXPECT_EQ(i.detail.find("0403019262"), std::string::npos) << i.detail;
    EXPECT_FALSE(i.detail.empty());
  }
  EXPECT_EQ(fields, (std::vector<InterimField>{InterimField::kFrom, InterimField::kTo, InterimField::kWorkerType,
                                               InterimField::kAgency, InterimField::kUserCompany}));
  const InterimFilterParsed backwards =
      parse_interim_filter({"2025-04-01", "2025-03-31", "", "", ""}, *parse_date("2025-06-01"));
  ASSERT_EQ(backwards.issues.size(), 1u);
  EXPECT_EQ(backwards.issues[0].field, InterimField::kTo);
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
  EXPECT_TRUE(ledger_->commit().is_ok());
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

TEST_F(InterimViewsTest, CalendarFiltersAreTheListFilters) {
  clock_.set(*parse_instant("2025-07-02T08:00:00Z"));
  submit(daily("2025-07-03"));
  submit(daily("2025-07-04"));
  submit(daily("2025-08-04", "0456789034"));
  submit(daily("2025-09-01", "0876543270", "STU"));
  submit(span("2025-09-29", "2025-10-03", "0456789034", "OTH", "0456789034"));  // another agency
  InterimFilter july = window();
  july.from = *parse_date("2025-07-01");
  july.to = *parse_date("2025-07-31");
  InterimFilter students = window();
  students.worker_type = WorkerType::kSTU;
  InterimFilter at_b = window();
  at_b.user_company = kUserB;
  InterimFilter other_agency = window();
  other_agency.agency = 456789034;
  InterimFilter straddling = window();  // cuts the five days of the other agency
  straddling.from = *parse_date("2025-10-01");
  for (const InterimFilter& f : {window(), july, students, at_b, other_agency, straddling}) expect_calendar_is_list(f);
  EXPECT_EQ(calendar(july).rows.size(), 1u);
  EXPECT_EQ(calendar(july).rows[0].days, 2u);
  ASSERT_EQ(calendar(students).rows.size(), 1u);
  EXPECT_EQ(runs(calendar(students).rows[0], 2025), (std::vector<std::string>{"2025-09-01..2025-09-01"}));
  ASSERT_EQ(calendar(other_agency).rows.size(), 1u);
  EXPECT_EQ(calendar(other_agency).rows[0].agency, 456789034u);
  EXPECT_EQ(calendar(other_agency).rows[0].days, 5u);
  ASSERT_EQ(calendar(straddling).rows.size(), 1u);
  EXPECT_EQ(runs(calendar(straddling).rows[0], 2025), (std::vector<std::string>{"2025-10-01..2025-10-03"}));
  EXPECT_EQ(calendar(window()).rows.size(), 3u);  // (agency, A), (agency, B), (other agency, B)
}

TEST_F(InterimViewsTest, CalendarLeavesTheWeekendEmpty) {
  // Thu, Fri, Mon: one relation in the list, two runs in the calendar.
  for (const char* d : {"2025-07-03", "2025-07-04", "2025-07-07"}) submit(daily(d));
  ASSERT_EQ(relations(window()).size(), 1u);
  const InterimCalendar cal = calendar(window());
  ASSERT_EQ(cal.rows.size(), 1u);
  EXPECT_EQ(cal.rows[0].days, 3u);
  EXPECT_EQ(runs(cal.rows[0], 2025), (std::vector<std::string>{"2025-07-03..2025-07-04", "2025-07-07..2025-07-07"}));
  EXPECT_FALSE(cal.rows[0].worked(*parse_date("2025-07-05")));
  EXPECT_FALSE(cal.rows[0].worked(*parse_date("2025-07-06")));
  EXPECT_TRUE(cal.rows[0].worked(*parse_date("2025-07-07")));
  EXPECT_TRUE(cal.overlaps.empty());
}

TEST_F(InterimViewsTest, CancelledPeriodsAreNoDaysInTheCalendar) {
  Submission s = submit(daily("2025-07-03"));
  submit(daily("2025-07-04"));
  Submission only = submit(daily("2025-07-03", "0456789034"));  // user company B: only a cancelled day
  submit(R"({"dimonaCancel":{"periodId":)" + period_of(s) + "}}");
  submit(R"({"dimonaCancel":{"periodId":)" + period_of(only) + "}}");
  EXPECT_EQ(relations(window()).size(), 2u);  // the list shows both, marked
  const InterimCalendar cal = calendar(window());
  ASSERT_EQ(cal.rows.size(), 1u);
  EXPECT_EQ(cal.rows[0].user_company, kUserA);
  EXPECT_EQ(cal.rows[0].days, 1u);
  EXPECT_FALSE(cal.rows[0].worked(*parse_date("2025-07-03")));
  EXPECT_EQ(cal.relations_on(*parse_date("2025-07-03")), 0u);
  EXPECT_EQ(cal.relations_on(*parse_date("2025-07-04")), 1u);
  expect_calendar_is_list(window());
}

TEST_F(InterimViewsTest, CalendarWindowEdges) {
  submit(span("2023-12-31", "2024-01-01"));  // straddles the window's first day
  submit(span("2024-12-31", "2025-01-01"));  // across a new year inside the window
  submit(span("2026-12-31", "2027-01-01"));  // straddles the window's last day
  submit(daily("2023-12-30"));               // before the window
  submit(daily("2027-01-02"));               // after it
  const InterimCalendar cal = calendar(window());
  EXPECT_EQ(cal.years(), (std::vector<int32_t>{2024, 2025, 2026}));
  ASSERT_EQ(cal.rows.size(), 1u);
  const InterimCalendarRow& row = cal.rows[0];
  EXPECT_EQ(row.days, 4u);
  ASSERT_EQ(row.years.size(), 3u);
  EXPECT_EQ(runs(row, 2024), (std::vector<std::string>{"2024-01-01..2024-01-01", "2024-12-31..2024-12-31"}));
  EXPECT_EQ(runs(row, 2025), (std::vector<std::string>{"2025-01-01..2025-01-01"}));
  EXPECT_EQ(runs(row, 2026), (std::vector<std::string>{"2026-12-31..2026-12-31"}));
  EXPECT_TRUE(row.years[0].days.has(365));  // 2024 is a leap year: 31 December is day 365
  EXPECT_TRUE(row.years[2].days.has(364));
  EXPECT_FALSE(row.worked(*parse_date("2023-12-31")));
  EXPECT_FALSE(row.worked(*parse_date("2027-01-01")));
  expect_calendar_is_list(window());
}

TEST_F(InterimViewsTest, AnEmptyCalendarStillHasItsYears) {
  submit(testing::stu_in("2025-07-03", "2025-07-31", 20, "85073003328"));  // not interim
  const InterimCalendar cal = calendar(window());
  EXPECT_TRUE(cal.rows.empty());
  EXPECT_EQ(cal.relations_on(*parse_date("2025-07-03")), 0u);
  std::string json;
  to_json(cal, &json);
  EXPECT_EQ(json, R"({"ssin":"85073003328","from":"2024-01-01","to":"2026-12-31","years":[2024,2025,2026],"items":[],"overlaps":[],"total":0})");
}

TEST_F(InterimViewsTest, CalendarJson) {
  for (const char* d : {"2025-07-03", "2025-07-04", "2025-07-07"}) submit(daily(d));
  submit(daily("2025-07-07", "0456789034"));  // the same Monday at another user company
  InterimFilter july = window();
  july.from = *parse_date("2025-07-01");
  july.to = *parse_date("2025-07-31");
  const InterimCalendar cal = calendar(july);
  EXPECT_EQ(cal.relations_on(*parse_date("2025-07-07")), 2u);
  std::string json;
  to_json(cal, &json);
  EXPECT_EQ(json,
            R"({"ssin":"85073003328","from":"2025-07-01","to":"2025-07-31","years":[2025],"items":[)"
            R"({"agency":"0403019261","userCompany":"0456789034","days":1,"years":[{"year":2025,"days":[["2025-07-07","2025-07-07"]]}]},)"
            R"({"agency":"0403019261","userCompany":"0876543270","days":3,"years":[{"year":2025,"days":[["2025-07-03","2025-07-04"],["2025-07-07","2025-07-07"]]}]}],)"
            R"("overlaps":[{"year":2025,"days":[["2025-07-07","2025-07-07"]]}],"total":2})");
}

// A user company given by name shows the name it was first declared with (the same company
// spelt otherwise is the same key), through the replay's reader, a saved state and the JSON;
// a name longer than limits::user_company_name_bytes_max is cut at a character boundary.
TEST_F(InterimViewsTest, AUserCompanyGivenByNameShowsThatName) {
  auto named = [](const std::string& day, const std::string& name) {
    std::string json = span(day, day);
    const std::string by_number = R"("usingEmployer":{"enterpriseNumber":"0876543270",)";
    json.replace(
        json.find(by_number), by_number.size(),
        R"("usingEmployer":{"name":")" + name +
            R"(","address":{"street":"Rue A","houseNumber":"1","postCode":"1000","municipality":{"code":21004,"name":"Bruxelles"},"country":150},)");
    return json;
  };
  submit(named("2025-07-03", "Brasserie Émile SRL"));
  submit(named("2025-07-04", "  BRASSERIE Émile srl"));  // the same company (ASCII case, blanks): one relation
  std::string longest;
  while (longest.size() < limits::user_company_name_bytes_max - 1) longest += "x";
  submit(named("2025-07-10", longest + "é et fils"));  // 'é' would straddle the limit
  submit(daily("2025-07-03"));
  InterimFilter july = window();
  july.from = *parse_date("2025-07-01");
  july.to = *parse_date("2025-07-31");
  const std::vector<InterimRelation> list = relations(july);
  ASSERT_EQ(list.size(), 3u);
  std::map<std::string, uint32_t> days_by_name;
  for (const InterimRelation& r : list) days_by_name[r.user_company_name] = r.days;
  EXPECT_EQ(days_by_name, (std::map<std::string, uint32_t>{{"", 1}, {"Brasserie Émile SRL", 2}, {longest, 1}}));

  auto projector = Projector::open(log_, ProjectorOptions{});
  ASSERT_TRUE(projector.is_ok());
  ASSERT_TRUE((*projector)->catch_up().is_ok());
  std::string saved;
  (*projector)->state_of(kWorker).save(&saved);
  LedgerState loaded;
  ASSERT_TRUE(LedgerState::load(saved, &loaded).is_ok());
  std::string json;
  to_json(kWorker, interim_relations(loaded, kWorker, july), &json);
  EXPECT_NE(json.find(R"("userCompany":"by name and address","userCompanyName":"Brasserie Émile SRL")"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("userCompany":"0876543270","firstDay")"), std::string::npos) << "no register: no name";
  const InterimCalendar cal = interim_calendar(loaded, kWorker, july);
  json.clear();
  to_json(cal, &json);
  EXPECT_NE(json.find(R"("userCompanyName":"Brasserie Émile SRL","days":2)"), std::string::npos) << json;
}

}  // namespace
}  // namespace dimona
