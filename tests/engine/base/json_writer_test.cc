#include "engine/base/json_writer.h"

#include "engine/base/decimal_digits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace dimona {
namespace {

// Every width from 1 to 20 digits, at and around each power of ten (an odd and an even count
// of digits: the last one alone or a pair), against the standard library's digits.
TEST(FormatDigits, WritesEveryDigitOfEveryWidthBeforeTheEnd) {
  std::vector<uint64_t> values = {0, UINT64_MAX, UINT64_MAX - 1};
  for (uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10)
    for (uint64_t v : {p - 1, p, p + 1, 9 * p, 10 * p - 1}) values.push_back(v);
  for (uint64_t v : values) {
    char buf[24];
    std::fill(std::begin(buf), std::end(buf), '#');
    char* at = format_digits(v, buf + 20);
    EXPECT_EQ(std::string(at, buf + 20), std::to_string(v));
    EXPECT_EQ(std::string(buf + 0, at), std::string(static_cast<size_t>(at - buf), '#')) << v;  // nothing before
    EXPECT_EQ(buf[20], '#');                                                                    // nor after
  }
}

// Zeros before the digits up to the width, none when the value has as many digits or more.
TEST(FormatDigits, PadsWithZerosToTheWidthAndNeverCuts) {
  for (const auto& [value, width, text] : {std::tuple<uint64_t, int, std::string>{0, 1, "0"},
                                           {0, 11, "00000000000"},
                                           {5031412595, 11, "05031412595"},
                                           {83120965727, 11, "83120965727"},
                                           {123456, 3, "123456"},
                                           {UINT64_MAX, 20, "18446744073709551615"}}) {
    char buf[20];
    const char* at = format_padded_digits(value, buf + sizeof buf, width);
    EXPECT_EQ(std::string(at, static_cast<size_t>(buf + sizeof buf - at)), text) << value << " width " << width;
  }
}

TEST(JsonWriter, NestingAndCommas) {
  std::string out;
  JsonWriter w(&out);
  w.begin_object().key("a").integer(1).key("b").begin_array().integer(-2).boolean(true).null().end_array();
  w.key("c").begin_object().end_object().end_object();
  EXPECT_EQ(out, R"({"a":1,"b":[-2,true,null],"c":{}})");
}

TEST(JsonWriter, EscapesWhatJsonRequires) {
  std::string out;
  JsonWriter(&out).string("q\"b\\n\n\t\x01é");
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\t\\u0001é\"");
}

// Each value is one append with its comma: every kind after a first one, and keys computed at
// run time (key_text: one to escape, one longer than a JsonKey may be).
TEST(JsonWriter, EveryKindOfValueAfterAnotherGetsItsComma) {
  std::string out;
  JsonWriter w(&out);
  const std::string long_key(70, 'k');
  w.begin_object().key("a").integer(0).key_text("q\"").integer(-7).key_text(long_key).boolean(false);
  w.key("n").null().key("d").digits(42, 4).key("s").string("x").key("o").begin_object().end_object();
  w.key("l").begin_array().begin_array().end_array().begin_object().end_object().digits(7, 1).boolean(true).end_array();
  w.end_object();
  EXPECT_EQ(out,
            R"({"a":0,"q\"":-7,")" + long_key + R"(":false,"n":null,"d":"0042","s":"x","o":{},"l":[[],{},"7",true]})");
}

TEST(JsonWriter, DigitsKeepLeadingZeros) {
  std::string out;
  JsonWriter(&out).begin_array().digits(403019261, 10).digits(0, 3).digits(123456789012, 12).end_array();
  EXPECT_EQ(out, R"(["0403019261","000","123456789012"])");
}

TEST(JsonWriter, ExtremeIntegers) {
  std::string out;
  JsonWriter(&out).begin_array().integer(INT64_MIN).integer(INT64_MAX).end_array();
  EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807]");
  std::string u;
  append_uint(&u, UINT64_MAX);
  EXPECT_EQ(u, "18446744073709551615");
}

// Two digits a division: every count of digits, each boundary between them, and both signs,
// against the standard library's formatting.
TEST(JsonWriter, IntegersOfEveryLengthMatchToString) {
  std::vector<int64_t> values{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001};
  for (int64_t p = 10; p <= INT64_MAX / 10; p *= 10) {
    for (int64_t v : {p - 1, p, p + 1, p * 10 - 1, p + p / 2 + 7}) values.push_back(v);
  }
  for (int64_t v : values) {
    for (int64_t signed_v : {v, -v}) {
      std::string out;
      JsonWriter(&out).integer(signed_v);
      EXPECT_EQ(out, std::to_string(signed_v));
    }
    std::string u;
    append_uint(&u, static_cast<uint64_t>(v));
    EXPECT_EQ(u, std::to_string(v));
  }
}

// A key known when compiling is kept quoted, its colon and comma ready; one that needs an
// escape does not compile (JsonKey's constructor calls a function that is not constexpr).
TEST(JsonKey, IsWrittenWithItsQuotesColonAndCommaInOnePiece) {
  constexpr JsonKey key("plannedHours");
  EXPECT_EQ(key.text(true), R"(,"plannedHours":)");
  EXPECT_EQ(key.text(false), R"("plannedHours":)");
  std::string out;
  JsonWriter(&out).begin_object().key(key).integer(1).key("").integer(2).end_object();
  EXPECT_EQ(out, R"({"plannedHours":1,"":2})");
}

TEST(JsonWriter, RawAfterKeyTakesTheValueSlot) {
  std::string out;
  JsonWriter w(&out);
  w.begin_object().key("x").raw("{\"y\":1}").key("z").integer(2).end_object();
  EXPECT_EQ(out, R"({"x":{"y":1},"z":2})");
}

}  // namespace
}  // namespace dimona
