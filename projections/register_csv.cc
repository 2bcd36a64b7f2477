#include "projections/register_csv.h"

#include "engine/base/display_text.h"
#include "engine/base/limits.h"
#include "engine/base/simdjson_abi.h"  // validate_utf8

namespace dimona {

std::string_view row_fault_text(RowFault fault) {
  switch (fault) {
    case RowFault::kNone: return "ok";
    case RowFault::kUnterminatedQuote: return "unterminated quote";
    case RowFault::kBadQuoting: return "bad quoting";
    case RowFault::kWrongColumnCount: return "wrong column count";
    case RowFault::kBadNumber: return "bad enterprise number";
    case RowFault::kBadCheckDigits: return "bad check digits";
    case RowFault::kEstablishmentUnit: return "establishment unit (not an enterprise)";
    case RowFault::kBadDate: return "bad date";
    case RowFault::kUnknownLanguage: return "unknown language";
    case RowFault::kUnknownDenominationType: return "unknown denomination type";
    case RowFault::kBadDenomination: return "a denomination empty, too long, not UTF-8 or with control characters";
    case RowFault::kBadField: return "bad TypeOfEnterprise or JuridicalForm";
    case RowFault::kLineTooLong: return "line too long";
    case RowFault::kDuplicate: return "duplicate row";
  }
  return "unknown";
}

namespace {

// One quoted field from line[i] == '"'; i ends on the character after the closing quote.
RowFault quoted_field(std::string_view line, size_t& i, std::string& scratch, std::string_view& field) {
  const size_t start = ++i;
  bool doubled = false;
  for (; i < line.size(); ++i) {
    if (line[i] != '"') continue;
    if (i + 1 < line.size() && line[i + 1] == '"') {
      doubled = true;
      ++i;
      continue;
    }
    break;
  }
  if (i >= line.size()) return RowFault::kUnterminatedQuote;
  field = line.substr(start, i - start);
  ++i;  // the closing quote
  if (i < line.size() && line[i] != ',') return RowFault::kBadQuoting;
  if (!doubled) return RowFault::kNone;
  // Unescape into the scratch; the views already taken stay valid because the
  // scratch is reserved to the line's size before the first field.
  const size_t at = scratch.size();
  for (size_t k = 0; k < field.size(); ++k) {
    scratch.push_back(field[k]);
    if (field[k] == '"') ++k;
  }
  field = std::string_view(scratch).substr(at);
  return RowFault::kNone;
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

bool small_number(std::string_view s, unsigned max, unsigned& out) {
  if (!all_digits(s) || s.size() > 4) return false;
  out = 0;
  for (char c : s) out = out * 10 + static_cast<unsigned>(c - '0');
  return out <= max;
}

}  // namespace

RowFault split_register_record(std::string_view line, std::string& scratch, RegisterRecord& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  scratch.clear();
  scratch.reserve(line.size());
  out.count = 0;
  size_t i = 0;
  while (true) {
    std::string_view field;
    if (i < line.size() && line[i] == '"') {
      if (RowFault f = quoted_field(line, i, scratch, field); f != RowFault::kNone) return f;
    } else {
      const size_t end = line.find(',', i);
      field = line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
      if (field.find('"') != std::string_view::npos) return RowFault::kBadQuoting;
      i = end == std::string_view::npos ? line.size() : end;
    }
    if (out.count < kRegisterFieldsMax) out.fields[out.count] = field;
    ++out.count;
    if (i >= line.size()) return RowFault::kNone;
    ++i;  // the comma
    if (i == line.size()) {  // a trailing comma: one more, empty field
      if (out.count < kRegisterFieldsMax) out.fields[out.count] = {};
      ++out.count;
      return RowFault::kNone;
    }
  }
}

RowFault parse_register_number(std::string_view text, EnterpriseNumber& out) {
  char digits[10];
  size_t n = 0;
  if (text.size() == 13 && text[1] == '.' && text[5] == '.' && text[9] == '.' && text[0] >= '2' && text[0] <= '8')
    return RowFault::kEstablishmentUnit;  // d.ddd.ddd.ddd, first digit 2..8
  if (text.size() == 12) {  // dddd.ddd.ddd
    if (text[4] != '.' || text[8] != '.') return RowFault::kBadNumber;
    for (size_t k = 0; k < text.size(); ++k)
      if (k != 4 && k != 8) digits[n++] = text[k];
  } else if (text.size() == 10) {
    for (char c : text) digits[n++] = c;
  } else {
    return RowFault::kBadNumber;
  }
  const std::string_view bare(digits, n);
  if (!all_digits(bare)) return RowFault::kBadNumber;
  if (bare[0] >= '2') return RowFault::kEstablishmentUnit;
  
  Result<EnterpriseNumber> parsed = parse_enterprise_number(bare);
  if (!parsed) return RowFault::kBadCheckDigits;
  out = *parsed;
  return RowFault::kNone;
}

std::optional<Date> parse_register_date(std::string_view text) {
  if (text.size() != 10 || text[2] != '-' || text[5] != '-') return std::nullopt;
  unsigned day = 0, month = 0, year = 0;
  if (!small_number(text.substr(0, 2), 31, day) || !small_number(text.substr(3, 2), 12, month) ||
      !small_number(text.substr(6, 4), 9999, year))
    return std::nullopt;
  const auto y = static_cast<int32_t>(year), m = static_cast<int32_t>(month), d = static_cast<int32_t>(day);
  if (y < 1800 || !is_valid_civil(y, m, d)) return std::nullopt;
  return date_from_civil(y, m, d);
}

RowFault parse_enterprise_row(const RegisterRecord& record, EnterpriseRow& out) {
  if (record.count != 7) return RowFault::kWrongColumnCount;
  const auto& f = record.fields;
  if (RowFault fault = parse_register_number(f[0], out.number); fault != RowFault::kNone) return fault;
  out.active = f[1] == "AC";
  unsigned type = 0, form = 0;
  if (f[3].size() != 1 || !small_number(f[3], 2, type) || type == 0) return RowFault::kBadField;
  if (!f[4].empty() && (f[4].size() != 3 || !small_number(f[4], 999, form))) return RowFault::kBadField;
  out.type_of_enterprise = static_cast<uint8_t>(type);
  out.juridical_form = static_cast<uint16_t>(form);
  std::optional<Date> start = parse_register_date(f[6]);
  if (!start) return RowFault::kBadDate;
  out.start_date = *start;
  return RowFault::kNone;
}

RowFault parse_denomination_row(const RegisterRecord& record, DenominationRow& out) {
  if (record.count != 4) return RowFault::kWrongColumnCount;
  const auto& f = record.fields;
  if (RowFault fault = parse_register_number(f[0], out.number); fault != RowFault::kNone) return fault;
  unsigned language = 0, type = 0;
  if (!small_number(f[1], 4, language) || f[1].size() != 1) return RowFault::kUnknownLanguage;
  if (f[2].size() != 3 || !small_number(f[2], 4, type) || type == 0) return RowFault::kUnknownDenominationType;
  // A name is shown in answers, PDFs and on terminals: UTF-8 (a JSON answer naming it must stay
  // JSON) and display text (no escape sequence, NUL, line break or bidi override in it).
  if (f[3].empty() || f[3].size() > limits::denomination_bytes_max ||
      !simdjson::validate_utf8(f[3].data(), f[3].size()) || !is_display_text(f[3]))
    return RowFault::kBadDenomination;
  out.language = static_cast<RegisterLanguage>(language);
  out.type = static_cast<DenominationType>(type);
  out.denomination = f[3];
  return RowFault::kNone;
}

RowFault parse_deletion_row(const RegisterRecord& record, EnterpriseNumber& out) {
  if (record.count != 1) return RowFault::kWrongColumnCount;
  return parse_register_number(record.fields[0], out);
}

std::string format_register_number(EnterpriseNumber number) {
  const std::string d = format_enterprise_number(number);
  return d.substr(0, 4) + "." + d.substr(4, 3) + "." + d.substr(7, 3);
}

std::string quote_register_field(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

}  // namespace dimona
