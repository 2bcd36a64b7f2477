#include "engine/source_position.h"

#include <charconv>

#include "engine/base/assert.h"
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

}  // namespace

void format_source_position(const SourcePosition& p, std::string* out) {
  // "@INDEX,BYTES,CRC/INDEX,BYTES,CRC" made in one buffer and appended once (written per event).
  char marks[1 + 6 * 20 + 5];
  char* at = marks;
  auto number = [&](uint64_t value, char then) {
    const auto [end, ec] = std::to_chars(at, marks + sizeof marks, value);
    DIMONA_ASSERT(ec == std::errc());
    at = end;
    if (then != '\0') *at++ = then;
  };
  *at++ = '@';
  number(p.at.index, ',');
  number(p.at.bytes, ',');
  number(p.at.crc, '/');
  number(p.resume.index, ',');
  number(p.resume.bytes, ',');
  number(p.resume.crc, '\0');
  out->append(p.source);
  out->append(marks, static_cast<size_t>(at - marks));
}

std::string_view source_of_position(std::string_view text) {
  const size_t at = text.rfind('@');
  return at == std::string_view::npos ? std::string_view() : text.substr(0, at);
}

Status parse_source_marks(std::string_view text, std::string_view* source, SourceMark* at, SourceMark* resume) {
  if (text.size() > limits::log_source_bytes_max) return invalid_argument("a source position is too long");
  const size_t sign = text.rfind('@');
  if (sign == std::string_view::npos || sign == 0) return invalid_argument("a source position is SOURCE@INDEX/RESUME");
  std::string_view rest = text.substr(sign + 1);
  if (!take_number(&rest, ',', &at->index) || !take_number(&rest, ',', &at->bytes) ||
      !take_number(&rest, '/', &at->crc) || !take_number(&rest, ',', &resume->index) ||
      !take_number(&rest, ',', &resume->bytes) || !take_number(&rest, '\0', &resume->crc)) {
    return invalid_argument("a source position is SOURCE@INDEX,BYTES,CRC/INDEX,BYTES,CRC");
  }
  if (resume->index >= at->index || resume->bytes >= at->bytes)
    return invalid_argument("a source position resumes after its own line");
  *source = text.substr(0, sign);
  return Status::ok();
}

Result<SourcePosition> parse_source_position(std::string_view text) {
  SourcePosition p;
  std::string_view source;
  DIMONA_TRY(parse_source_marks(text, &source, &p.at, &p.resume));
  p.source = std::string(source);
  return p;
}

}  // namespace dimona
