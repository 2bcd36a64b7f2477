// The citizen's inbox (the eBox): seed 001, "each attestation is also sent to
// the student's eBox, where it stays for two months"; DOMAIN §5 step 4, "ONEM
// sends its decision to the employee's eBox"; seed 002, the Interim@work
// overview "expédié vers votre eBox".
//
// Contract. A pure read of the shared fold. Three kinds of message:
// - each attestation issued (StudentAttestationIssued, kept by ActionState and
//   listed under its citizen by the partition's AccessIndex, access_index.h),
//   whose id is the attestation's id, delivered at its issue;
// - ONEM's decision on each of the citizen's career-break requests
//   (OnemDecisionIssued, the request listed under its citizen by the
//   CareerBreakIndex), whose id is the ticket, delivered when ONEM decided;
// - each Interim@work overview the citizen sent to their eBox
//   (InterimOverviewSent with channel EBOX, kept by ActionState and listed by
//   the AccessIndex), whose id is the action's, delivered when sent. Its
//   content is the overview's filters and the document: the interimRelations
//   read with them as of the sending instant (overview_document), which the
//   API answers exactly as it stood then (docs/audit.md, asOf).
// Each is kept limits::inbox_message_kept_months months (add_months: the same
// instant two months later, or the month's last day; the decision's retention
// is the attestation's, no text giving another). Expiry is judged in ledger
// time: `now` is the caller's ledger_now, so imported history does not age
// out early. inbox_of() lists the messages still kept at `now`, newest first;
// inbox_message() gives one of them, archived or not, or nothing when it is
// unknown, another citizen's (a citizen cannot learn that it exists) or
// expired. An archived message (inboxArchive, docs/actions.md) leaves the
// list and is in the archive (`archived`), until it expires like the others.
// Canonical JSON by to_json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/action_state.h"
#include "projections/access_index.h"
#include "projections/career_break_index.h"
#include "projections/employer_names.h"
#include "projections/interim_views.h"
#include "projections/projector.h"

namespace dimona {

struct InboxMessage {
  enum class Kind : unsigned char { kStudentAttestation, kCareerBreakDecision, kInterimOverview };
  Kind kind = Kind::kStudentAttestation;
  uint64_t id = 0;  // the attestation's id, the decided request's ticket, or the overview's action id
  Ssin citizen;
  Instant delivered_at, expires_at;
  Instant archived_at = kNoInstant;  // not archived
  Attestation attestation;     // kStudentAttestation: the message's content
  CareerBreakRequest request;  // kCareerBreakDecision: the decided request as it stands now (rule 15:
                               // attachments may follow the decision); the decision itself does not change
  InterimOverviewSend overview;  // kInterimOverview: what was sent

  bool archived() const { return archived_at != kNoInstant; }
};

// studentAttestation, careerBreakDecision, interimOverview
std::string_view message_kind_name(InboxMessage::Kind kind);
// "Student@work attestation 2025", "ONEM decision on career-break request 690000000262: GRANTED",
// "Interim@work overview of your work relations, 2024-01-01 to 2026-12-31".
std::string inbox_subject(const InboxMessage& message);

// When a message delivered at `delivered_at` leaves the inbox: limits::inbox_message_kept_months
// later (add_months), whatever its kind; the outbox's messages say the same (outbox.h).
Instant inbox_expiry(Instant delivered_at);

// The message an attestation is: delivered at its issue, kept
// limits::inbox_message_kept_months months (also the outbox's, outbox.h).
InboxMessage inbox_message_of(const Attestation& attestation);
// The message ONEM's decision on `request` is (request.decided() holds).
InboxMessage inbox_message_of(const CareerBreakRequest& request);
// The message an overview sent to the eBox is.
InboxMessage inbox_message_of(const InterimOverviewSend& overview);

// The interimRelations filter an overview was sent with: its dates, or the read's default window
// around the day it was sent (interim_window, in Brussels), and its type, agency and user company.
InterimFilter overview_filter(const InterimOverviewSend& overview);
class JsonWriter;
// "from","to" (overview_filter's window) and the filters given: "workerType", "agency",
// "userCompany" (its number, or the name it was declared with). The inbox's and the outbox's.
void write_overview_filters(JsonWriter& w, const InterimOverviewSend& overview);

// The citizen's events an overview's content is folded from (Projector::of_citizen, as of its
// delivery): their offsets in their partition (its CitizenIndex), up to and including the
// overview's own event (AccessIndex::overview_send_offset), so an event logged after it stays out
// even at the same instant (ledger time may repeat one when it runs ahead of the clock). Empty
// when `message` is no overview this projector folded.
std::vector<Offset> overview_offsets(const Projector& projector, const InboxMessage& message);
// An overview's content: its relations in `then`, the citizen's state folded from overview_offsets
// (the API's and the CLI's reading of the message).
std::vector<InterimRelation> overview_relations(const Projector& then, const InboxMessage& message);

// The overview's document as a link relative to the API's root:
// /v1/citizens/{ssin}/interimRelations?from=…&to=…[&workerType=…][&agency=…][&userCompany=…]&asOf=sentAt
// (values percent-encoded): the same read as it stood when the overview was sent.
std::string overview_document(const InterimOverviewSend& overview);

std::vector<InboxMessage> inbox_of(const ActionState& actions, const AccessIndex& index,
                                   const CareerBreakIndex& career_breaks, Ssin citizen, Instant now,
                                   bool archived = false);
std::optional<InboxMessage> inbox_message(const ActionState& actions, const AccessIndex& index,
                                          const CareerBreakIndex& career_breaks, Ssin citizen, uint64_t message_id,
                                          Instant now);
// The same from the citizen's partition of `projector` (its state's records, its indexes).
std::vector<InboxMessage> inbox_of(const Projector& projector, Ssin citizen, Instant now, bool archived = false);
std::optional<InboxMessage> inbox_message(const Projector& projector, Ssin citizen, uint64_t message_id, Instant now);

// {"messageId","kind","deliveredAt","expiresAt","subject"} for a list; with
// `body` the content too (the message read): the attestation's figures, the
// decision with its request, or the overview's filters and document
// {"from","to","workerType"?,"agency"?,"userCompany"?,"sentAt","document"}, with
// `relations` (an interimRelations JSON object, the document's content, when
// the caller read it) as "relations".
void to_json(const InboxMessage& message, bool body, std::string* out, const EmployerNameOf& names = {},
             std::string_view relations = {});
void to_json(const std::vector<InboxMessage>& messages, std::string* out);

}  // namespace dimona
