#include "api/rate_limit.h"

#include <gtest/gtest.h>

namespace dimona::api {
namespace {

Instant at_second(int64_t s) { return Instant{s * kMicrosPerSecond}; }

TEST(RateLimiter, CountsPerKeyPerWindowOfTheGivenClock) {
  RateLimiter limiter(2, 60, 100);
  EXPECT_TRUE(limiter.allow("a", at_second(0)));
  EXPECT_TRUE(limiter.allow("a", at_second(59)));
  EXPECT_FALSE(limiter.allow("a", at_second(59)));
  EXPECT_TRUE(limiter.allow("b", at_second(59)));
  EXPECT_TRUE(limiter.allow("a", at_second(60))) << "a new window";
}

TEST(RateLimiter, ForgetsKeysBeyondItsBound) {
  RateLimiter limiter(1, 60, 3);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.allow("k" + std::to_string(i), at_second(0)));
  EXPECT_TRUE(limiter.allow("x", at_second(0)));
}

TEST(ClientAddress, XForwardedForOnlyFromTheTrustedProxy) {
  HttpRequest r;
  r.client = "10.0.0.1";
  r.headers = {{"x-forwarded-for", "192.0.2.9, 198.51.100.7 "}};
  EXPECT_EQ(client_address(r, ""), "10.0.0.1");
  EXPECT_EQ(client_address(r, "10.0.0.2"), "10.0.0.1");
  EXPECT_EQ(client_address(r, "10.0.0.1"), "198.51.100.7");
  r.headers = {{"x-forwarded-for", "2001:db8::1"}};
  EXPECT_EQ(client_address(r, "10.0.0.1"), "2001:db8::1");
  for (const char* garbled : {"", " , ", "evil\"host", "1.2.3.4, <script>", "1.2.3.4 5.6.7.8"}) {
    r.headers = {{"x-forwarded-for", garbled}};
    EXPECT_EQ(client_address(r, "10.0.0.1"), "10.0.0.1") << garbled;
  }
  r.headers.clear();
  EXPECT_EQ(client_address(r, "10.0.0.1"), "10.0.0.1");
}

// The field's lines are one list (RFC 9110 5.3): the proxy appends to the last line, so a line
// the client sent before it names no one. One client is one key, however its address is written.
TEST(ClientAddress, TheLastLineCountsAndEachAddressHasOneKey) {
  HttpRequest r;
  r.client = "10.0.0.1";
  r.headers = {{"x-forwarded-for", "203.0.113.77"}, {"x-forwarded-for", "198.51.100.7"}};
  EXPECT_EQ(client_address(r, "10.0.0.1"), "198.51.100.7");
  const std::pair<const char*, const char*> same[] = {
      {"::ffff:10.9.0.1", "10.9.0.1"}, {"2001:DB8:0::1", "2001:db8::1"}, {"2001:0db8:0000::0001", "2001:db8::1"}};
  for (const auto& [given, key] : same) {
    r.headers = {{"x-forwarded-for", given}};
    EXPECT_EQ(client_address(r, "10.0.0.1"), key) << given;
  }
  for (const char* garbled : {"10.0.0.9:4431", "300.1.1.1", "example.org", "1.2.3", "fe80::1%eth0%x"}) {
    r.headers = {{"x-forwarded-for", garbled}};
    EXPECT_EQ(client_address(r, "10.0.0.1"), "10.0.0.1") << garbled;
  }
}

}  // namespace
}  // namespace dimona::api
