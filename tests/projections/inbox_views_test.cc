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

class InboxViewsTest : public ::testing::Test {
 protected:
  // The engine's fold, then the read model's, as the Projector folds an event.
  void apply(const Event& e) {
    ASSERT_TRUE(actions_.apply(e).is_ok());
    index_.apply(e, offset_++);
  }
  ActionState actions_;
  AccessIndex index_;
  Offset offset_ = 0;
};

TEST_F(InboxViewsTest, EachAttestationIsAMessageNewestFirst) {
  apply(attestation(kStudent, 700000000101, "2025-03-17T10:00:00Z"));
  apply(attestation(kStudent, 700000000202, "2025-04-02T08:00:00Z"));
  apply(attestation(kOther, 700000000303, "2025-04-03T08:00:00Z"));
  const std::vector<InboxMessage> box = inbox_of(actions_, index_, kStudent, at("2025-04-10T00:00:00Z"));
  ASSERT_EQ(box.size(), 2u);
  EXPECT_EQ(box[0].attestation.id, 700000000202u);
  EXPECT_EQ(box[1].attestation.id, 700000000101u);
  EXPECT_EQ(box[1].expires_at, at("2025-05-17T10:00:00Z"));
  std::string json;
  to_json(box, &json);
  EXPECT_EQ(
      json,
      R"({"items":[{"messageId":"700000000202","deliveredAt":"2025-04-02T08:00:00Z","expiresAt":"2025-06-02T08:00:00Z",)"
      R"("subject":"Student@work attestation 2025"},{"messageId":"700000000101","deliveredAt":"2025-03-17T10:00:00Z",)"
      R"("expiresAt":"2025-05-17T10:00:00Z","subject":"Student@work attestation 2025"}],"total":2})");
}

TEST_F(InboxViewsTest, AMessageIsKeptTwoMonthsInLedgerTime) {
  apply(attestation(kStudent, 700000000101, "2024-12-31T10:00:00Z", 2025));
  // 31 December + 2 months: the last day of February.
  EXPECT_EQ(inbox_of(actions_, index_, kStudent, at("2025-02-28T09:59:59Z")).size(), 1u);
  EXPECT_TRUE(inbox_of(actions_, index_, kStudent, at("2025-02-28T10:00:00Z")).empty());
  EXPECT_FALSE(inbox_message(actions_, index_, kStudent, 700000000101, at("2025-03-01T00:00:00Z")));
  // Not delivered before it was issued (a read of the past).
  EXPECT_TRUE(inbox_of(actions_, index_, kStudent, at("2024-12-31T09:00:00Z")).empty());
}

TEST_F(InboxViewsTest, ReadingGivesTheAttestationAndNothingOfAnotherCitizen) {
  apply(attestation(kStudent, 700000000101, "2025-03-17T10:00:00Z"));
  const Instant now = at("2025-03-18T00:00:00Z");
  const std::optional<InboxMessage> m = inbox_message(actions_, index_, kStudent, 700000000101, now);
  ASSERT_TRUE(m);
  std::string json;
  to_json(*m, true, &json);
  EXPECT_NE(json.find(R"("attestation":{"attestationId":"700000000101","year":2025,"quotaHours":650,"remainingHours":610,)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("validFrom":"2025-03-01","validUntil":"2025-05-31")"), std::string::npos) << json;
  EXPECT_FALSE(inbox_message(actions_, index_, kOther, 700000000101, now));
  EXPECT_FALSE(inbox_message(actions_, index_, kStudent, 700000000202, now));
  EXPECT_TRUE(inbox_of(actions_, index_, kOther, now).empty());
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
  const std::vector<InboxMessage> box = inbox_of(actions_, index_, kStudent, now);
  ASSERT_EQ(box.size(), 1u);
  EXPECT_EQ(box[0].attestation.id, 700000000202u);
  const std::vector<InboxMessage> archived = inbox_of(actions_, index_, kStudent, now, /*archived=*/true);
  ASSERT_EQ(archived.size(), 1u);
  std::string json;
  to_json(archived[0], false, &json);
  EXPECT_NE(json.find(R"("archivedAt":"2025-03-25T12:00:00Z")"), std::string::npos) << json;
  EXPECT_TRUE(inbox_message(actions_, index_, kStudent, 700000000101, now));
  // Seen as it was before the archiving, the message is still in the list.
  EXPECT_EQ(inbox_of(actions_, index_, kStudent, at("2025-03-25T11:00:00Z")).size(), 2u);
  // The fold refuses what the decision never accepts: another citizen's message, or twice.
  archive.action.outcome.id = 700000000404;
  EXPECT_EQ(actions_.apply(archive).code(), Code::kCorruption);
  archive.action.outcome.worker = kOther;
  archive.action.outcome.subject = 700000000202;
  EXPECT_EQ(actions_.apply(archive).code(), Code::kCorruption);
}

}  // namespace
}  // namespace dimona
