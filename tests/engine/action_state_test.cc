// ActionState: the fold of accepted action events, its checks of the log
// (apply() refuses what decide_action() would never have accepted), and its
// checkpoint bytes, alone and inside a LedgerState.
#include "engine/action_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/event.h"
#include "engine/ledger_state.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

constexpr Ssin kCitizen{85073003328};
constexpr Ssin kCitizen2{85073003526};
constexpr uint64_t kEmployer = 403019261;

Instant instant(const char* text) { return *parse_instant(text); }
Date date(const char* text) { return *parse_date(text); }

// Accepted action events built by hand, as the log would hold them.
class ActionStateTest : public ::testing::Test {
 protected:
  Event event(ActionKind kind, uint64_t id, Ssin citizen = kCitizen, uint64_t employer = kEmployer) {
    Event e;
    e.type = event_type_of(kind);
    e.recorded_at = at_;
    e.ssin = citizen;
    e.source = "test";
    e.action.action.kind = kind;
    e.action.outcome.id = id;
    e.action.outcome.worker = citizen;
    e.action.outcome.employer = employer;
    return e;
  }
  Event request(uint64_t id, AccessScope scope = AccessScope::kFlexi) {
    Event e = event(ActionKind::kDataAccessRequest, id, Ssin{});
    e.action.action.scope = scope;
    e.action.outcome.token = AccessToken{0, id};
    return e;
  }
  Event answer(bool grant, uint64_t id, uint64_t request_id, Ssin citizen = kCitizen) {
    Event e = event(grant ? ActionKind::kDataAccessGrant : ActionKind::kDataAccessRefusal, id, citizen);
    e.action.outcome.subject = request_id;
    e.action.outcome.expires_at = add_months(at_, 1);
    return e;
  }
  Event revocation(uint64_t id, uint64_t request_id, Ssin citizen = kCitizen) {
    Event e = event(ActionKind::kDataAccessRevocation, id, citizen);
    e.action.outcome.subject = request_id;
    return e;
  }
  Event break_request(uint64_t ticket) {
    Event e = event(ActionKind::kCareerBreakRequest, ticket);
    e.action.action.start_date = date("2026-01-01");
    e.action.action.end_date = date("2026-12-31");
    return e;
  }
  Event on_ticket(ActionKind kind, uint64_t id, uint64_t ticket) {
    Event e = event(kind, id);
    e.action.outcome.subject = ticket;
    e.action.action.end_date = date("2026-06-30");
    e.action.action.file_name = "c4.pdf";
    return e;
  }
  Event notification(uint64_t id) {
    Event e = event(ActionKind::kCareerBreakNotification, id);
    e.action.action.start_date = date("2026-02-01");
    return e;
  }
  Event on_notification(ActionKind kind, uint64_t id, uint64_t notification_id) {
    Event e = event(kind, id);
    e.action.outcome.subject = notification_id;
    e.action.action.to_notification = true;
    e.action.action.start_date = date("2026-03-01");
    e.action.action.file_name = "n.pdf";
    return e;
  }

  void fold(const Event& e) {
    Status s = state_.apply(e);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
  }
  // apply() must refuse `e` as corruption and leave the state as it was.
  void expect_corruption(const Event& e) {
    const std::string before = bytes();
    Status s = state_.apply(e);
    EXPECT_EQ(s.code(), Code::kCorruption) << event_type_name(e.type) << ": " << s.to_string();
    EXPECT_EQ(bytes(), before) << event_type_name(e.type) << " changed the state";
  }
  std::string bytes() const {
    std::string out;
    state_.save(&out);
    return out;
  }

  Instant at_ = instant("2025-03-17T10:00:00Z");
  ActionState state_;
};

// --- apply(): the log contradicting itself ---------------------------------------------------------

TEST_F(ActionStateTest, ARevocationOfAnUnknownGrantIsCorruption) {
  expect_corruption(revocation(700000000145, 600000000111));
}

TEST_F(ActionStateTest, ARevocationOfARefusalOrOfAnotherCitizensGrantIsCorruption) {
  fold(request(600000000111));
  fold(answer(false, 700000000048, 600000000111));
  expect_corruption(revocation(700000000145, 600000000111));
  fold(request(600000000212));
  fold(answer(true, 700000000242, 600000000212));
  expect_corruption(revocation(700000000339, 600000000212, kCitizen2));
}

// decide_action refuses a revocation of a grant no longer in force (notActive); a log decided
// before rule 12 ended a grant's siblings may hold one of a sibling: it ends nothing more.
TEST_F(ActionStateTest, ASecondRevocationEndsNothingMore) {
  fold(request(600000000111));
  fold(answer(true, 700000000048, 600000000111));
  fold(revocation(700000000145, 600000000111));
  EXPECT_EQ(state_.answer(600000000111)->revoked_at, at_);
  const std::string before = bytes();
  at_.micros += 1'000'000;
  fold(revocation(700000000242, 600000000111));
  EXPECT_EQ(bytes(), before);
}

// Rule 12: one revocation ends every grant of the citizen to that employer in force then, of
// either scope; another employer's grant, a refusal, an expired grant and a later grant stay.
TEST_F(ActionStateTest, ARevocationEndsEveryGrantToThatEmployerInForce) {
  constexpr uint64_t kOther = 403019360;
  fold(request(600000000111));                                // FLEXI
  fold(request(600000000212, AccessScope::kStudentBalance));  // the same employer
  Event other = request(600000000313);
  other.action.outcome.employer = kOther;
  fold(other);
  fold(request(600000000414));
  fold(request(600000000515));
  fold(answer(true, 700000000048, 600000000111));
  fold(answer(true, 700000000145, 600000000212));
  Event to_other = answer(true, 700000000242, 600000000313);
  to_other.action.outcome.employer = kOther;
  fold(to_other);
  fold(answer(false, 700000000339, 600000000414));
  const Instant granted = at_;
  at_.micros += 3'600'000'000LL;  // an hour later
  fold(revocation(700000000436, 600000000111));
  EXPECT_EQ(state_.answer(600000000111)->revoked_at, at_);
  EXPECT_EQ(state_.answer(600000000212)->revoked_at, at_) << "the other scope's grant to that employer";
  EXPECT_FALSE(state_.answer(600000000313)->revoked()) << "another employer's grant";
  EXPECT_FALSE(state_.answer(600000000414)->revoked()) << "a refusal";
  at_.micros += 3'600'000'000LL;
  fold(answer(true, 700000000533, 600000000515));
  EXPECT_FALSE(state_.answer(600000000515)->revoked()) << "a grant made after the revocation";
  EXPECT_TRUE(state_.answer(600000000515)->in_force_at(at_));
  EXPECT_FALSE(state_.answer(600000000212)->in_force_at(at_));
  EXPECT_TRUE(state_.answer(600000000212)->in_force_at(granted));
  // A grant made at the revocation's very instant, after it in the log, is a new authorisation:
  // in force live, and after a save and load alike.
  fold(request(600000000616));
  fold(revocation(700000000630, 600000000515));
  fold(answer(true, 700000000727, 600000000616));
  EXPECT_TRUE(state_.answer(600000000616)->in_force_at(at_));
  EXPECT_FALSE(state_.answer(600000000515)->in_force_at(at_));
  // The checkpoint bytes give the same state back.
  ActionState loaded;
  const std::string saved = bytes();
  ASSERT_TRUE(ActionState::load(saved, &loaded).is_ok());
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, saved);
  EXPECT_TRUE(loaded.answer(600000000616)->in_force_at(at_));
}

TEST_F(ActionStateTest, ASecondAnswerToARequestIsCorruption) {
  fold(request(600000000111));
  fold(answer(true, 700000000048, 600000000111));
  expect_corruption(answer(false, 700000000145, 600000000111));
  expect_corruption(answer(true, 700000000145, 600000000111, kCitizen2));
}

TEST_F(ActionStateTest, AnAnswerWithoutItsCitizenOrEmployerIsCorruption) {
  Event no_citizen = answer(true, 700000000048, 600000000111, Ssin{});
  expect_corruption(no_citizen);
  Event no_employer = answer(true, 700000000048, 600000000111);
  no_employer.action.outcome.employer = 0;
  expect_corruption(no_employer);
}

TEST_F(ActionStateTest, AGrantNeedsNoRequestInItsPartition) {
  fold(answer(true, 700000000048, 600000000111));  // the request sits in partition 0, not here
  ASSERT_NE(state_.answer(600000000111), nullptr);
  EXPECT_EQ(state_.answer(600000000111)->employer, kEmployer);
}

TEST_F(ActionStateTest, ARecordReusingAnIdIsCorruption) {
  fold(request(600000000111));
  expect_corruption(request(600000000111));
  fold(break_request(600000000212));
  expect_corruption(break_request(600000000212));
  fold(notification(600000000313));
  expect_corruption(notification(600000000313));
}

TEST_F(ActionStateTest, AnAttestationWithoutItsCitizenIsCorruption) {
  expect_corruption(event(ActionKind::kAttestationRequest, 700000000048, Ssin{}));
}

TEST_F(ActionStateTest, AnOnemDecisionBeforeTheEmployeePartIsCorruption) {
  fold(break_request(600000000212));
  expect_corruption(on_ticket(ActionKind::kOnemDecision, 700000000048, 600000000212));
}

TEST_F(ActionStateTest, AnEmployerEditAfterTheEmployeePartIsCorruption) {
  fold(break_request(600000000212));
  fold(on_ticket(ActionKind::kCareerBreakEmployeePart, 700000000048, 600000000212));
  expect_corruption(on_ticket(ActionKind::kCareerBreakCancellation, 700000000145, 600000000212));
  expect_corruption(on_ticket(ActionKind::kCareerBreakEndDate, 700000000145, 600000000212));
  expect_corruption(on_ticket(ActionKind::kCareerBreakEmployeePart, 700000000145, 600000000212));
  fold(on_ticket(ActionKind::kCareerBreakAttachment, 700000000145, 600000000212));  // allowed
  fold(on_ticket(ActionKind::kOnemDecision, 700000000242, 600000000212));
  expect_corruption(on_ticket(ActionKind::kOnemDecision, 700000000339, 600000000212));
  EXPECT_EQ(state_.ticket(600000000212)->state, BreakRequestState::kGranted);
}

TEST_F(ActionStateTest, AnyActionOnACancelledRequestIsCorruption) {
  fold(break_request(600000000212));
  fold(on_ticket(ActionKind::kCareerBreakCancellation, 700000000048, 600000000212));
  for (ActionKind k :
       {ActionKind::kCareerBreakCancellation, ActionKind::kCareerBreakEndDate, ActionKind::kCareerBreakAttachment,
        ActionKind::kCareerBreakEmployeePart, ActionKind::kOnemDecision})
    expect_corruption(on_ticket(k, 700000000145, 600000000212));
}

TEST_F(ActionStateTest, AnActionOnAnUnknownTicketOrNotificationIsCorruption) {
  expect_corruption(on_ticket(ActionKind::kCareerBreakEmployeePart, 700000000048, 600000000212));
  expect_corruption(on_ticket(ActionKind::kCareerBreakAttachment, 700000000048, 600000000212));
  expect_corruption(on_notification(ActionKind::kCareerBreakNotificationValidation, 700000000048, 600000000313));
  expect_corruption(on_notification(ActionKind::kCareerBreakAttachment, 700000000048, 600000000313));
}

TEST_F(ActionStateTest, AnActionOnAClosedNotificationIsCorruption) {
  fold(notification(600000000313));
  fold(on_notification(ActionKind::kCareerBreakNotificationValidation, 700000000048, 600000000313));
  for (ActionKind k : {ActionKind::kCareerBreakPostponement, ActionKind::kCareerBreakNotificationRefusal,
                       ActionKind::kCareerBreakNotificationValidation, ActionKind::kCareerBreakAttachment})
    expect_corruption(on_notification(k, 700000000145, 600000000313));
}

TEST_F(ActionStateTest, TheFoldFollowsTheStateMachines) {
  fold(break_request(600000000212));
  fold(on_ticket(ActionKind::kCareerBreakEndDate, 700000000048, 600000000212));
  fold(on_ticket(ActionKind::kCareerBreakEmployeePart, 700000000145, 600000000212));
  Event refused = on_ticket(ActionKind::kOnemDecision, 700000000242, 600000000212);
  refused.action.action.decision = OnemDecision::kRefused;
  fold(refused);
  const CareerBreakRequest* t = state_.ticket(600000000212);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->state, BreakRequestState::kRefused);
  EXPECT_EQ(t->end, date("2026-06-30"));
  EXPECT_EQ(t->end_date_changes, 1);
  fold(notification(600000000313));
  fold(on_notification(ActionKind::kCareerBreakPostponement, 700000000339, 600000000313));
  fold(on_notification(ActionKind::kCareerBreakNotificationRefusal, 700000000436, 600000000313));
  const CareerBreakNotification* n = state_.notification(600000000313);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->state, NotificationState::kRefused);
  EXPECT_EQ(n->start, date("2026-03-01"));
  EXPECT_EQ(n->postponements, 1);
}

TEST_F(ActionStateTest, StateNamesRoundTrip) {
  for (BreakRequestState s :
       {BreakRequestState::kSubmitted, BreakRequestState::kEmployeeCompleted, BreakRequestState::kCancelled,
        BreakRequestState::kGranted, BreakRequestState::kRefused}) {
    BreakRequestState back{};
    ASSERT_TRUE(parse_state(state_name(s), &back)) << state_name(s);
    EXPECT_EQ(back, s);
  }
  for (NotificationState s : {NotificationState::kReceived, NotificationState::kPostponed, NotificationState::kRefused,
                              NotificationState::kValidated}) {
    NotificationState back{};
    ASSERT_TRUE(parse_state(state_name(s), &back)) << state_name(s);
    EXPECT_EQ(back, s);
  }
  BreakRequestState r{};
  EXPECT_FALSE(parse_state("POSTPONED", &r));
  NotificationState n{};
  EXPECT_FALSE(parse_state("SUBMITTED", &n));
}

// --- ActionState bytes ---------------------------------------------------------------------------

// A record list starts with its u32 count in ActionState::save()'s layout (docs/checkpoints.md).
constexpr size_t kCount = 4;

// Issue 10 item 5: the names the declarations gave are kept for the
// attestation, the latest part wins, and they survive a checkpoint.
TEST_F(ActionStateTest, WorkerNamesRoundTripAndTheLatestWins) {
  state_.note_worker_name(Ssin{5031412595}, "Peeters", "");
  state_.note_worker_name(Ssin{5031412595}, "", "Anaïs");
  state_.note_worker_name(Ssin{4070101124}, "Janssens", "Jan");
  state_.note_worker_name(Ssin{4070101124}, "Janssen", "");
  ActionState loaded;
  ASSERT_TRUE(ActionState::load(bytes(), &loaded).is_ok());
  ASSERT_NE(loaded.worker_name(Ssin{5031412595}), nullptr);
  EXPECT_EQ(loaded.worker_name(Ssin{5031412595})->family, "Peeters");
  EXPECT_EQ(loaded.worker_name(Ssin{5031412595})->given, "Anaïs");
  EXPECT_EQ(loaded.worker_name(Ssin{4070101124})->family, "Janssen");
  EXPECT_EQ(loaded.worker_name(Ssin{4070101124})->given, "Jan");
  EXPECT_EQ(loaded.worker_name(Ssin{85073003328}), nullptr);
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, bytes());
}

TEST_F(ActionStateTest, TrailingBytesAreCorruption) {
  fold(request(600000000111));
  std::string b = bytes();
  b.push_back('\0');
  ActionState loaded;
  EXPECT_EQ(ActionState::load(b, &loaded).code(), Code::kCorruption);
}

TEST_F(ActionStateTest, AnEnumOutOfRangeIsCorruption) {
  fold(request(600000000111));
  std::string b = bytes();
  const size_t scope = 2 * kCount + 8 + 8;  // no attestation; one request: id, employer, then scope
  ASSERT_EQ(b[scope], static_cast<char>(AccessScope::kFlexi));
  b[scope] = 2;
  ActionState loaded;
  EXPECT_EQ(ActionState::load(b, &loaded).code(), Code::kCorruption);
}

TEST_F(ActionStateTest, ABooleanOtherThanZeroOrOneIsCorruption) {
  fold(answer(true, 700000000048, 600000000111));
  std::string b = bytes();
  const size_t granted = 3 * kCount + 8 + 8 + 8 + 1;  // one answer: request, citizen, employer, scope, then granted
  ASSERT_EQ(b[granted], 1);
  b[granted] = 2;
  ActionState loaded;
  EXPECT_EQ(ActionState::load(b, &loaded).code(), Code::kCorruption);
}

TEST_F(ActionStateTest, ATicketStateOutOfRangeIsCorruption) {
  fold(break_request(600000000212));
  std::string b = bytes();
  const size_t state = 7 * kCount + 8 + 8 + 8 + 1 + 1 + 4 + 4 + 2 + 2 + 1;
  ASSERT_EQ(b[state], static_cast<char>(BreakRequestState::kSubmitted));
  b[state] = 5;
  ActionState loaded;
  EXPECT_EQ(ActionState::load(b, &loaded).code(), Code::kCorruption);
}

Event consultation(ConsultationRole role, uint64_t employer, ConsultationChannel channel, std::string_view scope,
                   Ssin citizen = kCitizen) {
  return testing::consultation_event(citizen, instant("2025-03-17T10:00:00Z"), role, employer, channel, scope);
}

TEST_F(ActionStateTest, AConsultationWithoutItsCitizenIsCorruption) {
  expect_corruption(consultation(ConsultationRole::kAuditor, 0, ConsultationChannel::kAuditor, "anomalies", Ssin{}));
}

// A consultation is checked and left to its read model (projections/consultation_log.h): the state keeps nothing of it.
TEST_F(ActionStateTest, AConsultationIsCheckedButNotKept) {
  const std::string empty = bytes();
  fold(consultation(ConsultationRole::kEmployer, kEmployer, ConsultationChannel::kAccessCode, "accessCode"));
  fold(consultation(ConsultationRole::kAuditor, 0, ConsultationChannel::kAuditor, "consentedData:FLEXI"));
  EXPECT_EQ(state_.record_count(), 0u);
  EXPECT_EQ(bytes(), empty);
}

TEST_F(ActionStateTest, ARecordWithoutItsCitizenIsCorruption) {
  fold(event(ActionKind::kAttestationRequest, 700000000048));
  std::string b = bytes();
  for (size_t i = 0; i < 8; ++i) b[kCount + 8 + i] = 0;  // the attestation's citizen
  ActionState loaded;
  EXPECT_EQ(ActionState::load(b, &loaded).code(), Code::kCorruption);
}

// Found by tests/fuzz/fuzz_checkpoint: a key equal to the all-ones key the
// FlatMap indexes reserve stopped the process on an assertion at load.
TEST_F(ActionStateTest, AKeyAnIndexReservesIsCorruption) {
  fold(event(ActionKind::kAttestationRequest, 700000000048));
  const std::string saved = bytes();
  for (const size_t at : {kCount, kCount + 8}) {  // the attestation's id, then its citizen
    std::string b = saved;
    for (size_t i = 0; i < 8; ++i) b[at + i] = static_cast<char>(0xff);
    ActionState loaded;
    EXPECT_EQ(ActionState::load(b, &loaded).code(), Code::kCorruption) << "at byte " << at;
  }
}

TEST_F(ActionStateTest, TheSameRequestTwiceIsCorruption) {
  fold(request(600000000111));
  std::string b = bytes();
  constexpr size_t kRequestBytes = 8 + 8 + 1 + 1 + 8 + 8 + 8;
  const std::string record = b.substr(2 * kCount, kRequestBytes);
  b[kCount] = 2;  // two requests, the same one twice
  b.insert(2 * kCount + kRequestBytes, record);
  ActionState loaded;
  EXPECT_EQ(ActionState::load(b, &loaded).code(), Code::kCorruption);
}

// --- Checkpoints of a ledger holding every kind of record ---------------------------------------------

// Each action one second after the one before: the log's merge of the
// partitions (ledger.h) then folds them in the order they were decided, so
// the folded state can be compared byte for byte with the live one.
class ActionCheckpointTest : public testing::LedgerFixture {
 protected:
  // Submits `json`, which must be accepted; returns its id.
  std::string ok(const std::string& json) {
    clock_.advance_micros(kMicrosPerSecond);
    ActionSubmission s = act(json);
    EXPECT_TRUE(s.outcome.accepted()) << refusal_name(s.outcome.refusal) << " for " << json;
    return std::to_string(s.outcome.id);
  }
  std::string token(const std::string& json) {
    clock_.advance_micros(kMicrosPerSecond);
    ActionSubmission s = act(json);
    EXPECT_TRUE(s.outcome.accepted()) << json;
    return to_string(s.outcome.token);
  }

  void SetUp() override {
    const std::string e1 = R"("employer":{"enterpriseNumber":"0403019261"})";
    const std::string e2 = R"("employer":{"employerId":125482497})";
    const std::string c1 = R"("worker":{"ssin":"85073003328"})";
    const std::string c2 = R"("worker":{"ssin":"85073003526"})";
    const std::string st = R"("worker":{"ssin":"05031412595"})";
    clock_.set(instant("2025-03-17T10:00:00Z"));
    submit(testing::stu_in("2025-04-01", "2025-04-30", 30));
    const std::string attestation = ok("{" + st + R"(,"attestationRequest":{"year":2025}})");
    ok("{" + st + R"(,"inboxArchive":{"messageId":")" + attestation + R"("}})");
    const std::string flexi = token("{" + e1 + R"(,"dataAccessRequest":{"scope":"FLEXI","channel":"QR"}})");
    const std::string balance =
        token("{" + e2 + R"(,"dataAccessRequest":{"scope":"STUDENT_BALANCE","channel":"LINK"}})");
    const std::string refused =
        token("{" + e1 + R"(,"dataAccessRequest":{"scope":"STUDENT_BALANCE","channel":"LINK"}})");
    token("{" + e1 + R"(,"dataAccessRequest":{"scope":"FLEXI","channel":"LINK"}})");  // never answered
    ok("{" + c1 + R"(,"dataAccessGrant":{"token":")" + flexi + R"("}})");
    ok("{" + c2 + R"(,"dataAccessGrant":{"token":")" + balance + R"("}})");
    ok("{" + c1 + R"(,"dataAccessRefusal":{"token":")" + refused + R"("}})");
    const DataAccessRequest* r = state().actions().request_by_token(*parse_access_token(flexi));
    ASSERT_NE(r, nullptr);
    ok("{" + c1 + R"(,"dataAccessRevocation":{"requestId":")" + std::to_string(r->id) + R"("}})");
    ok("{" + e1 + "," + c1 + R"(,"occupationQuarter":{"year":2024,"quarter":2,"fraction":0.8}})");
    ok("{" + e2 + "," + c1 + R"(,"occupationQuarter":{"year":2024,"quarter":3,"fraction":1.25,"grossWage":4321.5}})");
    ok("{" + c1 + R"(,"pensionStatus":{"pensionedAsOf":"2024-09-30"}})");
    ok("{" + c2 + R"(,"pensionStatus":{"pensionedAsOf":null}})");
    ok("{" + e1 +
       R"(,"employerSettings":{"contactName":"An","email":"hr@example.be","phone":"02","sector":"horeca","acceptsNotifications":true}})");
    ok("{" + e2 +
       R"(,"employerSettings":{"contactName":"Jan","email":"j@example.be","phone":"03","acceptsNotifications":false}})");
    const std::string request =
        "{" + e1 + "," + c1 +
        R"(,"careerBreakRequest":{"leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2026-01-01","endDate":"2026-12-31","regimeBefore":1,"regimeDuring":0.8,"multipleEmployers":true}})";
    const std::string submitted = ok(request);
    ok("{" + e1 + R"(,"careerBreakEndDate":{"ticket":")" + submitted + R"(","endDate":"2026-06-30"}})");
    ok("{" + e1 + R"(,"careerBreakAttachment":{"ticket":")" + submitted + R"(","fileName":"c4.pdf"}})");
    const std::string cancelled = ok(request);
    ok("{" + e1 + R"(,"careerBreakCancellation":{"ticket":")" + cancelled + R"("}})");
    const std::string completed = ok(request);
    ok("{" + c1 + R"(,"careerBreakEmployeePart":{"ticket":")" + completed + R"("}})");
    for (const char* decision : {"GRANTED", "REFUSED"}) {
      const std::string t = ok(request);
      ok("{" + c1 + R"(,"careerBreakEmployeePart":{"ticket":")" + t + R"("}})");
      ok(R"({"onemDecision":{"ticket":")" + t + R"(","decision":")" + decision + R"("}})");
    }
    const std::string notification =
        "{" + e1 + "," + c2 +
        R"(,"careerBreakNotification":{"leaveKind":"PARENTAL_LEAVE","fraction":"1/10","startDate":"2026-02-01")";
    ok(notification + R"(,"endDate":"2026-05-31"}})");
    const std::string postponed = ok(notification + "}}");
    ok("{" + e1 + R"(,"careerBreakPostponement":{"notificationId":")" + postponed + R"(","startDate":"2026-03-01"}})");
    ok("{" + e1 + R"(,"careerBreakAttachment":{"notificationId":")" + postponed + R"(","fileName":"n.pdf"}})");
    ok("{" + e1 + R"(,"careerBreakNotificationRefusal":{"notificationId":")" + ok(notification + "}}") + R"("}})");
    ok("{" + e1 + R"(,"careerBreakNotificationValidation":{"notificationId":")" + ok(notification + "}}") + R"("}})");
    ok("{" + e1 + "," + st + R"(,"dataConsultation":{"role":"employer","scope":"accessCode","channel":"accessCode"}})");
    ok("{" + st + R"(,"dataConsultation":{"role":"auditor","auditor":"ins-9","scope":"anomalies","channel":"auditor"}})");
    // Interim@work overviews (seed 002): two to the eBox (one archived, one with every filter, a
    // user company by name), one by e-mail, which the state does not keep.
    const std::string sent = ok("{" + c1 + R"(,"interimOverviewSend":{"channel":"EBOX"}})");
    ok("{" + c1 + R"(,"inboxArchive":{"messageId":")" + sent + R"("}})");
    ok("{" + c1 +
       R"(,"interimOverviewSend":{"channel":"EBOX","from":"2024-01-01","to":"2025-12-31","workerType":"STU","agency":"0403019261","userCompany":"Café du Coin"}})");
    ok("{" + c1 + R"(,"interimOverviewSend":{"channel":"EMAIL","email":"jan@example.be","userCompany":"0876543270"}})");
  }

  std::string ledger_bytes() {
    std::string out;
    state().save(&out);
    return out;
  }
};

TEST_F(ActionCheckpointTest, TheFixtureHoldsEveryKindOfRecord) {
  const ActionState& a = state().actions();
  size_t attestations = 0, answers = 0, occupations = 0, tickets = 0, notifications = 0, overviews = 0;
  for (const Attestation& t : a.attestations()) attestations += t.citizen == Ssin{5031412595};
  for (const ConsentAnswer& c : a.answers()) answers += c.citizen == kCitizen || c.citizen == kCitizen2;
  a.for_each_occupation_of(kCitizen, [&](const OccupationRecord&) { ++occupations; });
  for (const CareerBreakRequest& t : a.tickets()) tickets += t.citizen == kCitizen;
  for (const CareerBreakNotification& n : a.notifications()) notifications += n.citizen == kCitizen2;
  for (const InterimOverviewSend& o : a.overview_sends()) overviews += o.citizen == kCitizen;
  EXPECT_EQ(attestations, 1u);
  EXPECT_EQ(a.requests().size(), 4u);
  EXPECT_EQ(answers, 3u);
  EXPECT_EQ(occupations, 2u);
  EXPECT_NE(a.pension(kCitizen), nullptr);
  EXPECT_NE(a.pension(kCitizen2), nullptr);
  EXPECT_EQ(a.all_settings().size(), 2u);
  EXPECT_EQ(tickets, 5u);
  EXPECT_EQ(notifications, 4u);
  EXPECT_EQ(overviews, 2u);                                         // to the eBox: the one by e-mail is the outbox's
  EXPECT_EQ(a.record_count(), 1u + 4 + 3 + 2 + 2 + 2 + 5 + 4 + 2);  // the 2 consultations are a read model's
}

TEST_F(ActionCheckpointTest, SaveLoadSaveGivesTheSameBytes) {
  const std::string bytes = ledger_bytes();
  LedgerState loaded;
  Status s = LedgerState::load(bytes, &loaded);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, bytes);
  EXPECT_EQ(loaded.actions().record_count(), state().actions().record_count());
}

TEST_F(ActionCheckpointTest, ALoadedStateAnswersTheSameLookups) {
  LedgerState loaded;
  ASSERT_TRUE(LedgerState::load(ledger_bytes(), &loaded).is_ok());
  const ActionState& a = state().actions();
  const ActionState& b = loaded.actions();
  ASSERT_FALSE(a.attestations().empty());
  for (const Attestation& t : a.attestations()) {
    ASSERT_NE(b.attestation(t.id), nullptr);
    EXPECT_TRUE(t.archived());
    EXPECT_EQ(b.attestation(t.id)->archived_at, t.archived_at);
    EXPECT_EQ(b.attestation(t.id)->access_code, t.access_code);
  }
  std::vector<int64_t> wages;
  b.for_each_occupation_of(kCitizen, [&](const OccupationRecord& r) { wages.push_back(r.gross_wage_cents); });
  std::sort(wages.begin(), wages.end());
  EXPECT_EQ(wages, (std::vector<int64_t>{OccupationRecord::kNoWage, 432150}));
  for (const DataAccessRequest& r : a.requests()) {
    ASSERT_NE(b.request(r.id), nullptr);
    EXPECT_EQ(b.request_by_token(r.token), b.request(r.id));
    EXPECT_EQ(b.answer(r.id) != nullptr, a.answer(r.id) != nullptr);
  }
  ASSERT_FALSE(a.tickets().empty());
  for (const CareerBreakRequest& t : a.tickets()) {
    const CareerBreakRequest* u = b.ticket(t.ticket);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->state, t.state);
    EXPECT_EQ(u->end, t.end);
    EXPECT_EQ(u->attachments, t.attachments);
    EXPECT_TRUE(b.id_in_use(t.ticket));
  }
  ASSERT_FALSE(a.notifications().empty());
  for (const CareerBreakNotification& n : a.notifications()) {
    const CareerBreakNotification* m = b.notification(n.id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->state, n.state);
    EXPECT_EQ(m->start, n.start);
    EXPECT_EQ(m->end, n.end);
    EXPECT_EQ(m->attachments, n.attachments);
  }
  ASSERT_NE(b.settings(kEmployer), nullptr);
  EXPECT_EQ(b.settings(kEmployer)->sector, "horeca");
  EXPECT_FALSE(b.pension(kCitizen2)->pensioned_as_of);
  EXPECT_EQ(b.answers().size(), a.answers().size());
}

TEST_F(ActionCheckpointTest, TheActionStateAloneRoundTrips) {
  std::string bytes;
  state().actions().save(&bytes);
  ActionState loaded;
  Status s = ActionState::load(bytes, &loaded);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, bytes);
}

TEST_F(ActionCheckpointTest, FoldingTheLogGivesTheStateTheLedgerBuiltLive) {
  std::string live;
  state().actions().save(&live);
  ASSERT_TRUE(ledger_->commit().is_ok());
  reopen();
  std::string folded;
  state().actions().save(&folded);
  EXPECT_EQ(folded, live);
}

TEST_F(ActionCheckpointTest, EveryTruncationIsCorruption) {
  const std::string bytes = ledger_bytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    LedgerState loaded;
    ASSERT_EQ(LedgerState::load(std::string_view(bytes).substr(0, n), &loaded).code(), Code::kCorruption) << n;
  }
}

TEST_F(ActionCheckpointTest, EveryTruncationOfTheActionStateIsCorruption) {
  std::string bytes;
  state().actions().save(&bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    ActionState loaded;
    ASSERT_EQ(ActionState::load(std::string_view(bytes).substr(0, n), &loaded).code(), Code::kCorruption) << n;
  }
}

TEST_F(ActionCheckpointTest, EveryFlippedByteIsCorruption) {
  const std::string bytes = ledger_bytes();
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    LedgerState loaded;
    ASSERT_EQ(LedgerState::load(flipped, &loaded).code(), Code::kCorruption) << i;
  }
}

TEST_F(ActionCheckpointTest, AFlippedBitInTheActionStateIsLoadedOrRefusedNeverACrash) {
  std::string bytes;
  state().actions().save(&bytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      ActionState loaded;
      const Status s = ActionState::load(flipped, &loaded);
      ASSERT_TRUE(s.is_ok() || s.code() == Code::kCorruption) << i << ":" << bit << " " << s.to_string();
    }
  }
}

}  // namespace
}  // namespace dimona
