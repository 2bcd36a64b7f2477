#include "engine/action.h"

#include "engine/base/assert.h"
#include "engine/base/flat_map.h"

namespace dimona {
namespace {

constexpr std::string_view kActionKeys[kActionKindCount] = {
    "attestationRequest",
    "dataAccessRequest",
    "dataAccessGrant",
    "dataAccessRefusal",
    "dataAccessRevocation",
    "occupationQuarter",
    "pensionStatus",
    "employerSettings",
    "careerBreakRequest",
    "careerBreakEmployeePart",
    "careerBreakCancellation",
    "careerBreakEndDate",
    "careerBreakAttachment",
    "onemDecision",
    "careerBreakNotification",
    "careerBreakPostponement",
    "careerBreakNotificationRefusal",
    "careerBreakNotificationValidation",
    "inboxArchive",
    "dataConsultation",
    "interimOverviewSend",
};

constexpr std::string_view kScopes[] = {"FLEXI", "STUDENT_BALANCE"};
constexpr std::string_view kChannels[] = {"QR", "LINK"};
constexpr std::string_view kLeaveKinds[] = {"TIME_CREDIT",    "END_OF_CAREER_TIME_CREDIT", "CAREER_BREAK",
                                            "PARENTAL_LEAVE", "MEDICAL_ASSISTANCE",        "PALLIATIVE_CARE"};
constexpr std::string_view kFractions[] = {"FULL", "1/2", "1/5", "1/10"};
constexpr std::string_view kDecisions[] = {"GRANTED", "REFUSED"};
constexpr std::string_view kConsultationRoles[] = {"employer", "agency", "auditor"};
constexpr std::string_view kConsultationChannels[] = {"auditor", "accessCode", "consent"};
constexpr std::string_view kDeliveryChannels[] = {"EBOX", "EMAIL"};

struct RefusalText {
  std::string_view name;
  std::string_view message;
};
constexpr RefusalText kRefusals[kActionRefusalCount] = {
    {"none", "accepted"},
    {"idInUse", "the imported id or token is already in use"},
    {"yearNotAvailable", "an attestation is available for the current year, and for the next one from 1 December"},
    {"quotaUnknown", "no student quota is defined for that year"},
    {"unknownToken", "no data-access request has this token"},
    {"tokenAlreadyUsed", "this data-access request was already answered"},
    {"unknownRequest", "this citizen never granted that request"},
    {"notActive", "the grant is already revoked or expired"},
    {"unknownTicket", "no career-break request has this ticket number"},
    {"unknownNotification", "no career-break notification has this id"},
    {"notYourRequest", "the request belongs to another employer or worker"},
    {"employeePartCompleted", "the employee has completed their part: the employer may no longer cancel or modify"},
    {"requestCancelled", "the request was cancelled"},
    {"employeePartAlreadyCompleted", "the employee's part is already completed"},
    {"employeePartNotCompleted", "the employee has not completed their part yet"},
    {"alreadyDecided", "ONEM has already decided on this request"},
    {"endBeforeStart", "the end date is before the start date"},
    {"notificationsNotAccepted", "the employer does not accept notifications from employees"},
    {"notificationClosed", "the notification was already refused or validated"},
    {"postponementNotLater", "a postponement must move the start date later"},
    {"unknownMessage", "this inbox has no such message (unknown, or older than two months)"},
    {"messageArchived", "the message is already archived"},
    {"workerBornLater", "the worker's SSIN gives a birth date after the action's day"},
    {"dateOutOfRange", "a date is before 1920, ten years or more ahead, or a pension before the worker's birth"},
};

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The value of one Crockford base32 character, or -1.
int crockford_value(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') return 1;
  if (c == 'O') return 0;
  for (int i = 0; i < 32; ++i)
    if (kCrockford[i] == c) return i;
  return -1;
}

}  // namespace

std::string_view action_key(ActionKind kind) { return kActionKeys[static_cast<size_t>(kind)]; }
bool parse_action_key(std::string_view key, ActionKind* out) { return parse_enum_name(key, kActionKeys, out); }

std::string_view scope_name(AccessScope v) { return kScopes[static_cast<size_t>(v)]; }
std::string_view channel_name(AccessChannel v) { return kChannels[static_cast<size_t>(v)]; }
std::string_view leave_kind_name(LeaveKind v) { return kLeaveKinds[static_cast<size_t>(v)]; }
std::string_view break_fraction_name(BreakFraction v) { return kFractions[static_cast<size_t>(v)]; }
std::string_view onem_decision_name(OnemDecision v) { return kDecisions[static_cast<size_t>(v)]; }
bool parse_scope(std::string_view s, AccessScope* out) { return parse_enum_name(s, kScopes, out); }
bool parse_channel(std::string_view s, AccessChannel* out) { return parse_enum_name(s, kChannels, out); }
bool parse_leave_kind(std::string_view s, LeaveKind* out) { return parse_enum_name(s, kLeaveKinds, out); }
bool parse_break_fraction(std::string_view s, BreakFraction* out) { return parse_enum_name(s, kFractions, out); }
bool parse_onem_decision(std::string_view s, OnemDecision* out) { return parse_enum_name(s, kDecisions, out); }
std::string_view consultation_role_name(ConsultationRole v) { return kConsultationRoles[static_cast<size_t>(v)]; }
std::string_view consultation_channel_name(ConsultationChannel v) { return kConsultationChannels[static_cast<size_t>(v)]; }
bool parse_consultation_role(std::string_view s, ConsultationRole* out) { return parse_enum_name(s, kConsultationRoles, out); }
bool parse_consultation_channel(std::string_view s, ConsultationChannel* out) {
  return parse_enum_name(s, kConsultationChannels, out);
}
std::string_view delivery_channel_name(DeliveryChannel v) { return kDeliveryChannels[static_cast<size_t>(v)]; }
bool parse_delivery_channel(std::string_view s, DeliveryChannel* out) {
  return parse_enum_name(s, kDeliveryChannels, out);
}

bool is_email_address(std::string_view s) {
  if (s.size() > limits::email_address_bytes_max) return false;
  const size_t at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : s.substr(0, at))
    if (c <= ' ' || c > '~') return false;  // printable ASCII, no space
  const std::string_view domain = s.substr(at + 1);
  size_t labels = 0;
  for (size_t begin = 0; begin <= domain.size(); ++labels) {
    size_t end = domain.find('.', begin);
    if (end == std::string_view::npos) end = domain.size();
    const std::string_view label = domain.substr(begin, end - begin);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    begin = end + 1;
  }
  return labels >= 2;
}

DateWindow interim_default_window(Date reference) {
  const int32_t year = year_of(reference);
  return {date_from_civil(year - 1, 1, 1), date_from_civil(year + 1, 12, 31)};
}

DateWindow overview_window(std::optional<Date> from, std::optional<Date> to, Instant sent_at) {
  const DateWindow around = interim_default_window(brussels_date(sent_at));
  return {from.value_or(around.from), to.value_or(around.to)};
}

bool is_consultation_scope(std::string_view s) {
  if (s.empty() || s.size() > limits::consultation_scope_chars_max) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_recordable_consultation(ConsultationRole role, ConsultationChannel channel, uint64_t employer,
                                std::string_view scope, std::string_view auditor) {
  const bool by_auditor = role == ConsultationRole::kAuditor;
  return is_consultation_scope(scope) && auditor.size() <= limits::text_field_bytes_max &&
         by_auditor == (employer == 0) && by_auditor == (channel == ConsultationChannel::kAuditor) &&
         (by_auditor || auditor.empty());
}

std::string_view refusal_name(ActionRefusal r) { return kRefusals[static_cast<size_t>(r)].name; }
std::string_view refusal_message(ActionRefusal r) { return kRefusals[static_cast<size_t>(r)].message; }
bool parse_refusal(std::string_view s, ActionRefusal* out) {
  for (size_t i = 1; i < kActionRefusalCount; ++i) {
    if (kRefusals[i].name == s) {
      *out = static_cast<ActionRefusal>(i);
      return true;
    }
  }
  return false;
}

uint64_t AccessToken::key() const { return mix64(hi ^ mix64(lo)) | 1; }

std::string to_string(AccessToken token) {
  std::string s(kAccessTokenChars, '0');
  // 100 bits: the first 7 characters hold hi's 36 bits (35 + 1 of lo's top), simpler as one walk.
  for (size_t i = 0; i < kAccessTokenChars; ++i) {
    const size_t shift = 5 * (kAccessTokenChars - 1 - i);  // bit offset of this digit in the 100-bit value
    uint64_t digit;
    if (shift >= 64) digit = token.hi >> (shift - 64);
    else if (shift + 5 <= 64) digit = token.lo >> shift;
    else digit = (token.lo >> shift) | (token.hi << (64 - shift));
    s[i] = kCrockford[digit & 31];
  }
  return s;
}

std::optional<AccessToken> parse_access_token(std::string_view text) {
  if (text.size() != kAccessTokenChars) return std::nullopt;
  AccessToken t;
  for (char c : text) {
    const int v = crockford_value(c);
    if (v < 0) return std::nullopt;
    t.hi = (t.hi << 5) | (t.lo >> 59);
    t.lo = (t.lo << 5) | static_cast<uint64_t>(v);
  }
  DIMONA_ASSERT(t.hi < (uint64_t{1} << 36));
  if (t.empty()) return std::nullopt;
  return t;
}

std::string printed_ssin(Ssin ssin) {
  const std::string d = format_ssin(ssin);
  DIMONA_ASSERT(d.size() == 11);
  return d.substr(0, 2) + "." + d.substr(2, 2) + "." + d.substr(4, 2) + "-" + d.substr(6, 3) + "." + d.substr(9, 2);
}

std::string format_access_code(uint64_t code) {
  DIMONA_ASSERT(code <= kAccessCodeMask);
  std::string s(11, '-');
  for (int i = 9; i >= 0; --i, code >>= 5) s[static_cast<size_t>(i < 5 ? i : i + 1)] = kCrockford[code & 31];
  return s;
}

std::optional<uint64_t> parse_access_code(std::string_view text) {
  uint64_t code = 0;
  int digits = 0;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    const int v = crockford_value(c);
    if (v < 0 || ++digits > 10) return std::nullopt;
    code = (code << 5) | static_cast<uint64_t>(v);
  }
  if (digits != 10) return std::nullopt;
  return code;
}

Date first_day_of_month(int32_t m) { return date_from_civil(m / 12, m % 12 + 1, 1); }
Date last_day_of_month(int32_t m) { return Date{first_day_of_month(m + 1).days - 1}; }

std::string month_string(int32_t m) {
  std::string s = to_string(first_day_of_month(m));
  s.resize(7);
  return s;
}

Instant add_months(Instant at, int32_t months) {
  // On a Belgian clock (docs/actions.md): the day and the wall-clock time in Brussels. That time is
  // `at` + 2 h when summer time reads it back as `at` (brussels_instant), else `at` + 1 h.
  constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
  constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
  const Date day = brussels_date(at);
  const int64_t summer_wall = at.micros + 2 * kMicrosPerHour - start_of(day).micros;
  const auto names_at = [&](int64_t wall) {
    return brussels_instant(day, static_cast<int32_t>(wall / kMicrosPerMinute)).micros + wall % kMicrosPerMinute ==
           at.micros;
  };
  const int64_t wall =
      summer_wall < kMicrosPerDay && names_at(summer_wall) ? summer_wall : summer_wall - kMicrosPerHour;
  const auto minutes = static_cast<int32_t>(wall / kMicrosPerMinute);
  const int64_t within_minute = wall % kMicrosPerMinute;
  const int32_t target = month_index(day) + months;
  const int32_t day_in_month = civil_from_date(day).day;
  const int32_t last = civil_from_date(last_day_of_month(target)).day;
  const Date result{first_day_of_month(target).days + (day_in_month < last ? day_in_month : last) - 1};
  return Instant{brussels_instant(result, minutes).micros + within_minute};
}

}  // namespace dimona
