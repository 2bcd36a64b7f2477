#include "engine/action_state.h"

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/event.h"

namespace dimona {
namespace {

constexpr std::string_view kRequestStates[] = {"SUBMITTED", "EMPLOYEE_COMPLETED", "CANCELLED", "GRANTED", "REFUSED"};
constexpr std::string_view kNotificationStates[] = {"RECEIVED", "POSTPONED", "REFUSED", "VALIDATED"};

void add_attachment(std::vector<std::string>& attachments, std::string_view name) {
  if (attachments.size() < limits::career_break_attachments_max) attachments.emplace_back(name);
}

uint8_t saturating_inc(uint8_t v) { return v == UINT8_MAX ? v : static_cast<uint8_t>(v + 1); }

}  // namespace

std::string_view state_name(BreakRequestState s) { return kRequestStates[static_cast<size_t>(s)]; }
std::string_view state_name(NotificationState s) { return kNotificationStates[static_cast<size_t>(s)]; }
bool parse_state(std::string_view s, BreakRequestState* out) { return parse_enum_name(s, kRequestStates, out); }
bool parse_state(std::string_view s, NotificationState* out) { return parse_enum_name(s, kNotificationStates, out); }

ActionRefusal request_refusal(const CareerBreakRequest& r, ActionKind kind) {
  using S = BreakRequestState;
  if (r.state == S::kCancelled) return ActionRefusal::kRequestCancelled;
  switch (kind) {
    case ActionKind::kCareerBreakEmployeePart:
      return r.state == S::kSubmitted ? ActionRefusal::kNone : ActionRefusal::kEmployeePartAlreadyCompleted;
    case ActionKind::kCareerBreakCancellation:
    case ActionKind::kCareerBreakEndDate:
      return r.state == S::kSubmitted ? ActionRefusal::kNone : ActionRefusal::kEmployeePartCompleted;
    case ActionKind::kCareerBreakAttachment: return ActionRefusal::kNone;  // rule 15: attachments stay allowed
    case ActionKind::kOnemDecision:
      if (r.state == S::kSubmitted) return ActionRefusal::kEmployeePartNotCompleted;
      return r.state == S::kEmployeeCompleted ? ActionRefusal::kNone : ActionRefusal::kAlreadyDecided;
    default: break;
  }
  DIMONA_ASSERT(false);
  return ActionRefusal::kNone;
}

ActionRefusal notification_refusal(const CareerBreakNotification& n, ActionKind kind) {
  DIMONA_ASSERT(kind == ActionKind::kCareerBreakPostponement || kind == ActionKind::kCareerBreakNotificationRefusal ||
                kind == ActionKind::kCareerBreakNotificationValidation || kind == ActionKind::kCareerBreakAttachment);
  return n.open() ? ActionRefusal::kNone : ActionRefusal::kNotificationClosed;
}

// --- Fold ---------------------------------------------------------------------------

Attestation attestation_of(const ActionOutcome& o, Instant issued_at) {
  return Attestation{o.id,         o.worker,        o.for_year,
                     o.quota_hours, o.remaining_hours, o.access_code,
                     o.code_month,  issued_at,         std::string(o.family_name),
                     std::string(o.given_name)};
}

InterimOverviewSend overview_send_of(const Action& a, const ActionOutcome& o, Instant sent_at) {
  return InterimOverviewSend{
      o.id, o.worker, a.from, a.to, a.worker_type, a.agency, a.user_company, std::string(a.user_company_name), sent_at};
}

const WorkerName* ActionState::worker_name(Ssin citizen) const {
  const uint32_t* i = name_citizen_.find(citizen.value);
  return i ? &names_[*i - 1] : nullptr;
}

void ActionState::note_worker_name(Ssin citizen, std::string_view family, std::string_view given) {
  DIMONA_ASSERT(citizen.value != 0 && family.size() <= limits::worker_name_bytes_max &&
                given.size() <= limits::worker_name_bytes_max);
  if (family.empty() && given.empty()) return;
  uint32_t& index = name_citizen_[citizen.value];
  if (index == 0) {
    names_.push_back(WorkerName{citizen, {}, {}});
    index = static_cast<uint32_t>(names_.size());
  }
  WorkerName& n = names_[index - 1];
  if (!family.empty()) n.family.assign(family);
  if (!given.empty()) n.given.assign(given);
}

Status ActionState::apply(const Event& event) {
  const Action& a = event.action.action;
  const ActionOutcome& o = event.action.outcome;
  const Instant at = event.recorded_at;
  DIMONA_ASSERT(event.is_action() && o.accepted() && o.id != 0);
  const Status kImpossibleTransition = corruption("an accepted career-break action its state machine forbids");
  switch (a.kind) {
    case ActionKind::kAttestationRequest:
      // An attestation folded twice (a duplicated event, which `replay --rebuild` reports) is kept
      // twice, and its id answers with the later copy; the AccessIndex lists the id once.
      if (o.worker.value == 0) return corruption("an attestation without its citizen");
      add_attestation(attestation_of(o, at));
      return Status::ok();
    case ActionKind::kInboxArchive: {
      const std::optional<InboxRecord> message = inbox_record(o.subject);
      if (!message) return corruption("an inbox message archived that was never delivered");
      if (message->addressee != o.worker || message->archived_at != kNoInstant)
        return corruption("an inbox message archived twice");
      if (const uint32_t* i = att_id_.find(o.subject))
        attestations_[*i - 1].archived_at = at;
      else if (const uint32_t* j = overview_send_id_.find(o.subject))
        overview_sends_[*j - 1].archived_at = at;
      else
        ticket_mut(o.subject)->decision_archived_at = at;
      return Status::ok();
    }
    case ActionKind::kInterimOverviewSend:
      if (o.worker.value == 0) return corruption("an overview sent without its citizen");
      // Both dates given and backwards is what the decoder always refused. One date against the
      // default's other end is the decision's (endBeforeStart), and a log decided before that
      // rule keeps its accepted overview: it folds as it was decided.
      if (a.from && a.to && *a.to < *a.from) return corruption("an overview sent whose window ends before it starts");
      // By e-mail it is the outbox's (outbox.h); to the eBox, an inbox message. One folded twice (a
      // duplicated event) is kept twice, as an attestation is, and its id answers with the later copy.
      if (a.delivery == DeliveryChannel::kEbox) add_overview_send(overview_send_of(a, o, at));
      return Status::ok();
    case ActionKind::kDataConsultation:
      // Kept by its read model (projections/consultation_log.h), which relies on this check.
      if (o.worker.value == 0) return corruption("a consultation without its citizen");
      return Status::ok();
    case ActionKind::kDataAccessRequest:
      if (request(o.id) || o.token.empty() || !is_record_key(o.employer))
        return corruption("a data-access request reuses an id or lacks its employer or token");
      add_request({o.id, o.employer, a.scope, a.channel, o.token, at});
      return Status::ok();
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal: {
      const bool granted = a.kind == ActionKind::kDataAccessGrant;
      if (answer(o.subject) || !is_record_key(o.subject) || o.worker.value == 0 || !is_record_key(o.employer))
        return corruption("a request answered twice, or an answer without its request or parties");
      add_answer({o.subject, o.worker, o.employer, o.scope, granted, at, granted ? o.expires_at : at, Instant{}});
      return Status::ok();
    }
    case ActionKind::kDataAccessRevocation: {
      const uint32_t* i = answer_request_.find(o.subject);
      if (i == nullptr) return corruption("a revocation of a grant never made");
      const ConsentAnswer& grant = answers_[*i - 1];
      if (!grant.granted || grant.citizen != o.worker) return corruption("a revocation of a grant never made");
      // The grant itself ends here unless an earlier revocation of another grant to the same
      // employer ended it already (a log decided before rule 12 applied so; decide_action now
      // refuses that revocation: notActive).
      revoke_grants(grant.citizen, grant.employer, at);
      return Status::ok();
    }
    case ActionKind::kOccupationQuarter:
      add_occupation({o.worker, o.employer, a.year * 4 + a.quarter - 1, a.fraction_permille,
                      a.gross_wage_cents.value_or(OccupationRecord::kNoWage), at});
      return Status::ok();
    case ActionKind::kPensionStatus: set_pension({o.worker, a.pensioned_as_of, at}); return Status::ok();
    case ActionKind::kEmployerSettings:
      set_settings({o.employer, std::string(a.contact_name), std::string(a.email), std::string(a.phone),
                    std::string(a.sector), a.accepts_notifications, at});
      return Status::ok();
    case ActionKind::kCareerBreakRequest: {
      CareerBreakRequest r;
      r.ticket = o.id;
      r.citizen = o.worker;
      r.employer = o.employer;
      r.leave_kind = a.leave_kind;
      r.fraction = a.break_fraction;
      r.start = a.start_date;
      r.end = a.end_date.value_or(a.start_date);
      r.regime_before_permille = a.regime_before_permille;
      r.regime_during_permille = a.regime_during_permille;
      r.multiple_employers = a.multiple_employers;
      r.submitted_at = r.changed_at = at;
      if (ticket(r.ticket)) return corruption("a career-break request reuses a ticket");
      add_ticket(std::move(r));
      return Status::ok();
    }
    case ActionKind::kCareerBreakNotification: {
      CareerBreakNotification n;
      n.id = o.id;
      n.citizen = o.worker;
      n.employer = o.employer;
      n.leave_kind = a.leave_kind;
      n.fraction = a.break_fraction;
      n.start = a.start_date;
      n.end = a.end_date;
      n.received_at = n.changed_at = at;
      if (notification(n.id)) return corruption("a notification reuses an id");
      add_notification(std::move(n));
      return Status::ok();
    }
    case ActionKind::kCareerBreakAttachment:
      if (a.to_notification) {
        CareerBreakNotification* n = notification_mut(o.subject);
        if (!n || notification_refusal(*n, a.kind) != ActionRefusal::kNone) return kImpossibleTransition;
        add_attachment(n->attachments, a.file_name);
        n->changed_at = at;
      } else {
        CareerBreakRequest* r = ticket_mut(o.subject);
        if (!r || request_refusal(*r, a.kind) != ActionRefusal::kNone) return kImpossibleTransition;
        add_attachment(r->attachments, a.file_name);
        r->changed_at = at;
      }
      return Status::ok();
    case ActionKind::kCareerBreakEmployeePart:
    case ActionKind::kCareerBreakCancellation:
    case ActionKind::kCareerBreakEndDate:
    case ActionKind::kOnemDecision: {
      CareerBreakRequest* r = ticket_mut(o.subject);
      if (!r || request_refusal(*r, a.kind) != ActionRefusal::kNone) return kImpossibleTransition;
      r->changed_at = at;
      if (a.kind == ActionKind::kCareerBreakEmployeePart) r->state = BreakRequestState::kEmployeeCompleted;
      if (a.kind == ActionKind::kCareerBreakCancellation) r->state = BreakRequestState::kCancelled;
      if (a.kind == ActionKind::kOnemDecision) {
        r->state = a.decision == OnemDecision::kGranted ? BreakRequestState::kGranted : BreakRequestState::kRefused;
        r->decided_at = at;
      }
      if (a.kind == ActionKind::kCareerBreakEndDate) {
        r->end = *a.end_date;
        r->end_date_changes = saturating_inc(r->end_date_changes);
      }
      return Status::ok();
    }
    case ActionKind::kCareerBreakPostponement:
    case ActionKind::kCareerBreakNotificationRefusal:
    case ActionKind::kCareerBreakNotificationValidation: {
      CareerBreakNotification* n = notification_mut(o.subject);
      if (!n || notification_refusal(*n, a.kind) != ActionRefusal::kNone) return kImpossibleTransition;
      n->changed_at = at;
      if (a.kind == ActionKind::kCareerBreakPostponement) {
        n->start = a.start_date;
        n->state = NotificationState::kPostponed;
        n->postponements = saturating_inc(n->postponements);
      }
      if (a.kind == ActionKind::kCareerBreakNotificationRefusal) n->state = NotificationState::kRefused;
      if (a.kind == ActionKind::kCareerBreakNotificationValidation) n->state = NotificationState::kValidated;
      return Status::ok();
    }
  }
  return corruption("an event of no known action kind");
}

uint32_t ActionState::link(FlatMap<uint32_t>& index, uint64_t key, uint32_t at) {
  DIMONA_ASSERT(key != 0);
  uint32_t& head = index[key];
  const uint32_t prev = head == 0 ? kNoRecord : head - 1;
  head = at + 1;
  return prev;
}

const Attestation* ActionState::attestation(uint64_t id) const {
  const uint32_t* i = att_id_.find(id);
  return i ? &attestations_[*i - 1] : nullptr;
}

const InterimOverviewSend* ActionState::overview_send(uint64_t id) const {
  const uint32_t* i = overview_send_id_.find(id);
  return i ? &overview_sends_[*i - 1] : nullptr;
}

std::optional<ActionState::InboxRecord> ActionState::inbox_record(uint64_t id) const {
  if (const Attestation* a = attestation(id)) return InboxRecord{a->citizen, a->issued_at, a->archived_at};
  if (const InterimOverviewSend* o = overview_send(id)) return InboxRecord{o->citizen, o->sent_at, o->archived_at};
  if (const CareerBreakRequest* r = ticket(id); r != nullptr && r->decided())
    return InboxRecord{r->citizen, r->decided_at, r->decision_archived_at};
  return std::nullopt;
}

void ActionState::add_attestation(Attestation a) {
  const auto at = static_cast<uint32_t>(attestations_.size());
  att_id_[a.id] = at + 1;
  attestations_.push_back(std::move(a));
}

void ActionState::add_overview_send(InterimOverviewSend o) {
  const auto at = static_cast<uint32_t>(overview_sends_.size());
  overview_send_id_[o.id] = at + 1;
  overview_sends_.push_back(std::move(o));
}

void ActionState::add_request(DataAccessRequest r) {
  const auto at = static_cast<uint32_t>(requests_.size());
  DIMONA_ASSERT(request_id_.find(r.id) == nullptr);
  request_id_[r.id] = at + 1;
  request_token_[r.token.key()] = at + 1;
  requests_.push_back(r);
}

void ActionState::add_answer(ConsentAnswer a) {
  const auto at = static_cast<uint32_t>(answers_.size());
  DIMONA_ASSERT(answer_request_.find(a.request_id) == nullptr);
  answer_request_[a.request_id] = at + 1;
  a.prev_of_citizen = link(answer_citizen_, a.citizen.value, at);
  answers_.push_back(a);
}

void ActionState::revoke_grants(Ssin citizen, uint64_t employer, Instant at) {
  for (uint32_t i = by_citizen(answer_citizen_, citizen); i != kNoRecord; i = answers_[i].prev_of_citizen) {
    ConsentAnswer& a = answers_[i];
    if (a.employer != employer || !a.granted || at < a.at || a.expires_at <= at) continue;
    if (!a.revoked() || at < a.revoked_at) a.revoked_at = at;
  }
}

void ActionState::add_occupation(OccupationRecord r) {
  for (uint32_t i = by_citizen(occupation_citizen_, r.citizen); i != kNoRecord; i = occupations_[i].prev_of_citizen) {
    OccupationRecord& old = occupations_[i];
    if (old.employer == r.employer && old.quarter == r.quarter) {  // a correction replaces the record
      old.permille = r.permille;
      old.gross_wage_cents = r.gross_wage_cents;  // the whole quarter is sent again: a wage left out is gone
      old.recorded_at = r.recorded_at;
      return;
    }
  }
  const auto at = static_cast<uint32_t>(occupations_.size());
  r.prev_of_citizen = link(occupation_citizen_, r.citizen.value, at);
  occupations_.push_back(r);
}

void ActionState::set_pension(PensionRecord r) {
  uint32_t& i = pension_citizen_[r.citizen.value];
  if (i == 0) {
    pensions_.push_back(r);
    i = static_cast<uint32_t>(pensions_.size());
  } else {
    pensions_[i - 1] = r;
  }
}

void ActionState::set_settings(EmployerSettings s) {
  uint32_t& i = settings_index_[s.employer];
  if (i == 0) {
    settings_.push_back(std::move(s));
    i = static_cast<uint32_t>(settings_.size());
  } else {
    settings_[i - 1] = std::move(s);
  }
}

void ActionState::add_ticket(CareerBreakRequest r) {
  const auto at = static_cast<uint32_t>(tickets_.size());
  DIMONA_ASSERT(ticket_id_.find(r.ticket) == nullptr);
  ticket_id_[r.ticket] = at + 1;
  tickets_.push_back(std::move(r));
}

void ActionState::add_notification(CareerBreakNotification n) {
  const auto at = static_cast<uint32_t>(notifications_.size());
  DIMONA_ASSERT(notification_id_.find(n.id) == nullptr);
  notification_id_[n.id] = at + 1;
  notifications_.push_back(std::move(n));
}

CareerBreakRequest* ActionState::ticket_mut(uint64_t id) {
  const uint32_t* i = ticket_id_.find(id);
  return i ? &tickets_[*i - 1] : nullptr;
}

CareerBreakNotification* ActionState::notification_mut(uint64_t id) {
  const uint32_t* i = notification_id_.find(id);
  return i ? &notifications_[*i - 1] : nullptr;
}

// --- Lookups --------------------------------------------------------------------------

const DataAccessRequest* ActionState::request(uint64_t id) const {
  const uint32_t* i = request_id_.find(id);
  return i ? &requests_[*i - 1] : nullptr;
}

const DataAccessRequest* ActionState::request_by_token(AccessToken token) const {
  const uint32_t* i = request_token_.find(token.key());
  return i && requests_[*i - 1].token == token ? &requests_[*i - 1] : nullptr;
}

const ConsentAnswer* ActionState::answer(uint64_t request_id) const {
  const uint32_t* i = answer_request_.find(request_id);
  return i ? &answers_[*i - 1] : nullptr;
}

const CareerBreakRequest* ActionState::ticket(uint64_t id) const {
  const uint32_t* i = ticket_id_.find(id);
  return i ? &tickets_[*i - 1] : nullptr;
}

const CareerBreakNotification* ActionState::notification(uint64_t id) const {
  const uint32_t* i = notification_id_.find(id);
  return i ? &notifications_[*i - 1] : nullptr;
}

const EmployerSettings* ActionState::settings(uint64_t employer) const {
  const uint32_t* i = settings_index_.find(employer);
  return i ? &settings_[*i - 1] : nullptr;
}

const PensionRecord* ActionState::pension(Ssin citizen) const {
  const uint32_t* i = pension_citizen_.find(citizen.value);
  return i ? &pensions_[*i - 1] : nullptr;
}

bool ActionState::id_in_use(uint64_t id) const {
  return request_id_.find(id) || ticket_id_.find(id) || notification_id_.find(id) || att_id_.find(id) ||
         answer_request_.find(id) || overview_send_id_.find(id);
}

// --- Checkpoint bytes -------------------------------------------------------------------
// Each record list as a u32 count then its records, fields in declaration
// order (docs/checkpoints.md); the indexes are rebuilt by load().

void ActionState::save(std::string* out) const {
  put(out, static_cast<uint32_t>(attestations_.size()));
  for (const Attestation& a : attestations_) {
    put(out, a.id), put(out, a.citizen.value), put(out, a.for_year), put(out, a.quota_hours);
    put(out, a.remaining_hours), put(out, a.access_code), put(out, a.code_month), put(out, a.issued_at.micros);
    put(out, std::string_view(a.family_name)), put(out, std::string_view(a.given_name));
    put(out, a.archived_at.micros);
  }
  put(out, static_cast<uint32_t>(requests_.size()));
  for (const DataAccessRequest& r : requests_) {
    put(out, r.id), put(out, r.employer), put(out, static_cast<uint8_t>(r.scope)), put(out, static_cast<uint8_t>(r.channel));
    put(out, r.token.hi), put(out, r.token.lo), put(out, r.requested_at.micros);
  }
  put(out, static_cast<uint32_t>(answers_.size()));
  for (const ConsentAnswer& a : answers_) {
    put(out, a.request_id), put(out, a.citizen.value), put(out, a.employer), put(out, static_cast<uint8_t>(a.scope));
    put(out, static_cast<uint8_t>(a.granted)), put(out, a.at.micros), put(out, a.expires_at.micros), put(out, a.revoked_at.micros);
  }
  put(out, static_cast<uint32_t>(occupations_.size()));
  for (const OccupationRecord& r : occupations_) {
    put(out, r.citizen.value), put(out, r.employer), put(out, r.quarter), put(out, r.permille);
    put(out, r.gross_wage_cents), put(out, r.recorded_at.micros);
  }
  put(out, static_cast<uint32_t>(pensions_.size()));
  for (const PensionRecord& r : pensions_) {
    put(out, r.citizen.value), put(out, static_cast<uint8_t>(r.pensioned_as_of.has_value()));
    put(out, r.pensioned_as_of.value_or(Date{}).days), put(out, r.recorded_at.micros);
  }
  put(out, static_cast<uint32_t>(settings_.size()));
  for (const EmployerSettings& s : settings_) {
    put(out, s.employer), put(out, s.contact_name), put(out, s.email), put(out, s.phone), put(out, s.sector);
    put(out, static_cast<uint8_t>(s.accepts_notifications)), put(out, s.updated_at.micros);
  }
  auto put_attachments = [out](const std::vector<std::string>& list) {
    put(out, static_cast<uint32_t>(list.size()));
    for (const std::string& name : list) put(out, std::string_view(name));
  };
  put(out, static_cast<uint32_t>(tickets_.size()));
  for (const CareerBreakRequest& r : tickets_) {
    put(out, r.ticket), put(out, r.citizen.value), put(out, r.employer), put(out, static_cast<uint8_t>(r.leave_kind));
    put(out, static_cast<uint8_t>(r.fraction)), put(out, r.start.days), put(out, r.end.days);
    put(out, r.regime_before_permille), put(out, r.regime_during_permille), put(out, static_cast<uint8_t>(r.multiple_employers));
    put(out, static_cast<uint8_t>(r.state)), put(out, r.submitted_at.micros), put(out, r.changed_at.micros);
    put(out, r.end_date_changes), put(out, r.decided_at.micros), put(out, r.decision_archived_at.micros);
    put_attachments(r.attachments);
  }
  put(out, static_cast<uint32_t>(notifications_.size()));
  for (const CareerBreakNotification& n : notifications_) {
    put(out, n.id), put(out, n.citizen.value), put(out, n.employer), put(out, static_cast<uint8_t>(n.leave_kind));
    put(out, static_cast<uint8_t>(n.fraction)), put(out, n.start.days), put(out, static_cast<uint8_t>(n.end.has_value()));
    put(out, n.end.value_or(Date{}).days), put(out, static_cast<uint8_t>(n.state)), put(out, n.received_at.micros);
    put(out, n.changed_at.micros), put(out, n.postponements);
    put_attachments(n.attachments);
  }
  put(out, static_cast<uint32_t>(names_.size()));
  for (const WorkerName& n : names_) put(out, n.citizen.value), put(out, std::string_view(n.family)), put(out, std::string_view(n.given));
  auto put_date = [out](const std::optional<Date>& d) {
    put(out, static_cast<uint8_t>(d.has_value())), put(out, d.value_or(Date{}).days);
  };
  put(out, static_cast<uint32_t>(overview_sends_.size()));
  for (const InterimOverviewSend& o : overview_sends_) {
    put(out, o.id), put(out, o.citizen.value), put_date(o.from), put_date(o.to);
    put(out, static_cast<uint8_t>(o.worker_type)), put(out, o.agency), put(out, o.user_company);
    put(out, std::string_view(o.user_company_name)), put(out, o.sent_at.micros), put(out, o.archived_at.micros);
  }
}

namespace {

bool get_bool(ByteReader& in, bool* out) {
  uint8_t v = 0;
  if (!in.get(&v) || v > 1) return false;
  *out = v == 1;
  return true;
}

bool get_date(ByteReader& in, std::optional<Date>* out) {
  bool has = false;
  Date d;
  if (!get_bool(in, &has) || !in.get(&d.days)) return false;
  if (has) *out = d;
  return true;
}

bool get_attachments(ByteReader& in, std::vector<std::string>* list) {
  uint32_t n = 0;
  if (!in.get(&n) || n > limits::career_break_attachments_max) return false;
  list->resize(n);
  for (std::string& name : *list)
    if (!in.get(&name)) return false;
  return true;
}

}  // namespace

Status ActionState::load(std::string_view bytes, ActionState* s, bool merge) {
  DIMONA_ASSERT(merge || s->record_count() == 0);
  ByteReader in(bytes);
  const Status truncated = corruption("checkpoint action state truncated or impossible");
  uint32_t n = 0;
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    Attestation a;
    if (!in.get(&a.id) || !in.get(&a.citizen.value) || !in.get(&a.for_year) || !in.get(&a.quota_hours) ||
        !in.get(&a.remaining_hours) || !in.get(&a.access_code) || !in.get(&a.code_month) || !in.get(&a.issued_at.micros) ||
        !in.get(&a.family_name) || !in.get(&a.given_name) || a.family_name.size() > limits::worker_name_bytes_max ||
        a.given_name.size() > limits::worker_name_bytes_max || !is_record_key(a.id) || !is_ssin_value(a.citizen.value) ||
        a.access_code > kAccessCodeMask || !in.get(&a.archived_at.micros) ||
        (a.archived() && a.archived_at < a.issued_at))
      return truncated;
    s->add_attestation(std::move(a));
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    DataAccessRequest r;
    if (!in.get(&r.id) || !in.get(&r.employer) || !get_enum(in, AccessScope::kStudentBalance, &r.scope) ||
        !get_enum(in, AccessChannel::kLink, &r.channel) || !in.get(&r.token.hi) || !in.get(&r.token.lo) ||
        !in.get(&r.requested_at.micros) || !is_record_key(r.id) || !is_record_key(r.employer) || s->request(r.id))
      return truncated;
    s->add_request(r);
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    ConsentAnswer a;
    if (!in.get(&a.request_id) || !in.get(&a.citizen.value) || !in.get(&a.employer) ||
        !get_enum(in, AccessScope::kStudentBalance, &a.scope) || !get_bool(in, &a.granted) || !in.get(&a.at.micros) ||
        !in.get(&a.expires_at.micros) || !in.get(&a.revoked_at.micros) || !is_record_key(a.request_id) || !is_ssin_value(a.citizen.value) || !is_record_key(a.employer) || s->answer(a.request_id))
      return truncated;
    s->add_answer(a);
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    OccupationRecord r;
    if (!in.get(&r.citizen.value) || !in.get(&r.employer) || !in.get(&r.quarter) || !in.get(&r.permille) ||
        !in.get(&r.gross_wage_cents) || !in.get(&r.recorded_at.micros) || !is_ssin_value(r.citizen.value) ||
        !is_record_key(r.employer) || r.gross_wage_cents < OccupationRecord::kNoWage)
      return truncated;
    s->add_occupation(r);
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    PensionRecord r;
    bool has = false;
    Date d;
    if (!in.get(&r.citizen.value) || !get_bool(in, &has) || !in.get(&d.days) || !in.get(&r.recorded_at.micros) ||
        !is_ssin_value(r.citizen.value) || s->pension(r.citizen))
      return truncated;
    if (has) r.pensioned_as_of = d;
    s->set_pension(r);
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    EmployerSettings e;
    if (!in.get(&e.employer) || !in.get(&e.contact_name) || !in.get(&e.email) || !in.get(&e.phone) ||
        !in.get(&e.sector) || !get_bool(in, &e.accepts_notifications) || !in.get(&e.updated_at.micros) ||
        !is_record_key(e.employer) || s->settings(e.employer))
      return truncated;
    s->set_settings(std::move(e));
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    CareerBreakRequest r;
    if (!in.get(&r.ticket) || !in.get(&r.citizen.value) || !in.get(&r.employer) ||
        !get_enum(in, LeaveKind::kPalliativeCare, &r.leave_kind) ||
        !get_enum(in, BreakFraction::kOneTenth, &r.fraction) || !in.get(&r.start.days) || !in.get(&r.end.days) ||
        !in.get(&r.regime_before_permille) || !in.get(&r.regime_during_permille) ||
        !get_bool(in, &r.multiple_employers) || !get_enum(in, BreakRequestState::kRefused, &r.state) ||
        !in.get(&r.submitted_at.micros) || !in.get(&r.changed_at.micros) || !in.get(&r.end_date_changes) ||
        !in.get(&r.decided_at.micros) || !in.get(&r.decision_archived_at.micros) ||
        !get_attachments(in, &r.attachments) ||
        r.decided() != (r.state == BreakRequestState::kGranted || r.state == BreakRequestState::kRefused) ||
        (r.decided() && r.decided_at < r.submitted_at) ||
        (r.decision_archived() && (!r.decided() || r.decision_archived_at < r.decided_at)) ||
        !is_record_key(r.ticket) || !is_ssin_value(r.citizen.value) || !is_record_key(r.employer) ||
        s->ticket(r.ticket))
      return truncated;
    s->add_ticket(std::move(r));
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    CareerBreakNotification c;
    bool has_end = false;
    Date end;
    if (!in.get(&c.id) || !in.get(&c.citizen.value) || !in.get(&c.employer) ||
        !get_enum(in, LeaveKind::kPalliativeCare, &c.leave_kind) || !get_enum(in, BreakFraction::kOneTenth, &c.fraction) ||
        !in.get(&c.start.days) || !get_bool(in, &has_end) || !in.get(&end.days) ||
        !get_enum(in, NotificationState::kValidated, &c.state) || !in.get(&c.received_at.micros) ||
        !in.get(&c.changed_at.micros) || !in.get(&c.postponements) || !get_attachments(in, &c.attachments) ||
        !is_record_key(c.id) || !is_ssin_value(c.citizen.value) || !is_record_key(c.employer) || s->notification(c.id))
      return truncated;
    if (has_end) c.end = end;
    s->add_notification(std::move(c));
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    WorkerName w;
    if (!in.get(&w.citizen.value) || !in.get(&w.family) || !in.get(&w.given) || !is_ssin_value(w.citizen.value) ||
        w.family.size() > limits::worker_name_bytes_max || w.given.size() > limits::worker_name_bytes_max ||
        (w.family.empty() && w.given.empty()) || s->worker_name(w.citizen))
      return truncated;
    s->note_worker_name(w.citizen, w.family, w.given);
  }
  if (!in.get(&n)) return truncated;
  for (uint32_t i = 0; i < n; ++i) {
    InterimOverviewSend o;
    if (!in.get(&o.id) || !in.get(&o.citizen.value) || !get_date(in, &o.from) || !get_date(in, &o.to) ||
        !get_enum(in, WorkerType::kOTH, &o.worker_type) || !in.get(&o.agency) || !in.get(&o.user_company) ||
        !in.get(&o.user_company_name) || o.user_company_name.size() > limits::text_field_bytes_max ||
        o.user_company_name.empty() == (o.user_company != 0 && is_named_user_company(o.user_company)) ||
        !in.get(&o.sent_at.micros) || !in.get(&o.archived_at.micros) || !is_record_key(o.id) ||
        !is_ssin_value(o.citizen.value) || (o.archived() && o.archived_at < o.sent_at))
      return truncated;
    if (o.from && o.to && *o.to < *o.from) return truncated;
    s->add_overview_send(std::move(o));
  }
  if (in.remaining() != 0) return corruption("checkpoint action state has trailing bytes");
  return Status::ok();
}

}  // namespace dimona
