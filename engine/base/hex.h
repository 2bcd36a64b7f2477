// hex_value: one hexadecimal digit's value; percent_encode: a URL's query value or path segment.
//
// Contract. hex_value: 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other byte. Where it serves:
// a URL's percent escapes (api/http.cc) and a JSON string's \u escapes (the declaration decoder's
// display-text check). percent_encode: every byte but RFC 3986's unreserved ones (ALPHA DIGIT - .
// _ ~) as %XX, upper-case: the links the API writes (api/params.h) and an inbox message's document
// (projections/inbox_views.h). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace dimona {

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
                            u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out += c;
      continue;
    }
    out += '%';
    out += kHex[u >> 4];
    out += kHex[u & 0xF];
  }
  return out;
}

}  // namespace dimona
