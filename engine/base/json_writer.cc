#include "engine/base/json_writer.h"

#include <cstring>

#include "engine/base/byte_scan.h"

namespace dimona {

namespace {

// Writes the decimal digits of `value`, most significant first, to the end
// of buf[0..20); returns where they start.
char* format_digits(uint64_t value, char (&buf)[20]) {
  char* at = buf + sizeof buf;
  do {
    *--at = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return at;
}

}  // namespace

void append_uint(std::string* out, uint64_t value) {
  char buf[20];
  const char* at = format_digits(value, buf);
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

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_[depth_]) out_->push_back(',');
  first_[depth_] = false;
}

JsonWriter& JsonWriter::open(char c) {
  separate();
  out_->push_back(c);
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

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  after_key_ = true;
  // The common case, a short name that needs no escape, in one append: a response writes dozens of keys.
  constexpr size_t kShortName = 61;
  if (name.size() <= kShortName &&
      find_json_special(name.data(), name.data() + name.size()) == name.data() + name.size()) {
    char quoted[kShortName + 3];
    quoted[0] = '"';
    std::memcpy(quoted + 1, name.data(), name.size());
    quoted[name.size() + 1] = '"';
    quoted[name.size() + 2] = ':';
    out_->append(quoted, name.size() + 3);
    return *this;
  }
  out_->push_back('"');
  append_json_escaped(out_, name);
  out_->append("\":");
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
  separate();
  out_->push_back('"');
  append_json_escaped(out_, text);
  out_->push_back('"');
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t value) {
  separate();
  if (value < 0) {
    out_->push_back('-');
    append_uint(out_, static_cast<uint64_t>(-(value + 1)) + 1);
  } else {
    append_uint(out_, static_cast<uint64_t>(value));
  }
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  separate();
  out_->append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_->append("null");
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_->append(json);
  return *this;
}

JsonWriter& JsonWriter::digits(uint64_t value, int width) {
  separate();
  char buf[20];
  const char* at = format_digits(value, buf);
  const auto n = static_cast<int>(buf + sizeof buf - at);
  out_->push_back('"');
  if (width > n) out_->append(static_cast<size_t>(width - n), '0');
  out_->append(at, static_cast<size_t>(n));
  out_->push_back('"');
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
