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
  const std::string_view text = record.source;
  if (text.empty()) return;
  // The common case: the previous record's source again, its name then '@' and no '@' after
  // (the name is what precedes the last '@', source_of_position), found without a backward scan.
  const bool same = current_ != last_.end() && text.size() > current_->first.size() &&
                    text[current_->first.size()] == '@' && text.starts_with(current_->first) &&
                    text.find('@', current_->first.size() + 1) == std::string_view::npos;
  if (!same) {
    const std::string_view name = source_of_position(text);
    current_ = last_.find(name);
    if (current_ == last_.end()) current_ = last_.emplace(std::string(name), std::string()).first;
  }
  current_->second.assign(text);
}

std::vector<std::string> WriterIndex::positions() const {
  std::vector<std::string> out;
  out.reserve(last_.size());
  for (const auto& [source, text] : last_) out.push_back(text);
  return out;
}

void WriterIndex::save(std::string* out) const {
  const size_t begin = begin_section(out, kMagic);
  put<uint32_t>(out, static_cast<uint32_t>(serials_.size()));
  for (const uint64_t serial : serials_) put<uint64_t>(out, serial);
  put<uint32_t>(out, static_cast<uint32_t>(last_.size()));
  for (const auto& [source, text] : last_) put(out, text);
  seal_section(out, begin);
}

Status WriterIndex::load(std::string_view in, WriterIndex* index) {
  DIMONA_ASSERT(index->last_.empty() && index->serials_.empty());
  const Result<std::string_view> body = open_section(in, kMagic, "writer index");
  if (!body.is_ok()) return body.status();
  ByteReader r(*body);
  uint32_t count = 0;
  if (!r.get(&count) || count > limits::partitions_max) return corruption("writer index truncated");
  index->serials_.resize(count);
  for (uint64_t& serial : index->serials_)
    if (!r.get(&serial)) return corruption("writer index truncated");
  if (!r.get(&count)) return corruption("writer index truncated");
  for (uint32_t i = 0; i < count; ++i) {
    std::string text;
    if (!r.get(&text)) return corruption("writer index truncated");
    const std::string_view name = source_of_position(text);
    if (text.size() > limits::log_source_bytes_max || name.empty() ||
        (!index->last_.empty() && !(index->last_.rbegin()->first < name)))
      return corruption("writer index holds an impossible source position");
    index->last_.emplace_hint(index->last_.end(), std::string(name), std::move(text));
  }
  if (r.remaining() != 0) return corruption("writer index has trailing bytes");
  index->current_ = index->last_.end();
  return Status::ok();
}

}  // namespace dimona
