// Belgian identifiers: SSIN (national register and BIS numbers), enterprise
// number (KBO/BCE), NSSO employer number (definitive and provisional), Dimona
// period and declaration ids.
//
// Contract. Each identifier is a strong type over its integer value, built
// only by its parse function, which checks length, digits and the mod 97
// check of DOMAIN.md §6 and returns a Result with a one-line reason. No
// reason ever repeats the number itself, so messages can be logged. Values
// are plain, trivially copyable and ordered; format functions give back the
// canonical digits (leading zeros kept). mask() gives the only form of an
// SSIN that may reach a log line. No allocation except in the format
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/base/time.h"

namespace dimona {

// --- SSIN (INSZ / NISS) and BIS ---------------------------------------------
enum class SsinKind : unsigned char { kNationalRegister, kBis };

struct Ssin {
  uint64_t value = 0;  // the 11 digits as an integer (< 10^11)
  friend auto operator<=>(Ssin, Ssin) = default;
};
inline constexpr uint64_t kSsinValueLimit = 100'000'000'000;  // 10^11: no SSIN's value reaches it
// A value a Ssin may hold (not 0: "none"): what a loader of stored bytes checks.
inline constexpr bool is_ssin_value(uint64_t v) { return v != 0 && v < kSsinValueLimit; }

struct SsinDetails {
  SsinKind kind;
  int32_t birth_year;   // 1900..2099
  int32_t birth_month;  // 0 when unknown
  int32_t birth_day;    // 0 when unknown
  std::optional<bool> male;  // unknown for a BIS number attributed without sex
};

// Accepts exactly 11 ASCII digits. `today`, when given, rejects a birth date
// in the future (Belgif); counters 000 and 999 are rejected when the month is
// a real one (<= 12), as Belgif does.
Result<Ssin> parse_ssin(std::string_view digits, std::optional<Date> today = std::nullopt);
SsinDetails details_of(Ssin ssin);  // only for a Ssin from parse_ssin
// Whether the birth date the SSIN says is after `day` (Belgif refuses such a number): an unknown
// month or day (00) is judged by what is known (a year after `day`'s, or its month after). Only
// for a Ssin from parse_ssin.
bool born_after(Ssin ssin, Date day);
std::string format_ssin(Ssin ssin);  // 11 digits
// "ssin:…95#3fa1c2" style: never the number, stable for a given SSIN so log
// lines about one person can be correlated.
std::string mask(Ssin ssin);

// --- Enterprise number (KBO/BCE) ---------------------------------------------
struct EnterpriseNumber {
  uint64_t value = 0;  // 10 digits, first digit 0 or 1
  friend auto operator<=>(EnterpriseNumber, EnterpriseNumber) = default;
};
// Accepts 10 digits, or 9 (an old number, read with a leading 0).
Result<EnterpriseNumber> parse_enterprise_number(std::string_view digits);
std::string format_enterprise_number(EnterpriseNumber number);  // 10 digits

// --- NSSO (ONSS/RSZ) employer number --------------------------------------------
struct NssoNumber {
  uint64_t value = 0;
  bool provisional = false;  // 10 digits 5NNNNNNNCC
  friend auto operator<=>(NssoNumber, NssoNumber) = default;
};
// Definitive: [100006, 199999934] in the glossary, Belgif accepts 197..5999999999
// as a range check only; provisional: [5000000120, 5999999989]. Check
// 96 - (radix * 100 mod 97), 0 read as 97.
Result<NssoNumber> parse_nsso_number(uint64_t number);

// --- Numbers from outside -----------------------------------------------------
// A decimal number as text from outside (a path segment, a query value):
// 1 to 20 ASCII digits, nothing else (no sign, space, '+', NUL), within
// [min, max]; a value wider than 64 bits is refused, never wrapped.
Result<uint64_t> parse_decimal(std::string_view digits, uint64_t min, uint64_t max);

// --- Dimona period and declaration ids, and the ledger's other ids ----------
// 12 digits; the last two are (first ten) mod 97 (DOMAIN.md §1.1, inferred).
// The ledger numbers its actions, data-access requests and career-break
// tickets the same way, so one check serves every id from outside.
struct PeriodId {
  uint64_t value = 0;
  friend auto operator<=>(PeriodId, PeriodId) = default;
};
struct DeclarationId {
  uint64_t value = 0;
  friend auto operator<=>(DeclarationId, DeclarationId) = default;
};
inline constexpr uint64_t kDimonaIdBodyMin = 1'000'000'000;  // 10 digits
inline constexpr uint64_t kDimonaIdBodyMax = 9'999'999'999;
bool is_valid_dimona_id(uint64_t id);
// The 12-digit id whose first ten digits are `body` (kDimonaIdBodyMin..Max).
uint64_t dimona_id_from_body(uint64_t body);
Result<PeriodId> parse_period_id(uint64_t id);

// A data-access request's id and a career-break request's ticket number.
struct RequestId {
  uint64_t value = 0;
  friend auto operator<=>(RequestId, RequestId) = default;
};
struct TicketNumber {
  uint64_t value = 0;
  friend auto operator<=>(TicketNumber, TicketNumber) = default;
};
// The 12-digit text forms (exactly 12 ASCII digits, a valid check): the only
// way an id from outside becomes one of these types, so no look-up is ever
// reached with a value outside 10^11..10^12 (no container sentinel).
Result<PeriodId> parse_period_id(std::string_view digits);
Result<DeclarationId> parse_declaration_id(std::string_view digits);
Result<RequestId> parse_request_id(std::string_view digits);
Result<TicketNumber> parse_ticket_number(std::string_view digits);

}  // namespace dimona
