#include "engine/source_position.h"

#include <charconv>

#include "engine/base/limits.h"

namespace dimona {
namespace {

template <typename Integer>
bool take_number(std::string_view* text, char terminator, Integer* out) {
  const char* end = text->data() + text->size();
  auto [stop, ec] = std::from_chars(text->data(), end, *out);
  if (ec != std::errc() || stop == text->data()) return false;
  if (terminator == '\0') {
    if (stop != end) return false;
    text->remove_prefix(text->size());
    return true;
  }
  if (stop == end || *stop != terminator) return false;
  text->remove_prefix(static_cast<size_t>(stop - text->data()) + 1);
  return true;
}

void append_number(uint64_t value, std::string* out) {
  char digits[20];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  DIMONA_ASSERT(ec == std::errc());
  out->append(digits, end);
}

void append_mark(const SourceMark& m, std::string* out) {
  append_number(m.index, out);
  out->push_back(',');
  append_number(m.bytes, out);
  out->push_back(',');
  append_number(m.crc, out);
}

}  // namespace

void format_source_position(const SourcePosition& p, std::string* out) {
  out->append(p.source);
  out->push_back('@');
  append_mark(p.at, out);
  out->push_back('/');
  append_mark(p.resume, out);
}

std::string_view source_of_position(std::string_view text) {
  const size_t at = text.rfind('@');
  return at == std::string_view::npos ? std::string_view() : text.substr(0, at);
}

Result<SourcePosition> parse_source_position(std::string_view text) {
  if (text.size() > limits::log_source_bytes_max) return invalid_argument("a source position is too long");
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0) return invalid_argument("a source position is SOURCE@INDEX/RESUME");
  SourcePosition p;
  p.source = std::string(text.substr(0, at));
  std::string_view rest = text.substr(at + 1);
  if (!take_number(&rest, ',', &p.at.index) || !take_number(&rest, ',', &p.at.bytes) ||
      !take_number(&rest, '/', &p.at.crc) || !take_number(&rest, ',', &p.resume.index) ||
      !take_number(&rest, ',', &p.resume.bytes) || !take_number(&rest, '\0', &p.resume.crc)) {
    return invalid_argument("a source position is SOURCE@INDEX,BYTES,CRC/INDEX,BYTES,CRC");
  }
  if (p.resume.index >= p.at.index || p.resume.bytes >= p.at.bytes)
    return invalid_argument("a source position resumes after its own line");
  return p;
}

}  // namespace dimona
