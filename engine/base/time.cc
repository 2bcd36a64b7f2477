#include "engine/base/time.h"

#include <chrono>

#include "engine/base/assert.h"

namespace dimona {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int32_t days_from_civil(int32_t y, int32_t m, int32_t d) {
  y -= m <= 2;
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const int32_t yoe = y - era * 400;
  const int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int32_t days_in_month(int32_t y, int32_t m) {
  static constexpr int32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Parses exactly `n` ASCII digits; -1 when one is not a digit.
int32_t digits(std::string_view s, size_t at, size_t n) {
  int32_t v = 0;
  for (size_t i = at; i < at + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

void put2(char* out, int32_t v) {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

Date date_from_civil(int32_t year, int32_t month, int32_t day) {
  return Date{days_from_civil(year, month, day)};
}

CivilDate civil_from_date(Date date) {
  const int32_t z = date.days + 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int32_t doe = z - era * 146097;
  const int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int32_t mp = (5 * doy + 2) / 153;
  const int32_t d = doy - (153 * mp + 2) / 5 + 1;
  const int32_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{yoe + era * 400 + (m <= 2), m, d};
}

bool is_valid_civil(int32_t year, int32_t month, int32_t day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= days_in_month(year, month);
}

Date first_day_of_quarter(int32_t quarter_index) {
  return date_from_civil(quarter_index / 4, (quarter_index % 4) * 3 + 1, 1);
}

namespace {

// The last Sunday of a 31-day month (March, October): 1970-01-01 was a Thursday.
Date last_sunday_of(int32_t year, int32_t month) {
  const Date last = date_from_civil(year, month, 31);
  const int32_t weekday = ((last.days + 4) % 7 + 7) % 7;  // 0: Sunday
  return Date{last.days - weekday};
}

}  // namespace

Instant brussels_instant(Date day, int32_t minutes) {
  constexpr int64_t kHour = 3'600 * kMicrosPerSecond;
  const int32_t year = year_of(day);
  const Instant summer_from{start_of(last_sunday_of(year, 3)).micros + kHour};
  const Instant summer_until{start_of(last_sunday_of(year, 10)).micros + kHour};
  const int64_t clock = start_of(day).micros + int64_t{minutes} * 60 * kMicrosPerSecond;
  const Instant if_summer{clock - 2 * kHour};
  if (summer_from <= if_summer && if_summer < summer_until) return if_summer;
  return Instant{clock - kHour};
}

Date brussels_date(Instant at) {
  // A Belgian day starts 1 or 2 hours before its UTC namesake: it is the UTC date of at + 2 h,
  // or the day before when that day's midnight in Brussels is still ahead.
  const Date later = date_of(Instant{at.micros + 2 * 3'600 * kMicrosPerSecond});
  return at < brussels_instant(later, 0) ? Date{later.days - 1} : later;
}

std::optional<Date> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int32_t y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || m < 0 || d < 0 || !is_valid_civil(y, m, d)) return std::nullopt;
  return date_from_civil(y, m, d);
}

void format_date(Date date, char* out) {
  const CivilDate c = civil_from_date(date);
  put2(out, c.year / 100);
  put2(out + 2, c.year % 100);
  out[4] = '-';
  put2(out + 5, c.month);
  out[7] = '-';
  put2(out + 8, c.day);
}

std::string to_string(Date date) {
  std::string s(10, '\0');
  format_date(date, s.data());
  return s;
}

// RFC 3339 5.6: "T" and "Z" may be lower case. Digits past the microsecond are read and dropped:
// an instant of the ledger is whole microseconds, so an event was recorded by T exactly when it
// was recorded by T's microsecond.
std::optional<Instant> parse_instant(std::string_view s) {
  if (s.size() < 20) return std::nullopt;
  const std::optional<Date> day = parse_date(s.substr(0, 10));
  if (!day) return std::nullopt;
  return parse_instant_on(s, *day);
}

std::optional<Instant> parse_instant_on(std::string_view s, Date day) {
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') return std::nullopt;
  const int32_t hh = digits(s, 11, 2), mm = digits(s, 14, 2), ss = digits(s, 17, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) return std::nullopt;
  size_t at = 19;
  int64_t micros = 0;
  if (s[at] == '.') {
    ++at;
    int64_t scale = 100'000;
    const size_t first = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      if (scale > 0) micros += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == first || at - first > 9) return std::nullopt;
  }
  int64_t offset_seconds = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && s[at + 3] == ':') {
    const int32_t oh = digits(s, at + 1, 2), om = digits(s, at + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_seconds = (oh * 3600 + om * 60) * (s[at] == '+' ? 1 : -1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;
  const int64_t seconds = int64_t{day.days} * 86'400 + hh * 3600 + mm * 60 + ss - offset_seconds;
  return Instant{seconds * kMicrosPerSecond + micros};
}

size_t format_instant(Instant instant, char* buf) {
  const Date day = date_of(instant);
  const int64_t in_day = instant.micros - int64_t{day.days} * kMicrosPerDay;
  const int64_t secs = in_day / kMicrosPerSecond;
  const int64_t frac = in_day % kMicrosPerSecond;
  format_date(day, buf);
  buf[10] = 'T';
  put2(buf + 11, static_cast<int32_t>(secs / 3600));
  buf[13] = ':';
  put2(buf + 14, static_cast<int32_t>(secs / 60 % 60));
  buf[16] = ':';
  put2(buf + 17, static_cast<int32_t>(secs % 60));
  size_t n = 19;
  if (frac != 0) {
    buf[n++] = '.';
    int64_t scale = 100'000;
    for (int i = 0; i < 6; ++i, scale /= 10) buf[n++] = static_cast<char>('0' + frac / scale % 10);
  }
  buf[n++] = 'Z';
  DIMONA_ASSERT(n <= kInstantTextBytesMax);
  return n;
}

std::string to_string(Instant instant) {
  char buf[kInstantTextBytesMax];
  return std::string(buf, format_instant(instant, buf));
}

Instant SystemClock::now() const {
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  return Instant{std::chrono::duration_cast<std::chrono::microseconds>(since).count()};
}

}  // namespace dimona
