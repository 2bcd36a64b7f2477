#include "projections/inbox_views.h"

#include <algorithm>
#include <cstdio>

#include "engine/base/hex.h"
#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "projections/access_views.h"
#include "projections/career_break_views.h"

namespace dimona {

std::string inbox_subject(const InboxMessage& m) {
  if (m.kind == InboxMessage::Kind::kStudentAttestation)
    return "Student@work attestation " + std::to_string(m.attestation.for_year);
  if (m.kind == InboxMessage::Kind::kInterimOverview) {
    const InterimFilter f = overview_filter(m.overview);
    return "Interim@work overview of your work relations, " + to_string(f.from) + " to " + to_string(f.to);
  }
  char ticket[24];
  std::snprintf(ticket, sizeof ticket, "%012llu", static_cast<unsigned long long>(m.request.ticket));
  return "ONEM decision on career-break request " + std::string(ticket) + ": " +
         std::string(state_name(m.request.state));
}

namespace {

void write_overview(JsonWriter& w, const InterimOverviewSend& o, std::string_view relations) {
  w.key("overview").begin_object();
  write_overview_filters(w, o);
  w.key("sentAt").string(to_string(o.sent_at));
  w.key("document").string(overview_document(o));
  if (!relations.empty()) w.key("relations").raw(relations);
  w.end_object();
}

void write_message(JsonWriter& w, const InboxMessage& m, bool body, const EmployerNameOf& names,
                   std::string_view relations) {
  w.begin_object();
  w.key("messageId").digits(m.id, 12);
  w.key("kind").string(message_kind_name(m.kind));
  w.key("deliveredAt").string(to_string(m.delivered_at));
  w.key("expiresAt").string(to_string(m.expires_at));
  w.key("subject").string(inbox_subject(m));
  if (m.archived()) w.key("archivedAt").string(to_string(m.archived_at));
  if (body && m.kind == InboxMessage::Kind::kStudentAttestation) {
    const Attestation& a = m.attestation;
    w.key("attestation").begin_object();
    w.key("attestationId").digits(a.id, 12);
    w.key("year").integer(a.for_year);
    w.key("quotaHours").integer(a.quota_hours);
    w.key("remainingHours").integer(a.remaining_hours);
    w.key("accessCode").string(format_access_code(a.access_code));
    w.key("validFrom").string(to_string(a.valid_from()));
    w.key("validUntil").string(to_string(a.valid_until()));
    w.end_object();
  }
  if (body && m.kind == InboxMessage::Kind::kCareerBreakDecision) {
    w.key("decision").begin_object();
    w.key("ticket").digits(m.request.ticket, 12);
    w.key("decision").string(state_name(m.request.state));  // GRANTED or REFUSED
    w.key("decidedAt").string(to_string(m.request.decided_at));
    std::string request;
    to_json(m.request, &request, names);  // the citizen sees their request in full
    w.key("request").raw(request);
    w.end_object();
  }
  if (body && m.kind == InboxMessage::Kind::kInterimOverview) write_overview(w, m.overview, relations);
  w.end_object();
}

// Every message of the citizen kept at `now` (delivered by then, not expired), archived or not.
std::vector<InboxMessage> kept_messages(const ActionState& actions, const AccessIndex& index,
                                        const CareerBreakIndex& career_breaks, Ssin citizen, Instant now) {
  std::vector<InboxMessage> out;
  auto keep = [&](InboxMessage m) {
    if (m.delivered_at <= now && now < m.expires_at) out.push_back(std::move(m));
  };
  for (const Attestation& a : attestations_of(actions, index, citizen)) keep(inbox_message_of(a));
  career_breaks.for_each_ticket_of(citizen, [&](uint64_t ticket) {
    // The index lists the state's own records; an id the state lacks is left out (career_break_views.cc).
    const CareerBreakRequest* r = actions.ticket(ticket);
    if (r != nullptr && r->citizen == citizen && r->decided()) keep(inbox_message_of(*r));
  });
  index.for_each_overview_send_of(citizen, [&](uint64_t id) {
    const InterimOverviewSend* o = actions.overview_send(id);
    if (o != nullptr && o->citizen == citizen) keep(inbox_message_of(*o));
  });
  return out;
}

}  // namespace

std::string_view message_kind_name(InboxMessage::Kind kind) {
  switch (kind) {
    case InboxMessage::Kind::kStudentAttestation: return "studentAttestation";
    case InboxMessage::Kind::kCareerBreakDecision: return "careerBreakDecision";
    case InboxMessage::Kind::kInterimOverview: return "interimOverview";
  }
  DIMONA_ASSERT(false);
  return {};
}

InterimFilter overview_filter(const InterimOverviewSend& o) {
  const DateWindow w = overview_window(o.from, o.to, o.sent_at);
  InterimFilter f;
  f.from = w.from;
  f.to = w.to;
  f.worker_type = o.worker_type;
  f.agency = o.agency;
  f.user_company = o.user_company;
  return f;
}

void write_overview_filters(JsonWriter& w, const InterimOverviewSend& o) {
  const InterimFilter f = overview_filter(o);
  w.key("from").string(to_string(f.from)).key("to").string(to_string(f.to));
  if (o.worker_type != WorkerType::kUnknown) w.key("workerType").string(worker_type_name(o.worker_type));
  if (o.agency != 0) w.key("agency").digits(o.agency, 10);
  if (is_named_user_company(o.user_company))
    w.key("userCompany").string(o.user_company_name);
  else if (o.user_company != 0)
    w.key("userCompany").digits(o.user_company, 10);
}

std::vector<Offset> overview_offsets(const Projector& projector, const InboxMessage& m) {
  if (m.kind != InboxMessage::Kind::kInterimOverview) return {};
  const std::optional<Offset> sent = projector.model_of<AccessIndex>(m.citizen).overview_send_offset(m.id);
  if (!sent) return {};
  std::vector<Offset> offsets = projector.citizens(projector.partition_of(m.citizen)).offsets(m.citizen);
  std::erase_if(offsets, [&](Offset o) { return o > *sent; });
  return offsets;
}

std::vector<InterimRelation> overview_relations(const Projector& then, const InboxMessage& m) {
  DIMONA_ASSERT(m.kind == InboxMessage::Kind::kInterimOverview);
  return interim_relations(then.state_of(m.citizen), m.citizen, overview_filter(m.overview),
                           &then.anomalies_of(m.citizen));
}

std::string overview_document(const InterimOverviewSend& o) {
  const InterimFilter f = overview_filter(o);
  char ssin[24];
  std::snprintf(ssin, sizeof ssin, "%011llu", static_cast<unsigned long long>(o.citizen.value));
  std::string out =
      "/v1/citizens/" + std::string(ssin) + "/interimRelations?from=" + to_string(f.from) + "&to=" + to_string(f.to);
  if (o.worker_type != WorkerType::kUnknown) out += "&workerType=" + std::string(worker_type_name(o.worker_type));
  char number[24];
  for (auto [name, key] : {std::pair{"&agency=", o.agency}, std::pair{"&userCompany=", o.user_company}}) {
    if (key == 0) continue;
    out += name;
    if (is_named_user_company(key)) {
      out += percent_encode(o.user_company_name);
    } else {
      std::snprintf(number, sizeof number, "%010llu", static_cast<unsigned long long>(key));
      out += number;
    }
  }
  return out + "&asOf=" + percent_encode(to_string(o.sent_at));
}

namespace {

// A message delivered at `delivered_at`, kept limits::inbox_message_kept_months months.
InboxMessage message(InboxMessage::Kind kind, uint64_t id, Ssin citizen, Instant delivered_at, Instant archived_at) {
  InboxMessage m;
  m.kind = kind;
  m.id = id;
  m.citizen = citizen;
  m.delivered_at = delivered_at;
  m.expires_at = inbox_expiry(delivered_at);
  m.archived_at = archived_at;
  return m;
}

}  // namespace

Instant inbox_expiry(Instant delivered_at) { return add_months(delivered_at, limits::inbox_message_kept_months); }

InboxMessage inbox_message_of(const Attestation& a) {
  InboxMessage m = message(InboxMessage::Kind::kStudentAttestation, a.id, a.citizen, a.issued_at, a.archived_at);
  m.attestation = a;
  return m;
}

InboxMessage inbox_message_of(const InterimOverviewSend& o) {
  InboxMessage m = message(InboxMessage::Kind::kInterimOverview, o.id, o.citizen, o.sent_at, o.archived_at);
  m.overview = o;
  return m;
}

InboxMessage inbox_message_of(const CareerBreakRequest& r) {
  DIMONA_ASSERT(r.decided());
  InboxMessage m =
      message(InboxMessage::Kind::kCareerBreakDecision, r.ticket, r.citizen, r.decided_at, r.decision_archived_at);
  m.request = r;
  return m;
}

std::vector<InboxMessage> inbox_of(const ActionState& actions, const AccessIndex& index,
                                   const CareerBreakIndex& career_breaks, Ssin citizen, Instant now, bool archived) {
  std::vector<InboxMessage> out = kept_messages(actions, index, career_breaks, citizen, now);
  // Archived at `now` or before; ledger time only grows, so a later archiving is not in the past's view.
  std::erase_if(out, [&](const InboxMessage& m) { return (m.archived() && m.archived_at <= now) != archived; });
  std::sort(out.begin(), out.end(), [](const InboxMessage& x, const InboxMessage& y) {
    return x.delivered_at != y.delivered_at ? x.delivered_at > y.delivered_at : x.id > y.id;
  });
  return out;
}

std::optional<InboxMessage> inbox_message(const ActionState& actions, const AccessIndex& index,
                                          const CareerBreakIndex& career_breaks, Ssin citizen, uint64_t message_id,
                                          Instant now) {
  for (InboxMessage& m : kept_messages(actions, index, career_breaks, citizen, now))
    if (m.id == message_id) return std::move(m);
  return std::nullopt;
}

std::vector<InboxMessage> inbox_of(const Projector& projector, Ssin citizen, Instant now, bool archived) {
  return inbox_of(projector.state_of(citizen).actions(), projector.model_of<AccessIndex>(citizen),
                  projector.model_of<CareerBreakIndex>(citizen), citizen, now, archived);
}

std::optional<InboxMessage> inbox_message(const Projector& projector, Ssin citizen, uint64_t message_id, Instant now) {
  return inbox_message(projector.state_of(citizen).actions(), projector.model_of<AccessIndex>(citizen),
                       projector.model_of<CareerBreakIndex>(citizen), citizen, message_id, now);
}

void to_json(const InboxMessage& message, bool body, std::string* out, const EmployerNameOf& names,
             std::string_view relations) {
  JsonWriter w(out);
  write_message(w, message, body, names, relations);
}

void to_json(const std::vector<InboxMessage>& messages, std::string* out) {
  JsonWriter w(out);
  w.begin_object().key("items").begin_array();  // a collection (DESIGN §9)
  for (const InboxMessage& m : messages) write_message(w, m, false, {}, {});
  w.end_array().key("total").integer(static_cast<int64_t>(messages.size())).end_object();
}

}  // namespace dimona
