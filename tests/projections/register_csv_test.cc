#include "projections/register_csv.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/base/limits.h"

namespace dimona {
namespace {

RowFault split(std::string_view line, RegisterRecord& record) {
  static std::string scratch;
  return split_register_record(line, scratch, record);
}

TEST(RegisterCsv, SplitsQuotedFieldsAndUnescapesDoubledQuotes) {
  std::string scratch;
  RegisterRecord r;
  ASSERT_EQ(split_register_record(R"("0200.065.765","2","001","Le ""Petit"" Bar","")", scratch, r), RowFault::kNone);
  ASSERT_EQ(r.count, 5u);
  EXPECT_EQ(r.fields[0], "0200.065.765");
  EXPECT_EQ(r.fields[3], R"(Le "Petit" Bar)");
  EXPECT_EQ(r.fields[4], "");
}

TEST(RegisterCsv, SplitsUnquotedFieldsAndDropsACarriageReturn) {
  RegisterRecord r;
  ASSERT_EQ(split("0200065765,2,001,Bar\r", r), RowFault::kNone);
  ASSERT_EQ(r.count, 4u);
  EXPECT_EQ(r.fields[3], "Bar");
  ASSERT_EQ(split("a,", r), RowFault::kNone);
  EXPECT_EQ(r.count, 2u);
}

TEST(RegisterCsv, AQuoteOpenAtTheEndOfTheLineIsUnterminated) {
  RegisterRecord r;
  EXPECT_EQ(split(R"("0200.065.765","2","001","Bar)", r), RowFault::kUnterminatedQuote);
  EXPECT_EQ(split(R"("0200.065.765","2","001","Bar"")", r), RowFault::kUnterminatedQuote);
  EXPECT_EQ(split(R"(")", r), RowFault::kUnterminatedQuote);
}

TEST(RegisterCsv, TextAfterAClosingQuoteOrAStrayQuoteIsBadQuoting) {
  RegisterRecord r;
  EXPECT_EQ(split(R"("0200.065.765"x,"2")", r), RowFault::kBadQuoting);
  EXPECT_EQ(split(R"(02"00,"2")", r), RowFault::kBadQuoting);
}

TEST(RegisterCsv, ManyFieldsAreCountedButNotStored) {
  RegisterRecord r;
  ASSERT_EQ(split("1,2,3,4,5,6,7,8,9,10,11", r), RowFault::kNone);
  EXPECT_EQ(r.count, 11u);
}

TEST(RegisterCsv, NumbersInTheRegistersShapeWithTheirCheck) {
  EnterpriseNumber n;
  ASSERT_EQ(parse_register_number("0200.065.765", n), RowFault::kNone);
  EXPECT_EQ(n.value, 200065765u);
  ASSERT_EQ(parse_register_number("0200065765", n), RowFault::kNone);
  EXPECT_EQ(format_register_number(n), "0200.065.765");
  EXPECT_EQ(parse_register_number("0200.065.766", n), RowFault::kBadCheckDigits);
  EXPECT_EQ(parse_register_number("0200-065-765", n), RowFault::kBadNumber);
  EXPECT_EQ(parse_register_number("0200.065.76", n), RowFault::kBadNumber);
  EXPECT_EQ(parse_register_number("02x0.065.765", n), RowFault::kBadNumber);
  EXPECT_EQ(parse_register_number("", n), RowFault::kBadNumber);
  EXPECT_EQ(parse_register_number("2.000.000.339", n), RowFault::kEstablishmentUnit);
  EXPECT_EQ(parse_register_number("2000000339", n), RowFault::kEstablishmentUnit);
}

TEST(RegisterCsv, DatesAreDayMonthYearAndReal) {
  ASSERT_TRUE(parse_register_date("09-08-1960"));
  EXPECT_EQ(*parse_register_date("09-08-1960"), date_from_civil(1960, 8, 9));
  EXPECT_FALSE(parse_register_date("29-02-2023"));
  EXPECT_TRUE(parse_register_date("29-02-2024"));
  EXPECT_FALSE(parse_register_date("00-01-2000"));
  EXPECT_FALSE(parse_register_date("1960-08-09"));
  EXPECT_FALSE(parse_register_date("9-8-1960"));
  EXPECT_FALSE(parse_register_date("09-08-0060"));
  EXPECT_FALSE(parse_register_date(""));
}

TEST(RegisterCsv, EnterpriseRows) {
  RegisterRecord r;
  EnterpriseRow row;
  ASSERT_EQ(split(R"("0200.065.765","AC","000","2","417","","09-08-1960")", r), RowFault::kNone);
  ASSERT_EQ(parse_enterprise_row(r, row), RowFault::kNone);
  EXPECT_TRUE(row.active);
  EXPECT_EQ(row.type_of_enterprise, 2);
  EXPECT_EQ(row.juridical_form, 417);
  ASSERT_EQ(split(R"("0200.065.765","AC","000","1","","","09-08-1960")", r), RowFault::kNone);
  ASSERT_EQ(parse_enterprise_row(r, row), RowFault::kNone);
  EXPECT_EQ(row.juridical_form, 0);
  ASSERT_EQ(split(R"("0200.065.765","AC","000","2","417","")", r), RowFault::kNone);
  EXPECT_EQ(parse_enterprise_row(r, row), RowFault::kWrongColumnCount);
  ASSERT_EQ(split(R"("0200.065.765","AC","000","2","417","","09-08-1960","x")", r), RowFault::kNone);
  EXPECT_EQ(parse_enterprise_row(r, row), RowFault::kWrongColumnCount);
  ASSERT_EQ(split(R"("0200.065.765","AC","000","3","417","","09-08-1960")", r), RowFault::kNone);
  EXPECT_EQ(parse_enterprise_row(r, row), RowFault::kBadField);
  ASSERT_EQ(split(R"("0200.065.765","AC","000","2","41","","09-08-1960")", r), RowFault::kNone);
  EXPECT_EQ(parse_enterprise_row(r, row), RowFault::kBadField);
  ASSERT_EQ(split(R"("0200.065.765","AC","000","2","417","","31-04-1960")", r), RowFault::kNone);
  EXPECT_EQ(parse_enterprise_row(r, row), RowFault::kBadDate);
  ASSERT_EQ(split(R"("0200.065.764","AC","000","2","417","","09-08-1960")", r), RowFault::kNone);
  EXPECT_EQ(parse_enterprise_row(r, row), RowFault::kBadCheckDigits);
}

TEST(RegisterCsv, DenominationRows) {
  RegisterRecord r;
  DenominationRow row;
  ASSERT_EQ(split(R"("0200.065.765","2","001","Wes")", r), RowFault::kNone);
  ASSERT_EQ(parse_denomination_row(r, row), RowFault::kNone);
  EXPECT_EQ(row.language, RegisterLanguage::kDutch);
  EXPECT_EQ(row.type, DenominationType::kLegalName);
  EXPECT_EQ(row.denomination, "Wes");
  ASSERT_EQ(split(R"("0200.065.765","5","001","Wes")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kUnknownLanguage);
  ASSERT_EQ(split(R"("0200.065.765","","001","Wes")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kUnknownLanguage);
  ASSERT_EQ(split(R"("0200.065.765","2","005","Wes")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kUnknownDenominationType);
  ASSERT_EQ(split(R"("0200.065.765","2","1","Wes")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kUnknownDenominationType);
  ASSERT_EQ(split(R"("0200.065.765","2","001","")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kBadDenomination);
  const std::string long_name(limits::denomination_bytes_max + 1, 'x');
  const std::string line = R"("0200.065.765","2","001",")" + long_name + "\"";
  ASSERT_EQ(split(line, r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kBadDenomination);
  // A name is shown in JSON answers, PDFs and on terminals: UTF-8 display text only (an escape
  // sequence cleared the operator's screen, invalid UTF-8 made every answer naming it no JSON).
  for (const std::string& bad : {std::string("Wes\x1b[2J"), std::string("W\x07s"), std::string("Wes\x7f"),
                                 std::string("Wes\xe2\x80\xae"
                                             "evil"),
                                 std::string("Wes\xff\xfe"), std::string("\xed\xa0\x80"), std::string("\xc0\xaf")}) {
    const std::string bad_line = R"("0200.065.765","2","001",")" + bad + "\"";  // the fields are views into it
    ASSERT_EQ(split(bad_line, r), RowFault::kNone) << bad;
    EXPECT_EQ(parse_denomination_row(r, row), RowFault::kBadDenomination) << bad;
  }
  ASSERT_EQ(split(R"("0200.065.765","0","001","Brasserie Élise – Gent")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kNone) << "accented letters and a dash read as they are";
  ASSERT_EQ(split(R"("2.000.000.339","2","001","Wes")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kEstablishmentUnit);
  ASSERT_EQ(split(R"("0200.065.765","2","001")", r), RowFault::kNone);
  EXPECT_EQ(parse_denomination_row(r, row), RowFault::kWrongColumnCount);
}

TEST(RegisterCsv, DeletionRows) {
  RegisterRecord r;
  EnterpriseNumber n;
  ASSERT_EQ(split(R"("0200.065.765")", r), RowFault::kNone);
  EXPECT_EQ(parse_deletion_row(r, n), RowFault::kNone);
  ASSERT_EQ(split(R"("0200.065.765","x")", r), RowFault::kNone);
  EXPECT_EQ(parse_deletion_row(r, n), RowFault::kWrongColumnCount);
}

TEST(RegisterCsv, QuotingRoundTrips) {
  std::string scratch;
  RegisterRecord r;
  const std::string line = quote_register_field(R"(A "B" C)") + "," + quote_register_field("");
  ASSERT_EQ(split_register_record(line, scratch, r), RowFault::kNone);
  EXPECT_EQ(r.fields[0], R"(A "B" C)");
  EXPECT_EQ(r.count, 2u);
}

TEST(RegisterCsv, EveryFaultHasAText) {
  for (size_t i = 0; i < kRowFaultCount; ++i) EXPECT_NE(row_fault_text(static_cast<RowFault>(i)), "unknown");
}

}  // namespace
}  // namespace dimona
