#include "engine/identifiers.h"

#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/base/decimal_digits.h"

namespace dimona {
namespace {

std::optional<uint64_t> all_digits(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// The mod 97 rule shared by SSIN, BIS and enterprise numbers: check = 97 - body mod 97.
bool mod97_matches(uint64_t body, uint64_t check) { return 97 - body % 97 == check; }

std::string zero_padded(uint64_t v, int width) {
  char buf[20];
  const char* at = format_padded_digits(v, buf + sizeof buf, width);
  return std::string(at, static_cast<size_t>(buf + sizeof buf - at));
}

struct SsinParts {
  int32_t yy, mm, dd, counter;
  uint64_t body, check;
};

SsinParts split(uint64_t v) {
  const uint64_t body = v / 100;
  return SsinParts{static_cast<int32_t>(body / 10'000'000), static_cast<int32_t>(body / 100'000 % 100),
                   static_cast<int32_t>(body / 1000 % 100), static_cast<int32_t>(body % 1000), body, v % 100};
}

}  // namespace

Result<Ssin> parse_ssin(std::string_view digits, std::optional<Date> today) {
  if (digits.size() != 11) return invalid_argument("an SSIN has 11 digits");
  const std::optional<uint64_t> v = all_digits(digits);
  if (!v) return invalid_argument("an SSIN has only digits");
  const SsinParts p = split(*v);
  int32_t century;
  if (mod97_matches(p.body, p.check)) {
    century = 1900;
  } else if (mod97_matches(2'000'000'000 + p.body, p.check)) {
    century = 2000;
  } else {
    return invalid_argument("the SSIN check digits do not match (mod 97)");
  }
  int32_t month = p.mm;
  if (month >= 40) month -= 40;
  else if (month >= 20) month -= 20;
  if (month > 12 || p.dd > 31) return invalid_argument("the SSIN birth date is not a date");
  const int32_t year = century + p.yy;
  if (month != 0 && p.dd != 0 && !is_valid_civil(year, month, p.dd))
    return invalid_argument("the SSIN birth date is not a date");
  if (p.mm <= 12 && (p.counter == 0 || p.counter == 999))
    return invalid_argument("the SSIN counter 000 and 999 are not used");
  if (today && born_after(Ssin{*v}, *today)) return invalid_argument("the SSIN birth date is in the future");
  return Ssin{*v};
}

bool born_after(Ssin ssin, Date day) {
  const SsinDetails d = details_of(ssin);
  const CivilDate t = civil_from_date(day);
  if (d.birth_year != t.year || d.birth_month == 0) return d.birth_year > t.year;
  if (d.birth_month != t.month || d.birth_day == 0) return d.birth_month > t.month;
  return d.birth_day > t.day;
}

SsinDetails details_of(Ssin ssin) {
  const SsinParts p = split(ssin.value);
  SsinDetails d{};
  d.kind = p.mm >= 20 ? SsinKind::kBis : SsinKind::kNationalRegister;
  d.birth_year = (mod97_matches(p.body, p.check) ? 1900 : 2000) + p.yy;
  d.birth_month = p.mm % 20;
  d.birth_day = p.dd;
  if (p.mm < 20 || p.mm >= 40) d.male = p.counter % 2 == 1;
  return d;
}

std::string format_ssin(Ssin ssin) { return zero_padded(ssin.value, 11); }

std::string mask(Ssin ssin) {
  // SplitMix64 finaliser: a stable, non-reversible-looking tag (not a secret).
  uint64_t z = ssin.value + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  char buf[32];
  std::snprintf(buf, sizeof buf, "ssin#%06llx", static_cast<unsigned long long>(z & 0xffffff));
  return buf;
}

Result<EnterpriseNumber> parse_enterprise_number(std::string_view digits) {
  if (digits.size() != 10 && digits.size() != 9) return invalid_argument("an enterprise number has 10 digits");
  const std::optional<uint64_t> v = all_digits(digits);
  if (!v) return invalid_argument("an enterprise number has only digits");
  if (*v >= 2'000'000'000) return invalid_argument("an enterprise number starts with 0 or 1");
  if (!mod97_matches(*v / 100, *v % 100))
    return invalid_argument("the enterprise number check digits do not match (mod 97)");
  return EnterpriseNumber{*v};
}

std::string format_enterprise_number(EnterpriseNumber number) { return zero_padded(number.value, 10); }

Result<NssoNumber> parse_nsso_number(uint64_t number) {
  const bool provisional = number >= 5'000'000'000 && number <= 5'999'999'999;
  if (provisional ? number < 5'000'000'120 || number > 5'999'999'989
                  : number < 100'006 || number > 199'999'934)
    return invalid_argument("an NSSO employer number is outside its domain");
  const uint64_t radix = number / 100;
  uint64_t check = 96 - (radix * 100) % 97;
  if (check == 0) check = 97;
  if (check != number % 100) return invalid_argument("the NSSO employer number check digits do not match");
  return NssoNumber{number, provisional};
}

bool is_valid_dimona_id(uint64_t id) {
  const uint64_t body = id / 100;
  return body >= kDimonaIdBodyMin && body <= kDimonaIdBodyMax && body % 97 == id % 100;
}

uint64_t dimona_id_from_body(uint64_t body) {
  DIMONA_ASSERT(body >= kDimonaIdBodyMin && body <= kDimonaIdBodyMax);
  return body * 100 + body % 97;
}

Result<PeriodId> parse_period_id(uint64_t id) {
  if (!is_valid_dimona_id(id)) return invalid_argument("a Dimona period id has 12 digits, the last two (first ten) mod 97");
  return PeriodId{id};
}

Result<uint64_t> parse_decimal(std::string_view digits, uint64_t min, uint64_t max) {
  DIMONA_ASSERT(min <= max);
  constexpr size_t kDigitsMax = 20;  // 2^64 - 1 has 20 digits
  if (digits.empty() || digits.size() > kDigitsMax) return invalid_argument("expected 1 to 20 digits");
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return invalid_argument("expected digits only");
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return invalid_argument("out of range");
    v = v * 10 + d;
  }
  if (v < min || v > max) return invalid_argument("out of range");
  return v;
}

namespace {

Result<uint64_t> parse_ledger_id(std::string_view digits) {
  constexpr size_t kIdDigits = 12;
  if (digits.size() != kIdDigits) return invalid_argument("expected 12 digits, the last two the first ten mod 97");
  Result<uint64_t> v = parse_decimal(digits, 0, UINT64_MAX);
  if (!v.is_ok() || !is_valid_dimona_id(*v))
    return invalid_argument("expected 12 digits, the last two the first ten mod 97");
  return *v;
}

}  // namespace

Result<PeriodId> parse_period_id(std::string_view digits) {
  Result<uint64_t> v = parse_ledger_id(digits);
  if (!v.is_ok()) return v.status();
  return PeriodId{*v};
}
Result<DeclarationId> parse_declaration_id(std::string_view digits) {
  Result<uint64_t> v = parse_ledger_id(digits);
  if (!v.is_ok()) return v.status();
  return DeclarationId{*v};
}
Result<RequestId> parse_request_id(std::string_view digits) {
  Result<uint64_t> v = parse_ledger_id(digits);
  if (!v.is_ok()) return v.status();
  return RequestId{*v};
}
Result<TicketNumber> parse_ticket_number(std::string_view digits) {
  Result<uint64_t> v = parse_ledger_id(digits);
  if (!v.is_ok()) return v.status();
  return TicketNumber{*v};
}

}  // namespace dimona
