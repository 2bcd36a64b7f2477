#include "projections/citizen_index.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "projections/section.h"
#include "engine/base/limits.h"

namespace dimona {
namespace {

constexpr uint32_t kMagic = 0x58444943;  // "CIDX"
constexpr size_t kEntryHeaderBytes = 8 + 8 + 4 + 4;  // ssin, last, count, varint bytes
constexpr uint64_t kSsinEnd = 100'000'000'000;         // an SSIN has 11 digits (identifiers.h)

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads one varint at *at; false when it is truncated or longer than a uint64_t allows.
bool get_varint(std::string_view in, size_t* at, uint64_t* v) {
  uint64_t x = 0;
  for (size_t i = 0; i < limits::citizen_index_varint_bytes_max && *at < in.size(); ++i) {
    const auto byte = static_cast<unsigned char>(in[(*at)++]);
    const uint64_t bits = byte & 0x7f;
    if (i == limits::citizen_index_varint_bytes_max - 1 && bits > 1) return false;  // past 64 bits
    x |= bits << (7 * i);
    if ((byte & 0x80) == 0) {
      *v = x;
      return true;
    }
  }
  return false;
}

// Decodes `count` varints of `deltas` into offsets (to `out` when not null); false when
// they are malformed, a difference is 0, a sum wraps, bytes are left, or the sum is not `last`.
bool decode(std::string_view deltas, uint32_t count, Offset last, std::vector<Offset>* out) {
  size_t at = 0;
  Offset offset = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t delta = 0;
    if (!get_varint(deltas, &at, &delta)) return false;
    if (i > 0 && delta == 0) return false;
    if (delta > std::numeric_limits<Offset>::max() - offset) return false;
    offset += delta;
    if (out) out->push_back(offset);
  }
  return at == deltas.size() && offset == last;
}

}  // namespace

void CitizenIndex::apply(const Event& event, Offset offset) {
  if (event.ssin.value == 0) return;  // no citizen's (contract)
  DIMONA_ASSERT(event.ssin.value < kSsinEnd);  // the codec checked its 11 digits
  Entry& e = entries_[event.ssin.value];
  if (e.count > 0 && offset <= e.last) return;  // a redelivery
  DIMONA_ASSERT(e.count < std::numeric_limits<uint32_t>::max());
  put_varint(&e.deltas, e.count == 0 ? offset : offset - e.last);
  e.last = offset;
  ++e.count;
}

std::vector<Offset> CitizenIndex::offsets(Ssin citizen) const {
  std::vector<Offset> out;
  const Entry* e = entries_.find(citizen.value);
  if (!e) return out;
  out.reserve(e->count);
  const bool ok = decode(e->deltas, e->count, e->last, &out);
  DIMONA_ASSERT(ok);  // apply() and load() keep every entry well formed
  return out;
}

uint64_t CitizenIndex::count(Ssin citizen) const {
  const Entry* e = entries_.find(citizen.value);
  return e ? e->count : 0;
}

void CitizenIndex::save(std::string* out) const {
  const size_t begin = begin_section(out, kMagic);
  put<uint64_t>(out, entries_.size());
  // In SSIN order, not the map's slot order (which depends on the insertion history): the
  // same index gives the same bytes, however it was built or loaded.
  std::vector<std::pair<uint64_t, const Entry*>> sorted;
  sorted.reserve(entries_.size());
  entries_.for_each([&sorted](uint64_t ssin, const Entry& e) { sorted.emplace_back(ssin, &e); });
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [ssin, e] : sorted) {
    put<uint64_t>(out, ssin);
    put<uint64_t>(out, e->last);
    put<uint32_t>(out, e->count);
    put(out, std::string_view(e->deltas));
  }
  seal_section(out, begin);
}

Status CitizenIndex::load(std::string_view in, CitizenIndex* index) {
  DIMONA_ASSERT(index->entries_.size() == 0);
  const Result<std::string_view> body = open_section(in, kMagic, "citizen index");
  if (!body.is_ok()) return body.status();
  ByteReader r(*body);
  uint64_t citizens = 0;
  if (!r.get(&citizens) || citizens > r.remaining() / kEntryHeaderBytes)
    return corruption("citizen index has the wrong size");
  index->entries_.reserve(citizens);
  for (uint64_t i = 0; i < citizens; ++i) {
    uint64_t ssin = 0, last = 0;
    uint32_t count = 0;
    std::string_view deltas;
    if (!r.get(&ssin) || !r.get(&last) || !r.get(&count) || !r.get(&deltas))
      return corruption("citizen index truncated");
    if (ssin == 0 || ssin >= kSsinEnd) return corruption("citizen index holds an impossible SSIN");
    if (count == 0 || !decode(deltas, count, last, nullptr))
      return corruption("citizen index holds malformed offsets");
    Entry& e = index->entries_[ssin];
    if (e.count != 0) return corruption("citizen index names a citizen twice");
    e.last = last;
    e.count = count;
    e.deltas.assign(deltas);
  }
  if (r.remaining() != 0) return corruption("citizen index has the wrong size");
  return Status::ok();
}

}  // namespace dimona
