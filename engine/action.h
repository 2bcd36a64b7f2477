// Action: everything the ledger takes besides a Dimona declaration — a
// student's attestation request, an employer's data-access request and the
// citizen's answer, the occupation and pension data behind flexi
// eligibility, employer settings, and the career-break requests and
// notifications of seed 004 (docs/actions.md is the format and the rules).
//
// Contract. An Action is one decoded input line: its kind, its parties (the
// employer as employer_key(), the citizen's SSIN) and the fields its kind
// uses; the decoder (codec.h) has already refused what is malformed (a
// missing field, a bad SSIN, a value outside its list), so every field the
// kind requires is here and well-formed. String fields are views into the
// input line. An ActionOutcome is what decide_action() (action_decision.h)
// made of it: accepted or refused with an ActionRefusal, the action's id,
// the parties it resolved and the values it derived (an access code, a
// token, an expiry). An action and its outcome make one event (event.h).
// Plain values; no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/limits.h"
#include "engine/base/time.h"
#include "engine/declaration.h"
#include "engine/identifiers.h"

namespace dimona {

enum class ActionKind : unsigned char {
  kAttestationRequest,
  kDataAccessRequest,
  kDataAccessGrant,
  kDataAccessRefusal,
  kDataAccessRevocation,
  kOccupationQuarter,
  kPensionStatus,
  kEmployerSettings,
  kCareerBreakRequest,
  kCareerBreakEmployeePart,
  kCareerBreakCancellation,
  kCareerBreakEndDate,
  kCareerBreakAttachment,
  kOnemDecision,
  kCareerBreakNotification,
  kCareerBreakPostponement,
  kCareerBreakNotificationRefusal,
  kCareerBreakNotificationValidation,
  kInboxArchive,
  kDataConsultation,     // server-internal: written by the ledger itself (is_server_internal)
  kInterimOverviewSend,  // seed 002: the worker's Interim@work overview sent to their eBox or by e-mail
};
inline constexpr size_t kActionKindCount = 21;
// The input key: "attestationRequest", ...
std::string_view action_key(ActionKind kind);
bool parse_action_key(std::string_view key, ActionKind* out);
// A kind the ledger writes itself ("who looked": dataConsultation): never
// taken from outside — a POST, a batch file or an input topic refuses it.
inline bool is_server_internal(ActionKind kind) { return kind == ActionKind::kDataConsultation; }

enum class AccessScope : unsigned char { kFlexi, kStudentBalance };
enum class AccessChannel : unsigned char { kQr, kLink };
enum class LeaveKind : unsigned char {
  kTimeCredit, kEndOfCareerTimeCredit, kCareerBreak, kParentalLeave, kMedicalAssistance, kPalliativeCare,
};
enum class BreakFraction : unsigned char { kFull, kHalf, kOneFifth, kOneTenth };
enum class OnemDecision : unsigned char { kGranted, kRefused };
// Who read a citizen's data (dataConsultation), and through what right.
enum class ConsultationRole : unsigned char { kEmployer, kAgency, kAuditor };
enum class ConsultationChannel : unsigned char { kAuditor, kAccessCode, kConsent };
// Where an interimOverviewSend goes (seed 002: "envoyé par e-mail ... ou expédié vers votre eBox").
enum class DeliveryChannel : unsigned char { kEbox, kEmail };

std::string_view scope_name(AccessScope v);          // FLEXI, STUDENT_BALANCE
std::string_view channel_name(AccessChannel v);      // QR, LINK
std::string_view leave_kind_name(LeaveKind v);       // TIME_CREDIT, ...
std::string_view break_fraction_name(BreakFraction v);  // FULL, 1/2, 1/5, 1/10
std::string_view onem_decision_name(OnemDecision v);    // GRANTED, REFUSED
std::string_view consultation_role_name(ConsultationRole v);        // employer, agency, auditor
std::string_view consultation_channel_name(ConsultationChannel v);  // auditor, accessCode, consent
std::string_view delivery_channel_name(DeliveryChannel v);          // EBOX, EMAIL
bool parse_scope(std::string_view s, AccessScope* out);
bool parse_channel(std::string_view s, AccessChannel* out);
bool parse_leave_kind(std::string_view s, LeaveKind* out);
bool parse_break_fraction(std::string_view s, BreakFraction* out);
bool parse_onem_decision(std::string_view s, OnemDecision* out);
bool parse_consultation_role(std::string_view s, ConsultationRole* out);
bool parse_consultation_channel(std::string_view s, ConsultationChannel* out);
bool parse_delivery_channel(std::string_view s, DeliveryChannel* out);
// An e-mail address a message may be sent to: local@domain, at most
// limits::email_address_bytes_max bytes, printable ASCII without spaces, one '@', a domain of
// dot-separated labels of [A-Za-z0-9-] (neither starting nor ending with '-'), two at least.
bool is_email_address(std::string_view s);
// A consultation's scope (the view read: "studentBalance", "consentedData:FLEXI"):
// 1..limits::consultation_scope_chars_max of [A-Za-z0-9:_-].
bool is_consultation_scope(std::string_view s);
// What a logged consultation may be (the codec refuses the rest, check_consultation): a view's
// name as scope, an auditor's subject of at most limits::text_field_bytes_max bytes, and parties
// that agree: an auditor names no employer and reads as auditor; an employer or agency names
// itself, no auditor, and reads through an access code or a consent. Checkpoint loaders use it.
bool is_recordable_consultation(ConsultationRole role, ConsultationChannel channel, uint64_t employer,
                                std::string_view scope, std::string_view auditor);

// The enum value whose name in `names` (indexed by value) is `s`; false when none is.
template <typename E, size_t N>
bool parse_enum_name(std::string_view s, const std::string_view (&names)[N], E* out) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

// A data-access token: 100 bits, written as 20 Crockford base32 characters.
struct AccessToken {
  uint64_t hi = 0;  // the top 36 bits
  uint64_t lo = 0;
  bool empty() const { return hi == 0 && lo == 0; }
  uint64_t key() const;  // for hash maps (never 0 for a non-empty token)
  friend bool operator==(AccessToken, AccessToken) = default;
};
inline constexpr size_t kAccessTokenChars = 20;
std::string to_string(AccessToken token);
std::optional<AccessToken> parse_access_token(std::string_view text);

// An access code: 50 bits, written "XXXXX-XXXXX" (Crockford base32). Parsing
// ignores case, spaces and dashes and reads I/L as 1 and O as 0.
inline constexpr uint64_t kAccessCodeMask = (uint64_t{1} << 50) - 1;
std::string format_access_code(uint64_t code);
// An SSIN as printed on an identity card and on the attestation: YY.MM.DD-XXX.CC.
// Only for the documents the citizen hands over (the attestation); never a log line.
std::string printed_ssin(Ssin ssin);
std::optional<uint64_t> parse_access_code(std::string_view text);

// A month as one integer: year * 12 + (month - 1).
inline int32_t month_index(Date d) {
  const CivilDate c = civil_from_date(d);
  return c.year * 12 + c.month - 1;
}
Date first_day_of_month(int32_t month_index);
Date last_day_of_month(int32_t month_index);
std::string month_string(int32_t month_index);  // "YYYY-MM"
// An access code of month `m` is valid on these days, both included (seed 001, rule 11).
inline Date access_code_valid_from(int32_t m) { return first_day_of_month(m); }
inline Date access_code_valid_until(int32_t m) { return last_day_of_month(m + limits::access_code_valid_months - 1); }
// The same day and time `months` later on a Belgian clock (the day and wall-clock time in
// Brussels), or the last day of that month when it is shorter.
Instant add_months(Instant at, int32_t months);

struct Action {
  ActionKind kind = ActionKind::kAttestationRequest;
  uint64_t employer = 0;  // employer_key(); 0 when the line names none
  Ssin worker;            // 0 when the line names none
  std::optional<Instant> recorded_at;

  // The fields of the kinds (docs/actions.md); each kind uses a few.
  uint64_t id = 0;             // requestId / ticket / notificationId / messageId: addressed, or imported on a creating action
  int32_t year = 0;            // attestationRequest, occupationQuarter
  uint8_t quarter = 0;         // occupationQuarter, 1..4
  uint16_t fraction_permille = 0;  // occupationQuarter.fraction * 1000
  std::optional<int64_t> gross_wage_cents;  // occupationQuarter.grossWage * 100, when given
  AccessScope scope = AccessScope::kFlexi;
  AccessChannel channel = AccessChannel::kQr;
  AccessToken token;           // grant, refusal; imported on a request
  std::optional<Date> pensioned_as_of;  // pensionStatus; nullopt: not pensioned
  std::string_view contact_name, email, phone, sector;  // employerSettings
  bool accepts_notifications = false;
  LeaveKind leave_kind = LeaveKind::kTimeCredit;
  BreakFraction break_fraction = BreakFraction::kFull;
  Date start_date;
  std::optional<Date> end_date;
  uint16_t regime_before_permille = 0, regime_during_permille = 0;
  bool multiple_employers = false;
  bool to_notification = false;  // careerBreakAttachment: `id` is a notificationId, not a ticket
  std::string_view file_name;
  OnemDecision decision = OnemDecision::kGranted;
  // dataConsultation: who read (the employer, when not an auditor, is `employer`), how, what.
  ConsultationRole role = ConsultationRole::kAuditor;
  ConsultationChannel consultation_channel = ConsultationChannel::kAuditor;
  std::string_view consulted_scope;
  std::string_view auditor;  // the auditor's token subject; may be empty
  // interimOverviewSend (seed 002): where to (an address for EMAIL) and the overview's filters, as
  // the interimRelations read takes them (absent: its default window, any type, agency or user company).
  DeliveryChannel delivery = DeliveryChannel::kEbox;
  std::string_view delivery_email;
  std::optional<Date> from, to;
  WorkerType worker_type = WorkerType::kUnknown;
  uint64_t agency = 0;                 // an enterprise number; 0: any
  uint64_t user_company = 0;           // parse_user_company's key; 0: any
  std::string_view user_company_name;  // a user company given by name: that name (else empty)
  friend bool operator==(const Action&, const Action&) = default;
};

// Interim@work's window (seed 002: "l'année en cours, l'année précédente et l'année suivante"):
// 1 January of the year before `reference`'s to 31 December of the year after, both included.
struct DateWindow {
  Date from, to;
};
DateWindow interim_default_window(Date reference);
// An interimOverviewSend's window: the dates it gives, the default's around the day it was sent
// (in Brussels) for those it leaves out. The decision refuses one that ends before it starts.
DateWindow overview_window(std::optional<Date> from, std::optional<Date> to, Instant sent_at);

// Why an action was refused; the names are docs/actions.md's reasons.
enum class ActionRefusal : unsigned char {
  kNone,
  kIdInUse,
  kYearNotAvailable,
  kQuotaUnknown,
  kUnknownToken,
  kTokenAlreadyUsed,
  kUnknownRequest,
  kNotActive,
  kUnknownTicket,
  kUnknownNotification,
  kNotYourRequest,
  kEmployeePartCompleted,
  kRequestCancelled,
  kEmployeePartAlreadyCompleted,
  kEmployeePartNotCompleted,
  kAlreadyDecided,
  kEndBeforeStart,
  kNotificationsNotAccepted,
  kNotificationClosed,
  kPostponementNotLater,
  kUnknownMessage,
  kMessageArchived,
  kWorkerBornLater,
  kDateOutOfRange,
};
inline constexpr size_t kActionRefusalCount = 24;
std::string_view refusal_name(ActionRefusal r);       // "tokenAlreadyUsed"
std::string_view refusal_message(ActionRefusal r);    // one sentence, for people
bool parse_refusal(std::string_view s, ActionRefusal* out);

struct ActionOutcome {
  ActionRefusal refusal = ActionRefusal::kNone;
  uint64_t id = 0;        // this action's id (12 digits); a creating action's id is its subject's
  Ssin worker;            // given, or resolved from the subject
  uint64_t employer = 0;  // given, or resolved from the subject
  uint64_t subject = 0;   // the request, ticket or notification addressed; 0 for a creating action

  // StudentAttestationIssued
  int32_t for_year = 0;
  uint32_t quota_hours = 0, remaining_hours = 0;
  uint64_t access_code = 0;
  int32_t code_month = 0;  // month_index
  // The student's name as the ledger knew it when issued (empty: unknown);
  // views into the ActionState that decided it, or into the decoded event line.
  std::string_view family_name, given_name;
  // CitizenDataAccessRequested (the token) and the answers (the request's scope)
  AccessToken token;
  AccessScope scope = AccessScope::kFlexi;
  Instant expires_at;  // CitizenDataAccessGranted

  bool accepted() const { return refusal == ActionRefusal::kNone; }
  Date valid_from() const { return access_code_valid_from(code_month); }
  Date valid_until() const { return access_code_valid_until(code_month); }
  friend bool operator==(const ActionOutcome&, const ActionOutcome&) = default;
};

}  // namespace dimona
