// ActionState: the fold of the action events (docs/actions.md) — the
// attestations and their access codes, data-access requests and the
// citizens' answers, occupation and pension records, employer settings, and
// career-break requests and notifications with their state machines, and the
// Interim@work overviews sent to an eBox. A
// consultation of a citizen's data ("who looked", docs/audit.md) is checked
// here and kept by a read model (projections/consultation_log.h): no
// decision reads it.
//
// Contract. LedgerState owns one and hands it every accepted action event
// (apply()); refused ones never reach it. apply() is pure and checks the
// log: a transition the state machine forbids was refused by decide_action()
// before it was logged, so meeting one here is kCorruption. The
// fold of one partition is self-contained: an event carries what it needs
// (a grant its employer and scope, a ticket action its citizen), so a grant
// folded in the citizen's partition needs no request from partition 0, and
// the order partitions are folded in does not matter. The transition rules
// themselves live here, once (request_refusal(), notification_refusal()), and
// serve decide_action() and the read models alike. Records are kept in
// vectors in the order they were created, with indexes by id and token (and
// occupations by citizen, which the flexi decision reads); lookups are O(1).
// Attestations, data-access requests, consent answers, career-break requests
// and notifications are indexed by id only: the lists of a citizen's, an
// employer's or an access code's are read models' (projections/access_index.h,
// projections/career_break_index.h), as no decision reads them.
// save()/load() round-trip everything (checkpoints).
// It also keeps each worker's name as the accepted declarations gave it
// (note_worker_name()), which the attestation prints (docs/actions.md).
// Not thread-safe: one per LedgerState.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/action.h"
#include "engine/base/flat_map.h"
#include "engine/base/limits.h"
#include "engine/base/status.h"
#include "engine/declaration.h"

namespace dimona {

struct Event;

inline constexpr uint32_t kNoRecord = UINT32_MAX;

struct Attestation {
  uint64_t id = 0;
  Ssin citizen;
  int32_t for_year = 0;
  uint32_t quota_hours = 0, remaining_hours = 0;  // when issued
  uint64_t access_code = 0;
  int32_t code_month = 0;
  Instant issued_at;
  std::string family_name, given_name;  // as the ledger knew them when issued; empty: unknown
  Instant archived_at = kNoInstant;     // its inbox message's archiving (inboxArchive); kNoInstant: not archived

  bool archived() const { return archived_at != kNoInstant; }

  Date valid_from() const { return access_code_valid_from(code_month); }
  Date valid_until() const { return access_code_valid_until(code_month); }
  bool valid_on(Date d) const { return valid_from() <= d && d <= valid_until(); }
};

// The attestation an accepted attestationRequest outcome describes, issued at `issued_at`.
Attestation attestation_of(const ActionOutcome& outcome, Instant issued_at);

// A worker's name as the accepted declarations gave it (the latest wins).
struct WorkerName {
  Ssin citizen;
  std::string family, given;
};

struct DataAccessRequest {
  uint64_t id = 0;
  uint64_t employer = 0;
  AccessScope scope = AccessScope::kFlexi;
  AccessChannel channel = AccessChannel::kQr;
  AccessToken token;
  Instant requested_at;
};

// A citizen's answer to a request: a grant (with its expiry and, once
// revoked, when) or a refusal. A revocation ends every grant of the citizen
// to that employer in force then, whatever its scope (DOMAIN §8 rule 12: one
// revocation "ends both grants"), not only the one it names.
struct ConsentAnswer {
  uint64_t request_id = 0;
  Ssin citizen;
  uint64_t employer = 0;
  AccessScope scope = AccessScope::kFlexi;
  bool granted = false;
  Instant at;
  Instant expires_at;   // a grant's; at + 1 or 3 months
  Instant revoked_at;   // 0 when never revoked
  uint32_t prev_of_citizen = kNoRecord;  // the citizen's previous answer (ActionState's chain)

  bool revoked() const { return revoked_at.micros != 0; }
  bool in_force_at(Instant t) const {
    return granted && at <= t && t < expires_at && !(revoked() && revoked_at <= t);
  }
};

struct OccupationRecord {
  Ssin citizen;
  uint64_t employer = 0;
  int32_t quarter = 0;  // quarter_index
  uint16_t permille = 0;
  int64_t gross_wage_cents = kNoWage;  // the quarter's gross wage at this employer, when declared
  Instant recorded_at;
  uint32_t prev_of_citizen = kNoRecord;
  static constexpr int64_t kNoWage = -1;
  bool has_wage() const { return gross_wage_cents != kNoWage; }
};

struct PensionRecord {
  Ssin citizen;
  std::optional<Date> pensioned_as_of;
  Instant recorded_at;
};

struct EmployerSettings {
  uint64_t employer = 0;
  std::string contact_name, email, phone, sector;
  bool accepts_notifications = false;
  Instant updated_at;
};

enum class BreakRequestState : unsigned char { kSubmitted, kEmployeeCompleted, kCancelled, kGranted, kRefused };
enum class NotificationState : unsigned char { kReceived, kPostponed, kRefused, kValidated };
std::string_view state_name(BreakRequestState s);  // SUBMITTED, EMPLOYEE_COMPLETED, CANCELLED, GRANTED, REFUSED
std::string_view state_name(NotificationState s);  // RECEIVED, POSTPONED, REFUSED, VALIDATED
bool parse_state(std::string_view s, BreakRequestState* out);
bool parse_state(std::string_view s, NotificationState* out);

struct CareerBreakRequest {
  uint64_t ticket = 0;
  Ssin citizen;
  uint64_t employer = 0;
  LeaveKind leave_kind = LeaveKind::kTimeCredit;
  BreakFraction fraction = BreakFraction::kFull;
  Date start, end;
  uint16_t regime_before_permille = 0, regime_during_permille = 0;
  bool multiple_employers = false;
  BreakRequestState state = BreakRequestState::kSubmitted;
  Instant submitted_at, changed_at;
  uint8_t end_date_changes = 0;  // saturating
  std::vector<std::string> attachments;
  // ONEM's decision (GRANTED or REFUSED) reaches the employee's inbox when it is issued (DOMAIN §5
  // step 4): an inbox message whose id is the ticket. kNoInstant: not decided / not archived.
  Instant decided_at = kNoInstant, decision_archived_at = kNoInstant;

  // Seed 004: the employer may consult (and cancel, modify) only until the employee completed their part.
  bool employer_may_consult() const { return state == BreakRequestState::kSubmitted; }
  bool decided() const { return decided_at != kNoInstant; }
  bool decision_archived() const { return decision_archived_at != kNoInstant; }
};

struct CareerBreakNotification {
  uint64_t id = 0;
  Ssin citizen;
  uint64_t employer = 0;
  LeaveKind leave_kind = LeaveKind::kTimeCredit;
  BreakFraction fraction = BreakFraction::kFull;
  Date start;
  std::optional<Date> end;
  NotificationState state = NotificationState::kReceived;
  Instant received_at, changed_at;
  uint8_t postponements = 0;  // saturating
  std::vector<std::string> attachments;

  bool open() const { return state == NotificationState::kReceived || state == NotificationState::kPostponed; }
};

// An Interim@work overview a worker sent to their eBox (interimOverviewSend with channel EBOX,
// seed 002): an inbox message whose id is the action's, kept and archived as an attestation's. Its
// document is the interimRelations read with these filters as it stood at sent_at (the window, when
// not given, the read's default around that day). One sent by e-mail is no inbox message: the
// outbox carries it (projections/outbox.h), and the state keeps nothing of it.
struct InterimOverviewSend {
  uint64_t id = 0;
  Ssin citizen;
  std::optional<Date> from, to;
  WorkerType worker_type = WorkerType::kUnknown;  // kUnknown: any
  uint64_t agency = 0, user_company = 0;          // 0: any
  std::string user_company_name;                  // a user company given by name: that name
  Instant sent_at;
  Instant archived_at = kNoInstant;  // its inbox message's archiving; kNoInstant: not archived

  bool archived() const { return archived_at != kNoInstant; }
};

// The overview an accepted interimOverviewSend describes, sent at `sent_at` (whatever its channel).
InterimOverviewSend overview_send_of(const Action& action, const ActionOutcome& outcome, Instant sent_at);

// The state machines of seed 004 (rule 15): why `kind` may not act on the
// record now, or kNone. Parties and dates are checked by decide_action().
ActionRefusal request_refusal(const CareerBreakRequest& r, ActionKind kind);
ActionRefusal notification_refusal(const CareerBreakNotification& n, ActionKind kind);

class ActionState {
 public:
  // Folds one accepted action event; kCorruption when the log contradicts
  // itself (an answer to an answered request, a transition the state machine
  // forbids), and then nothing changed.
  [[nodiscard]] Status apply(const Event& event);

  // --- Lookups (nullptr when absent) ---
  const DataAccessRequest* request(uint64_t id) const;
  const DataAccessRequest* request_by_token(AccessToken token) const;
  const ConsentAnswer* answer(uint64_t request_id) const;  // the request's answer, if any
  const CareerBreakRequest* ticket(uint64_t id) const;
  const CareerBreakNotification* notification(uint64_t id) const;
  const EmployerSettings* settings(uint64_t employer) const;
  const PensionRecord* pension(Ssin citizen) const;
  const Attestation* attestation(uint64_t id) const;
  const InterimOverviewSend* overview_send(uint64_t id) const;
  // The record behind inbox message `id`: an attestation (its id), ONEM's decision on a ticket
  // (the ticket, once decided) or an overview sent to the eBox (its id); nothing for any other id. The one reading of a
  // message id, for the inboxArchive decision and its fold.
  struct InboxRecord {
    Ssin addressee;
    Instant delivered_at, archived_at;  // archived_at: kNoInstant when not archived
  };
  std::optional<InboxRecord> inbox_record(uint64_t id) const;
  const WorkerName* worker_name(Ssin citizen) const;

  // The name an accepted declaration gave its worker (LedgerState calls it;
  // the latest one wins, an empty part keeps the known one).
  void note_worker_name(Ssin citizen, std::string_view family, std::string_view given);
  // Is `id` the id of any record (request, ticket, notification, attestation, overview sent)?
  bool id_in_use(uint64_t id) const;

  // --- Chains, newest first; f(record) ---
  template <typename F> void for_each_occupation_of(Ssin c, F&& f) const { walk(occupations_, by_citizen(occupation_citizen_, c), &OccupationRecord::prev_of_citizen, f); }
  // Every citizen with an occupation or a pension record here, each once, in no particular order.
  template <typename F> void for_each_citizen(F&& f) const {
    FlatMap<uint32_t> seen;
    auto once = [&](uint64_t c, uint32_t) { if (seen[c]++ == 0) f(Ssin{c}); };
    occupation_citizen_.for_each(once);
    pension_citizen_.for_each(once);
  }
  // Every attestation, data-access request, answer and employer's settings, in the order they were made.
  const std::vector<Attestation>& attestations() const { return attestations_; }
  const std::vector<DataAccessRequest>& requests() const { return requests_; }
  const std::vector<ConsentAnswer>& answers() const { return answers_; }
  const std::vector<EmployerSettings>& all_settings() const { return settings_; }
  // Every career-break request and notification, in the order they were made.
  const std::vector<CareerBreakRequest>& tickets() const { return tickets_; }
  const std::vector<CareerBreakNotification>& notifications() const { return notifications_; }
  // Every overview sent to an eBox, in the order they were sent.
  const std::vector<InterimOverviewSend>& overview_sends() const { return overview_sends_; }
  // Every employer with settings here, once each, in no particular order.
  template <typename F> void for_each_employer(F&& f) const {
    settings_index_.for_each([&f](uint64_t e, uint32_t) { f(e); });
  }

  size_t record_count() const {
    return attestations_.size() + requests_.size() + answers_.size() + occupations_.size() + pensions_.size() +
           settings_.size() + tickets_.size() + notifications_.size() + overview_sends_.size();
  }

  void save(std::string* out) const;
  // `merge`: `state` may hold records already (LedgerState::merge: another
  // partition's), and one of `bytes` that has the same id is kCorruption.
  [[nodiscard]] static Status load(std::string_view bytes, ActionState* state, bool merge = false);

 private:
  static uint32_t head_of(const FlatMap<uint32_t>& index, uint64_t key) {
    const uint32_t* head = index.find(key);
    return head ? *head - 1 : kNoRecord;
  }
  static uint32_t by_citizen(const FlatMap<uint32_t>& index, Ssin c) { return head_of(index, c.value); }
  template <typename R, typename F>
  static void walk(const std::vector<R>& records, uint32_t at, uint32_t R::*prev, F& f) {
    for (; at != kNoRecord; at = records[at].*prev) f(records[at]);
  }
  // Links record `index` at the head of `key`'s chain; returns the previous head.
  static uint32_t link(FlatMap<uint32_t>& index, uint64_t key, uint32_t at);

  void add_attestation(Attestation a);
  void add_overview_send(InterimOverviewSend o);
  void add_request(DataAccessRequest r);
  void add_answer(ConsentAnswer a);
  // Ends, at `at`, each grant of `citizen` to `employer` in force then (rule 12). A grant that
  // a later revocation names keeps this earlier end.
  void revoke_grants(Ssin citizen, uint64_t employer, Instant at);
  void add_occupation(OccupationRecord r);
  void set_pension(PensionRecord r);
  void set_settings(EmployerSettings s);
  void add_ticket(CareerBreakRequest r);
  void add_notification(CareerBreakNotification n);
  CareerBreakRequest* ticket_mut(uint64_t id);
  CareerBreakNotification* notification_mut(uint64_t id);

  std::vector<Attestation> attestations_;
  FlatMap<uint32_t> att_id_;
  std::vector<DataAccessRequest> requests_;
  FlatMap<uint32_t> request_id_, request_token_;
  std::vector<ConsentAnswer> answers_;
  FlatMap<uint32_t> answer_request_, answer_citizen_;
  std::vector<OccupationRecord> occupations_;
  FlatMap<uint32_t> occupation_citizen_;
  std::vector<PensionRecord> pensions_;
  FlatMap<uint32_t> pension_citizen_;
  std::vector<EmployerSettings> settings_;
  FlatMap<uint32_t> settings_index_;
  std::vector<CareerBreakRequest> tickets_;
  FlatMap<uint32_t> ticket_id_;
  std::vector<CareerBreakNotification> notifications_;
  FlatMap<uint32_t> notification_id_;
  std::vector<WorkerName> names_;
  FlatMap<uint32_t> name_citizen_;
  std::vector<InterimOverviewSend> overview_sends_;
  FlatMap<uint32_t> overview_send_id_;
};

}  // namespace dimona
