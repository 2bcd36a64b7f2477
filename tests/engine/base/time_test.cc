#include "engine/base/time.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>

namespace dimona {
namespace {

TEST(Time, DatesRoundTripAndOrder) {
  for (const char* s : {"1970-01-01", "2000-02-29", "2025-07-01", "9999-12-31", "1900-03-01"}) {
    auto d = parse_date(s);
    ASSERT_TRUE(d.has_value()) << s;
    EXPECT_EQ(to_string(*d), s);
  }
  EXPECT_EQ(parse_date("9999-12-31")->days, kOpenEndDays);
  EXPECT_LT(*parse_date("2025-06-30"), *parse_date("2025-07-01"));
}

TEST(Time, BadDatesAreRefused) {
  for (const char* s : {"2025-02-29", "2025-13-01", "2025-00-10", "2025-1-01", "2025-01-32", "25-01-01", "2025/01/01", ""})
    EXPECT_FALSE(parse_date(s).has_value()) << s;
}

// parse_date reads the years 1900-2099 from tables and the others by the calendar's rules: both
// agree with those rules (is_valid_civil, date_from_civil) on every year, month 0-13 and day
// 0-32, and refuse every non-digit in every place.
TEST(Time, ParseDateAgreesWithTheCalendarOnEveryYear) {
  char text[11];
  for (int32_t y = 0; y <= 9999; ++y) {
    for (int32_t m = 0; m <= 13; ++m) {
      for (int32_t d = 0; d <= 32; ++d) {
        std::snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
        const std::optional<Date> parsed = parse_date(std::string_view(text, 10));
        if (!is_valid_civil(y, m, d)) {
          ASSERT_FALSE(parsed.has_value()) << text;
          continue;
        }
        ASSERT_TRUE(parsed.has_value()) << text;
        ASSERT_EQ(parsed->days, date_from_civil(y, m, d).days) << text;
      }
    }
  }
  std::string date = "2024-02-29";
  for (size_t at = 0; at < date.size(); ++at) {
    if (at == 4 || at == 7) continue;
    for (int c = 0; c < 256; ++c) {
      if (c >= '0' && c <= '9') continue;
      std::string bad = date;
      bad[at] = static_cast<char>(c);
      ASSERT_FALSE(parse_date(bad).has_value()) << at << " " << c;
    }
  }
}

TEST(Time, Quarters) {
  EXPECT_EQ(quarter_of(*parse_date("2025-06-30")), 2);
  EXPECT_EQ(quarter_of(*parse_date("2025-07-01")), 3);
  EXPECT_EQ(quarter_index(*parse_date("2025-12-31")) + 1, quarter_index(*parse_date("2026-01-01")));
  EXPECT_EQ(to_string(first_day_of_quarter(quarter_index(*parse_date("2025-08-15")))), "2025-07-01");
}

TEST(Time, InstantsParseRfc3339AndFormatCanonically) {
  auto t = parse_instant("2025-06-20T09:12:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_string(*t), "2025-06-20T09:12:00Z");
  auto offset = parse_instant("2025-06-20T11:12:00+02:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, *t);
  auto frac = parse_instant("2025-06-20T09:12:00.250Z");
  ASSERT_TRUE(frac);
  EXPECT_EQ(to_string(*frac), "2025-06-20T09:12:00.250000Z");
  EXPECT_EQ(date_of(*t), *parse_date("2025-06-20"));
  // RFC 3339 5.6: "T" and "Z" in lower case are the same instant.
  EXPECT_EQ(parse_instant("2025-06-20t09:12:00z"), t);
  // Nanoseconds: the microsecond they fall in (an event recorded by T is recorded by its microsecond).
  EXPECT_EQ(to_string(*parse_instant("2025-06-20T09:12:00.000001999Z")), "2025-06-20T09:12:00.000001Z");
  EXPECT_FALSE(parse_instant("2025-06-20T09:12:00.0000019999Z").has_value()) << "ten digits: past nanoseconds";
}

TEST(Time, BadInstantsAreRefused) {
  for (const char* s : {"2025-06-20", "2025-06-20T09:12:00", "2025-06-20T24:00:00Z", "2025-06-20T09:12:00Zjunk",
                        "2025-06-20 09:12:00Z", "2025-06-20T09:12:00.Z"})
    EXPECT_FALSE(parse_instant(s).has_value()) << s;
}

// Europe/Brussels: 2025's summer time ran from 2025-03-30 01:00 UTC to 2025-10-26 01:00 UTC.
TEST(Time, ABelgianClockTimeIsItsInstant) {
  const auto at = [](const char* day, int32_t hh, int32_t mm) {
    return to_string(brussels_instant(*parse_date(day), hh * 60 + mm));
  };
  EXPECT_EQ(at("2025-01-15", 8, 0), "2025-01-15T07:00:00Z");
  EXPECT_EQ(at("2025-07-05", 8, 0), "2025-07-05T06:00:00Z");
  EXPECT_EQ(at("2025-03-29", 23, 59), "2025-03-29T22:59:00Z");
  EXPECT_EQ(at("2025-03-30", 1, 59), "2025-03-30T00:59:00Z");  // the last winter minute
  EXPECT_EQ(at("2025-03-30", 2, 30), "2025-03-30T01:30:00Z");  // skipped: read as winter time
  EXPECT_EQ(at("2025-03-30", 3, 0), "2025-03-30T01:00:00Z");   // the first summer minute
  EXPECT_EQ(at("2025-10-26", 2, 30), "2025-10-26T00:30:00Z");  // repeated: its first, summer time
  EXPECT_EQ(at("2025-10-26", 3, 0), "2025-10-26T02:00:00Z");
  EXPECT_EQ(at("2024-03-31", 12, 0), "2024-03-31T10:00:00Z");  // 2024: the last Sunday is the 31st
  EXPECT_EQ(at("2024-10-27", 0, 0), "2024-10-26T22:00:00Z");
  EXPECT_EQ(at("1969-12-31", 0, 0), "1969-12-30T23:00:00Z");  // before the epoch
}

// The day a Belgian clock shows: brussels_instant's inverse, across both changes of the hour.
TEST(Time, ABelgianDayIsTheDayItsClockShows) {
  const auto day = [](const char* at) { return to_string(brussels_date(*parse_instant(at))); };
  EXPECT_EQ(day("2024-11-30T22:59:59Z"), "2024-11-30");
  EXPECT_EQ(day("2024-11-30T23:00:00Z"), "2024-12-01");  // midnight, winter time
  EXPECT_EQ(day("2025-06-30T21:59:59Z"), "2025-06-30");
  EXPECT_EQ(day("2025-06-30T22:00:00Z"), "2025-07-01");  // midnight, summer time
  EXPECT_EQ(day("2025-03-29T23:00:00Z"), "2025-03-30");  // the night the clocks go forward
  EXPECT_EQ(day("2025-10-25T22:00:00Z"), "2025-10-26");  // and back
  EXPECT_EQ(day("2025-10-26T22:59:59Z"), "2025-10-26");
  for (int64_t minute = 0; minute < 3 * 366 * 24 * 60; minute += 7) {  // 2024-2026, every 7 minutes
    const Instant at{parse_instant("2024-01-01T00:00:00Z")->micros + minute * 60 * kMicrosPerSecond};
    const Date d = brussels_date(at);
    ASSERT_TRUE(!(at < brussels_instant(d, 0)) && at < brussels_instant(Date{d.days + 1}, 0)) << to_string(at);
  }
}

TEST(Time, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(Instant{10});
  EXPECT_EQ(clock.now().micros, 10);
  clock.advance_micros(5);
  EXPECT_EQ(clock.now().micros, 15);
}

}  // namespace
}  // namespace dimona
