#include "projections/anomaly_log.h"

#include <algorithm>

#include "engine/base/crc32c.h"
#include "engine/base/json_writer.h"
#include "engine/ledger_state.h"

namespace dimona {
namespace {

constexpr uint32_t kLogMagic = 0x324c4144;  // "DAL2": 2 adds refused actions
constexpr size_t kRecordBytes = 8 * 5 + 1 + 1 + 1 + 1 + 4 * kAnomaliesMax;
// The kind byte: a DeclarationKind, or kActionKindBase + an ActionKind.
constexpr uint64_t kActionKindBase = 16;

void put(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t get(std::string_view in, size_t* at, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(in[*at + i])} << (8 * i);
  *at += bytes;
  return v;
}

}  // namespace

void AnomalyLog::apply(const Event& event) {
  if (event.is_action()) {
    const ActionOutcome& o = event.action.outcome;
    if (o.accepted()) return;
    AnomalyRecord r;
    r.citizen = event.ssin;
    r.employer = o.employer;
    r.declaration = DeclarationId{o.id};
    r.period = PeriodId{o.subject};
    r.recorded_at = event.recorded_at;
    r.action = event.action.action.kind;
    r.refusal = o.refusal;
    records_.push_back(r);
    return;
  }
  if (!event.is_declaration()) return;
  const Decision& d = event.declaration.decision;
  if (d.result != ResultCode::kRefused && d.result != ResultCode::kWarning) return;
  AnomalyRecord r;
  r.citizen = event.ssin;
  r.employer = employer_key(event.declaration.declaration);
  r.declaration = event.declaration.declaration_id;
  r.period = d.period_id;
  r.recorded_at = event.recorded_at;
  r.kind = event.declaration.declaration.kind;
  r.result = d.result;
  r.count = d.anomaly_count;
  for (size_t i = 0; i < d.anomaly_count; ++i) r.codes[i] = d.anomalies[i].code;
  records_.push_back(r);
}

std::vector<AnomalyRecord> AnomalyLog::of_citizen(Ssin citizen) const {
  std::vector<AnomalyRecord> out;
  for (const AnomalyRecord& r : records_)
    if (r.citizen == citizen) out.push_back(r);
  return out;
}

std::vector<AnomalyRecord> AnomalyLog::of_employer(uint64_t employer, const LedgerState& periods) const {
  std::vector<AnomalyRecord> out;
  for (const AnomalyRecord& r : records_) {
    if (r.employer == employer) {
      out.push_back(r);
    } else if (r.employer == 0 && !r.action && r.kind != DeclarationKind::kIn) {
      const Period* p = periods.period(r.period);
      if (p && p->employer == employer) {
        out.push_back(r);
        out.back().employer = employer;
      }
    }
  }
  return out;
}

void AnomalyLog::save(std::string* out) const {
  const size_t begin = out->size();
  out->reserve(begin + 16 + records_.size() * kRecordBytes);
  put(out, kLogMagic, 4);
  put(out, records_.size(), 8);
  for (const AnomalyRecord& r : records_) {
    put(out, r.citizen.value, 8);
    put(out, r.employer, 8);
    put(out, r.declaration.value, 8);
    put(out, r.period.value, 8);
    put(out, static_cast<uint64_t>(r.recorded_at.micros), 8);
    put(out, r.action ? kActionKindBase + static_cast<uint64_t>(*r.action) : static_cast<uint64_t>(r.kind), 1);
    put(out, static_cast<uint64_t>(r.refusal), 1);
    put(out, static_cast<uint64_t>(static_cast<unsigned char>(r.result)), 1);
    put(out, r.count, 1);
    for (uint32_t code : r.codes) put(out, code, 4);
  }
  put(out, crc32c(out->data() + begin, out->size() - begin), 4);
}

Status AnomalyLog::load(std::string_view in, AnomalyLog* log) {
  DIMONA_ASSERT(log->records_.empty());
  if (in.size() < 16) return corruption("anomaly log truncated");
  size_t at = in.size() - 4;
  if (crc32c(in.data(), in.size() - 4) != get(in, &at, 4)) return corruption("anomaly log fails its CRC");
  at = 0;
  if (get(in, &at, 4) != kLogMagic) return corruption("not an anomaly log");
  const uint64_t count = get(in, &at, 8);
  if (count != (in.size() - 16) / kRecordBytes || (in.size() - 16) % kRecordBytes != 0)
    return corruption("anomaly log has the wrong size");
  log->records_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    AnomalyRecord r;
    r.citizen.value = get(in, &at, 8);
    r.employer = get(in, &at, 8);
    r.declaration.value = get(in, &at, 8);
    r.period.value = get(in, &at, 8);
    r.recorded_at.micros = static_cast<int64_t>(get(in, &at, 8));
    const uint64_t kind = get(in, &at, 1), refusal = get(in, &at, 1), result = get(in, &at, 1);
    r.count = static_cast<uint8_t>(get(in, &at, 1));
    for (uint32_t& code : r.codes) code = static_cast<uint32_t>(get(in, &at, 4));
    const bool action = kind >= kActionKindBase && kind < kActionKindBase + kActionKindCount;
    // A code has 8 digits, "zzzzz-nnn" (format_anomaly_code asserts it; found by fuzzing).
    const bool codes_ok = std::all_of(r.codes.begin(), r.codes.end(), [](uint32_t c) { return c < 100'000'000; });
    if ((kind > 3 && !action) || (result != 'B' && result != 'W') || r.count > kAnomaliesMax ||
        refusal >= kActionRefusalCount || action != (refusal != 0) || !codes_ok ||
        r.citizen.value >= kSsinValueLimit)  // 0: the worker was unknown
      return corruption("anomaly log holds an impossible record");
    if (action) {
      r.action = static_cast<ActionKind>(kind - kActionKindBase);
      r.refusal = static_cast<ActionRefusal>(refusal);
    } else {
      r.kind = static_cast<DeclarationKind>(kind);
    }
    r.result = static_cast<ResultCode>(result);
    log->records_.push_back(r);
  }
  return Status::ok();
}

void to_json(const AnomalyRecord& r, std::string* out) {
  JsonWriter w(out);
  if (r.action) {
    w.begin_object().key("actionId").digits(r.declaration.value, 12);
    w.key("action").string(action_key(*r.action)).key("result").string("B");
    w.key("recordedAt").string(to_string(r.recorded_at));
    if (r.citizen.value != 0) w.key("ssin").digits(r.citizen.value, 11);
    if (r.period.value != 0) w.key("subject").digits(r.period.value, 12);
    w.key("reason").string(refusal_name(r.refusal)).end_object();
    return;
  }
  w.begin_object().key("declarationId").digits(r.declaration.value, 12);
  w.key("kind").string(kind_name(r.kind));
  const char result = static_cast<char>(r.result);
  w.key("result").string(std::string_view(&result, 1));
  w.key("recordedAt").string(to_string(r.recorded_at));
  if (r.citizen.value != 0) w.key("ssin").digits(r.citizen.value, 11);
  if (r.period.value != 0) w.key("periodId").digits(r.period.value, 12);
  w.key("anomalies").begin_array();
  for (size_t i = 0; i < r.count; ++i) w.string(anomaly_code_string(r.codes[i]));
  w.end_array().end_object();
}

}  // namespace dimona
