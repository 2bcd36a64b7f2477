#include "engine/base/json_writer.h"

#include "engine/base/byte_scan.h"
#include "engine/base/decimal_digits.h"

namespace dimona {

void append_uint(std::string* out, uint64_t value) {
  char buf[20];
  const char* at = format_digits(value, buf + sizeof buf);
  out->append(at, static_cast<size_t>(buf + sizeof buf - at));
}

void append_json_escaped(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* p = text.data();
  const char* const end = p + text.size();
  for (;;) {
    const char* special = find_json_special(p, end);
    out->append(p, static_cast<size_t>(special - p));
    if (special == end) return;
    const auto c = static_cast<unsigned char>(*special);
    p = special + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
}

bool JsonWriter::needs_comma() {
  if (after_key_) {
    after_key_ = false;
    return false;
  }
  const bool comma = !first_[depth_];
  first_[depth_] = false;
  return comma;
}

void JsonWriter::separate() {
  if (needs_comma()) out_->push_back(',');
}

// Each value below is written in one append, its comma included: a response is a few hundred
// tokens, and each append to the string is a call.
JsonWriter& JsonWriter::open(char c) {
  const char token[2] = {',', c};
  out_->append(std::string_view(token, 2).substr(needs_comma() ? 0 : 1));
  DIMONA_ASSERT(depth_ < kDepthMax);
  first_[++depth_] = true;
  return *this;
}

JsonWriter& JsonWriter::close(char c) {
  DIMONA_ASSERT(depth_ > 0 && !after_key_);
  --depth_;
  out_->push_back(c);
  return *this;
}

JsonWriter& JsonWriter::key_text(std::string_view name) {
  out_->append(needs_comma() ? ",\"" : "\"");
  after_key_ = true;
  append_json_escaped(out_, name);
  out_->append("\":");
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
  out_->append(needs_comma() ? ",\"" : "\"");
  append_json_escaped(out_, text);
  out_->push_back('"');
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t value) {
  const bool comma = needs_comma();
  char buf[22];  // ',' '-' and 20 digits
  char* at = format_digits(value < 0 ? static_cast<uint64_t>(-(value + 1)) + 1 : static_cast<uint64_t>(value),
                           buf + sizeof buf);
  if (value < 0) *--at = '-';
  if (comma) *--at = ',';
  out_->append(at, static_cast<size_t>(buf + sizeof buf - at));
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  const std::string_view text = value ? ",true" : ",false";
  out_->append(text.substr(needs_comma() ? 0 : 1));
  return *this;
}

JsonWriter& JsonWriter::null() {
  out_->append(std::string_view(",null").substr(needs_comma() ? 0 : 1));
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_->append(json);
  return *this;
}

JsonWriter& JsonWriter::digits(uint64_t value, int width) {
  DIMONA_ASSERT(width <= 20);
  const bool comma = needs_comma();
  char buf[24];  // ',' '"' 20 digits '"'
  char* end = buf + sizeof buf;
  *--end = '"';
  char* at = format_padded_digits(value, end, width);
  *--at = '"';
  if (comma) *--at = ',';
  out_->append(at, static_cast<size_t>(buf + sizeof buf - at));
  return *this;
}

JsonWriter& JsonWriter::thousandths(uint64_t value) {
  std::string text;
  append_uint(&text, value / 1000);
  const auto frac = static_cast<unsigned>(value % 1000);
  text += '.';
  text += static_cast<char>('0' + frac / 100);
  text += static_cast<char>('0' + frac / 10 % 10);
  text += static_cast<char>('0' + frac % 10);
  return raw(text);
}

JsonWriter& JsonWriter::hundredths(uint64_t value) {
  std::string text;
  append_uint(&text, value / 100);
  const auto frac = static_cast<unsigned>(value % 100);
  text += '.';
  text += static_cast<char>('0' + frac / 10);
  text += static_cast<char>('0' + frac % 10);
  return raw(text);
}

}  // namespace dimona
