// Calendar dates and ledger instants.
//
// Contract. Date is a civil day (proleptic Gregorian), stored as days since
// 1970-01-01 in an int32; Instant is a UTC point in ledger time, stored as
// microseconds since the epoch in an int64. Both are plain values ordered by
// their integer. Parsing is strict: "YYYY-MM-DD" for a date, RFC 3339 in UTC
// ("YYYY-MM-DDThh:mm:ss[.ffffff]Z", or a numeric offset that is converted) for
// an instant; anything else is std::nullopt. Formatting is canonical, so a
// parse of a format gives the same value back. No allocation in parse.
//
// Clock is the ledger's source of time, injected: SystemClock in production,
// ManualClock in tests. Threading: Dates and Instants are values; a Clock
// implementation says its own rules (both here are safe to share).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace dimona {

struct Date {
  int32_t days = 0;  // since 1970-01-01
  friend auto operator<=>(Date, Date) = default;
};

struct CivilDate {
  int32_t year;
  int32_t month;  // 1..12
  int32_t day;    // 1..31
};

// The end date that means "open ended" in Dimona (9999-12-31).
inline constexpr int32_t kOpenEndDays = 2932896;

Date date_from_civil(int32_t year, int32_t month, int32_t day);
CivilDate civil_from_date(Date date);
bool is_valid_civil(int32_t year, int32_t month, int32_t day);
std::optional<Date> parse_date(std::string_view text);
// Writes exactly 10 characters "YYYY-MM-DD" to out.
void format_date(Date date, char* out);
std::string to_string(Date date);

inline int32_t year_of(Date d) { return civil_from_date(d).year; }
// 1..4
inline int32_t quarter_of(Date d) { return (civil_from_date(d).month - 1) / 3 + 1; }
// A quarter as one integer: year * 4 + (quarter - 1); consecutive quarters differ by 1.
inline int32_t quarter_index(Date d) {
  CivilDate c = civil_from_date(d);
  return c.year * 4 + (c.month - 1) / 3;
}
Date first_day_of_quarter(int32_t quarter_index);

struct Instant {
  int64_t micros = 0;  // since 1970-01-01T00:00:00Z
  friend auto operator<=>(Instant, Instant) = default;
};

// "Not happened": an instant no parse gives (parse_instant stays within years 1..9999), for a
// record's optional moment (an inbox message archived, a ticket decided). Not 0: the epoch is an
// instant a batch file may give.
inline constexpr Instant kNoInstant{std::numeric_limits<int64_t>::min()};

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

std::optional<Instant> parse_instant(std::string_view text);
// parse_instant() of a text whose first 10 bytes parse_date() read as `day` already (a reader
// that keeps the last date it read: an instant's day is mostly the one before it).
std::optional<Instant> parse_instant_on(std::string_view text, Date day);
// "YYYY-MM-DDThh:mm:ssZ", with ".ffffff" only when the microseconds are not 0.
std::string to_string(Instant instant);
// The same text written to `out` (at least kInstantTextBytesMax bytes); returns its length. No
// allocation: the writer formats an instant per event.
inline constexpr size_t kInstantTextBytesMax = 27;  // YYYY-MM-DDTHH:MM:SS.ffffffZ
size_t format_instant(Instant instant, char* out);
inline Date date_of(Instant i) {
  int64_t days = i.micros >= 0 ? i.micros / kMicrosPerDay : -((-i.micros + kMicrosPerDay - 1) / kMicrosPerDay);
  return Date{static_cast<int32_t>(days)};
}
inline Instant start_of(Date d) { return Instant{int64_t{d.days} * kMicrosPerDay}; }

// Belgian legal time (Europe/Brussels, the EU rule in force since 1996): UTC+1, and UTC+2 from
// the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC. A Dimona's hours
// (zones 00777 and 00778, HHMM) are read on a Belgian clock. The instant at which a Belgian
// clock reads `minutes` (0..1439) after midnight on `day`; a time the spring change skips is read
// as winter time (02:30 is 03:30 summer time), one the autumn change repeats as its first.
Instant brussels_instant(Date day, int32_t minutes);
// The day a Belgian clock shows at `at` (its inverse: brussels_instant(d, 0) <= at <
// brussels_instant(d + 1, 0)): a Dimona's windows (a flexi job's 31 days, an attestation's
// December) are days in Brussels.
Date brussels_date(Instant at);
// The last instant (microsecond) of `day` on a Belgian clock: what "by the end of 2025-06-30"
// means in a ledger whose days are Belgian (brussels_date of it is `day`).
inline Instant end_of_brussels_day(Date day) { return Instant{brussels_instant(Date{day.days + 1}, 0).micros - 1}; }

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant now() const override;
};

// A clock that only moves when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start) : now_(start) {}
  Instant now() const override { return now_; }
  void set(Instant instant) { now_ = instant; }
  void advance_micros(int64_t micros) { now_.micros += micros; }

 private:
  Instant now_;
};

}  // namespace dimona
