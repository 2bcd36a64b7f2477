#include "projections/access_index.h"

#include "engine/base/bytes.h"
#include "projections/section.h"

namespace dimona {
namespace {

constexpr uint32_t kMagic = 0x58494341;  // "ACIX"

}  // namespace

void AccessIndex::apply(const Event& event, Offset offset) {
  if (!event.is_action()) return;
  const ActionOutcome& o = event.action.outcome;
  if (!o.accepted()) return;
  // The engine's fold refused a record without its parties, and a reused request or answer id
  // (kCorruption), before any read model sees the event, so add() takes every one that reaches
  // here but a duplicated attestation, which it lists once (access_index.h).
  switch (event.action.action.kind) {
    case ActionKind::kAttestationRequest:
      (void)attestations_.add(o.id, {o.worker.value, code_key(o.access_code)});
      return;
    case ActionKind::kDataAccessRequest: (void)requests_.add(o.id, {o.employer}); return;
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal: (void)answers_.add(o.subject, {o.worker.value}); return;
    case ActionKind::kInterimOverviewSend:  // to the eBox: an inbox message (by e-mail: the outbox's)
      if (event.action.action.delivery == DeliveryChannel::kEbox)
        (void)overview_sends_.add(o.id, {o.worker.value, offset + 1});
      return;
    default: return;
  }
}

// "ACIX", then attestations (id, citizen, tagged code), requests (id, employer), answers
// (request id, citizen) and overviews sent to an eBox (id, citizen, offset + 1), each a count u32 and its u64s
// in fold order; sealed (section.h).
void AccessIndex::save(std::string* out) const {
  const size_t begin = begin_section(out, kMagic);
  attestations_.save(out);
  requests_.save(out);
  answers_.save(out);
  overview_sends_.save(out);
  seal_section(out, begin);
}

Status AccessIndex::load(std::string_view in, AccessIndex* index) {
  DIMONA_ASSERT(index->attestations_.empty() && index->requests_.empty() && index->answers_.empty() &&
                index->overview_sends_.empty());
  const Result<std::string_view> body = open_section(in, kMagic, "access index");
  if (!body.is_ok()) return body.status();
  ByteReader r(*body);
  DIMONA_TRY(index->attestations_.load(&r, "access index"));
  DIMONA_TRY(index->requests_.load(&r, "access index"));
  DIMONA_TRY(index->answers_.load(&r, "access index"));
  DIMONA_TRY(index->overview_sends_.load(&r, "access index"));
  if (r.remaining() != 0) return corruption("access index has trailing bytes");
  return Status::ok();
}

}  // namespace dimona
