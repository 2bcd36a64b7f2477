// Who may see what: a student's attestations and the employer's access-code
// lookup (seed 001), the citizen's consents to employers (seed 003), and the
// flexi eligibility an employer sees with one (rule 13).
//
// Contract. Pure reads of the shared fold: the records are the engine's
// (LedgerState::actions(), by id), the lists of a citizen's, an employer's or
// a code's are the AccessIndex read model's (access_index.h). A citizen's
// lists are read in the citizen's partition; a code or a request does not say
// whose partition it is in, so those look through every partition. An employer's answers
// carry nothing beyond what the seeds allow (the attestation the student
// hands over names them, below): an access code gives the
// remaining hours of the attested year and the code's validity, never the
// SSIN nor the periods; a refusal does not say whether a citizen exists.
// Consent is judged at an instant: in force from the grant (included) to its
// expiry (excluded), unless revoked before (docs/actions.md). Canonical
// JSON by the to_json() functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/flexi.h"
#include "engine/ledger_state.h"
#include "projections/access_index.h"
#include "projections/consultation_log.h"
#include "projections/employer_names.h"
#include "projections/projector.h"

namespace dimona {

// --- Attestations and access codes -------------------------------------------------
// The citizen's attestations, newest first.
std::vector<Attestation> attestations_of(const Projector& projector, Ssin citizen);
// The same from one partition's records and index (the citizen's partition).
std::vector<Attestation> attestations_of(const ActionState& actions, const AccessIndex& index, Ssin citizen);
// The attestation is the document the student hands to an employer, so it
// identifies the student: its JSON carries the SSIN, its printed form
// (ssinPrinted, YY.MM.DD-XXX.CC) and the name the ledger knew when it was
// issued (familyName, givenName; absent when no accepted declaration gave one).
void to_json(const Attestation& a, std::string* out);
// "Family, Given" (or the part known; empty when none), as the PDF prints it.
std::string attestation_student_name(const Attestation& a);

struct AccessCodeAnswer {
  enum class Verdict : unsigned char { kValid, kMalformed, kUnknown, kNotYetValid, kExpired };
  Verdict verdict = Verdict::kUnknown;
  int32_t year = 0;               // the attested year
  uint32_t remaining_hours = 0;   // now, not when the attestation was issued
  Date valid_until;
  Ssin citizen;                   // whose code it is (kValid): for the record of the read, never in the answer
};
std::string_view verdict_name(AccessCodeAnswer::Verdict v);  // valid, malformed, unknownCode, notYetValid, expired

// What an employer holding `code` sees on `today`. A code attested for two
// years (December) answers for the later one.
AccessCodeAnswer lookup_access_code(const Projector& projector, std::string_view code, Date today);
void to_json(const AccessCodeAnswer& a, std::string* out);

// --- Who looked (docs/audit.md) -----------------------------------------------------
// The reads of the citizen's data by employers, agencies and auditors that the
// ledger recorded (dataConsultation), newest first: the ConsultationLog of the
// citizen's partition (consultation_log.h).
std::vector<Consultation> consultations_of(const Projector& projector, Ssin citizen);
// {"consultedAt","role","by","scope","channel"}: `by` is the employer's number
// (write_company) for an employer or agency, "auditor" or "auditor:SUBJECT" for an auditor.
// `names`: an employer's or agency's name beside its number ("byName"), when the register knows it.
void to_json(const Consultation& c, std::string* out, const EmployerNameOf& names = {});
void to_json(const std::vector<Consultation>& list, std::string* out,
             const EmployerNameOf& names = {});  // {"items":[...],"total":N}

// --- Consent --------------------------------------------------------------------
struct ConsentVerdict {
  enum class Reason : unsigned char { kGranted, kNeverGranted, kRefused, kRevoked, kExpired };
  bool allowed = false;
  Reason reason = Reason::kNeverGranted;
  uint64_t request_id = 0;  // the answer the verdict rests on; 0 for kNeverGranted
  Instant answered_at, expires_at, revoked_at;
};
std::string_view reason_name(ConsentVerdict::Reason r);  // granted, neverGranted, refused, revoked, expired

// "May employer E see scope S of citizen C at instant T?" (rule 12).
ConsentVerdict may_see(const Projector& projector, Ssin citizen, uint64_t employer, AccessScope scope, Instant at);
void to_json(const ConsentVerdict& v, AccessScope scope, std::string* out);

// The year (STUDENT_BALANCE) or quarter (FLEXI, a quarter_index) an employer may ask of a consent
// on `today` (seed 003: "s'il lui reste suffisamment d'heures", "autorisé à travailler dans le
// cadre d'un flexi-job" for the job being hired for): the current one (also when `asked` is
// nullopt), the next year from 1 December (rule 11, as the attestation), a later quarter once its
// FLX Dimona may be sent (flexi_window_opens, rule 13). kInvalidArgument saying which may be asked.
Result<int32_t> consented_period(AccessScope scope, Date today, std::optional<int32_t> asked);
// What a consent in force (`verdict.allowed`) shows its employer, for `period` (consented_period):
// {"scope":"STUDENT_BALANCE","year":Y,"remainingHours":H,"expiresAt":T} (the balance as the
// ledger knows it on `today`), or {"scope":"FLEXI","quarter":"YYYY-Qn","eligibility":{"quarter",
// "eligible","route"},"expiresAt":T} (flexi_eligibility for that employer: the verdict, not the
// occupation nor the pension date behind it). Nothing else of the citizen.
// kInvalidArgument for a year whose quota the ledger does not know yet (no figure to give).
Result<std::string> consented_data(const Projector& projector, Ssin citizen, uint64_t employer, AccessScope scope,
                                   int32_t period, const ConsentVerdict& verdict, Date today);

// An employer's data-access requests with where each stands at `now`.
struct RequestStatus {
  DataAccessRequest request;
  std::optional<ConsentAnswer> answer;
  std::string_view status;  // PENDING, GRANTED, REFUSED, REVOKED, EXPIRED
};
std::vector<RequestStatus> requests_of_employer(const Projector& projector, uint64_t employer, Instant now);
void to_json(const std::vector<RequestStatus>& requests, std::string* out);
// The citizen's answers, newest first (what they granted, to whom, until when).
std::vector<ConsentAnswer> consents_of(const Projector& projector, Ssin citizen);
void to_json(const std::vector<ConsentAnswer>& answers, Instant now, std::string* out,
             const EmployerNameOf& names = {});

// --- Flexi ------------------------------------------------------------------------
void to_json(const FlexiAnswer& a, std::string* out);
// The records behind flexi eligibility: occupation per (quarter, employer) and the pension status.
void to_json(Ssin citizen, const std::vector<OccupationRecord>& occupations, const PensionRecord* pension,
             std::string* out);

}  // namespace dimona
