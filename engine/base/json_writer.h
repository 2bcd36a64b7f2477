// JsonWriter: appends compact JSON to a std::string, fast and canonical.
//
// Contract. The caller drives the structure (begin_object, key, value, ...);
// the writer inserts commas, escapes strings (RFC 8259: quotes, backslash and
// control characters; UTF-8 passes through) and formats integers without
// allocation beyond the string's growth. It does not check that the calls
// form valid JSON beyond an assertion on nesting depth. Not thread-safe;
// one writer per string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/assert.h"

namespace dimona {

// A key known when compiling: a string literal, checked then to need no escape (a quote, a
// backslash or a control character does not compile), and kept written as `,"name":` so the
// writer appends it in one piece, with or without its comma. A key computed at run time goes
// through JsonWriter::key_text, which escapes it.
class JsonKey {
 public:
  static constexpr size_t kNameMax = 60;

  template <size_t N>
  consteval JsonKey(const char (&name)[N]) : size_(N - 1 + 4) {  // NOLINT: implicit from a literal
    static_assert(N - 1 <= kNameMax, "a JSON key longer than JsonKey::kNameMax");
    text_[0] = ',';
    text_[1] = '"';
    for (size_t i = 0; i + 1 < N; ++i) {
      const auto c = static_cast<unsigned char>(name[i]);
      if (c < 0x20 || c == '"' || c == '\\') not_a_plain_key();
      text_[2 + i] = name[i];
    }
    text_[N + 1] = '"';
    text_[N + 2] = ':';
  }
  // `,"name":`, or without its comma.
  std::string_view text(bool comma) const { return std::string_view(text_ + (comma ? 0 : 1), size_ - (comma ? 0 : 1)); }

 private:
  static void not_a_plain_key() {}  // not constexpr: calling it makes the key fail to compile

  char text_[kNameMax + 4] = {};
  size_t size_;
};

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& key(const JsonKey& name) {
    out_->append(name.text(needs_comma()));
    after_key_ = true;
    return *this;
  }
  // A key computed at run time, escaped as a string is.
  JsonWriter& key_text(std::string_view name);
  JsonWriter& string(std::string_view text);
  JsonWriter& integer(int64_t value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  // Writes already-encoded JSON as a value (the caller vouches for it).
  JsonWriter& raw(std::string_view json);
  // A digit string of fixed width with leading zeros, quoted ("0403019261").
  JsonWriter& digits(uint64_t value, int width);
  // A number of thousandths as a decimal with 3 places: 800 -> 0.800.
  JsonWriter& thousandths(uint64_t value);
  // A number of hundredths (cents) as a decimal with 2 places: 123456 -> 1234.56.
  JsonWriter& hundredths(uint64_t value);

 private:
  static constexpr int kDepthMax = 32;
  JsonWriter& open(char c);
  JsonWriter& close(char c);
  // True when a comma goes before the next key or value (and notes that one came).
  bool needs_comma();
  void separate();

  std::string* out_;
  int depth_ = 0;
  bool first_[kDepthMax + 1] = {true};
  bool after_key_ = false;
};

void append_uint(std::string* out, uint64_t value);
void append_json_escaped(std::string* out, std::string_view text);

}  // namespace dimona
