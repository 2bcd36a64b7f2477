#include "projections/inbox_views.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/event.h"

namespace dimona {
namespace {

constexpr Ssin kStudent{5031412595};
constexpr Ssin kOther{85073003328};

Instant at(const char* text) { return *parse_instant(text); }

// An accepted attestationRequest as the log holds it.
Event attestation(Ssin citizen, uint64_t id, const char* issued, int32_t year = 2025) {
  Event e;
  e.type = event_type_of(ActionKind::kAttestationRequest);
  e.recorded_at = at(issued);
  e.ssin = citizen;
  e.source = "test";
  e.action.action.kind = ActionKind::kAttestationRequest;
  e.action.action.year = year;
  ActionOutcome& o = e.action.outcome;
  o.id = id;
  o.worker = citizen;
  o.for_year = year;
  o.quota_hours = 650;
  o.remaining_hours = 610;
  o.access_code = 12345;
  o.code_month = month_index(date_of(e.recorded_at));
  return e;
}

// An accepted career-break action on `ticket` (its request when `kind` is
// kCareerBreakRequest), by kEmployer for `citizen`, as the log holds it.
constexpr uint64_t kEmployer = 403019261;
Event on_ticket(ActionKind kind, uint64_t id, uint64_t ticket, const char* recorded, Ssin citizen = kStudent) {
  Event e;
  e.type = event_type_of(kind);
  e.recorded_at = at(recorded);
  e.ssin = citizen;
  e.source = "test";
  e.action.action.kind = kind;
  e.action.action.start_date = *parse_date("2025-09-01");
  e.action.action.end_date = *parse_date("2026-08-31");
  e.action.action.decision = OnemDecision::kRefused;
  e.action.outcome.id = id;
  e.action.outcome.subject = ticket;
  e.action.outcome.worker = citizen;
  e.action.outcome.employer = kEmployer;
  return e;
}

class InboxViewsTest : public ::testing::Test {
 protected:
  // The engine's fold, then the read model's, as the Projector folds an event.
  void apply(const Event& e) {
    ASSERT_TRUE(actions_.apply(e).is_ok());
    index_.apply(e, offset_);
    breaks_.apply(e, offset_++);
  }
  ActionState actions_;
  AccessIndex index_;
  CareerBreakIndex breaks_;
  Offset offset_ = 0;
};

TEST_F(InboxViewsTest, EachAttestationIsAMessageNewestFirst) {
  apply(attestation(kStudent, 700000000101, "2025-03-17T10:00:00Z"));
  apply(attestation(kStudent, 700000000202, "2025-04-02T08:00:00Z"));
  apply(attestation(kOther, 700000000303, "2025-04-03T08:00:00Z"));
  const std::vector<InboxMessage> box = inbox_of(actions_, index_, breaks_, kStudent, at("2025-04-10T00:00:00Z"));
  ASSERT_EQ(box.size(), 2u);
  EXPECT_EQ(box[0].attestation.id, 700000000202u);
  EXPECT_EQ(box[1].attestation.id, 700000000101u);
  EXPECT_EQ(box[1].expires_at, at("2025-05-17T09:00:00Z"));  // 11:00 in Brussels both times
  std::string json;
  to_json(box, &json);
  EXPECT_EQ(
      json,
      R"({"items":[{"messageId":"700000000202","kind":"studentAttestation","deliveredAt":"2025-04-02T08:00:00Z","expiresAt":"2025-06-02T08:00:00Z",)"
      R"("subject":"Student@work attestation 2025"},{"messageId":"700000000101","kind":"studentAttestation",)"
      R"("deliveredAt":"2025-03-17T10:00:00Z",)"
      R"("expiresAt":"2025-05-17T09:00:00Z","subject":"Student@work attestation 2025"}],"total":2})");
}

TEST_F(InboxViewsTest, AMessageIsKeptTwoMonthsInLedgerTime) {
  apply(attestation(kStudent, 700000000101, "2024-12-31T10:00:00Z", 2025));
  // 31 December + 2 months: the last day of February.
  EXPECT_EQ(inbox_of(actions_, index_, breaks_, kStudent, at("2025-02-28T09:59:59Z")).size(), 1u);
  EXPECT_TRUE(inbox_of(actions_, index_, breaks_, kStudent, at("2025-02-28T10:00:00Z")).empty());
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kStudent, 700000000101, at("2025-03-01T00:00:00Z")));
  // Not delivered before it was issued (a read of the past).
  EXPECT_TRUE(inbox_of(actions_, index_, breaks_, kStudent, at("2024-12-31T09:00:00Z")).empty());
}

TEST_F(InboxViewsTest, ReadingGivesTheAttestationAndNothingOfAnotherCitizen) {
  apply(attestation(kStudent, 700000000101, "2025-03-17T10:00:00Z"));
  const Instant now = at("2025-03-18T00:00:00Z");
  const std::optional<InboxMessage> m = inbox_message(actions_, index_, breaks_, kStudent, 700000000101, now);
  ASSERT_TRUE(m);
  std::string json;
  to_json(*m, true, &json);
  EXPECT_NE(json.find(R"("attestation":{"attestationId":"700000000101","year":2025,"quotaHours":650,"remainingHours":610,)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("validFrom":"2025-03-01","validUntil":"2025-05-31")"), std::string::npos) << json;
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kOther, 700000000101, now));
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kStudent, 700000000202, now));
  EXPECT_TRUE(inbox_of(actions_, index_, breaks_, kOther, now).empty());
}

TEST_F(InboxViewsTest, AnArchivedMessageLeavesTheListForTheArchiveAndStaysReadable) {
  apply(attestation(kStudent, 700000000101, "2025-03-17T10:00:00Z"));
  apply(attestation(kStudent, 700000000202, "2025-03-20T10:00:00Z"));
  Event archive;
  archive.type = event_type_of(ActionKind::kInboxArchive);
  archive.recorded_at = at("2025-03-25T12:00:00Z");
  archive.ssin = kStudent;
  archive.action.action.kind = ActionKind::kInboxArchive;
  archive.action.outcome.id = 700000000303;
  archive.action.outcome.worker = kStudent;
  archive.action.outcome.subject = 700000000101;
  apply(archive);
  const Instant now = at("2025-03-26T00:00:00Z");
  const std::vector<InboxMessage> box = inbox_of(actions_, index_, breaks_, kStudent, now);
  ASSERT_EQ(box.size(), 1u);
  EXPECT_EQ(box[0].attestation.id, 700000000202u);
  const std::vector<InboxMessage> archived = inbox_of(actions_, index_, breaks_, kStudent, now, /*archived=*/true);
  ASSERT_EQ(archived.size(), 1u);
  std::string json;
  to_json(archived[0], false, &json);
  EXPECT_NE(json.find(R"("archivedAt":"2025-03-25T12:00:00Z")"), std::string::npos) << json;
  EXPECT_TRUE(inbox_message(actions_, index_, breaks_, kStudent, 700000000101, now));
  // Seen as it was before the archiving, the message is still in the list.
  EXPECT_EQ(inbox_of(actions_, index_, breaks_, kStudent, at("2025-03-25T11:00:00Z")).size(), 2u);
  // The fold refuses what the decision never accepts: another citizen's message, or twice.
  archive.action.outcome.id = 700000000404;
  EXPECT_EQ(actions_.apply(archive).code(), Code::kCorruption);
  archive.action.outcome.worker = kOther;
  archive.action.outcome.subject = 700000000202;
  EXPECT_EQ(actions_.apply(archive).code(), Code::kCorruption);
}

// DOMAIN §5 step 4: ONEM sends its decision to the employee's eBox. The message is the ticket's,
// delivered when ONEM decided, and goes like an attestation's: kept two months, archivable.
TEST_F(InboxViewsTest, OnemsDecisionIsAMessageToTheEmployee) {
  constexpr uint64_t kTicket = 690000000262;
  apply(on_ticket(ActionKind::kCareerBreakRequest, kTicket, kTicket, "2025-06-02T09:00:00Z"));
  apply(on_ticket(ActionKind::kCareerBreakEmployeePart, 700000000145, kTicket, "2025-06-05T09:00:00Z"));
  // Submitted and completed: nothing yet.
  EXPECT_TRUE(inbox_of(actions_, index_, breaks_, kStudent, at("2025-06-20T00:00:00Z")).empty());
  apply(attestation(kStudent, 700000000101, "2025-06-10T10:00:00Z"));
  apply(on_ticket(ActionKind::kOnemDecision, 700000000242, kTicket, "2025-06-16T14:30:00Z"));
  const std::vector<InboxMessage> box = inbox_of(actions_, index_, breaks_, kStudent, at("2025-06-20T00:00:00Z"));
  ASSERT_EQ(box.size(), 2u);
  EXPECT_EQ(box[0].kind, InboxMessage::Kind::kCareerBreakDecision);
  EXPECT_EQ(box[0].id, kTicket);
  EXPECT_EQ(box[0].expires_at, at("2025-08-16T14:30:00Z"));
  EXPECT_EQ(box[1].id, 700000000101u);
  std::string json;
  to_json(box[0], false, &json);
  EXPECT_EQ(json, R"({"messageId":"690000000262","kind":"careerBreakDecision","deliveredAt":"2025-06-16T14:30:00Z",)"
                  R"("expiresAt":"2025-08-16T14:30:00Z",)"
                  R"("subject":"ONEM decision on career-break request 690000000262: REFUSED"})");
  json.clear();
  to_json(box[0], true, &json);
  EXPECT_NE(json.find(R"("decision":{"ticket":"690000000262","decision":"REFUSED","decidedAt":"2025-06-16T14:30:00Z",)"
                      R"("request":{"ticket":"690000000262","ssin":"05031412595","status":"REFUSED",)"),
            std::string::npos)
      << json;
  // Not another citizen's, not before the decision, gone after two months.
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kOther, kTicket, at("2025-06-20T00:00:00Z")));
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kStudent, kTicket, at("2025-06-16T14:29:59Z")));
  EXPECT_TRUE(inbox_message(actions_, index_, breaks_, kStudent, kTicket, at("2025-08-16T14:29:59Z")));
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kStudent, kTicket, at("2025-08-16T14:30:00Z")));

  // Archived like an attestation: out of the list, into the archive.
  Event archive = on_ticket(ActionKind::kInboxArchive, 700000000339, kTicket, "2025-06-21T08:00:00Z");
  apply(archive);
  EXPECT_EQ(inbox_of(actions_, index_, breaks_, kStudent, at("2025-06-22T00:00:00Z")).size(), 1u);
  const std::vector<InboxMessage> archived =
      inbox_of(actions_, index_, breaks_, kStudent, at("2025-06-22T00:00:00Z"), /*archived=*/true);
  ASSERT_EQ(archived.size(), 1u);
  EXPECT_EQ(archived[0].id, kTicket);
  EXPECT_EQ(archived[0].archived_at, at("2025-06-21T08:00:00Z"));
  // Twice, or a ticket not decided, is what the decision never accepts.
  EXPECT_EQ(actions_.apply(archive).code(), Code::kCorruption);
  apply(on_ticket(ActionKind::kCareerBreakRequest, 690000000359, 690000000359, "2025-06-22T09:00:00Z"));
  EXPECT_EQ(
      actions_.apply(on_ticket(ActionKind::kInboxArchive, 700000000436, 690000000359, "2025-06-23T08:00:00Z")).code(),
      Code::kCorruption);
}

// A checkpoint keeps the decision's instant and its archiving: the state saved and loaded is the same.
TEST_F(InboxViewsTest, TheDecisionsMessageSurvivesACheckpoint) {
  constexpr uint64_t kTicket = 690000000262;
  apply(on_ticket(ActionKind::kCareerBreakRequest, kTicket, kTicket, "2025-06-02T09:00:00Z"));
  apply(on_ticket(ActionKind::kCareerBreakEmployeePart, 700000000145, kTicket, "2025-06-05T09:00:00Z"));
  apply(on_ticket(ActionKind::kOnemDecision, 700000000242, kTicket, "2025-06-16T14:30:00Z"));
  apply(on_ticket(ActionKind::kInboxArchive, 700000000339, kTicket, "2025-06-21T08:00:00Z"));
  std::string bytes;
  actions_.save(&bytes);
  ActionState loaded;
  ASSERT_TRUE(ActionState::load(bytes, &loaded).is_ok());
  const CareerBreakRequest* r = loaded.ticket(kTicket);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->decided_at, at("2025-06-16T14:30:00Z"));
  EXPECT_EQ(r->decision_archived_at, at("2025-06-21T08:00:00Z"));
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, bytes);
}

// The epoch is an instant a batch file may give: a message delivered or archived then is one
// (found by a review: 0 once meant "not decided", and the state's own checkpoint was refused).
TEST_F(InboxViewsTest, TheEpochIsAnInstantLikeAnyOther) {
  constexpr uint64_t kTicket = 690000000262;
  const char* epoch = "1970-01-01T00:00:00Z";
  apply(on_ticket(ActionKind::kCareerBreakRequest, kTicket, kTicket, epoch));
  apply(on_ticket(ActionKind::kCareerBreakEmployeePart, 700000000145, kTicket, epoch));
  apply(on_ticket(ActionKind::kOnemDecision, 700000000242, kTicket, epoch));
  apply(attestation(kStudent, 700000000101, epoch, 1970));
  EXPECT_EQ(inbox_of(actions_, index_, breaks_, kStudent, at(epoch)).size(), 2u);
  apply(on_ticket(ActionKind::kInboxArchive, 700000000339, kTicket, epoch));
  Event archive = on_ticket(ActionKind::kInboxArchive, 700000000436, 700000000101, epoch);
  apply(archive);
  EXPECT_EQ(inbox_of(actions_, index_, breaks_, kStudent, at(epoch), /*archived=*/true).size(), 2u);
  EXPECT_EQ(actions_.apply(archive).code(), Code::kCorruption);  // archived once
  std::string bytes;
  actions_.save(&bytes);
  ActionState loaded;
  ASSERT_TRUE(ActionState::load(bytes, &loaded).is_ok());
  EXPECT_TRUE(loaded.ticket(kTicket)->decided());
  EXPECT_TRUE(loaded.attestation(700000000101)->archived());
}

// An accepted interimOverviewSend as the log holds it (seed 002).
Event overview_sent(Ssin worker, uint64_t id, const char* sent, DeliveryChannel channel = DeliveryChannel::kEbox) {
  Event e;
  e.type = event_type_of(ActionKind::kInterimOverviewSend);
  e.recorded_at = at(sent);
  e.ssin = worker;
  e.source = "test";
  e.action.action.kind = ActionKind::kInterimOverviewSend;
  e.action.action.delivery = channel;
  if (channel == DeliveryChannel::kEmail) e.action.action.delivery_email = "jan@example.be";
  e.action.outcome.id = id;
  e.action.outcome.worker = worker;
  return e;
}

// Seed 002: the overview "expédié vers votre eBox" is a message of the worker's inbox, kept and
// archived as an attestation's; one sent by e-mail is the outbox's alone.
TEST_F(InboxViewsTest, AnOverviewSentToTheEboxIsAMessageAndOneByEmailIsNot) {
  Event to_ebox = overview_sent(kOther, 700000000145, "2026-12-06T10:00:00Z");
  to_ebox.action.action.from = *parse_date("2026-01-01");
  to_ebox.action.action.agency = 403019261;
  to_ebox.action.action.user_company = named_user_company_key("Café du Coin");
  to_ebox.action.action.user_company_name = "Café du Coin";
  apply(to_ebox);
  apply(overview_sent(kOther, 700000000242, "2026-12-06T11:00:00Z", DeliveryChannel::kEmail));
  const std::vector<InboxMessage> box = inbox_of(actions_, index_, breaks_, kOther, at("2026-12-07T00:00:00Z"));
  ASSERT_EQ(box.size(), 1u);
  EXPECT_EQ(box[0].kind, InboxMessage::Kind::kInterimOverview);
  EXPECT_EQ(box[0].id, 700000000145u);
  EXPECT_EQ(box[0].expires_at, at("2027-02-06T10:00:00Z"));
  EXPECT_EQ(actions_.overview_send(700000000242), nullptr);  // by e-mail: nothing kept
  // The window: the dates given, else the read's default around the day sent (to: 2027-12-31).
  std::string json;
  to_json(box[0], true, &json, {}, R"({"ssin":"85073003328","items":[],"total":0})");
  EXPECT_EQ(json,
            R"({"messageId":"700000000145","kind":"interimOverview","deliveredAt":"2026-12-06T10:00:00Z",)"
            R"("expiresAt":"2027-02-06T10:00:00Z",)"
            R"("subject":"Interim@work overview of your work relations, 2026-01-01 to 2027-12-31",)"
            R"("overview":{"from":"2026-01-01","to":"2027-12-31","agency":"0403019261","userCompany":"Café du Coin",)"
            R"("sentAt":"2026-12-06T10:00:00Z","document":"/v1/citizens/85073003328/interimRelations?from=2026-01-01)"
            R"(&to=2027-12-31&agency=0403019261&userCompany=Caf%C3%A9%20du%20Coin&asOf=2026-12-06T10%3A00%3A00Z",)"
            R"("relations":{"ssin":"85073003328","items":[],"total":0}}})");
  // Nobody else's, not before it was sent, gone two months later.
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kStudent, 700000000145, at("2026-12-07T00:00:00Z")));
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kOther, 700000000145, at("2026-12-06T09:59:59Z")));
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kOther, 700000000145, at("2027-02-06T10:00:00Z")));
  EXPECT_FALSE(inbox_message(actions_, index_, breaks_, kOther, 700000000242, at("2026-12-07T00:00:00Z")));

  // Archived as an attestation is: out of the list, into the archive; twice is corruption.
  Event archive = on_ticket(ActionKind::kInboxArchive, 700000000339, 700000000145, "2026-12-08T08:00:00Z", kOther);
  apply(archive);
  EXPECT_TRUE(inbox_of(actions_, index_, breaks_, kOther, at("2026-12-09T00:00:00Z")).empty());
  const std::vector<InboxMessage> archived =
      inbox_of(actions_, index_, breaks_, kOther, at("2026-12-09T00:00:00Z"), /*archived=*/true);
  ASSERT_EQ(archived.size(), 1u);
  EXPECT_EQ(archived[0].archived_at, at("2026-12-08T08:00:00Z"));
  EXPECT_EQ(actions_.apply(archive).code(), Code::kCorruption);

  // A checkpoint keeps it all: saved, loaded and saved again, the same bytes.
  std::string bytes;
  actions_.save(&bytes);
  ActionState loaded;
  ASSERT_TRUE(ActionState::load(bytes, &loaded).is_ok());
  const InterimOverviewSend* o = loaded.overview_send(700000000145);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->user_company_name, "Café du Coin");
  EXPECT_EQ(o->archived_at, at("2026-12-08T08:00:00Z"));
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, bytes);
}

// A window that ends before it starts was refused by the decoder: met in the log, it is corruption.
TEST_F(InboxViewsTest, AnOverviewWhoseWindowEndsBeforeItStartsIsCorruption) {
  Event e = overview_sent(kOther, 700000000145, "2026-12-06T10:00:00Z");
  e.action.action.from = *parse_date("2026-06-01");
  e.action.action.to = *parse_date("2026-05-31");
  EXPECT_EQ(actions_.apply(e).code(), Code::kCorruption);
  e.action.action.to = e.action.action.from;
  e.action.outcome.worker = Ssin{0};
  EXPECT_EQ(actions_.apply(e).code(), Code::kCorruption);
  EXPECT_EQ(actions_.overview_sends().size(), 0u);
}

}  // namespace
}  // namespace dimona
