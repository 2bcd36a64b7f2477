#include "engine/event.h"

#include "engine/base/json_writer.h"

namespace dimona {
namespace {

constexpr std::string_view kEventTypeNames[kEventTypeCount] = {
    "DimonaInDeclared",
    "DimonaUpdateDeclared",
    "DimonaOutDeclared",
    "DimonaCancelDeclared",
    "StudentQuotaDefined",
    "StudentAttestationIssued",
    "CitizenDataAccessRequested",
    "CitizenDataAccessGranted",
    "CitizenDataAccessRefused",
    "CitizenDataAccessRevoked",
    "OccupationQuarterRecorded",
    "PensionCadastreEntryRecorded",
    "EmployerSettingsUpdated",
    "CareerBreakRequestSubmitted",
    "CareerBreakEmployeePartCompleted",
    "CareerBreakRequestCancelled",
    "CareerBreakEndDateModified",
    "CareerBreakAttachmentAdded",
    "OnemDecisionIssued",
    "CareerBreakNotificationReceived",
    "CareerBreakNotificationPostponed",
    "CareerBreakNotificationRefused",
    "CareerBreakNotificationValidated",
    "InboxMessageArchived",
    "CitizenDataConsulted",
    "InterimOverviewSent",
};

void write_anomalies(JsonWriter& w, const Decision& d) {
  w.key("anomalies").begin_array();
  for (size_t i = 0; i < d.anomaly_count; ++i) {
    char code[9];
    format_anomaly_code(d.anomalies[i].code, code);
    w.begin_object()
        .key("code").string(std::string_view(code, 9))
        .key("severity").string(d.anomalies[i].blocking ? "B" : "NP")
        .end_object();
  }
  w.end_array();
}

void write_declaration_body(JsonWriter& w, const DeclarationBody& b) {
  const Decision& d = b.decision;
  w.key("declarationId").digits(b.declaration_id.value, 12);
  if (d.period_id.value != 0) w.key("periodId").digits(d.period_id.value, 12);
  const char result = static_cast<char>(d.result);
  w.key("result").string(std::string_view(&result, 1));
  write_anomalies(w, d);
  if (d.exceeding_hours != 0) w.key("exceedingHours").integer(d.exceeding_hours);
  if (d.in_quota_hours != 0 || d.quota_checked) w.key("inQuotaHours").integer(d.in_quota_hours);
  if (d.late) w.key("late").boolean(true);
  w.key("declaration").raw(b.raw);
}

void write_quota_body(JsonWriter& w, const QuotaBody& q) {
  w.key("year").integer(q.year).key("hours").integer(q.hours);
  w.key("effectiveFrom").string(to_string(q.effective_from));
  w.key("legalSource").string(q.legal_source);
}

// The name of the id an action addresses: its subject.
std::string_view subject_key(const Action& a) {
  switch (a.kind) {
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal:
    case ActionKind::kDataAccessRevocation: return "requestId";
    case ActionKind::kCareerBreakEmployeePart:
    case ActionKind::kCareerBreakCancellation:
    case ActionKind::kCareerBreakEndDate:
    case ActionKind::kOnemDecision: return "ticket";
    case ActionKind::kCareerBreakAttachment: return a.to_notification ? "notificationId" : "ticket";
    case ActionKind::kCareerBreakPostponement:
    case ActionKind::kCareerBreakNotificationRefusal:
    case ActionKind::kCareerBreakNotificationValidation: return "notificationId";
    case ActionKind::kInboxArchive: return "messageId";
    default: return {};
  }
}

void write_action_body(JsonWriter& w, const ActionBody& b) {
  const ActionOutcome& o = b.outcome;
  w.key("actionId").digits(o.id, 12);
  w.key("result").string(o.accepted() ? "A" : "B");
  if (!o.accepted()) w.key("reason").string(refusal_name(o.refusal));
  if (o.employer != 0) {
    w.key("employer");
    write_employer(w, o.employer);
  }
  if (o.subject != 0) w.key_text(subject_key(b.action)).digits(o.subject, 12);
  if (o.accepted()) {
    switch (b.action.kind) {
      case ActionKind::kAttestationRequest:
        w.key("forYear").integer(o.for_year).key("quotaHours").integer(o.quota_hours);
        w.key("remainingHours").integer(o.remaining_hours);
        w.key("accessCode").string(format_access_code(o.access_code));
        w.key("codeMonth").string(month_string(o.code_month));
        w.key("validFrom").string(to_string(o.valid_from()));
        w.key("validUntil").string(to_string(o.valid_until()));
        if (!o.family_name.empty()) w.key("familyName").string(o.family_name);
        if (!o.given_name.empty()) w.key("givenName").string(o.given_name);
        break;
      case ActionKind::kDataAccessRequest: w.key("token").string(to_string(o.token)); break;
      case ActionKind::kDataAccessGrant:
        w.key("scope").string(scope_name(o.scope)).key("expiresAt").string(to_string(o.expires_at));
        break;
      case ActionKind::kDataAccessRefusal:
      case ActionKind::kDataAccessRevocation: w.key("scope").string(scope_name(o.scope)); break;
      default: break;
    }
  }
  w.key("action").raw(b.raw);
}

}  // namespace

void write_employer(JsonWriter& w, uint64_t key) {
  w.begin_object();
  if (key & kNssoEmployerTag) w.key("employerId").integer(key & ~kNssoEmployerTag);
  else w.key("enterpriseNumber").digits(key, 10);
  w.end_object();
}

std::string_view event_type_name(EventType type) { return kEventTypeNames[static_cast<size_t>(type)]; }

bool parse_event_type(std::string_view name, EventType* out) {
  for (size_t i = 0; i < kEventTypeCount; ++i) {
    if (kEventTypeNames[i] == name) {
      *out = static_cast<EventType>(i);
      return true;
    }
  }
  return false;
}

EventType event_type_of(DeclarationKind kind) {
  switch (kind) {
    case DeclarationKind::kIn: return EventType::kDimonaInDeclared;
    case DeclarationKind::kUpdate: return EventType::kDimonaUpdateDeclared;
    case DeclarationKind::kOut: return EventType::kDimonaOutDeclared;
    case DeclarationKind::kCancel: return EventType::kDimonaCancelDeclared;
  }
  DIMONA_ASSERT(false);
}

EventType event_type_of(ActionKind kind) {
  return static_cast<EventType>(static_cast<size_t>(kFirstActionEvent) + static_cast<size_t>(kind));
}

ActionKind action_kind_of(EventType type) {
  DIMONA_ASSERT(type >= kFirstActionEvent);
  return static_cast<ActionKind>(static_cast<size_t>(type) - static_cast<size_t>(kFirstActionEvent));
}

void format_anomaly_code(uint32_t code, char* out) {
  DIMONA_ASSERT(code < 100'000'000);
  uint32_t zone = code / 1000, number = code % 1000;
  for (int i = 4; i >= 0; --i, zone /= 10) out[i] = static_cast<char>('0' + zone % 10);
  out[5] = '-';
  for (int i = 8; i >= 6; --i, number /= 10) out[i] = static_cast<char>('0' + number % 10);
}

std::string anomaly_code_string(uint32_t code) {
  std::string s(9, '\0');
  format_anomaly_code(code, s.data());
  return s;
}

bool parse_anomaly_code(std::string_view text, uint32_t* out) {
  if (text.size() != 9 || text[5] != '-') return false;
  uint32_t v = 0;
  for (size_t i = 0; i < 9; ++i) {
    if (i == 5) continue;
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + static_cast<uint32_t>(text[i] - '0');
  }
  *out = v;
  return true;
}

void Decision::add(uint32_t code, bool is_blocking) {
  if (has(code) || anomaly_count == kAnomaliesMax) return;
  anomalies[anomaly_count++] = Anomaly{code, is_blocking};
}

bool Decision::has(uint32_t code) const {
  for (size_t i = 0; i < anomaly_count; ++i)
    if (anomalies[i].code == code) return true;
  return false;
}

bool Decision::blocking() const {
  for (size_t i = 0; i < anomaly_count; ++i)
    if (anomalies[i].blocking) return true;
  return false;
}

void append_event_id(const Event& event, std::string* out) {
  if (event.is_declaration() || event.is_action()) {
    out->append(event.is_action() ? "act-" : "dcl-");
    const uint64_t id = event.is_action() ? event.action.outcome.id : event.declaration.declaration_id.value;
    for (uint64_t scale = 100'000'000'000; scale > id && scale > 1; scale /= 10) out->push_back('0');
    append_uint(out, id);
    return;
  }
  out->append("quota-");
  append_uint(out, static_cast<uint64_t>(event.quota.year));
  out->push_back('-');
  append_uint(out, event.quota.hours);
  out->push_back('-');
  char day[10];
  format_date(date_of(event.recorded_at), day);
  out->append(day, 10);
}

std::string event_id_of(const Event& event) {
  std::string id;
  append_event_id(event, &id);
  return id;
}

void encode_event(const Event& event, std::string* out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("eventId").raw(std::string_view());  // the value is written in place, below
  out->push_back('"');
  append_event_id(event, out);
  out->push_back('"');
  w.key("type").string(event_type_name(event.type));
  w.key("schemaVersion").integer(event.schema_version);
  if (event.ssin.value != 0) w.key("ssin").digits(event.ssin.value, 11);
  char recorded_at[kInstantTextBytesMax];
  w.key("recordedAt").string(std::string_view(recorded_at, format_instant(event.recorded_at, recorded_at)));
  w.key("source").string(event.source);
  w.key("body").begin_object();
  if (event.is_declaration()) write_declaration_body(w, event.declaration);
  else if (event.is_action()) write_action_body(w, event.action);
  else write_quota_body(w, event.quota);
  w.end_object().end_object();
  out->push_back('\n');
}

}  // namespace dimona
