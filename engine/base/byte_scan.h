// Byte scans 16 bytes at a time: the first byte of a small class in a span.
//
// Contract. Each function returns a pointer to the first byte in [p, end) of
// its class, or `end` when there is none; it reads no byte outside [p, end).
// Pure functions of the bytes: the SSE2 path (16-byte blocks, then a tail of
// 4 to 15 bytes in two overlapping loads) and the scalar one (a tail under 4
// bytes, and where SSE2 is missing) agree on every input
// (tests/engine/base/byte_scan_test.cc). Threading: none.
//
// Where they serve: JSON strings (the logged-event reader finds a string's
// end, the JSON writer the bytes it must escape, the declaration decoder a
// line that may hold a control character) and the HTTP server's check of a
// request head (NUL, CR, LF are the only bytes its framing rules read).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dimona {
namespace byte_scan_detail {

// The first byte at which `mask16` (16 bytes -> a 16-bit mask of hits) or `hit` (one byte) says yes.
// A tail of 4 to 15 bytes is read as two overlapping loads of 8 (or 4) bytes, never past `end`:
// a hit in the first load is the first; else the second covers every later byte.
template <typename Mask16, typename Hit>
inline const char* find_first(const char* p, const char* end, Mask16 mask16, Hit hit) {
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    const int mask = mask16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    if (mask != 0) return p + std::countr_zero(static_cast<unsigned>(mask));
  }
  const auto two_loads = [&](int width, auto load) -> const char* {
    const int lanes = (1 << width) - 1;
    if (const int mask = mask16(load(p)) & lanes; mask != 0) return p + std::countr_zero(static_cast<unsigned>(mask));
    if (const int mask = mask16(load(end - width)) & lanes; mask != 0)
      return end - width + std::countr_zero(static_cast<unsigned>(mask));
    return end;
  };
  if (end - p >= 8) {
    return two_loads(8, [](const char* at) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(at)); });
  }
  if (end - p >= 4) {
    return two_loads(4, [](const char* at) {
      int32_t word;
      std::memcpy(&word, at, sizeof word);
      return _mm_cvtsi32_si128(word);
    });
  }
#else
  (void)mask16;
#endif
  for (; p < end; ++p) {
    if (hit(static_cast<unsigned char>(*p))) return p;
  }
  return end;
}

}  // namespace byte_scan_detail

// The first byte a JSON string cannot hold as it is: a quote, a backslash or
// a control character (0x00-0x1f, RFC 8259 section 7).
inline const char* find_json_special(const char* p, const char* end) {
  return byte_scan_detail::find_first(
      p, end,
#if defined(__SSE2__)
      [](__m128i x) {
        const __m128i control = _mm_set1_epi8(0x1f);
        const __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                         _mm_cmpeq_epi8(_mm_max_epu8(x, control), control));  // x <= 0x1f
        return _mm_movemask_epi8(hit);
      },
#else
      0,
#endif
      [](unsigned char c) { return c == '"' || c == '\\' || c < 0x20; });
}

// find_json_special(), or a byte of a multi-byte UTF-8 character (0x80-0xff): a string's end for
// a reader that checks UTF-8 only when a string holds such a byte (the logged-event reader).
inline const char* find_json_special_or_non_ascii(const char* p, const char* end) {
  return byte_scan_detail::find_first(
      p, end,
#if defined(__SSE2__)
      [](__m128i x) {
        // As signed bytes, 0x80-0xff are negative: below 0x20 with the controls.
        const __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))),
                         _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
        return _mm_movemask_epi8(hit);
      },
#else
      0,
#endif
      [](unsigned char c) { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80; });
}

// The first byte that is not printable ASCII or is a backslash: a control (0x00-0x1f, 0x7f), a
// byte of a multi-byte UTF-8 character (0x80-0xff) or a JSON escape. A line without one holds
// display text only (the declaration decoder's check skips such a line at this speed).
inline const char* find_escape_or_not_printable_ascii(const char* p, const char* end) {
  return byte_scan_detail::find_first(
      p, end,
#if defined(__SSE2__)
      [](__m128i x) {
        // As signed bytes, 0x80-0xff are negative: below 0x20 with the controls.
        const __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))),
                         _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
        return _mm_movemask_epi8(hit);
      },
#else
      0,
#endif
      [](unsigned char c) { return c < 0x20 || c >= 0x7f || c == '\\'; });
}

// The first NUL, CR or LF: the bytes an HTTP/1.1 request head's framing turns on.
inline const char* find_nul_cr_lf(const char* p, const char* end) {
  return byte_scan_detail::find_first(
      p, end,
#if defined(__SSE2__)
      [](__m128i x) {
        const __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_setzero_si128()), _mm_cmpeq_epi8(x, _mm_set1_epi8('\r'))),
                         _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
        return _mm_movemask_epi8(hit);
      },
#else
      0,
#endif
      [](unsigned char c) { return c == '\0' || c == '\r' || c == '\n'; });
}

// The run of ASCII digits at p, at most `max` of them (max <= 19: the value cannot wrap): where it
// ends, and its value in *value (0 for no digit). Eight digits a step, from one 8-byte load that
// never reaches past `end` (a shorter rest is read byte by byte): the number readers of the
// logged-event reader (identifiers as strings of digits, integers).
inline const char* scan_digits(const char* p, const char* end, size_t max, uint64_t* value) {
  constexpr uint64_t kZeros = 0x3030303030303030, kHigh = 0x8080808080808080;
  constexpr uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  const char* const stop = static_cast<size_t>(end - p) > max ? p + max : end;
  uint64_t n = 0;
  while (stop - p >= 8 || (p < stop && end - p >= 8)) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    // A byte's high bit is set in one of the two when it is not '0'-'9' (a borrow or a carry only
    // moves up, from such a byte, into later ones: the first flag is exact).
    const uint64_t not_digit = ((w + 0x4646464646464646) | (w - kZeros)) & kHigh;
    int run = not_digit == 0 ? 8 : std::countr_zero(not_digit) / 8;
    if (run > stop - p) run = static_cast<int>(stop - p);
    if (run == 0) break;
    // The run's digits as the last of eight (zeros before them), then pairs, fours, eight.
    uint64_t d = (w - kZeros) << (8 * (8 - run));
    d = d * 10 + (d >> 8);
    d = ((d & 0x000000ff000000ff) * (100 + (1000000ULL << 32)) +
         ((d >> 16) & 0x000000ff000000ff) * (1 + (10000ULL << 32))) >>
        32;
    n = n * kPow10[run] + d;
    p += run;
    if (run < 8) {
      *value = n;
      return p;
    }
  }
  for (; p < stop && *p >= '0' && *p <= '9'; ++p) n = n * 10 + static_cast<uint64_t>(*p - '0');
  *value = n;
  return p;
}

}  // namespace dimona
