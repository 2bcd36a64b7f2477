// Declaration: one Dimona REST v2 body (DESIGN.md §3), decoded but not yet judged.
//
// Contract. A Declaration records what the declarant sent, field by field, as
// Field<T>: absent, present and well-formed (valid), or present but outside
// its format (invalid: "2025-02-30", an SSIN with a bad check). Judging
// presence and domains is the job of decide() (decision.h), which turns each
// problem into the glossary's anomaly code; the decoder (declaration_codec.h)
// only refuses what is not a v2 body at all: bad JSON, an unknown field, a
// wrong JSON type, not exactly one of the four kinds. Plain value, no
// pointers into the input; copied as a value (about 500 bytes: the names).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/limits.h"
#include "engine/base/time.h"
#include "engine/identifiers.h"

namespace dimona {

enum class DeclarationKind : unsigned char { kIn, kUpdate, kOut, kCancel };
std::string_view kind_name(DeclarationKind kind);  // "dimonaIn", ...

// Zone 00655. kUnknown is a value the glossary does not list.
enum class WorkerType : unsigned char {
  kUnknown, kA17, kALT, kBCW, kDWD, kEXT, kFLX, kIVT, kO17, kPMP, kQUA, kRTA,
  kS17, kSTG, kSTU, kSTX, kT17, kTEA, kTRI, kOTH,
};
WorkerType parse_worker_type(std::string_view text);
std::string_view worker_type_name(WorkerType type);

// Zone 00046: "124".."999" as their number; "XXX" (other sectors) as 0.
using JointCommission = uint16_t;
inline constexpr JointCommission kJointCommissionOther = 0;
inline constexpr JointCommission kJointCommissionInterim = 322;
inline constexpr JointCommission kJointCommissionHoreca = 302;
std::optional<JointCommission> parse_joint_commission(std::string_view text);
bool is_dimona_joint_commission(JointCommission jc);  // the list allowed in features

template <typename T>
struct Field {
  enum class State : unsigned char { kAbsent, kValid, kInvalid };
  State state = State::kAbsent;
  T value{};

  bool present() const { return state != State::kAbsent; }
  bool valid() const { return state == State::kValid; }
  bool invalid() const { return state == State::kInvalid; }
  void set(T v) { state = State::kValid; value = v; }
  void set_invalid() { state = State::kInvalid; }
  friend bool operator==(const Field&, const Field&) = default;
};

// The indispensable zones of an address block (glossary block 90022) that a declaration gives, one
// bit each (0: none, the block absent or empty). An address that must be given is refused by the
// "-001" (not present) code of each zone missing (decision.h).
enum AddressZone : uint8_t {
  kAddressStreet = 1,        // 00517
  kAddressHouseNumber = 2,   // 00518
  kAddressPostCode = 4,      // 00520
  kAddressMunicipality = 8,  // 00522
  kAddressCountry = 16,      // 00523
};

struct UsingEmployerPart {
  bool present = false;
  Field<EnterpriseNumber> enterprise_number;
  bool has_name = false;  // name (+ address) instead of an enterprise number
  uint64_t name_key = 0;  // named_user_company_key(name) when has_name, else 0
  // The name as sent (unescaped UTF-8), cut by keep_utf8 (the interim views show it).
  std::array<char, limits::user_company_name_bytes_max> name_bytes{};
  uint8_t name_size = 0;
  static_assert(limits::user_company_name_bytes_max <= UINT8_MAX);
  std::string_view name() const { return {name_bytes.data(), name_size}; }
  Field<JointCommission> joint_commission;
  uint8_t address = 0;  // AddressZone bits given
  friend bool operator==(const UsingEmployerPart&, const UsingEmployerPart&) = default;
};

// `s` into `bytes`, cut to its size at a UTF-8 character boundary (never inside a sequence).
template <size_t N>
void keep_utf8(std::string_view s, std::array<char, N>* bytes, uint8_t* size) {
  static_assert(N <= UINT8_MAX);
  size_t n = std::min(s.size(), N);
  if (n < s.size()) {
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] continues a character
  }
  if (n > 0) std::memcpy(bytes->data(), s.data(), n);  // s.data() may be null (a null name)
  *size = static_cast<uint8_t>(n);
}

// worker.familyName / worker.givenName as sent (unescaped UTF-8), cut to
// limits::worker_name_bytes_max at a character boundary; empty when absent.
struct PersonName {
  std::array<char, limits::worker_name_bytes_max> family_bytes{}, given_bytes{};
  uint8_t family_size = 0, given_size = 0;
  static_assert(limits::worker_name_bytes_max <= UINT8_MAX);

  std::string_view family() const { return {family_bytes.data(), family_size}; }
  std::string_view given() const { return {given_bytes.data(), given_size}; }
  bool empty() const { return family_size == 0 && given_size == 0; }
  friend bool operator==(const PersonName&, const PersonName&) = default;
};

// An identity code the decoder accepted in a form other than the canonical
// one (docs/declarations.md "Value types"): worker.gender as the integer 1/2
// (canonical: the string "1"/"2"); a country, nationality or municipality
// code as a string of digits (canonical: the integer). `offset`/`length` are
// the value's bytes in the text decode() read.
struct ValueRewrite {
  uint64_t offset = 0;
  uint32_t length = 0;
  uint32_t value = 0;
  bool quoted = false;  // the canonical form is a string
  friend bool operator==(const ValueRewrite&, const ValueRewrite&) = default;
};
// gender, countryOfBirth, nationality, and a country and a municipality code
// in each of the three addresses (worker, usingEmployer, studentPlaceOfWork).
inline constexpr size_t kValueRewritesMax = 9;

struct Declaration {
  DeclarationKind kind = DeclarationKind::kIn;

  // employer: enterpriseNumber (string of digits) or employerId (NSSO, integer)
  bool has_employer = false;
  Field<EnterpriseNumber> enterprise_number;
  Field<NssoNumber> employer_id;

  // worker: ssin, or an identity (names, birth data) for someone without one
  bool has_worker = false;
  Field<Ssin> ssin;
  bool has_worker_identity = false;
  PersonName name;  // kept for the student's attestation (an accepted declaration names its worker)

  bool has_features = false;
  Field<WorkerType> worker_type;
  Field<JointCommission> joint_commission;

  Field<PeriodId> period_id;  // UPDATE/OUT/CANCEL; on IN only for imports
  Field<Date> start_date;
  Field<Date> end_date;
  Field<uint16_t> start_hour;  // minutes after midnight
  Field<uint16_t> end_hour;
  Field<int64_t> planned_hours;  // as sent: 0 and 1000 are reported, not clipped
  UsingEmployerPart using_employer;
  bool has_student_place_of_work = false;
  bool place_of_work_has_name = false;
  uint8_t place_of_work_address = 0;  // AddressZone bits given

  std::optional<Instant> recorded_at;  // import of history only

  std::array<ValueRewrite, kValueRewritesMax> rewrites{};  // in text order
  uint8_t rewrite_count = 0;

  // Field for field (a test's comparison: the event reader's against the decoder's).
  friend bool operator==(const Declaration&, const Declaration&) = default;
};

// The text decode() read, with every value of d.rewrites written in its
// canonical form: `text` itself when there is nothing to rewrite, else a
// view of *buffer. The Ledger logs this text, so an event carries one form.
std::string_view canonical_text(const Declaration& d, std::string_view text, std::string* buffer);

// An employer as one integer: the enterprise number, or the NSSO number
// tagged with bit 40 (the two number spaces overlap).
uint64_t employer_key(const Declaration& d);
inline constexpr uint64_t kNssoEmployerTag = uint64_t{1} << 40;

// An interim user company given by name and address (no enterprise number) as one integer: a
// 62-bit FNV-1a hash of its name, ASCII letters folded to lower case and runs of blanks to one
// space, edges trimmed (two spellings of one name are one company, two names two), tagged with
// bit 62: above every enterprise number (< 10^10) and never 0. A period's user_company is this
// key or the enterprise number (ledger_state.h). Both decoders (codec.cc, event_reader.cc) set
// UsingEmployerPart::name_key with it, from the name's unescaped bytes.
inline constexpr uint64_t kNamedUserCompanyTag = uint64_t{1} << 62;
uint64_t named_user_company_key(std::string_view name);
inline bool is_named_user_company(uint64_t key) { return (key & kNamedUserCompanyTag) != 0; }

}  // namespace dimona
