// The employer's career-break overview (projections/career_break_views.h,
// seed 004, rule 15): the two-year window, every filter, the order, and the
// detail closed to the employer once the employee completed their part.
// Actions go through the Ledger; the overview is read from a Projector
// folding the same log.
#include "projections/career_break_views.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

constexpr const char* kEmployer = "0403019261";
constexpr const char* kEmployer2 = "0403019360";
constexpr const char* kCitizen = "85073003328";
constexpr const char* kCitizen2 = "85073003526";

Instant instant(const char* text) { return *parse_instant(text); }
Date date(const char* text) { return *parse_date(text); }
uint64_t company(const char* text) { return parse_enterprise_number(text)->value; }

std::string parties(const std::string& employer, const std::string& ssin) {
  return R"("employer":{"enterpriseNumber":")" + employer + R"("},"worker":{"ssin":")" + ssin + R"("})";
}
std::string break_request(const std::string& start, const std::string& end, const std::string& kind = "TIME_CREDIT",
                          const std::string& fraction = "1/5", const std::string& ssin = kCitizen,
                          const std::string& employer = kEmployer) {
  return "{" + parties(employer, ssin) + R"(,"careerBreakRequest":{"leaveKind":")" + kind + R"(","fraction":")" +
         fraction + R"(","startDate":")" + start + R"(","endDate":")" + end +
         R"(","regimeBefore":1,"regimeDuring":0.8}})";
}
std::string notification(const std::string& start, const std::string& end = "",
                         const std::string& kind = "PARENTAL_LEAVE", const std::string& fraction = "1/10",
                         const std::string& ssin = kCitizen, const std::string& employer = kEmployer) {
  return "{" + parties(employer, ssin) + R"(,"careerBreakNotification":{"leaveKind":")" + kind + R"(","fraction":")" +
         fraction + R"(","startDate":")" + start + "\"" + (end.empty() ? "" : R"(,"endDate":")" + end + "\"") + "}}";
}
std::string settings(const std::string& employer = kEmployer) {
  return R"({"employer":{"enterpriseNumber":")" + employer +
         R"("},"employerSettings":{"contactName":"An","email":"hr@example.be","phone":"02","acceptsNotifications":true}})";
}
std::string on_ticket(const std::string& key, uint64_t ticket, const std::string& extra = "") {
  return R"({"employer":{"enterpriseNumber":"0403019261"},")" + key + R"(":{"ticket":")" + std::to_string(ticket) +
         "\"" + extra + "}}";
}
std::string employee_part(uint64_t ticket, const std::string& ssin = kCitizen) {
  return R"({"worker":{"ssin":")" + ssin + R"("},"careerBreakEmployeePart":{"ticket":")" + std::to_string(ticket) +
         R"("}})";
}
std::string onem(uint64_t ticket, const std::string& decision) {
  return R"({"onemDecision":{"ticket":")" + std::to_string(ticket) + R"(","decision":")" + decision + R"("}})";
}
std::string on_notification(const std::string& key, uint64_t id, const std::string& extra = "") {
  return R"({"employer":{"enterpriseNumber":"0403019261"},")" + key + R"(":{"notificationId":")" + std::to_string(id) +
         "\"" + extra + "}}";
}

class CareerBreakViewsTest : public testing::LedgerFixture {
 protected:
  void at(const char* t) { clock_.set(instant(t)); }

  uint64_t ok(const std::string& json) {
    ActionSubmission s = act(json);
    EXPECT_TRUE(s.outcome.accepted()) << refusal_name(s.outcome.refusal) << " for " << json;
    return s.outcome.id;
  }

  const Projector& projector() {
    EXPECT_TRUE(ledger_->commit().is_ok());
    Result<std::unique_ptr<Projector>> p = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    projector_ = std::move(*p);
    EXPECT_TRUE(projector_->catch_up().is_ok());
    return *projector_;
  }

  CareerBreakFilter filter(const char* employer = kEmployer) {
    CareerBreakFilter f;
    f.employer = company(employer);
    return f;
  }
  CareerBreakOverview overview(const CareerBreakFilter& f, const char* now = "2026-01-01T00:00:00Z") {
    return career_break_overview(projector(), f, instant(now));
  }

  static std::vector<uint64_t> tickets(const CareerBreakOverview& o) {
    std::vector<uint64_t> ids;
    for (const CareerBreakRequest& r : o.requests) ids.push_back(r.ticket);
    return ids;
  }
  static std::vector<uint64_t> notifications(const CareerBreakOverview& o) {
    std::vector<uint64_t> ids;
    for (const CareerBreakNotification& n : o.notifications) ids.push_back(n.id);
    return ids;
  }

  std::unique_ptr<Projector> projector_;
};

using Ids = std::vector<uint64_t>;

// --- The employee's own side (DOMAIN §5) ------------------------------------------------------------

// Every request made for the citizen and every notification they sent, whatever the employer, the
// state or the age, newest first, up to `now`; nobody else's.
TEST_F(CareerBreakViewsTest, TheEmployeeSeesTheirOwnWithEveryEmployerInFull) {
  at("2022-03-01T10:00:00Z");  // older than the employer's two years
  ok(settings());
  const uint64_t old_request = ok(break_request("2022-09-01", "2022-12-31"));
  at("2025-05-10T10:00:00Z");
  const uint64_t other_employer =
      ok(break_request("2025-09-01", "2025-12-31", "PARENTAL_LEAVE", "1/2", kCitizen, kEmployer2));
  const uint64_t notice = ok(notification("2025-09-01"));
  ok(break_request("2025-09-01", "2025-12-31", "TIME_CREDIT", "1/5", kCitizen2));  // another citizen's
  at("2025-06-01T10:00:00Z");
  const uint64_t decided = ok(break_request("2025-10-01", "2026-03-31"));
  ok(employee_part(decided));
  ok(onem(decided, "GRANTED"));
  const CareerBreakOverview mine = career_breaks_of(projector(), Ssin{85073003328}, instant("2025-06-02T00:00:00Z"));
  EXPECT_EQ(tickets(mine), (Ids{decided, other_employer, old_request}));
  EXPECT_EQ(notifications(mine), (Ids{notice}));
  EXPECT_FALSE(mine.since);
  EXPECT_EQ(mine.requests[0].state, BreakRequestState::kGranted);
  std::string json;
  to_json(mine, /*auditor=*/true, &json);
  EXPECT_EQ(json.rfind(R"({"requests":[{"ticket":")", 0), 0u) << json;
  EXPECT_NE(json.find(R"("status":"GRANTED","submittedAt":"2025-06-01T10:00:00Z")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("leaveKind":"PARENTAL_LEAVE")"), std::string::npos) << json;  // in full
  // Up to `now`: a read of the past does not see what came later.
  EXPECT_EQ(tickets(career_breaks_of(*projector_, Ssin{85073003328}, instant("2025-05-31T00:00:00Z"))),
            (Ids{other_employer, old_request}));
  EXPECT_TRUE(career_breaks_of(*projector_, Ssin{85073003427}, instant("2025-06-02T00:00:00Z")).requests.empty());
}

// --- The two-year window ----------------------------------------------------------------------------

TEST_F(CareerBreakViewsTest, TheOverviewCoversTheLastTwoYears) {
  at("2025-05-10T10:00:00Z");
  ok(settings());
  const uint64_t old_request = ok(break_request("2025-09-01", "2025-12-31"));
  const uint64_t old_notice = ok(notification("2025-09-01"));
  at("2025-07-01T10:00:00Z");
  const uint64_t request = ok(break_request("2025-09-01", "2025-12-31"));
  const uint64_t notice = ok(notification("2025-09-01"));
  CareerBreakOverview o = overview(filter(), "2027-06-10T09:00:00Z");  // the first is 25 months old
  EXPECT_EQ(o.since, date("2025-06-10"));
  EXPECT_EQ(tickets(o), Ids{request});
  EXPECT_EQ(notifications(o), Ids{notice});
  CareerBreakOverview then = overview(filter(), "2027-05-09T09:00:00Z");  // both within two years
  EXPECT_EQ(tickets(then), (Ids{request, old_request}));
  EXPECT_EQ(notifications(then), (Ids{notice, old_notice}));
}

TEST_F(CareerBreakViewsTest, NothingSubmittedAfterNowIsListed) {
  at("2025-05-10T10:00:00Z");
  ok(settings());
  const uint64_t first = ok(break_request("2025-09-01", "2025-12-31"));
  const uint64_t first_notice = ok(notification("2025-09-01"));
  at("2025-07-01T10:00:00Z");
  ok(break_request("2025-09-01", "2025-12-31"));
  ok(notification("2025-09-01"));
  CareerBreakOverview o = overview(filter(), "2025-06-01T00:00:00Z");
  EXPECT_EQ(tickets(o), Ids{first});
  EXPECT_EQ(notifications(o), Ids{first_notice});
}

TEST_F(CareerBreakViewsTest, TheWindowOnThe31stStartsTwoYearsBackToTheDay) {
  at("2025-01-29T10:00:00Z");
  ok(break_request("2025-09-01", "2025-12-31"));  // two years and two days old on 2027-01-31
  at("2025-02-01T10:00:00Z");
  const uint64_t request = ok(break_request("2025-09-01", "2025-12-31"));
  CareerBreakOverview o = overview(filter(), "2027-01-31T12:00:00Z");
  EXPECT_EQ(o.since, date("2025-01-31"));
  EXPECT_EQ(tickets(o), Ids{request});
}

TEST_F(CareerBreakViewsTest, On29FebruaryTheWindowStartsOn28February) {
  at("2026-02-27T10:00:00Z");
  ok(break_request("2026-09-01", "2026-12-31"));  // a day too old
  at("2026-02-28T10:00:00Z");
  const uint64_t in = ok(break_request("2026-09-01", "2026-12-31"));
  CareerBreakOverview o = overview(filter(), "2028-02-29T12:00:00Z");
  EXPECT_EQ(o.since, date("2026-02-28"));
  EXPECT_EQ(tickets(o), Ids{in});
}

// --- Filters ------------------------------------------------------------------------------------------

class CareerBreakFilterTest : public CareerBreakViewsTest {
 protected:
  void SetUp() override {
    at("2025-03-01T10:00:00Z");
    ok(settings());
    ok(settings(kEmployer2));
    time_credit_ = ok(break_request("2026-01-01", "2026-06-30", "TIME_CREDIT", "1/5"));
    at("2025-03-02T10:00:00Z");
    parental_ = ok(break_request("2026-07-01", "2026-12-31", "PARENTAL_LEAVE", "1/2", kCitizen2));
    at("2025-03-03T10:00:00Z");
    cancelled_ = ok(break_request("2026-01-01", "2026-03-31", "CAREER_BREAK", "FULL"));
    ok(on_ticket("careerBreakCancellation", cancelled_));
    at("2025-03-04T10:00:00Z");
    completed_ = ok(break_request("2027-01-01", "2027-12-31", "TIME_CREDIT", "1/10", kCitizen2));
    ok(employee_part(completed_, kCitizen2));
    at("2025-03-05T10:00:00Z");
    granted_ = ok(break_request("2026-04-01", "2026-04-30", "MEDICAL_ASSISTANCE", "1/5"));
    ok(employee_part(granted_));
    ok(onem(granted_, "GRANTED"));
    at("2025-03-06T10:00:00Z");
    received_ = ok(notification("2026-02-01", "2026-02-28", "PARENTAL_LEAVE", "1/10"));
    at("2025-03-07T10:00:00Z");
    open_ended_ = ok(notification("2026-09-01", "", "CAREER_BREAK", "FULL", kCitizen2));
    at("2025-03-08T10:00:00Z");
    validated_ = ok(notification("2026-05-01", "2026-05-31", "PARENTAL_LEAVE", "1/5"));
    ok(on_notification("careerBreakNotificationValidation", validated_));
    at("2025-03-09T10:00:00Z");
    postponed_ = ok(notification("2026-03-01", "2026-12-31", "TIME_CREDIT", "1/2"));
    ok(on_notification("careerBreakPostponement", postponed_, R"(,"startDate":"2026-04-01")"));
    at("2025-03-10T10:00:00Z");
    ok(break_request("2026-01-01", "2026-06-30", "TIME_CREDIT", "1/5", kCitizen, kEmployer2));  // another employer's
    ok(notification("2026-01-01", "", "TIME_CREDIT", "1/5", kCitizen, kEmployer2));
  }

  uint64_t time_credit_ = 0, parental_ = 0, cancelled_ = 0, completed_ = 0, granted_ = 0;
  uint64_t received_ = 0, open_ended_ = 0, validated_ = 0, postponed_ = 0;
};

TEST_F(CareerBreakFilterTest, WithoutFiltersEverythingOfTheEmployerIsListedNewestFirst) {
  CareerBreakOverview o = overview(filter());
  EXPECT_EQ(tickets(o), (Ids{granted_, completed_, cancelled_, parental_, time_credit_}));
  EXPECT_EQ(notifications(o), (Ids{postponed_, validated_, open_ended_, received_}));
  for (const CareerBreakRequest& r : o.requests) EXPECT_EQ(r.employer, company(kEmployer));
}

TEST_F(CareerBreakFilterTest, AnotherEmployerSeesOnlyItsOwn) {
  CareerBreakOverview o = overview(filter(kEmployer2));
  ASSERT_EQ(o.requests.size(), 1u);
  EXPECT_EQ(o.requests[0].employer, company(kEmployer2));
  ASSERT_EQ(o.notifications.size(), 1u);
  EXPECT_EQ(o.notifications[0].employer, company(kEmployer2));
}

TEST_F(CareerBreakFilterTest, ByLeaveKind) {
  CareerBreakFilter f = filter();
  f.leave_kind = LeaveKind::kParentalLeave;
  CareerBreakOverview o = overview(f);
  EXPECT_EQ(tickets(o), Ids{parental_});
  EXPECT_EQ(notifications(o), (Ids{validated_, received_}));
  f.leave_kind = LeaveKind::kPalliativeCare;
  EXPECT_EQ(overview(f).requests.size() + overview(f).notifications.size(), 0u);
}

TEST_F(CareerBreakFilterTest, ByFraction) {
  CareerBreakFilter f = filter();
  f.fraction = BreakFraction::kOneFifth;
  CareerBreakOverview o = overview(f);
  EXPECT_EQ(tickets(o), (Ids{granted_, time_credit_}));
  EXPECT_EQ(notifications(o), Ids{validated_});
  f.fraction = BreakFraction::kFull;
  EXPECT_EQ(tickets(overview(f)), Ids{cancelled_});
  EXPECT_EQ(notifications(overview(f)), Ids{open_ended_});
}

TEST_F(CareerBreakFilterTest, ByRequestStatus) {
  CareerBreakFilter f = filter();
  f.state = BreakRequestState::kCancelled;
  EXPECT_EQ(tickets(overview(f)), Ids{cancelled_});
  f.state = BreakRequestState::kSubmitted;
  EXPECT_EQ(tickets(overview(f)), (Ids{parental_, time_credit_}));
  f.state = BreakRequestState::kEmployeeCompleted;
  EXPECT_EQ(tickets(overview(f)), Ids{completed_});
  f.state = BreakRequestState::kGranted;
  EXPECT_EQ(tickets(overview(f)), Ids{granted_});
  f.state = BreakRequestState::kRefused;
  EXPECT_TRUE(overview(f).requests.empty());
}

TEST_F(CareerBreakFilterTest, ByNotificationStatus) {
  CareerBreakFilter f = filter();
  f.notification_state = NotificationState::kReceived;
  EXPECT_EQ(notifications(overview(f)), (Ids{open_ended_, received_}));
  f.notification_state = NotificationState::kPostponed;
  EXPECT_EQ(notifications(overview(f)), Ids{postponed_});
  f.notification_state = NotificationState::kValidated;
  EXPECT_EQ(notifications(overview(f)), Ids{validated_});
  f.notification_state = NotificationState::kRefused;
  EXPECT_TRUE(overview(f).notifications.empty());
}

TEST_F(CareerBreakFilterTest, ByEmployee) {
  CareerBreakFilter f = filter();
  f.employee = *parse_ssin(kCitizen2);
  CareerBreakOverview o = overview(f);
  EXPECT_EQ(tickets(o), (Ids{completed_, parental_}));
  EXPECT_EQ(notifications(o), Ids{open_ended_});
}

TEST_F(CareerBreakFilterTest, ByDatesTheBreakMustMeetThePeriod) {
  CareerBreakFilter f = filter();
  f.from = date("2026-07-01");
  CareerBreakOverview later = overview(f);
  EXPECT_EQ(tickets(later), (Ids{completed_, parental_}));
  EXPECT_EQ(notifications(later), (Ids{postponed_, open_ended_}));  // an open end meets every later period
  f.from.reset();
  f.to = date("2026-01-31");
  CareerBreakOverview earlier = overview(f);
  EXPECT_EQ(tickets(earlier), (Ids{cancelled_, time_credit_}));
  EXPECT_TRUE(earlier.notifications.empty());
  f.from = date("2026-06-30");  // the last day of one, the day before the other
  f.to = date("2026-06-30");
  EXPECT_EQ(tickets(overview(f)), Ids{time_credit_});
  f.from = date("2026-02-28");  // the last day of a notification
  f.to = date("2026-02-28");
  EXPECT_EQ(notifications(overview(f)), Ids{received_});
}

TEST_F(CareerBreakFilterTest, APostponedNotificationIsFilteredByItsNewStart) {
  CareerBreakFilter f = filter();
  f.to = date("2026-03-15");  // before the new start 2026-04-01, after the old 2026-03-01
  EXPECT_EQ(notifications(overview(f)), Ids{received_});
}

TEST_F(CareerBreakFilterTest, FiltersCombine) {
  CareerBreakFilter f = filter();
  f.leave_kind = LeaveKind::kTimeCredit;
  f.employee = *parse_ssin(kCitizen2);
  EXPECT_EQ(tickets(overview(f)), Ids{completed_});
  f.fraction = BreakFraction::kOneFifth;
  EXPECT_TRUE(overview(f).requests.empty());
}

// --- Detail for the employer and the auditor ---------------------------------------------------------------

TEST_F(CareerBreakFilterTest, TheEmployerSeesTheDetailOnlyWhileSubmitted) {
  CareerBreakFilter f = filter();
  f.employee = *parse_ssin(kCitizen2);  // parental_ (submitted) and completed_
  std::string json;
  to_json(overview(f), /*auditor=*/false, &json);
  const size_t completed = json.find(std::to_string(completed_));
  const size_t parental = json.find(std::to_string(parental_));
  ASSERT_NE(completed, std::string::npos) << json;
  ASSERT_NE(parental, std::string::npos) << json;
  ASSERT_LT(completed, parental) << json;  // newest first
  const std::string completed_part = json.substr(completed, parental - completed);
  const std::string parental_part = json.substr(parental, json.find("\"notifications\"") - parental);
  EXPECT_NE(completed_part.find(R"("status":"EMPLOYEE_COMPLETED")"), std::string::npos) << completed_part;
  EXPECT_NE(completed_part.find(R"("detail")"), std::string::npos) << completed_part;
  EXPECT_EQ(completed_part.find("leaveKind"), std::string::npos) << completed_part;
  EXPECT_EQ(completed_part.find("2027-01-01"), std::string::npos) << completed_part;
  EXPECT_NE(parental_part.find(R"("leaveKind":"PARENTAL_LEAVE")"), std::string::npos) << parental_part;
  EXPECT_EQ(parental_part.find(R"("detail")"), std::string::npos) << parental_part;
}

TEST_F(CareerBreakFilterTest, TheAuditorSeesEveryDetail) {
  std::string json;
  to_json(overview(filter()), /*auditor=*/true, &json);
  EXPECT_EQ(json.find(R"("detail")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("startDate":"2027-01-01","endDate":"2027-12-31")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("total":9)"), std::string::npos) << json;
  std::string employer_view;
  to_json(overview(filter()), /*auditor=*/false, &employer_view);
  size_t closed = 0;
  for (size_t at = employer_view.find(R"("detail")"); at != std::string::npos;
       at = employer_view.find(R"("detail")", at + 1))
    ++closed;
  // completed_, granted_ and cancelled_: docs/actions.md lets the employer consult "while SUBMITTED".
  EXPECT_EQ(closed, 3u) << employer_view;
}

TEST_F(CareerBreakFilterTest, TheOverviewJsonStartsWithItsWindow) {
  std::string json;
  to_json(overview(filter(), "2026-01-01T00:00:00Z"), false, &json);
  EXPECT_EQ(json.rfind(R"({"since":"2024-01-01","requests":[)", 0), 0u) << json;
}

TEST_F(CareerBreakFilterTest, OneRequestInFull) {
  const Projector& p = projector();
  const CareerBreakRequest* r = p.state_of(*parse_ssin(kCitizen)).actions().ticket(time_credit_);
  ASSERT_NE(r, nullptr);
  std::string json;
  to_json(*r, &json);
  EXPECT_EQ(
      json,
      R"({"ticket":")" + std::to_string(time_credit_) +
          R"(","ssin":"85073003328","status":"SUBMITTED","submittedAt":"2025-03-01T10:00:00Z","changedAt":"2025-03-01T10:00:00Z","employer":"0403019261","leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2026-01-01","endDate":"2026-06-30","regimeBefore":1.000,"regimeDuring":0.800,"multipleEmployers":false,"endDateChanges":0,"attachments":[]})");
}

// Issue 10 item 7: when the employer may not consult a request, the reason
// given is the actual one: cancelled, the employee's part done (or ONEM
// decided), or another employer's request.
TEST_F(CareerBreakFilterTest, ARefusedConsultationSaysWhy) {
  auto refusal = [&](uint64_t ticket, const char* employer) {
    const CareerBreakRequest* r = state().actions().ticket(ticket);
    EXPECT_NE(r, nullptr);
    return r ? std::string(consult_refusal(*r, company(employer))) : std::string("?");
  };
  EXPECT_EQ(refusal(time_credit_, kEmployer), "");
  EXPECT_NE(refusal(cancelled_, kEmployer).find("cancelled"), std::string::npos);
  EXPECT_EQ(refusal(cancelled_, kEmployer).find("employee"), std::string::npos);
  EXPECT_NE(refusal(completed_, kEmployer).find("employee completed their part"), std::string::npos);
  EXPECT_NE(refusal(granted_, kEmployer).find("ONEM"), std::string::npos);
  EXPECT_NE(refusal(time_credit_, kEmployer2).find("another employer"), std::string::npos);
  EXPECT_NE(refusal(cancelled_, kEmployer2).find("another employer"), std::string::npos);  // said first: it is not theirs
  // The employer's overview says the same of each closed request.
  std::string json;
  to_json(overview(filter()), /*auditor=*/false, &json);
  EXPECT_NE(json.find(R"("status":"CANCELLED","submittedAt":"2025-03-03T10:00:00Z","changedAt":"2025-03-03T10:00:00Z","detail":"the request was cancelled)"),
            std::string::npos) << json;
}

// One parser for the HTTP query and the command line: each text parsed into its filter, each
// malformed one an issue naming its field, in field order, and a window ending before it starts.
TEST(CareerBreakFilterText, EachGivenTextIsParsedOrNamedAsAnIssue) {
  const CareerBreakFilterParsed none = parse_career_break_filter({});
  EXPECT_TRUE(none.issues.empty());
  EXPECT_FALSE(none.filter.leave_kind || none.filter.fraction || none.filter.state || none.filter.from);
  const CareerBreakFilterParsed all =
      parse_career_break_filter({"TIME_CREDIT", "1/5", "SUBMITTED", "85073003328", "2025-01-01", "2025-12-31"});
  ASSERT_TRUE(all.issues.empty()) << all.issues[0].detail;
  EXPECT_EQ(all.filter.leave_kind, LeaveKind::kTimeCredit);
  EXPECT_EQ(all.filter.state, BreakRequestState::kSubmitted);
  EXPECT_EQ(all.filter.employee, *parse_ssin("85073003328"));
  EXPECT_EQ(all.filter.to, parse_date("2025-12-31"));
  const CareerBreakFilterParsed bad =
      parse_career_break_filter({"NAP", "1/3", "LOST", "85073003329", "2025-13-01", "x"});
  ASSERT_EQ(bad.issues.size(), 6u);
  for (size_t i = 0; i < bad.issues.size(); ++i) EXPECT_EQ(static_cast<size_t>(bad.issues[i].field), i);
  EXPECT_EQ(bad.issues[0].detail.find("NAP"), std::string::npos) << "no value echoed";
  const CareerBreakFilterParsed backwards = parse_career_break_filter({"", "", "", "", "2026-01-01", "2025-01-01"});
  ASSERT_EQ(backwards.issues.size(), 1u);
  EXPECT_EQ(backwards.issues[0].field, CareerBreakField::kTo);
  EXPECT_EQ(backwards.issues[0].detail, "before from");
  EXPECT_TRUE(parse_career_break_filter({"", "", "", "", "2025-01-01", "2025-01-01"}).issues.empty());
}

}  // namespace
}  // namespace dimona
