#include "projections/writer_index.h"

#include "engine/base/bytes.h"
#include "engine/base/limits.h"
#include "engine/ledger.h"
#include "engine/source_position.h"
#include "projections/section.h"

namespace dimona {
namespace {

constexpr uint32_t kMagic = 0x58495257;  // "WRIX"

}  // namespace

void WriterIndex::apply_record(const Event& event, Offset, const FoldedRecord& record) {
  DIMONA_ASSERT(record.partitions > 0 && (serials_.empty() || serials_.size() == record.partitions));
  if (serials_.empty()) serials_.assign(record.partitions, 0);
  note_ledger_ids(event, serials_);
  if (!record.source.empty()) (void)tails_.note(record.source);  // one that does not parse: never a writer's
}

void WriterIndex::save(std::string* out) const {
  const size_t begin = begin_section(out, kMagic);
  put<uint32_t>(out, static_cast<uint32_t>(serials_.size()));
  for (const uint64_t serial : serials_) put<uint64_t>(out, serial);
  tails_.save(out);
  seal_section(out, begin);
}

Status WriterIndex::load(std::string_view in, WriterIndex* index) {
  DIMONA_ASSERT(index->tails_.sources() == 0 && index->serials_.empty());
  const Result<std::string_view> body = open_section(in, kMagic, "writer index");
  if (!body.is_ok()) return body.status();
  ByteReader r(*body);
  uint32_t count = 0;
  if (!r.get(&count) || count > limits::partitions_max) return corruption("writer index truncated");
  index->serials_.resize(count);
  for (uint64_t& serial : index->serials_)
    if (!r.get(&serial)) return corruption("writer index truncated");
  if (Status tails = SourceTails::load(r, &index->tails_); !tails.is_ok())
    return corruption("writer index: " + tails.message());
  if (r.remaining() != 0) return corruption("writer index has trailing bytes");
  return Status::ok();
}

}  // namespace dimona
