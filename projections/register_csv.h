// The CSV rows of the Crossroads Bank for Enterprises' open-data extract
// (KBO/BCE), parsed into strong types at the edge.
//
// Contract. split_register_record() splits one line of the register's CSV
// (comma separated, fields quoted with '"', a quote inside a quoted field
// doubled) into at most `fields_max` views into `line` or into `scratch` (a
// field holding a doubled quote is unescaped there; `scratch` must outlive
// the views and is reused). A record never spans lines in the register: a
// quote still open at the end of the line is kUnterminatedQuote. The row
// parsers check the column count, then each field: enterprise numbers
// "0200.065.765" (or 10 bare digits) with their mod 97 check
// (parse_enterprise_number), StartDate dd-mm-yyyy, Language 0..4,
// TypeOfDenomination 001..004, a denomination of 1..denomination_bytes_max
// bytes of UTF-8 display text (is_display_text). An establishment unit's number (2.xxx.xxx.xxx) is its own reason, so
// the import can say it skipped it on purpose. A failure is a RowFault: a
// reason from a small fixed set, so that an import counts its skips per
// reason. Pure functions, no allocation beyond `scratch`; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/time.h"
#include "engine/identifiers.h"

namespace dimona {

enum class RowFault : unsigned char {
  kNone = 0,
  kUnterminatedQuote,
  kBadQuoting,  // text after a closing quote, or a quote inside an unquoted field
  kWrongColumnCount,
  kBadNumber,          // not 10 digits in the register's shape
  kBadCheckDigits,     // the shape is right, the mod 97 check is not
  kEstablishmentUnit,  // 2.xxx.xxx.xxx: not an enterprise, skipped on purpose
  kBadDate,
  kUnknownLanguage,
  kUnknownDenominationType,
  kBadDenomination,  // empty, longer than limits::denomination_bytes_max, not UTF-8, or not display text
  kBadField,         // TypeOfEnterprise not 1 or 2, JuridicalForm not 3 digits
  kLineTooLong,      // longer than limits::register_line_bytes_max (counted by the import)
  kDuplicate,        // the same row twice in one extract (counted by the import)
};
inline constexpr size_t kRowFaultCount = static_cast<size_t>(RowFault::kDuplicate) + 1;
std::string_view row_fault_text(RowFault fault);

// The register's languages (Language column).
enum class RegisterLanguage : unsigned char { kUnknown = 0, kFrench = 1, kDutch = 2, kGerman = 3, kEnglish = 4 };
// TypeOfDenomination.
enum class DenominationType : unsigned char { kLegalName = 1, kAbbreviation = 2, kCommercialName = 3, kBranchName = 4 };

struct EnterpriseRow {
  EnterpriseNumber number;
  bool active = false;         // Status "AC"
  uint8_t type_of_enterprise = 0;  // 1 natural person, 2 legal person
  uint16_t juridical_form = 0;     // 0 when empty
  Date start_date;
};

struct DenominationRow {
  EnterpriseNumber number;
  RegisterLanguage language = RegisterLanguage::kUnknown;
  DenominationType type = DenominationType::kLegalName;
  std::string_view denomination;  // into the line or the scratch
};

inline constexpr size_t kRegisterFieldsMax = 8;
struct RegisterRecord {
  std::array<std::string_view, kRegisterFieldsMax> fields{};
  size_t count = 0;  // may exceed kRegisterFieldsMax: then only the first fields are kept
};

// `line` without its line ending (a trailing '\r' is dropped here).
RowFault split_register_record(std::string_view line, std::string& scratch, RegisterRecord& out);

// A number as the register writes it: "0200.065.765", or 10 bare digits.
RowFault parse_register_number(std::string_view text, EnterpriseNumber& out);
// dd-mm-yyyy, from 1800.
std::optional<Date> parse_register_date(std::string_view text);

RowFault parse_enterprise_row(const RegisterRecord& record, EnterpriseRow& out);
RowFault parse_denomination_row(const RegisterRecord& record, DenominationRow& out);
// The one column of enterprise_delete.csv and denomination_delete.csv.
RowFault parse_deletion_row(const RegisterRecord& record, EnterpriseNumber& out);

// The exact headers of the register's files.
inline constexpr std::string_view kEnterpriseHeader =
    R"("EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC","StartDate")";
inline constexpr std::string_view kDenominationHeader = R"("EntityNumber","Language","TypeOfDenomination","Denomination")";
inline constexpr std::string_view kDeletionHeader = R"("EntityNumber")";

// "0200.065.765": the register's way of writing a number.
std::string format_register_number(EnterpriseNumber number);
// Quotes a field the register's way ("" for a quote).
std::string quote_register_field(std::string_view text);

}  // namespace dimona
