#include "engine/base/display_text.h"

#include <gtest/gtest.h>

#include <string>

namespace dimona {
namespace {

std::string utf8(uint32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xc0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    s += static_cast<char>(0xe0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (c & 0x3f));
  }
  return s;
}

// The text check and the code point check are one list: every character of the Basic
// Multilingual Plane (surrogates aside), alone and between letters.
TEST(DisplayText, TheTextAndTheCodePointChecksAgreeOnEveryCharacter) {
  for (uint32_t c = 0; c <= 0xffff; ++c) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    EXPECT_EQ(is_display_text(utf8(c)), is_display_code_point(c)) << std::hex << c;
    EXPECT_EQ(is_display_text("a" + utf8(c) + "b"), is_display_code_point(c)) << std::hex << c;
  }
  for (uint32_t c : {0x00u, 0x0au, 0x1bu, 0x7fu, 0x85u, 0x200eu, 0x2028u, 0x2029u, 0x202eu, 0x2066u})
    EXPECT_FALSE(is_display_code_point(c)) << std::hex << c;
  for (uint32_t c : {0x20u, 0x41u, 0xe9u, 0x2027u, 0x202fu, 0x4e2du})
    EXPECT_TRUE(is_display_code_point(c)) << std::hex << c;
}

// Bytes that are not whole characters are the caller's parser's to refuse: a lone continuation
// byte or a cut sequence is no control here.
TEST(DisplayText, BytesThatAreNoCharacterAreNotControls) {
  EXPECT_TRUE(is_display_text("\x85"));
  EXPECT_TRUE(is_display_text("a\xc2"));
  EXPECT_TRUE(is_display_text("a\xe2\x80"));
  EXPECT_TRUE(is_display_text("\xe2\x80\x41"));
}

}  // namespace
}  // namespace dimona
