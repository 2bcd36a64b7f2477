// hex_value: one hexadecimal digit's value.
//
// Contract. 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for any other byte. Pure; thread-safe.
// Where it serves: a URL's percent escapes (api/http.cc) and a JSON string's \u escapes
// (the declaration decoder's display-text check).
#pragma once

namespace dimona {

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace dimona
