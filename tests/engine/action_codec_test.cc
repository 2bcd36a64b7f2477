// The action half of the codecs: decode_command() (docs/actions.md, "Input"),
// the access code and token texts of action.h, the month arithmetic behind
// codes and consents, and the round trip of action events through
// encode_event() and EventDecoder.
#include "engine/codec.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "engine/action.h"
#include "engine/event.h"

namespace dimona {
namespace {

constexpr const char* kStudent = "05031412595";
constexpr const char* kBadSsin = "05031412596";  // check digits off by one
constexpr const char* kEmployer = R"("employer":{"enterpriseNumber":"0403019261"})";
constexpr const char* kWorker = R"("worker":{"ssin":"05031412595"})";
constexpr const char* kTicket = "700000001256";  // 7000000012 mod 97 = 56
constexpr const char* kToken = "7K3M9Q2XW8D4RZ6T1VBN";

Instant instant(const char* text) { return *parse_instant(text); }
Date date(const char* text) { return *parse_date(text); }

// {<parts>,"<key>":<body>}
std::string line(const std::string& parts, const std::string& key, const std::string& body) {
  return "{" + parts + (parts.empty() ? "" : ",") + "\"" + key + "\":" + body + "}";
}
std::string both() { return std::string(kEmployer) + "," + kWorker; }

class ActionCodecTest : public ::testing::Test {
 protected:
  Result<Command> decode(const std::string& json) {
    line_ = json;
    line_.resize(json.size() + kJsonPadding, ' ');
    return decoder_.decode_command(std::string_view(line_.data(), json.size()), line_.size());
  }

  // The Action of a valid line; its strings stay readable until the next decode.
  Action action(const std::string& json) {
    Result<Command> c = decode(json);
    EXPECT_TRUE(c.is_ok()) << c.status().to_string() << " for " << json;
    if (!c.is_ok()) return Action{};
    EXPECT_TRUE(c->is_action) << json;
    return c->action;
  }

  // Refused as malformed with a message holding `fragment`, and no SSIN of the line.
  void expect_malformed(const std::string& json, const std::string& fragment) {
    Result<Command> c = decode(json);
    ASSERT_FALSE(c.is_ok()) << "accepted: " << json;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument) << json;
    const std::string& m = c.status().message();
    EXPECT_NE(m.find(fragment), std::string::npos) << "message: " << m << "\nexpected: " << fragment;
    for (const char* ssin : {kStudent, kBadSsin, "85073003328"}) EXPECT_EQ(m.find(ssin), std::string::npos) << m;
  }

  std::string line_;
  DeclarationDecoder decoder_;
};

// --- One valid line of each kind ---------------------------------------------------------

TEST_F(ActionCodecTest, AttestationRequestFillsTheYearTheCitizenAndTheInstant) {
  Action a = action(line(kWorker, "attestationRequest", R"({"year":2025},"recordedAt":"2025-03-17T10:00:00Z")"));
  EXPECT_EQ(a.kind, ActionKind::kAttestationRequest);
  EXPECT_EQ(a.worker, Ssin{5031412595});
  EXPECT_EQ(a.employer, 0u);
  EXPECT_EQ(a.year, 2025);
  ASSERT_TRUE(a.recorded_at);
  EXPECT_EQ(*a.recorded_at, instant("2025-03-17T10:00:00Z"));
}

TEST_F(ActionCodecTest, DataAccessRequestFillsScopeChannelAndEmployer) {
  Action a = action(line(kEmployer, "dataAccessRequest", R"({"scope":"STUDENT_BALANCE","channel":"LINK"})"));
  EXPECT_EQ(a.kind, ActionKind::kDataAccessRequest);
  EXPECT_EQ(a.employer, 403019261u);
  EXPECT_EQ(a.worker.value, 0u);
  EXPECT_EQ(a.scope, AccessScope::kStudentBalance);
  EXPECT_EQ(a.channel, AccessChannel::kLink);
  EXPECT_TRUE(a.token.empty());
  EXPECT_EQ(a.id, 0u);
}

TEST_F(ActionCodecTest, DataAccessRequestMayImportItsRequestIdAndToken) {
  Action a = action(line(
      R"("employer":{"employerId":125482497})", "dataAccessRequest",
      std::string(R"({"scope":"FLEXI","channel":"QR","requestId":")") + kTicket + R"(","token":")" + kToken + R"("})"));
  EXPECT_EQ(a.employer, 125482497u | kNssoEmployerTag);
  EXPECT_EQ(a.scope, AccessScope::kFlexi);
  EXPECT_EQ(a.channel, AccessChannel::kQr);
  EXPECT_EQ(a.id, 700000001256u);
  EXPECT_EQ(a.token, *parse_access_token(kToken));
}

TEST_F(ActionCodecTest, GrantAndRefusalFillTheToken) {
  const std::string body = std::string(R"({"token":")") + kToken + R"("})";
  Action g = action(line(kWorker, "dataAccessGrant", body));
  EXPECT_EQ(g.kind, ActionKind::kDataAccessGrant);
  EXPECT_EQ(g.token, *parse_access_token(kToken));
  EXPECT_EQ(g.worker, Ssin{5031412595});
  Action r = action(line(kWorker, "dataAccessRefusal", body));
  EXPECT_EQ(r.kind, ActionKind::kDataAccessRefusal);
  EXPECT_EQ(r.token, *parse_access_token(kToken));
}

TEST_F(ActionCodecTest, RevocationFillsTheRequestId) {
  Action a = action(line(kWorker, "dataAccessRevocation", std::string(R"({"requestId":")") + kTicket + R"("})"));
  EXPECT_EQ(a.kind, ActionKind::kDataAccessRevocation);
  EXPECT_EQ(a.id, 700000001256u);
}

TEST_F(ActionCodecTest, OccupationQuarterFillsYearQuarterAndThousandths) {
  Action a = action(line(both(), "occupationQuarter", R"({"year":2024,"quarter":2,"fraction":0.8})"));
  EXPECT_EQ(a.kind, ActionKind::kOccupationQuarter);
  EXPECT_EQ(a.employer, 403019261u);
  EXPECT_EQ(a.worker, Ssin{5031412595});
  EXPECT_EQ(a.year, 2024);
  EXPECT_EQ(a.quarter, 2);
  EXPECT_EQ(a.fraction_permille, 800);
  EXPECT_EQ(action(line(both(), "occupationQuarter", R"({"year":2024,"quarter":4,"fraction":1.5})")).fraction_permille,
            1500);
  EXPECT_EQ(
      action(line(both(), "occupationQuarter", R"({"year":2024,"quarter":1,"fraction":0.123})")).fraction_permille,
      123);
  EXPECT_EQ(action(line(both(), "occupationQuarter", R"({"year":2024,"quarter":1,"fraction":0})")).fraction_permille,
            0);
  EXPECT_EQ(action(line(both(), "occupationQuarter", R"({"year":2024,"quarter":1,"fraction":1})")).fraction_permille,
            1000);
}

TEST_F(ActionCodecTest, OccupationQuarterTakesAnOptionalGrossWageInCents) {
  auto wage = [&](const std::string& value) {
    return action(line(both(), "occupationQuarter", R"({"year":2024,"quarter":2,"fraction":0.8,"grossWage":)" + value + "}"))
        .gross_wage_cents;
  };
  EXPECT_EQ(action(line(both(), "occupationQuarter", R"({"year":2024,"quarter":2,"fraction":0.8})")).gross_wage_cents,
            std::nullopt);
  EXPECT_EQ(wage("1234.56"), 123456);
  EXPECT_EQ(wage("0"), 0);
  EXPECT_EQ(wage("1000000"), 100000000);
  EXPECT_EQ(wage("0.1"), 10);
  EXPECT_EQ(wage("1234.5600"), 123456);
  EXPECT_EQ(wage("123456e-2"), 123456);
  EXPECT_EQ(wage("0.07"), 7);
  EXPECT_EQ(wage("null"), std::nullopt);
}

TEST_F(ActionCodecTest, AGrossWageOutOfItsDomainIsMalformed) {
  for (const char* bad : {"-1", "1000000.01", "12.345", "1e-400", "12.3400001", "\"12\"", "true", "{}"})
    expect_malformed(line(both(), "occupationQuarter",
                          std::string(R"({"year":2024,"quarter":2,"fraction":0.8,"grossWage":)") + bad + "}"),
                     "grossWage");
  // Only occupationQuarter carries it.
  expect_malformed(line(kWorker, "pensionStatus", R"({"pensionedAsOf":null,"grossWage":1})"), "grossWage");
}

TEST_F(ActionCodecTest, InboxArchiveFillsTheMessageIdAndWantsItsCitizenOnly) {
  Action a = action(line(kWorker, "inboxArchive", std::string(R"({"messageId":")") + kTicket + R"("})"));
  EXPECT_EQ(a.kind, ActionKind::kInboxArchive);
  EXPECT_EQ(a.id, 700000001256u);
  expect_malformed(line(kWorker, "inboxArchive", "{}"), "messageId");
  expect_malformed(line(both(), "inboxArchive", std::string(R"({"messageId":")") + kTicket + R"("})"), "employer");
  expect_malformed(line("", "inboxArchive", std::string(R"({"messageId":")") + kTicket + R"("})"), "worker");
  expect_malformed(line(kWorker, "inboxArchive", R"({"messageId":"700000001257"})"), "messageId");
}

// Seed 002: the worker sends their Interim@work overview to the eBox or by e-mail, with the
// interimRelations read's filters; an address exactly with EMAIL, a window that does not end first.
TEST_F(ActionCodecTest, InterimOverviewSendTakesAChannelAnAddressForEmailAndTheReadsFilters) {
  Action a = action(line(kWorker, "interimOverviewSend", R"({"channel":"EBOX"})"));
  EXPECT_EQ(a.kind, ActionKind::kInterimOverviewSend);
  EXPECT_EQ(a.delivery, DeliveryChannel::kEbox);
  EXPECT_TRUE(a.delivery_email.empty());
  EXPECT_FALSE(a.from || a.to);
  EXPECT_EQ(a.worker_type, WorkerType::kUnknown);
  EXPECT_EQ(a.agency, 0u);
  EXPECT_EQ(a.user_company, 0u);
  a = action(
      line(kWorker, "interimOverviewSend",
           R"({"channel":"EMAIL","email":"jan.peeters+dimona@example-1.be","from":"2026-01-01","to":"2026-01-01",)"
           R"("workerType":"STU","agency":"0403019261","userCompany":"Café du Coin"})"));
  EXPECT_EQ(a.delivery, DeliveryChannel::kEmail);
  EXPECT_EQ(a.delivery_email, "jan.peeters+dimona@example-1.be");
  EXPECT_EQ(a.from, date("2026-01-01"));
  EXPECT_EQ(a.to, date("2026-01-01"));
  EXPECT_EQ(a.worker_type, WorkerType::kSTU);
  EXPECT_EQ(a.agency, 403019261u);
  EXPECT_EQ(a.user_company, named_user_company_key("Café du Coin"));
  EXPECT_EQ(a.user_company_name, "Café du Coin");
  a = action(line(kWorker, "interimOverviewSend", R"({"channel":"EBOX","userCompany":"0876.543.270"})"));
  EXPECT_EQ(a.user_company, 876543270u);
  EXPECT_TRUE(a.user_company_name.empty());

  const auto send = [](const std::string& body) { return line(kWorker, "interimOverviewSend", body); };
  expect_malformed(send("{}"), "field interimOverviewSend.channel: required");
  expect_malformed(send(R"({"channel":"FAX"})"), "field interimOverviewSend.channel: not one of the allowed values");
  expect_malformed(send(R"({"channel":"QR"})"), "field interimOverviewSend.channel");
  expect_malformed(send(R"({"channel":"EMAIL"})"), "field interimOverviewSend.email: required for channel EMAIL");
  expect_malformed(send(R"({"channel":"EBOX","email":"a@b.be"})"), "field interimOverviewSend.email");
  for (const char* bad : {"", "jan", "@example.be", "jan@", "jan@be", "jan@@example.be", "jan@exa mple.be",
                          "jan peeters@example.be", "jan@-example.be", "jan@example-.be", "jan@example..be",
                          "jan@example.be.", "jan@ex_ample.be", "jän@example.be"})
    expect_malformed(send(std::string(R"({"channel":"EMAIL","email":")") + bad + R"("})"),
                     "field interimOverviewSend.email: expected an e-mail address");
  expect_malformed(send(R"({"channel":"EMAIL","email":")" + std::string(250, 'a') + R"(@x.be"})"),
                   "field interimOverviewSend.email: expected an e-mail address");
  expect_malformed(send(R"({"channel":"EBOX","from":"2026-02-01","to":"2026-01-31"})"),
                   "field interimOverviewSend.to: before from");
  expect_malformed(send(R"({"channel":"EBOX","from":"2026-02-30"})"), "field interimOverviewSend.from");
  expect_malformed(send(R"({"channel":"EBOX","workerType":"XYZ"})"), "field interimOverviewSend.workerType");
  expect_malformed(send(R"({"channel":"EBOX","agency":"0403019262"})"), "field interimOverviewSend.agency");
  expect_malformed(send(R"({"channel":"EBOX","agency":403019261})"), "field interimOverviewSend.agency");
  expect_malformed(send(R"({"channel":"EBOX","userCompany":"   "})"), "field interimOverviewSend.userCompany");
  expect_malformed(send(R"({"channel":"EBOX","userCompany":"0876543271"})"), "field interimOverviewSend.userCompany");
  expect_malformed(line(both(), "interimOverviewSend", R"({"channel":"EBOX"})"), "employer");
  expect_malformed(line("", "interimOverviewSend", R"({"channel":"EBOX"})"), "worker");
}

TEST(EmailAddress, TheShapesAMessageCanBeSentTo) {
  for (const char* ok : {"a@b.be", "jan.peeters@example.be", "x+y@sub.example-1.co.uk", "!#$%&'*+/=?^_`{|}~-@a.b"})
    EXPECT_TRUE(is_email_address(ok)) << ok;
  EXPECT_TRUE(is_email_address(std::string(240, 'a') + "@example.be"));   // 251 bytes
  EXPECT_FALSE(is_email_address(std::string(244, 'a') + "@example.be"));  // 255 bytes
  for (const char* bad : {"", "@", "a@", "@b.be", "a@b", "a@b.", "a@.be", "a@b..be", "a b@c.be", "a@b@c.be", "a@-b.be",
                          "a@b-.be", "a\x01@b.be", "a@b.b\xc3\xa9"})
    EXPECT_FALSE(is_email_address(bad)) << bad;
}

TEST_F(ActionCodecTest, DataConsultationNamesWhoReadWhatAndHow) {
  const std::string employer_read = R"({"role":"employer","scope":"accessCode","channel":"accessCode"})";
  Action a = action(line(both(), "dataConsultation", employer_read));
  EXPECT_EQ(a.kind, ActionKind::kDataConsultation);
  EXPECT_EQ(a.role, ConsultationRole::kEmployer);
  EXPECT_EQ(a.consulted_scope, "accessCode");
  EXPECT_EQ(a.consultation_channel, ConsultationChannel::kAccessCode);
  EXPECT_EQ(a.employer, 403019261u);
  EXPECT_EQ(a.worker, Ssin{5031412595});
  a = action(line(kWorker, "dataConsultation",
                  R"({"role":"auditor","auditor":"inspector \"7\"","scope":"consentedData:FLEXI","channel":"auditor"})"));
  EXPECT_EQ(a.role, ConsultationRole::kAuditor);
  EXPECT_EQ(a.auditor, "inspector \"7\"");
  EXPECT_EQ(a.consulted_scope, "consentedData:FLEXI");
  EXPECT_EQ(a.consultation_channel, ConsultationChannel::kAuditor);
  EXPECT_EQ(a.employer, 0u);
  a = action(line(both(), "dataConsultation", R"({"role":"agency","scope":"consentedData:STUDENT_BALANCE","channel":"consent"})"));
  EXPECT_EQ(a.role, ConsultationRole::kAgency);
  EXPECT_EQ(a.consultation_channel, ConsultationChannel::kConsent);

  expect_malformed(line(kEmployer, "dataConsultation", employer_read), "worker");
  expect_malformed(line(kWorker, "dataConsultation", employer_read), "employer");
  expect_malformed(line(both(), "dataConsultation", R"({"role":"auditor","scope":"anomalies","channel":"auditor"})"),
                   "employer");
  expect_malformed(line(both(), "dataConsultation", R"({"role":"employer","scope":"accessCode","channel":"auditor"})"),
                   "channel");
  expect_malformed(line(kWorker, "dataConsultation", R"({"role":"auditor","scope":"anomalies","channel":"consent"})"),
                   "channel");
  expect_malformed(line(both(), "dataConsultation",
                        R"({"role":"employer","auditor":"x","scope":"accessCode","channel":"accessCode"})"),
                   "auditor");
  expect_malformed(line(kWorker, "dataConsultation", R"({"role":"citizen","scope":"anomalies","channel":"auditor"})"),
                   "role");
  expect_malformed(line(kWorker, "dataConsultation", R"({"role":"auditor","channel":"auditor"})"), "scope");
  expect_malformed(line(kWorker, "dataConsultation", R"({"role":"auditor","scope":"student balance","channel":"auditor"})"),
                   "scope");
  expect_malformed(line(kWorker, "dataConsultation",
                        R"({"role":"auditor","scope":")" + std::string(65, 'a') + R"(","channel":"auditor"})"),
                   "scope");
  EXPECT_TRUE(is_consultation_scope(std::string(64, 'a')));
  expect_malformed(line(kWorker, "dataConsultation", R"({"role":"auditor","scope":"anomalies","channel":"QR"})"), "channel");
}

// The ledger writes consultations itself: the decoder reads them (the log holds them), and every
// way in from outside asks refuse_server_internal().
TEST_F(ActionCodecTest, AConsultationIsServerInternal) {
  Result<Command> c =
      decode(line(kWorker, "dataConsultation", R"({"role":"auditor","scope":"anomalies","channel":"auditor"})"));
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_TRUE(is_server_internal(c->action.kind));
  const Status refused = refuse_server_internal(*c);
  EXPECT_EQ(refused.code(), Code::kInvalidArgument);
  EXPECT_NE(refused.message().find("dataConsultation"), std::string::npos) << refused.message();
  for (size_t k = 0; k < kActionKindCount; ++k)
    EXPECT_EQ(is_server_internal(static_cast<ActionKind>(k)), static_cast<ActionKind>(k) == ActionKind::kDataConsultation);
  c = decode(line(kWorker, "attestationRequest", R"({"year":2025})"));
  ASSERT_TRUE(c.is_ok());
  EXPECT_TRUE(refuse_server_internal(*c).is_ok());
}

TEST_F(ActionCodecTest, PensionStatusFillsTheDateOrNothingForNull) {
  Action a = action(line(kWorker, "pensionStatus", R"({"pensionedAsOf":"2024-09-01"})"));
  EXPECT_EQ(a.kind, ActionKind::kPensionStatus);
  ASSERT_TRUE(a.pensioned_as_of);
  EXPECT_EQ(*a.pensioned_as_of, date("2024-09-01"));
  EXPECT_FALSE(action(line(kWorker, "pensionStatus", R"({"pensionedAsOf":null})")).pensioned_as_of);
}

TEST_F(ActionCodecTest, EmployerSettingsFillTheTextsAndTheFlag) {
  Action a = action(line(
      kEmployer, "employerSettings",
      R"({"contactName":"An Peeters","email":"hr@example.be","phone":"+32 2 000 00 00","sector":"horeca","acceptsNotifications":true})"));
  EXPECT_EQ(a.kind, ActionKind::kEmployerSettings);
  EXPECT_EQ(a.contact_name, "An Peeters");
  EXPECT_EQ(a.email, "hr@example.be");
  EXPECT_EQ(a.phone, "+32 2 000 00 00");
  EXPECT_EQ(a.sector, "horeca");
  EXPECT_TRUE(a.accepts_notifications);
  Action no_sector = action(line(kEmployer, "employerSettings",
                                 R"({"contactName":"A","email":"e","phone":"p","acceptsNotifications":false})"));
  EXPECT_TRUE(no_sector.sector.empty());
  EXPECT_FALSE(no_sector.accepts_notifications);
}

TEST_F(ActionCodecTest, CareerBreakRequestFillsEveryField) {
  Action a = action(line(
      both(), "careerBreakRequest",
      R"({"leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2026-01-01","endDate":"2026-12-31","regimeBefore":1,"regimeDuring":0.8})"));
  EXPECT_EQ(a.kind, ActionKind::kCareerBreakRequest);
  EXPECT_EQ(a.leave_kind, LeaveKind::kTimeCredit);
  EXPECT_EQ(a.break_fraction, BreakFraction::kOneFifth);
  EXPECT_EQ(a.start_date, date("2026-01-01"));
  ASSERT_TRUE(a.end_date);
  EXPECT_EQ(*a.end_date, date("2026-12-31"));
  EXPECT_EQ(a.regime_before_permille, 1000);
  EXPECT_EQ(a.regime_during_permille, 800);
  EXPECT_FALSE(a.multiple_employers);  // the default
  EXPECT_EQ(a.id, 0u);
  Action imported = action(line(
      both(), "careerBreakRequest",
      std::string(
          R"({"leaveKind":"PALLIATIVE_CARE","fraction":"FULL","startDate":"2026-01-01","endDate":"2026-01-31","regimeBefore":0.5,"regimeDuring":0,"multipleEmployers":true,"ticket":")") +
          kTicket + R"("})"));
  EXPECT_EQ(imported.leave_kind, LeaveKind::kPalliativeCare);
  EXPECT_EQ(imported.break_fraction, BreakFraction::kFull);
  EXPECT_TRUE(imported.multiple_employers);
  EXPECT_EQ(imported.id, 700000001256u);
}

TEST_F(ActionCodecTest, TicketActionsFillTheTicket) {
  const std::string ticket = std::string(R"("ticket":")") + kTicket + "\"";
  Action part = action(line(kWorker, "careerBreakEmployeePart", "{" + ticket + "}"));
  EXPECT_EQ(part.kind, ActionKind::kCareerBreakEmployeePart);
  EXPECT_EQ(part.id, 700000001256u);
  Action cancel = action(line(kEmployer, "careerBreakCancellation", "{" + ticket + "}"));
  EXPECT_EQ(cancel.kind, ActionKind::kCareerBreakCancellation);
  EXPECT_EQ(cancel.id, 700000001256u);
  Action end = action(line(kEmployer, "careerBreakEndDate", "{" + ticket + R"(,"endDate":"2026-06-30"})"));
  EXPECT_EQ(end.kind, ActionKind::kCareerBreakEndDate);
  ASSERT_TRUE(end.end_date);
  EXPECT_EQ(*end.end_date, date("2026-06-30"));
  Action onem = action(line("", "onemDecision", "{" + ticket + R"(,"decision":"REFUSED"})"));
  EXPECT_EQ(onem.kind, ActionKind::kOnemDecision);
  EXPECT_EQ(onem.decision, OnemDecision::kRefused);
  EXPECT_EQ(onem.employer, 0u);
  EXPECT_EQ(onem.worker.value, 0u);
}

TEST_F(ActionCodecTest, AttachmentNamesATicketOrANotification) {
  Action to_ticket = action(
      line(kEmployer, "careerBreakAttachment", std::string(R"({"ticket":")") + kTicket + R"(","fileName":"c4.pdf"})"));
  EXPECT_EQ(to_ticket.kind, ActionKind::kCareerBreakAttachment);
  EXPECT_FALSE(to_ticket.to_notification);
  EXPECT_EQ(to_ticket.id, 700000001256u);
  EXPECT_EQ(to_ticket.file_name, "c4.pdf");
  Action to_notification = action(line(kEmployer, "careerBreakAttachment",
                                       std::string(R"({"fileName":"n.pdf","notificationId":")") + kTicket + R"("})"));
  EXPECT_TRUE(to_notification.to_notification);
  EXPECT_EQ(to_notification.id, 700000001256u);
  EXPECT_EQ(to_notification.file_name, "n.pdf");
}

TEST_F(ActionCodecTest, NotificationFillsItsFieldsAndItsEndIsOptional) {
  Action a = action(line(both(), "careerBreakNotification",
                         R"({"leaveKind":"PARENTAL_LEAVE","fraction":"1/10","startDate":"2026-02-01"})"));
  EXPECT_EQ(a.kind, ActionKind::kCareerBreakNotification);
  EXPECT_EQ(a.leave_kind, LeaveKind::kParentalLeave);
  EXPECT_EQ(a.break_fraction, BreakFraction::kOneTenth);
  EXPECT_EQ(a.start_date, date("2026-02-01"));
  EXPECT_FALSE(a.end_date);
  Action ended = action(
      line(both(), "careerBreakNotification",
           R"({"leaveKind":"MEDICAL_ASSISTANCE","fraction":"1/2","startDate":"2026-02-01","endDate":"2026-03-31"})"));
  EXPECT_EQ(ended.leave_kind, LeaveKind::kMedicalAssistance);
  EXPECT_EQ(ended.break_fraction, BreakFraction::kHalf);
  ASSERT_TRUE(ended.end_date);
  EXPECT_EQ(*ended.end_date, date("2026-03-31"));
}

TEST_F(ActionCodecTest, NotificationActionsFillTheNotificationId) {
  const std::string id = std::string(R"("notificationId":")") + kTicket + "\"";
  Action postpone = action(line(kEmployer, "careerBreakPostponement", "{" + id + R"(,"startDate":"2026-04-01"})"));
  EXPECT_EQ(postpone.kind, ActionKind::kCareerBreakPostponement);
  EXPECT_EQ(postpone.id, 700000001256u);
  EXPECT_EQ(postpone.start_date, date("2026-04-01"));
  Action refuse = action(line(kEmployer, "careerBreakNotificationRefusal", "{" + id + "}"));
  EXPECT_EQ(refuse.kind, ActionKind::kCareerBreakNotificationRefusal);
  EXPECT_EQ(refuse.id, 700000001256u);
  Action validate = action(line(kEmployer, "careerBreakNotificationValidation", "{" + id + "}"));
  EXPECT_EQ(validate.kind, ActionKind::kCareerBreakNotificationValidation);
  EXPECT_EQ(validate.id, 700000001256u);
}

TEST_F(ActionCodecTest, EveryLeaveKindAndEveryFractionIsRead) {
  for (LeaveKind k : {LeaveKind::kTimeCredit, LeaveKind::kEndOfCareerTimeCredit, LeaveKind::kCareerBreak,
                      LeaveKind::kParentalLeave, LeaveKind::kMedicalAssistance, LeaveKind::kPalliativeCare}) {
    for (BreakFraction f :
         {BreakFraction::kFull, BreakFraction::kHalf, BreakFraction::kOneFifth, BreakFraction::kOneTenth}) {
      Action a = action(line(both(), "careerBreakNotification",
                             R"({"leaveKind":")" + std::string(leave_kind_name(k)) + R"(","fraction":")" +
                                 std::string(break_fraction_name(f)) + R"(","startDate":"2026-02-01"})"));
      EXPECT_EQ(a.leave_kind, k);
      EXPECT_EQ(a.break_fraction, f);
    }
  }
}

TEST_F(ActionCodecTest, DeclarationsStillDecodeAsDeclarations) {
  Result<Command> c = decode(
      R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30}})");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_FALSE(c->is_action);
  EXPECT_EQ(c->declaration.kind, DeclarationKind::kIn);
  EXPECT_EQ(c->declaration.planned_hours.value, 30);
  Result<Command> cancel = decode(R"({"dimonaCancel":{"periodId":656309292174}})");
  ASSERT_TRUE(cancel.is_ok());
  EXPECT_FALSE(cancel->is_action);
  EXPECT_EQ(cancel->declaration.kind, DeclarationKind::kCancel);
}

// --- Malformed lines -----------------------------------------------------------------------

TEST_F(ActionCodecTest, AMissingRequiredFieldIsNamed) {
  expect_malformed(line(kWorker, "attestationRequest", "{}"), "field attestationRequest.year: required");
  expect_malformed(line(kEmployer, "dataAccessRequest", R"({"scope":"FLEXI"})"),
                   "field dataAccessRequest.channel: required");
  expect_malformed(line(both(), "occupationQuarter", R"({"year":2024,"fraction":0.8})"),
                   "field occupationQuarter.quarter: required");
  expect_malformed(line(kWorker, "pensionStatus", "{}"), "field pensionStatus.pensionedAsOf: required");
  expect_malformed(line(kEmployer, "employerSettings", R"({"contactName":"A","email":"e","phone":"p"})"),
                   "field employerSettings.acceptsNotifications: required");
  expect_malformed(
      line(
          both(), "careerBreakRequest",
          R"({"leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2026-01-01","regimeBefore":1,"regimeDuring":0.8})"),
      "field careerBreakRequest.endDate: required");
  expect_malformed(line(kEmployer, "careerBreakEndDate", std::string(R"({"ticket":")") + kTicket + R"("})"),
                   "field careerBreakEndDate.endDate: required");
  expect_malformed(line("", "onemDecision", std::string(R"({"ticket":")") + kTicket + R"("})"),
                   "field onemDecision.decision: required");
  expect_malformed(
      line(kEmployer, "careerBreakPostponement", std::string(R"({"notificationId":")") + kTicket + R"("})"),
      "field careerBreakPostponement.startDate: required");
}

TEST_F(ActionCodecTest, AnUnknownFieldIsNamed) {
  expect_malformed(line(kWorker, "attestationRequest", R"({"year":2025,"colour":"red"})"),
                   "field attestationRequest.colour: unknown field");
  // A field another kind takes is unknown here.
  expect_malformed(line(kWorker, "attestationRequest", R"({"year":2025,"quarter":1})"),
                   "field attestationRequest.quarter: unknown field");
  expect_malformed(line(kWorker, "attestationRequest", R"({"year":2025},"extra":1)"), "field extra: unknown field");
}

TEST_F(ActionCodecTest, ARepeatedFieldIsNamed) {
  expect_malformed(line(kWorker, "attestationRequest", R"({"year":2025,"year":2025})"),
                   "field attestationRequest.year: repeated field");
  expect_malformed(std::string("{") + kWorker + "," + kWorker + R"(,"attestationRequest":{"year":2025}})",
                   "field worker: repeated field");
}

TEST_F(ActionCodecTest, AWrongJsonTypeIsNamed) {
  expect_malformed(line(kWorker, "attestationRequest", R"({"year":"2025"})"),
                   "field attestationRequest.year: expected an integer");
  expect_malformed(line(kWorker, "attestationRequest", "2025"), "field attestationRequest: expected an object");
  expect_malformed(line(kEmployer, "employerSettings",
                        R"({"contactName":"A","email":"e","phone":"p","acceptsNotifications":"yes"})"),
                   "field employerSettings.acceptsNotifications: expected a boolean");
  expect_malformed(line(both(), "occupationQuarter", R"({"year":2024,"quarter":2,"fraction":"0.8"})"),
                   "field occupationQuarter.fraction: expected a number");
  expect_malformed(line(kEmployer, "careerBreakCancellation", R"({"ticket":700000001256})"),
                   "field careerBreakCancellation.ticket: expected a string");
  expect_malformed(
      line(kEmployer, "employerSettings", R"({"contactName":1,"email":"e","phone":"p","acceptsNotifications":true})"),
      "field employerSettings.contactName: expected a string");
}

TEST_F(ActionCodecTest, AValueOutsideItsListIsNamed) {
  expect_malformed(line(kEmployer, "dataAccessRequest", R"({"scope":"EVERYTHING","channel":"QR"})"),
                   "field dataAccessRequest.scope: not one of the allowed values");
  expect_malformed(line(kEmployer, "dataAccessRequest", R"({"scope":"flexi","channel":"QR"})"),
                   "field dataAccessRequest.scope: not one of the allowed values");
  expect_malformed(line(kEmployer, "dataAccessRequest", R"({"scope":"FLEXI","channel":"MAIL"})"),
                   "field dataAccessRequest.channel: not one of the allowed values");
  expect_malformed(line(both(), "careerBreakNotification",
                        R"({"leaveKind":"SABBATICAL","fraction":"1/2","startDate":"2026-02-01"})"),
                   "field careerBreakNotification.leaveKind: not one of the allowed values");
  expect_malformed(line(both(), "careerBreakNotification",
                        R"({"leaveKind":"CAREER_BREAK","fraction":"1/3","startDate":"2026-02-01"})"),
                   "field careerBreakNotification.fraction: not one of the allowed values");
  expect_malformed(line("", "onemDecision", std::string(R"({"ticket":")") + kTicket + R"(","decision":"MAYBE"})"),
                   "field onemDecision.decision: not one of the allowed values");
  expect_malformed(line(kEmployer, "dataAccessRequest", R"({"scope":null,"channel":"QR"})"),
                   "field dataAccessRequest.scope: not one of the allowed values");
}

TEST_F(ActionCodecTest, AnInvalidSsinIsRefusedWithoutEchoingIt) {
  expect_malformed(
      line(std::string(R"("worker":{"ssin":")") + kBadSsin + R"("})", "attestationRequest", R"({"year":2025})"),
      "field worker.ssin: expected a valid SSIN");
  expect_malformed(line(R"("worker":{"ssin":"0503141259"})", "attestationRequest", R"({"year":2025})"),
                   "field worker.ssin: expected a valid SSIN");
}

TEST_F(ActionCodecTest, AnInvalidEmployerIsRefused) {
  expect_malformed(line(R"("employer":{"enterpriseNumber":"0431150351"})", "dataAccessRequest",
                        R"({"scope":"FLEXI","channel":"QR"})"),
                   "field employer: expected one valid enterpriseNumber or employerId");
  expect_malformed(line(R"("employer":{"enterpriseNumber":"0403019261","employerId":125482497})", "dataAccessRequest",
                        R"({"scope":"FLEXI","channel":"QR"})"),
                   "field employer: expected one valid enterpriseNumber or employerId");
}

TEST_F(ActionCodecTest, AWorkerGivenByIdentityInsteadOfSsinIsRefused) {
  expect_malformed(
      line(R"("worker":{"ssin":"05031412595","familyName":"Peeters"})", "attestationRequest", R"({"year":2025})"),
      "field worker: an action takes the ssin only");
  expect_malformed(line(R"("worker":{"familyName":"Peeters","givenName":"An","birthDate":"2005-03-14"})",
                        "attestationRequest", R"({"year":2025})"),
                   "field worker.ssin: expected a valid SSIN");
}

TEST_F(ActionCodecTest, APartyTheKindDoesNotTakeIsRefused) {
  expect_malformed(line(both(), "attestationRequest", R"({"year":2025})"),
                   "field employer: not taken by attestationRequest");
  expect_malformed(line(both(), "dataAccessRequest", R"({"scope":"FLEXI","channel":"QR"})"),
                   "field worker: not taken by dataAccessRequest");
  expect_malformed(line(both(), "pensionStatus", R"({"pensionedAsOf":null})"),
                   "field employer: not taken by pensionStatus");
  expect_malformed(
      line(kEmployer, "onemDecision", std::string(R"({"ticket":")") + kTicket + R"(","decision":"GRANTED"})"),
      "field employer: not taken by onemDecision");
}

TEST_F(ActionCodecTest, ARequiredPartyMissingIsRefused) {
  expect_malformed(line("", "attestationRequest", R"({"year":2025})"), "field worker: required");
  expect_malformed(line("", "dataAccessRequest", R"({"scope":"FLEXI","channel":"QR"})"), "field employer: required");
  expect_malformed(line(kEmployer, "occupationQuarter", R"({"year":2024,"quarter":2,"fraction":0.8})"),
                   "field worker: required");
  expect_malformed(line(kWorker, "occupationQuarter", R"({"year":2024,"quarter":2,"fraction":0.8})"),
                   "field employer: required");
  expect_malformed(line(kEmployer, "careerBreakEmployeePart", std::string(R"({"ticket":")") + kTicket + R"("})"),
                   "field worker: required");
  expect_malformed(line(kWorker, "careerBreakCancellation", std::string(R"({"ticket":")") + kTicket + R"("})"),
                   "field employer: required");
}

TEST_F(ActionCodecTest, AnAttachmentNeedsExactlyOneOfTicketAndNotificationId) {
  expect_malformed(
      line(kEmployer, "careerBreakAttachment",
           std::string(R"({"ticket":")") + kTicket + R"(","notificationId":")" + kTicket + R"(","fileName":"a.pdf"})"),
      "field careerBreakAttachment: exactly one of ticket, notificationId is required");
  expect_malformed(line(kEmployer, "careerBreakAttachment", R"({"fileName":"a.pdf"})"),
                   "field careerBreakAttachment: exactly one of ticket, notificationId is required");
}

TEST_F(ActionCodecTest, AnIdFailingItsMod97CheckIsRefused) {
  expect_malformed(line(kEmployer, "careerBreakCancellation", R"({"ticket":"700000001257"})"),
                   "field careerBreakCancellation.ticket: expected 12 digits, the last two the first ten mod 97");
  expect_malformed(line(kEmployer, "careerBreakCancellation", R"({"ticket":"70000000125"})"),
                   "field careerBreakCancellation.ticket: expected 12 digits");
  expect_malformed(line(kEmployer, "careerBreakCancellation", R"({"ticket":"70000000125A"})"),
                   "field careerBreakCancellation.ticket: expected 12 digits");
  expect_malformed(line(kWorker, "dataAccessRevocation", R"({"requestId":"000000000000"})"),
                   "field dataAccessRevocation.requestId: expected 12 digits");
  expect_malformed(line(kEmployer, "careerBreakNotificationValidation", R"({"notificationId":"700000001255"})"),
                   "field careerBreakNotificationValidation.notificationId: expected 12 digits");
}

TEST_F(ActionCodecTest, ATokenMustBeTwentyCrockfordCharacters) {
  auto grant = [](const std::string& token) {
    return line(kWorker, "dataAccessGrant", R"({"token":")" + token + R"("})");
  };
  const std::string expected = "field dataAccessGrant.token: expected 20 characters of Crockford base32";
  expect_malformed(grant("7K3M9Q2XW8D4RZ6T1VB"), expected);    // 19
  expect_malformed(grant("7K3M9Q2XW8D4RZ6T1VBNN"), expected);  // 21
  expect_malformed(grant("7K3M9Q2XW8D4RZ6T1VBU"), expected);   // U is not Crockford
  expect_malformed(grant("7K3M9Q2XW8D4RZ6T1VB-"), expected);
  expect_malformed(grant("00000000000000000000"), expected);  // all zero is the "no token" value
  // Crockford reads lower case and I, L, O as 1, 1, 0.
  EXPECT_EQ(action(grant("7k3m9q2xw8d4rz6t1vbn")).token, *parse_access_token(kToken));
}

TEST_F(ActionCodecTest, AnOccupationFractionOver1Point5OrWithFourDecimalsIsRefused) {
  auto occupation = [](const std::string& fraction) {
    return line(both(), "occupationQuarter", R"({"year":2024,"quarter":2,"fraction":)" + fraction + "}");
  };
  expect_malformed(occupation("1.501"), "field occupationQuarter.fraction: out of range");
  expect_malformed(occupation("2"), "field occupationQuarter.fraction: out of range");
  expect_malformed(occupation("-0.1"), "field occupationQuarter.fraction: out of range");
  expect_malformed(occupation("0.8125"), "field occupationQuarter.fraction: at most 3 decimals");
  expect_malformed(occupation("0.0001"), "field occupationQuarter.fraction: at most 3 decimals");
  expect_malformed(occupation("1e300"), "field occupationQuarter.fraction: out of range");
  // Places are counted as written: a value a double rounds or underflows to an allowed one is refused.
  expect_malformed(occupation("1e-400"), "field occupationQuarter.fraction: at most 3 decimals");
  expect_malformed(occupation("0.8000001"), "field occupationQuarter.fraction: at most 3 decimals");
  expect_malformed(occupation("1E-4"), "field occupationQuarter.fraction: at most 3 decimals");
  // Trailing zeros and exponents that leave at most 3 places are the same number.
  auto permille = [&](const std::string& fraction) { return action(occupation(fraction)).fraction_permille; };
  EXPECT_EQ(permille("0.8000"), 800);
  EXPECT_EQ(permille("0.0000"), 0);
  EXPECT_EQ(permille("8e-1"), 800);
  EXPECT_EQ(permille("125E-3"), 125);
  EXPECT_EQ(permille("0.0125e1"), 125);
  EXPECT_EQ(permille("0e-400"), 0);
  EXPECT_EQ(permille("0.001"), 1);
  // The integer digits' trailing zeros too: 8000e-4 and 80e-2 are 0.8 as 0.8000 is.
  EXPECT_EQ(permille("8000e-4"), 800);
  EXPECT_EQ(permille("80e-2"), 800);
  EXPECT_EQ(permille("5" + std::string(300, '0') + "e-301"), 500);
  expect_malformed(occupation("8001e-4"), "field occupationQuarter.fraction: at most 3 decimals");
}

TEST_F(ActionCodecTest, ARegimeOverOneIsRefused) {
  expect_malformed(
      line(
          both(), "careerBreakRequest",
          R"({"leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2026-01-01","endDate":"2026-12-31","regimeBefore":1.2,"regimeDuring":0.8})"),
      "field careerBreakRequest.regimeBefore: out of range");
}

TEST_F(ActionCodecTest, QuarterFiveAndYearsOutOfRangeAreRefused) {
  auto occupation = [](const std::string& year, const std::string& quarter) {
    return line(both(), "occupationQuarter", R"({"year":)" + year + R"(,"quarter":)" + quarter + R"(,"fraction":0.8})");
  };
  expect_malformed(occupation("2024", "5"), "field occupationQuarter.quarter: expected 1, 2, 3 or 4");
  expect_malformed(occupation("2024", "0"), "field occupationQuarter.quarter: expected 1, 2, 3 or 4");
  expect_malformed(occupation("1899", "1"), "field occupationQuarter.year: expected a year");
  expect_malformed(occupation("2024.5", "1"), "field occupationQuarter.year: expected an integer");
}

TEST_F(ActionCodecTest, BadDatesAreRefused) {
  expect_malformed(line(kWorker, "pensionStatus", R"({"pensionedAsOf":"2024-02-30"})"),
                   "field pensionStatus.pensionedAsOf: expected a date YYYY-MM-DD");
  expect_malformed(
      line(kEmployer, "careerBreakEndDate", std::string(R"({"ticket":")") + kTicket + R"(","endDate":"30/06/2026"})"),
      "field careerBreakEndDate.endDate: expected a date YYYY-MM-DD");
}

TEST_F(ActionCodecTest, TextsAreNonEmptyAndAtMost512Bytes) {
  auto attachment = [](const std::string& name) {
    return line(kEmployer, "careerBreakAttachment",
                std::string(R"({"ticket":")") + kTicket + R"(","fileName":")" + name + R"("})");
  };
  EXPECT_EQ(action(attachment(std::string(512, 'a'))).file_name.size(), 512u);
  expect_malformed(attachment(std::string(513, 'a')), "field careerBreakAttachment.fileName: text too long");
  expect_malformed(attachment(""), "field careerBreakAttachment.fileName: expected a non-empty string");
  for (const char* control : {R"(a\u0000b)", R"(a\u001b[31m)", R"(a\r\nX-Injected: 1)", R"(a\tb)", R"(a\u007f)"})
    expect_malformed(attachment(control), "field careerBreakAttachment.fileName: control characters are not allowed");
  EXPECT_EQ(action(attachment(R"(caf\u00e9 \"quoted\".pdf)")).file_name, "caf\u00e9 \"quoted\".pdf");
}

TEST_F(ActionCodecTest, TwoActionKeysAreRefused) {
  expect_malformed(
      std::string("{") + kWorker + R"(,"attestationRequest":{"year":2025},"pensionStatus":{"pensionedAsOf":null}})",
      "exactly one of dimonaIn, dimonaUpdate, dimonaOut, dimonaCancel or an action is required");
  expect_malformed(
      std::string("{") + kWorker + R"(,"attestationRequest":{"year":2025},"attestationRequest":{"year":2025}})",
      "field attestationRequest: repeated field");
}

TEST_F(ActionCodecTest, AnActionKeyWithADeclarationIsRefused) {
  expect_malformed(
      std::string("{") + both() +
          R"(,"attestationRequest":{"year":2025},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30}})",
      "exactly one of dimonaIn, dimonaUpdate, dimonaOut, dimonaCancel or an action is required");
}

TEST_F(ActionCodecTest, ALineWithNoKindOrNotAnObjectIsRefused) {
  expect_malformed(std::string("{") + kWorker + "}", "exactly one of dimonaIn");
  expect_malformed("[1,2]", "a declaration or an action must be a JSON object");
  expect_malformed(line(kWorker, "attestationRequest", R"({"year":2025})") + " {}", "trailing content");
}

// --- Access codes, tokens, months --------------------------------------------------------------

TEST(AccessCode, FormatAndParseRoundTrip) {
  for (uint64_t code :
       {uint64_t{0}, uint64_t{1}, uint64_t{31}, uint64_t{32}, uint64_t{0x2A5A5A5A5A5A5}, kAccessCodeMask}) {
    const std::string text = format_access_code(code);
    ASSERT_EQ(text.size(), 11u);
    EXPECT_EQ(text[5], '-');
    ASSERT_TRUE(parse_access_code(text)) << text;
    EXPECT_EQ(*parse_access_code(text), code) << text;
  }
  EXPECT_EQ(format_access_code(0), "00000-00000");
  EXPECT_EQ(format_access_code(kAccessCodeMask), "ZZZZZ-ZZZZZ");
  EXPECT_EQ(format_access_code(32), "00000-00010");
}

TEST(AccessCode, ParsingIgnoresCaseDashesAndSpaces) {
  const uint64_t code = *parse_access_code("7K3M9-Q2XW8");
  EXPECT_EQ(parse_access_code("7k3m9-q2xw8"), code);
  EXPECT_EQ(parse_access_code("7K3M9Q2XW8"), code);
  EXPECT_EQ(parse_access_code(" 7K3 M9-Q2X-W8 "), code);
  EXPECT_EQ(format_access_code(code), "7K3M9-Q2XW8");
}

TEST(AccessCode, IAndLReadAsOneAndOAsZero) {
  EXPECT_EQ(parse_access_code("IL000-00000"), parse_access_code("11000-00000"));
  EXPECT_EQ(parse_access_code("il000-0000o"), parse_access_code("11000-00000"));
  EXPECT_EQ(parse_access_code("OOOOO-OOOOO"), std::optional<uint64_t>(0));
}

TEST(AccessCode, AWrongLengthOrCharacterIsRefused) {
  EXPECT_FALSE(parse_access_code(""));
  EXPECT_FALSE(parse_access_code("7K3M9-Q2XW"));    // 9
  EXPECT_FALSE(parse_access_code("7K3M9-Q2XW88"));  // 11
  EXPECT_FALSE(parse_access_code("7K3M9-Q2XWU"));   // U
  EXPECT_FALSE(parse_access_code("7K3M9_Q2XW8"));   // underscore
  EXPECT_FALSE(parse_access_code("----------"));
}

TEST(AccessToken, ToStringAndParseRoundTripIncludingTheTopBits) {
  const uint64_t top = (uint64_t{1} << 36) - 1;
  for (AccessToken t : {AccessToken{0, 1}, AccessToken{1, 0}, AccessToken{uint64_t{1} << 35, 0},
                        AccessToken{top, ~uint64_t{0}}, AccessToken{0xABCDEF012, 0xF0E1D2C3B4A59687},
                        AccessToken{0, uint64_t{1} << 63}, AccessToken{0, uint64_t{15} << 60}}) {
    const std::string text = to_string(t);
    ASSERT_EQ(text.size(), kAccessTokenChars);
    std::optional<AccessToken> back = parse_access_token(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, t) << text;
  }
  EXPECT_EQ(to_string(AccessToken{top, ~uint64_t{0}}), "ZZZZZZZZZZZZZZZZZZZZ");
  EXPECT_EQ(to_string(AccessToken{uint64_t{1} << 35, 0}), "G0000000000000000000");  // bit 99
  EXPECT_EQ(to_string(AccessToken{1, 0}), "0000000G000000000000");  // bit 64, in the digit over the seam
  EXPECT_EQ(to_string(AccessToken{0, uint64_t{1} << 63}), "00000008000000000000");  // bit 63, the same digit
  EXPECT_EQ(to_string(AccessToken{0, 1}), "00000000000000000001");
}

TEST(AccessToken, ParsingIsCaseInsensitiveAndRefusesOtherLengths) {
  EXPECT_EQ(parse_access_token("7k3m9q2xw8d4rz6t1vbn"), parse_access_token("7K3M9Q2XW8D4RZ6T1VBN"));
  EXPECT_EQ(parse_access_token("I0000000000000000000"), parse_access_token("10000000000000000000"));
  EXPECT_FALSE(parse_access_token(""));
  EXPECT_FALSE(parse_access_token("7K3M9Q2XW8D4RZ6T1VB"));
  EXPECT_FALSE(parse_access_token("7K3M9Q2XW8D4RZ6T1VBNX"));
  EXPECT_FALSE(parse_access_token("7K3M9-Q2XW8D4RZ6T1VB"));
  EXPECT_FALSE(parse_access_token("00000000000000000000"));
}

// On a Belgian clock (docs/actions.md): the same day and wall-clock time in Brussels, so the UTC
// time moves by an hour across a change of summer time, and a grant at 00:30 in Brussels on
// 1 March (23:30 UTC on 28 February) lasts until 1 April (rule 12: day arithmetic).
TEST(Months, AddMonthsKeepsTheDayAndTheTimeOfDayInBrussels) {
  EXPECT_EQ(add_months(instant("2025-01-15T10:30:00Z"), 1), instant("2025-02-15T10:30:00Z"));
  EXPECT_EQ(add_months(instant("2025-01-15T10:30:00Z"), 3), instant("2025-04-15T09:30:00Z"));  // 11:30 in Brussels
  EXPECT_EQ(add_months(instant("2025-06-16T14:30:00Z"), 2), instant("2025-08-16T14:30:00Z"));
  EXPECT_EQ(add_months(instant("2025-11-15T23:59:59.5Z"), 3), instant("2026-02-15T23:59:59.5Z"));
  EXPECT_EQ(add_months(instant("2025-03-31T00:00:00Z"), 0), instant("2025-03-31T00:00:00Z"));
  EXPECT_EQ(add_months(instant("2025-02-28T23:30:00Z"), 1), instant("2025-03-31T22:30:00Z"));  // 1 April 00:30
  EXPECT_EQ(add_months(instant("2025-04-30T22:30:00Z"), 3), instant("2025-07-31T22:30:00Z"));  // 1 August 00:30
  EXPECT_EQ(add_months(instant("2025-12-31T23:30:00Z"), 1), instant("2026-01-31T23:30:00Z"));  // 1 Jan 00:30 -> 1 Feb
  // The day the clocks go forward (2025-03-30, 02:00 -> 03:00) and back (2025-10-26, 03:00 -> 02:00).
  EXPECT_EQ(add_months(instant("2025-03-30T00:30:00Z"), 1), instant("2025-04-29T23:30:00Z"));  // 01:30 CET, 01:30 CEST
  EXPECT_EQ(add_months(instant("2025-03-30T01:30:00Z"), 1), instant("2025-04-30T01:30:00Z"));  // 03:30 CEST
  EXPECT_EQ(add_months(instant("2025-10-26T00:30:00Z"), 1), instant("2025-11-26T01:30:00Z"));  // 02:30 CEST -> CET
  EXPECT_EQ(add_months(instant("2025-10-26T01:30:00Z"), 1), instant("2025-11-26T01:30:00Z"));  // 02:30 CET
}

TEST(Months, AddMonthsClampsToTheLastDayOfAShorterMonth) {
  EXPECT_EQ(add_months(instant("2025-01-31T08:00:00Z"), 1), instant("2025-02-28T08:00:00Z"));
  EXPECT_EQ(add_months(instant("2024-01-31T08:00:00Z"), 1), instant("2024-02-29T08:00:00Z"));
  EXPECT_EQ(add_months(instant("2025-01-31T08:00:00Z"), 3), instant("2025-04-30T07:00:00Z"));  // 09:00 in Brussels
  EXPECT_EQ(add_months(instant("2025-03-30T08:00:00Z"), 1), instant("2025-04-30T08:00:00Z"));
  EXPECT_EQ(add_months(instant("2024-02-29T08:00:00Z"), 12), instant("2025-02-28T08:00:00Z"));
  EXPECT_EQ(add_months(instant("2025-01-30T23:30:00Z"), 1),
            instant("2025-02-27T23:30:00Z"));  // 31 Jan 00:30 -> 28 Feb 00:30
}

TEST(Months, FirstAndLastDayOfAMonth) {
  EXPECT_EQ(first_day_of_month(month_index(date("2025-03-17"))), date("2025-03-01"));
  EXPECT_EQ(last_day_of_month(month_index(date("2025-03-17"))), date("2025-03-31"));
  EXPECT_EQ(last_day_of_month(month_index(date("2024-02-10"))), date("2024-02-29"));
  EXPECT_EQ(last_day_of_month(month_index(date("2025-02-10"))), date("2025-02-28"));
  EXPECT_EQ(last_day_of_month(month_index(date("2025-12-01"))), date("2025-12-31"));
  EXPECT_EQ(first_day_of_month(month_index(date("2025-12-31")) + 1), date("2026-01-01"));
}

TEST(Months, MonthStringIsYearDashMonth) {
  EXPECT_EQ(month_string(month_index(date("2025-03-17"))), "2025-03");
  EXPECT_EQ(month_string(month_index(date("2025-12-31"))), "2025-12");
  EXPECT_EQ(month_string(month_index(date("2026-01-01"))), "2026-01");
  EXPECT_EQ(month_index(date("2025-01-01")) - month_index(date("2024-12-31")), 1);
}

// --- Action events: encode_event -> EventDecoder ----------------------------------------------

// An action event built by hand from an input line and an outcome.
class ActionEventTest : public ActionCodecTest {
 protected:
  Event event_of(const std::string& json, const ActionOutcome& outcome) {
    // The Action's views and the raw text point into this buffer, which outlives the event.
    std::string& padded = buffers_.emplace_back(json);
    padded.resize(json.size() + kJsonPadding, ' ');
    const std::string_view raw(padded.data(), json.size());
    Result<Command> c = decoder_.decode_command(raw, padded.size());
    EXPECT_TRUE(c.is_ok()) << c.status().to_string() << " for " << json;
    Event e;
    if (!c.is_ok()) return e;
    e.type = event_type_of(c->action.kind);
    e.recorded_at = instant("2025-03-17T10:00:00Z");
    e.ssin = outcome.worker;
    e.source = "batch:in.ndjson:7";
    e.action.action = c->action;
    e.action.outcome = outcome;
    e.action.raw = raw;
    return e;
  }

  // encode_event then decode; the decoded Event points into `encoded_`.
  Result<Event> round_trip(const Event& e) {
    encoded_.clear();
    encode_event(e, &encoded_);
    EXPECT_EQ(encoded_.back(), '\n');
    encoded_.pop_back();
    return decode_event(encoded_);
  }

  Result<Event> decode_event(const std::string& text) {
    event_line_ = text;
    event_line_.resize(text.size() + kJsonPadding, ' ');
    return events_.decode(std::string_view(event_line_.data(), text.size()), event_line_.size());
  }

  // The fields every action event carries, accepted or refused.
  static void expect_same_envelope(const Event& in, const Event& out) {
    EXPECT_EQ(out.type, in.type);
    EXPECT_EQ(out.recorded_at, in.recorded_at);
    EXPECT_EQ(out.ssin, in.ssin);
    EXPECT_EQ(out.source, in.source);
    EXPECT_EQ(out.action.raw, in.action.raw);
    EXPECT_EQ(out.action.action.kind, in.action.action.kind);
    EXPECT_EQ(out.action.action.id, in.action.action.id);
    EXPECT_EQ(out.action.action.worker, in.action.action.worker);
    EXPECT_EQ(out.action.action.employer, in.action.action.employer);
    const ActionOutcome& a = in.action.outcome;
    const ActionOutcome& b = out.action.outcome;
    EXPECT_EQ(b.id, a.id);
    EXPECT_EQ(b.refusal, a.refusal) << refusal_name(b.refusal);
    EXPECT_EQ(b.worker, a.worker);
    EXPECT_EQ(b.employer, a.employer);
    EXPECT_EQ(b.subject, a.subject);
  }

  std::deque<std::string> buffers_;  // a deque: growing it moves no string
  std::string encoded_, event_line_;
  EventDecoder events_;
};

TEST_F(ActionEventTest, AConsultationRoundTripsWithWhoWhatAndHow) {
  ActionOutcome o;
  o.id = 700000001256;
  o.worker = Ssin{5031412595};
  o.employer = 403019261;
  Event in = event_of(line(both(), "dataConsultation", R"({"role":"agency","scope":"consentedData:FLEXI","channel":"consent"})"), o);
  EXPECT_EQ(in.type, EventType::kCitizenDataConsulted);
  Result<Event> out = round_trip(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
  expect_same_envelope(in, *out);
  EXPECT_NE(encoded_.find("\"type\":\"CitizenDataConsulted\""), std::string::npos) << encoded_;
  const Action& a = out->action.action;
  EXPECT_EQ(a.role, ConsultationRole::kAgency);
  EXPECT_EQ(a.consulted_scope, "consentedData:FLEXI");
  EXPECT_EQ(a.consultation_channel, ConsultationChannel::kConsent);
}

TEST_F(ActionEventTest, AnOverviewSentRoundTripsWithItsChannelAddressAndFilters) {
  ActionOutcome o;
  o.id = 700000001256;
  o.worker = Ssin{85073003328};
  Event in =
      event_of(line(R"("worker":{"ssin":"85073003328"})", "interimOverviewSend",
                    R"({"channel":"EMAIL","email":"jan@example.be","to":"2026-06-30","userCompany":"Café du Coin"})"),
               o);
  EXPECT_EQ(in.type, EventType::kInterimOverviewSent);
  Result<Event> out = round_trip(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
  expect_same_envelope(in, *out);
  EXPECT_NE(encoded_.find(R"("type":"InterimOverviewSent")"), std::string::npos) << encoded_;
  const Action& a = out->action.action;
  EXPECT_EQ(a.delivery, DeliveryChannel::kEmail);
  EXPECT_EQ(a.delivery_email, "jan@example.be");
  EXPECT_FALSE(a.from);
  EXPECT_EQ(a.to, date("2026-06-30"));
  EXPECT_EQ(a.user_company_name, "Café du Coin");
}

TEST_F(ActionEventTest, AnAcceptedAttestationKeepsItsDerivedFields) {
  ActionOutcome o;
  o.id = 700000001256;
  o.worker = Ssin{5031412595};
  o.for_year = 2025;
  o.quota_hours = 475;
  o.remaining_hours = 445;
  o.access_code = 0x2A5A5A5A5A5A5;
  o.code_month = month_index(date("2025-03-17"));
  Event in = event_of(line(kWorker, "attestationRequest", R"({"year":2025})"), o);
  Result<Event> out = round_trip(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
  expect_same_envelope(in, *out);
  const ActionOutcome& b = out->action.outcome;
  EXPECT_EQ(b.for_year, 2025);
  EXPECT_EQ(b.quota_hours, 475u);
  EXPECT_EQ(b.remaining_hours, 445u);
  EXPECT_EQ(b.access_code, o.access_code);
  EXPECT_EQ(b.code_month, o.code_month);
  EXPECT_NE(encoded_.find(R"("eventId":"act-700000001256")"), std::string::npos) << encoded_;
  EXPECT_NE(encoded_.find(R"("validFrom":"2025-03-01","validUntil":"2025-05-31")"), std::string::npos) << encoded_;
}

TEST_F(ActionEventTest, AnAcceptedRequestKeepsItsTokenAndEmployer) {
  ActionOutcome o;
  o.id = 700000001256;
  o.employer = 403019261;
  o.token = AccessToken{(uint64_t{1} << 36) - 2, 0x0123456789ABCDEF};
  Event in = event_of(line(kEmployer, "dataAccessRequest", R"({"scope":"STUDENT_BALANCE","channel":"QR"})"), o);
  Result<Event> out = round_trip(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
  expect_same_envelope(in, *out);
  EXPECT_EQ(out->action.outcome.token, o.token);
  EXPECT_EQ(out->action.action.scope, AccessScope::kStudentBalance);
  EXPECT_EQ(encoded_.find(R"("ssin")"), std::string::npos) << "a request has no citizen: " << encoded_;
}

// Found by tests/fuzz/fuzz_event_decoder: a line without the token decoded,
// but its re-encoding (an all-zero token) did not; refused when read.
TEST_F(ActionEventTest, AnAcceptedRequestWithoutItsTokenIsCorrupt) {
  Result<Event> e = decode_event(
      R"({"eventId":"act-700000002872","type":"CitizenDataAccessRequested","schemaVersion":1,)"
      R"("recordedAt":"2026-12-03T03:49:52Z","source":"cli:submit","body":{"actionId":"700000000020","action":)"
      R"({"employer":{"enterpriseNumber":"0403019261"},"dataAccessRequest":{"scope":"FLEXI","channel":"QR"}}}})");
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().code(), Code::kCorruption) << e.status().to_string();
}

TEST_F(ActionEventTest, AnAcceptedGrantKeepsItsRequestScopeAndExpiry) {
  ActionOutcome o;
  o.id = 700000001353;
  o.worker = Ssin{5031412595};
  o.employer = 125482497 | kNssoEmployerTag;
  o.subject = 700000001256;
  o.scope = AccessScope::kStudentBalance;
  o.expires_at = instant("2025-06-17T10:00:00Z");
  Event in = event_of(line(kWorker, "dataAccessGrant", std::string(R"({"token":")") + kToken + R"("})"), o);
  Result<Event> out = round_trip(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
  expect_same_envelope(in, *out);
  EXPECT_EQ(out->action.outcome.scope, AccessScope::kStudentBalance);
  EXPECT_EQ(out->action.outcome.expires_at, o.expires_at);
  EXPECT_EQ(out->action.action.token, *parse_access_token(kToken));
  EXPECT_NE(encoded_.find(R"("employer":{"employerId":125482497})"), std::string::npos) << encoded_;
  EXPECT_NE(encoded_.find(R"("requestId":"700000001256")"), std::string::npos) << encoded_;
}

TEST_F(ActionEventTest, AnAcceptedRevocationAndRefusalKeepTheirScope) {
  for (const char* key : {"dataAccessRevocation", "dataAccessRefusal"}) {
    ActionOutcome o;
    o.id = 700000001353;
    o.worker = Ssin{5031412595};
    o.employer = 403019261;
    o.subject = 700000001256;
    o.scope = AccessScope::kStudentBalance;
    const std::string body = std::string(key) == "dataAccessRefusal"
                                 ? std::string(R"({"token":")") + kToken + R"("})"
                                 : std::string(R"({"requestId":")") + kTicket + R"("})";
    Event in = event_of(line(kWorker, key, body), o);
    Result<Event> out = round_trip(in);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
    expect_same_envelope(in, *out);
    EXPECT_EQ(out->action.outcome.scope, AccessScope::kStudentBalance) << key;
  }
}

TEST_F(ActionEventTest, AnAcceptedTicketActionKeepsTheResolvedCitizenAndEmployer) {
  ActionOutcome o;
  o.id = 700000001353;
  o.worker = Ssin{85073003328};  // resolved from the ticket: the line names only the employer
  o.employer = 403019261;
  o.subject = 700000001256;
  Event in = event_of(
      line(kEmployer, "careerBreakEndDate", std::string(R"({"ticket":")") + kTicket + R"(","endDate":"2026-06-30"})"),
      o);
  Result<Event> out = round_trip(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
  expect_same_envelope(in, *out);
  ASSERT_TRUE(out->action.action.end_date);
  EXPECT_EQ(*out->action.action.end_date, date("2026-06-30"));
  EXPECT_NE(encoded_.find(R"("ticket":"700000001256")"), std::string::npos) << encoded_;
}

TEST_F(ActionEventTest, AnAttachmentToANotificationNamesItsNotification) {
  ActionOutcome o;
  o.id = 700000001353;
  o.worker = Ssin{85073003328};
  o.employer = 403019261;
  o.subject = 700000001256;
  Event in = event_of(line(kEmployer, "careerBreakAttachment",
                           std::string(R"({"notificationId":")") + kTicket + R"(","fileName":"n.pdf"})"),
                      o);
  Result<Event> out = round_trip(in);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
  expect_same_envelope(in, *out);
  EXPECT_TRUE(out->action.action.to_notification);
  EXPECT_EQ(out->action.action.file_name, "n.pdf");
  EXPECT_NE(encoded_.find(R"("notificationId":"700000001256")"), std::string::npos) << encoded_;
}

TEST_F(ActionEventTest, RefusedActionsKeepTheirReasonAndSubject) {
  struct Case {
    std::string json;
    ActionRefusal refusal;
    uint64_t subject, employer;
    Ssin worker;
  };
  const std::vector<Case> cases = {
      {line(kWorker, "attestationRequest", R"({"year":2027})"), ActionRefusal::kYearNotAvailable, 0, 0,
       Ssin{5031412595}},
      {line(kWorker, "dataAccessGrant", std::string(R"({"token":")") + kToken + R"("})"),
       ActionRefusal::kTokenAlreadyUsed, 700000001256, 403019261, Ssin{5031412595}},
      {line(kEmployer, "careerBreakCancellation", std::string(R"({"ticket":")") + kTicket + R"("})"),
       ActionRefusal::kEmployeePartCompleted, 700000001256, 403019261, Ssin{85073003328}},
      {line(kEmployer, "careerBreakPostponement",
            std::string(R"({"notificationId":")") + kTicket + R"(","startDate":"2026-01-01"})"),
       ActionRefusal::kPostponementNotLater, 700000001256, 403019261, Ssin{85073003328}},
      {line(both(), "careerBreakNotification",
            R"({"leaveKind":"CAREER_BREAK","fraction":"FULL","startDate":"2026-02-01"})"),
       ActionRefusal::kNotificationsNotAccepted, 0, 403019261, Ssin{5031412595}},
      {line("", "onemDecision", std::string(R"({"ticket":")") + kTicket + R"(","decision":"GRANTED"})"),
       ActionRefusal::kUnknownTicket, 0, 0, Ssin{}},
  };
  for (const Case& c : cases) {
    ActionOutcome o;
    o.id = 700000001450;
    o.refusal = c.refusal;
    o.subject = c.subject;
    o.employer = c.employer;
    o.worker = c.worker;
    Event in = event_of(c.json, o);
    Result<Event> out = round_trip(in);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string() << "\n" << encoded_;
    expect_same_envelope(in, *out);
    EXPECT_FALSE(out->action.outcome.accepted());
    EXPECT_NE(encoded_.find(R"("result":"B","reason":")" + std::string(refusal_name(c.refusal)) + "\""),
              std::string::npos)
        << encoded_;
  }
}

TEST_F(ActionEventTest, EveryRefusalReasonHasANameThatParsesBack) {
  for (size_t i = 1; i < kActionRefusalCount; ++i) {
    const auto r = static_cast<ActionRefusal>(i);
    ActionRefusal back = ActionRefusal::kNone;
    ASSERT_TRUE(parse_refusal(refusal_name(r), &back)) << refusal_name(r);
    EXPECT_EQ(back, r);
    EXPECT_FALSE(refusal_message(r).empty());
  }
  ActionRefusal none = ActionRefusal::kIdInUse;
  EXPECT_FALSE(parse_refusal("none", &none));  // "none" is no reason: an accepted event has none
  EXPECT_FALSE(parse_refusal("IdInUse", &none));
}

TEST_F(ActionEventTest, RefusedWithoutAReasonIsCorruption) {
  ActionOutcome o;
  o.id = 700000001256;
  o.worker = Ssin{5031412595};
  Event in = event_of(line(kWorker, "pensionStatus", R"({"pensionedAsOf":null})"), o);
  std::string text;
  encode_event(in, &text);
  text.pop_back();
  const size_t at = text.find(R"("result":"A")");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 12, R"("result":"B")");
  Result<Event> out = decode_event(text);
  ASSERT_FALSE(out.is_ok()) << text;
  EXPECT_EQ(out.status().code(), Code::kCorruption) << out.status().to_string();
}

TEST_F(ActionEventTest, AcceptedWithAReasonIsCorruption) {
  ActionOutcome o;
  o.id = 700000001256;
  o.worker = Ssin{5031412595};
  Event in = event_of(line(kWorker, "pensionStatus", R"({"pensionedAsOf":null})"), o);
  std::string text;
  encode_event(in, &text);
  text.pop_back();
  const size_t at = text.find(R"("result":"A")");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 12, R"("result":"A","reason":"idInUse")");
  Result<Event> out = decode_event(text);
  ASSERT_FALSE(out.is_ok()) << text;
  EXPECT_EQ(out.status().code(), Code::kCorruption) << out.status().to_string();
}

TEST_F(ActionEventTest, AnEventWhoseTypeDoesNotMatchItsActionIsCorruption) {
  ActionOutcome o;
  o.id = 700000001256;
  o.worker = Ssin{5031412595};
  Event in = event_of(line(kWorker, "pensionStatus", R"({"pensionedAsOf":null})"), o);
  std::string text;
  encode_event(in, &text);
  text.pop_back();
  const size_t at = text.find("PensionCadastreEntryRecorded");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 28, "StudentAttestationIssued");
  Result<Event> out = decode_event(text);
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), Code::kCorruption) << out.status().to_string();
}

TEST_F(ActionEventTest, AnEventWithoutItsActionIsCorruption) {
  Result<Event> out = decode_event(
      R"({"eventId":"act-700000001256","type":"PensionCadastreEntryRecorded","schemaVersion":1,"ssin":"05031412595","recordedAt":"2025-03-17T10:00:00Z","source":"t","body":{"actionId":"700000001256","result":"A"}})");
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), Code::kCorruption) << out.status().to_string();
}

}  // namespace
}  // namespace dimona
