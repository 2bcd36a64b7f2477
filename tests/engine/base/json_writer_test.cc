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

// Each value is one append with its comma: every kind after a first one, and the keys the
// short path does not take (one to escape, one longer than it).
TEST(JsonWriter, EveryKindOfValueAfterAnotherGetsItsComma) {
  std::string out;
  JsonWriter w(&out);
  const std::string long_key(70, 'k');
  w.begin_object().key("a").integer(0).key("q\"").integer(-7).key(long_key).boolean(false);
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

TEST(JsonWriter, RawAfterKeyTakesTheValueSlot) {
  std::string out;
  JsonWriter w(&out);
  w.begin_object().key("x").raw("{\"y\":1}").key("z").integer(2).end_object();
  EXPECT_EQ(out, R"({"x":{"y":1},"z":2})");
}

}  // namespace
}  // namespace dimona
