#include "engine/base/json_writer.h"

#include <gtest/gtest.h>

namespace dimona {
namespace {

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

TEST(JsonWriter, RawAfterKeyTakesTheValueSlot) {
  std::string out;
  JsonWriter w(&out);
  w.begin_object().key("x").raw("{\"y\":1}").key("z").integer(2).end_object();
  EXPECT_EQ(out, R"({"x":{"y":1},"z":2})");
}

}  // namespace
}  // namespace dimona
