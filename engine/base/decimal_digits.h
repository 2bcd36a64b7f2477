// format_digits(): an unsigned integer's decimal digits, written backwards from a buffer's end.
//
// Contract. format_digits(value, end) writes every decimal digit of `value` (1 to 20 of them,
// "0" for zero), most significant first, into the bytes just before `end`, and returns where
// they start; the caller's buffer has room for 20. format_padded_digits(value, end, width) does
// the same with zeros before them up to `width` digits (more when the value has more; width at
// most 20). Two digits per division (a table of the 100 pairs), for the writers that format
// numbers per event: JSON's integers and fixed-width digit strings (json_writer.h), a record's
// SSIN key (ledger.cc), an SSIN's or enterprise number's text (identifiers.h). No allocation, no
// locale.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace dimona {

namespace decimal_digits_detail {
// "00" "01" ... "99".
inline constexpr auto kDigitPairs = [] {
  std::array<char, 200> pairs{};
  for (int i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();
}  // namespace decimal_digits_detail

inline char* format_digits(uint64_t value, char* end) {
  using decimal_digits_detail::kDigitPairs;
  char* at = end;
  while (value >= 100) {
    const size_t pair = 2 * static_cast<size_t>(value % 100);
    value /= 100;
    at -= 2;
    at[0] = kDigitPairs[pair];
    at[1] = kDigitPairs[pair + 1];
  }
  if (value >= 10) {
    at -= 2;
    at[0] = kDigitPairs[2 * value];
    at[1] = kDigitPairs[2 * value + 1];
  } else {
    *--at = static_cast<char>('0' + value);
  }
  return at;
}

inline char* format_padded_digits(uint64_t value, char* end, int width) {
  char* at = format_digits(value, end);
  while (end - at < width) *--at = '0';
  return at;
}

}  // namespace dimona
