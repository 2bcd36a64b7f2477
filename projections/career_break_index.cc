#include "projections/career_break_index.h"

#include "engine/base/bytes.h"
#include "projections/section.h"

namespace dimona {
namespace {

constexpr uint32_t kMagic = 0x58494243;  // "CBIX"

}  // namespace

void CareerBreakIndex::apply(const Event& event, Offset /*offset*/) {
  if (!event.is_action()) return;
  const ActionOutcome& o = event.action.outcome;
  if (!o.accepted()) return;
  // The engine's fold refused a reused id or a record without its parties (kCorruption) before
  // any read model sees the event, so add() takes every one that reaches here.
  switch (event.action.action.kind) {
    case ActionKind::kCareerBreakRequest: (void)tickets_.add(o.id, {o.employer, o.worker.value}); return;
    case ActionKind::kCareerBreakNotification: (void)notifications_.add(o.id, {o.employer, o.worker.value}); return;
    default: return;
  }
}

// Little-endian, CRC32C at the end: "CBIX", then tickets and notifications, each a count u32
// and its (id, employer, citizen) u64 triples in fold order.
void CareerBreakIndex::save(std::string* out) const {
  const size_t begin = begin_section(out, kMagic);
  tickets_.save(out);
  notifications_.save(out);
  seal_section(out, begin);
}

Status CareerBreakIndex::load(std::string_view in, CareerBreakIndex* index) {
  DIMONA_ASSERT(index->tickets_.empty() && index->notifications_.empty());
  const Result<std::string_view> body = open_section(in, kMagic, "career-break index");
  if (!body.is_ok()) return body.status();
  ByteReader r(*body);
  DIMONA_TRY(index->tickets_.load(&r, "career-break index"));
  DIMONA_TRY(index->notifications_.load(&r, "career-break index"));
  if (r.remaining() != 0) return corruption("career-break index has trailing bytes");
  return Status::ok();
}

}  // namespace dimona
