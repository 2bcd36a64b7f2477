#include "engine/identifiers.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace dimona {
namespace {

// DOMAIN.md §6 worked examples.
TEST(Ssin, ValidExamples) {
  auto a = parse_ssin("85073003328");
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(details_of(*a).birth_year, 1985);
  auto b = parse_ssin("17073003384");  // only through the 2000+ branch
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(details_of(*b).birth_year, 2017);
  auto c = parse_ssin("05031412595");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(details_of(*c).birth_year, 2005);
  EXPECT_EQ(details_of(*c).birth_month, 3);
  EXPECT_EQ(details_of(*c).birth_day, 14);
  EXPECT_EQ(format_ssin(*c), "05031412595");
}

TEST(Ssin, BisNumbers) {
  auto bis = parse_ssin("98472899765");
  ASSERT_TRUE(bis.is_ok()) << bis.status().to_string();
  SsinDetails d = details_of(*bis);
  EXPECT_EQ(d.kind, SsinKind::kBis);
  EXPECT_EQ(d.birth_year, 1998);
  EXPECT_EQ(d.birth_month, 7);
  EXPECT_EQ(d.birth_day, 28);
  ASSERT_TRUE(d.male.has_value());
  EXPECT_TRUE(*d.male);
}

TEST(Ssin, InvalidOnes) {
  EXPECT_FALSE(parse_ssin("85073003329").is_ok());   // check digits
  EXPECT_FALSE(parse_ssin("8507300332").is_ok());    // length
  EXPECT_FALSE(parse_ssin("8507300332a").is_ok());   // digits
  EXPECT_FALSE(parse_ssin("85133003370").is_ok());   // month 13 (check made valid: 851330033 mod 97)
  EXPECT_FALSE(parse_ssin("17073003384", *parse_date("2010-01-01")).is_ok());  // born in the future
}

TEST(Ssin, MaskNeverShowsTheNumber) {
  const Ssin s = *parse_ssin("05031412595");
  const std::string m = mask(s);
  EXPECT_EQ(m.find("0503141"), std::string::npos);
  EXPECT_EQ(m, mask(s));  // stable
  EXPECT_NE(m, mask(*parse_ssin("85073003328")));
}

TEST(EnterpriseNumber, ExamplesFromTheDomain) {
  auto e = parse_enterprise_number("0403019261");
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(format_enterprise_number(*e), "0403019261");
  auto old = parse_enterprise_number("403019261");  // 9 digits: leading 0
  ASSERT_TRUE(old.is_ok());
  EXPECT_EQ(*old, *e);
  EXPECT_FALSE(parse_enterprise_number("0431150351").is_ok());  // bad checksum (rule 16)
  EXPECT_FALSE(parse_enterprise_number("2403019261").is_ok());  // first digit 0 or 1
  EXPECT_FALSE(parse_enterprise_number("04030192x1").is_ok());
}

TEST(NssoNumber, DefinitiveAndProvisional) {
  for (uint64_t n : {100006ULL, 175110801ULL, 125482497ULL}) EXPECT_TRUE(parse_nsso_number(n).is_ok()) << n;
  for (uint64_t n : {196ULL, 1000000047ULL, 5000000121ULL, 0ULL}) EXPECT_FALSE(parse_nsso_number(n).is_ok()) << n;
  auto p = parse_nsso_number(5000000120);
  ASSERT_TRUE(p.is_ok());
  EXPECT_TRUE(p->provisional);
}

TEST(DimonaId, ChecksumIsFirstTenMod97) {
  for (uint64_t id : {656309292174ULL, 656309322385ULL, 656309296521ULL}) EXPECT_TRUE(is_valid_dimona_id(id)) << id;
  EXPECT_FALSE(is_valid_dimona_id(656309292175ULL));
  EXPECT_FALSE(is_valid_dimona_id(12345ULL));
  EXPECT_EQ(dimona_id_from_body(6563092921), 656309292174ULL);
  EXPECT_FALSE(parse_period_id(656309292175ULL).is_ok());
}

// Numbers from outside: digits only, never wrapped, within the range asked.
TEST(Decimal, DigitsOnlyWithinRangeAndNeverWrapped) {
  EXPECT_EQ(*parse_decimal("0", 0, 10), 0u);
  EXPECT_EQ(*parse_decimal("18446744073709551615", 0, UINT64_MAX), UINT64_MAX);
  for (std::string_view bad : {"", "-1", "+1", " 1", "1 ", "1.0", "0x10", "1e3", "18446744073709551616",
                               "99999999999999999999", "000000000000000000001"})
    EXPECT_FALSE(parse_decimal(bad, 0, UINT64_MAX).is_ok()) << bad;
  EXPECT_FALSE(parse_decimal(std::string_view("12\0", 3), 0, 100).is_ok());
  EXPECT_FALSE(parse_decimal("0", 1, 10).is_ok());
  EXPECT_FALSE(parse_decimal("11", 1, 10).is_ok());
}

// Every 12-digit id from outside goes through one check: no sentinel, no sign, no width.
TEST(LedgerIds, TwelveDigitsWithTheirCheckOrNothing) {
  const uint64_t id = dimona_id_from_body(1'234'567'890);
  const std::string text = std::to_string(id);
  ASSERT_EQ(text.size(), 12u);
  EXPECT_EQ(parse_declaration_id(text)->value, id);
  EXPECT_EQ(parse_period_id(std::string_view(text))->value, id);
  EXPECT_EQ(parse_request_id(text)->value, id);
  EXPECT_EQ(parse_ticket_number(text)->value, id);
  std::string wrong_check = text;
  wrong_check.back() = wrong_check.back() == '9' ? '0' : static_cast<char>(wrong_check.back() + 1);
  for (const std::string& bad : {std::string("18446744073709551615"), std::string("-12345678901"),
                                 std::string("+12345678901"), std::string("999999999999"), std::string("12"),
                                 std::string("abcdefghijkl"), std::string(" ") + text.substr(1), wrong_check,
                                 std::string("000000000000"), text + "0"}) {
    EXPECT_FALSE(parse_declaration_id(bad).is_ok()) << bad;
    EXPECT_FALSE(parse_ticket_number(bad).is_ok()) << bad;
    EXPECT_FALSE(parse_request_id(bad).is_ok()) << bad;
    EXPECT_FALSE(parse_period_id(std::string_view(bad)).is_ok()) << bad;
  }
}

}  // namespace
}  // namespace dimona
