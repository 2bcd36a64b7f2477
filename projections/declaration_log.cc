#include "projections/declaration_log.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/codec.h"
#include "engine/declaration.h"
#include "projections/projector.h"
#include "projections/section.h"

namespace dimona {
namespace {

constexpr uint32_t kMagic = 0x474C4344;  // "DCLG"
constexpr size_t kHeaderBytes = 4 + 8, kPairBytes = 16, kCrcBytes = 4;  // magic and count; a pair; the CRC

}  // namespace

void DeclarationLog::apply(const Event& event, Offset offset) {
  if (!event.is_declaration()) return;
  const uint64_t id = event.declaration.declaration_id.value;
  DIMONA_ASSERT(id != FlatMap<Offset>::kEmptyKey);  // the codec checked its 12 digits
  offsets_.put(id, offset);
}

void DeclarationLog::save(std::string* out) const {
  const size_t begin = out->size();
  out->reserve(begin + kHeaderBytes + offsets_.size() * kPairBytes + kCrcBytes);
  (void)begin_section(out, kMagic);
  put<uint64_t>(out, offsets_.size());
  // In id order, whatever order they came in: the bytes are canonical (the same events give the
  // same bytes whether the map grew by folds or was loaded whole), as the state hash needs.
  offsets_.for_each_sorted([out](uint64_t id, Offset offset) {
    put<uint64_t>(out, id);
    put<uint64_t>(out, offset);
  });
  seal_section(out, begin);
}

Status DeclarationLog::load(std::string_view in, DeclarationLog* log) {
  DIMONA_ASSERT(log->offsets_.size() == 0);
  const Result<std::string_view> body = open_section(in, kMagic, "declaration log");
  if (!body.is_ok()) return body.status();
  ByteReader r(*body);
  uint64_t count = 0;
  if (!r.get(&count) || r.remaining() % kPairBytes != 0 || count != r.remaining() / kPairBytes)
    return corruption("declaration log has the wrong size");
  uint64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t id = 0, offset = 0;
    if (!r.get(&id) || !r.get(&offset)) return corruption("declaration log truncated");
    if (id == FlatMap<Offset>::kEmptyKey) return corruption("declaration log holds a reserved id");
    if (i > 0 && id <= previous) return corruption("declaration log is not in id order");  // as save() writes it
    previous = id;
    log->offsets_.put(id, offset);
  }
  return Status::ok();
}

Result<std::optional<DeclarationStatus>> find_declaration(const Projector& projector, DeclarationId id) {
  for (uint32_t p = 0; p < projector.partition_count(); ++p) {
    const std::optional<Offset> offset = projector.declarations(p).find(id);
    if (!offset) continue;
    Result<std::string> line = projector.event_at(p, *offset);
    DIMONA_TRY(line);
    const size_t size = line->size();
    line->append(kJsonPadding, ' ');
    EventDecoder decoder;
    Result<Event> event = decoder.decode(std::string_view(line->data(), size), line->size());
    if (!event.is_ok()) return corruption("partition " + std::to_string(p) + " offset " + std::to_string(*offset) + ": " +
                                          event.status().message());
    if (!event->is_declaration() || event->declaration.declaration_id != id)
      return corruption("partition " + std::to_string(p) + " offset " + std::to_string(*offset) +
                        ": not the declaration the index names");
    DeclarationStatus s;
    s.id = id;
    s.kind = event->declaration.declaration.kind;
    s.decision = event->declaration.decision;
    s.employer = employer_key(event->declaration.declaration);
    if (s.employer == 0 && s.decision.period_id.value != 0) {  // UPDATE, OUT, CANCEL: the period's employer
      if (const Period* period = projector.partition(p).period(s.decision.period_id)) s.employer = period->employer;
    }
    s.partition = p;
    s.offset = *offset;
    return std::optional<DeclarationStatus>(s);
  }
  return std::optional<DeclarationStatus>();
}

}  // namespace dimona
