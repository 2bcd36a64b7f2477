#include "engine/source_tails.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "engine/base/limits.h"

namespace dimona {

namespace {

// The two indices of a text's INDEX,BYTES,CRC/INDEX,BYTES,CRC part (`rest`, after the source's
// '@'): what a tail needs, read without the rest of the parse (the BYTES and CRC matter to an
// ingest that resumes a file, which parses the whole text: parse_source_position).
bool indices_of(std::string_view rest, uint64_t* at, uint64_t* resume) {
  const char* end = rest.data() + rest.size();
  auto [stop, ec] = std::from_chars(rest.data(), end, *at);
  if (ec != std::errc() || stop == rest.data() || stop == end || *stop != ',') return false;
  const char* slash = static_cast<const char*>(std::memchr(stop, '/', static_cast<size_t>(end - stop)));
  if (slash == nullptr) return false;
  auto [after, ec2] = std::from_chars(slash + 1, end, *resume);
  return ec2 == std::errc() && after != slash + 1 && after != end && *after == ',' && *resume < *at;
}

}  // namespace

bool SourceTails::note(std::string_view text) {
  uint64_t at = 0, resume = 0;
  // The common case: the previous record's source again, then its last '@' (found without a
  // backward scan; a longer name with an '@' of its own takes the full look).
  if (text.size() > limits::log_source_bytes_max) return false;
  if (current_ != tails_.end()) {
    const std::string& name = current_->first;
    if (text.size() > name.size() && text[name.size()] == '@' && text.starts_with(name) &&
        text.find('@', name.size() + 1) == std::string_view::npos &&
        indices_of(text.substr(name.size() + 1), &at, &resume)) {
      note(&current_->second, at, resume, text);
      return true;
    }
  }
  const size_t sign = text.rfind('@');
  if (sign == std::string_view::npos || sign == 0 || !indices_of(text.substr(sign + 1), &at, &resume)) return false;
  note(text.substr(0, sign), at, resume, text);
  return true;
}

void SourceTails::note(const SourcePosition& position, std::string_view text) {
  note(position.source, position.at.index, position.resume.index, text);
}

void SourceTails::raise_resume(Tail* tail, uint64_t resume) {
  if (resume <= tail->resume) return;
  tail->resume = resume;
  std::vector<uint64_t>& after = tail->after;
  tail->head = static_cast<size_t>(
      std::upper_bound(after.begin() + static_cast<std::ptrdiff_t>(tail->head), after.end(), resume) - after.begin());
  if (tail->head == after.size()) {
    after.clear();
    tail->head = 0;
  } else if (tail->head > after.size() / 2) {  // amortized: each index is moved at most once per halving
    after.erase(after.begin(), after.begin() + static_cast<std::ptrdiff_t>(tail->head));
    tail->head = 0;
  }
}

void SourceTails::note(std::string_view source, uint64_t index, uint64_t resume, std::string_view text) {
  if (current_ == tails_.end() || current_->first != source) {
    current_ = tails_.find(source);
    if (current_ == tails_.end()) current_ = tails_.emplace(std::string(source), Tail()).first;
  }
  note(&current_->second, index, resume, text);
}

void SourceTails::note(Tail* tail_of_source, uint64_t index, uint64_t resume, std::string_view text) {
  Tail& tail = *tail_of_source;
  if (index >= tail.highest) {
    tail.last.assign(text);
    tail.highest = index;
  }
  raise_resume(&tail, resume);
  if (index <= tail.resume) return;
  std::vector<uint64_t>& after = tail.after;
  if (after.size() == tail.head || after.back() < index) {
    after.push_back(index);  // the common case: ascending
    return;
  }
  // A writer that resumed stores what the one before it did not, after that one's later items.
  auto it = std::lower_bound(after.begin() + static_cast<std::ptrdiff_t>(tail.head), after.end(), index);
  if (*it != index) after.insert(it, index);
}

bool SourceTails::holds(std::string_view source, uint64_t index) const {
  auto it = tails_.find(source);
  if (it == tails_.end()) return false;
  const Tail& tail = it->second;
  return index <= tail.resume ||
         std::binary_search(tail.after.begin() + static_cast<std::ptrdiff_t>(tail.head), tail.after.end(), index);
}

std::string_view SourceTails::last(std::string_view source) const {
  auto it = tails_.find(source);
  return it == tails_.end() ? std::string_view() : std::string_view(it->second.last);
}

void SourceTails::for_each_last(const std::function<void(std::string_view)>& f) const {
  for (const auto& [source, tail] : tails_) f(tail.last);
}

void SourceTails::save(std::string* out) const {
  put<uint32_t>(out, static_cast<uint32_t>(tails_.size()));
  for (const auto& [source, tail] : tails_) {
    put(out, tail.last);
    put<uint64_t>(out, tail.resume);
    put<uint32_t>(out, static_cast<uint32_t>(tail.after.size() - tail.head));
    for (size_t i = tail.head; i < tail.after.size(); ++i) put<uint64_t>(out, tail.after[i]);
  }
}

Status SourceTails::load(ByteReader& in, SourceTails* into) {
  DIMONA_ASSERT(into->tails_.empty());
  uint32_t count = 0;
  if (!in.get(&count)) return corruption("source tails truncated");
  for (uint32_t i = 0; i < count; ++i) {
    Tail tail;
    uint32_t kept = 0;
    if (!in.get(&tail.last) || !in.get(&tail.resume) || !in.get(&kept)) return corruption("source tails truncated");
    std::string_view source;
    SourceMark at, resume;
    if (!parse_source_marks(tail.last, &source, &at, &resume).is_ok() ||
        (!into->tails_.empty() && !(into->tails_.rbegin()->first < source)) || resume.index > tail.resume ||
        at.index <= tail.resume)
      return corruption("source tails hold an impossible source position");
    tail.highest = at.index;
    if (kept > in.remaining() / sizeof(uint64_t)) return corruption("source tails truncated");
    tail.after.resize(kept);
    uint64_t before = tail.resume;
    for (uint64_t& index : tail.after) {
      if (!in.get(&index)) return corruption("source tails truncated");
      if (index <= before) return corruption("source tails hold indices out of order");
      before = index;
    }
    if (tail.after.empty() || tail.after.back() != tail.highest)  // the highest index is above R, so kept
      return corruption("source tails hold an impossible source position");
    into->tails_.emplace_hint(into->tails_.end(), std::string(source), std::move(tail));
  }
  into->current_ = into->tails_.end();
  return Status::ok();
}

}  // namespace dimona
