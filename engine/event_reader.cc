#include "engine/event_reader.h"

#include <array>
#include <bit>
#include <cstring>
#include <span>
#include <type_traits>

#include "engine/base/assert.h"
#include "engine/base/byte_scan.h"
#include "engine/base/limits.h"

namespace dimona {
namespace {

// The lengths the Ledger writes these values in (encode_event, canonical_text), read in place
// when they have them (Scan::fixed).
constexpr size_t kDateBytes = 10;              // 2024-11-17
constexpr size_t kHourBytes = 4;               // 0830
constexpr size_t kInstantBytes = 20;           // 2024-11-17T08:06:03Z
constexpr size_t kSsinBytes = 11;              // 83120965727
constexpr size_t kEnterpriseNumberBytes = 10;  // 0123456749
constexpr size_t kJointCommissionBytes = 3;    // 302

// A cursor over JSON text. Every step checks the bound; `false` means "not
// what the fast path reads", and the caller hands the record to the decoder.
struct Scan {
  const char* p;
  const char* end;
  // A string held a byte of 0x80-0xff: the record's UTF-8 is then checked whole. Outside
  // strings the scanner reads ASCII tokens only, so a record without one is ASCII.
  bool non_ascii = false;
  // The last instant parsed and its text: an event's recordedAt is its declaration's too.
  std::string_view instant_text;
  Instant instant_value;
  event_reader_detail::LastDate* last_date;  // the reader's, across records

  void ws() {  // one compare in the common case: the Ledger writes no whitespace
    while (p < end && static_cast<unsigned char>(*p) <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  bool lit(char c) {
    if (p < end && *p == c) return ++p, true;  // the common case: no whitespace before it
    ws();
    if (p == end || *p != c) return false;
    ++p;
    return true;
  }
  // The first quote, backslash or control byte from `q` on (or `end`), inside a string; a byte
  // of 0x80-0xff on the way sets non_ascii.
  const char* special_from(const char* q) {
    for (q = find_json_special_or_non_ascii(q, end); q != end && static_cast<unsigned char>(*q) >= 0x80;
         q = find_json_special_or_non_ascii(q + 1, end))
      non_ascii = true;
    return q;
  }
  // A string without escapes or control characters, of at most
  // text_field_bytes_max bytes (the decoder's read_string limit).
  bool str(std::string_view* out) {
    if (!lit('"')) return false;
    const char* b = p;
    p = special_from(p);
    if (p == end || *p != '"' || static_cast<size_t>(p - b) > limits::text_field_bytes_max) return false;
    *out = std::string_view(b, static_cast<size_t>(p - b));
    ++p;
    return true;
  }
  // A JSON integer, -?(0|[1-9][0-9]*), of at most replay_integer_digits_max digits
  // (no overflow), not followed by a fraction or an exponent.
  bool integer(int64_t* out, bool allow_negative = true) {
    ws();
    const bool negative = allow_negative && p < end && *p == '-';
    if (negative) ++p;
    const char* b = p;
    uint64_t n = 0;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (end - p >= 2 && digit(p[0]) && !digit(p[1]))  // one digit, the commonest (a version, a quarter)
      n = static_cast<uint64_t>(*p++ - '0');
    else
      p = scan_digits(p, end, limits::replay_integer_digits_max, &n);
    const size_t digits = static_cast<size_t>(p - b);
    if (digits == 0 || (digits > 1 && *b == '0')) return false;
    if (p < end && (digit(*p) || *p == '.' || *p == 'e' || *p == 'E')) return false;  // longer
    *out = negative ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);  // n < 10^18: no overflow
    return true;
  }
  bool unsigned_integer(uint64_t* out) {
    int64_t n = 0;
    if (!integer(&n, /*allow_negative=*/false)) return false;
    *out = static_cast<uint64_t>(n);
    return true;
  }
  // A date, as parse_date() reads it (the text of the last date read is not parsed again).
  std::optional<Date> date(std::string_view text) {
    event_reader_detail::LastDate& last = *last_date;
    if (last.held && text.size() == kDateBytes && std::memcmp(text.data(), last.text, kDateBytes) == 0)
      return last.date;
    const std::optional<Date> d = parse_date(text);
    if (d) {  // 10 bytes: a date parse_date() takes has no other length
      std::memcpy(last.text, text.data(), kDateBytes);
      last.date = *d;
      last.held = true;
    }
    return d;
  }
  // An RFC 3339 instant, as parse_instant() reads it (the same text twice is parsed once, and
  // its day as date() reads one).
  std::optional<Instant> instant(std::string_view text) {
    if (!instant_text.empty() && text == instant_text) return instant_value;
    std::optional<Instant> at;
    if (text.size() >= kInstantBytes)  // the shortest instant, as parse_instant() checks first
      if (const std::optional<Date> day = date(text.substr(0, kDateBytes))) at = parse_instant_on(text, *day);
    if (at) instant_text = text, instant_value = *at;
    return at;
  }
  // The common shape read in place: a string of exactly `n` bytes right at p that `parse`
  // accepts. Every parser given here accepts printable ASCII only, never a quote or a backslash
  // (digits, '-', ':', ...), so an accepted value is the whole string the quote at p[n + 1]
  // ends, as str() would have read it. Else nothing is read, and the caller reads it as any
  // string (whitespace before it, another length, a value the parser refuses).
  template <typename Parse>
  auto fixed(size_t n, Parse&& parse) -> decltype(parse(std::string_view())) {
    if (static_cast<size_t>(end - p) >= n + 2 && p[0] == '"' && p[n + 1] == '"')
      if (auto v = parse(std::string_view(p + 1, n))) return p += n + 2, v;
    return {};
  }
  // A string of 0 to `max` ASCII digits, its value (as str() then a digit check would read it:
  // max < 20, so no wrap-around).
  bool quoted_digits(size_t max, uint64_t* out) {
    ws();
    if (p == end || *p != '"') return false;
    uint64_t n = 0;
    const char* q = scan_digits(p + 1, end, max, &n);
    if (q == end || *q != '"') return false;  // another byte, or a digit past max
    p = q + 1;
    *out = n;
    return true;
  }
  // A JSON number of at most `places` decimal places written without sign or exponent (the
  // Ledger's 0.951, 13105.82, 1), as an integer of its smallest unit (951 thousandths with 3
  // places): the decoder's read_decimal gives the same for each (it rounds the double of such a
  // number times 10^places, which is within a millionth of that integer). Anything else (more
  // places, trailing zeros included, a sign, an exponent, 16 or more digits): false, nothing
  // read that matters, the decoder decides.
  bool decimal(int places, uint64_t* out) {
    constexpr size_t kWholeDigitsMax = 15 - 3;  // with 3 places, 15 digits: exact in a double
    DIMONA_ASSERT(places >= 0 && places <= 3);
    ws();
    const char* b = p;
    uint64_t whole = 0, fraction = 0;
    p = scan_digits(p, end, kWholeDigitsMax, &whole);
    const auto digit_at = [this] { return p < end && *p >= '0' && *p <= '9'; };
    if (p == b || (p - b > 1 && *b == '0') || digit_at()) return false;
    int given = 0;
    if (p < end && *p == '.') {
      const char* f = ++p;
      p = scan_digits(p, end, static_cast<size_t>(places), &fraction);
      given = static_cast<int>(p - f);
      if (given == 0 || digit_at()) return false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) return false;
    uint64_t scale = 1;
    for (int i = 0; i < places; ++i) scale *= 10;
    for (int i = given; i < places; ++i) fraction *= 10;
    *out = whole * scale + fraction;
    return true;
  }
  // An instant given as a string: `out` is empty when it is not one.
  bool quoted_instant(std::optional<Instant>* out) {
    if (auto at = fixed(kInstantBytes, [this](std::string_view t) { return instant(t); })) return *out = at, true;
    std::string_view t;
    if (!str(&t)) return false;
    *out = instant(t);
    return true;
  }
  bool boolean(bool* out) {
    ws();
    if (end - p >= 4 && std::memcmp(p, "true", 4) == 0) return p += 4, *out = true, true;
    if (end - p >= 5 && std::memcmp(p, "false", 5) == 0) return p += 5, *out = false, true;
    return false;
  }
};

// A key as the Ledger writes it, its quotes and colon included (`"name":`, at most 24 bytes),
// as three little-endian words and the masks of its bytes: compared with the record's next 24
// bytes in three loads, where reading it as a string would look for its end byte by byte.
struct KeyPattern {
  std::string_view key;
  size_t bytes = 0;  // key.size() + 3
  uint64_t word[3] = {};
  uint64_t mask[3] = {};
};

constexpr size_t kKeyPatternBytes = 24;

constexpr KeyPattern key_pattern(std::string_view key) {
  KeyPattern k;
  k.key = key;
  k.bytes = key.size() + 3;
  for (size_t i = 0; i < k.bytes; ++i) {
    const char c = i == 0 || i == k.bytes - 2 ? '"' : i == k.bytes - 1 ? ':' : key[i - 1];
    k.word[i / 8] |= uint64_t{static_cast<unsigned char>(c)} << (8 * (i % 8));
    k.mask[i / 8] |= uint64_t{0xff} << (8 * (i % 8));
  }
  return k;
}

// An object's keys from one list as the preprocessor writes it ("street, houseNumber"): the keys
// in that order (OBJECT_KEYS below makes the same list its enum).
constexpr size_t count_keys(std::string_view list) {
  size_t n = 1;
  for (char c : list) n += c == ',';
  return n;
}

template <size_t N>
constexpr std::array<KeyPattern, N> keys_of(std::string_view list) {
  std::array<KeyPattern, N> patterns{};
  for (size_t i = 0; i < N; ++i) {
    const size_t comma = list.find(',');
    std::string_view key = list.substr(0, comma);
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    patterns[i] = key_pattern(key);
    if (patterns[i].bytes > kKeyPatternBytes) throw "a key pattern is at most 24 bytes";  // not a constant: no build
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
  }
  return patterns;
}

uint64_t load_le(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// The key at s.p when its bytes are exactly one of `keys` (`"name":`, nothing between), tried
// from *next on (the order an object's keys are written in) and round: s.p moves past its colon
// and *next past it. Else nullptr, s.p unmoved: the key is read as any string is. The same key
// either way (a pattern holds no escape), so only speed depends on the order.
[[gnu::always_inline]] inline const KeyPattern* known_key(Scan& s, std::span<const KeyPattern> keys, size_t* next) {
  if (s.end - s.p < static_cast<std::ptrdiff_t>(kKeyPatternBytes))
    return nullptr;  // a pattern's quote is its first byte
  const uint64_t w0 = load_le(s.p), w1 = load_le(s.p + 8), w2 = load_le(s.p + 16);
  size_t i = *next;  // keys.size() stands for 0
  for (size_t n = keys.size(); n != 0; --n, ++i) {
    if (i == keys.size()) i = 0;
    const KeyPattern& k = keys[i];
    if ((w0 & k.mask[0]) == k.word[0] && (w1 & k.mask[1]) == k.word[1] && (w2 & k.mask[2]) == k.word[2]) {
      s.p += k.bytes;
      *next = i + 1;
      return &k;
    }
  }
  return nullptr;
}

// The index of `text` among `keys`, or -1: a key read as any string (not exactly as written).
int key_index(std::span<const KeyPattern> keys, std::string_view text) {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i].key == text) return static_cast<int>(i);
  return -1;
}

// Walks an object: `field(key)` reads the value of keys[key] and returns its slot (< 64: a
// slot given twice fails, as the decoder refuses a repeated field), or -1. A key not in `keys`
// fails: it is one the fast path does not read. `keys`: in the order the Ledger writes them.
template <typename Field>
bool object(Scan& s, std::span<const KeyPattern> keys, Field&& field) {
  if (!s.lit('{')) return false;
  if (s.lit('}')) return true;
  uint64_t seen = 0;
  size_t next = 0;
  do {
    int key;
    if (const KeyPattern* known = known_key(s, keys, &next)) {
      key = static_cast<int>(known - keys.data());
    } else {
      std::string_view text;
      if (!s.str(&text) || !s.lit(':') || (key = key_index(keys, text)) < 0) return false;
    }
    const int slot = field(key);
    if (slot < 0 || (seen >> slot & 1) != 0) return false;
    seen |= uint64_t{1} << slot;
  } while (s.lit(','));
  return s.lit('}');
}

// The keys each object reads, in the order the Ledger writes them (encode_event, canonical_text):
// one list gives both the enum a lambda of object() switches on (named as the keys are written)
// and the patterns known_key() matches, so the two cannot disagree.
#define DIMONA_OBJECT_KEYS(space, ...)                                           \
  namespace space {                                                              \
  enum Key : int { __VA_ARGS__ };                                                \
  inline constexpr auto kKeys = keys_of<count_keys(#__VA_ARGS__)>(#__VA_ARGS__); \
  }
DIMONA_OBJECT_KEYS(address_keys, street, houseNumber, boxNumber, postCode, municipality, country)
DIMONA_OBJECT_KEYS(municipality_keys, code, name)
DIMONA_OBJECT_KEYS(employer_keys, employerId, enterpriseNumber)
DIMONA_OBJECT_KEYS(worker_keys, ssin)
DIMONA_OBJECT_KEYS(features_keys, jointCommissionNumber, workerType)
DIMONA_OBJECT_KEYS(using_employer_keys, enterpriseNumber, name, address, jointCommissionNumber)
DIMONA_OBJECT_KEYS(place_of_work_keys, name, address)
DIMONA_OBJECT_KEYS(kind_keys, features, startDate, endDate, startHour, endHour, plannedHoursNumber, periodId,
                   usingEmployer, studentPlaceOfWork)
DIMONA_OBJECT_KEYS(declaration_keys, employer, worker, dimonaIn, dimonaUpdate, dimonaOut, dimonaCancel, recordedAt)
DIMONA_OBJECT_KEYS(action_body_keys, actionId, result, reason, employer, ticket, requestId, messageId, notificationId,
                   forYear, quotaHours, remainingHours, accessCode, codeMonth, validFrom, validUntil, token, scope,
                   expiresAt, familyName, givenName, action)
DIMONA_OBJECT_KEYS(action_object_keys, employer, worker, occupationQuarter, recordedAt)
DIMONA_OBJECT_KEYS(occupation_quarter_keys, year, quarter, fraction, grossWage)
DIMONA_OBJECT_KEYS(anomaly_keys, code, severity)
DIMONA_OBJECT_KEYS(declaration_body_keys, declarationId, periodId, result, anomalies, exceedingHours, inQuotaHours,
                   late, declaration)
DIMONA_OBJECT_KEYS(envelope_keys, eventId, type, schemaVersion, ssin, recordedAt, source, body)
#undef DIMONA_OBJECT_KEYS

// Digits as the decoder reads an identifier given as a string (at most 19: no wrap-around).
bool digits(Scan& s, uint64_t* out) { return s.quoted_digits(19, out); }

// --- The declaration (codec.cc's decode_root_value, for the fields it reads) ---------
// `usual_bytes`: the length the Ledger writes the value in (Scan::fixed), 0 for none.
template <typename T, typename Parse>
bool text_field(Scan& s, Field<T>* out, Parse&& parse, size_t usual_bytes = 0) {
  if (usual_bytes != 0)
    if (auto v = s.fixed(usual_bytes, parse)) return out->set(*v), true;
  std::string_view t;
  if (!s.str(&t)) return false;
  if (auto v = parse(t)) out->set(*v);
  else out->set_invalid();
  return true;
}

std::optional<EnterpriseNumber> enterprise_number(std::string_view t) {
  Result<EnterpriseNumber> n = parse_enterprise_number(t);
  return n.is_ok() ? std::optional(*n) : std::nullopt;
}

std::optional<uint16_t> hour(std::string_view s) {
  auto digit = [&](size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  if (s.size() != 4 || !digit(0) || !digit(1) || !digit(2) || !digit(3)) return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[2] - '0') * 10 + (s[3] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return static_cast<uint16_t>(h * 60 + m);
}

// A code in [min, max] in its canonical form, an integer (a string of digits would be a rewrite).
bool code(Scan& s, int64_t min, int64_t max) {
  int64_t n = 0;
  return s.integer(&n) && n >= min && n <= max;
}

// `zones` gets the AddressZone bits of the zones given (a null value is the decoder's to read).
bool address(Scan& s, uint8_t* zones) {
  std::string_view t;
  uint8_t given = 0;
  const bool ok = object(s, address_keys::kKeys, [&](int key) -> int {
    static constexpr uint8_t kZone[] = {kAddressStreet,   kAddressHouseNumber,  0,
                                        kAddressPostCode, kAddressMunicipality, kAddressCountry};  // by key
    given |= kZone[key];
    switch (key) {
      case address_keys::municipality:
        return object(s, municipality_keys::kKeys,
                      [&](int m) -> int {
                        return (m == municipality_keys::code ? code(s, 10000, 99999) : s.str(&t)) ? m : -1;
                      })
                   ? key
                   : -1;
      case address_keys::country: return code(s, 100, 999) ? key : -1;
      default: return s.str(&t) ? key : -1;  // street, houseNumber, boxNumber, postCode
    }
  });
  *zones = given;
  return ok;
}

bool employer(Scan& s, Declaration* d) {
  d->has_employer = true;
  return object(s, employer_keys::kKeys, [&](int key) -> int {
    if (key == employer_keys::enterpriseNumber)
      return text_field(s, &d->enterprise_number, enterprise_number, kEnterpriseNumberBytes) ? key : -1;
    uint64_t n = 0;
    if (!s.unsigned_integer(&n)) return -1;
    if (Result<NssoNumber> nsso = parse_nsso_number(n); nsso.is_ok())
      d->employer_id.set(*nsso);
    else
      d->employer_id.set_invalid();
    return key;
  });
}

bool worker(Scan& s, Declaration* d) {
  d->has_worker = true;
  // ssin only: an identity (names, birth data) is the decoder's to read.
  return object(s, worker_keys::kKeys, [&](int key) -> int {
    return text_field(
               s, &d->ssin,
               [](std::string_view t) {
                 Result<Ssin> ssin = parse_ssin(t);
                 return ssin.is_ok() ? std::optional(*ssin) : std::nullopt;
               },
               kSsinBytes)
               ? key
               : -1;
  });
}

bool features(Scan& s, Declaration* d) {
  d->has_features = true;
  return object(s, features_keys::kKeys, [&](int key) -> int {
    if (key == features_keys::jointCommissionNumber)
      return text_field(s, &d->joint_commission, parse_joint_commission, kJointCommissionBytes) ? key : -1;
    return text_field(s, &d->worker_type,
                      [](std::string_view t) {
                        const WorkerType type = parse_worker_type(t);
                        return type != WorkerType::kUnknown ? std::optional(type) : std::nullopt;
                      })
               ? key
               : -1;
  });
}

bool using_employer(Scan& s, Declaration* d) {
  UsingEmployerPart& u = d->using_employer;
  u.present = true;
  return object(s, using_employer_keys::kKeys, [&](int key) -> int {
    std::string_view t;
    bool read = false;
    switch (key) {
      case using_employer_keys::enterpriseNumber:
        read = text_field(s, &u.enterprise_number, enterprise_number, kEnterpriseNumberBytes);
        break;
      // s.str() takes a string without escapes only (else the strict decoder reads the event):
      // its bytes are the unescaped name, as codec.cc keys it.
      case using_employer_keys::name:
        if (!s.str(&t)) return -1;
        u.has_name = true;
        u.name_key = named_user_company_key(t);
        keep_utf8(t, &u.name_bytes, &u.name_size);
        return key;
      case using_employer_keys::address: read = address(s, &u.address); break;
      case using_employer_keys::jointCommissionNumber:
        read = text_field(s, &u.joint_commission, parse_joint_commission, kJointCommissionBytes);
        break;
    }
    return read ? key : -1;
  });
}

bool place_of_work(Scan& s, Declaration* d) {
  d->has_student_place_of_work = true;
  return object(s, place_of_work_keys::kKeys, [&](int key) -> int {
    std::string_view t;
    if (key == place_of_work_keys::name) return s.str(&t) ? (d->place_of_work_has_name = true, key) : -1;
    return address(s, &d->place_of_work_address) ? key : -1;
  });
}

// The fields of the four kinds, as codec.cc's KindField (the index is the bit of kAllowed).
enum KindField { kPeriodId, kStartDate, kEndDate, kStartHour, kEndHour, kPlannedHours, kFeatures, kUsingEmployer,
                 kPlaceOfWork };
constexpr unsigned kAllowed[4] = {
    /* in */ 0x1ff,
    /* update */ (1u << kPeriodId) | (1u << kStartDate) | (1u << kEndDate) | (1u << kStartHour) | (1u << kEndHour) |
        (1u << kPlannedHours),
    /* out */ (1u << kPeriodId) | (1u << kEndDate) | (1u << kEndHour),
    /* cancel */ (1u << kPeriodId)};

// The field of each of kind_keys, in their order.
constexpr KindField kKindFieldOf[] = {kFeatures,     kStartDate, kEndDate,       kStartHour,  kEndHour,
                                      kPlannedHours, kPeriodId,  kUsingEmployer, kPlaceOfWork};
static_assert(std::size(kKindFieldOf) == kind_keys::kKeys.size());

bool kind_value(Scan& s, KindField f, Declaration* d) {
  switch (f) {
    case kPeriodId: {
      uint64_t n = 0;
      if (!s.unsigned_integer(&n)) return false;
      if (Result<PeriodId> id = parse_period_id(n); id.is_ok()) d->period_id.set(*id);
      else d->period_id.set_invalid();
      return true;
    }
    case kStartDate:
      return text_field(
          s, &d->start_date, [&s](std::string_view t) { return s.date(t); }, kDateBytes);
    case kEndDate:
      return text_field(
          s, &d->end_date, [&s](std::string_view t) { return s.date(t); }, kDateBytes);
    case kStartHour: return text_field(s, &d->start_hour, hour, kHourBytes);
    case kEndHour: return text_field(s, &d->end_hour, hour, kHourBytes);
    case kPlannedHours: {
      int64_t n = 0;
      if (!s.integer(&n)) return false;
      d->planned_hours.set(n);
      return true;
    }
    case kFeatures: return features(s, d);
    case kUsingEmployer: return using_employer(s, d);
    case kPlaceOfWork: return place_of_work(s, d);
  }
  return false;
}

bool declaration_kind(Scan& s, Declaration* d) {
  const unsigned allowed = kAllowed[static_cast<int>(d->kind)];
  return object(s, kind_keys::kKeys, [&](int key) -> int {
    const KindField f = kKindFieldOf[key];
    return (allowed & (1u << f)) && kind_value(s, f, d) ? key : -1;
  });
}

bool declaration(Scan& s, Declaration* d) {
  int kinds = 0;
  static_assert(
      declaration_keys::dimonaUpdate - declaration_keys::dimonaIn == static_cast<int>(DeclarationKind::kUpdate) &&
      declaration_keys::dimonaOut - declaration_keys::dimonaIn == static_cast<int>(DeclarationKind::kOut) &&
      declaration_keys::dimonaCancel - declaration_keys::dimonaIn == static_cast<int>(DeclarationKind::kCancel));
  const bool read = object(s, declaration_keys::kKeys, [&](int key) -> int {
    switch (key) {
      case declaration_keys::employer: return employer(s, d) ? key : -1;
      case declaration_keys::worker: return worker(s, d) ? key : -1;
      case declaration_keys::recordedAt: return s.quoted_instant(&d->recorded_at) && d->recorded_at ? key : -1;
      default:  // one of the four kinds
        ++kinds;
        d->kind = static_cast<DeclarationKind>(key - declaration_keys::dimonaIn);
        return declaration_kind(s, d) ? key : -1;
    }
  });
  return read && kinds == 1;
}

// --- An action event's body (codec.cc's decode_action_body_field) ----------------------
// Skips an object, strings (escapes allowed) and nested values included; its
// JSON is left to the decoder (decode_action_object), which refuses a bad one.
bool skip_object(Scan& s) {
  if (!s.lit('{')) return false;
  for (int depth = 1; s.p < s.end;) {
    const char c = *s.p++;
    if (static_cast<unsigned char>(c) >= 0x80) s.non_ascii = true;  // refused by the decoder, if not in a string
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return true;
    } else if (c == '"') {
      for (;;) {
        s.p = s.special_from(s.p);
        if (s.p == s.end || static_cast<unsigned char>(*s.p) < 0x20) return false;
        if (*s.p++ == '"') break;
        if (s.p == s.end) return false;  // a backslash ends the record
        ++s.p;                           // the escaped character
      }
    }
  }
  return false;
}

// What the action body's text fields go through (the decoder's checks).
template <typename T, typename Parse>
bool optional_text(Scan& s, T* out, Parse&& parse) {
  std::string_view t;
  if (!s.str(&t)) return false;
  auto v = parse(t);
  if (!v) return false;
  *out = *v;
  return true;
}

// An occupationQuarter action, the commonest (one a worker, employer and quarter), as the
// decoder reads it (codec.cc's decode_action_value: decode_root_value, decode_action_fields,
// then its check_action_parties itself) for the fields it has: the parties as the decoder
// checks them, year 1900-9999, quarter 1-4, fraction 0-1.5 in thousandths,
// grossWage in cents when given. Any other kind, a null, a value out of range: false, and the
// decoder reads the action from the start (its refusal is the event's).
bool occupation_quarter_action(Scan& s, Action* a) {
  Declaration parties;  // the action's envelope, read as a declaration's
  bool quarter_read = false;
  const bool read = object(s, action_object_keys::kKeys, [&](int key) -> int {
    switch (key) {
      case action_object_keys::employer: return employer(s, &parties) ? key : -1;
      case action_object_keys::worker: return worker(s, &parties) ? key : -1;
      case action_object_keys::recordedAt:
        return s.quoted_instant(&parties.recorded_at) && parties.recorded_at ? key : -1;
      default: {             // occupationQuarter
        uint64_t given = 0;  // a bit per field, by key
        const bool fields = object(s, occupation_quarter_keys::kKeys, [&](int f) -> int {
          int64_t n = 0;
          uint64_t units = 0;
          switch (f) {
            case occupation_quarter_keys::year:
              if (!s.integer(&n) || n < 1900 || n > 9999) return -1;
              a->year = static_cast<int32_t>(n);
              break;
            case occupation_quarter_keys::quarter:
              if (!s.integer(&n) || n < 1 || n > 4) return -1;
              a->quarter = static_cast<uint8_t>(n);
              break;
            case occupation_quarter_keys::fraction:
              if (!s.decimal(3, &units) || units > static_cast<uint64_t>(limits::occupation_fraction_max * 1000))
                return -1;
              a->fraction_permille = static_cast<uint16_t>(units);
              break;
            default:  // grossWage
              if (!s.decimal(2, &units) || units > static_cast<uint64_t>(limits::quarterly_gross_wage_euros_max) * 100)
                return -1;
              a->gross_wage_cents = static_cast<int64_t>(units);
          }
          given |= uint64_t{1} << f;
          return f;
        });
        constexpr uint64_t kRequired = 1u << occupation_quarter_keys::year | 1u << occupation_quarter_keys::quarter |
                                       1u << occupation_quarter_keys::fraction;
        if (!fields || (given & kRequired) != kRequired) return -1;
        a->kind = ActionKind::kOccupationQuarter;
        quarter_read = true;
        return key;
      }
    }
  });
  // The decoder's own check of the parties (it sets the action's employer, worker and recordedAt).
  return read && quarter_read && check_action_parties(parties, a).is_ok();
}

bool action_body(Scan& s, ActionBody* b, bool* refused, EventDecoder& decoder, std::string* scratch,
                 uint64_t* objects_decoded) {
  ActionOutcome& o = b->outcome;
  namespace k = action_body_keys;
  return object(s, k::kKeys, [&](int key) -> int {
    std::string_view t;
    int64_t n = 0;
    bool read = false;
    switch (key) {
      case k::actionId: read = digits(s, &o.id); break;
      case k::result:
        if (!s.str(&t) || (t != "A" && t != "B")) return -1;
        *refused = t == "B";
        return key;
      case k::reason: read = s.str(&t) && parse_refusal(t, &o.refusal); break;
      case k::employer: {
        Declaration d;
        if (!employer(s, &d)) return -1;
        o.employer = employer_key(d);
        return key;
      }
      case k::ticket:
      case k::requestId:
      case k::messageId:
      case k::notificationId:  // one subject, however it is named: two of them are a repeated field
        return digits(s, &o.subject) ? static_cast<int>(k::ticket) : -1;
      case k::forYear:
        if (!s.integer(&n)) return -1;
        o.for_year = static_cast<int32_t>(n);
        return key;
      case k::quotaHours:
        if (!s.integer(&n)) return -1;
        o.quota_hours = static_cast<uint32_t>(n);
        return key;
      case k::remainingHours:
        if (!s.integer(&n)) return -1;
        o.remaining_hours = static_cast<uint32_t>(n);
        return key;
      case k::accessCode: read = optional_text(s, &o.access_code, parse_access_code); break;
      case k::codeMonth: {
        if (!s.str(&t) || t.size() != 7) return -1;
        char day[10];
        std::memcpy(day, t.data(), 7);
        std::memcpy(day + 7, "-01", 3);
        const std::optional<Date> first = parse_date(std::string_view(day, 10));
        if (!first) return -1;
        o.code_month = month_index(*first);
        return key;
      }
      case k::validFrom:
      case k::validUntil: read = s.str(&t); break;
      case k::token: read = optional_text(s, &o.token, parse_access_token); break;
      case k::scope: read = s.str(&t) && parse_scope(t, &o.scope); break;
      case k::expiresAt: read = optional_text(s, &o.expires_at, parse_instant); break;
      case k::familyName:
      case k::givenName:
        if (!s.str(&t) || t.size() > limits::worker_name_bytes_max) return -1;
        (key == k::familyName ? o.family_name : o.given_name) = t;
        return key;
      case k::action: {
        s.ws();
        const char* begin = s.p;
        if (Scan fast = s; occupation_quarter_action(fast, &b->action)) {
          s = fast;
          b->raw = std::string_view(begin, static_cast<size_t>(s.p - begin));
          return key;
        }
        b->action = Action{};  // what the fast path set: the decoder starts afresh
        ++*objects_decoded;
        if (!skip_object(s)) return -1;
        b->raw = std::string_view(begin, static_cast<size_t>(s.p - begin));
        scratch->assign(b->raw);
        scratch->append(kJsonPadding, ' ');
        return decoder.decode_action_object(std::string_view(scratch->data(), b->raw.size()), scratch->size(),
                                            &b->action)
                       .is_ok()
                   ? key
                   : -1;
      }
    }
    return read ? key : -1;
  });
}

// --- The event (codec.cc's EventDecoder::decode, for declaration and action events) ---
bool anomalies(Scan& s, Decision* d) {
  if (!s.lit('[')) return false;
  if (s.lit(']')) return true;
  do {
    Anomaly a;
    const bool read = object(s, anomaly_keys::kKeys, [&](int key) -> int {
      std::string_view t;
      if (!s.str(&t)) return -1;
      if (key == anomaly_keys::code) return parse_anomaly_code(t, &a.code) ? key : -1;
      a.blocking = t == "B";
      return key;
    });
    if (!read) return false;
    d->add(a.code, a.blocking);
  } while (s.lit(','));
  return s.lit(']');
}

bool declaration_body(Scan& s, DeclarationBody* b) {
  Decision& d = b->decision;
  namespace k = declaration_body_keys;
  return object(s, k::kKeys, [&](int key) -> int {
    uint64_t n = 0;
    std::string_view t;
    switch (key) {
      case k::declarationId: return digits(s, &b->declaration_id.value) ? key : -1;
      case k::periodId: return digits(s, &d.period_id.value) ? key : -1;
      case k::result:
        if (!s.str(&t) || t.size() != 1) return -1;
        if (t[0] != 'A' && t[0] != 'W' && t[0] != 'B' && t[0] != 'S') return -1;
        d.result = static_cast<ResultCode>(t[0]);
        return key;
      case k::exceedingHours:
        if (!s.unsigned_integer(&n)) return -1;
        d.exceeding_hours = static_cast<uint32_t>(n);
        return key;
      case k::inQuotaHours:
        if (!s.unsigned_integer(&n)) return -1;
        d.in_quota_hours = static_cast<uint32_t>(n);
        d.quota_checked = true;
        return key;
      case k::late: return s.boolean(&d.late) ? key : -1;
      case k::anomalies: return anomalies(s, &d) ? key : -1;
      default: {  // declaration
        s.ws();
        const char* begin = s.p;
        if (!declaration(s, &b->declaration)) return -1;
        b->raw = std::string_view(begin, static_cast<size_t>(s.p - begin));
        return key;
      }
    }
  });
}

// A declaration or action event, or false (a quota definition, or anything the fast path does not read).
// `ascii`: the record holds no byte of 0x80-0xff (else its UTF-8 is for the caller to check).
bool logged_event(std::string_view json, Event* ev, EventDecoder& decoder, std::string* scratch,
                  uint64_t* objects_decoded, event_reader_detail::LastDate* last_date, bool* ascii) {
  Scan s{json.data(), json.data() + json.size(), false, {}, {}, last_date};
  bool has_type = false;
  bool refused = false;  // an action's result is B
  const bool read = object(s, envelope_keys::kKeys, [&](int key) -> int {
    std::string_view t;
    switch (key) {
      case envelope_keys::eventId: return s.str(&t) ? key : -1;
      case envelope_keys::type:
        if (!s.str(&t) || !parse_event_type(t, &ev->type) || ev->type == EventType::kStudentQuotaDefined) return -1;
        has_type = true;
        return key;
      case envelope_keys::schemaVersion: {
        int64_t v = 0;
        if (!s.integer(&v) || v < 1 || v > kEventSchemaVersion) return -1;
        ev->schema_version = static_cast<uint32_t>(v);
        return key;
      }
      case envelope_keys::ssin: return s.quoted_digits(kSsinBytes, &ev->ssin.value) ? key : -1;
      case envelope_keys::recordedAt: {
        std::optional<Instant> at;
        if (!s.quoted_instant(&at) || !at) return -1;
        ev->recorded_at = *at;
        return key;
      }
      case envelope_keys::source: return s.str(&ev->source) ? key : -1;
      default:  // body: its type's
        if (!has_type) return -1;
        if (ev->is_action()) return action_body(s, &ev->action, &refused, decoder, scratch, objects_decoded) ? key : -1;
        return declaration_body(s, &ev->declaration) ? key : -1;
    }
  });
  s.ws();
  *ascii = !s.non_ascii;
  return read && has_type && s.p == s.end && finish_decoded_event(ev, refused).is_ok();
}

}  // namespace

Result<Event> LoggedEventReader::read(std::string_view json) {
  // Filled where it is returned (no copy of the Event), from a default Event's bytes: one
  // memcpy of 1.4 KB, where Event() writes its defaults field by field (~150 stores).
  static const Event kDefault{};
  static_assert(std::is_trivially_copyable_v<Event>);
  Result<Event> event(std::in_place, kDefault);
  bool ascii = false;
  if (json.size() <= limits::event_bytes_max &&
      logged_event(json, &*event, decoder_, &scratch_, &action_objects_decoded_, &last_date_, &ascii) &&
      (ascii || is_valid_utf8(json)))
    return event;
  ++fallbacks_;
  event = decoder_.decode_copy(json);
  return event;
}

}  // namespace dimona
