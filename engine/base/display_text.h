// is_display_text: text that reads on a screen or in a log line as it is.
//
// Contract. True when `s`, read as UTF-8, holds none of the characters that change how the text
// around it reads: C0 controls and DEL (a NUL, an escape sequence, a line break forging a line),
// C1 controls (U+0080-U+009F), the line and paragraph separators (U+2028, U+2029) and the
// bidirectional formatting characters (U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069: "auditor:\u202Elive" shown as "auditor:evil"). It judges bytes
// only: whether `s` is valid UTF-8 is the caller's parser's check. Pure; thread-safe.
#pragma once

#include <string_view>

namespace dimona {

inline bool is_display_text(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const auto next = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
    if (c == 0xc2 && next(1) >= 0x80 && next(1) <= 0x9f) return false;  // U+0080-U+009F
    if (c == 0xe2 && next(1) == 0x80 && (next(2) == 0x8e || next(2) == 0x8f || (next(2) >= 0xa8 && next(2) <= 0xae)))
      return false;  // U+200E, U+200F, U+2028-U+202E
    if (c == 0xe2 && next(1) == 0x81 && next(2) >= 0xa6 && next(2) <= 0xa9) return false;  // U+2066-U+2069
  }
  return true;
}

}  // namespace dimona
