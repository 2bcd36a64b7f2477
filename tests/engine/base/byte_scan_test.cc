#include "engine/base/byte_scan.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "engine/base/json_writer.h"

namespace dimona {
namespace {

// The classes as their contract defines them, one byte at a time.
bool json_special(unsigned char c) { return c == '"' || c == '\\' || c < 0x20; }
bool nul_cr_lf(unsigned char c) { return c == '\0' || c == '\r' || c == '\n'; }
bool not_plain(unsigned char c) { return c < 0x20 || c >= 0x7f || c == '\\'; }
bool special_or_non_ascii(unsigned char c) { return json_special(c) || c >= 0x80; }

template <typename Find>
void expect_first_at_every_place(Find find, unsigned char hit_byte) {
  // Every length up to three blocks and a tail, the one hit at every position (or none):
  // the 16-byte path, its tail and the block boundaries all meet it.
  for (size_t length = 0; length <= 50; ++length) {
    for (size_t at = 0; at <= length; ++at) {
      std::string bytes(length, 'a');
      if (at < length) bytes[at] = static_cast<char>(hit_byte);
      const char* begin = bytes.data();
      EXPECT_EQ(find(begin, begin + length) - begin, static_cast<long>(at)) << "length " << length << ", hit at " << at;
      // A hit just past the span's end is not read.
      std::string padded = bytes + std::string(1, static_cast<char>(hit_byte)) + std::string(16, 'a');
      if (at == length) {
        EXPECT_EQ(find(padded.data(), padded.data() + length), padded.data() + length);
      }
    }
  }
}

TEST(ByteScan, FindsEachSpecialByteOfItsClassAtEveryPlace) {
  for (unsigned char c : {'"', '\\', '\0', '\n', '\x1f', '\x01'}) expect_first_at_every_place(find_json_special, c);
  for (unsigned char c : {'\0', '\r', '\n'}) expect_first_at_every_place(find_nul_cr_lf, c);
  for (unsigned char c : {'\0', '\x1f', '\x7f', '\x80', '\xc3', '\xff', '\\'})
    expect_first_at_every_place(find_escape_or_not_printable_ascii, c);
  for (unsigned char c : {'"', '\\', '\0', '\x1f', '\x80', '\xc3', '\xff'})
    expect_first_at_every_place(find_json_special_or_non_ascii, c);
}

TEST(ByteScan, BytesOutsideTheClassAreNeverHits) {
  // UTF-8 lead and continuation bytes (>= 0x80: negative as signed chars) and the bytes
  // next to each class boundary.
  for (int c = 0; c < 256; ++c) {
    const std::string bytes(40, static_cast<char>(c));
    const char* begin = bytes.data();
    const char* end = begin + bytes.size();
    EXPECT_EQ(find_json_special(begin, end) == begin, json_special(static_cast<unsigned char>(c))) << "byte " << c;
    EXPECT_EQ(find_nul_cr_lf(begin, end) == begin, nul_cr_lf(static_cast<unsigned char>(c))) << "byte " << c;
    EXPECT_EQ(find_escape_or_not_printable_ascii(begin, end) == begin, not_plain(static_cast<unsigned char>(c)))
        << "byte " << c;
    EXPECT_EQ(find_json_special_or_non_ascii(begin, end) == begin, special_or_non_ascii(static_cast<unsigned char>(c)))
        << "byte " << c;
    if (!json_special(static_cast<unsigned char>(c))) {
      EXPECT_EQ(find_json_special(begin, end), end);
    }
    if (!nul_cr_lf(static_cast<unsigned char>(c))) {
      EXPECT_EQ(find_nul_cr_lf(begin, end), end);
    }
  }
}

TEST(ByteScan, AgreesWithTheByteByByteDefinitionOnRandomBytes) {
  std::mt19937 random(20261205);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(random() % 80, '\0');
    // Mostly printable, a few specials: first hits land anywhere.
    for (char& b : bytes) b = static_cast<char>(random() % 64 == 0 ? random() % 256 : 'A' + random() % 60);
    const char* begin = bytes.data();
    const char* end = begin + bytes.size();
    const char* json = begin;
    while (json < end && !json_special(static_cast<unsigned char>(*json))) ++json;
    const char* framing = begin;
    while (framing < end && !nul_cr_lf(static_cast<unsigned char>(*framing))) ++framing;
    ASSERT_EQ(find_json_special(begin, end), json) << "round " << round;
    ASSERT_EQ(find_nul_cr_lf(begin, end), framing) << "round " << round;
    const char* plain = begin;
    while (plain < end && !not_plain(static_cast<unsigned char>(*plain))) ++plain;
    ASSERT_EQ(find_escape_or_not_printable_ascii(begin, end), plain) << "round " << round;
    const char* ascii = begin;
    while (ascii < end && !special_or_non_ascii(static_cast<unsigned char>(*ascii))) ++ascii;
    ASSERT_EQ(find_json_special_or_non_ascii(begin, end), ascii) << "round " << round;
  }
}

// scan_digits as its contract defines it, one byte at a time.
const char* digits_one_by_one(const char* p, const char* end, size_t max, uint64_t* value) {
  uint64_t n = 0;
  for (size_t i = 0; p < end && i < max && *p >= '0' && *p <= '9'; ++p, ++i)
    n = n * 10 + static_cast<uint64_t>(*p - '0');
  *value = n;
  return p;
}

// Every run length to 24 at every offset from a span's end, each max to 19, ended by every byte
// that is not a digit (the neighbours of '0'-'9' above all, and 0x80-0xff) or by the end: each
// 8-byte load's run, its cut at max, and its byte-by-byte rest agree with the definition; the
// span is its own allocation, so a read past its end is an error under ASan.
TEST(ScanDigits, AgreesWithTheByteByByteDefinition) {
  std::mt19937 random(20261207);
  const std::string enders = std::string("/:\"\x00\x80\xff.e-", 10) + "a";
  for (size_t run = 0; run <= 24; ++run) {
    for (size_t after = 0; after <= 9; ++after) {
      for (size_t max = 0; max <= 19; ++max) {
        const char ender = enders[random() % enders.size()];
        std::string text;
        for (size_t i = 0; i < run; ++i) text += static_cast<char>('0' + random() % 10);
        if (after > 0) text += ender;
        for (size_t i = 1; i < after; ++i) text += static_cast<char>(random() % 2 ? '0' + random() % 10 : 'x');
        const std::unique_ptr<char[]> span(new char[text.size()]);
        std::copy(text.begin(), text.end(), span.get());
        const char* begin = span.get();
        const char* end = begin + text.size();
        uint64_t got = 1, want = 2;
        ASSERT_EQ(scan_digits(begin, end, max, &got), digits_one_by_one(begin, end, max, &want))
            << "'" << text << "' max " << max;
        ASSERT_EQ(got, want) << "'" << text << "' max " << max;
      }
    }
  }
  uint64_t v = 0;
  const std::string largest = "9999999999999999999";  // 19 digits: no wrap-around
  EXPECT_EQ(scan_digits(largest.data(), largest.data() + largest.size(), 19, &v), largest.data() + 19);
  EXPECT_EQ(v, 9'999'999'999'999'999'999ULL);
}

TEST(JsonWriter, EscapesSpecialsOnEitherSideOfA16ByteBlock) {
  // The escape walks 16 bytes at a time: specials at block boundaries and in the tail.
  std::string text =
      std::string(15, 'x') + "\"" + std::string(16, 'y') + "\\" + "\x02" + "é" + std::string(3, 'z') + "\n";
  std::string out;
  JsonWriter(&out).string(text);
  EXPECT_EQ(out, "\"" + std::string(15, 'x') + "\\\"" + std::string(16, 'y') + "\\\\\\u0002é" + std::string(3, 'z') +
                     "\\n\"");
}

}  // namespace
}  // namespace dimona
