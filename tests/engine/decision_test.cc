#include "engine/decision.h"

#include <gtest/gtest.h>

#include <tuple>

#include <cstring>

#include "engine/base/crc32c.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

using testing::has_anomaly;
using testing::stu_in;

class DecisionTest : public testing::LedgerFixture {};

constexpr const char* kEmployer2 = "0403019360";
constexpr const char* kOtherStudent = "04070101124";

std::string update(const std::string& period, const std::string& fields) {
  return R"({"dimonaUpdate":{"periodId":)" + period + (fields.empty() ? "" : "," + fields) + "}}";
}
std::string cancel(const std::string& period) { return R"({"dimonaCancel":{"periodId":)" + period + "}}"; }
std::string out(const std::string& period, const std::string& end) {
  return R"({"dimonaOut":{"periodId":)" + period + R"(,"endDate":")" + end + R"("}})";
}
std::string interim_in(const std::string& using_employer) {
  return R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":"OTH"},"startDate":"2025-07-01","endDate":"2025-07-01")" +
         (using_employer.empty() ? "" : R"(,"usingEmployer":)" + using_employer) + "}}";
}

std::string interim_in_on(const std::string& day) {
  return R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":"OTH"},"startDate":")" +
         day + R"(","endDate":")" + day + R"(","usingEmployer":{"enterpriseNumber":"0876543270","jointCommissionNumber":"111"}}})";
}

TEST_F(DecisionTest, StudentInIsAcceptedAndGetsAPeriodId) {
  Submission s = submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_EQ(s.decision.result, ResultCode::kAccepted);
  EXPECT_TRUE(is_valid_dimona_id(s.decision.period_id.value));
  EXPECT_TRUE(is_valid_dimona_id(s.declaration_id.value));
  EXPECT_NE(s.decision.period_id, PeriodId{s.declaration_id.value});
  EXPECT_EQ(s.decision.in_quota_hours, 30u);
}

TEST_F(DecisionTest, InvalidIdentifiersAreRefused) {
  Submission bad_ssin = submit(stu_in("2025-07-01", "2025-07-31", 30, "05031412596"));
  EXPECT_EQ(bad_ssin.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(bad_ssin, anomaly::kSsinInvalid));
  Submission bad_employer = submit(stu_in("2025-07-01", "2025-07-31", 30, "05031412595", "0431150351"));
  EXPECT_TRUE(has_anomaly(bad_employer, anomaly::kEnterpriseNumberInvalid));
  Submission bad_nsso = submit(R"({"employer":{"employerId":5000000121},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"OTH"},"startDate":"2025-07-01"}})");
  EXPECT_TRUE(has_anomaly(bad_nsso, anomaly::kNssoNumberInvalid));
  Submission good_nsso = submit(R"({"employer":{"employerId":125482497},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"OTH"},"startDate":"2025-07-01"}})");
  EXPECT_EQ(good_nsso.decision.result, ResultCode::kAccepted);
  Submission no_employer = submit(R"({"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"OTH"},"startDate":"2025-07-01"}})");
  EXPECT_TRUE(has_anomaly(no_employer, anomaly::kEmployerMissing));
  Submission no_worker = submit(R"({"employer":{"employerId":125482497},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"OTH"},"startDate":"2025-08-01"}})");
  EXPECT_TRUE(has_anomaly(no_worker, anomaly::kWorkerMissing));
}

TEST_F(DecisionTest, WorkerWithoutSsinWaitsForIdentification) {
  Submission s = submit(R"({"employer":{"employerId":125482497},"worker":{"familyName":"Peeters","givenName":"An","birthDate":"2004-05-06"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"OTH"},"startDate":"2025-08-01"}})");
  EXPECT_EQ(s.decision.result, ResultCode::kPending);
}

// A declaration waiting for the worker's identification (S) has its period: its imported id kept
// (never a ledger id given again to another declaration), late or not like any other, addressed
// by UPDATE, OUT and CANCEL, meeting no other unidentified worker's period and charged to no one.
TEST_F(DecisionTest, APendingDeclarationsPeriodIsKeptAddressedAndChargedToNoOne) {
  const auto unidentified = [](const std::string& family, const std::string& start, const std::string& end,
                               const std::string& id) {
    return R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"familyName":")" + family +
           R"(","givenName":"An","birthDate":"2005-03-14"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":")" +
           start + R"(","endDate":")" + end + R"(","plannedHoursNumber":600)" +
           (id.empty() ? "" : ",\"periodId\":" + id) + "}}";
  };
  // Recorded after its first day (the fixture's clock): late, and still waiting.
  Submission imported = submit(unidentified("Peeters", "2025-05-01", "2025-05-31", "100000000135"));
  EXPECT_EQ(imported.decision.result, ResultCode::kPending);
  EXPECT_EQ(imported.decision.period_id, PeriodId{100000000135});
  EXPECT_TRUE(has_anomaly(imported, anomaly::kInLate));
  EXPECT_FALSE(imported.decision.quota_checked) << "no quota is known to be the worker's";
  // Two unidentified workers of one employer, the same days: no overlap between them.
  Submission first = submit(unidentified("Jansen", "2025-07-01", "2025-09-30", ""));
  Submission second = submit(unidentified("Claes", "2025-07-01", "2025-09-30", ""));
  EXPECT_EQ(first.decision.result, ResultCode::kPending);
  EXPECT_EQ(second.decision.result, ResultCode::kPending);
  EXPECT_NE(first.decision.period_id, second.decision.period_id);
  EXPECT_NE(PeriodId{second.declaration_id.value}, first.decision.period_id);
  EXPECT_EQ(state().student_hours(Ssin{}, 2025), 0u) << "charged to no one";
  // UPDATE and OUT of such a period wait with it; a CANCEL ends it; then it is cancelled (355).
  Submission updated = submit(update(period_of(first), R"("endDate":"2025-08-31","plannedHoursNumber":20)"));
  EXPECT_EQ(updated.decision.result, ResultCode::kPending);
  EXPECT_EQ(state().period(first.decision.period_id)->planned_hours, 20u);
  EXPECT_EQ(submit(out(period_of(first), "2025-08-15")).decision.result, ResultCode::kPending);
  EXPECT_EQ(submit(cancel("100000000135")).decision.result, ResultCode::kAccepted);
  EXPECT_TRUE(state().period(PeriodId{100000000135})->cancelled);
  EXPECT_TRUE(has_anomaly(submit(cancel("100000000135")), anomaly::kPeriodCancelled));
  // Naming an SSIN on it is naming another worker than the period's (not yet known).
  EXPECT_TRUE(
      has_anomaly(submit(R"({"worker":{"ssin":"05031412595"},"dimonaCancel":{"periodId":)" + period_of(second) + "}}"),
                  anomaly::kSsinMismatch));
  // The imported id is taken: a second IN with it is refused.
  std::string reuse = stu_in("2025-10-01", "2025-10-02", 8);
  reuse.insert(reuse.find(R"(,"plannedHoursNumber")"), R"(,"periodId":100000000135)");
  EXPECT_TRUE(has_anomaly(submit(reuse), anomaly::kPeriodIdInvalid));
  // Saved and loaded with its worker 0.
  std::string bytes;
  state().save(&bytes);
  LedgerState loaded;
  ASSERT_TRUE(LedgerState::load(bytes, &loaded).is_ok());
  ASSERT_NE(loaded.period(second.decision.period_id), nullptr);
  EXPECT_FALSE(loaded.period(second.decision.period_id)->identified());
}

TEST_F(DecisionTest, StudentPeriodMustStayInOneQuarter) {  // rule 5
  Submission across = submit(stu_in("2025-06-20", "2025-07-10", 40));
  EXPECT_EQ(across.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(across, anomaly::kInQuarter));
  EXPECT_EQ(submit(stu_in("2025-06-20", "2025-06-30", 16)).decision.result, ResultCode::kAccepted);
  EXPECT_EQ(submit(stu_in("2025-07-01", "2025-07-10", 24)).decision.result, ResultCode::kAccepted);
  EXPECT_EQ(state().student_hours(Ssin{5031412595}, 2025), 40u);
}

TEST_F(DecisionTest, PlannedHoursMustBePresentAndInDomain) {  // rule 6
  std::string missing = stu_in("2025-07-01", "2025-07-31", 1);
  missing.replace(missing.find(R"(,"plannedHoursNumber":1)"), 23, "");
  EXPECT_TRUE(has_anomaly(submit(missing), anomaly::kPlannedHoursMissing));
  EXPECT_TRUE(has_anomaly(submit(stu_in("2025-07-01", "2025-07-31", 0)), anomaly::kPlannedHoursInvalid));
  EXPECT_TRUE(has_anomaly(submit(stu_in("2025-07-01", "2025-07-31", 1000)), anomaly::kPlannedHoursInvalid));
  EXPECT_EQ(submit(stu_in("2025-07-01", "2025-07-31", 999)).decision.result, ResultCode::kWarning);  // over quota
  // Any integer of 64 bits outside 1..999 is outside the domain, signed or not: decided alike (a
  // review found 2^63-1 decided and 2^64-1 refused as malformed). Wider than 64 bits, or not
  // JSON (a leading zero), is malformed, never logged: a JSON reader of the log must hold it.
  const auto with_hours = [](const char* hours) {
    std::string line = stu_in("2025-07-01", "2025-07-31", 1);
    return line.replace(line.find(R"("plannedHoursNumber":1)") + 21, 1, hours);
  };
  for (const char* wide :
       {"9223372036854775807", "9223372036854775808", "18446744073709551615", "-9223372036854775808"}) {
    Submission s = submit(with_hours(wide));
    EXPECT_EQ(s.decision.result, ResultCode::kRefused) << wide;
    EXPECT_TRUE(has_anomaly(s, anomaly::kPlannedHoursInvalid)) << wide;
  }
  for (const char* malformed : {"18446744073709551616", "99999999999999999999999", "-9223372036854775809",
                                "0000000000000000030", "030", "1e400", "7.5"})
    EXPECT_EQ(try_submit(with_hours(malformed)).status().code(), Code::kInvalidArgument) << malformed;
  Submission forbidden = submit(R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"OTH"},"startDate":"2025-07-01","plannedHoursNumber":30}})");
  EXPECT_TRUE(has_anomaly(forbidden, anomaly::kPlannedHoursForbidden));
}

TEST_F(DecisionTest, StudentStartDateIsImmutable) {  // rule 7
  Submission in = submit(stu_in("2025-07-01", "2025-07-31", 30));
  Submission moved = submit(update(period_of(in), R"("startDate":"2025-07-02")"));
  EXPECT_EQ(moved.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(moved, anomaly::kStartDateForbidden));
  Submission same = submit(update(period_of(in), R"("startDate":"2025-07-01","plannedHoursNumber":24)"));
  EXPECT_EQ(same.decision.result, ResultCode::kAccepted);
}

// Period::processed (rule 8) survives save and load, and a checkpoint claiming a place past
// limits::period_changes_max is refused at load; a fold past the limit is corruption, not an abort.
TEST_F(DecisionTest, AStatesProcessingOrderIsSavedAndBounded) {
  Submission first = submit(stu_in("2025-07-01", "2025-07-31", 30));
  submit(stu_in("2025-08-01", "2025-08-31", 30, "05031412595", "0403019360"));
  submit(update(period_of(first), R"("plannedHoursNumber":40)"));
  const LedgerState& live = state();
  ASSERT_EQ(live.period_count(), 2u);
  EXPECT_GT(live.period(first.decision.period_id)->processed, 1u) << "placed by its UPDATE, after the second IN";
  std::string bytes;
  live.save(&bytes);
  LedgerState loaded;
  ASSERT_TRUE(LedgerState::load(bytes, &loaded).is_ok());
  EXPECT_EQ(loaded.period(first.decision.period_id)->processed, live.period(first.decision.period_id)->processed);
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, bytes);

  // The first period's `processed`: after the header (32 bytes), the quota definitions (a count and
  // 20 bytes each), the period count (8) and the period's 50 bytes of fields.
  uint32_t quotas = 0;
  std::memcpy(&quotas, bytes.data() + 32, 4);
  const size_t at = 32 + 4 + size_t{quotas} * 20 + 8 + 50;
  const auto with_processed = [&](uint32_t value) {
    std::string b = bytes;
    std::memcpy(b.data() + at, &value, 4);
    const uint32_t crc = crc32c(b.data(), b.size() - 4);
    std::memcpy(b.data() + b.size() - 4, &crc, 4);
    return b;
  };
  LedgerState past_the_limit;
  EXPECT_EQ(LedgerState::load(with_processed(limits::period_changes_max + 1), &past_the_limit).code(),
            Code::kCorruption);
  LedgerState at_the_limit;
  ASSERT_TRUE(LedgerState::load(with_processed(limits::period_changes_max), &at_the_limit).is_ok());
  EXPECT_EQ(at_the_limit.period(first.decision.period_id)->processed, limits::period_changes_max);
}

// FB 90378 forbids the start date only for a STU period starting after 31/12/2016 (DOMAIN §1.2):
// an earlier one's start may move, within the rules every period's dates obey.
TEST_F(DecisionTest, AStudentPeriodOfTheDaysQuotaYearsMayMoveItsStart) {
  Submission in2016 = submit(stu_in("2016-12-01", "2016-12-31", 5));
  ASSERT_EQ(in2016.decision.result, ResultCode::kWarning) << "late, imported";
  Submission moved = submit(update(period_of(in2016), R"("startDate":"2016-12-05")"));
  EXPECT_FALSE(has_anomaly(moved, anomaly::kStartDateForbidden));
  EXPECT_NE(moved.decision.result, ResultCode::kRefused);
  ASSERT_NE(state().period(in2016.decision.period_id), nullptr);
  EXPECT_EQ(state().period(in2016.decision.period_id)->start, date_from_civil(2016, 12, 5));
  // Not into 2017, where it would be a period of the hours quota whose start moved.
  Submission into2017 = submit(update(period_of(in2016), R"("startDate":"2017-01-02","endDate":"2017-01-31")"));
  EXPECT_TRUE(has_anomaly(into2017, anomaly::kStartDateForbidden));
  Submission in2017 = submit(stu_in("2017-01-02", "2017-01-31", 5));
  Submission refused = submit(update(period_of(in2017), R"("startDate":"2017-01-03")"));
  EXPECT_TRUE(has_anomaly(refused, anomaly::kStartDateForbidden));
}

TEST_F(DecisionTest, UpdateOutCancelOfAnUnknownPeriodAreRefused) {
  const std::string unknown = "656309292174";
  EXPECT_TRUE(has_anomaly(submit(update(unknown, R"("plannedHoursNumber":3)")), anomaly::kPeriodUnknown));
  EXPECT_TRUE(has_anomaly(submit(out(unknown, "2025-07-03")), anomaly::kPeriodUnknown));
  EXPECT_TRUE(has_anomaly(submit(cancel(unknown)), anomaly::kPeriodUnknown));
  EXPECT_TRUE(has_anomaly(submit(cancel("656309292175")), anomaly::kPeriodIdInvalid));
  EXPECT_TRUE(has_anomaly(submit(R"({"dimonaCancel":{}})"), anomaly::kPeriodIdMissing));
}

TEST_F(DecisionTest, CancelOfACancelledPeriodIsRefused) {  // rule 4
  Submission in = submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_EQ(submit(cancel(period_of(in))).decision.result, ResultCode::kAccepted);
  Submission again = submit(cancel(period_of(in)));
  EXPECT_EQ(again.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(again, anomaly::kPeriodCancelled));
  EXPECT_TRUE(has_anomaly(submit(update(period_of(in), R"("plannedHoursNumber":3)")), anomaly::kPeriodCancelled));
}

TEST_F(DecisionTest, DuplicateAndOverlappingInAreRefused) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_TRUE(has_anomaly(submit(stu_in("2025-07-01", "2025-07-31", 30)), anomaly::kInDuplicate));
  EXPECT_TRUE(has_anomaly(submit(stu_in("2025-07-15", "2025-08-15", 30)), anomaly::kInOverlap));
  EXPECT_EQ(submit(stu_in("2025-07-15", "2025-08-15", 30, "05031412595", kEmployer2)).decision.result,
            ResultCode::kAccepted);  // another employer may overlap
  EXPECT_EQ(submit(stu_in("2025-08-01", "2025-08-15", 30)).decision.result, ResultCode::kAccepted);
}

TEST_F(DecisionTest, OverlapFollowsUpdatesOutsAndCancels) {
  Submission in = submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_TRUE(has_anomaly(submit(stu_in("2025-07-20", "2025-07-25", 5)), anomaly::kInOverlap));
  submit(out(period_of(in), "2025-07-10"));  // the period now ends on 07-10: 07-20 is free
  Submission later = submit(stu_in("2025-07-20", "2025-07-25", 5));
  EXPECT_EQ(later.decision.result, ResultCode::kAccepted);
  // An UPDATE may not stretch a period over its neighbour.
  EXPECT_TRUE(has_anomaly(submit(update(period_of(in), R"("endDate":"2025-07-21")")), anomaly::kUpdateOverlap));
  submit(cancel(period_of(later)));
  EXPECT_EQ(submit(update(period_of(in), R"("endDate":"2025-07-21")")).decision.result, ResultCode::kAccepted);
  // A cancelled period is no duplicate: the same IN again is accepted.
  submit(cancel(period_of(in)));
  EXPECT_EQ(submit(stu_in("2025-07-01", "2025-07-31", 30)).decision.result, ResultCode::kAccepted);
}

TEST_F(DecisionTest, DailyContractsOutOfOrderStillFindTheirNeighbours) {
  for (const char* day : {"2025-07-10", "2025-07-03", "2025-07-07", "2025-07-01"})
    EXPECT_EQ(submit(interim_in_on(day)).decision.result, ResultCode::kAccepted) << day;
  for (const char* day : {"2025-07-10", "2025-07-03", "2025-07-07", "2025-07-01"})
    EXPECT_TRUE(has_anomaly(submit(interim_in_on(day)), anomaly::kInDuplicate)) << day;
  EXPECT_EQ(submit(interim_in_on("2025-07-02")).decision.result, ResultCode::kAccepted);
}

TEST_F(DecisionTest, InterimNeedsAUserCompanyOutsideJc322) {
  Submission missing = submit(interim_in(""));
  EXPECT_TRUE(has_anomaly(missing, anomaly::kUserCompanyMissing));
  Submission user_322 = submit(interim_in(R"({"enterpriseNumber":"0876543270","jointCommissionNumber":"322"})"));
  EXPECT_TRUE(has_anomaly(user_322, anomaly::kJointCommissionInvalid));
  // Zone 00046 is mandatory in block 90107: absent is 001 (not 003).
  Submission no_user_jc = submit(interim_in(R"({"enterpriseNumber":"0876543270"})"));
  EXPECT_TRUE(has_anomaly(no_user_jc, anomaly::kJointCommissionMissing));
  EXPECT_FALSE(has_anomaly(no_user_jc, anomaly::kJointCommissionInvalid));
  Submission both = submit(interim_in(R"({"enterpriseNumber":"0876543270","name":"Fabrik","jointCommissionNumber":"111"})"));
  EXPECT_TRUE(has_anomaly(both, anomaly::kUserCompanyBoth));
  Submission ok = submit(interim_in(R"({"enterpriseNumber":"0876543270","jointCommissionNumber":"111"})"));
  EXPECT_EQ(ok.decision.result, ResultCode::kAccepted);
  Submission outside = submit(R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"OTH"},"startDate":"2025-07-01","usingEmployer":{"enterpriseNumber":"0876543270","jointCommissionNumber":"111"}}})");
  EXPECT_TRUE(has_anomaly(outside, anomaly::kUserCompanyNumberForbidden));
}

// A user company given by name and address is told apart by its name (rule 14: relations per
// agency and user company; 333 and 334 within one user company): two named companies on one
// day are two periods; the same name again (another case, other blanks) is a duplicate, also
// once the state is folded again from the log (the replay reader keys the name as the decoder).
TEST_F(DecisionTest, UserCompaniesGivenByNameAreToldApartByTheirName) {
  auto named = [](const std::string& name) {
    return interim_in(
        R"({"name":")" + name +
        R"(","address":{"street":"Rue A","houseNumber":"1","postCode":"1000","municipality":{"code":21004,"name":"Bruxelles"},"country":150},"jointCommissionNumber":"302"})");
  };
  Submission alpha = submit(named("Alpha BV"));
  ASSERT_EQ(alpha.decision.result, ResultCode::kAccepted);
  Submission gamma = submit(named("Gamma SA"));
  EXPECT_EQ(gamma.decision.result, ResultCode::kAccepted) << "another company the same day";
  EXPECT_TRUE(has_anomaly(submit(named("  alpha   bv ")), anomaly::kInDuplicate)) << "one name, spelt twice";
  EXPECT_TRUE(has_anomaly(submit(named(R"(Alpha\u0020BV)")), anomaly::kInDuplicate)) << "an escaped blank is a blank";
  ASSERT_TRUE(ledger_->commit().is_ok());
  reopen();
  EXPECT_TRUE(has_anomaly(submit(named("ALPHA BV")), anomaly::kInDuplicate)) << "after a fold from the log";
  EXPECT_TRUE(has_anomaly(submit(named("Gamma SA")), anomaly::kInDuplicate));
  EXPECT_EQ(submit(named("Delta NV")).decision.result, ResultCode::kAccepted);
}

TEST(NamedUserCompanyKey, FoldsCaseAndBlanksAndStaysAboveEveryEnterpriseNumber) {
  EXPECT_EQ(named_user_company_key("Alpha BV"), named_user_company_key(" alpha\tbv  "));
  EXPECT_NE(named_user_company_key("Alpha BV"), named_user_company_key("AlphaBV"));
  EXPECT_NE(named_user_company_key("Alpha BV"), named_user_company_key("Beta NV"));
  for (const char* name : {"", "a", "Alpha BV", "Société Générale"}) {
    const uint64_t key = named_user_company_key(name);
    EXPECT_TRUE(is_named_user_company(key)) << name;
    EXPECT_GT(key, uint64_t{9'999'999'999}) << name;
  }
  EXPECT_FALSE(is_named_user_company(876543270));
  EXPECT_FALSE(is_named_user_company(uint64_t{125482497} | kNssoEmployerTag));
}

// A filter's user company (interim views): a number by its check, anything else by its name.
TEST(ParseUserCompany, ANumberOrTheNameItWasDeclaredWith) {
  EXPECT_EQ(*parse_user_company("0876543270"), 876543270u);
  EXPECT_EQ(*parse_user_company("0876.543.270"), 876543270u);
  EXPECT_EQ(*parse_user_company(" brasserie  ÉMILE srl "), named_user_company_key("Brasserie ÉMILE SRL"));
  EXPECT_EQ(*parse_user_company("Brasserie 2000"), named_user_company_key("brasserie 2000"));
  for (std::string_view bad : {std::string_view("0876543271"), std::string_view(""), std::string_view("   "),
                               std::string_view("Caf\x01"), std::string_view("Caf\xff"), std::string_view("a\nb")})
    EXPECT_EQ(parse_user_company(bad).status().code(), Code::kInvalidArgument) << bad;
  EXPECT_FALSE(parse_user_company(std::string(limits::text_field_bytes_max + 1, 'a')).is_ok());
  EXPECT_TRUE(parse_user_company(std::string(limits::text_field_bytes_max, 'a')).is_ok());
}

TEST_F(DecisionTest, OverQuotaIsAWarningWithTheExceedingHours) {  // rule 8
  clock_.set(*parse_instant("2025-07-02T08:00:00Z"));  // after the 650 h definition
  submit(stu_in("2025-07-01", "2025-07-31", 630));
  Submission over = submit(stu_in("2025-08-01", "2025-08-31", 30));
  EXPECT_EQ(over.decision.result, ResultCode::kWarning);
  EXPECT_TRUE(has_anomaly(over, anomaly::kQuotaExceeded));
  EXPECT_EQ(over.decision.exceeding_hours, 10u);
  EXPECT_EQ(over.decision.in_quota_hours, 20u);
}

// Rule 8 from the first day a year's Dimona may be sent: a 2025 STU IN sent in November 2024 is
// checked against the 475 h 2025 then had (the fall-back after the temporary 600 h of 2023-2024).
TEST_F(DecisionTest, AYearsQuotaChecksDeclarationsSentBeforeItsAttestationsOpen) {
  clock_.set(*parse_instant("2024-11-20T09:00:00Z"));
  Submission over = submit(stu_in("2025-01-06", "2025-03-31", 999));
  EXPECT_EQ(over.decision.result, ResultCode::kWarning);
  EXPECT_TRUE(has_anomaly(over, anomaly::kQuotaExceeded));
  EXPECT_EQ(over.decision.in_quota_hours, 475u);
  EXPECT_EQ(over.decision.exceeding_hours, 524u);
}

// Block 90022: a user company given by name (JC 322), and a student's place of work given by name,
// need their address with its indispensable zones (street 00517, number 00518, post code 00520,
// municipality 00522, country 00523); each missing one is "not present" (B).
TEST_F(DecisionTest, AUserCompanyOrAPlaceOfWorkGivenByNameNeedsItsFullAddress) {
  const std::string full =
      R"({"street":"Rue A","houseNumber":"1","postCode":"1000","municipality":{"code":21004,"name":"Bruxelles"},"country":150})";
  auto named = [](const std::string& address) {
    return interim_in(R"({"name":"Acme")" + (address.empty() ? std::string() : R"(,"address":)" + address) +
                      R"(,"jointCommissionNumber":"302"})");
  };
  const std::vector<uint32_t> all = {anomaly::kAddressStreetMissing, anomaly::kAddressHouseNumberMissing,
                                     anomaly::kAddressPostCodeMissing, anomaly::kAddressMunicipalityMissing,
                                     anomaly::kAddressCountryMissing};
  Submission no_address = submit(named(""));
  EXPECT_EQ(no_address.decision.result, ResultCode::kRefused);
  for (uint32_t code : all) EXPECT_TRUE(has_anomaly(no_address, code)) << code;
  Submission null_address = submit(named("null"));
  EXPECT_EQ(null_address.decision.result, ResultCode::kRefused);
  Submission no_street = submit(
      named(R"({"houseNumber":"1","postCode":"1000","municipality":{"code":21004,"name":"Bruxelles"},"country":150})"));
  EXPECT_EQ(no_street.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(no_street, anomaly::kAddressStreetMissing));
  EXPECT_FALSE(has_anomaly(no_street, anomaly::kAddressPostCodeMissing));
  EXPECT_EQ(submit(named(full)).decision.result, ResultCode::kAccepted);
  // By number, no address is needed.
  EXPECT_EQ(submit(interim_in_on("2025-07-02")).decision.result, ResultCode::kAccepted);

  auto placed = [](const std::string& place) {
    return R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-08-01","endDate":"2025-08-02","plannedHoursNumber":8,"studentPlaceOfWork":)" +
           place + "}}";
  };
  Submission shop = submit(placed(R"({"name":"Shop"})"));
  EXPECT_EQ(shop.decision.result, ResultCode::kRefused);
  for (uint32_t code : all) EXPECT_TRUE(has_anomaly(shop, code)) << code;
  EXPECT_EQ(submit(placed(R"({"name":"Shop","address":)" + full + "}")).decision.result, ResultCode::kAccepted);
}

TEST_F(DecisionTest, UpdateReplacesHoursAndCancelReleasesThem) {  // rules 2, 3, 4
  const Ssin student{5031412595};
  Submission in = submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_EQ(state().student_hours(student, 2025), 30u);  // 650 -> 620
  submit(update(period_of(in), R"("plannedHoursNumber":24)"));
  EXPECT_EQ(state().student_hours(student, 2025), 24u);  // 626
  submit(cancel(period_of(in)));
  EXPECT_EQ(state().student_hours(student, 2025), 0u);   // 650
}

TEST_F(DecisionTest, UpdateWithoutChangeAndUpdateOutsideTheQuarterAreRefused) {
  Submission in = submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_TRUE(has_anomaly(submit(update(period_of(in), R"("plannedHoursNumber":30)")), anomaly::kUpdateNoChange));
  EXPECT_TRUE(has_anomaly(submit(update(period_of(in), R"("endDate":"2025-10-02")")), anomaly::kUpdateQuarter));
  EXPECT_TRUE(has_anomaly(submit(update(period_of(in), R"("endDate":"9999-12-31")")), anomaly::kUpdateEndRemoved));
  EXPECT_TRUE(has_anomaly(submit(out(period_of(in), "2025-06-20")), anomaly::kEndBeforeStart));
  EXPECT_EQ(submit(out(period_of(in), "2025-07-20")).decision.result, ResultCode::kAccepted);
}

TEST_F(DecisionTest, QuotaIsTheDefinitionKnownAtTheTime) {  // rule 10
  // Before 2025-07-01 the ledger knows 475 h for 2025.
  Submission early = submit(stu_in("2025-06-02", "2025-06-30", 480));
  EXPECT_EQ(early.decision.result, ResultCode::kWarning);
  EXPECT_EQ(early.decision.exceeding_hours, 5u);
  EXPECT_EQ(state().quota(2025, early.recorded_at), 475u);
  clock_.set(*parse_instant("2025-07-02T08:00:00Z"));
  Submission later = submit(stu_in("2025-07-03", "2025-07-31", 100, kOtherStudent));
  EXPECT_EQ(later.decision.result, ResultCode::kAccepted);
  EXPECT_EQ(state().quota(2025, later.recorded_at), 650u);
  EXPECT_EQ(state().quota(2025, early.recorded_at), 475u);  // both sides of the change's instant
  EXPECT_EQ(state().quota(2025, *parse_instant("2025-06-30T23:59:59.999999Z")), 475u);
  EXPECT_EQ(state().quota(2025, *parse_instant("2025-07-01T00:00:00Z")), 650u);
  EXPECT_EQ(state().quota(2024, later.recorded_at), 600u);
  EXPECT_EQ(state().quota(2016, later.recorded_at), std::nullopt);  // days, not hours, before 2017
}

TEST_F(DecisionTest, LateDeclarationIsAWarningOutOfTheReducedQuota) {
  Submission late = submit(stu_in("2025-05-02", "2025-05-31", 20));  // recorded on 2025-06-01
  EXPECT_EQ(late.decision.result, ResultCode::kWarning);
  EXPECT_TRUE(has_anomaly(late, anomaly::kInLate));
  EXPECT_TRUE(late.decision.late);
  EXPECT_EQ(late.decision.in_quota_hours, 0u);
  EXPECT_TRUE(late.decision.quota_checked) << "0 is a figure here (InQuotaPlannedHoursNbr), not an absence";
  // The event says so, and reads back the same.
  Event e;
  e.type = EventType::kDimonaInDeclared;
  e.recorded_at = *parse_instant("2025-06-01T00:00:00Z");
  e.ssin = Ssin{5031412595};
  e.declaration.decision = late.decision;
  const std::string raw = stu_in("2025-05-02", "2025-05-31", 20);
  e.declaration.raw = raw;
  std::string line;
  encode_event(e, &line);
  EXPECT_NE(line.find(R"("inQuotaHours":0)"), std::string::npos) << line;
  line.pop_back();
  const size_t size = line.size();
  line.resize(size + kJsonPadding, ' ');
  EventDecoder decoder;
  Result<Event> back = decoder.decode(std::string_view(line.data(), size), line.size());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TRUE(back->declaration.decision.quota_checked);
  EXPECT_EQ(back->declaration.decision, late.decision);
  EXPECT_FALSE(submit(R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":)"
                      R"({"jointCommissionNumber":"XXX","workerType":"OTH"},"startDate":"2025-09-01"}})")
                   .decision.quota_checked)
      << "no student hours";
}

TEST_F(DecisionTest, ShapeRulesOfOtherWorkerTypes) {
  const std::string ext = R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"EXT"},"startDate":"2025-07-01","endDate":"2025-07-04"}})";
  EXPECT_TRUE(has_anomaly(submit(ext), anomaly::kExtraTooLong));
  const std::string flx = R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"FLX"},"startDate":"2025-07-01","endDate":"2025-07-01"}})";
  EXPECT_TRUE(has_anomaly(submit(flx), anomaly::kStartHourMissing));
  const std::string stx = R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STX"},"startDate":"2025-07-01","endDate":"2025-07-01"}})";
  EXPECT_TRUE(has_anomaly(submit(stx), anomaly::kWorkerTypeInvalid));
  const std::string jc = R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"200","workerType":"OTH"},"startDate":"2025-07-01"}})";
  EXPECT_TRUE(has_anomaly(submit(jc), anomaly::kJointCommissionInvalid));
  const std::string no_end = R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","plannedHoursNumber":3}})";
  EXPECT_TRUE(has_anomaly(submit(no_end), anomaly::kEndDateMissing));
}

// Issue 10 item 2 (zone 00910, DOMAIN §1.2 and rule 13): a FLX IN may be
// sent at the earliest 31 days before the start of its quarter (recorded on
// 2025-06-01 here: Q3 opens on 2025-05-31, Q4 on 2025-08-31).
std::string flx_in(const std::string& start, const std::string& end) {
  return R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"FLX"},"startDate":")" +
         start + R"(","endDate":")" + end + R"(","startHour":"1800","endHour":"2300"}})";
}

TEST_F(DecisionTest, FlexiInSentMoreThan31DaysBeforeItsQuarterIsRefused) {
  Submission early = submit(flx_in("2025-10-02", "2025-10-02"));
  EXPECT_EQ(early.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(early, anomaly::kStartDateOutOfDomain));
  Submission in_window = submit(flx_in("2025-07-12", "2025-07-12"));
  EXPECT_NE(in_window.decision.result, ResultCode::kRefused);
  EXPECT_FALSE(has_anomaly(in_window, anomaly::kStartDateOutOfDomain));
  clock_.set(*parse_instant("2025-08-30T21:59:00Z"));  // 23:59 in Brussels, the day before 2025-Q4's window opens
  EXPECT_TRUE(has_anomaly(submit(flx_in("2025-10-03", "2025-10-03")), anomaly::kStartDateOutOfDomain));
  clock_.set(*parse_instant("2025-08-30T22:00:00Z"));  // 2025-08-31 00:00 in Brussels: the first day of the window
  EXPECT_FALSE(has_anomaly(submit(flx_in("2025-10-03", "2025-10-03")), anomaly::kStartDateOutOfDomain));
  // Other worker types have no such window.
  const std::string oth = R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"OTH"},"startDate":"2026-03-01"}})";
  EXPECT_EQ(submit(oth).decision.result, ResultCode::kAccepted);
}

// 90373-460 with a start hour: late once work started on a Belgian clock (DOMAIN §3, a FLX is
// declared "before work starts"), so the same day can be late, and summer and winter differ.
TEST_F(DecisionTest, ADeclarationWithAStartHourIsLateOnceThatHourIsPastInBrussels) {
  const auto flx_at = [](const std::string& day, const std::string& recorded) {
    return R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"FLX"},"startDate":")" +
           day + R"(","endDate":")" + day + R"(","startHour":"0800","endHour":"1200"},"recordedAt":")" + recorded +
           R"("})";
  };
  clock_.set(*parse_instant("2025-12-31T00:00:00Z"));
  EXPECT_FALSE(has_anomaly(submit(flx_at("2025-07-05", "2025-07-05T06:00:00Z")), anomaly::kInLate)) << "08:00 CEST";
  EXPECT_TRUE(has_anomaly(submit(flx_at("2025-07-12", "2025-07-12T06:00:01Z")), anomaly::kInLate)) << "08:00:01 CEST";
  EXPECT_TRUE(has_anomaly(submit(flx_at("2025-07-19", "2025-07-19T20:00:00Z")), anomaly::kInLate))
      << "the evening after";
  // Without a start hour, the day: the same day is in time.
  Submission same_day = submit(
      R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"OTH"},"startDate":"2025-08-01"},"recordedAt":"2025-08-01T20:00:00Z"})");
  EXPECT_FALSE(has_anomaly(same_day, anomaly::kInLate));
  // On a Belgian clock too: 21:59 UTC is 23:59 the same day in summer, 22:00 UTC is midnight.
  const auto oth_at = [](const std::string& day, const std::string& recorded) {
    return R"({"employer":{"employerId":125482497},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"OTH"},"startDate":")" +
           day + R"(","endDate":")" + day + R"("},"recordedAt":")" + recorded + R"("})";
  };
  EXPECT_FALSE(has_anomaly(submit(oth_at("2025-08-05", "2025-08-05T21:59:59Z")), anomaly::kInLate));
  EXPECT_TRUE(has_anomaly(submit(oth_at("2025-08-06", "2025-08-06T22:00:00Z")), anomaly::kInLate));
  EXPECT_FALSE(has_anomaly(submit(flx_at("2025-11-15", "2025-11-15T06:59:00Z")), anomaly::kInLate)) << "07:59 CET";
  EXPECT_TRUE(has_anomaly(submit(flx_at("2025-11-22", "2025-11-22T07:01:00Z")), anomaly::kInLate)) << "08:01 CET";
}

TEST_F(DecisionTest, FlexiPeriodAcrossTwoQuartersIsRefused) {
  Submission across = submit(flx_in("2025-06-30", "2025-07-01"));
  EXPECT_EQ(across.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(across, anomaly::kInQuarter));
  Submission in = submit(flx_in("2025-07-28", "2025-07-29"));
  ASSERT_NE(in.decision.result, ResultCode::kRefused);
  Submission update = submit(R"({"dimonaUpdate":{"periodId":)" + period_of(in) + R"(,"endDate":"2025-10-01"}})");
  EXPECT_TRUE(has_anomaly(update, anomaly::kUpdateQuarter));
  Submission out = submit(R"({"dimonaOut":{"periodId":)" + period_of(in) + R"(,"endDate":"2025-10-01"}})");
  EXPECT_TRUE(has_anomaly(out, anomaly::kEndDateOutOfDomain));
  Submission within = submit(R"({"dimonaUpdate":{"periodId":)" + period_of(in) + R"(,"endDate":"2025-09-30"}})");
  EXPECT_NE(within.decision.result, ResultCode::kRefused);
}

// An OUT that stretches a period over its neighbour is refused as the UPDATE to that end is.
TEST_F(DecisionTest, AnOutMayNotStretchAPeriodOverAnother) {
  Submission first = submit(stu_in("2025-07-01", "2025-07-10", 20));
  Submission second = submit(stu_in("2025-07-15", "2025-07-31", 20));
  ASSERT_EQ(second.decision.result, ResultCode::kAccepted);
  EXPECT_TRUE(has_anomaly(submit(update(period_of(first), R"("endDate":"2025-07-20")")), anomaly::kUpdateOverlap));
  Submission stretched = submit(out(period_of(first), "2025-07-20"));
  EXPECT_EQ(stretched.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(stretched, anomaly::kOutOverlap));
  EXPECT_EQ(submit(out(period_of(first), "2025-07-14")).decision.result, ResultCode::kAccepted)
      << "up to the neighbour";
  // Another employer's period is no neighbour.
  Submission other = submit(stu_in("2025-08-01", "2025-08-05", 5, "05031412595", kEmployer2));
  ASSERT_EQ(other.decision.result, ResultCode::kAccepted);
  EXPECT_EQ(submit(out(period_of(second), "2025-08-03")).decision.result, ResultCode::kAccepted);
}

// EXT (zone 00910): at most two consecutive days, whichever declaration sets the dates.
TEST_F(DecisionTest, AnOccasionalWorkersPeriodStaysWithinTwoDaysThroughUpdatesAndOuts) {
  const std::string ext =
      R"({"employer":{"employerId":125482497},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"EXT"},"startDate":"2025-07-01","endDate":"2025-07-02","startHour":"1800","endHour":"0200"}})";
  Submission in = submit(ext);
  ASSERT_EQ(in.decision.result, ResultCode::kAccepted);
  Submission longer = submit(update(period_of(in), R"("endDate":"2025-07-04")"));
  EXPECT_EQ(longer.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(longer, anomaly::kExtraTooLong));
  EXPECT_TRUE(has_anomaly(submit(update(period_of(in), R"("startDate":"2025-06-28")")), anomaly::kExtraTooLong));
  EXPECT_TRUE(has_anomaly(submit(out(period_of(in), "2025-07-03")), anomaly::kExtraTooLong));
  EXPECT_EQ(submit(out(period_of(in), "2025-07-01")).decision.result, ResultCode::kAccepted);
}

// A FLX moved into another quarter by an UPDATE of its start: sent in that quarter's window.
TEST_F(DecisionTest, AFlexiMovedIntoALaterQuarterIsJudgedForThatQuarter) {
  Submission in = submit(flx_in("2025-06-10", "2025-06-12"));  // ledger time 2025-06-01
  ASSERT_NE(in.decision.result, ResultCode::kRefused);
  Submission moved = submit(update(period_of(in), R"("startDate":"2025-10-06","endDate":"2025-10-08")"));
  EXPECT_EQ(moved.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(moved, anomaly::kStartDateOutOfDomain));
  Submission within = submit(update(period_of(in), R"("startDate":"2025-07-07","endDate":"2025-07-08")"));
  EXPECT_NE(within.decision.result, ResultCode::kRefused);
  EXPECT_FALSE(has_anomaly(within, anomaly::kStartDateOutOfDomain));
}

// DOMAIN §3: a FLX Dimona is declared per quarter. One whose end is not known yet covers its
// start's quarter and no more: the next quarter's IN is no overlap, the same quarter's is.
TEST_F(DecisionTest, AFlexiWithoutAnEndDateEndsWithItsQuarter) {
  std::string open = flx_in("2025-06-10", "");
  open.erase(open.find(R"(,"endDate":"")"), std::string_view(R"(,"endDate":"")").size());
  Submission in = submit(open);
  ASSERT_NE(in.decision.result, ResultCode::kRefused);
  const Period* p = state().period(in.decision.period_id);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->end.days, kOpenEndDays) << "the end stays as declared";
  EXPECT_EQ(p->last_day(), *parse_date("2025-06-30"));
  Submission next_quarter = submit(flx_in("2025-07-07", "2025-07-08"));
  EXPECT_NE(next_quarter.decision.result, ResultCode::kRefused);
  EXPECT_FALSE(has_anomaly(next_quarter, anomaly::kInOverlap));
  Submission same_quarter = submit(flx_in("2025-06-27", "2025-06-28"));
  EXPECT_EQ(same_quarter.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(same_quarter, anomaly::kInOverlap));
  // Moved into the next quarter by an UPDATE, it covers that quarter, and meets the IN there.
  Submission moved = submit(update(period_of(in), R"("startDate":"2025-07-01")"));
  EXPECT_TRUE(has_anomaly(moved, anomaly::kUpdateOverlap));
}

// Rule 16, §6: a birth date after the declaration's day fails the SSIN's check.
TEST_F(DecisionTest, AnSsinBornAfterTheDeclarationIsRefused) {
  Submission future =
      submit(stu_in("2025-07-01", "2025-07-31", 30, "30123103371"));  // 2030-12-31: only the 2000 branch
  EXPECT_EQ(future.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(future, anomaly::kSsinInvalid));
  EXPECT_TRUE(has_anomaly(submit(stu_in("2025-07-01", "2025-07-31", 30, "25060200150")), anomaly::kSsinInvalid))
      << "born 2025-06-02, the day after the ledger's 2025-06-01";
  EXPECT_FALSE(has_anomaly(submit(stu_in("2025-07-01", "2025-07-31", 30, "25060100180")), anomaly::kSsinInvalid))
      << "born that very day";
}

TEST_F(DecisionTest, EmployerOfAnUpdateMustBeThePeriods) {
  Submission in = submit(stu_in("2025-07-01", "2025-07-31", 30));
  Submission other = submit(R"({"employer":{"enterpriseNumber":"0403019360"},"dimonaUpdate":{"periodId":)" + period_of(in) + R"(,"plannedHoursNumber":20}})");
  EXPECT_TRUE(has_anomaly(other, anomaly::kEnterpriseNumberMismatch));
}

TEST_F(DecisionTest, RecordedAtBeforeLedgerTimeIsRefusedAsInput) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  std::string back = stu_in("2025-08-01", "2025-08-31", 30);
  back.insert(back.size() - 1, R"(,"recordedAt":"2024-01-01T00:00:00Z")");
  Result<Submission> s = try_submit(back);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
}

TEST_F(DecisionTest, ImportedPeriodIdIsKeptAndMustBeNew) {
  std::string in = stu_in("2025-07-01", "2025-07-31", 30);
  in.insert(in.size() - 2, R"(,"periodId":656309292174)");
  Submission first = submit(in);
  EXPECT_EQ(first.decision.period_id.value, 656309292174u);
  std::string again = stu_in("2025-08-01", "2025-08-31", 30);
  again.insert(again.size() - 2, R"(,"periodId":656309292174)");
  EXPECT_TRUE(has_anomaly(submit(again), anomaly::kPeriodIdInvalid));
}

// An IN of `type` in JC `jc` for `ssin` from `start` to `end` (empty: none), with `extra` fields.
std::string in_of(const std::string& type, const std::string& jc, const std::string& start, const std::string& end,
                  const std::string& extra = "", const std::string& ssin = "85073003328") {
  return R"({"employer":{"employerId":125482497},"worker":{"ssin":")" + ssin +
         R"("},"dimonaIn":{"features":{"jointCommissionNumber":")" + jc + R"(","workerType":")" + type +
         R"("},"startDate":")" + start + '"' + (end.empty() ? "" : R"(,"endDate":")" + end + '"') +
         (extra.empty() ? "" : "," + extra) + "}}";
}

// Zones 00910 and 00911: a start from 1920, an end from 1999, each before the declaration's year + 10;
// 9999-12-31 reopens a period in an UPDATE and is no IN's or OUT's end. (The clock reads 2025.)
TEST_F(DecisionTest, TheDatesLieInTheirDomain) {
  Submission old_start = submit(in_of("OTH", "XXX", "1919-12-31", ""));
  EXPECT_EQ(old_start.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(old_start, anomaly::kStartDateOutOfDomain));
  EXPECT_TRUE(has_anomaly(submit(in_of("OTH", "XXX", "2035-01-01", "")), anomaly::kStartDateOutOfDomain));
  EXPECT_TRUE(has_anomaly(submit(in_of("OTH", "XXX", "1998-12-01", "1998-12-31")), anomaly::kEndDateOutOfDomain));
  EXPECT_TRUE(has_anomaly(submit(in_of("OTH", "XXX", "2025-09-01", "9999-12-31")), anomaly::kEndDateOutOfDomain));
  Submission closed = submit(in_of("OTH", "XXX", "2025-10-01", "2025-10-31"));
  ASSERT_EQ(closed.decision.result, ResultCode::kAccepted);
  EXPECT_TRUE(has_anomaly(submit(out(period_of(closed), "2035-01-01")), anomaly::kEndDateOutOfDomain));
  EXPECT_TRUE(
      has_anomaly(submit(update(period_of(closed), R"("endDate":"2036-03-01")")), anomaly::kEndDateOutOfDomain));
  Submission reopened = submit(update(period_of(closed), R"("endDate":"9999-12-31")"));
  EXPECT_EQ(reopened.decision.result, ResultCode::kAccepted) << "a reopening " << testing::anomalies_of(reopened);
  EXPECT_EQ(submit(in_of("OTH", "XXX", "2034-12-31", "", "", kOtherStudent)).decision.result, ResultCode::kAccepted);
}

// Zones 00777 and 00778: hours of the day are required of an occasional worker (the end hour but
// for horeca's day package) and of a one-day flexi job, forbidden on other periods; on one day
// the end may not come before the start.
TEST_F(DecisionTest, HoursOfTheDayBelongToOccasionalAndFlexiWork) {
  Submission no_hours = submit(in_of("EXT", "144", "2025-07-08", "2025-07-08"));
  EXPECT_EQ(no_hours.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(no_hours, anomaly::kStartHourMissing));
  EXPECT_TRUE(has_anomaly(no_hours, anomaly::kEndHourMissing));
  Submission horeca = submit(in_of("EXT", "302", "2025-07-09", "2025-07-09", R"("startHour":"1800")"));
  EXPECT_EQ(horeca.decision.result, ResultCode::kAccepted) << "a horeca day package has no end hour";
  Submission backwards =
      submit(in_of("EXT", "144", "2025-07-12", "2025-07-12", R"("startHour":"2200","endHour":"0600")"));
  EXPECT_EQ(backwards.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(backwards, anomaly::kEndHourBeforeStart));
  EXPECT_EQ(
      submit(in_of("EXT", "144", "2025-07-14", "2025-07-15", R"("startHour":"2200","endHour":"0600")")).decision.result,
      ResultCode::kAccepted)
      << "a night over two days";
  std::string student = stu_in("2025-07-01", "2025-07-31", 30);
  student.insert(student.find(R"(,"plannedHoursNumber")"), R"(,"startHour":"0900","endHour":"1700")");
  Submission hours_on_stu = submit(student);
  EXPECT_TRUE(has_anomaly(hours_on_stu, anomaly::kStartHourForbidden));
  EXPECT_TRUE(has_anomaly(hours_on_stu, anomaly::kEndHourForbidden));
  EXPECT_TRUE(
      has_anomaly(submit(in_of("OTH", "XXX", "2025-08-01", "", R"("endHour":"1700")")), anomaly::kEndHourForbidden));
  Submission other = submit(in_of("OTH", "XXX", "2025-09-01", ""));
  ASSERT_EQ(other.decision.result, ResultCode::kAccepted);
  EXPECT_TRUE(has_anomaly(submit(update(period_of(other), R"("startHour":"0800")")), anomaly::kStartHourForbidden));
  EXPECT_TRUE(
      has_anomaly(submit(in_of("FLX", "302", "2025-07-20", "2025-07-20", R"("startHour":"1800","endHour":"1700")")),
                  anomaly::kEndHourBeforeStart));
}

// Zone 00910: a FLX IN for 2025-Q1 opens on 2024-12-01 in Brussels, which begins at
// 2024-11-30T23:00Z (winter time), as lateness is read on a Belgian clock.
TEST_F(DecisionTest, TheFlexiWindowOpensOnABelgianClock) {
  clock_.set(*parse_instant("2024-11-30T22:59:00Z"));
  Submission early = submit(in_of("FLX", "302", "2025-01-10", "2025-01-10", R"("startHour":"1800","endHour":"2300")"));
  EXPECT_TRUE(has_anomaly(early, anomaly::kStartDateOutOfDomain)) << testing::anomalies_of(early);
  clock_.set(*parse_instant("2024-11-30T23:30:00Z"));
  Submission open = submit(in_of("FLX", "302", "2025-01-10", "2025-01-10", R"("startHour":"1800","endHour":"2300")"));
  EXPECT_FALSE(has_anomaly(open, anomaly::kStartDateOutOfDomain)) << testing::anomalies_of(open);
}

// Zone 00913 (359): an open period is closed by an OUT, not by an UPDATE giving it an end.
TEST_F(DecisionTest, AnUpdateMayNotCloseAnOpenPeriod) {
  Submission open = submit(in_of("OTH", "XXX", "2025-06-02", ""));
  ASSERT_EQ(open.decision.result, ResultCode::kAccepted);
  Submission closing = submit(update(period_of(open), R"("endDate":"2025-07-31")"));
  EXPECT_EQ(closing.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(closing, anomaly::kUpdateCloses));
  EXPECT_EQ(submit(out(period_of(open), "2025-07-31")).decision.result, ResultCode::kAccepted);
  EXPECT_EQ(submit(update(period_of(open), R"("endDate":"2025-08-31")")).decision.result, ResultCode::kAccepted)
      << "a closed period's end may move";
}

// Zone 00910: an article 17 period (O17, S17, T17) starts from 2022 and is declared at most 15
// days ahead, on a Belgian clock; zone 00911: a T17 period is one day.
TEST_F(DecisionTest, ArticleSeventeenPeriodsStartFrom2022AndAreDeclaredAtMostFifteenDaysAhead) {
  auto art17 = [&](const std::string& type, const std::string& start, const std::string& end, const std::string& at) {
    clock_.set(*parse_instant(at));
    return in_of(type, "XXX", start, end, type == "T17" ? "" : R"("plannedHoursNumber":10)");
  };
  Submission early = submit(art17("S17", "2025-08-30", "2025-08-30", "2025-07-02T10:00:00Z"));
  EXPECT_EQ(early.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(early, anomaly::kStartDateOutOfDomain));
  // 2025-08-15 00:00 in Brussels is 2025-08-14 22:00 UTC: 15 days before 2025-08-30.
  EXPECT_TRUE(has_anomaly(submit(art17("S17", "2025-08-30", "2025-08-30", "2025-08-14T21:59:00Z")),
                          anomaly::kStartDateOutOfDomain));
  EXPECT_EQ(submit(art17("S17", "2025-08-30", "2025-08-30", "2025-08-14T22:00:00Z")).decision.result,
            ResultCode::kAccepted);
  EXPECT_TRUE(has_anomaly(submit(art17("O17", "2021-08-30", "2021-08-30", "2025-08-15T10:00:00Z")),
                          anomaly::kStartDateOutOfDomain));
  Submission two_days = submit(art17("T17", "2025-09-01", "2025-09-02", "2025-08-20T10:00:00Z"));
  EXPECT_EQ(two_days.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(two_days, anomaly::kEndDateOutOfDomain));
  Submission one_day = submit(art17("T17", "2025-09-03", "2025-09-03", "2025-08-20T10:00:00Z"));
  ASSERT_EQ(one_day.decision.result, ResultCode::kAccepted);
  EXPECT_TRUE(has_anomaly(submit(out(period_of(one_day), "2025-09-04")), anomaly::kEndDateOutOfDomain));
}

// Zone 00911: a horeca day package (EXT in JC 302 without an end hour), an article 17 period (A17,
// T17) and an occasional worker in quarantine (QUA) end on the day they start, at IN, UPDATE and OUT.
TEST_F(DecisionTest, DayPackagesArticleSeventeenAndQuarantineAreOneDay) {
  for (const auto& [type, start, end] :
       {std::tuple{"A17", "2021-12-01", "2021-12-03"}, std::tuple{"QUA", "2022-12-01", "2022-12-02"}}) {
    Submission two_days = submit(in_of(type, "XXX", start, end));
    EXPECT_EQ(two_days.decision.result, ResultCode::kRefused) << type;
    EXPECT_TRUE(has_anomaly(two_days, anomaly::kEndDateOutOfDomain)) << type;
    EXPECT_NE(submit(in_of(type, "XXX", end, end)).decision.result, ResultCode::kRefused) << type;
  }
  Submission package = submit(in_of("EXT", "302", "2025-07-09", "2025-07-10", R"("startHour":"1800")"));
  EXPECT_EQ(package.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(package, anomaly::kEndDateOutOfDomain));
  EXPECT_EQ(
      submit(in_of("EXT", "302", "2025-07-09", "2025-07-10", R"("startHour":"2200","endHour":"0600")")).decision.result,
      ResultCode::kAccepted)
      << "an occasional worker's night in horeca, with its end hour, is no day package";
  clock_.set(*parse_instant("2025-08-20T10:00:00Z"));
  Submission t17 = submit(in_of("T17", "XXX", "2025-09-03", "2025-09-03"));
  ASSERT_EQ(t17.decision.result, ResultCode::kAccepted);
  EXPECT_TRUE(has_anomaly(submit(update(period_of(t17), R"("endDate":"2025-09-04")")), anomaly::kEndDateOutOfDomain));
  EXPECT_TRUE(has_anomaly(submit(update(period_of(t17), R"("startDate":"2025-09-02")")), anomaly::kEndDateOutOfDomain));
  EXPECT_EQ(submit(update(period_of(t17), R"("startDate":"2025-09-05","endDate":"2025-09-05")")).decision.result,
            ResultCode::kAccepted)
      << "the day itself may move";
}

// Block 90376: a student's place of work is given for a STU period, "forbidden in the other cases".
TEST_F(DecisionTest, APlaceOfWorkIsAStudentsOnly) {
  const std::string place =
      R"("studentPlaceOfWork":{"name":"Shop","address":{"street":"Rue Haute","houseNumber":"1","postCode":"1000",)"
      R"("municipality":{"code":21004,"name":"Bruxelles"},"country":150}})";
  Submission other = submit(in_of("OTH", "XXX", "2025-09-01", "", place));
  EXPECT_EQ(other.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(other, anomaly::kPlaceOfWorkForbidden));
  std::string student = stu_in("2025-07-01", "2025-07-31", 30);
  student.insert(student.find(R"(,"plannedHoursNumber")"), "," + place);
  Submission away = submit(student);
  EXPECT_NE(away.decision.result, ResultCode::kRefused) << testing::anomalies_of(away);
  EXPECT_FALSE(has_anomaly(away, anomaly::kPlaceOfWorkForbidden));
}

// Zone 00913 (356): a period an OUT closed is "already closed" to another OUT; its end moves by
// an UPDATE, and once reopened (9999-12-31) an OUT closes it again.
TEST_F(DecisionTest, AnOutOnAPeriodAnOutClosedIsRefused) {
  Submission open = submit(in_of("OTH", "XXX", "2025-06-02", ""));
  ASSERT_EQ(open.decision.result, ResultCode::kAccepted);
  ASSERT_EQ(submit(out(period_of(open), "2025-06-30")).decision.result, ResultCode::kAccepted);
  Submission again = submit(out(period_of(open), "2025-07-31"));
  EXPECT_EQ(again.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(has_anomaly(again, anomaly::kPeriodClosed));
  ASSERT_EQ(submit(update(period_of(open), R"("endDate":"9999-12-31")")).decision.result, ResultCode::kAccepted);
  EXPECT_EQ(submit(out(period_of(open), "2025-07-31")).decision.result, ResultCode::kAccepted);
}

}  // namespace
}  // namespace dimona
