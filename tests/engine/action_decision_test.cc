// decide_action() through a real Ledger (docs/actions.md, "Decisions"): the
// attestation window and codes (rule 11), consent tokens and grants (rule
// 12), the career-break state machines (rule 15), every refusal reason, and
// flexi eligibility (rule 13) with the FLX Dimona IN it guards.
#include "engine/action_decision.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/decision.h"
#include "engine/flexi.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

using testing::has_anomaly;
using testing::stu_in;

constexpr const char* kEmployer = "0403019261";
constexpr const char* kEmployer2 = "0403019360";
constexpr const char* kEmployer3 = "0876543270";
constexpr const char* kStudent = "05031412595";
constexpr const char* kCitizen = "85073003328";
constexpr const char* kCitizen2 = "85073003526";
constexpr const char* kUnknownId = "799999999977";  // well-formed, given to nothing (a ledger id far beyond any test)
constexpr const char* kUnknownToken = "7K3M9Q2XW8D4RZ6T1VBN";

std::string employer(const std::string& e) { return R"("employer":{"enterpriseNumber":")" + e + R"("})"; }
std::string worker(const std::string& s) { return R"("worker":{"ssin":")" + s + R"("})"; }
std::string action_line(const std::string& parts, const std::string& key, const std::string& body) {
  return "{" + parts + (parts.empty() ? "" : ",") + "\"" + key + "\":" + body + "}";
}
std::string quoted(const std::string& field, const std::string& value) { return "\"" + field + "\":\"" + value + "\""; }

std::string attest(int year, const std::string& ssin = kStudent) {
  return action_line(worker(ssin), "attestationRequest", R"({"year":)" + std::to_string(year) + "}");
}
std::string access_request(const std::string& scope = "FLEXI", const std::string& e = kEmployer,
                           const std::string& extra = "") {
  return action_line(employer(e), "dataAccessRequest",
                     "{" + quoted("scope", scope) + R"(,"channel":"QR")" + extra + "}");
}
std::string grant(const std::string& token, const std::string& ssin = kCitizen) {
  return action_line(worker(ssin), "dataAccessGrant", "{" + quoted("token", token) + "}");
}
std::string refuse(const std::string& token, const std::string& ssin = kCitizen) {
  return action_line(worker(ssin), "dataAccessRefusal", "{" + quoted("token", token) + "}");
}
std::string revoke(const std::string& request, const std::string& ssin = kCitizen) {
  return action_line(worker(ssin), "dataAccessRevocation", "{" + quoted("requestId", request) + "}");
}
std::string occupation(const std::string& e, int year, int quarter, const std::string& fraction,
                       const std::string& ssin = kCitizen) {
  return action_line(employer(e) + "," + worker(ssin), "occupationQuarter",
                     R"({"year":)" + std::to_string(year) + R"(,"quarter":)" + std::to_string(quarter) +
                         R"(,"fraction":)" + fraction + "}");
}
// `as_of` is a date, or "null".
std::string pension(const std::string& as_of, const std::string& ssin = kCitizen) {
  return action_line(worker(ssin), "pensionStatus",
                     R"({"pensionedAsOf":)" + (as_of == "null" ? as_of : "\"" + as_of + "\"") + "}");
}
std::string settings(bool accepts, const std::string& e = kEmployer) {
  return action_line(
      employer(e), "employerSettings",
      std::string(R"({"contactName":"An","email":"hr@example.be","phone":"02","acceptsNotifications":)") +
          (accepts ? "true" : "false") + "}");
}
std::string break_request(const std::string& start, const std::string& end, const std::string& extra = "",
                          const std::string& e = kEmployer, const std::string& ssin = kCitizen) {
  return action_line(employer(e) + "," + worker(ssin), "careerBreakRequest",
                     R"({"leaveKind":"TIME_CREDIT","fraction":"1/5",)" + quoted("startDate", start) + "," +
                         quoted("endDate", end) + R"(,"regimeBefore":1,"regimeDuring":0.8)" + extra + "}");
}
std::string employee_part(const std::string& ticket, const std::string& ssin = kCitizen) {
  return action_line(worker(ssin), "careerBreakEmployeePart", "{" + quoted("ticket", ticket) + "}");
}
std::string cancel(const std::string& ticket, const std::string& e = kEmployer) {
  return action_line(employer(e), "careerBreakCancellation", "{" + quoted("ticket", ticket) + "}");
}
std::string end_date(const std::string& ticket, const std::string& end, const std::string& e = kEmployer) {
  return action_line(employer(e), "careerBreakEndDate",
                     "{" + quoted("ticket", ticket) + "," + quoted("endDate", end) + "}");
}
std::string attach(const std::string& ticket, const std::string& e = kEmployer) {
  return action_line(employer(e), "careerBreakAttachment", "{" + quoted("ticket", ticket) + R"(,"fileName":"c4.pdf"})");
}
std::string attach_to_notification(const std::string& id, const std::string& e = kEmployer) {
  return action_line(employer(e), "careerBreakAttachment",
                     "{" + quoted("notificationId", id) + R"(,"fileName":"n.pdf"})");
}
std::string onem(const std::string& ticket, const std::string& decision = "GRANTED") {
  return action_line("", "onemDecision", "{" + quoted("ticket", ticket) + "," + quoted("decision", decision) + "}");
}
std::string notification(const std::string& start, const std::string& end = "", const std::string& extra = "",
                         const std::string& e = kEmployer, const std::string& ssin = kCitizen) {
  return action_line(employer(e) + "," + worker(ssin), "careerBreakNotification",
                     R"({"leaveKind":"PARENTAL_LEAVE","fraction":"1/10",)" + quoted("startDate", start) +
                         (end.empty() ? "" : "," + quoted("endDate", end)) + extra + "}");
}
std::string postpone(const std::string& id, const std::string& start, const std::string& e = kEmployer) {
  return action_line(employer(e), "careerBreakPostponement",
                     "{" + quoted("notificationId", id) + "," + quoted("startDate", start) + "}");
}
std::string refuse_notification(const std::string& id, const std::string& e = kEmployer) {
  return action_line(employer(e), "careerBreakNotificationRefusal", "{" + quoted("notificationId", id) + "}");
}
std::string validate(const std::string& id, const std::string& e = kEmployer) {
  return action_line(employer(e), "careerBreakNotificationValidation", "{" + quoted("notificationId", id) + "}");
}
std::string flexi_in(const std::string& day, const std::string& ssin = kCitizen, const std::string& e = kEmployer) {
  return "{" + employer(e) + "," + worker(ssin) +
         R"(,"dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"FLX"},)" + quoted("startDate", day) +
         "," + quoted("endDate", day) + R"(,"startHour":"0800","endHour":"1630"}})";
}

std::string id_of(const ActionSubmission& s) { return std::to_string(s.outcome.id); }
std::string token_of(const ActionSubmission& s) { return to_string(s.outcome.token); }
std::string reason(const ActionSubmission& s) { return std::string(refusal_name(s.outcome.refusal)); }
Instant instant(const char* text) { return *parse_instant(text); }
Date date(const char* text) { return *parse_date(text); }
int32_t quarter(const char* text) { return *parse_quarter(text); }
Ssin ssin(const char* text) { return *parse_ssin(text); }
uint64_t company(const char* text) { return parse_enterprise_number(text)->value; }

class ActionDecisionTest : public testing::LedgerFixture {
 protected:
  void at(const char* t) { clock_.set(instant(t)); }

  // Submits `json` and expects it accepted.
  ActionSubmission ok(const std::string& json) {
    ActionSubmission s = act(json);
    EXPECT_TRUE(s.outcome.accepted()) << reason(s) << " for " << json;
    return s;
  }

  std::string action_bytes() {
    std::string bytes;
    state().actions().save(&bytes);
    return bytes;
  }

  // Every declaration and action eventId in the log with how many events carry it (a quota
  // definition is written to every partition by design, so its id is left out).
  std::map<std::string, int> event_ids() {
    EXPECT_TRUE(ledger_->commit().is_ok());
    std::map<std::string, int> ids;
    for (uint32_t p = 0; p < log_.partitions(); ++p) {
      for (const LogRecord& record : testing::read_all(log_, p)) {
        const size_t begin = record.payload.find(R"("eventId":")") + 11;
        const std::string id = record.payload.substr(begin, record.payload.find('"', begin) - begin);
        EXPECT_EQ(id, record.event_id);  // the record's id is the event's
        if (id.rfind("quota-", 0) != 0) ++ids[id];
      }
    }
    return ids;
  }

  FlexiAnswer flexi(const char* q, const char* e = kEmployer, const ReductionRule& rule = {}) {
    return flexi_eligibility(state().actions(), ssin(kCitizen), quarter(q), company(e), rule);
  }

  const CareerBreakRequest& ticket(const ActionSubmission& s) {
    const CareerBreakRequest* t = state().actions().ticket(s.outcome.id);
    EXPECT_NE(t, nullptr);
    static const CareerBreakRequest kNone;
    return t ? *t : kNone;
  }
  const CareerBreakNotification& notice(const ActionSubmission& s) {
    const CareerBreakNotification* n = state().actions().notification(s.outcome.id);
    EXPECT_NE(n, nullptr);
    static const CareerBreakNotification kNone;
    return n ? *n : kNone;
  }
};

// --- Rule 11: the attestation window and its access code ----------------------------------------

// December is a Belgian month: it begins at 23:00 UTC on 30 November (winter time, UTC+1).
TEST_F(ActionDecisionTest, AnAttestationForNextYearIsRefusedOn30November) {
  at("2024-11-30T22:59:59Z");
  EXPECT_EQ(reason(act(attest(2025))), "yearNotAvailable");
}

TEST_F(ActionDecisionTest, AnAttestationForNextYearIsAllowedFrom1December) {
  at("2024-11-30T23:00:00Z");
  ActionSubmission s = ok(attest(2025));
  EXPECT_EQ(s.outcome.for_year, 2025);
  EXPECT_EQ(s.outcome.quota_hours, 475u);
  EXPECT_EQ(s.outcome.remaining_hours, 475u);
}

TEST_F(ActionDecisionTest, AnAttestationForTheCurrentYearIsAllowed) {
  ActionSubmission s = ok(attest(2025));  // ledger time 2025-06-01
  EXPECT_EQ(s.outcome.for_year, 2025);
  EXPECT_EQ(s.outcome.quota_hours, 475u);
}

TEST_F(ActionDecisionTest, AnAttestationForLastYearOrNextYearBeforeDecemberIsRefused) {
  EXPECT_EQ(reason(act(attest(2024))), "yearNotAvailable");
  EXPECT_EQ(reason(act(attest(2026))), "yearNotAvailable");
  at("2025-12-01T08:00:00Z");
  EXPECT_EQ(reason(act(attest(2027))), "yearNotAvailable");  // two years ahead, even in December
}

TEST_F(ActionDecisionTest, AnAttestationForAYearWithoutQuotaIsRefused) {
  at("2026-12-05T08:00:00Z");
  EXPECT_EQ(reason(act(attest(2027))), "quotaUnknown");
  EXPECT_TRUE(act(attest(2026)).outcome.accepted());
}

TEST_F(ActionDecisionTest, ACodeIssuedOn17MarchIsForMarchAndValidUntilMay) {
  at("2025-03-17T10:00:00Z");
  ActionSubmission s = ok(attest(2025));
  EXPECT_EQ(month_string(s.outcome.code_month), "2025-03");
  EXPECT_EQ(s.outcome.valid_from(), date("2025-03-01"));
  EXPECT_EQ(s.outcome.valid_until(), date("2025-05-31"));
  EXPECT_NE(s.outcome.access_code, 0u);
  EXPECT_LE(s.outcome.access_code, kAccessCodeMask);
  EXPECT_EQ(s.outcome.access_code,
            access_code_of(ServerSecret::from_passphrase("test"), ssin(kStudent), month_index(date("2025-03-17")), 2025));
  const LedgerState& merged = state();
  const std::vector<Attestation>& stored = merged.actions().attestations();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, s.outcome.id);
  EXPECT_EQ(stored[0].citizen, ssin(kStudent));
  EXPECT_EQ(stored[0].access_code, s.outcome.access_code);
  EXPECT_EQ(stored[0].issued_at, instant("2025-03-17T10:00:00Z"));
  EXPECT_EQ(merged.actions().attestation(s.outcome.id), &stored[0]);
}

TEST_F(ActionDecisionTest, TheCodesMonthIsTheMonthInBrussels) {
  at("2025-03-31T22:30:00Z");  // 1 April, 00:30 in Brussels (summer time, UTC+2)
  ActionSubmission s = ok(attest(2025));
  EXPECT_EQ(month_string(s.outcome.code_month), "2025-04");
  EXPECT_EQ(s.outcome.valid_until(), date("2025-06-30"));
}

// --- The inbox: an attestation's message is archived by its citizen, within two months ---------

std::string archive(uint64_t message, const std::string& ssin = kStudent) {
  return R"({"worker":{"ssin":")" + ssin + R"("},"inboxArchive":{"messageId":")" + std::to_string(message) + R"("}})";
}

TEST_F(ActionDecisionTest, ACitizenArchivesTheirMessageOnce) {
  at("2025-03-17T10:00:00Z");
  const uint64_t message = ok(attest(2025)).outcome.id;
  at("2025-05-17T08:59:59Z");  // the last second of its two months: 11:00 in Brussels, summer time then
  ActionSubmission s = ok(archive(message));
  EXPECT_EQ(s.outcome.subject, message);
  const Attestation* a = state().actions().attestation(message);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->archived_at, instant("2025-05-17T08:59:59Z"));
  EXPECT_EQ(reason(act(archive(message))), "messageArchived");
}

TEST_F(ActionDecisionTest, AnUnknownExpiredOrAnotherCitizensMessageIsUnknown) {
  at("2025-03-17T10:00:00Z");
  const uint64_t message = ok(attest(2025)).outcome.id;
  EXPECT_EQ(reason(act(archive(message, kCitizen))), "unknownMessage");
  EXPECT_EQ(reason(act(archive(dimona_id_from_body(7'000'000'999)))), "unknownMessage");
  at("2025-05-17T10:00:00Z");  // two months: gone from the inbox
  EXPECT_EQ(reason(act(archive(message))), "unknownMessage");
  EXPECT_FALSE(state().actions().attestation(message)->archived());
}

// DOMAIN §5 step 4: ONEM's decision is a message in the employee's inbox, its id the ticket.
TEST_F(ActionDecisionTest, TheEmployeeArchivesONEMsDecisionOnceWithinTwoMonths) {
  at("2025-06-02T09:00:00Z");
  const uint64_t ticket = ok(break_request("2025-10-01", "2026-09-30")).outcome.id;
  const std::string t = std::to_string(ticket);
  ok(employee_part(t));
  EXPECT_EQ(reason(act(archive(ticket, kCitizen))), "unknownMessage");  // not decided yet: no message
  at("2025-06-16T14:30:00Z");
  ok(onem(t, "REFUSED"));
  EXPECT_EQ(state().actions().ticket(ticket)->decided_at, instant("2025-06-16T14:30:00Z"));
  EXPECT_EQ(reason(act(archive(ticket, kStudent))), "unknownMessage");  // another citizen's
  at("2025-08-16T14:29:59Z");                                           // the last second of its two months
  ok(archive(ticket, kCitizen));
  EXPECT_EQ(state().actions().ticket(ticket)->decision_archived_at, instant("2025-08-16T14:29:59Z"));
  EXPECT_EQ(reason(act(archive(ticket, kCitizen))), "messageArchived");
  at("2025-08-16T14:30:00Z");
  EXPECT_EQ(reason(act(archive(ticket, kCitizen))), "unknownMessage");
}

// --- Who looked: a consultation is a record of a read already answered ---------------------------

std::string consultation(const std::string& parts, const std::string& body) {
  return action_line(parts, "dataConsultation", body);
}

TEST_F(ActionDecisionTest, AConsultationIsAlwaysAcceptedAndTheDecisionStateKeepsNone) {
  at("2025-03-17T10:00:00Z");
  const ActionSubmission first =
      ok(consultation(worker(kCitizen), R"({"role":"auditor","auditor":"ins-1","scope":"anomalies","channel":"auditor"})"));
  EXPECT_EQ(first.outcome.worker, ssin(kCitizen));
  at("2025-03-18T11:00:00Z");
  const ActionSubmission second = ok(consultation(employer(kEmployer2) + "," + worker(kCitizen),
                                                  R"({"role":"employer","scope":"accessCode","channel":"accessCode"})"));
  // The same read again is a second consultation, not a duplicate.
  const ActionSubmission third = ok(consultation(employer(kEmployer2) + "," + worker(kCitizen),
                                                 R"({"role":"employer","scope":"accessCode","channel":"accessCode"})"));
  EXPECT_EQ(second.outcome.employer, company(kEmployer2));
  EXPECT_NE(third.outcome.id, second.outcome.id);
  // Who looked is a read model's (projections/consultation_log.h, tested there): the decision state keeps none.
  EXPECT_EQ(state().actions().record_count(), 0u);
  EXPECT_FALSE(state().actions().id_in_use(first.outcome.id)) << "a consultation is no record an id addresses";
}

// Months in Brussels: March 2025 runs from 28 February 23:00 UTC to 31 March 21:59:59 UTC
// (summer time from 30 March).
TEST_F(ActionDecisionTest, TheSameMonthGivesTheSameCode) {
  at("2025-02-28T23:00:00Z");
  const uint64_t first = ok(attest(2025)).outcome.access_code;
  at("2025-03-31T21:59:59Z");
  EXPECT_EQ(ok(attest(2025)).outcome.access_code, first);
}

TEST_F(ActionDecisionTest, TheNextMonthGivesAnotherCode) {
  at("2025-03-31T21:59:59Z");
  const uint64_t march = ok(attest(2025)).outcome.access_code;
  at("2025-03-31T22:00:00Z");
  ActionSubmission april = ok(attest(2025));
  EXPECT_NE(april.outcome.access_code, march);
  EXPECT_EQ(month_string(april.outcome.code_month), "2025-04");
}

TEST_F(ActionDecisionTest, AnotherCitizenGetsAnotherCode) {
  at("2025-03-17T10:00:00Z");
  EXPECT_NE(ok(attest(2025)).outcome.access_code, ok(attest(2025, kCitizen)).outcome.access_code);
}

TEST_F(ActionDecisionTest, RemainingHoursAreTheQuotaLessTheHoursUsed) {
  submit(stu_in("2025-07-01", "2025-07-31", 30));
  ActionSubmission s = ok(attest(2025));
  EXPECT_EQ(s.outcome.quota_hours, 475u);
  EXPECT_EQ(s.outcome.remaining_hours, 445u);
}

TEST_F(ActionDecisionTest, RemainingHoursAreZeroNeverNegativeOverTheQuota) {
  submit(stu_in("2025-07-01", "2025-07-31", 400));
  submit(stu_in("2025-08-01", "2025-08-31", 100, kStudent, kEmployer2));  // 500 > 475
  EXPECT_EQ(ok(attest(2025)).outcome.remaining_hours, 0u);
}

// --- Rule 12: data-access requests, tokens, grants --------------------------------------------------

TEST_F(ActionDecisionTest, ARequestGetsATokenKeyedByItsId) {
  ActionSubmission r = ok(access_request("STUDENT_BALANCE"));
  EXPECT_EQ(r.outcome.token, request_token_of(ServerSecret::from_passphrase("test"), r.outcome.id));
  const LedgerState& merged = state();
  const DataAccessRequest* stored = merged.actions().request(r.outcome.id);
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(stored->employer, company(kEmployer));
  EXPECT_EQ(stored->scope, AccessScope::kStudentBalance);
  EXPECT_EQ(merged.actions().request_by_token(r.outcome.token), stored);
}

TEST_F(ActionDecisionTest, AGrantLastsOneMonthForFlexiAndThreeForTheStudentBalance) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission flexi_request = ok(access_request("FLEXI"));
  ActionSubmission balance_request = ok(access_request("STUDENT_BALANCE"));
  ActionSubmission g1 = ok(grant(token_of(flexi_request)));
  EXPECT_EQ(g1.outcome.expires_at, instant("2025-02-15T10:00:00Z"));
  EXPECT_EQ(g1.outcome.subject, flexi_request.outcome.id);
  EXPECT_EQ(g1.outcome.employer, company(kEmployer));
  EXPECT_EQ(g1.outcome.scope, AccessScope::kFlexi);
  ActionSubmission g2 = ok(grant(token_of(balance_request)));
  EXPECT_EQ(g2.outcome.expires_at, instant("2025-04-15T09:00:00Z"));  // 11:00 in Brussels, as granted
  EXPECT_EQ(g2.outcome.scope, AccessScope::kStudentBalance);
}

TEST_F(ActionDecisionTest, AGrantWithAnUnknownTokenIsRefused) {
  EXPECT_EQ(reason(act(grant(kUnknownToken))), "unknownToken");
  EXPECT_EQ(reason(act(refuse(kUnknownToken))), "unknownToken");
}

TEST_F(ActionDecisionTest, ATokenIsSingleUseAfterAGrant) {
  const std::string token = token_of(ok(access_request()));
  ok(grant(token));
  EXPECT_EQ(reason(act(grant(token))), "tokenAlreadyUsed");
  EXPECT_EQ(reason(act(refuse(token))), "tokenAlreadyUsed");
  const ActionSubmission other = act(grant(token, kCitizen2));
  EXPECT_EQ(reason(other), "tokenAlreadyUsed");
  // Another citizen's answered request: the refusal names neither it nor its employer.
  EXPECT_EQ(other.outcome.subject, 0u);
  EXPECT_EQ(other.outcome.employer, 0u);
  const ActionSubmission again = act(grant(token));  // the caller's own: theirs to see
  EXPECT_NE(again.outcome.subject, 0u);
  EXPECT_NE(again.outcome.employer, 0u);
}

TEST_F(ActionDecisionTest, ATokenIsSingleUseAfterARefusal) {
  const std::string token = token_of(ok(access_request()));
  ok(refuse(token));
  EXPECT_EQ(reason(act(grant(token))), "tokenAlreadyUsed");
  EXPECT_EQ(reason(act(refuse(token))), "tokenAlreadyUsed");
}

TEST_F(ActionDecisionTest, ARevocationOfAnotherCitizensGrantIsRefused) {
  ActionSubmission r = ok(access_request());
  ok(grant(token_of(r)));
  EXPECT_EQ(reason(act(revoke(id_of(r), kCitizen2))), "unknownRequest");
}

TEST_F(ActionDecisionTest, ARevocationOfARequestNeverGrantedIsRefused) {
  ActionSubmission unanswered = ok(access_request());
  EXPECT_EQ(reason(act(revoke(id_of(unanswered)))), "unknownRequest");
  ActionSubmission refused = ok(access_request());
  ok(refuse(token_of(refused)));
  EXPECT_EQ(reason(act(revoke(id_of(refused)))), "unknownRequest");
  EXPECT_EQ(reason(act(revoke(kUnknownId))), "unknownRequest");
}

TEST_F(ActionDecisionTest, ARevocationEndsTheGrantAndASecondIsNotActive) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission r = ok(access_request());
  ok(grant(token_of(r)));
  at("2025-01-20T09:00:00Z");
  ActionSubmission v = ok(revoke(id_of(r)));
  EXPECT_EQ(v.outcome.subject, r.outcome.id);
  EXPECT_EQ(v.outcome.employer, company(kEmployer));
  const ConsentAnswer* answer = state().actions().answer(r.outcome.id);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->revoked_at, instant("2025-01-20T09:00:00Z"));
  EXPECT_EQ(reason(act(revoke(id_of(r)))), "notActive");
}

// DOMAIN §8 rule 12, as written: grants on 2025-01-15 for FLEXI and for STUDENT_BALANCE; a
// revocation on 2025-01-20 ends both grants immediately.
TEST_F(ActionDecisionTest, ARevocationEndsBothGrantsToTheEmployer) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission flexi = ok(access_request("FLEXI"));
  ActionSubmission balance = ok(access_request("STUDENT_BALANCE"));
  ok(grant(token_of(flexi)));
  ok(grant(token_of(balance)));
  at("2025-01-20T09:00:00Z");
  ok(revoke(id_of(flexi)));
  const ConsentAnswer* other = state().actions().answer(balance.outcome.id);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->revoked_at, instant("2025-01-20T09:00:00Z"));
  EXPECT_FALSE(other->in_force_at(instant("2025-01-20T09:00:00Z")));
  EXPECT_EQ(reason(act(revoke(id_of(balance)))), "notActive");
}

TEST_F(ActionDecisionTest, ARevocationAfterExpiryIsNotActive) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission r = ok(access_request("FLEXI"));
  ok(grant(token_of(r)));
  at("2025-02-15T09:59:59Z");
  const std::string bytes = action_bytes();
  at("2025-02-15T10:00:00Z");  // the expiry is excluded
  EXPECT_EQ(reason(act(revoke(id_of(r)))), "notActive");
  EXPECT_EQ(action_bytes(), bytes);
}

TEST_F(ActionDecisionTest, ARevocationJustBeforeExpiryIsAccepted) {
  at("2025-01-15T10:00:00Z");
  ActionSubmission r = ok(access_request("FLEXI"));
  ok(grant(token_of(r)));
  at("2025-02-15T09:59:59Z");
  ok(revoke(id_of(r)));
}

// --- Imported ids and tokens ---------------------------------------------------------------------------

TEST_F(ActionDecisionTest, AnImportedIdBecomesTheSubjectsId) {
  ActionSubmission r = ok(access_request("FLEXI", kEmployer, "," + quoted("requestId", "600000000111")));
  EXPECT_EQ(r.outcome.id, 600000000111u);
  EXPECT_NE(state().actions().request(600000000111), nullptr);
  ActionSubmission t = ok(break_request("2026-01-01", "2026-12-31", "," + quoted("ticket", "600000000212")));
  EXPECT_EQ(t.outcome.id, 600000000212u);
  EXPECT_NE(state().actions().ticket(600000000212), nullptr);
  ok(settings(true));
  ActionSubmission n = ok(notification("2026-02-01", "", "," + quoted("notificationId", "600000000313")));
  EXPECT_EQ(n.outcome.id, 600000000313u);
  EXPECT_NE(state().actions().notification(600000000313), nullptr);
}

TEST_F(ActionDecisionTest, AnImportedRequestIdInUseIsRefused) {
  ok(access_request("FLEXI", kEmployer, "," + quoted("requestId", "600000000111")));
  ActionSubmission again =
      act(access_request("STUDENT_BALANCE", kEmployer2, "," + quoted("requestId", "600000000111")));
  EXPECT_EQ(reason(again), "idInUse");
  EXPECT_NE(again.outcome.id, 600000000111u);  // the refused event has an id of its own
  EXPECT_EQ(state().actions().request(600000000111)->scope, AccessScope::kFlexi);
}

TEST_F(ActionDecisionTest, AnImportedTicketInUseIsRefused) {
  ok(break_request("2026-01-01", "2026-12-31", "," + quoted("ticket", "600000000212")));
  EXPECT_EQ(reason(act(break_request("2027-01-01", "2027-12-31", "," + quoted("ticket", "600000000212")))), "idInUse");
}

TEST_F(ActionDecisionTest, AnImportedNotificationIdInUseIsRefused) {
  ok(settings(true));
  ok(notification("2026-02-01", "", "," + quoted("notificationId", "600000000313")));
  EXPECT_EQ(reason(act(notification("2026-03-01", "", "," + quoted("notificationId", "600000000313")))), "idInUse");
}

TEST_F(ActionDecisionTest, AnImportedIdIsInUseWhateverKindHoldsIt) {
  ok(access_request("FLEXI", kEmployer, "," + quoted("requestId", "600000000111")));
  EXPECT_EQ(reason(act(break_request("2026-01-01", "2026-12-31", "," + quoted("ticket", "600000000111")))), "idInUse");
  ok(settings(true));
  EXPECT_EQ(reason(act(notification("2026-02-01", "", "," + quoted("notificationId", "600000000111")))), "idInUse");
  const std::string attestation = id_of(ok(attest(2025)));
  EXPECT_EQ(reason(act(access_request("FLEXI", kEmployer, "," + quoted("requestId", attestation)))), "idInUse");
}

TEST_F(ActionDecisionTest, AnImportedIdOfAPeriodIsInUse) {
  Submission in = submit(stu_in("2025-07-01", "2025-07-31", 30));
  EXPECT_EQ(reason(act(break_request("2026-01-01", "2026-12-31", "," + quoted("ticket", period_of(in))))), "idInUse");
}

// The ledger's own range is reserved for the ids it gives (each says its
// partition, ledger.h): an imported id there is refused even when unused.
TEST_F(ActionDecisionTest, AnImportedIdInTheLedgersOwnRangeIsRefused) {
  EXPECT_EQ(reason(act(break_request("2026-01-01", "2026-12-31", "," + quoted("ticket", kUnknownId)))), "idInUse");
  EXPECT_EQ(reason(act(access_request("FLEXI", kEmployer, "," + quoted("requestId", "700000000044")))), "idInUse");
  const Submission in = submit(R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},)"
                               R"("dimonaIn":{"periodId":799999999977,"features":{"jointCommissionNumber":"XXX",)"
                               R"("workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30}})");
  EXPECT_EQ(in.decision.result, ResultCode::kRefused);
  EXPECT_TRUE(in.decision.has(anomaly::kPeriodIdInvalid));
  ok(break_request("2026-01-01", "2026-12-31", "," + quoted("ticket", "699999999943")));  // just below: imported
}

TEST_F(ActionDecisionTest, AnImportedTokenInUseIsRefused) {
  const std::string token = token_of(ok(access_request()));
  EXPECT_EQ(reason(act(access_request("STUDENT_BALANCE", kEmployer2, "," + quoted("token", token)))), "idInUse");
  ActionSubmission imported = ok(access_request("FLEXI", kEmployer, "," + quoted("token", kUnknownToken)));
  EXPECT_EQ(token_of(imported), kUnknownToken);
  EXPECT_EQ(reason(act(access_request("FLEXI", kEmployer2, "," + quoted("token", kUnknownToken)))), "idInUse");
}

TEST_F(ActionDecisionTest, AnImportedIdEqualToAnotherActionsIdIsInUse) {
  ActionSubmission r = ok(access_request());
  ActionSubmission g = ok(grant(token_of(r)));  // the grant's own actionId names no record
  ActionSubmission clash = act(access_request("FLEXI", kEmployer2, "," + quoted("requestId", id_of(g))));
  EXPECT_EQ(reason(clash), "idInUse");
  for (const auto& [id, count] : event_ids()) EXPECT_EQ(count, 1) << "two events share the eventId " << id;
}

TEST_F(ActionDecisionTest, AnImportedIdOfARefusedActionIsNotLoggedTwice) {
  ActionSubmission refused = act(break_request("2026-12-31", "2026-01-01", "," + quoted("ticket", "600000000212")));
  EXPECT_EQ(reason(refused), "endBeforeStart");
  ActionSubmission retry = act(break_request("2026-01-01", "2026-12-31", "," + quoted("ticket", "600000000212")));
  EXPECT_NE(retry.outcome.id, refused.outcome.id);
  for (const auto& [id, count] : event_ids()) EXPECT_EQ(count, 1) << "two events share the eventId " << id;
}

// --- Rule 15: the career-break request ---------------------------------------------------------------

TEST_F(ActionDecisionTest, ARequestIsSubmittedWithItsTicket) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  EXPECT_TRUE(is_valid_dimona_id(s.outcome.id));
  EXPECT_EQ(s.outcome.subject, 0u);
  const CareerBreakRequest& t = ticket(s);
  EXPECT_EQ(t.state, BreakRequestState::kSubmitted);
  EXPECT_EQ(t.citizen, ssin(kCitizen));
  EXPECT_EQ(t.employer, company(kEmployer));
  EXPECT_EQ(t.start, date("2026-01-01"));
  EXPECT_EQ(t.end, date("2026-12-31"));
  EXPECT_EQ(t.regime_before_permille, 1000);
  EXPECT_EQ(t.regime_during_permille, 800);
}

TEST_F(ActionDecisionTest, WhileSubmittedTheEmployerMayChangeTheEndDateAndAttach) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ActionSubmission changed = ok(end_date(id_of(s), "2026-06-30"));
  EXPECT_EQ(changed.outcome.subject, s.outcome.id);
  EXPECT_EQ(changed.outcome.worker, ssin(kCitizen));  // resolved from the ticket
  ok(end_date(id_of(s), "2026-01-01"));               // the start day itself is a valid end
  ok(attach(id_of(s)));
  const CareerBreakRequest& t = ticket(s);
  EXPECT_EQ(t.state, BreakRequestState::kSubmitted);
  EXPECT_EQ(t.end, date("2026-01-01"));
  EXPECT_EQ(t.end_date_changes, 2);
  ASSERT_EQ(t.attachments.size(), 1u);
  EXPECT_EQ(t.attachments[0], "c4.pdf");
}

TEST_F(ActionDecisionTest, SubmittedThenCancelled) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(cancel(id_of(s)));
  EXPECT_EQ(ticket(s).state, BreakRequestState::kCancelled);
}

TEST_F(ActionDecisionTest, SubmittedThenEmployeeCompletedThenGranted) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(employee_part(id_of(s)));
  EXPECT_EQ(ticket(s).state, BreakRequestState::kEmployeeCompleted);
  EXPECT_FALSE(ticket(s).employer_may_consult());
  ActionSubmission d = ok(onem(id_of(s), "GRANTED"));
  EXPECT_EQ(d.outcome.worker, ssin(kCitizen));
  EXPECT_EQ(d.outcome.employer, company(kEmployer));
  EXPECT_EQ(ticket(s).state, BreakRequestState::kGranted);
}

TEST_F(ActionDecisionTest, SubmittedThenEmployeeCompletedThenRefused) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(employee_part(id_of(s)));
  ok(onem(id_of(s), "REFUSED"));
  EXPECT_EQ(ticket(s).state, BreakRequestState::kRefused);
}

TEST_F(ActionDecisionTest, AttachmentsStayAllowedAfterTheEmployeePartAndTheDecision) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(employee_part(id_of(s)));
  ok(attach(id_of(s)));
  ok(onem(id_of(s)));
  ok(attach(id_of(s)));
  EXPECT_EQ(ticket(s).attachments.size(), 2u);
  ActionSubmission refused = ok(break_request("2027-01-01", "2027-12-31"));
  ok(employee_part(id_of(refused)));
  ok(onem(id_of(refused), "REFUSED"));
  ok(attach(id_of(refused)));
}

TEST_F(ActionDecisionTest, AnAttachmentToACancelledRequestIsRefused) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(cancel(id_of(s)));
  EXPECT_EQ(reason(act(attach(id_of(s)))), "requestCancelled");
  EXPECT_TRUE(ticket(s).attachments.empty());
}

TEST_F(ActionDecisionTest, EveryActionOnACancelledRequestIsRefused) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(cancel(id_of(s)));
  EXPECT_EQ(reason(act(cancel(id_of(s)))), "requestCancelled");
  EXPECT_EQ(reason(act(end_date(id_of(s), "2026-06-30"))), "requestCancelled");
  EXPECT_EQ(reason(act(employee_part(id_of(s)))), "requestCancelled");
  EXPECT_EQ(reason(act(onem(id_of(s)))), "requestCancelled");
}

TEST_F(ActionDecisionTest, CancelAndEndDateAfterTheEmployeePartAreRefused) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(employee_part(id_of(s)));
  EXPECT_EQ(reason(act(cancel(id_of(s)))), "employeePartCompleted");
  EXPECT_EQ(reason(act(end_date(id_of(s), "2026-06-30"))), "employeePartCompleted");
  ok(onem(id_of(s)));
  EXPECT_EQ(reason(act(cancel(id_of(s)))), "employeePartCompleted");
  EXPECT_EQ(ticket(s).end, date("2026-12-31"));
}

TEST_F(ActionDecisionTest, TheEmployeePartTwiceIsRefused) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(employee_part(id_of(s)));
  EXPECT_EQ(reason(act(employee_part(id_of(s)))), "employeePartAlreadyCompleted");
  ok(onem(id_of(s)));
  EXPECT_EQ(reason(act(employee_part(id_of(s)))), "employeePartAlreadyCompleted");
}

TEST_F(ActionDecisionTest, AnOnemDecisionBeforeTheEmployeePartIsRefused) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  EXPECT_EQ(reason(act(onem(id_of(s)))), "employeePartNotCompleted");
  EXPECT_EQ(ticket(s).state, BreakRequestState::kSubmitted);
}

TEST_F(ActionDecisionTest, ASecondOnemDecisionIsRefused) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ok(employee_part(id_of(s)));
  ok(onem(id_of(s), "GRANTED"));
  EXPECT_EQ(reason(act(onem(id_of(s), "REFUSED"))), "alreadyDecided");
  EXPECT_EQ(ticket(s).state, BreakRequestState::kGranted);
}

TEST_F(ActionDecisionTest, AnUnknownTicketIsRefused) {
  EXPECT_EQ(reason(act(employee_part(kUnknownId))), "unknownTicket");
  EXPECT_EQ(reason(act(cancel(kUnknownId))), "unknownTicket");
  EXPECT_EQ(reason(act(end_date(kUnknownId, "2026-06-30"))), "unknownTicket");
  EXPECT_EQ(reason(act(attach(kUnknownId))), "unknownTicket");
  EXPECT_EQ(reason(act(onem(kUnknownId))), "unknownTicket");
  // A notification's id is no ticket.
  ok(settings(true));
  const std::string n = id_of(ok(notification("2026-02-01")));
  EXPECT_EQ(reason(act(cancel(n))), "unknownTicket");
}

// Rule 16, §6: an SSIN whose birth date is after the action's day is no one yet (as a declaration
// for it is refused 00024-003): every action for it is refused, and creates nothing.
TEST_F(ActionDecisionTest, AnActionForSomeoneBornLaterIsRefused) {
  const std::string later = "30123103371";  // 2030-12-31: only the 2000 branch checks
  EXPECT_EQ(reason(act(attest(2025, later))), "workerBornLater");
  EXPECT_EQ(reason(act(pension("2024-01-01", later))), "workerBornLater");
  EXPECT_TRUE(state().actions().attestations().empty());
  EXPECT_EQ(reason(act(attest(2025, "25060100180"))), "none") << "born on the ledger's day (2025-06-01)";
}

// An action's dates obey zone 00910's domain as a declaration's start does: from 1920, before the
// tenth year after the action's (the ledger's day is 2025-06-01); a pension not before the birth.
TEST_F(ActionDecisionTest, AnActionsDatesAreInTheDeclarationsDomain) {
  EXPECT_EQ(reason(act(pension("0001-01-01"))), "dateOutOfRange");
  EXPECT_EQ(reason(act(pension("9999-12-31"))), "dateOutOfRange");
  EXPECT_EQ(reason(act(pension("2004-01-01", "05031412595"))), "dateOutOfRange") << "born 2005-03-14";
  EXPECT_EQ(reason(act(pension("2034-12-31"))), "none");
  EXPECT_EQ(reason(act(break_request("0001-01-01", "2026-12-31"))), "dateOutOfRange");
  EXPECT_EQ(reason(act(break_request("2026-01-01", "9999-12-31"))), "dateOutOfRange");
  EXPECT_EQ(reason(act(break_request("2026-01-01", "2035-01-01"))), "dateOutOfRange");
  const std::string ticket = id_of(ok(break_request("2026-01-01", "2034-12-31")));
  EXPECT_EQ(reason(act(end_date(ticket, "9999-12-31"))), "dateOutOfRange");
  EXPECT_EQ(reason(act(end_date(ticket, "2026-06-30"))), "none");
  ok(settings(true));
  EXPECT_EQ(reason(act(notification("1919-12-31"))), "dateOutOfRange");
  const std::string n = id_of(ok(notification("2026-02-01")));
  EXPECT_EQ(reason(act(postpone(n, "9999-01-01"))), "dateOutOfRange");
}

// Another party's ticket is refused as one that does not exist: ids come nearly in sequence.
TEST_F(ActionDecisionTest, AnotherEmployerOrWorkerIsNotTheRequests) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  EXPECT_EQ(reason(act(cancel(id_of(s), kEmployer2))), "unknownTicket");
  EXPECT_EQ(reason(act(end_date(id_of(s), "2026-06-30", kEmployer2))), "unknownTicket");
  EXPECT_EQ(reason(act(attach(id_of(s), kEmployer2))), "unknownTicket");
  EXPECT_EQ(reason(act(employee_part(id_of(s), kCitizen2))), "unknownTicket");
  // The right employer naming the wrong worker.
  EXPECT_EQ(reason(act(action_line(employer(kEmployer) + "," + worker(kCitizen2), "careerBreakCancellation",
                                   "{" + quoted("ticket", id_of(s)) + "}"))),
            "unknownTicket");
  // The right worker naming the wrong employer.
  EXPECT_EQ(reason(act(action_line(employer(kEmployer2) + "," + worker(kCitizen), "careerBreakEmployeePart",
                                   "{" + quoted("ticket", id_of(s)) + "}"))),
            "unknownTicket");
  EXPECT_EQ(ticket(s).state, BreakRequestState::kSubmitted);
}

TEST_F(ActionDecisionTest, AnEndBeforeTheStartIsRefused) {
  EXPECT_EQ(reason(act(break_request("2026-12-31", "2026-01-01"))), "endBeforeStart");
  ok(settings(true));
  EXPECT_EQ(reason(act(notification("2026-12-31", "2026-01-01"))), "endBeforeStart");
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  EXPECT_EQ(reason(act(end_date(id_of(s), "2025-12-31"))), "endBeforeStart");
  EXPECT_EQ(ticket(s).end, date("2026-12-31"));
}

TEST_F(ActionDecisionTest, AnEmployersActionOnATicketIsLoggedInItsEmployeesPartition) {
  ActionSubmission s = ok(break_request("2026-01-01", "2026-12-31"));
  ActionSubmission c = ok(cancel(id_of(s)));
  EXPECT_EQ(c.partition, ledger_->partition_of(ssin(kCitizen)));
  EXPECT_EQ(c.partition, s.partition);
}

// --- Rule 15: the employee's notification ---------------------------------------------------------------

TEST_F(ActionDecisionTest, ANotificationToAnEmployerWithoutSettingsIsRefused) {
  EXPECT_EQ(reason(act(notification("2026-02-01"))), "notificationsNotAccepted");
}

TEST_F(ActionDecisionTest, ANotificationToAnEmployerThatDoesNotAcceptThemIsRefused) {
  ok(settings(false));
  EXPECT_EQ(reason(act(notification("2026-02-01"))), "notificationsNotAccepted");
  ok(settings(true));
  ok(notification("2026-02-01"));
  ok(settings(false));  // the latest settings decide
  EXPECT_EQ(reason(act(notification("2026-03-01"))), "notificationsNotAccepted");
  ok(settings(true, kEmployer2));  // another employer's settings do not count
  EXPECT_EQ(reason(act(notification("2026-03-01"))), "notificationsNotAccepted");
}

TEST_F(ActionDecisionTest, ANotificationIsReceivedThenPostponedThenValidated) {
  ok(settings(true));
  ActionSubmission n = ok(notification("2026-02-01", "2026-12-31"));
  EXPECT_EQ(notice(n).state, NotificationState::kReceived);
  ok(attach_to_notification(id_of(n)));
  ok(postpone(id_of(n), "2026-03-01"));
  EXPECT_EQ(notice(n).state, NotificationState::kPostponed);
  EXPECT_EQ(notice(n).start, date("2026-03-01"));
  ok(postpone(id_of(n), "2026-04-01"));
  ok(attach_to_notification(id_of(n)));
  EXPECT_EQ(notice(n).postponements, 2);
  ok(validate(id_of(n)));
  EXPECT_EQ(notice(n).state, NotificationState::kValidated);
  EXPECT_EQ(notice(n).attachments.size(), 2u);
}

TEST_F(ActionDecisionTest, ANotificationIsReceivedThenRefusedOrValidated) {
  ok(settings(true));
  ActionSubmission refused = ok(notification("2026-02-01"));
  ok(refuse_notification(id_of(refused)));
  EXPECT_EQ(notice(refused).state, NotificationState::kRefused);
  ActionSubmission validated = ok(notification("2026-02-01"));
  ok(validate(id_of(validated)));
  EXPECT_EQ(notice(validated).state, NotificationState::kValidated);
  ActionSubmission postponed = ok(notification("2026-02-01"));
  ok(postpone(id_of(postponed), "2026-05-01"));
  ok(refuse_notification(id_of(postponed)));
  EXPECT_EQ(notice(postponed).state, NotificationState::kRefused);
}

TEST_F(ActionDecisionTest, ARefusedOrValidatedNotificationIsClosed) {
  ok(settings(true));
  ActionSubmission refused = ok(notification("2026-02-01"));
  ok(refuse_notification(id_of(refused)));
  ActionSubmission validated = ok(notification("2026-02-01"));
  ok(validate(id_of(validated)));
  for (const ActionSubmission* n : {&refused, &validated}) {
    EXPECT_EQ(reason(act(postpone(id_of(*n), "2026-09-01"))), "notificationClosed");
    EXPECT_EQ(reason(act(refuse_notification(id_of(*n)))), "notificationClosed");
    EXPECT_EQ(reason(act(validate(id_of(*n)))), "notificationClosed");
    EXPECT_EQ(reason(act(attach_to_notification(id_of(*n)))), "notificationClosed");
  }
  EXPECT_EQ(notice(refused).state, NotificationState::kRefused);
  EXPECT_TRUE(notice(validated).attachments.empty());
}

TEST_F(ActionDecisionTest, APostponementMustMoveTheStartLater) {
  ok(settings(true));
  ActionSubmission n = ok(notification("2026-02-01"));
  EXPECT_EQ(reason(act(postpone(id_of(n), "2026-02-01"))), "postponementNotLater");
  EXPECT_EQ(reason(act(postpone(id_of(n), "2026-01-15"))), "postponementNotLater");
  EXPECT_EQ(notice(n).state, NotificationState::kReceived);
  ok(postpone(id_of(n), "2026-02-02"));
  EXPECT_EQ(reason(act(postpone(id_of(n), "2026-02-02"))), "postponementNotLater");  // against the new start
}

TEST_F(ActionDecisionTest, APostponementPastTheEndDateIsRefused) {
  ok(settings(true));
  ActionSubmission n = ok(notification("2026-02-01", "2026-03-31"));
  ActionSubmission late = act(postpone(id_of(n), "2026-06-01"));
  EXPECT_EQ(reason(late), "endBeforeStart");
}

TEST_F(ActionDecisionTest, AnUnknownNotificationIsRefused) {
  EXPECT_EQ(reason(act(postpone(kUnknownId, "2026-09-01"))), "unknownNotification");
  EXPECT_EQ(reason(act(refuse_notification(kUnknownId))), "unknownNotification");
  EXPECT_EQ(reason(act(validate(kUnknownId))), "unknownNotification");
  EXPECT_EQ(reason(act(attach_to_notification(kUnknownId))), "unknownNotification");
  const std::string t = id_of(ok(break_request("2026-01-01", "2026-12-31")));
  EXPECT_EQ(reason(act(validate(t))), "unknownNotification");  // a ticket is no notification
}

TEST_F(ActionDecisionTest, AnotherEmployerMayNotActOnTheNotification) {
  ok(settings(true));
  ActionSubmission n = ok(notification("2026-02-01"));
  EXPECT_EQ(reason(act(postpone(id_of(n), "2026-09-01", kEmployer2))), "unknownNotification");
  EXPECT_EQ(reason(act(refuse_notification(id_of(n), kEmployer2))), "unknownNotification");
  EXPECT_EQ(reason(act(validate(id_of(n), kEmployer2))), "unknownNotification");
  EXPECT_EQ(reason(act(attach_to_notification(id_of(n), kEmployer2))), "unknownNotification");
  EXPECT_EQ(notice(n).state, NotificationState::kReceived);
}

// --- A refusal changes nothing, and is logged ----------------------------------------------------------

TEST_F(ActionDecisionTest, ARefusedActionChangesNothingButIsLogged) {
  ok(settings(true));
  ActionSubmission r = ok(access_request());
  ok(grant(token_of(r)));
  ActionSubmission t = ok(break_request("2026-01-01", "2026-12-31"));
  ok(employee_part(id_of(t)));
  ActionSubmission n = ok(notification("2026-02-01"));
  ok(validate(id_of(n)));
  ASSERT_TRUE(ledger_->commit().is_ok());
  const std::vector<std::string> refused = {
      attest(2024),
      grant(token_of(r)),
      revoke(id_of(r), kCitizen2),
      cancel(id_of(t)),
      end_date(id_of(t), "2026-06-30"),
      employee_part(id_of(t)),
      attach(kUnknownId),
      postpone(id_of(n), "2026-09-01"),
      attach_to_notification(id_of(n)),
      break_request("2026-12-31", "2026-01-01"),
      notification("2026-02-01", "", "", kEmployer2),
      access_request("FLEXI", kEmployer, "," + quoted("requestId", id_of(r))),
  };
  for (const std::string& json : refused) {
    const std::string before = action_bytes();
    const uint64_t events = testing::event_count(log_);
    ActionSubmission s = act(json);
    EXPECT_FALSE(s.outcome.accepted()) << json;
    EXPECT_EQ(action_bytes(), before) << json;
    ASSERT_TRUE(ledger_->commit().is_ok());
    EXPECT_EQ(testing::event_count(log_), events + 1) << json;
  }
}

TEST_F(ActionDecisionTest, EveryActionGetsAFreshIdEvenWhenRefused) {
  const ActionSubmission a = act(attest(2024));
  const ActionSubmission b = act(attest(2024));
  EXPECT_TRUE(is_valid_dimona_id(a.outcome.id));
  EXPECT_NE(a.outcome.id, b.outcome.id);
}

// --- Rule 13: flexi eligibility -------------------------------------------------------------------------

TEST_F(ActionDecisionTest, FlexiInQ1LooksAtTheSecondQuarterOfTheYearBefore) {
  ok(occupation(kEmployer2, 2024, 2, "0.8"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_TRUE(a.eligible);
  EXPECT_EQ(a.route, FlexiRoute::kOccupation);
  EXPECT_EQ(a.reason, FlexiReason::kOccupation);
  EXPECT_EQ(a.t3_permille, 800u);
  EXPECT_TRUE(a.reduction_checked);
  // The same occupation one quarter off is not T-3.
  EXPECT_FALSE(flexi("2025-Q2").eligible);
  EXPECT_EQ(flexi("2024-Q4").t3_permille, 0u);
}

TEST_F(ActionDecisionTest, FlexiSumsTheOccupationAtOtherEmployers) {
  ok(occupation(kEmployer2, 2024, 2, "0.5"));
  ok(occupation(kEmployer3, 2024, 2, "0.3"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_TRUE(a.eligible);
  EXPECT_EQ(a.t3_permille, 800u);
}

TEST_F(ActionDecisionTest, FlexiDoesNotCountTheFlexiEmployersOwnOccupation) {
  ok(occupation(kEmployer, 2024, 2, "0.5"));
  ok(occupation(kEmployer2, 2024, 2, "0.5"));
  FlexiAnswer a = flexi("2025-Q1", kEmployer);
  EXPECT_FALSE(a.eligible);
  EXPECT_EQ(a.reason, FlexiReason::kOccupationTooLow);
  EXPECT_EQ(a.t3_permille, 500u);
  EXPECT_TRUE(flexi("2025-Q1", kEmployer3).eligible);  // for a third employer both count: 1.0
}

TEST_F(ActionDecisionTest, FlexiBelowFourFifthsIsNotEligible) {
  ok(occupation(kEmployer2, 2024, 2, "0.79"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_FALSE(a.eligible);
  EXPECT_EQ(a.route, FlexiRoute::kNone);
  EXPECT_EQ(a.reason, FlexiReason::kOccupationTooLow);
  EXPECT_EQ(a.t3_permille, 790u);
}

TEST_F(ActionDecisionTest, FlexiFrom2024RefusesAReductionFromT5ToT4) {
  ok(occupation(kEmployer2, 2023, 4, "1"));
  ok(occupation(kEmployer2, 2024, 1, "0.8"));
  ok(occupation(kEmployer2, 2024, 2, "0.8"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_FALSE(a.eligible);
  EXPECT_EQ(a.reason, FlexiReason::kReducedT5ToT4);
  EXPECT_EQ(a.t5_permille, 1000u);
  EXPECT_EQ(a.t4_permille, 800u);
}

TEST_F(ActionDecisionTest, FlexiFrom2024RefusesAReductionFromT4ToT3) {
  ok(occupation(kEmployer2, 2023, 4, "1"));
  ok(occupation(kEmployer2, 2024, 1, "1"));
  ok(occupation(kEmployer2, 2024, 2, "0.8"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_FALSE(a.eligible);
  EXPECT_EQ(a.reason, FlexiReason::kReducedT4ToT3);
}

TEST_F(ActionDecisionTest, FlexiBefore2024DoesNotCheckAReduction) {
  ok(occupation(kEmployer2, 2022, 3, "1"));    // T-5 of 2023-Q4
  ok(occupation(kEmployer2, 2022, 4, "1"));    // T-4
  ok(occupation(kEmployer2, 2023, 1, "0.8"));  // T-3
  FlexiAnswer a = flexi("2023-Q4");
  EXPECT_TRUE(a.eligible);
  EXPECT_FALSE(a.reduction_checked);
  EXPECT_EQ(a.t3_permille, 800u);
  // The same figures one year later are checked.
  ok(occupation(kEmployer2, 2023, 3, "1"));
  ok(occupation(kEmployer2, 2023, 4, "1"));
  ok(occupation(kEmployer2, 2024, 1, "0.8"));
  EXPECT_EQ(flexi("2024-Q4").reason, FlexiReason::kReducedT4ToT3);
}

TEST_F(ActionDecisionTest, TheReductionRuleIsPluggable) {
  ok(occupation(kEmployer2, 2023, 4, "1"));
  ok(occupation(kEmployer2, 2024, 1, "1"));
  ok(occupation(kEmployer2, 2024, 2, "0.95"));
  EXPECT_EQ(flexi("2025-Q1").reason, FlexiReason::kReducedT4ToT3);
  EXPECT_TRUE(flexi("2025-Q1", kEmployer, *ReductionRule::parse("ignore")).eligible);
  EXPECT_TRUE(flexi("2025-Q1", kEmployer, *ReductionRule::parse("tolerance:0.05")).eligible);  // 0.05 down: tolerated
  EXPECT_FALSE(flexi("2025-Q1", kEmployer, *ReductionRule::parse("tolerance:0.04")).eligible);
  EXPECT_EQ(flexi("2025-Q1", kEmployer, *ReductionRule::parse("strict")).reason, FlexiReason::kReducedT4ToT3);
}

TEST_F(ActionDecisionTest, AReductionRuleIsParsedOrRefused) {
  ASSERT_TRUE(ReductionRule::parse("tolerance:0.05"));
  EXPECT_EQ(ReductionRule::parse("tolerance:0.05")->kind, ReductionRule::Kind::kTolerance);
  EXPECT_EQ(ReductionRule::parse("tolerance:0.05")->tolerance_permille, 50);
  EXPECT_EQ(ReductionRule::parse("ignore")->kind, ReductionRule::Kind::kIgnore);
  EXPECT_EQ(ReductionRule::parse("strict")->kind, ReductionRule::Kind::kStrict);
  for (const char* bad :
       {"", "lenient", "tolerance:", "tolerance:x", "tolerance:1.5", "tolerance:-0.1", "Strict", "tolerance:0.05x"})
    EXPECT_FALSE(ReductionRule::parse(bad)) << bad;
}

TEST_F(ActionDecisionTest, APensionerByTheEndOfT2IsEligible) {
  ok(pension("2024-09-30"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_TRUE(a.eligible);
  EXPECT_EQ(a.route, FlexiRoute::kPensioner);
  EXPECT_EQ(a.reason, FlexiReason::kPensioner);
  EXPECT_EQ(a.pension_deadline, date("2024-09-30"));
}

TEST_F(ActionDecisionTest, APensionerAfterTheEndOfT2IsNot) {
  ok(pension("2024-10-01"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_FALSE(a.eligible);
  EXPECT_EQ(a.reason, FlexiReason::kOccupationTooLow);
  ASSERT_TRUE(a.pensioned_as_of);
  EXPECT_EQ(*a.pensioned_as_of, date("2024-10-01"));
  EXPECT_TRUE(flexi("2025-Q2").eligible);  // by the end of 2024-Q4
}

TEST_F(ActionDecisionTest, ThePensionerRouteStartsIn2018) {
  ok(pension("2010-01-01"));
  EXPECT_FALSE(flexi("2017-Q4").eligible);
  EXPECT_TRUE(flexi("2018-Q1").eligible);
}

TEST_F(ActionDecisionTest, APensionStatusNullClearsThePension) {
  ok(pension("2024-09-01"));
  ok(pension("null"));
  const PensionRecord* p = state().actions().pension(ssin(kCitizen));
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->pensioned_as_of);
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_FALSE(a.eligible);
  EXPECT_FALSE(a.pensioned_as_of);
}

TEST_F(ActionDecisionTest, ALaterOccupationRecordReplacesTheEarlierOne) {
  ok(occupation(kEmployer2, 2024, 2, "0.5"));
  ok(occupation(kEmployer2, 2024, 2, "0.9"));
  EXPECT_EQ(flexi("2025-Q1").t3_permille, 900u);
  ok(occupation(kEmployer2, 2024, 2, "0.7"));
  FlexiAnswer a = flexi("2025-Q1");
  EXPECT_EQ(a.t3_permille, 700u);
  EXPECT_FALSE(a.eligible);
  ok(occupation(kEmployer3, 2024, 2, "0.1"));  // another employer adds
  EXPECT_EQ(flexi("2025-Q1").t3_permille, 800u);
}

TEST_F(ActionDecisionTest, AFlexiInForSomeoneNotEligibleGetsAWarning) {
  Submission s = submit(flexi_in("2025-07-01"));
  EXPECT_EQ(s.decision.result, ResultCode::kWarning);
  EXPECT_TRUE(has_anomaly(s, anomaly::kFlexiConditions));
  EXPECT_NE(s.decision.period_id.value, 0u);  // accepted all the same
}

TEST_F(ActionDecisionTest, AFlexiInForSomeoneEligibleIsAccepted) {
  ok(occupation(kEmployer2, 2024, 4, "0.8"));  // T-3 of 2025-Q3
  Submission s = submit(flexi_in("2025-07-01"));
  EXPECT_EQ(s.decision.result, ResultCode::kAccepted);
  EXPECT_FALSE(has_anomaly(s, anomaly::kFlexiConditions));
  // The occupation at the flexi employer itself would not have done.
  ok(occupation(kEmployer, 2024, 4, "1", kCitizen2));
  EXPECT_TRUE(has_anomaly(submit(flexi_in("2025-07-01", kCitizen2)), anomaly::kFlexiConditions));
}

TEST_F(ActionDecisionTest, AFlexiInForAPensionerIsAccepted) {
  ok(pension("2025-03-31"));  // by the end of 2025-Q1, T-2 of 2025-Q3
  EXPECT_EQ(submit(flexi_in("2025-07-01")).decision.result, ResultCode::kAccepted);
}

// The Ledger decides an action once, with a placeholder id, then gives it the
// fresh id of its partition (restamp_fresh_id): the outcome must be the one
// deciding with that id gives, for every kind whose outcome holds the id.
TEST_F(ActionDecisionTest, RestampingTheFreshIdGivesTheDecisionOfThatId) {
  const ActionSubmission made = act(access_request());
  act(attest(2025));
  const std::vector<std::string> lines = {
      access_request(),
      access_request("FLEXI", kEmployer, R"(,"token":"7K3M9Q2XW8D4RZ6T1VBA")"),
      access_request("FLEXI", kEmployer, R"(,"requestId":"123456789002")"),
      access_request("FLEXI", kEmployer, R"(,"requestId":"700000000044")"),  // the ledger's range: idInUse
      grant(to_string(made.outcome.token)),
      grant(kUnknownToken),
      attest(2025),
      attest(2025, kCitizen),
      action_line(employer(kEmployer) + "," + worker(kCitizen), "careerBreakRequest",
                  R"({"leaveKind":"TIME_CREDIT","fraction":"1/2","startDate":"2025-09-01","endDate":"2025-12-31",)"
                  R"("regimeBefore":1,"regimeDuring":0.5})"),
  };
  const ServerSecret secret = ServerSecret::from_passphrase("test");
  const Instant at = *parse_instant("2025-06-02T08:00:00Z");
  const uint64_t placeholder = dimona_id_from_body(kLedgerIdBodyFirst);
  const uint64_t fresh = dimona_id_from_body(kLedgerIdBodyFirst + 4 * 41 + 3);
  for (std::string json : lines) {
    const size_t size = json.size();
    json.resize(size + kJsonPadding, ' ');
    Result<Command> c = decoder_.decode_command(std::string_view(json.data(), size), json.size());
    ASSERT_TRUE(c.is_ok() && c->is_action) << json;
    const ActionOutcome want = decide_action(state(), c->action, at, secret, fresh);
    ActionOutcome got = decide_action(state(), c->action, at, secret, placeholder);
    restamp_fresh_id(c->action, secret, placeholder, fresh, &got);
    EXPECT_EQ(got.id, want.id) << json;
    EXPECT_EQ(got.token, want.token) << json;
    EXPECT_EQ(got.refusal, want.refusal) << json;
    EXPECT_EQ(got.worker, want.worker) << json;
    EXPECT_EQ(got.access_code, want.access_code) << json;
  }
}

TEST_F(ActionDecisionTest, QuartersAreParsedAndWritten) {
  EXPECT_EQ(quarter("2025-Q1"), 2025 * 4);
  EXPECT_EQ(quarter_string(quarter("2024-Q3")), "2024-Q3");
  for (const char* bad : {"2025-Q5", "2025-Q0", "2025Q1", "25-Q1", "2025-q1", ""})
    EXPECT_FALSE(parse_quarter(bad)) << bad;
}

}  // namespace
}  // namespace dimona
