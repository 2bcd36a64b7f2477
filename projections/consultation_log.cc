#include "projections/consultation_log.h"

#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "projections/section.h"

namespace dimona {
namespace {

constexpr uint32_t kMagic = 0x474C4E43;  // "CNLG"
// A record's fixed part: citizen, at, employer, role, channel, and the two strings' lengths.
constexpr size_t kRecordBytesMin = 8 + 8 + 8 + 1 + 1 + 4 + 4;

bool well_formed(const Consultation& c) {
  return is_record_key(c.citizen.value) && (c.employer == 0 || is_record_key(c.employer)) &&
         is_recordable_consultation(c.role, c.channel, c.employer, c.scope, c.auditor);
}

}  // namespace

void ConsultationLog::apply(const Event& event, Offset /*offset*/) {
  if (!event.is_action()) return;
  const Action& a = event.action.action;
  const ActionOutcome& o = event.action.outcome;
  if (a.kind != ActionKind::kDataConsultation || !o.accepted()) return;
  // The engine's fold refuses a consultation without its citizen (kCorruption) before any read model sees it.
  DIMONA_ASSERT(o.worker.value != 0);
  add({o.worker, event.recorded_at, o.employer, a.role, a.consultation_channel, std::string(a.consulted_scope),
       std::string(a.auditor)});
}

void ConsultationLog::add(Consultation c) {
  const auto at = static_cast<uint32_t>(records_.size());
  uint32_t& head = head_[c.citizen.value];
  c.prev_of_citizen = head == 0 ? kNoConsultation : head - 1;
  head = at + 1;
  records_.push_back(std::move(c));
}

std::vector<Consultation> ConsultationLog::of_citizen(Ssin citizen) const {
  std::vector<Consultation> out;
  const uint32_t* head = head_.find(citizen.value);
  for (uint32_t at = head ? *head - 1 : kNoConsultation; at != kNoConsultation; at = records_[at].prev_of_citizen)
    out.push_back(records_[at]);
  return out;
}

// Little-endian, CRC32C at the end: "CNLG", count u32, then per record in fold order
// citizen u64, at i64, employer u64, role u8, channel u8, scope (u32 length, bytes), auditor (same).
void ConsultationLog::save(std::string* out) const {
  const size_t begin = begin_section(out, kMagic);
  put<uint32_t>(out, static_cast<uint32_t>(records_.size()));
  for (const Consultation& c : records_) {
    put(out, c.citizen.value), put(out, c.at.micros), put(out, c.employer);
    put(out, static_cast<uint8_t>(c.role)), put(out, static_cast<uint8_t>(c.channel));
    put(out, std::string_view(c.scope)), put(out, std::string_view(c.auditor));
  }
  seal_section(out, begin);
}

Status ConsultationLog::load(std::string_view in, ConsultationLog* log) {
  DIMONA_ASSERT(log->records_.empty());
  const Result<std::string_view> body = open_section(in, kMagic, "consultation log");
  if (!body.is_ok()) return body.status();
  ByteReader r(*body);
  uint32_t count = 0;
  if (!r.get(&count) || count > r.remaining() / kRecordBytesMin) return corruption("consultation log truncated");
  log->records_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Consultation c;
    if (!r.get(&c.citizen.value) || !r.get(&c.at.micros) || !r.get(&c.employer) ||
        !get_enum(r, ConsultationRole::kAuditor, &c.role) || !get_enum(r, ConsultationChannel::kConsent, &c.channel) ||
        !r.get(&c.scope) || !r.get(&c.auditor))
      return corruption("consultation log truncated");
    if (!well_formed(c)) return corruption("consultation log holds a consultation the ledger never records");
    log->add(std::move(c));
  }
  if (r.remaining() != 0) return corruption("consultation log has trailing bytes");
  return Status::ok();
}

}  // namespace dimona
