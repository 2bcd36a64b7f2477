// Who may see what (projections/access_views.h): the employer's access-code
// lookup (seed 001, rule 11), consent at an instant (seed 003, rule 12) and an
// employer's data-access requests. Actions go through the Ledger; the answers
// are read from a Projector folding the same log, as a portal would.
#include "projections/access_views.h"

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "engine/action_decision.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::stu_in;
using Verdict = AccessCodeAnswer::Verdict;
using Reason = ConsentVerdict::Reason;

constexpr const char* kEmployer = "0403019261";
constexpr const char* kEmployer2 = "0403019360";
constexpr const char* kStudent = "05031412595";
constexpr const char* kCitizen = "85073003328";
constexpr Ssin kStudentSsin{5031412595};
constexpr Ssin kCitizenSsin{85073003328};

Instant instant(const char* text) { return *parse_instant(text); }
Date date(const char* text) { return *parse_date(text); }
uint64_t company(const char* text) { return parse_enterprise_number(text)->value; }

std::string attest(int year, const std::string& ssin = kStudent) {
  return R"({"worker":{"ssin":")" + ssin + R"("},"attestationRequest":{"year":)" + std::to_string(year) + "}}";
}
std::string access_request(const std::string& scope, const std::string& employer = kEmployer) {
  return R"({"employer":{"enterpriseNumber":")" + employer + R"("},"dataAccessRequest":{"scope":")" + scope +
         R"(","channel":"QR"}})";
}
std::string answer(const char* key, const std::string& token, const std::string& ssin = kCitizen) {
  return R"({"worker":{"ssin":")" + ssin + R"("},")" + key + R"(":{"token":")" + token + R"("}})";
}
std::string revoke(uint64_t request, const std::string& ssin = kCitizen) {
  return R"({"worker":{"ssin":")" + ssin + R"("},"dataAccessRevocation":{"requestId":")" + std::to_string(request) +
         R"("}})";
}

class AccessViewsTest : public testing::LedgerFixture {
 protected:
  void at(const char* t) { clock_.set(instant(t)); }

  ActionSubmission ok(const std::string& json) {
    ActionSubmission s = act(json);
    EXPECT_TRUE(s.outcome.accepted()) << refusal_name(s.outcome.refusal) << " for " << json;
    return s;
  }
  // A data-access request of `scope`, answered by `key` (dataAccessGrant or
  // dataAccessRefusal, or nullptr for none) at the current time; returns the request.
  ActionSubmission requested(const std::string& scope, const char* key, const std::string& employer = kEmployer) {
    ActionSubmission r = ok(access_request(scope, employer));
    if (key) ok(answer(key, to_string(r.outcome.token)));
    return r;
  }

  // Commits, then folds the whole log into a fresh Projector.
  const Projector& projector() {
    EXPECT_TRUE(ledger_->commit().is_ok());
    Result<std::unique_ptr<Projector>> p = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    projector_ = std::move(*p);
    Result<ReplayStats> stats = projector_->catch_up();
    EXPECT_TRUE(stats.is_ok()) << stats.status().to_string();
    return *projector_;
  }

  AccessCodeAnswer lookup(const std::string& code, const char* day) {
    return lookup_access_code(projector(), code, date(day));
  }

  ConsentVerdict see(const char* when, AccessScope scope = AccessScope::kFlexi, const char* employer = kEmployer) {
    return may_see(projector(), kCitizenSsin, company(employer), scope, instant(when));
  }

  std::unique_ptr<Projector> projector_;
};

// --- The access code -----------------------------------------------------------------------------

TEST_F(AccessViewsTest, ACodeIsValidFromTheFirstOfItsMonthToTheEndOfTheSecondMonthAfter) {
  at("2025-03-17T10:00:00Z");
  const std::string code = format_access_code(ok(attest(2025)).outcome.access_code);
  for (const char* day : {"2025-03-01", "2025-03-17", "2025-04-30", "2025-05-31"}) {
    AccessCodeAnswer a = lookup(code, day);
    EXPECT_EQ(a.verdict, Verdict::kValid) << day << ": " << verdict_name(a.verdict);
    EXPECT_EQ(a.year, 2025);
    EXPECT_EQ(a.remaining_hours, 475u);
    EXPECT_EQ(a.valid_until, date("2025-05-31"));
  }
}

TEST_F(AccessViewsTest, ACodeHasExpiredAfterItsWindow) {
  at("2025-03-17T10:00:00Z");
  const std::string code = format_access_code(ok(attest(2025)).outcome.access_code);
  AccessCodeAnswer a = lookup(code, "2025-06-01");
  EXPECT_EQ(a.verdict, Verdict::kExpired);
  EXPECT_EQ(a.valid_until, date("2025-05-31"));
  EXPECT_EQ(a.remaining_hours, 0u);  // an expired code opens nothing
  EXPECT_EQ(a.year, 0);
}

TEST_F(AccessViewsTest, ACodeIsNotYetValidBeforeItsMonth) {
  at("2025-03-17T10:00:00Z");
  const std::string code = format_access_code(ok(attest(2025)).outcome.access_code);
  AccessCodeAnswer a = lookup(code, "2025-02-28");
  EXPECT_EQ(a.verdict, Verdict::kNotYetValid);
  EXPECT_EQ(a.remaining_hours, 0u);
}

TEST_F(AccessViewsTest, ACodeNoAttestationCarriedIsUnknown) {
  at("2025-03-17T10:00:00Z");
  ok(attest(2025));
  // April's code of the same student exists as a number but no attestation carried it yet.
  const uint64_t april =
      access_code_of(ServerSecret::from_passphrase("test"), kStudentSsin, month_index(date("2025-04-01")), 2025);
  EXPECT_EQ(lookup(format_access_code(april), "2025-04-02").verdict, Verdict::kUnknown);
  EXPECT_EQ(verdict_name(Verdict::kUnknown), "unknownCode");
}

TEST_F(AccessViewsTest, AMalformedCodeIsSaidSo) {
  ok(attest(2025));
  for (const char* text : {"", "ABC", "7K3M9-Q2XWU", "7K3M9-Q2XW88"})
    EXPECT_EQ(lookup(text, "2025-06-01").verdict, Verdict::kMalformed) << text;
}

TEST_F(AccessViewsTest, ACodeIsReadWhateverItsCaseAndDashes) {
  at("2025-03-17T10:00:00Z");
  std::string code = format_access_code(ok(attest(2025)).outcome.access_code);
  code.erase(5, 1);
  for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lookup(code, "2025-04-01").verdict, Verdict::kValid) << code;
}

TEST_F(AccessViewsTest, TheLookupAnswersTheRemainingHoursNowNotAtIssue) {
  at("2025-03-17T10:00:00Z");
  ActionSubmission s = ok(attest(2025));
  EXPECT_EQ(s.outcome.remaining_hours, 475u);
  at("2025-03-20T10:00:00Z");
  submit(stu_in("2025-04-01", "2025-04-30", 30));
  const std::string code = format_access_code(s.outcome.access_code);
  AccessCodeAnswer a = lookup(code, "2025-04-01");
  EXPECT_EQ(a.verdict, Verdict::kValid);
  EXPECT_EQ(a.remaining_hours, 445u);
}

TEST_F(AccessViewsTest, TheMarchCodeStaysValidWhenAprilsIsIssued) {
  at("2025-03-17T10:00:00Z");
  const uint64_t march = ok(attest(2025)).outcome.access_code;
  at("2025-04-02T10:00:00Z");
  const uint64_t april = ok(attest(2025)).outcome.access_code;
  ASSERT_NE(march, april);
  AccessCodeAnswer m = lookup(format_access_code(march), "2025-04-15");
  EXPECT_EQ(m.verdict, Verdict::kValid);
  EXPECT_EQ(m.valid_until, date("2025-05-31"));
  AccessCodeAnswer a = lookup(format_access_code(april), "2025-04-15");
  EXPECT_EQ(a.verdict, Verdict::kValid);
  EXPECT_EQ(a.valid_until, date("2025-06-30"));
}

// Issue 10 item 4: codes are per citizen and month, attestations per year;
// two attestations of one month for different years print different codes,
// and each code answers for its own attestation's year, whatever the order.
TEST_F(AccessViewsTest, EachAttestationsCodeAnswersForItsOwnYear) {
  at("2025-12-02T10:00:00Z");  // 2026 is open from December; its 650 h are known since 2025-07-01
  submit(stu_in("2025-12-03", "2025-12-31", 40));
  const uint64_t code2026 = ok(attest(2026)).outcome.access_code;
  const uint64_t code2025 = ok(attest(2025)).outcome.access_code;
  ASSERT_NE(code2025, code2026);
  AccessCodeAnswer a = lookup(format_access_code(code2025), "2025-12-15");
  EXPECT_EQ(a.verdict, Verdict::kValid);
  EXPECT_EQ(a.year, 2025);
  EXPECT_EQ(a.remaining_hours, 610u);
  AccessCodeAnswer b = lookup(format_access_code(code2026), "2025-12-15");
  EXPECT_EQ(b.verdict, Verdict::kValid);
  EXPECT_EQ(b.year, 2026);
  EXPECT_EQ(b.remaining_hours, 650u);
  // The same year again in the month prints the same code.
  EXPECT_EQ(ok(attest(2025)).outcome.access_code, code2025);
}

// Issue 10 item 5: the attestation identifies its student for the employer
// it is handed to: the SSIN as printed on an identity card and the name the
// declarations gave, when the ledger knows one (never a hash).
TEST_F(AccessViewsTest, TheAttestationIdentifiesItsStudent) {
  at("2025-03-17T10:00:00Z");
  submit(R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595","familyName":"Peeters",)"
         R"("givenName":"Anaïs"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},)"
         R"("startDate":"2025-04-01","endDate":"2025-04-30","plannedHoursNumber":30}})");
  submit(R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"04070101124","familyName":"Janssens"},)"
         R"("dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},)"
         R"("startDate":"2025-04-01","endDate":"2025-04-30","plannedHoursNumber":0}})");  // refused: its name is not taken
  const ActionSubmission named = ok(attest(2025));
  const ActionSubmission unnamed = ok(attest(2025, "04070101124"));
  std::string json;
  to_json(attestation_of(named.outcome, named.recorded_at), &json);
  EXPECT_NE(json.find(R"("ssin":"05031412595","ssinPrinted":"05.03.14-125.95","familyName":"Peeters","givenName":"Anaïs")"),
            std::string::npos) << json;
  EXPECT_EQ(json.find("ssin#"), std::string::npos) << json;
  std::string bare;
  to_json(attestation_of(unnamed.outcome, unnamed.recorded_at), &bare);
  EXPECT_NE(bare.find(R"("ssinPrinted":"04.07.01-011.24")"), std::string::npos) << bare;
  EXPECT_EQ(bare.find("familyName"), std::string::npos) << bare;
  // The read side (a projector folding the log) lists the same attestation.
  const std::vector<Attestation> listed = attestations_of(projector(), kStudentSsin);
  ASSERT_EQ(listed.size(), 1u);
  std::string read;
  to_json(listed[0], &read);
  EXPECT_EQ(read, json);
  EXPECT_EQ(attestation_student_name(listed[0]), "Peeters, Anaïs");
}

TEST_F(AccessViewsTest, TheEmployersAnswerCarriesNoSsin) {
  at("2025-03-17T10:00:00Z");
  const std::string code = format_access_code(ok(attest(2025)).outcome.access_code);
  for (const char* day : {"2025-04-01", "2025-06-01", "2025-02-01"}) {
    std::string json;
    to_json(lookup(code, day), &json);
    EXPECT_EQ(json.find("ssin"), std::string::npos) << json;
    EXPECT_EQ(json.find(kStudent), std::string::npos) << json;
  }
  std::string valid;
  to_json(lookup(code, "2025-04-01"), &valid);
  EXPECT_EQ(valid, R"({"valid":true,"year":2025,"remainingHours":475,"validUntil":"2025-05-31"})");
  std::string expired;
  to_json(lookup(code, "2025-06-01"), &expired);
  EXPECT_EQ(expired, R"({"valid":false,"reason":"expired"})");
}

// --- Consent at an instant (rule 12) ------------------------------------------------------------------

TEST_F(AccessViewsTest, AFlexiGrantIsInForceForOneMonthFromItsInstant) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission r = requested("FLEXI", "dataAccessGrant");
  ConsentVerdict v = see("2025-01-15T10:00:00Z");
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, Reason::kGranted);
  EXPECT_EQ(v.request_id, r.outcome.id);
  EXPECT_EQ(v.answered_at, instant("2025-01-15T10:00:00Z"));
  EXPECT_EQ(v.expires_at, instant("2025-02-15T10:00:00Z"));
  EXPECT_TRUE(see("2025-02-15T09:59:59Z").allowed);
}

TEST_F(AccessViewsTest, AFlexiGrantHasExpiredAtItsExpiry) {
  at("2025-01-15T10:00:00Z");
  requested("FLEXI", "dataAccessGrant");
  ConsentVerdict v = see("2025-02-15T10:00:00Z");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::kExpired);
  EXPECT_EQ(v.expires_at, instant("2025-02-15T10:00:00Z"));
  EXPECT_EQ(see("2025-06-01T00:00:00Z").reason, Reason::kExpired);
}

TEST_F(AccessViewsTest, AStudentBalanceGrantLastsThreeMonths) {
  at("2025-01-15T10:00:00Z");
  requested("STUDENT_BALANCE", "dataAccessGrant");
  // 11:00 in Brussels on 15 January, so 11:00 in Brussels (summer time: 09:00 UTC) on 15 April.
  EXPECT_TRUE(see("2025-04-15T08:59:59Z", AccessScope::kStudentBalance).allowed);
  ConsentVerdict v = see("2025-04-15T09:00:00Z", AccessScope::kStudentBalance);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::kExpired);
  EXPECT_EQ(v.expires_at, instant("2025-04-15T09:00:00Z"));
}

TEST_F(AccessViewsTest, BeforeTheGrantTheAnswerIsNeverGranted) {
  at("2025-01-15T10:00:00Z");
  requested("FLEXI", "dataAccessGrant");
  ConsentVerdict v = see("2025-01-15T09:59:59Z");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::kNeverGranted);
  EXPECT_EQ(v.request_id, 0u);
}

// Rule 12: one revocation ends both grants (every grant to that employer in force), at once.
TEST_F(AccessViewsTest, ARevocationEndsTheGrantAtOnce) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission flexi = requested("FLEXI", "dataAccessGrant");
  ActionSubmission balance = requested("STUDENT_BALANCE", "dataAccessGrant");
  at("2025-01-20T12:00:00Z");
  ok(revoke(flexi.outcome.id));
  EXPECT_EQ(act(revoke(balance.outcome.id)).outcome.refusal, ActionRefusal::kNotActive);
  EXPECT_TRUE(see("2025-01-20T11:59:59Z").allowed);
  for (AccessScope scope : {AccessScope::kFlexi, AccessScope::kStudentBalance}) {
    ConsentVerdict v = see("2025-01-20T12:00:00Z", scope);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.reason, Reason::kRevoked);
    EXPECT_EQ(v.revoked_at, instant("2025-01-20T12:00:00Z"));
  }
  EXPECT_EQ(see("2025-03-01T00:00:00Z").reason, Reason::kRevoked);  // after the expiry it stays revoked
}

TEST_F(AccessViewsTest, ARefusalIsSaidSo) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission r = requested("FLEXI", "dataAccessRefusal");
  ConsentVerdict v = see("2025-01-16T00:00:00Z");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::kRefused);
  EXPECT_EQ(v.request_id, r.outcome.id);
  EXPECT_EQ(v.expires_at, Instant{});
}

TEST_F(AccessViewsTest, AGrantToOneEmployerOrScopeOpensNoOther) {
  at("2025-01-15T10:00:00Z");
  requested("FLEXI", "dataAccessGrant");
  EXPECT_EQ(see("2025-01-16T00:00:00Z", AccessScope::kFlexi, kEmployer2).reason, Reason::kNeverGranted);
  EXPECT_EQ(see("2025-01-16T00:00:00Z", AccessScope::kStudentBalance).reason, Reason::kNeverGranted);
}

TEST_F(AccessViewsTest, ANewGrantAfterExpiryIsInForce) {
  at("2025-01-15T10:00:00Z");
  requested("FLEXI", "dataAccessGrant");
  at("2025-03-01T10:00:00Z");
  ActionSubmission again = requested("FLEXI", "dataAccessGrant");
  ConsentVerdict v = see("2025-03-02T00:00:00Z");
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.request_id, again.outcome.id);
  EXPECT_EQ(see("2025-02-20T00:00:00Z").reason, Reason::kExpired);  // between the two
}

TEST_F(AccessViewsTest, ALaterRefusalDoesNotEndAGrantInForce) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission granted = requested("FLEXI", "dataAccessGrant");
  at("2025-01-16T10:00:00Z");
  requested("FLEXI", "dataAccessRefusal");
  ConsentVerdict v = see("2025-01-17T00:00:00Z");
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.request_id, granted.outcome.id);
}

TEST_F(AccessViewsTest, TheVerdictAsJson) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission r = requested("FLEXI", "dataAccessGrant");
  std::string json;
  to_json(see("2025-01-16T00:00:00Z"), AccessScope::kFlexi, &json);
  EXPECT_EQ(json, R"({"allowed":true,"scope":"FLEXI","reason":"granted","requestId":")" + std::to_string(r.outcome.id) +
                      R"(","grantedAt":"2025-01-15T10:00:00Z","expiresAt":"2025-02-15T10:00:00Z"})");
  std::string never;
  to_json(see("2025-01-16T00:00:00Z", AccessScope::kStudentBalance), AccessScope::kStudentBalance, &never);
  EXPECT_EQ(never, R"({"allowed":false,"scope":"STUDENT_BALANCE","reason":"neverGranted"})");
}

// What a consent shows, for the year hired for: the next year's hours from 1 December, but no
// figure (not 0 h) for a year whose quota the ledger does not know yet.
TEST_F(AccessViewsTest, ConsentedDataGivesNoFigureForAYearWithoutAQuota) {
  at("2050-12-02T10:00:00Z");  // schemas/quota.json defines 2017 to 2050
  requested("STUDENT_BALANCE", "dataAccessGrant");
  const ConsentVerdict v = see("2050-12-03T00:00:00Z", AccessScope::kStudentBalance);
  ASSERT_TRUE(v.allowed);
  const Date today = *parse_date("2050-12-03");
  const Result<int32_t> next = consented_period(AccessScope::kStudentBalance, today, 2051);
  ASSERT_TRUE(next.is_ok()) << next.status().to_string();
  const Result<std::string> unknown =
      consented_data(projector(), kCitizenSsin, company(kEmployer), AccessScope::kStudentBalance, *next, v, today);
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  const Result<std::string> known =
      consented_data(projector(), kCitizenSsin, company(kEmployer), AccessScope::kStudentBalance, 2050, v, today);
  ASSERT_TRUE(known.is_ok()) << known.status().to_string();
  EXPECT_NE(known->find(R"("year":2050,"remainingHours":650)"), std::string::npos) << *known;
  EXPECT_EQ(consented_period(AccessScope::kStudentBalance, *parse_date("2050-11-30"), 2051).status().code(),
            Code::kInvalidArgument);
}

// A FLEXI consent shows the verdict and its route for the quarter hired for, not the occupation
// at other employers nor the pension date behind it.
TEST_F(AccessViewsTest, ConsentedFlexiDataIsTheVerdictOnly) {
  at("2025-01-15T10:00:00Z");
  requested("FLEXI", "dataAccessGrant");
  const ConsentVerdict v = see("2025-01-16T00:00:00Z");
  ASSERT_TRUE(v.allowed);
  const Date today = *parse_date("2025-01-16");
  const Result<int32_t> quarter = consented_period(AccessScope::kFlexi, today, std::nullopt);
  ASSERT_TRUE(quarter.is_ok()) << quarter.status().to_string();
  const Result<std::string> shown =
      consented_data(projector(), kCitizenSsin, company(kEmployer), AccessScope::kFlexi, *quarter, v, today);
  ASSERT_TRUE(shown.is_ok()) << shown.status().to_string();
  EXPECT_EQ(*shown, R"({"scope":"FLEXI","quarter":"2025-Q1","eligibility":{"quarter":"2025-Q1","eligible":false,)"
                    R"("route":"NONE"},"expiresAt":"2025-02-15T10:00:00Z"})");
}

// --- An employer's requests -----------------------------------------------------------------------------

TEST_F(AccessViewsTest, AnEmployersRequestsShowWhereEachStands) {
  at("2025-01-10T10:00:00Z");
  ActionSubmission pending = requested("FLEXI", nullptr);
  at("2025-01-10T11:00:00Z");
  ActionSubmission refused = requested("FLEXI", "dataAccessRefusal");
  at("2025-01-10T12:00:00Z");
  ActionSubmission revoked = requested("STUDENT_BALANCE", "dataAccessGrant");
  at("2025-01-10T12:30:00Z");
  ok(revoke(revoked.outcome.id));  // before the two grants below: a later grant is a new authorisation
  at("2025-01-10T13:00:00Z");
  ActionSubmission granted = requested("STUDENT_BALANCE", "dataAccessGrant");  // until 2025-04-10
  at("2025-01-10T14:00:00Z");
  ActionSubmission expired = requested("FLEXI", "dataAccessGrant");  // until 2025-02-10
  requested("FLEXI", "dataAccessGrant", kEmployer2);                 // another employer's
  std::vector<RequestStatus> list =
      requests_of_employer(projector(), company(kEmployer), instant("2025-03-01T00:00:00Z"));
  ASSERT_EQ(list.size(), 5u);
  // Newest first.
  EXPECT_EQ(list[0].request.id, expired.outcome.id);
  EXPECT_EQ(list[0].status, "EXPIRED");
  EXPECT_EQ(list[1].request.id, granted.outcome.id);
  EXPECT_EQ(list[1].status, "GRANTED");
  EXPECT_EQ(list[2].request.id, revoked.outcome.id);
  EXPECT_EQ(list[2].status, "REVOKED");
  EXPECT_EQ(list[3].request.id, refused.outcome.id);
  EXPECT_EQ(list[3].status, "REFUSED");
  EXPECT_EQ(list[4].request.id, pending.outcome.id);
  EXPECT_EQ(list[4].status, "PENDING");
  EXPECT_FALSE(list[4].answer);
  ASSERT_TRUE(list[1].answer);
  EXPECT_EQ(list[1].answer->citizen, kCitizenSsin);
  // Who granted is named to the employer; who refused is not.
  std::string json;
  to_json(list, &json);
  const size_t refused_at = json.find(R"("status":"REFUSED")");
  const size_t granted_at = json.find(R"("status":"GRANTED")");
  ASSERT_NE(refused_at, std::string::npos) << json;
  ASSERT_NE(granted_at, std::string::npos) << json;
  const std::string refused_item = json.substr(refused_at, json.find('}', refused_at) - refused_at);
  EXPECT_EQ(refused_item.find("ssin"), std::string::npos) << refused_item;
  EXPECT_NE(refused_item.find("refusedAt"), std::string::npos) << refused_item;
  EXPECT_NE(json.substr(granted_at, json.find('}', granted_at) - granted_at).find("\"ssin\""), std::string::npos)
      << json;
}

TEST_F(AccessViewsTest, AnEmployersRequestsAreJudgedAtTheInstantAsked) {
  at("2025-01-10T10:00:00Z");
  requested("FLEXI", "dataAccessGrant");  // until 2025-02-10T10:00
  at("2025-01-10T11:00:00Z");
  ActionSubmission later = requested("STUDENT_BALANCE", "dataAccessGrant");
  at("2025-01-20T10:00:00Z");
  ok(revoke(later.outcome.id));
  const Projector& p = projector();
  std::vector<RequestStatus> before = requests_of_employer(p, company(kEmployer), instant("2025-01-15T00:00:00Z"));
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].status, "GRANTED");
  EXPECT_EQ(before[1].status, "GRANTED");
  std::vector<RequestStatus> after = requests_of_employer(p, company(kEmployer), instant("2025-02-10T10:00:00Z"));
  EXPECT_EQ(after[0].status, "REVOKED");
  EXPECT_EQ(after[1].status, "REVOKED") << "rule 12: the revocation ended the employer's other grant too";
  EXPECT_EQ(after[1].answer->revoked_at, instant("2025-01-20T10:00:00Z"));
}

TEST_F(AccessViewsTest, APendingRequestNamesNoCitizen) {
  at("2025-01-10T10:00:00Z");
  requested("FLEXI", nullptr);
  requested("FLEXI", "dataAccessGrant");
  std::string json;
  to_json(requests_of_employer(projector(), company(kEmployer), instant("2025-01-11T00:00:00Z")), &json);
  // One ssin: the citizen who answered; the pending request says nothing of anyone.
  const size_t first = json.find(R"("ssin")");
  ASSERT_NE(first, std::string::npos) << json;
  EXPECT_EQ(json.find(R"("ssin")", first + 1), std::string::npos) << json;
  EXPECT_NE(json.find(R"("status":"PENDING")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("total":2)"), std::string::npos) << json;
}

TEST_F(AccessViewsTest, ACitizensConsentsListTheirAnswersNewestFirst) {
  at("2025-01-10T10:00:00Z");
  ActionSubmission first = requested("FLEXI", "dataAccessGrant");
  at("2025-01-11T10:00:00Z");
  ActionSubmission second = requested("STUDENT_BALANCE", "dataAccessRefusal", kEmployer2);
  std::vector<ConsentAnswer> answers = consents_of(projector(), kCitizenSsin);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].request_id, second.outcome.id);
  EXPECT_FALSE(answers[0].granted);
  EXPECT_EQ(answers[0].employer, company(kEmployer2));
  EXPECT_EQ(answers[1].request_id, first.outcome.id);
  EXPECT_TRUE(answers[1].granted);
}

// Issue 12 item 1: the lists of attestations, codes, requests and answers are a read model's
// (access_index.h). A checkpoint written before it existed has no section for it: the Projector
// folds the partitions again for it alone, and every list answers as after a fresh replay.
TEST_F(AccessViewsTest, ACheckpointWrittenBeforeTheAccessIndexIsFoldedAgainForIt) {
  at("2025-03-17T10:00:00Z");
  const std::string code = format_access_code(ok(attest(2025)).outcome.access_code);
  ok(attest(2025, kCitizen));
  requested("FLEXI", "dataAccessGrant");
  requested("STUDENT_BALANCE", "dataAccessRefusal", kEmployer2);
  requested("FLEXI", nullptr);
  const Projector& fresh = projector();
  testing::TempDir dir;
  ProjectorOptions before;  // the standard read models but this one, as the build before it had
  before.checkpoint_path = dir.file("checkpoint.db");
  for (ReadModelFactory& make : standard_read_models())
    if (make()->name() != AccessIndex::kName) before.read_models.push_back(std::move(make));
  {
    Result<std::unique_ptr<Projector>> old = Projector::open(log_, before);
    ASSERT_TRUE(old.is_ok()) << old.status().to_string();
    Result<ReplayStats> written = (*old)->catch_up();
    ASSERT_TRUE(written.is_ok()) << written.status().to_string();
    ASSERT_GE(written->checkpoints, 1u);
  }
  ProjectorOptions now;
  now.checkpoint_path = before.checkpoint_path;
  Result<std::unique_ptr<Projector>> upgraded = Projector::open(log_, now);
  ASSERT_TRUE(upgraded.is_ok()) << upgraded.status().to_string();
  Result<ReplayStats> stats = (*upgraded)->catch_up();
  ASSERT_TRUE(stats.is_ok()) << stats.status().to_string();
  EXPECT_GT(stats->resumed_events, 0u) << "the checkpoint was used";
  EXPECT_EQ(stats->backfilled_events, stats->resumed_events) << "the access index alone, folded from the start";
  const Projector& p = **upgraded;
  EXPECT_EQ(p.state_hash(), fresh.state_hash());
  for (const Ssin who : {kStudentSsin, kCitizenSsin}) {
    std::string a, b;
    for (const Attestation& x : attestations_of(p, who)) to_json(x, &a);
    for (const Attestation& x : attestations_of(fresh, who)) to_json(x, &b);
    EXPECT_EQ(a, b);
    EXPECT_FALSE(a.empty());
  }
  std::string a, b;
  to_json(consents_of(p, kCitizenSsin), instant("2025-03-18T00:00:00Z"), &a);
  to_json(consents_of(fresh, kCitizenSsin), instant("2025-03-18T00:00:00Z"), &b);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("requestId"), std::string::npos) << a;
  for (const char* employer : {kEmployer, kEmployer2}) {
    std::string x, y;
    to_json(requests_of_employer(p, company(employer), instant("2025-03-18T00:00:00Z")), &x);
    to_json(requests_of_employer(fresh, company(employer), instant("2025-03-18T00:00:00Z")), &y);
    EXPECT_EQ(x, y);
  }
  EXPECT_EQ(requests_of_employer(p, company(kEmployer), instant("2025-03-18T00:00:00Z")).size(), 2u);
  EXPECT_EQ(lookup_access_code(p, code, date("2025-04-01")).verdict, Verdict::kValid);
  EXPECT_EQ(may_see(p, kCitizenSsin, company(kEmployer), AccessScope::kFlexi, instant("2025-03-18T00:00:00Z")).allowed,
            true);
}

// Issue 10 item 7: with the reduction rule "ignore" the answer says the
// reduction was not checked (it was not), instead of reductionChecked true.
TEST_F(AccessViewsTest, AFlexiAnswerUnderTheIgnoreRuleSaysTheReductionWasNotChecked) {
  at("2025-01-10T10:00:00Z");
  const std::string parties = R"({"employer":{"enterpriseNumber":"0403019360"},"worker":{"ssin":"85073003328"},)";
  ok(parties + R"("occupationQuarter":{"year":2024,"quarter":1,"fraction":0.9}})");
  ok(parties + R"("occupationQuarter":{"year":2024,"quarter":2,"fraction":0.8}})");
  const int32_t q1 = *parse_quarter("2025-Q1");
  const FlexiAnswer strict = flexi_eligibility(state().actions(), kCitizenSsin, q1, company(kEmployer));
  EXPECT_FALSE(strict.eligible);
  EXPECT_EQ(strict.reason, FlexiReason::kReducedT4ToT3);
  EXPECT_TRUE(strict.reduction_checked);
  const FlexiAnswer ignored = flexi_eligibility(state().actions(), kCitizenSsin, q1, company(kEmployer),
                                                *ReductionRule::parse("ignore"));
  EXPECT_TRUE(ignored.eligible);
  EXPECT_FALSE(ignored.reduction_checked);
  std::string json;
  to_json(ignored, &json);
  EXPECT_NE(json.find(R"("reductionChecked":false)"), std::string::npos) << json;
}

}  // namespace
}  // namespace dimona
