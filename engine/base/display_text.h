// is_display_text: text that reads on a screen or in a log line as it is.
//
// Contract. True when `s`, read as UTF-8, holds none of the characters that change how the text
// around it reads: C0 controls and DEL (a NUL, an escape sequence, a line break forging a line),
// C1 controls (U+0080-U+009F), the line and paragraph separators (U+2028, U+2029) and the
// bidirectional formatting characters (U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069: "auditor:\u202Elive" shown as "auditor:evil"). It judges bytes
// only: whether `s` is valid UTF-8 is the caller's parser's check. is_display_code_point is the
// same list for one code point (a JSON escape's, say). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace dimona {

inline bool is_display_code_point(uint32_t c) {
  return !(c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069));
}

inline bool is_display_text(std::string_view s) {
  constexpr uint32_t kOther = 0xfffd;  // a character the list does not hold
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const auto next = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
    const auto continuation = [](unsigned b) { return b >= 0x80 && b <= 0xbf; };
    // ASCII as it is; the list's other characters all have the lead bytes C2 (U+0080-U+00BF) or
    // E2 (U+2000-U+2FFF); any other byte of a multi-byte character is none of them.
    uint32_t code_point = c < 0x80 ? c : kOther;
    if (c == 0xc2 && continuation(next(1))) code_point = next(1);
    if (c == 0xe2 && continuation(next(1)) && continuation(next(2)))
      code_point = 0x2000 + ((next(1) - 0x80) << 6) + (next(2) - 0x80);
    if (!is_display_code_point(code_point)) return false;
  }
  return true;
}

}  // namespace dimona
