// The only translation unit of the engine that includes simdjson.
#include "engine/codec.h"

#include "engine/base/simdjson_abi.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/base/byte_scan.h"
#include "engine/base/display_text.h"
#include "engine/base/hex.h"
#include "engine/base/limits.h"
#include "engine/quota_schedule.h"

namespace dimona {

static_assert(kJsonPadding == simdjson::SIMDJSON_PADDING, "codec.h must state simdjson's padding");

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// A field path for error messages, built only when an error is reported.
struct Path {
  const Path* parent;
  std::string_view name;

  std::string str() const {
    std::string s = parent ? parent->str() : std::string();
    if (!s.empty()) s += '.';
    s += name;
    return s;
  }
};

Status field_error(const Path& path, std::string_view reason) {
  return invalid_argument("field " + path.str() + ": " + std::string(reason));
}

Status json_error(const Path* path, error_code e) {
  const std::string at = path ? path->str() : std::string();
  const std::string where = at.empty() ? std::string() : " in " + at;  // the root has no name to give
  return invalid_argument("invalid JSON" + where + ": " + simdjson::error_message(e));
}

// Whether a key could name a field (1 to 64 ASCII letters, as every field of the v2 body): only
// such a key is repeated back in an error. Any other (digits, an SSIN sent as a key) is the
// body's content, which no error repeats; it is called kNotAFieldName there.
bool named_field(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (const char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}
constexpr std::string_view kNotAFieldName = "(a key that is no field name)";

// Iterates the fields of an object, calling handle(key, value, path) for each.
// A repeated key is refused. `seen` tracks up to 64 distinct known keys by
// the index that handle reports through the `Handled` result.
template <typename Handler>
Status for_each_field(od::value value, const Path& path, Handler&& handle) {
  od::object object;
  if (auto e = value.get_object().get(object); e) {
    if (e == simdjson::INCORRECT_TYPE) return field_error(path, "expected an object");
    return json_error(&path, e);
  }
  uint64_t seen = 0;
  for (auto field : object) {
    // Keys are read in place: the v2 body's keys never hold an escape, so a
    // key is the bytes up to its closing quote; one with a backslash is
    // unescaped the slow way (and then matches no known field).
    od::raw_json_string raw_key;
    if (auto e = field.key().get(raw_key); e) return json_error(&path, e);
    const char* key_begin = raw_key.raw();
    const char* key_end = static_cast<const char*>(std::memchr(key_begin, '"', limits::text_field_bytes_max));
    if (key_end == nullptr) return field_error(path, "key too long");
    std::string_view key(key_begin, static_cast<size_t>(key_end - key_begin));
    if (std::memchr(key_begin, '\\', key.size()) != nullptr) key = "(escaped key)";
    od::value v;
    if (auto e = field.value().get(v); e) return json_error(&path, e);
    const Path child{&path, key};
    int index = -1;
    DIMONA_TRY(handle(key, v, child, &index));
    if (index < 0) return field_error(named_field(key) ? child : Path{&path, kNotAFieldName}, "unknown field");
    DIMONA_ASSERT(index < 64);
    if (seen & (uint64_t{1} << index)) return field_error(child, "repeated field");
    seen |= uint64_t{1} << index;
  }
  return Status::ok();
}

bool is_null(od::value& v) {
  bool null = false;
  return !v.is_null().get(null) && null;
}

// Reads a string; `*present` is false for null.
// The typed read comes first (the common case); null, meaning absent, is
// checked only when the type did not match.
Status read_string(od::value& v, const Path& path, std::string_view* out, bool* present) {
  if (auto e = v.get_string().get(*out); e) {
    *present = false;
    if (e == simdjson::INCORRECT_TYPE) return is_null(v) ? Status::ok() : field_error(path, "expected a string");
    return json_error(&path, e);
  }
  if (out->size() > limits::text_field_bytes_max) return field_error(path, "text too long");
  *present = true;
  return Status::ok();
}

Status read_int(od::value& v, const Path& path, int64_t* out, bool* present) {
  if (auto e = v.get_int64().get(*out); e) {
    *present = false;
    if (e == simdjson::INCORRECT_TYPE && is_null(v)) return Status::ok();
    if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR) return field_error(path, "expected an integer");
    if (e == simdjson::NUMBER_OUT_OF_RANGE) return field_error(path, "integer out of range");
    return json_error(&path, e);
  }
  *present = true;
  return Status::ok();
}

Status read_uint(od::value& v, const Path& path, uint64_t* out, bool* present) {
  if (auto e = v.get_uint64().get(*out); e) {
    *present = false;
    if (e == simdjson::INCORRECT_TYPE && is_null(v)) return Status::ok();
    if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_ERROR) return field_error(path, "expected a non-negative integer");
    if (e == simdjson::NUMBER_OUT_OF_RANGE) return field_error(path, "integer out of range");
    return json_error(&path, e);
  }
  *present = true;
  return Status::ok();
}

// A string we only check for type (names, streets, ...).
Status skip_text(od::value& v, const Path& path) {
  std::string_view s;
  bool present;
  return read_string(v, path, &s, &present);
}

Status read_date(od::value& v, const Path& path, Field<Date>* out) {
  std::string_view s;
  bool present;
  DIMONA_TRY(read_string(v, path, &s, &present));
  if (!present) return Status::ok();
  if (auto d = parse_date(s)) out->set(*d);
  else out->set_invalid();
  return Status::ok();
}

Status read_hour(od::value& v, const Path& path, Field<uint16_t>* out) {
  std::string_view s;
  bool present;
  DIMONA_TRY(read_string(v, path, &s, &present));
  if (!present) return Status::ok();
  auto digit = [&](size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  if (s.size() == 4 && digit(0) && digit(1) && digit(2) && digit(3)) {
    const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[2] - '0') * 10 + (s[3] - '0');
    if (h <= 23 && m <= 59) {
      out->set(static_cast<uint16_t>(h * 60 + m));
      return Status::ok();
    }
  }
  out->set_invalid();
  return Status::ok();
}

Status read_enterprise_number(od::value& v, const Path& path, Field<EnterpriseNumber>* out) {
  std::string_view s;
  bool present;
  DIMONA_TRY(read_string(v, path, &s, &present));
  if (!present) return Status::ok();
  if (auto n = parse_enterprise_number(s); n.is_ok()) out->set(*n);
  else out->set_invalid();
  return Status::ok();
}

Status read_joint_commission(od::value& v, const Path& path, Field<JointCommission>* out) {
  std::string_view s;
  bool present;
  DIMONA_TRY(read_string(v, path, &s, &present));
  if (!present) return Status::ok();
  if (auto jc = parse_joint_commission(s)) out->set(*jc);
  else out->set_invalid();
  return Status::ok();
}

Status read_period_id(od::value& v, const Path& path, Field<PeriodId>* out) {
  uint64_t n;
  bool present;
  DIMONA_TRY(read_uint(v, path, &n, &present));
  if (!present) return Status::ok();
  if (auto id = parse_period_id(n); id.is_ok()) out->set(*id);
  else out->set_invalid();
  return Status::ok();
}

// Identity codes (docs/declarations.md "Value types"): payroll clients send
// them as integers or as strings of digits. The value's token is read as
// JSON text so both forms take one path; a form other than the canonical one
// is noted in d->rewrites (its absolute position, rebased by the entry points).
enum class CodeForm : unsigned char { kAbsent, kInteger, kDigits, kOther };

CodeForm read_code(od::value& v, std::string_view* token, uint32_t* out) {
  std::string_view t = v.raw_json_token();
  while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) t.remove_suffix(1);
  *token = t;
  if (t == "null") return CodeForm::kAbsent;
  const bool quoted = t.size() >= 2 && t.front() == '"' && t.back() == '"';
  const std::string_view digits = quoted ? t.substr(1, t.size() - 2) : t;
  if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0')) return CodeForm::kOther;
  uint32_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return CodeForm::kOther;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = n;
  return quoted ? CodeForm::kDigits : CodeForm::kInteger;
}

// A body has at most kValueRewritesMax code fields; more means a repeated
// field or block, which for_each_field refuses right after this read.
Status note_rewrite(const Path& p, Declaration* d, std::string_view token, uint32_t value, bool quoted) {
  if (d->rewrite_count == kValueRewritesMax) return field_error(p, "repeated field");
  d->rewrites[d->rewrite_count++] =
      ValueRewrite{reinterpret_cast<uintptr_t>(token.data()), static_cast<uint32_t>(token.size()), value, quoted};
  return Status::ok();
}

// A code in [min, max], canonical as an integer (country, nationality, municipality).
Status read_numeric_code(od::value& v, const Path& p, uint32_t min, uint32_t max, std::string_view what, Declaration* d) {
  std::string_view token;
  uint32_t n = 0;
  const CodeForm form = read_code(v, &token, &n);
  if (form == CodeForm::kAbsent) return Status::ok();
  if (form == CodeForm::kOther || n < min || n > max)
    return field_error(p, "expected " + std::string(what) + ", as an integer or a string of digits");
  if (form == CodeForm::kDigits) return note_rewrite(p, d, token, n, /*quoted=*/false);
  return Status::ok();
}

Status read_country(od::value& v, const Path& p, Declaration* d) {
  return read_numeric_code(v, p, 100, 999, "a country code (3 digits, 150 = Belgium)", d);
}

// Zone 00029: 1 = male, 2 = female; canonical as the string "1"/"2".
Status read_gender(od::value& v, const Path& p, Declaration* d) {
  std::string_view token;
  uint32_t n = 0;
  const CodeForm form = read_code(v, &token, &n);
  if (form == CodeForm::kAbsent) return Status::ok();
  if (form == CodeForm::kOther || (n != 1 && n != 2))
    return field_error(p, "expected 1 (male) or 2 (female), as an integer or a string");
  d->has_worker_identity = true;
  if (form == CodeForm::kInteger) return note_rewrite(p, d, token, n, /*quoted=*/true);
  return Status::ok();
}

Status decode_municipality(od::value& v, const Path& path, Declaration* d) {
  if (is_null(v)) return Status::ok();
  return for_each_field(v, path, [d](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    if (k == "code") return *i = 0, read_numeric_code(f, p, 10000, 99999, "a municipality code (5-digit NIS code)", d);
    if (k == "name") return *i = 1, skip_text(f, p);
    return Status::ok();
  });
}

// `zones` (null: not kept) gets the AddressZone bits of the zones given (not null).
Status decode_address(od::value& v, const Path& path, Declaration* d, uint8_t* zones = nullptr) {
  if (is_null(v)) return Status::ok();
  uint8_t given = 0;
  Status s = for_each_field(v, path, [d, &given](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    auto zone = [&given, &f](uint8_t bit) {
      if (!is_null(f)) given |= bit;
    };
    if (k == "street") return *i = 0, zone(kAddressStreet), skip_text(f, p);
    if (k == "houseNumber") return *i = 1, zone(kAddressHouseNumber), skip_text(f, p);
    if (k == "boxNumber") return *i = 2, skip_text(f, p);
    if (k == "postCode") return *i = 3, zone(kAddressPostCode), skip_text(f, p);
    if (k == "municipality") return *i = 4, zone(kAddressMunicipality), decode_municipality(f, p, d);
    if (k == "country") return *i = 5, zone(kAddressCountry), read_country(f, p, d);
    return Status::ok();
  });
  if (zones) *zones = given;
  return s;
}

// Positions noted while decoding become offsets into the text that starts at `base`.
void rebase_rewrites(Declaration* d, const char* base) {
  for (uint8_t i = 0; i < d->rewrite_count; ++i) {
    DIMONA_ASSERT(d->rewrites[i].offset >= reinterpret_cast<uintptr_t>(base));
    d->rewrites[i].offset -= reinterpret_cast<uintptr_t>(base);
  }
}

Status decode_employer(od::value& v, const Path& path, Declaration* d) {
  d->has_employer = true;
  return for_each_field(v, path, [d](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    if (k == "enterpriseNumber") return *i = 0, read_enterprise_number(f, p, &d->enterprise_number);
    if (k == "employerId") {
      *i = 1;
      uint64_t n;
      bool present;
      DIMONA_TRY(read_uint(f, p, &n, &present));
      if (!present) return Status::ok();
      if (auto nsso = parse_nsso_number(n); nsso.is_ok()) d->employer_id.set(*nsso);
      else d->employer_id.set_invalid();
      return Status::ok();
    }
    return Status::ok();
  });
}

Status decode_worker(od::value& v, const Path& path, Declaration* d) {
  d->has_worker = true;
  return for_each_field(v, path, [d](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    if (k == "ssin") {
      *i = 0;
      std::string_view s;
      bool present;
      DIMONA_TRY(read_string(f, p, &s, &present));
      if (!present) return Status::ok();
      if (auto ssin = parse_ssin(s); ssin.is_ok()) d->ssin.set(*ssin);
      else d->ssin.set_invalid();
      return Status::ok();
    }
    if (k == "familyName" || k == "givenName") {
      *i = k == "familyName" ? 1 : 2;
      d->has_worker_identity = true;
      std::string_view s;
      bool present = false;
      DIMONA_TRY(read_string(f, p, &s, &present));
      if (*i == 1)
        keep_utf8(s, &d->name.family_bytes, &d->name.family_size);
      else
        keep_utf8(s, &d->name.given_bytes, &d->name.given_size);
      return Status::ok();
    }
    static constexpr std::string_view kTexts[] = {"familyName", "givenName", "birthDate", "placeOfBirth"};
    for (int t = 2; t < 4; ++t) {
      if (k == kTexts[t]) return *i = 1 + t, d->has_worker_identity = true, skip_text(f, p);
    }
    if (k == "gender") return *i = 5, read_gender(f, p, d);
    if (k == "countryOfBirth") return *i = 6, read_country(f, p, d);
    if (k == "nationality") return *i = 7, read_country(f, p, d);
    if (k == "address") return *i = 8, decode_address(f, p, d);
    return Status::ok();
  });
}

Status decode_features(od::value& v, const Path& path, Declaration* d) {
  d->has_features = true;
  return for_each_field(v, path, [d](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    if (k == "jointCommissionNumber") return *i = 0, read_joint_commission(f, p, &d->joint_commission);
    if (k == "workerType") {
      *i = 1;
      std::string_view s;
      bool present;
      DIMONA_TRY(read_string(f, p, &s, &present));
      if (!present) return Status::ok();
      if (WorkerType t = parse_worker_type(s); t != WorkerType::kUnknown) d->worker_type.set(t);
      else d->worker_type.set_invalid();
      return Status::ok();
    }
    return Status::ok();
  });
}

Status decode_using_employer(od::value& v, const Path& path, Declaration* d) {
  UsingEmployerPart& u = d->using_employer;
  u.present = true;
  return for_each_field(v, path, [&u, d](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    if (k == "enterpriseNumber") return *i = 0, read_enterprise_number(f, p, &u.enterprise_number);
    if (k == "name") {
      *i = 1;
      std::string_view s;
      DIMONA_TRY(read_string(f, p, &s, &u.has_name));
      if (u.has_name) {
        u.name_key = named_user_company_key(s);
        keep_utf8(s, &u.name_bytes, &u.name_size);
      }
      return Status::ok();
    }
    if (k == "address") return *i = 2, decode_address(f, p, d, &u.address);
    if (k == "jointCommissionNumber") return *i = 3, read_joint_commission(f, p, &u.joint_commission);
    return Status::ok();
  });
}

Status decode_place_of_work(od::value& v, const Path& path, Declaration* d) {
  d->has_student_place_of_work = true;
  return for_each_field(v, path, [d](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    if (k == "name") {
      *i = 0;
      std::string_view name;
      return read_string(f, p, &name, &d->place_of_work_has_name);
    }
    if (k == "address") return *i = 1, decode_address(f, p, d, &d->place_of_work_address);
    return Status::ok();
  });
}

// The fields of the four kinds; each kind allows a subset (kAllowed below).
enum KindField { kPeriodId, kStartDate, kEndDate, kStartHour, kEndHour, kPlannedHours, kFeatures,
                 kUsingEmployer, kPlaceOfWork, kKindFieldCount };
constexpr std::string_view kKindFieldNames[kKindFieldCount] = {
    "periodId", "startDate", "endDate", "startHour", "endHour", "plannedHoursNumber", "features",
    "usingEmployer", "studentPlaceOfWork"};
constexpr unsigned kAllowed[4] = {
    /* in */ 0x1ff,
    /* update */ (1u << kPeriodId) | (1u << kStartDate) | (1u << kEndDate) | (1u << kStartHour) |
        (1u << kEndHour) | (1u << kPlannedHours),
    /* out */ (1u << kPeriodId) | (1u << kEndDate) | (1u << kEndHour),
    /* cancel */ (1u << kPeriodId)};

Status decode_kind_field(int which, od::value& f, const Path& p, Declaration* d) {
  switch (which) {
    case kPeriodId: return read_period_id(f, p, &d->period_id);
    case kStartDate: return read_date(f, p, &d->start_date);
    case kEndDate: return read_date(f, p, &d->end_date);
    case kStartHour: return read_hour(f, p, &d->start_hour);
    case kEndHour: return read_hour(f, p, &d->end_hour);
    case kPlannedHours: {
      // An integer above int64's range but within uint64's is as far outside zone 01135's domain
      // as 1000 is: decided (01135-003) like 9223372036854775807, not refused as malformed.
      // Beyond 64 bits is "integer out of range" (malformed): no JSON reader of the log need
      // hold it (simdjson's DOM refuses it).
      int64_t n;
      bool present;
      if (uint64_t wide = 0;
          f.get_int64().get(n) != simdjson::SUCCESS && f.get_uint64().get(wide) == simdjson::SUCCESS) {
        d->planned_hours.set(INT64_MAX);
        return Status::ok();
      }
      DIMONA_TRY(read_int(f, p, &n, &present));
      if (present) d->planned_hours.set(n);
      return Status::ok();
    }
    case kFeatures: return decode_features(f, p, d);
    case kUsingEmployer: return decode_using_employer(f, p, d);
    case kPlaceOfWork: return decode_place_of_work(f, p, d);
  }
  DIMONA_ASSERT(false);
}

Status decode_kind(od::value& v, const Path& path, Declaration* d) {
  const unsigned allowed = kAllowed[static_cast<int>(d->kind)];
  return for_each_field(v, path, [d, allowed](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    for (int which = 0; which < kKindFieldCount; ++which) {
      if (k != kKindFieldNames[which] || !(allowed & (1u << which))) continue;
      *i = which;
      return decode_kind_field(which, f, p, d);
    }
    return Status::ok();
  });
}

constexpr std::string_view kKindNames[4] = {"dimonaIn", "dimonaUpdate", "dimonaOut", "dimonaCancel"};

// --- Actions (docs/actions.md) ---------------------------------------------------
// The fields of every action kind; kActionFields says which kind takes which
// (allowed) and which it needs (required); kParties which envelope parts.
enum ActionField {
  kAfYear,
  kAfQuarter,
  kAfFraction,
  kAfScope,
  kAfChannel,
  kAfToken,
  kAfRequestId,
  kAfTicket,
  kAfNotificationId,
  kAfPensionedAsOf,
  kAfContactName,
  kAfEmail,
  kAfPhone,
  kAfSector,
  kAfAccepts,
  kAfLeaveKind,
  kAfStartDate,
  kAfEndDate,
  kAfRegimeBefore,
  kAfRegimeDuring,
  kAfMultiple,
  kAfFileName,
  kAfDecision,
  kAfGrossWage,
  kAfMessageId,
  kAfRole,
  kAfAuditor,
  kAfFrom,
  kAfTo,
  kAfWorkerType,
  kAfAgency,
  kAfUserCompany,
  kActionFieldCount
};
constexpr std::string_view kActionFieldNames[kActionFieldCount] = {
    "year",          "quarter",      "fraction",
    "scope",         "channel",      "token",
    "requestId",     "ticket",       "notificationId",
    "pensionedAsOf", "contactName",  "email",
    "phone",         "sector",       "acceptsNotifications",
    "leaveKind",     "startDate",    "endDate",
    "regimeBefore",  "regimeDuring", "multipleEmployers",
    "fileName",      "decision",     "grossWage",
    "messageId",     "role",         "auditor",
    "from",          "to",           "workerType",
    "agency",        "userCompany"};

constexpr uint64_t bit(ActionField f) { return uint64_t{1} << f; }
static_assert(kActionFieldCount <= 64);
enum Party : unsigned char { kForbidden, kOptional, kRequired };
struct ActionShape {
  uint64_t allowed;
  uint64_t required;
  Party employer;
  Party worker;
};
constexpr uint64_t kBreakFields = bit(kAfLeaveKind) | bit(kAfFraction) | bit(kAfStartDate) | bit(kAfEndDate);
constexpr ActionShape kActionShapes[kActionKindCount] = {
    /* attestationRequest */ {bit(kAfYear), bit(kAfYear), kForbidden, kRequired},
    /* dataAccessRequest */
    {bit(kAfScope) | bit(kAfChannel) | bit(kAfRequestId) | bit(kAfToken), bit(kAfScope) | bit(kAfChannel), kRequired,
     kForbidden},
    /* dataAccessGrant */ {bit(kAfToken), bit(kAfToken), kForbidden, kRequired},
    /* dataAccessRefusal */ {bit(kAfToken), bit(kAfToken), kForbidden, kRequired},
    /* dataAccessRevocation */ {bit(kAfRequestId), bit(kAfRequestId), kForbidden, kRequired},
    /* occupationQuarter */
    {bit(kAfYear) | bit(kAfQuarter) | bit(kAfFraction) | bit(kAfGrossWage),
     bit(kAfYear) | bit(kAfQuarter) | bit(kAfFraction), kRequired, kRequired},
    /* pensionStatus */ {bit(kAfPensionedAsOf), bit(kAfPensionedAsOf), kForbidden, kRequired},
    /* employerSettings */
    {bit(kAfContactName) | bit(kAfEmail) | bit(kAfPhone) | bit(kAfSector) | bit(kAfAccepts),
     bit(kAfContactName) | bit(kAfEmail) | bit(kAfPhone) | bit(kAfAccepts), kRequired, kForbidden},
    /* careerBreakRequest */
    {kBreakFields | bit(kAfRegimeBefore) | bit(kAfRegimeDuring) | bit(kAfMultiple) | bit(kAfTicket),
     kBreakFields | bit(kAfRegimeBefore) | bit(kAfRegimeDuring), kRequired, kRequired},
    /* careerBreakEmployeePart */ {bit(kAfTicket), bit(kAfTicket), kOptional, kRequired},
    /* careerBreakCancellation */ {bit(kAfTicket), bit(kAfTicket), kRequired, kOptional},
    /* careerBreakEndDate */ {bit(kAfTicket) | bit(kAfEndDate), bit(kAfTicket) | bit(kAfEndDate), kRequired, kOptional},
    /* careerBreakAttachment */
    {bit(kAfTicket) | bit(kAfNotificationId) | bit(kAfFileName), bit(kAfFileName), kRequired, kOptional},
    /* onemDecision */ {bit(kAfTicket) | bit(kAfDecision), bit(kAfTicket) | bit(kAfDecision), kForbidden, kOptional},
    /* careerBreakNotification */
    {kBreakFields | bit(kAfNotificationId), kBreakFields & ~bit(kAfEndDate), kRequired, kRequired},
    /* careerBreakPostponement */
    {bit(kAfNotificationId) | bit(kAfStartDate), bit(kAfNotificationId) | bit(kAfStartDate), kRequired, kOptional},
    /* careerBreakNotificationRefusal */ {bit(kAfNotificationId), bit(kAfNotificationId), kRequired, kOptional},
    /* careerBreakNotificationValidation */ {bit(kAfNotificationId), bit(kAfNotificationId), kRequired, kOptional},
    /* inboxArchive */ {bit(kAfMessageId), bit(kAfMessageId), kForbidden, kRequired},
    /* dataConsultation: scope and channel are its own (a view's name; auditor, accessCode, consent) */
    {bit(kAfRole) | bit(kAfScope) | bit(kAfChannel) | bit(kAfAuditor), bit(kAfRole) | bit(kAfScope) | bit(kAfChannel),
     kOptional, kRequired},
    /* interimOverviewSend: channel EBOX | EMAIL, email for EMAIL (check_overview_send), the read's filters */
    {bit(kAfChannel) | bit(kAfEmail) | bit(kAfFrom) | bit(kAfTo) | bit(kAfWorkerType) | bit(kAfAgency) |
         bit(kAfUserCompany),
     bit(kAfChannel), kForbidden, kRequired},
};

// A required string from a list of names.
template <typename E>
Status read_choice(od::value& v, const Path& p, bool (*parse)(std::string_view, E*), E* out) {
  std::string_view s;
  bool present = false;
  DIMONA_TRY(read_string(v, p, &s, &present));
  if (!present || !parse(s, out)) return field_error(p, "not one of the allowed values");
  return Status::ok();
}

Status read_required_date(od::value& v, const Path& p, Date* out) {
  Field<Date> d;
  DIMONA_TRY(read_date(v, p, &d));
  if (!d.valid()) return field_error(p, "expected a date YYYY-MM-DD");
  *out = d.value;
  return Status::ok();
}

// A 12-digit ledger id as a string of digits, with its mod 97 check.
Status read_action_id(od::value& v, const Path& p, uint64_t* out) {
  std::string_view s;
  bool present = false;
  DIMONA_TRY(read_string(v, p, &s, &present));
  uint64_t n = 0;
  bool digits = present && s.size() == 12;
  for (char c : s) {
    digits = digits && c >= '0' && c <= '9';
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!digits || !is_valid_dimona_id(n)) return field_error(p, "expected 12 digits, the last two the first ten mod 97");
  *out = n;
  return Status::ok();
}

// The decimal places a JSON number's text really has: its fraction's digits
// without trailing zeros, less its exponent (1.50e1 has none, 1e-4 has 4);
// 0 for any zero. Saturates far from any limit (1e-400: 400). The text is a
// number simdjson accepted, so its grammar holds.
int64_t decimal_places(std::string_view t) {
  size_t at = t.empty() || t[0] != '-' ? 0 : 1;
  // The digits' trailing zeros, across the point, are no places: 0.8000, 80e-2 and 8000e-4 are 0.8.
  int64_t fraction_digits = 0, trailing_zeros = 0;
  bool nonzero = false;
  const auto digit = [&](char c) {
    if (c == '0') return void(++trailing_zeros);
    trailing_zeros = 0;
    nonzero = true;
  };
  for (; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) digit(t[at]);
  if (at < t.size() && t[at] == '.') {
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) {
      ++fraction_digits;
      digit(t[at]);
    }
  }
  if (!nonzero) return 0;
  int64_t exponent = 0;
  if (at < t.size() && (t[at] == 'e' || t[at] == 'E')) {
    const bool negative = ++at < t.size() && t[at] == '-';
    if (at < t.size() && (t[at] == '-' || t[at] == '+')) ++at;
    for (; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) exponent = std::min<int64_t>(exponent * 10 + (t[at] - '0'), 1'000'000);
    if (negative) exponent = -exponent;
  }
  return std::max<int64_t>(fraction_digits - trailing_zeros - exponent, 0);
}

// A number in [0, max] with at most `decimals` decimal places, as an integer
// of its smallest unit (a fraction of a full-time job in thousandths; euros in
// cents). The places are counted on the number as written, so a value that
// rounds or underflows to an allowed one as a double (1e-400, 0.0001) is refused.
template <typename Integer>
Status read_decimal(od::value& v, const Path& p, double max, int decimals, Integer* out) {
  std::string_view text = v.raw_json_token();
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' || text.back() == '\t'))
    text.remove_suffix(1);
  double x = 0;
  if (v.get_double().get(x)) return field_error(p, "expected a number");
  if (!(x >= 0 && x <= max)) return field_error(p, "out of range");
  if (decimal_places(text) > decimals) return field_error(p, "at most " + std::to_string(decimals) + " decimals");
  *out = static_cast<Integer>(std::llround(x * std::pow(10.0, decimals)));
  return Status::ok();
}

// A fraction of a full-time job: a number in [0, max] with at most 3 decimals, in thousandths.
Status read_permille(od::value& v, const Path& p, double max, uint16_t* out) { return read_decimal(v, p, max, 3, out); }

// Euros with at most 2 decimals, 0..limits::quarterly_gross_wage_euros_max, as cents.
Status read_cents(od::value& v, const Path& p, std::optional<int64_t>* out) {
  int64_t cents = 0;
  DIMONA_TRY(read_decimal(v, p, static_cast<double>(limits::quarterly_gross_wage_euros_max), 2, &cents));
  *out = cents;
  return Status::ok();
}

Status read_bool(od::value& v, const Path& p, bool* out) {
  if (v.get_bool().get(*out)) return field_error(p, "expected a boolean");
  return Status::ok();
}

// An action's free text (a contact, a file name, a scope): shown to people and written to
// their screens and logs, so display text only (engine/base/display_text.h: no C0, DEL or C1
// control, no bidirectional formatting character).
Status read_text(od::value& v, const Path& p, std::string_view* out) {
  bool present = false;
  DIMONA_TRY(read_string(v, p, out, &present));
  if (!present || out->empty()) return field_error(p, "expected a non-empty string");
  if (!is_display_text(*out)) return field_error(p, "control characters are not allowed");
  return Status::ok();
}

// Fields a kind may leave out; null means left out, as in a declaration.
constexpr uint64_t kNullableFields =
    bit(kAfSector) | bit(kAfEndDate) | bit(kAfMultiple) | bit(kAfPensionedAsOf) | bit(kAfGrossWage);

Status decode_action_field(ActionField f, od::value& v, const Path& p, Action* a) {
  int64_t n = 0;
  bool present = false;
  if ((kNullableFields & bit(f)) && is_null(v)) return Status::ok();
  switch (f) {
    case kAfYear:
      DIMONA_TRY(read_int(v, p, &n, &present));
      if (!present || n < 1900 || n > 9999) return field_error(p, "expected a year");
      a->year = static_cast<int32_t>(n);
      return Status::ok();
    case kAfQuarter:
      DIMONA_TRY(read_int(v, p, &n, &present));
      if (!present || n < 1 || n > 4) return field_error(p, "expected 1, 2, 3 or 4");
      a->quarter = static_cast<uint8_t>(n);
      return Status::ok();
    case kAfFraction:
      if (a->kind == ActionKind::kOccupationQuarter)
        return read_permille(v, p, limits::occupation_fraction_max, &a->fraction_permille);
      return read_choice(v, p, parse_break_fraction, &a->break_fraction);
    case kAfScope:
      if (a->kind == ActionKind::kDataConsultation) {
        DIMONA_TRY(read_text(v, p, &a->consulted_scope));
        if (!is_consultation_scope(a->consulted_scope)) return field_error(p, "expected a view's name ([A-Za-z0-9:_-], at most 64)");
        return Status::ok();
      }
      return read_choice(v, p, parse_scope, &a->scope);
    case kAfChannel:
      if (a->kind == ActionKind::kDataConsultation) return read_choice(v, p, parse_consultation_channel, &a->consultation_channel);
      if (a->kind == ActionKind::kInterimOverviewSend) return read_choice(v, p, parse_delivery_channel, &a->delivery);
      return read_choice(v, p, parse_channel, &a->channel);
    case kAfRole: return read_choice(v, p, parse_consultation_role, &a->role);
    case kAfAuditor: {
      DIMONA_TRY(read_string(v, p, &a->auditor, &present));
      if (!present) return field_error(p, "expected a string");
      return Status::ok();
    }
    case kAfToken: {
      std::string_view s;
      DIMONA_TRY(read_string(v, p, &s, &present));
      auto token = present ? parse_access_token(s) : std::nullopt;
      if (!token) return field_error(p, "expected 20 characters of Crockford base32");
      a->token = *token;
      return Status::ok();
    }
    case kAfRequestId:
    case kAfTicket: return read_action_id(v, p, &a->id);
    case kAfNotificationId:
      a->to_notification = true;
      return read_action_id(v, p, &a->id);
    case kAfPensionedAsOf: {
      if (is_null(v)) return Status::ok();
      Date d;
      DIMONA_TRY(read_required_date(v, p, &d));
      a->pensioned_as_of = d;
      return Status::ok();
    }
    case kAfContactName: return read_text(v, p, &a->contact_name);
    case kAfEmail:
      if (a->kind == ActionKind::kInterimOverviewSend) {
        DIMONA_TRY(read_string(v, p, &a->delivery_email, &present));
        if (!present || !is_email_address(a->delivery_email)) return field_error(p, "expected an e-mail address");
        return Status::ok();
      }
      return read_text(v, p, &a->email);
    case kAfFrom:
    case kAfTo: {
      Date d;
      DIMONA_TRY(read_required_date(v, p, &d));
      (f == kAfFrom ? a->from : a->to) = d;
      return Status::ok();
    }
    case kAfWorkerType: {
      std::string_view s;
      DIMONA_TRY(read_string(v, p, &s, &present));
      a->worker_type = present ? parse_worker_type(s) : WorkerType::kUnknown;
      if (a->worker_type == WorkerType::kUnknown) return field_error(p, "not a Dimona worker type");
      return Status::ok();
    }
    case kAfAgency: {
      std::string_view s;
      DIMONA_TRY(read_string(v, p, &s, &present));
      Result<EnterpriseNumber> number = present ? parse_enterprise_number(s) : invalid_argument("expected a string");
      if (!number.is_ok()) return field_error(p, number.status().message());
      a->agency = number->value;
      return Status::ok();
    }
    case kAfUserCompany: {
      std::string_view s;
      DIMONA_TRY(read_string(v, p, &s, &present));
      Result<uint64_t> key = present ? parse_user_company(s) : invalid_argument("expected a string");
      if (!key.is_ok())
        return field_error(p, "expected an enterprise number or the name the user company was declared with");
      a->user_company = *key;
      if (is_named_user_company(*key)) a->user_company_name = s;
      return Status::ok();
    }
    case kAfPhone: return read_text(v, p, &a->phone);
    case kAfSector: return read_text(v, p, &a->sector);
    case kAfAccepts: return read_bool(v, p, &a->accepts_notifications);
    case kAfGrossWage: return read_cents(v, p, &a->gross_wage_cents);
    case kAfMessageId: return read_action_id(v, p, &a->id);
    case kAfLeaveKind: return read_choice(v, p, parse_leave_kind, &a->leave_kind);
    case kAfStartDate: return read_required_date(v, p, &a->start_date);
    case kAfEndDate: {
      Date d;
      DIMONA_TRY(read_required_date(v, p, &d));
      a->end_date = d;
      return Status::ok();
    }
    case kAfRegimeBefore: return read_permille(v, p, 1.0, &a->regime_before_permille);
    case kAfRegimeDuring: return read_permille(v, p, 1.0, &a->regime_during_permille);
    case kAfMultiple: return read_bool(v, p, &a->multiple_employers);
    case kAfFileName: return read_text(v, p, &a->file_name);
    case kAfDecision: return read_choice(v, p, parse_onem_decision, &a->decision);
    case kActionFieldCount: break;
  }
  DIMONA_ASSERT(false);
  return Status::ok();
}

Status decode_action_fields(od::value& v, const Path& path, Action* a) {
  const ActionShape& shape = kActionShapes[static_cast<size_t>(a->kind)];
  uint64_t seen = 0;
  DIMONA_TRY(for_each_field(v, path, [a, &shape, &seen](std::string_view k, od::value& f, const Path& p, int* i) {
    for (int which = 0; which < kActionFieldCount; ++which) {
      const ActionField field = static_cast<ActionField>(which);
      if (k != kActionFieldNames[which] || !(shape.allowed & bit(field))) continue;
      *i = which;
      seen |= bit(field);
      return decode_action_field(static_cast<ActionField>(which), f, p, a);
    }
    return Status::ok();
  }));
  for (int which = 0; which < kActionFieldCount; ++which) {
    const ActionField field = static_cast<ActionField>(which);
    if ((shape.required & bit(field)) && !(seen & bit(field)))
      return field_error(Path{&path, kActionFieldNames[which]}, "required");
  }
  if (a->kind == ActionKind::kCareerBreakAttachment &&
      ((seen & bit(kAfTicket)) != 0) == ((seen & bit(kAfNotificationId)) != 0))
    return field_error(path, "exactly one of ticket, notificationId is required");
  if (a->kind == ActionKind::kInterimOverviewSend) {
    // An address exactly when it goes by e-mail; a window that ends before it starts is no window.
    if ((a->delivery == DeliveryChannel::kEmail) != ((seen & bit(kAfEmail)) != 0))
      return field_error(Path{&path, "email"}, "required for channel EMAIL, and only for it");
    if (a->from && a->to && *a->to < *a->from) return field_error(Path{&path, "to"}, "before from");
  }
  return Status::ok();
}

// dataConsultation: an employer or agency names itself (the envelope's
// employer) and reads through an access code or a consent; an auditor names
// no employer, may name its token's subject, and reads as an auditor.
Status check_consultation(const Action& a) {
  const Path root{nullptr, ""};
  const Path body{&root, "dataConsultation"};
  const bool auditor = a.role == ConsultationRole::kAuditor;
  if (auditor && a.employer != 0) return field_error(Path{&root, "employer"}, "not taken for an auditor");
  if (!auditor && a.employer == 0) return field_error(Path{&root, "employer"}, "required for an employer or agency");
  if (!auditor && !a.auditor.empty()) return field_error(Path{&body, "auditor"}, "an auditor's only");
  if (auditor != (a.consultation_channel == ConsultationChannel::kAuditor))
    return field_error(Path{&body, "channel"}, "an auditor reads as auditor, an employer by accessCode or consent");
  return Status::ok();
}

}  // namespace

Status check_action_parties(const Declaration& envelope, Action* a) {
  const ActionShape& shape = kActionShapes[static_cast<size_t>(a->kind)];
  const Path root{nullptr, ""};
  const Path employer{&root, "employer"}, worker{&root, "worker"};
  if (envelope.has_employer) {
    if (shape.employer == kForbidden) return field_error(employer, "not taken by " + std::string(action_key(a->kind)));
    if (envelope.enterprise_number.invalid() || envelope.employer_id.invalid() ||
        envelope.enterprise_number.valid() == envelope.employer_id.valid())
      return field_error(employer, "expected one valid enterpriseNumber or employerId");
    a->employer = employer_key(envelope);
  } else if (shape.employer == kRequired) {
    return field_error(employer, "required");
  }
  if (envelope.has_worker) {
    if (shape.worker == kForbidden) return field_error(worker, "not taken by " + std::string(action_key(a->kind)));
    if (!envelope.ssin.valid()) return field_error(Path{&worker, "ssin"}, "expected a valid SSIN");
    if (envelope.has_worker_identity) return field_error(worker, "an action takes the ssin only");
    a->worker = envelope.ssin.value;
  } else if (shape.worker == kRequired) {
    return field_error(worker, "required");
  }
  a->recorded_at = envelope.recorded_at;
  if (a->kind == ActionKind::kDataConsultation) return check_consultation(*a);
  return Status::ok();
}

namespace {

// What the root object of an input line turned out to be.
struct RootTarget {
  Declaration* declaration;
  Action* action;  // null: actions are not accepted here
  int kinds = 0;
  bool is_action = false;
};

Status decode_root_field(std::string_view k, od::value& f, const Path& p, int* index, RootTarget* t) {
  Declaration* d = t->declaration;
  if (k == "employer") return *index = 0, decode_employer(f, p, d);
  if (k == "worker") return *index = 1, decode_worker(f, p, d);
  if (k == "recordedAt") {
    *index = 2;
    std::string_view s;
    bool present;
    DIMONA_TRY(read_string(f, p, &s, &present));
    if (!present) return Status::ok();
    d->recorded_at = parse_instant(s);
    if (!d->recorded_at) return field_error(p, "expected an RFC 3339 instant");
    return Status::ok();
  }
  for (int kind = 0; kind < 4; ++kind) {
    if (k != kKindNames[kind]) continue;
    *index = 3 + kind;
    ++t->kinds;
    d->kind = static_cast<DeclarationKind>(kind);
    return decode_kind(f, p, d);
  }
  ActionKind action;
  if (t->action != nullptr && parse_action_key(k, &action)) {
    *index = 7 + static_cast<int>(action);
    ++t->kinds;
    t->is_action = true;
    t->action->kind = action;
    return decode_action_fields(f, p, t->action);
  }
  return Status::ok();
}

// Decodes the object `v` (the document root or a nested value): a
// declaration, or, when `action` is given, a declaration or an action.
Status decode_root_value(od::value v, Declaration* d, Action* action, bool* is_action) {
  const Path root{nullptr, ""};
  RootTarget target{d, action};
  DIMONA_TRY(for_each_field(v, root, [&target](std::string_view k, od::value& f, const Path& p, int* i) {
    return decode_root_field(k, f, p, i, &target);
  }));
  if (target.kinds != 1) {
    if (action != nullptr)
      return invalid_argument("exactly one of dimonaIn, dimonaUpdate, dimonaOut, dimonaCancel or an action is required");
    return invalid_argument("exactly one of dimonaIn, dimonaUpdate, dimonaOut, dimonaCancel is required");
  }
  if (is_action) *is_action = target.is_action;
  if (target.is_action) return check_action_parties(*d, action);
  return Status::ok();
}

Status decode_declaration_value(od::value v, Declaration* d) { return decode_root_value(v, d, nullptr, nullptr); }

Status decode_action_value(od::value v, Action* a) {
  Declaration envelope;
  bool is_action = false;
  DIMONA_TRY(decode_root_value(v, &envelope, a, &is_action));
  if (!is_action) return invalid_argument("expected an action");
  return Status::ok();
}

// A UTF-8 byte order mark: JSON text has none (RFC 8259 8.1); a file saved with one is named so.
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr std::string_view kByteOrderMarkError = "the text begins with a byte order mark: save it as UTF-8 without one";

// --- Display text at the edge ------------------------------------------------------------

// The code point of the 4 hex digits at `p` (a JSON "backslash u XXXX" escape's), or -1.
int32_t hex4(const char* p, const char* end) {
  if (end - p < 4) return -1;
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = hex_value(p[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Every string of an input line, keys and values, as is_display_text wants it, read in the JSON
// text itself so that escaped characters count too (a line break, a NUL, a right-to-left
// override): a name, an address or a free text is shown to people and written to their screens,
// logs and PDFs. Checked where a line comes in (DeclarationDecoder), not where the log is read
// back, so events logged before the check stay readable. The text was decoded first, so it is
// well-formed JSON; the error names the field (when its key is a field name), never the value.
Status check_display_strings(std::string_view json) {
  const char* p = json.data();
  const char* const end = p + json.size();
  if (find_escape_or_not_printable_ascii(p, end) == end) return Status::ok();  // most lines: printable ASCII
  std::string_view key;
  // The keys of the objects the scan is in, outermost first (the root's is empty): between two
  // strings only structure, so the braces there are the objects' ends. A key's value that is an
  // object (or an array of them) is entered under that key.
  std::vector<std::string_view> parents;
  while (true) {
    const char* const gap = p;
    p = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
    if (!p) return Status::ok();
    for (const char* g = gap; g < p; ++g) {
      if (*g == '{') parents.push_back(key);
      if (*g == '}' && !parents.empty()) parents.pop_back();
    }
    const char* const begin = ++p;
    bool display = true;
    while (p < end && *p != '"') {
      const char* q = find_json_special(p, end);
      if (!is_display_text(std::string_view(p, static_cast<size_t>(q - p)))) display = false;
      if (q == end || *q == '"') {
        p = q;
      } else if (*q != '\\') {  // a control byte as it is
        display = false;
        p = q + 1;
      } else if (q + 1 < end && q[1] == 'u') {
        const int32_t code_point = hex4(q + 2, end);
        if (code_point < 0 || !is_display_code_point(static_cast<uint32_t>(code_point))) display = false;
        p = std::min(q + 2, end);
      } else {
        if (q + 1 < end && q[1] != '"' && q[1] != '\\' && q[1] != '/') display = false;  // b, f, n, r, t
        p = std::min(q + 2, end);
      }
    }
    if (p == end) return Status::ok();
    const std::string_view text(begin, static_cast<size_t>(p - begin));
    ++p;
    const char* next = p;
    while (next < end && (*next == ' ' || *next == '\t' || *next == '\n' || *next == '\r')) ++next;
    const bool is_key = next < end && *next == ':';
    if (!display && is_key) return invalid_argument("a key: control characters are not allowed");
    if (!display) {
      if (!named_field(key))
        return invalid_argument("field " + std::string(kNotAFieldName) + ": control characters are not allowed");
      std::string name;  // the dotted path, as field_error names a field (worker.familyName)
      for (const std::string_view parent : parents)
        if (named_field(parent)) name.append(parent).push_back('.');
      name.append(key);
      return invalid_argument("field " + name + ": control characters are not allowed");
    }
    if (is_key) key = text;
  }
}

}  // namespace

bool is_valid_utf8(std::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

Result<uint64_t> parse_user_company(std::string_view text) {
  const bool number = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == ' ';
  });
  if (number) {
    std::string digits;
    for (char c : text)
      if (c >= '0' && c <= '9') digits.push_back(c);
    Result<EnterpriseNumber> n = parse_enterprise_number(digits);
    DIMONA_TRY(n);
    return n->value;
  }
  if (text.find_first_not_of(" \t") == std::string_view::npos)
    return invalid_argument("expected an enterprise number or the name the user company was declared with");
  if (text.size() > limits::text_field_bytes_max)
    return invalid_argument("a user company's name has at most " + std::to_string(limits::text_field_bytes_max) +
                            " bytes");
  if (!is_valid_utf8(text)) return invalid_argument("a user company's name must be UTF-8");
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return invalid_argument("a user company's name has no control character");
  return named_user_company_key(text);
}

Status refuse_server_internal(const Command& c) {
  if (!c.is_action || !is_server_internal(c.action.kind)) return Status::ok();
  return invalid_argument("field " + std::string(action_key(c.action.kind)) +
                          ": written by the ledger itself as it answers a read, never taken from outside");
}

// --- DeclarationDecoder -----------------------------------------------------------
struct DeclarationDecoder::Impl {
  od::parser parser{limits::declaration_bytes_max};
};

DeclarationDecoder::DeclarationDecoder() : impl_(std::make_unique<Impl>()) {}
DeclarationDecoder::~DeclarationDecoder() = default;

namespace {

// What the two ways in say of a whole input that is not one JSON object.
struct TopLevelWords {
  const char* too_long;
  const char* not_an_object;
  const char* trailing;
};

// The checks every input gets around its own fields' (decode_root): its size, no byte order
// mark, one JSON object and nothing after it, and every string display text.
template <typename DecodeRoot>
Status decode_top_level(od::parser& parser, std::string_view json, size_t capacity, const TopLevelWords& words,
                        DecodeRoot decode_root) {
  DIMONA_ASSERT(capacity >= json.size() + kJsonPadding);
  if (json.size() > limits::declaration_bytes_max) return invalid_argument(words.too_long);
  if (json.starts_with(kByteOrderMark)) return invalid_argument(std::string(kByteOrderMarkError));
  od::document doc;
  if (auto e = parser.iterate(json.data(), json.size(), capacity).get(doc); e) return json_error(nullptr, e);
  od::value root;
  if (auto e = doc.get_value().get(root); e)
    return e == simdjson::SCALAR_DOCUMENT_AS_VALUE ? invalid_argument(words.not_an_object) : json_error(nullptr, e);
  if (Status s = decode_root(root); !s.is_ok()) {
    if (s.message().rfind("field :", 0) == 0) return invalid_argument(words.not_an_object);
    return s;
  }
  // simdjson leaves content after the root object alone: at the end, the
  // iterator reports OUT_OF_BOUNDS, anything else is trailing content.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return invalid_argument(words.trailing);
  return check_display_strings(json);
}

}  // namespace

Result<Declaration> DeclarationDecoder::decode(std::string_view json, size_t capacity) {
  Declaration d;
  DIMONA_TRY(decode_top_level(impl_->parser, json, capacity,
                              {"declaration longer than 64 KiB", "the declaration must be a JSON object",
                               "invalid JSON: trailing content after the declaration"},
                              [&](od::value& root) {
                                DIMONA_TRY(decode_declaration_value(root, &d));
                                rebase_rewrites(&d, json.data());
                                return Status::ok();
                              }));
  return d;
}

Result<Command> DeclarationDecoder::decode_command(std::string_view json, size_t capacity) {
  Command c;
  DIMONA_TRY(decode_top_level(impl_->parser, json, capacity,
                              {"line longer than 64 KiB", "a declaration or an action must be a JSON object",
                               "invalid JSON: trailing content after the object"},
                              [&](od::value& root) {
                                DIMONA_TRY(decode_root_value(root, &c.declaration, &c.action, &c.is_action));
                                rebase_rewrites(&c.declaration, json.data());
                                return Status::ok();
                              }));
  return c;
}

// --- EventDecoder -------------------------------------------------------------------
struct EventDecoder::Impl {
  od::parser parser{limits::event_bytes_max};
};

EventDecoder::EventDecoder() : impl_(std::make_unique<Impl>()) {}
EventDecoder::~EventDecoder() = default;

namespace {

// The span of the object `f` in the line, from its '{' to its '}', after it was consumed by `decode`.
template <typename Decode>
Status decode_verbatim(od::value& f, const Path& p, std::string_view* raw, Decode&& decode) {
  const char* begin = nullptr;
  if (auto e = f.current_location().get(begin); e) return json_error(&p, e);
  DIMONA_TRY(decode(f));
  const char* end = nullptr;
  if (auto e = f.current_location().get(end); e) return json_error(&p, e);
  while (end > begin && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r' || end[-1] == '\t')) --end;
  if (*begin != '{' || end[-1] != '}') return field_error(p, "expected an object");
  *raw = std::string_view(begin, static_cast<size_t>(end - begin));
  return Status::ok();
}

Status decode_decision_field(std::string_view k, od::value& f, const Path& p, int* i, DeclarationBody* b) {
  Decision& d = b->decision;
  uint64_t n = 0;
  bool present = false;
  std::string_view s;
  if (k == "declarationId" || k == "periodId") {
    *i = k == "declarationId" ? 0 : 1;
    DIMONA_TRY(read_string(f, p, &s, &present));
    for (char c : s) n = n * 10 + static_cast<uint64_t>(c - '0');
    if (*i == 0) b->declaration_id.value = n;
    else d.period_id.value = n;
    return Status::ok();
  }
  if (k == "result") {
    *i = 2;
    DIMONA_TRY(read_string(f, p, &s, &present));
    if (s.size() != 1 || (s[0] != 'A' && s[0] != 'W' && s[0] != 'B' && s[0] != 'S'))
      return field_error(p, "expected A, W, B or S");
    d.result = static_cast<ResultCode>(s[0]);
    return Status::ok();
  }
  if (k == "exceedingHours" || k == "inQuotaHours") {
    *i = k == "exceedingHours" ? 3 : 4;
    DIMONA_TRY(read_uint(f, p, &n, &present));
    (*i == 3 ? d.exceeding_hours : d.in_quota_hours) = static_cast<uint32_t>(n);
    if (*i == 4) d.quota_checked = present;
    return Status::ok();
  }
  if (k == "late") {
    *i = 5;
    bool late = false;
    if (f.get_bool().get(late)) return field_error(p, "expected a boolean");
    d.late = late;
    return Status::ok();
  }
  if (k == "anomalies") {
    *i = 6;
    od::array array;
    if (f.get_array().get(array)) return field_error(p, "expected an array");
    for (auto element : array) {
      od::value a;
      if (auto e = element.get(a); e) return json_error(&p, e);
      Anomaly anomaly;
      DIMONA_TRY(for_each_field(a, p, [&anomaly](std::string_view ak, od::value& af, const Path& ap, int* ai) -> Status {
        std::string_view text;
        bool has = false;
        if (ak == "code") {
          *ai = 0;
          DIMONA_TRY(read_string(af, ap, &text, &has));
          if (!parse_anomaly_code(text, &anomaly.code)) return field_error(ap, "expected ZZZZZ-NNN");
          return Status::ok();
        }
        if (ak == "severity") {
          *ai = 1;
          DIMONA_TRY(read_string(af, ap, &text, &has));
          anomaly.blocking = text == "B";
          return Status::ok();
        }
        return Status::ok();
      }));
      d.add(anomaly.code, anomaly.blocking);
    }
    return Status::ok();
  }
  if (k == "declaration") {
    // Decoded in place by the code that decoded it on the way in (one pass
    // over the event, no second parse); its verbatim text is the span from
    // its '{' to the token after it, less the whitespace between.
    *i = 7;
    DIMONA_TRY(decode_verbatim(f, p, &b->raw, [b](od::value& v) { return decode_declaration_value(v, &b->declaration); }));
    rebase_rewrites(&b->declaration, b->raw.data());  // none in a logged event: the Ledger logs canonical_text()
    return Status::ok();
  }
  return Status::ok();
}

Status read_digits(od::value& f, const Path& p, uint64_t* out) {
  std::string_view s;
  bool present = false;
  DIMONA_TRY(read_string(f, p, &s, &present));
  // At most 19 digits: no wrap-around, and never a FlatMap's reserved all-ones key.
  if (s.size() > 19) return field_error(p, "expected at most 19 digits");
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return field_error(p, "expected digits");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return Status::ok();
}

Status decode_action_body_field(std::string_view k, od::value& f, const Path& p, int* i, ActionBody* b,
                                bool* refused) {
  ActionOutcome& o = b->outcome;
  std::string_view s;
  bool present = false;
  int64_t n = 0;
  if (k == "actionId") return *i = 0, read_digits(f, p, &o.id);
  if (k == "result") {
    *i = 1;
    DIMONA_TRY(read_string(f, p, &s, &present));
    if (s != "A" && s != "B") return field_error(p, "expected A or B");
    *refused = s == "B";
    return Status::ok();
  }
  if (k == "reason") {
    *i = 2;
    DIMONA_TRY(read_string(f, p, &s, &present));
    if (!parse_refusal(s, &o.refusal)) return field_error(p, "unknown reason");
    return Status::ok();
  }
  if (k == "employer") {
    *i = 3;
    Declaration d;
    DIMONA_TRY(decode_employer(f, p, &d));
    o.employer = employer_key(d);
    return Status::ok();
  }
  if (k == "requestId" || k == "ticket" || k == "notificationId" || k == "messageId") return *i = 4, read_digits(f, p, &o.subject);
  if (k == "forYear") {
    *i = 5;
    DIMONA_TRY(read_int(f, p, &n, &present));
    o.for_year = static_cast<int32_t>(n);
    return Status::ok();
  }
  if (k == "quotaHours" || k == "remainingHours") {
    *i = k == "quotaHours" ? 6 : 7;
    DIMONA_TRY(read_int(f, p, &n, &present));
    (*i == 6 ? o.quota_hours : o.remaining_hours) = static_cast<uint32_t>(n);
    return Status::ok();
  }
  if (k == "accessCode") {
    *i = 8;
    DIMONA_TRY(read_string(f, p, &s, &present));
    auto code = parse_access_code(s);
    if (!code) return field_error(p, "expected an access code");
    o.access_code = *code;
    return Status::ok();
  }
  if (k == "codeMonth") {
    *i = 9;
    DIMONA_TRY(read_string(f, p, &s, &present));
    auto day = parse_date(std::string(s) + "-01");
    if (s.size() != 7 || !day) return field_error(p, "expected YYYY-MM");
    o.code_month = month_index(*day);
    return Status::ok();
  }
  if (k == "validFrom" || k == "validUntil") {  // derived from codeMonth; read for the schema only
    *i = k == "validFrom" ? 10 : 11;
    return skip_text(f, p);
  }
  if (k == "token") {
    *i = 12;
    DIMONA_TRY(read_string(f, p, &s, &present));
    auto token = parse_access_token(s);
    if (!token) return field_error(p, "expected a token");
    o.token = *token;
    return Status::ok();
  }
  if (k == "scope") return *i = 13, read_choice(f, p, parse_scope, &o.scope);
  if (k == "expiresAt") {
    *i = 14;
    DIMONA_TRY(read_string(f, p, &s, &present));
    auto t = parse_instant(s);
    if (!t) return field_error(p, "expected an RFC 3339 instant");
    o.expires_at = *t;
    return Status::ok();
  }
  if (k == "action") {
    *i = 15;
    return decode_verbatim(f, p, &b->raw, [b](od::value& v) { return decode_action_value(v, &b->action); });
  }
  if (k == "familyName" || k == "givenName") {  // the attestation's student (StudentAttestationIssued)
    *i = k == "familyName" ? 16 : 17;
    DIMONA_TRY(read_string(f, p, &s, &present));
    if (s.size() > limits::worker_name_bytes_max) return field_error(p, "name too long");
    (*i == 16 ? o.family_name : o.given_name) = s;
    return Status::ok();
  }
  return Status::ok();
}

Status decode_quota_field(std::string_view k, od::value& f, const Path& p, int* i, QuotaBody* q) {
  int64_t n = 0;
  bool present = false;
  if (k == "year") {
    *i = 0;
    DIMONA_TRY(read_int(f, p, &n, &present));
    q->year = static_cast<int32_t>(n);
    return Status::ok();
  }
  if (k == "hours") {
    *i = 1;
    DIMONA_TRY(read_int(f, p, &n, &present));
    q->hours = static_cast<uint32_t>(n);
    return Status::ok();
  }
  if (k == "effectiveFrom") {
    *i = 2;
    Field<Date> d;
    DIMONA_TRY(read_date(f, p, &d));
    if (!d.valid()) return field_error(p, "expected a date");
    q->effective_from = d.value;
    return Status::ok();
  }
  if (k == "legalSource") return *i = 3, read_string(f, p, &q->legal_source, &present);
  return Status::ok();
}

}  // namespace

Result<Event> EventDecoder::decode_copy(std::string_view json) {
  scratch_.resize(json.size() + kJsonPadding);  // no allocation once the buffer has grown
  std::memcpy(scratch_.data(), json.data(), json.size());
  std::memset(scratch_.data() + json.size(), ' ', kJsonPadding);
  return decode(std::string_view(scratch_.data(), json.size()), scratch_.size());
}

Result<Event> EventDecoder::decode(std::string_view line, size_t capacity) {
  DIMONA_ASSERT(capacity >= line.size() + kJsonPadding);
  od::document doc;
  if (auto e = impl_->parser.iterate(line.data(), line.size(), capacity).get(doc); e) return json_error(nullptr, e);
  od::value root;
  if (auto e = doc.get_value().get(root); e) return json_error(nullptr, e);
  Event ev;
  bool has_type = false;
  bool refused = false;  // an action's result is B
  const Path top{nullptr, ""};
  std::string_view raw_type;
  DIMONA_TRY(for_each_field(root, top, [&](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    std::string_view s;
    bool present = false;
    if (k == "eventId") return *i = 0, read_string(f, p, &s, &present);
    if (k == "type") {
      *i = 1;
      DIMONA_TRY(read_string(f, p, &raw_type, &present));
      if (!parse_event_type(raw_type, &ev.type)) return field_error(p, "unknown event type");
      has_type = true;
      return Status::ok();
    }
    if (k == "schemaVersion") {
      *i = 2;
      int64_t v = 0;
      DIMONA_TRY(read_int(f, p, &v, &present));
      if (v < 1 || v > kEventSchemaVersion) return field_error(p, "unsupported schema version");
      ev.schema_version = static_cast<uint32_t>(v);
      return Status::ok();
    }
    if (k == "ssin") {
      *i = 3;
      DIMONA_TRY(read_string(f, p, &s, &present));
      uint64_t n = 0;
      if (s.size() > 11) return field_error(p, "expected an SSIN");  // keys a FlatMap: never all ones
      for (char c : s) {
        if (c < '0' || c > '9') return field_error(p, "expected an SSIN");
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      ev.ssin.value = n;
      return Status::ok();
    }
    if (k == "recordedAt") {
      *i = 4;
      DIMONA_TRY(read_string(f, p, &s, &present));
      auto t = parse_instant(s);
      if (!t) return field_error(p, "expected an RFC 3339 instant");
      ev.recorded_at = *t;
      return Status::ok();
    }
    if (k == "source") return *i = 5, read_string(f, p, &ev.source, &present);
    if (k == "body") {
      *i = 6;
      if (!has_type) return field_error(p, "body before type");
      if (ev.is_action()) {
        return for_each_field(f, p, [&ev, &refused](std::string_view bk, od::value& bf, const Path& bp, int* bi) {
          return decode_action_body_field(bk, bf, bp, bi, &ev.action, &refused);
        });
      }
      if (ev.type == EventType::kStudentQuotaDefined) {
        return for_each_field(f, p, [&ev](std::string_view bk, od::value& bf, const Path& bp, int* bi) {
          return decode_quota_field(bk, bf, bp, bi, &ev.quota);
        });
      }
      return for_each_field(f, p, [&ev](std::string_view bk, od::value& bf, const Path& bp, int* bi) {
        return decode_decision_field(bk, bf, bp, bi, &ev.declaration);
      });
    }
    return Status::ok();
  }));
  if (!has_type) return corruption("event without a type");
  DIMONA_TRY(finish_decoded_event(&ev, refused));
  return ev;
}

Status finish_decoded_event(Event* event, bool refused) {
  Event& ev = *event;
  if (ev.is_declaration()) {
    if (ev.declaration.raw.empty()) return corruption("declaration event without its declaration");
    if (ev.declaration.declaration.kind != static_cast<DeclarationKind>(ev.type))
      return corruption("event type does not match its declaration");
    ev.declaration.decision.worker = ev.ssin;  // the envelope's partition key is the period's worker
  }
  if (ev.is_action()) {
    ActionBody& b = ev.action;
    if (b.raw.empty() || b.outcome.id == 0) return corruption("action event without its action or id");
    if (b.action.kind != action_kind_of(ev.type)) return corruption("event type does not match its action");
    if (refused == b.outcome.accepted()) return corruption("action result and reason disagree");
    // What the encoder always writes for an accepted request (found by fuzzing:
    // a line without it decoded, but its re-encoding did not).
    if (b.outcome.accepted() && b.action.kind == ActionKind::kDataAccessRequest && b.outcome.token.empty())
      return corruption("accepted data-access request event without its token");
    b.outcome.worker = ev.ssin;
    if (b.outcome.employer == 0) b.outcome.employer = b.action.employer;
  }
  return Status::ok();
}

Status EventDecoder::decode_action_object(std::string_view object, size_t capacity, Action* out) {
  DIMONA_ASSERT(capacity >= object.size() + kJsonPadding);
  od::document doc;
  if (auto e = impl_->parser.iterate(object.data(), object.size(), capacity).get(doc); e) return json_error(nullptr, e);
  od::value root;
  if (auto e = doc.get_value().get(root); e) return json_error(nullptr, e);
  DIMONA_TRY(decode_action_value(root, out));
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return invalid_argument("invalid JSON: trailing content after the action");
  return Status::ok();
}

}  // namespace dimona

// --- Quota schedule (quota_schedule.h) --------------------------------------------
namespace dimona {
namespace {

struct QuotaRange {
  int64_t first_year = 0, last_year = 0, hours = 0;
  Field<Date> effective_from;
  std::optional<Instant> defined_at;
  std::string_view legal_source;
};

Status decode_quota_range(od::value& v, const Path& path, QuotaRange* r) {
  return for_each_field(v, path, [r](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    bool present = false;
    if (k == "firstYear") return *i = 0, read_int(f, p, &r->first_year, &present);
    if (k == "lastYear") return *i = 1, read_int(f, p, &r->last_year, &present);
    if (k == "hours") return *i = 2, read_int(f, p, &r->hours, &present);
    if (k == "effectiveFrom") return *i = 3, read_date(f, p, &r->effective_from);
    if (k == "legalSource") return *i = 4, read_string(f, p, &r->legal_source, &present);
    if (k == "definedAt") {
      *i = 5;
      std::string_view s;
      DIMONA_TRY(read_string(f, p, &s, &present));
      r->defined_at = parse_instant(s);
      if (!r->defined_at) return field_error(p, "expected an RFC 3339 instant");
      return Status::ok();
    }
    return Status::ok();
  });
}

}  // namespace

Result<QuotaSchedule> parse_quota_schedule(std::string_view json) {
  // A table is one object: anything else (a text file, a scalar) says so, not simdjson's advice.
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{')
    return invalid_argument("not a quota table: expected a JSON object {\"entries\":[...]}");
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(padded).get(doc); e) return json_error(nullptr, e);
  od::value root;
  if (auto e = doc.get_value().get(root); e) return json_error(nullptr, e);
  QuotaSchedule schedule;
  const Path top{nullptr, "quota"};
  DIMONA_TRY(for_each_field(root, top, [&schedule](std::string_view k, od::value& f, const Path& p, int* i) -> Status {
    if (k == "description") return *i = 0, skip_text(f, p);
    if (k != "entries") return Status::ok();
    *i = 1;
    od::array entries;
    if (f.get_array().get(entries)) return field_error(p, "expected an array");
    for (auto element : entries) {
      od::value v;
      if (auto e = element.get(v); e) return json_error(&p, e);
      QuotaRange r;
      DIMONA_TRY(decode_quota_range(v, p, &r));
      if (r.first_year < 1900 || r.last_year < r.first_year || r.last_year > 9999 || r.hours <= 0 ||
          !r.effective_from.valid() || !r.defined_at)
        return field_error(p, "each entry needs firstYear <= lastYear, hours > 0, effectiveFrom and definedAt");
      for (int64_t year = r.first_year; year <= r.last_year; ++year)
        schedule.entries.push_back({static_cast<int32_t>(year), static_cast<uint32_t>(r.hours), r.effective_from.value,
                                    *r.defined_at, std::string(r.legal_source)});
    }
    return Status::ok();
  }));
  std::stable_sort(schedule.entries.begin(), schedule.entries.end(), [](const QuotaEntry& a, const QuotaEntry& b) {
    return a.defined_at != b.defined_at ? a.defined_at < b.defined_at : a.year < b.year;
  });
  return schedule;
}

}  // namespace dimona
