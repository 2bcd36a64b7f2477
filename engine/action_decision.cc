#include "engine/action_decision.h"

#include <algorithm>
#include <optional>
#include <string>

#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "engine/decision.h"

namespace dimona {
bool attestation_year_available(int32_t year, Date today) {
  const CivilDate c = civil_from_date(today);
  return year == c.year || (year == c.year + 1 && c.month == 12);
}

namespace {

using R = ActionRefusal;

std::string ssin_digits(Ssin s) {
  std::string d;
  append_uint(&d, s.value);
  if (d.size() < 11) d.insert(0, 11 - d.size(), '0');
  return d;
}

void decide_attestation(const LedgerState& state, const Action& a, Instant at, const ServerSecret& secret,
                        ActionOutcome* o) {
  const Date today = brussels_date(at);
  if (!attestation_year_available(a.year, today)) {
    o->refusal = R::kYearNotAvailable;
    return;
  }
  const std::optional<uint32_t> quota = state.quota(a.year, at);
  if (!quota) {
    o->refusal = R::kQuotaUnknown;
    return;
  }
  const uint32_t used = state.student_hours(a.worker, a.year);
  o->for_year = a.year;
  o->quota_hours = *quota;
  o->remaining_hours = used >= *quota ? 0 : *quota - used;
  o->code_month = month_index(today);
  o->access_code = access_code_of(secret, a.worker, o->code_month, a.year);
  if (const WorkerName* name = state.actions().worker_name(a.worker)) {  // printed on the attestation
    o->family_name = name->family;
    o->given_name = name->given;
  }
}

void decide_request(const ActionState& s, const Action& a, const ServerSecret& secret, const RemoteFacts* remote,
                    ActionOutcome* o) {
  if (!a.token.empty() && (s.request_by_token(a.token) || (remote && remote->id_taken))) {
    o->refusal = R::kIdInUse;
    return;
  }
  o->token = a.token.empty() ? request_token_of(secret, o->id) : a.token;
  o->scope = a.scope;
}

void decide_answer(const ActionState& s, const Action& a, Instant at, const RemoteFacts* remote, ActionOutcome* o) {
  const DataAccessRequest* r = s.request_by_token(a.token);
  if (!r && remote && remote->request) r = &*remote->request;
  if (!r) {
    o->refusal = R::kUnknownToken;
    return;
  }
  const ConsentAnswer* answered = s.answer(r->id);
  if (answered || (remote && remote->request_answered)) {
    o->refusal = R::kTokenAlreadyUsed;
    // The request is another citizen's once they answered it: the refusal names neither it nor
    // its employer (as unknownToken names nothing), only the caller's own earlier answer.
    if (answered && answered->citizen == a.worker) {
      o->subject = r->id;
      o->employer = r->employer;
      o->scope = r->scope;
    }
    return;
  }
  o->subject = r->id;
  o->employer = r->employer;
  o->scope = r->scope;
  if (a.kind == ActionKind::kDataAccessGrant) {
    const int32_t months = r->scope == AccessScope::kFlexi ? limits::consent_flexi_months
                                                            : limits::consent_student_balance_months;
    o->expires_at = add_months(at, months);
  }
}

void decide_revocation(const ActionState& s, const Action& a, Instant at, ActionOutcome* o) {
  const ConsentAnswer* g = s.answer(a.id);
  if (!g || !g->granted || g->citizen != a.worker) {
    o->refusal = R::kUnknownRequest;
    return;
  }
  o->subject = a.id;
  o->employer = g->employer;
  o->scope = g->scope;
  if (g->revoked() || at >= g->expires_at) o->refusal = R::kNotActive;
}

// The parties an action names must be its subject's.
bool parties_match(const Action& a, Ssin citizen, uint64_t employer) {
  return (a.worker.value == 0 || a.worker == citizen) && (a.employer == 0 || a.employer == employer);
}

// Another party's ticket or notification is refused as unknown, as one that does not exist: ids
// come nearly in sequence, so a refusal that told the two apart would list other employers'
// career breaks to anyone who asks (R::kNotYourRequest stays for the logs that hold it).
void decide_on_ticket(const ActionState& s, const Action& a, ActionOutcome* o) {
  const CareerBreakRequest* t = s.ticket(a.id);
  if (!t || !parties_match(a, t->citizen, t->employer)) {
    o->refusal = R::kUnknownTicket;
    return;
  }
  o->subject = t->ticket;
  o->worker = t->citizen;
  o->employer = t->employer;
  o->refusal = request_refusal(*t, a.kind);
  if (o->accepted() && a.kind == ActionKind::kCareerBreakEndDate && *a.end_date < t->start)
    o->refusal = R::kEndBeforeStart;
}

void decide_on_notification(const ActionState& s, const Action& a, ActionOutcome* o) {
  const CareerBreakNotification* n = s.notification(a.id);
  if (!n || !parties_match(a, n->citizen, n->employer)) {
    o->refusal = R::kUnknownNotification;
    return;
  }
  o->subject = n->id;
  o->worker = n->citizen;
  o->employer = n->employer;
  o->refusal = notification_refusal(*n, a.kind);
  if (o->accepted() && a.kind == ActionKind::kCareerBreakPostponement) {
    if (!(n->start < a.start_date)) o->refusal = R::kPostponementNotLater;
    else if (n->end && *n->end < a.start_date) o->refusal = R::kEndBeforeStart;
  }
}

}  // namespace

void restamp_fresh_id(const Action& a, const ServerSecret& secret, uint64_t decided_with, uint64_t fresh_id,
                      ActionOutcome* o) {
  if (o->id != decided_with) return;  // an imported id, kept
  o->id = fresh_id;
  if (a.kind == ActionKind::kDataAccessRequest && o->accepted() && a.token.empty())
    o->token = request_token_of(secret, fresh_id);
}

bool creates_subject(ActionKind k) {
  return k == ActionKind::kDataAccessRequest || k == ActionKind::kCareerBreakRequest ||
         k == ActionKind::kCareerBreakNotification;
}

AddressedSubject addressed_subject(const Action& a) {
  switch (a.kind) {
    case ActionKind::kCareerBreakAttachment:
      return a.to_notification ? AddressedSubject::kNotification : AddressedSubject::kTicket;
    case ActionKind::kCareerBreakEmployeePart:
    case ActionKind::kCareerBreakCancellation:
    case ActionKind::kCareerBreakEndDate:
    case ActionKind::kOnemDecision: return AddressedSubject::kTicket;
    case ActionKind::kCareerBreakPostponement:
    case ActionKind::kCareerBreakNotificationRefusal:
    case ActionKind::kCareerBreakNotificationValidation: return AddressedSubject::kNotification;
    default: return AddressedSubject::kNone;
  }
}

uint64_t access_code_of(const ServerSecret& secret, Ssin citizen, int32_t month, int32_t year) {
  std::string message = "access-code|" + ssin_digits(citizen) + "|" + month_string(month) + "|year|";
  append_uint(&message, static_cast<uint64_t>(year));
  const uint64_t code = secret.hmac64(message) & kAccessCodeMask;
  return code == 0 ? 1 : code;
}

AccessToken request_token_of(const ServerSecret& secret, uint64_t request_id) {
  std::string id;
  append_uint(&id, request_id);
  AccessToken t{secret.hmac64("consent-token-hi|" + id) >> 28, secret.hmac64("consent-token-lo|" + id)};
  if (t.empty()) t.lo = 1;
  return t;
}

namespace {

// inboxArchive: the citizen's own message, still kept (two months in ledger
// time), not archived yet. A message is an attestation (its id) or ONEM's
// decision on a ticket (the ticket). Another citizen's message is "unknown":
// a citizen does not learn that it exists.
void decide_archive(const ActionState& s, const Action& a, Instant at, ActionOutcome* o) {
  o->subject = a.id;
  const std::optional<ActionState::InboxRecord> m = s.inbox_record(a.id);
  if (!m || m->addressee != a.worker || !(at < add_months(m->delivered_at, limits::inbox_message_kept_months))) {
    o->refusal = R::kUnknownMessage;
    return;
  }
  if (m->archived_at != kNoInstant) o->refusal = R::kMessageArchived;
}

// An action's dates obey zone 00910's domain, as a declaration's start does (decision.h): a
// career break from year 1 to 9999 would sit in every overview, and a pension from year 1 made a
// 22-year-old a pensioner (rule 13's route). A pension does not start before the worker's birth.
bool dates_in_domain(const Action& a, Instant at) {
  const auto in_domain = [at](Date d) { return start_in_domain(d, at); };
  switch (a.kind) {
    case ActionKind::kPensionStatus:
      return !a.pensioned_as_of || (in_domain(*a.pensioned_as_of) && !born_after(a.worker, *a.pensioned_as_of));
    case ActionKind::kCareerBreakRequest:
    case ActionKind::kCareerBreakNotification:
    case ActionKind::kCareerBreakPostponement:
      return in_domain(a.start_date) && (!a.end_date || in_domain(*a.end_date));
    case ActionKind::kCareerBreakEndDate: return !a.end_date || in_domain(*a.end_date);
    case ActionKind::kInterimOverviewSend: return (!a.from || in_domain(*a.from)) && (!a.to || in_domain(*a.to));
    default: return true;
  }
}

}  // namespace

ActionOutcome decide_action(const LedgerState& state, const Action& a, Instant at, const ServerSecret& secret,
                            uint64_t fresh_id, const RemoteFacts* remote) {
  const ActionState& s = state.actions();
  ActionOutcome o;
  o.worker = a.worker;
  o.employer = a.employer;
  o.id = fresh_id;
  // Rule 16, §6: nobody acts, nor is acted for, before their birth (as decide() refuses a
  // declaration, 00024-003). The id stays the fresh one: nothing is created.
  if (a.worker.value != 0 && born_after(a.worker, brussels_date(at))) {
    o.refusal = R::kWorkerBornLater;
    return o;
  }
  if (!dates_in_domain(a, at)) {
    o.refusal = R::kDateOutOfRange;
    return o;
  }
  if (creates_subject(a.kind) && a.id != 0) {
    // An imported id must be free: no record, no period, and not in the
    // ledger's own range (body from kLedgerIdBodyFirst), which is reserved
    // for the ids the ledger gives, each saying its partition (ledger.h).
    const uint64_t body = a.id / 100;
    if (s.id_in_use(a.id) || state.period(PeriodId{a.id}) || (remote && remote->id_taken) ||
        body >= kLedgerIdBodyFirst) {
      o.refusal = R::kIdInUse;  // logged under the fresh id: event ids stay unique
      return o;
    }
    o.id = a.id;
  }
  switch (a.kind) {
    case ActionKind::kAttestationRequest: decide_attestation(state, a, at, secret, &o); break;
    case ActionKind::kDataAccessRequest: decide_request(s, a, secret, remote, &o); break;
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal: decide_answer(s, a, at, remote, &o); break;
    case ActionKind::kDataAccessRevocation: decide_revocation(s, a, at, &o); break;
    case ActionKind::kOccupationQuarter:
    case ActionKind::kPensionStatus:
    case ActionKind::kEmployerSettings: break;
    case ActionKind::kCareerBreakRequest:
      if (*a.end_date < a.start_date) o.refusal = R::kEndBeforeStart;
      break;
    case ActionKind::kCareerBreakNotification: {
      const EmployerSettings* settings = s.settings(a.employer);
      if (!settings && remote && remote->settings) settings = &*remote->settings;
      if (!settings || !settings->accepts_notifications) o.refusal = R::kNotificationsNotAccepted;
      else if (a.end_date && *a.end_date < a.start_date) o.refusal = R::kEndBeforeStart;
      break;
    }
    case ActionKind::kCareerBreakAttachment:
    case ActionKind::kCareerBreakEmployeePart:
    case ActionKind::kCareerBreakCancellation:
    case ActionKind::kCareerBreakEndDate:
    case ActionKind::kOnemDecision:
    case ActionKind::kCareerBreakPostponement:
    case ActionKind::kCareerBreakNotificationRefusal:
    case ActionKind::kCareerBreakNotificationValidation:
      if (addressed_subject(a) == AddressedSubject::kTicket) decide_on_ticket(s, a, &o);
      else decide_on_notification(s, a, &o);
      break;
    case ActionKind::kInboxArchive: decide_archive(s, a, at, &o); break;
    case ActionKind::kDataConsultation: break;  // a record of a read already answered: always taken
    // The worker's own overview, to their eBox or an address they give: always taken (an overview
    // with no relation in it says so, which is what a worker never declared needs to show).
    case ActionKind::kInterimOverviewSend: {
      // One date given, the other the default's: `to` alone may still come before the default `from`.
      const DateWindow w = overview_window(a.from, a.to, at);
      if (w.to < w.from) o.refusal = R::kEndBeforeStart;
      break;
    }
  }
  // A refused creating action creates nothing: its event takes the fresh id,
  // so the imported one stays free and no two events share an id.
  if (!o.accepted()) o.id = fresh_id;
  return o;
}

}  // namespace dimona
