#include "projections/citizen_history.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "engine/codec.h"
#include "engine/decision.h"
#include "engine/ledger.h"
#include "engine/log/log.h"
#include "projections/projector.h"

namespace dimona {
namespace {

Status not_the_citizens(uint32_t p, Offset offset, std::string_view why) {
  return corruption("partition " + std::to_string(p) + " offset " + std::to_string(offset) + ": " + std::string(why));
}

// The first offset of partition p recorded after `as_of`; one such record exists (the caller read it).
Result<Offset> first_offset_after(LogConsumer& reader, uint32_t p, Instant as_of) {
  const uint32_t one[] = {p};
  DIMONA_TRY(reader.assign(one));
  DIMONA_TRY(reader.seek_to_instant(p, Instant{as_of.micros + 1}));
  std::vector<LogRecord> records;
  Result<size_t> got = reader.poll(records, std::chrono::milliseconds(limits::log_read_stall_ms), 1);
  DIMONA_TRY(got);
  if (records.empty())
    return unavailable("partition " + std::to_string(p) + ": the log delivered nothing after " + to_string(as_of));
  return records.front().offset;
}

// --- The rule of DOMAIN.md §8 behind each figure -------------------------------------------
std::string_view result_rule(ResultCode r) {
  switch (r) {
    case ResultCode::kAccepted: return "rule 9: accepted (A): the declaration changes the views";
    case ResultCode::kWarning: return "rule 9: accepted with warnings (W): it changes the views; the anomalies say what to look at";
    case ResultCode::kRefused: return "rule 9: refused (B): stored with its anomalies, no effect on any view";
    case ResultCode::kPending: return "rule 9: pending (S): waiting for the worker's identification, not charged";
  }
  return {};
}

std::string_view anomaly_rule(uint32_t code) {
  using namespace anomaly;
  switch (code) {
    case kQuotaExceeded: return "rule 8: the planned hours go beyond the quota remaining when decided";
    case kInQuarter:
    case kUpdateQuarter: return "rule 5: start and end must lie in one quarter";
    case kInLate: return "rule 9: late: the hours are reserved but outside the reduced-rate quota";
    case kPeriodCancelled: return "rule 4: the period is already cancelled";
    case kPlannedHoursMissing:
    case kPlannedHoursInvalid: return "rule 6: planned hours are an integer in 1..999";
    case kStartDateForbidden: return "rule 7: a student's start date is immutable";
    case kSsinInvalid:
    case kEnterpriseNumberInvalid:
    case kNssoNumberInvalid:
    case kUserCompanyNumberInvalid: return "rule 16: the identifier fails its check";
    case kUserCompanyMissing:
    case kUserCompanyBoth:
    case kUserCompanyNumberForbidden:
    case kUserCompanyNameForbidden: return "rule 14: an interim (JC 322) declaration names its user company";
    case kAddressStreetMissing:
    case kAddressHouseNumberMissing:
    case kAddressPostCodeMissing:
    case kAddressMunicipalityMissing:
    case kAddressCountryMissing:
      return "rule 14: a user company or a student's place of work given by name needs its full address (block 90022)";
    case kFlexiConditions: return "rule 13: the flexi-job conditions of T-3 are not met";
    case kStartDateOutOfDomain: return "rule 13: a flexi IN is sent at most 31 days before its quarter";
    default: return {};
  }
}

void figure(JsonWriter& w, std::string_view name, int64_t value, std::string_view rule) {
  w.begin_object().key("name").string(name).key("value").integer(value).key("rule").string(rule).end_object();
}

void declaration_decision(JsonWriter& w, const Event& e) {
  const Decision& d = e.declaration.decision;
  const Declaration& dcl = e.declaration.declaration;
  const char result = static_cast<char>(d.result);
  w.key("result").string(std::string_view(&result, 1)).key("rule").string(result_rule(d.result));
  w.key("anomalies").begin_array();
  for (size_t i = 0; i < d.anomaly_count; ++i) {
    w.begin_object().key("code").string(anomaly_code_string(d.anomalies[i].code));
    w.key("severity").string(d.anomalies[i].blocking ? "B" : "NP");
    if (const std::string_view rule = anomaly_rule(d.anomalies[i].code); !rule.empty()) w.key("rule").string(rule);
    w.end_object();
  }
  w.end_array();
  if (d.period_id.value != 0) w.key("periodId").digits(d.period_id.value, 12);
  w.key("figures").begin_array();
  const bool counts = d.result == ResultCode::kAccepted || d.result == ResultCode::kWarning;
  if (counts && dcl.planned_hours.valid()) {
    if (dcl.kind == DeclarationKind::kUpdate)
      figure(w, "plannedHours", dcl.planned_hours.value, "rule 3: an UPDATE replaces the planned hours, it does not add");
    else if (dcl.kind == DeclarationKind::kIn && dcl.worker_type.value == WorkerType::kSTU)
      figure(w, "plannedHours", dcl.planned_hours.value,
             "rule 2: the planned hours are reserved, charged to the year of the start date (rule 1)");
  }
  if (counts && dcl.kind == DeclarationKind::kCancel)
    figure(w, "plannedHours", 0, "rule 4: a CANCEL releases the period's hours");
  if (d.late && d.quota_checked)
    figure(w, "inQuotaHours", 0, "rule 9: a late declaration's hours are reserved, none within the reduced-rate quota");
  else if (d.in_quota_hours != 0 || d.exceeding_hours != 0 || d.quota_checked)
    figure(w, "inQuotaHours", d.in_quota_hours, "rule 8: the hours within the quota remaining when decided");
  if (d.exceeding_hours != 0)
    figure(w, "exceedingHours", d.exceeding_hours,
           "rule 8: the hours beyond the quota when decided (90017-369); the balance never goes below 0");
  w.end_array();
}

std::string_view action_rule(ActionKind k) {
  switch (k) {
    case ActionKind::kAttestationRequest: return "rule 11: an attestation for a year opens on 1 December before it; its code is valid 3 months from the first day of its month";
    case ActionKind::kDataAccessRequest:
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal:
    case ActionKind::kDataAccessRevocation: return "rule 12: a consent lasts 1 month (FLEXI) or 3 months (STUDENT_BALANCE); a revocation ends it at once";
    case ActionKind::kOccupationQuarter:
    case ActionKind::kPensionStatus: return "rule 13: flexi-job eligibility reads the occupation of T-3 and the pension by T-2";
    case ActionKind::kEmployerSettings:
    case ActionKind::kInboxArchive: return {};
    case ActionKind::kDataConsultation: return "who looked (docs/audit.md): a read of the citizen's data, recorded before it was answered";
    case ActionKind::kInterimOverviewSend:
      return "seed 002: the Interim@work overview as it stood when sent, to the eBox (kept 2 months) or by e-mail";
    default: return "rule 15: the career-break state machine";
  }
}

void action_decision(JsonWriter& w, const Event& e) {
  const ActionOutcome& o = e.action.outcome;
  w.key("result").string(o.accepted() ? "A" : "B");
  if (const std::string_view rule = action_rule(e.action.action.kind); !rule.empty()) w.key("rule").string(rule);
  if (!o.accepted()) w.key("refusal").string(refusal_name(o.refusal)).key("detail").string(refusal_message(o.refusal));
  w.key("figures").begin_array();
  if (o.accepted() && e.type == EventType::kStudentAttestationIssued) {
    figure(w, "quotaHours", o.quota_hours, "rule 10: the quota of the year as defined when issued");
    figure(w, "remainingHours", o.remaining_hours,
           "rules 2-4 and 8: max(0, quota - the planned hours of the periods active when issued)");
  }
  w.end_array();
}

}  // namespace

namespace {

// The index just past the JSON value starting at json[at] (a string, object, array or scalar);
// json.size() when it does not end.
size_t value_end(std::string_view json, size_t at) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = at; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth <= 0) return depth == 0 ? i + 1 : i;
    } else if (depth == 0 && c == ',') {
      return i;
    }
  }
  return json.size();
}

// Where the member `name` of the object starting at json[object] begins (its key's quote) and
// ends (past its value); nullopt when the object has none.
std::optional<std::pair<size_t, size_t>> member_in(std::string_view json, size_t object, std::string_view name) {
  size_t i = object + 1;
  while (i < json.size() && json[i] == '"') {
    const size_t key_end = value_end(json, i);
    if (key_end + 1 > json.size() || json[key_end] != ':') return std::nullopt;
    const size_t end = value_end(json, key_end + 1);
    if (end >= json.size()) return std::nullopt;  // the object does not close: leave it as it is
    if (json.substr(i + 1, key_end - i - 2) == name) return std::pair{i, end};
    if (json[end] != ',') return std::nullopt;
    i = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string without_nested_member(std::string_view json, std::string_view parent, std::string_view name) {
  const std::string key = "\"" + std::string(parent) + "\":{";
  const size_t at = json.find(key);
  if (at == std::string_view::npos) return std::string(json);
  const size_t object = at + key.size() - 1;
  const std::optional<std::pair<size_t, size_t>> member = member_in(json, object, name);
  if (!member) return std::string(json);
  auto [begin, end] = *member;
  if (end < json.size() && json[end] == ',')
    ++end;  // its comma after it,
  else if (begin > object + 1 && json[begin - 1] == ',')
    --begin;  // or the one before it
  std::string out(json.substr(0, begin));
  out.append(json.substr(end));
  return out;
}

void history_item_json(const Event& event, std::string_view logged, uint32_t partition, uint64_t offset,
                       std::string* out, HistoryReader reader) {
  JsonWriter w(out);
  w.begin_object().key("partition").integer(partition).key("offset").integer(static_cast<int64_t>(offset));
  w.key("recordedAt").string(to_string(event.recorded_at)).key("type").string(event_type_name(event.type));
  const Declaration& declared = event.declaration.declaration;
  const bool foreign_worker = event.is_declaration() && (declared.has_worker_identity || declared.ssin.present()) &&
                              !(declared.ssin.valid() && declared.ssin.value == event.ssin);
  if (reader == HistoryReader::kCitizen && foreign_worker)
    w.key("event").raw(without_nested_member(logged, "declaration", "worker"));
  else
    w.key("event").raw(logged);
  w.key("decision").begin_object();
  if (event.is_declaration()) declaration_decision(w, event);
  else if (event.is_action()) action_decision(w, event);
  w.end_object().end_object();
}

Result<uint64_t> citizen_history(const Projector& projector, Ssin citizen, std::optional<Instant> as_of, uint64_t first,
                                 uint64_t count, const std::function<Status(std::string_view)>& item,
                                 HistoryReader who) {
  const uint32_t p = projector.partition_of(citizen);
  const std::vector<Offset> offsets = projector.citizens(p).offsets(citizen);
  if (offsets.empty()) return uint64_t{0};
  Result<std::unique_ptr<LogConsumer>> reader = projector.open_reader();
  DIMONA_TRY(reader);
  EventDecoder decoder;
  // The citizen's event `line`, read at `offset`, decoded.
  auto decode = [&](const std::string& line, Offset offset) -> Result<Event> {
    Result<Event> event = decoder.decode_copy(line);
    if (!event.is_ok()) return not_the_citizens(p, offset, event.status().message());
    if (event->ssin != citizen) return not_the_citizens(p, offset, "not the citizen the index names");
    return event;
  };
  uint64_t total = offsets.size();
  if (as_of) {
    Result<std::vector<std::string>> last = projector.events_at(p, {offsets.back()}, reader->get());
    DIMONA_TRY(last);
    Result<Event> event = decode(last->front(), offsets.back());
    DIMONA_TRY(event);
    if (event->recorded_at > *as_of) {
      Result<Offset> after = first_offset_after(**reader, p, *as_of);
      DIMONA_TRY(after);
      total = static_cast<uint64_t>(std::lower_bound(offsets.begin(), offsets.end(), *after) - offsets.begin());
    }
  }
  std::string json;
  if (first >= total) return total;  // a page past the end: nothing to read
  const uint64_t end = first + std::min(count, total - first);
  const std::span<const Offset> page = std::span<const Offset>(offsets).subspan(first, end - first);
  DIMONA_TRY(
      projector.for_each_event_at(p, page, reader->get(), [&](Offset offset, const std::string& line) -> Result<bool> {
        Result<Event> event = decode(line, offset);
        DIMONA_TRY(event);
        json.clear();
        history_item_json(*event, line, p, offset, &json, who);
        DIMONA_TRY(item(json));
        return true;
      }));
  return total;
}

}  // namespace dimona
