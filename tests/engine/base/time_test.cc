#include "engine/base/time.h"

#include <gtest/gtest.h>

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
}

TEST(Time, BadInstantsAreRefused) {
  for (const char* s : {"2025-06-20", "2025-06-20T09:12:00", "2025-06-20T24:00:00Z", "2025-06-20T09:12:00Zjunk",
                        "2025-06-20 09:12:00Z", "2025-06-20T09:12:00.Z"})
    EXPECT_FALSE(parse_instant(s).has_value()) << s;
}

TEST(Time, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(Instant{10});
  EXPECT_EQ(clock.now().micros, 10);
  clock.advance_micros(5);
  EXPECT_EQ(clock.now().micros, 15);
}

}  // namespace
}  // namespace dimona
