// Events: the immutable facts of the ledger, and their encoding.
//
// Contract. Every event has the envelope of DESIGN.md §4 — eventId (the
// idempotency key), type, schemaVersion, ssin (the partition key, when there
// is one), recordedAt (ledger time), source (who or what sent it) — and a
// body per type, described by schemas/events/<Type>.schema.json. A
// declaration event carries the declaration exactly as it was sent (the
// verbatim JSON, never re-written), its declaration id and the decision
// (result A/W/B/S, anomalies, period id, exceeding and in-quota hours): a
// refused declaration is an event too, so nothing a declarant sent is lost.
// An action event (docs/actions.md) carries the action as sent, its id, its
// result (A or B with a reason) and what the decision derived.
//
// encode_event() appends one line (JSON + '\n') to a string: canonical key
// order, no allocation beyond the string's growth. Event holds string_views
// into the text it was decoded from (codec.h) or the strings it was built
// from; it owns nothing. Threading: values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/action.h"
#include "engine/base/time.h"
#include "engine/declaration.h"
#include "engine/identifiers.h"

namespace dimona {

inline constexpr uint32_t kEventSchemaVersion = 1;

enum class EventType : unsigned char {
  kDimonaInDeclared,
  kDimonaUpdateDeclared,
  kDimonaOutDeclared,
  kDimonaCancelDeclared,
  kStudentQuotaDefined,
  // One per ActionKind, in its order (action_kind_of).
  kStudentAttestationIssued,
  kCitizenDataAccessRequested,
  kCitizenDataAccessGranted,
  kCitizenDataAccessRefused,
  kCitizenDataAccessRevoked,
  kOccupationQuarterRecorded,
  kPensionCadastreEntryRecorded,
  kEmployerSettingsUpdated,
  kCareerBreakRequestSubmitted,
  kCareerBreakEmployeePartCompleted,
  kCareerBreakRequestCancelled,
  kCareerBreakEndDateModified,
  kCareerBreakAttachmentAdded,
  kOnemDecisionIssued,
  kCareerBreakNotificationReceived,
  kCareerBreakNotificationPostponed,
  kCareerBreakNotificationRefused,
  kCareerBreakNotificationValidated,
  kInboxMessageArchived,
  kCitizenDataConsulted,
  kInterimOverviewSent,
};
inline constexpr size_t kEventTypeCount = 26;
inline constexpr auto kFirstActionEvent = EventType::kStudentAttestationIssued;
static_assert(kEventTypeCount == static_cast<size_t>(kFirstActionEvent) + kActionKindCount);
std::string_view event_type_name(EventType type);
bool parse_event_type(std::string_view name, EventType* out);
EventType event_type_of(DeclarationKind kind);
EventType event_type_of(ActionKind kind);
ActionKind action_kind_of(EventType type);  // for an action event only

// --- Decisions ----------------------------------------------------------------
enum class ResultCode : char { kAccepted = 'A', kWarning = 'W', kRefused = 'B', kPending = 'S' };
// A, W and S create or change their period (S: its worker not yet identified, charged to no
// one); B changes nothing.
inline bool changes_period(ResultCode r) { return r != ResultCode::kRefused; }

// A glossary anomaly "ZZZZZ-NNN" packed as ZZZZZNNN; blocking (B) or not (NP).
struct Anomaly {
  uint32_t code = 0;
  bool blocking = true;
  friend bool operator==(Anomaly, Anomaly) = default;
};
// Writes the 9 characters "ZZZZZ-NNN".
void format_anomaly_code(uint32_t code, char* out);
std::string anomaly_code_string(uint32_t code);
bool parse_anomaly_code(std::string_view text, uint32_t* out);

inline constexpr size_t kAnomaliesMax = 8;  // more are not reported (the first ones are the causes)

struct Decision {
  ResultCode result = ResultCode::kAccepted;
  uint8_t anomaly_count = 0;
  std::array<Anomaly, kAnomaliesMax> anomalies{};
  PeriodId period_id;          // the period created (IN) or addressed; 0 when none
  Ssin worker;                 // the period's worker; 0 when unknown
  uint32_t exceeding_hours = 0;
  uint32_t in_quota_hours = 0;
  // A student's hours were judged against a known quota (rule 8): in_quota_hours is a figure then,
  // 0 included (a late declaration's, rule 9), written as "inQuotaHours" and read back as present.
  bool quota_checked = false;
  bool late = false;

  void add(uint32_t code, bool blocking);
  bool has(uint32_t code) const;
  bool blocking() const;
  friend bool operator==(const Decision&, const Decision&) = default;
};

// --- Events ---------------------------------------------------------------------
struct DeclarationBody {
  DeclarationId declaration_id;
  Declaration declaration;
  Decision decision;
  std::string_view raw;  // the declaration's JSON as sent, on one line
  friend bool operator==(const DeclarationBody&, const DeclarationBody&) = default;
};

struct QuotaBody {
  int32_t year = 0;
  uint32_t hours = 0;
  Date effective_from;
  std::string_view legal_source;
  friend bool operator==(const QuotaBody&, const QuotaBody&) = default;
};

// An action (action.h) as sent, and what the ledger decided of it.
struct ActionBody {
  Action action;
  ActionOutcome outcome;
  std::string_view raw;  // the action's JSON as sent, on one line
  friend bool operator==(const ActionBody&, const ActionBody&) = default;
};

struct Event {
  EventType type = EventType::kDimonaInDeclared;
  uint32_t schema_version = kEventSchemaVersion;
  Instant recorded_at;
  Ssin ssin;  // 0: the event has no citizen (quota definitions, unknown worker)
  std::string_view source;
  DeclarationBody declaration;  // the four Dimona*Declared types
  QuotaBody quota;              // StudentQuotaDefined
  ActionBody action;            // every type from kFirstActionEvent

  bool is_declaration() const { return type <= EventType::kDimonaCancelDeclared; }
  bool is_action() const { return type >= kFirstActionEvent; }
  friend bool operator==(const Event&, const Event&) = default;
};

// "dcl-<declarationId>", "act-<actionId>" or "quota-<year>-<hours>-<definedAt day>".
std::string event_id_of(const Event& event);
// The same, appended to `out` (no temporary).
void append_event_id(const Event& event, std::string* out);
class JsonWriter;
// An employer key (employer_key()) as {"enterpriseNumber":"…"} or {"employerId":…}.
void write_employer(JsonWriter& w, uint64_t key);
// Appends the event's JSON line (with '\n') to `out`.
void encode_event(const Event& event, std::string* out);

}  // namespace dimona
