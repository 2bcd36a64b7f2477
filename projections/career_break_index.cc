#include "projections/career_break_index.h"

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"

namespace dimona {
namespace {

constexpr uint32_t kMagic = 0x58494243;  // "CBIX"
constexpr size_t kHeaderBytes = 4, kCrcBytes = 4, kTripleBytes = 3 * 8;

// A key a FlatMap may hold: not 0 (none) and not its reserved empty key.
bool is_key(uint64_t k) { return k != 0 && k != FlatMap<uint32_t>::kEmptyKey; }

}  // namespace

bool CareerBreakIndex::Chains::add(uint64_t id, uint64_t employer, uint64_t citizen) {
  if (!is_key(id) || !is_key(employer) || !is_key(citizen) || by_id.find(id) != nullptr) return false;
  const auto at = static_cast<uint32_t>(entries.size());
  by_id[id] = at + 1;
  uint32_t& employer_head = by_employer[employer];
  uint32_t& citizen_head = by_citizen[citizen];
  entries.push_back({id, employer, citizen, employer_head == 0 ? kNone : employer_head - 1,
                     citizen_head == 0 ? kNone : citizen_head - 1});
  employer_head = citizen_head = at + 1;
  return true;
}

void CareerBreakIndex::apply(const Event& event, Offset /*offset*/) {
  if (!event.is_action()) return;
  const ActionOutcome& o = event.action.outcome;
  if (!o.accepted()) return;
  // The engine's fold refused a reused id or a record without its parties (kCorruption) before
  // any read model sees the event, so add() takes every one that reaches here.
  switch (event.action.action.kind) {
    case ActionKind::kCareerBreakRequest: (void)tickets_.add(o.id, o.employer, o.worker.value); return;
    case ActionKind::kCareerBreakNotification: (void)notifications_.add(o.id, o.employer, o.worker.value); return;
    default: return;
  }
}

// Little-endian, CRC32C at the end: "CBIX", then tickets and notifications, each a count u32
// and its (id, employer, citizen) u64 triples in fold order.
void CareerBreakIndex::save(std::string* out) const {
  const size_t begin = out->size();
  put<uint32_t>(out, kMagic);
  for (const Chains* kind : {&tickets_, &notifications_}) {
    put<uint32_t>(out, static_cast<uint32_t>(kind->entries.size()));
    for (const Chains::Entry& e : kind->entries) put(out, e.id), put(out, e.employer), put(out, e.citizen);
  }
  put<uint32_t>(out, crc32c(out->data() + begin, out->size() - begin));
}

Status CareerBreakIndex::load(std::string_view in, CareerBreakIndex* index) {
  DIMONA_ASSERT(index->tickets_.entries.empty() && index->notifications_.entries.empty());
  if (in.size() < kHeaderBytes + kCrcBytes) return corruption("career-break index truncated");
  ByteReader crc(in.substr(in.size() - kCrcBytes));
  uint32_t stored = 0;
  if (!crc.get(&stored) || crc32c(in.data(), in.size() - kCrcBytes) != stored)
    return corruption("career-break index fails its CRC");
  ByteReader r(in.substr(0, in.size() - kCrcBytes));
  uint32_t magic = 0;
  if (!r.get(&magic) || magic != kMagic) return corruption("not a career-break index");
  for (Chains* kind : {&index->tickets_, &index->notifications_}) {
    uint32_t count = 0;
    if (!r.get(&count) || count > r.remaining() / kTripleBytes) return corruption("career-break index truncated");
    kind->entries.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      uint64_t id = 0, employer = 0, citizen = 0;
      if (!r.get(&id) || !r.get(&employer) || !r.get(&citizen)) return corruption("career-break index truncated");
      if (!kind->add(id, employer, citizen)) return corruption("career-break index lists an impossible or repeated record");
    }
  }
  if (r.remaining() != 0) return corruption("career-break index has trailing bytes");
  return Status::ok();
}

}  // namespace dimona
