#include "api/params.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/action.h"

namespace dimona::api {
namespace {

HttpRequest get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

TEST(Params, PathIdsBecomeStrongTypesOrAnIssueNamingThem) {
  const std::string id = std::to_string(dimona_id_from_body(1'234'567'890));
  EXPECT_EQ(path_declaration_id(id)->value, std::stoull(id));
  EXPECT_EQ(path_request_id(id)->value, std::stoull(id));
  EXPECT_EQ(path_ticket(id)->value, std::stoull(id));
  EXPECT_EQ(path_ssin("05031412595")->value, 5031412595u);
  EXPECT_EQ(path_employer("0403019261")->value, 403019261u);
  for (const char* bad : {"18446744073709551615", "-1", "", "%00", "12345678901234567890123"}) {
    const Parsed<DeclarationId> d = path_declaration_id(bad);
    ASSERT_FALSE(d) << bad;
    ASSERT_EQ(d.issues.size(), 1u);
    EXPECT_EQ(d.issues[0].in, "path");
    EXPECT_EQ(d.issues[0].name, "id");
    EXPECT_EQ(path_request_id(bad).issues[0].name, "requestId");
    EXPECT_EQ(path_ticket(bad).issues[0].name, "ticket");
    EXPECT_EQ(path_ssin(bad).issues[0].name, "ssin");
    EXPECT_EQ(path_employer(bad).issues[0].name, "employer");
    EXPECT_EQ(path_access_code(bad).issues[0].name, "code");
    if (*bad) {
      EXPECT_EQ(path_declaration_id(bad).issues[0].detail.find(bad), std::string::npos) << "no echo";
    }
  }
  const std::optional<uint64_t> code = path_access_code("ABCDE-FGHJK").value;
  ASSERT_TRUE(code);
  EXPECT_EQ(format_access_code(*code), "ABCDE-FGHJK");
}

TEST(Params, PagesAreBoundedDigits) {
  const Parsed<Page> none = query_page(get("/x"));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->number, 1u);
  EXPECT_EQ(none->size, http_limits::page_size_default);
  const Parsed<Page> some = query_page(get("/x?page=3&pageSize=500"));
  ASSERT_TRUE(some);
  EXPECT_EQ(some->number, 3u);
  EXPECT_EQ(some->size, 500u);
  for (const char* q : {"page=0", "page=-1", "page=1000000001", "page=18446744073709551617", "page=1%00", "page=",
                        "page=+1", "page=1.0"}) {
    const Parsed<Page> p = query_page(get(std::string("/x?") + q));
    ASSERT_FALSE(p) << q;
    EXPECT_EQ(p.issues[0].name, "page") << q;
  }
  const Parsed<Page> both = query_page(get("/x?page=x&pageSize=501"));
  ASSERT_EQ(both.issues.size(), 2u);
  EXPECT_EQ(both.issues[1].name, "pageSize");
}

TEST(Params, MinOffsetAndYear) {
  EXPECT_FALSE(query_min_offset(get("/x"))->has_value());
  EXPECT_EQ(**query_min_offset(get("/x?minOffset=0")), 0u);
  EXPECT_EQ(**query_min_offset(get("/x?minOffset=9223372036854775807")), 9223372036854775807u);
  for (const char* q : {"minOffset=9223372036854775808", "minOffset=-1", "minOffset=", "minOffset=1%20"})
    EXPECT_EQ(query_min_offset(get(std::string("/x?") + q)).issues.at(0).name, "minOffset") << q;
  EXPECT_FALSE(query_year(get("/x"))->has_value());
  EXPECT_EQ(**query_year(get("/x?year=2025")), 2025);
  for (const char* q : {"year=1999", "year=2100", "year=%202025", "year=+2025", "year=2025%00", "year=02025", "year="})
    EXPECT_EQ(query_year(get(std::string("/x?") + q)).issues.at(0).name, "year") << q;
  EXPECT_FALSE(query_as_of(get("/x"))->has_value());
  EXPECT_EQ(**query_as_of(get("/x?asOf=2025-06-30T12:00:00Z")), *parse_instant("2025-06-30T12:00:00Z"));
  EXPECT_EQ(**query_as_of(get("/x?asOf=2025-06-30T12:00:00.5%2B02:00")), *parse_instant("2025-06-30T10:00:00.5Z"));
  // A day is its last microsecond in Brussels (the ledger's days are Belgian): summer, then winter.
  EXPECT_EQ(**query_as_of(get("/x?asOf=2025-07-05")), *parse_instant("2025-07-05T21:59:59.999999Z"));
  EXPECT_EQ(**query_as_of(get("/x?asOf=2025-01-15")), *parse_instant("2025-01-15T22:59:59.999999Z"));
  EXPECT_EQ(brussels_date(**query_as_of(get("/x?asOf=2025-10-26"))), *parse_date("2025-10-26")) << "the autumn change";
  for (const char* q : {"asOf=", "asOf=2025-06-31", "asOf=2025-06-30T12:00:00", "asOf=2025-02-30T00:00:00Z",
                        "asOf=2025-06-30T12:00:00Z%00", "asOf=%202025-06-30T12:00:00Z", "asOf=now"})
    EXPECT_EQ(query_as_of(get(std::string("/x?") + q)).issues.at(0).name, "asOf") << q;
}

TEST(Params, TheAuditAxes) {
  EXPECT_FALSE(query_as_of(get("/x"))->has_value());
  EXPECT_EQ(**query_as_of(get("/x?asOf=2025-06-30T12:00:00Z")), *parse_instant("2025-06-30T12:00:00Z"));
  EXPECT_EQ(**query_as_of(get("/x?asOf=2025-06-30T14:00:00%2B02:00")), *parse_instant("2025-06-30T12:00:00Z"));
  EXPECT_EQ(to_string(**query_as_of(get("/x?asOf=2025-06-30"))),
            "2025-06-30T21:59:59.999999Z");  // the end of that day in Brussels
  for (const char* q : {"asOf=", "asOf=2025-06-31", "asOf=2025-6-30", "asOf=2025-06-30T25:00:00Z", "asOf=yesterday",
                        "asOf=2025-06-30%00", "asOf=2025-06-30T12:00:00"})
    EXPECT_EQ(query_as_of(get(std::string("/x?") + q)).issues.at(0).name, "asOf") << q;
  EXPECT_FALSE(query_valid_on(get("/x"))->has_value());
  EXPECT_EQ(**query_valid_on(get("/x?validOn=2025-05-31")), *parse_date("2025-05-31"));
  for (const char* q : {"validOn=", "validOn=2025-05-31T00:00:00Z", "validOn=31-05-2025", "validOn=2025-02-29"})
    EXPECT_EQ(query_valid_on(get(std::string("/x?") + q)).issues.at(0).name, "validOn") << q;
  // Both axes stay in the years a view may show (as ?year: 2000..2099); 9999-12-31 once answered
  // a calendar "to" of ":000-12-31" and a quarter "0-Q1".
  for (const char* q : {"asOf=9999-12-31", "asOf=0001-01-01", "asOf=1999-12-31T23:59:59Z", "asOf=2100-01-01T00:00:00Z",
                        "asOf=2099-12-31T23:30:00-01:00"})
    EXPECT_EQ(query_as_of(get(std::string("/x?") + q)).issues.at(0).name, "asOf") << q;
  EXPECT_TRUE(query_as_of(get("/x?asOf=2000-01-01T00:00:00Z"))->has_value());
  EXPECT_TRUE(query_as_of(get("/x?asOf=2099-12-31"))->has_value());
  for (const char* q : {"validOn=9999-12-31", "validOn=0001-01-01", "validOn=1999-12-31", "validOn=2100-01-01"})
    EXPECT_EQ(query_valid_on(get(std::string("/x?") + q)).issues.at(0).name, "validOn") << q;
}

// RFC 9110 12.5.1: what a route offering JSON and PDF answers in.
TEST(Params, ABodyIsReadOnlyAsJson) {
  auto why = [](std::string body, std::string type, std::string encoding = "") {
    HttpRequest r = get("/x");
    r.method = "POST";
    r.body = std::move(body);
    if (!type.empty()) r.headers.emplace_back("content-type", std::move(type));
    if (!encoding.empty()) r.headers.emplace_back("content-encoding", std::move(encoding));
    return unsupported_body(r);
  };
  EXPECT_EQ(why("{}", ""), "") << "no Content-Type: read as JSON";
  EXPECT_EQ(why("{}", "application/json"), "");
  EXPECT_EQ(why("{}", " Application/JSON;charset=utf-8 "), "");
  EXPECT_EQ(why("{}", "application/problem+json"), "") << "a structured +json type";
  EXPECT_EQ(why("{}", "application/json", "identity"), "");
  EXPECT_EQ(why("", "text/plain"), "") << "no body: nothing to refuse";
  for (const char* type : {"text/plain", "text/json", "application/jsonp", "application/+json", "application", "/json",
                           "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"})
    EXPECT_NE(why("{}", type), "") << type;
  // RFC 8259 8.1: UTF-8 only; a body declared in another charset is not read as UTF-8.
  for (const char* type : {"application/json; charset=UTF-8", "application/json;charset=\"utf-8\"",
                           "application/json; charset=utf8", "application/json; foo=bar"})
    EXPECT_EQ(why("{}", type), "") << type;
  for (const char* type : {"application/json; charset=latin1", "application/json;charset=\"iso-8859-1\"",
                           "application/json; foo=bar; charset=utf-16", "application/json; charset="})
    EXPECT_NE(why("{}", type), "") << type;
  EXPECT_NE(why("{}", "application/json", "gzip"), "");
  EXPECT_NE(why("{}", "application/json", "br, identity"), "");
  EXPECT_LT(why("{}", std::string(10'000, 'a')).size(), 200u) << "the detail never echoes a long header whole";
}

TEST(Params, TheRepresentationIsFormatOrTheAcceptFieldWeighed) {
  using R = Representation;
  auto asked = [](std::string target, std::string accept) {
    HttpRequest r = get(std::move(target));
    if (!accept.empty()) r.headers.emplace_back("accept", std::move(accept));
    return negotiate_representation(r);
  };
  auto is = [&](std::string accept, std::optional<R> expected, const char* why = "") {
    const Parsed<std::optional<R>> got = asked("/x", accept);
    ASSERT_TRUE(got) << accept;
    EXPECT_EQ(*got, expected) << accept << ": " << why;
  };
  is("", R::kJson);
  is("application/pdf", R::kPdf);
  is("APPLICATION/PDF", R::kPdf);
  is("application/json", R::kJson);
  is("*/*", R::kJson);
  is("application/*", R::kJson, "a tie at the same specificity: JSON");
  is("application/pdf, */*", R::kPdf, "named more specifically");
  is("application/pdf;q=0.5, application/json", R::kJson);
  is("application/pdf, application/json;q=0.9", R::kPdf);
  is("application/json;q=0, */*", R::kPdf, "json refused, pdf by the wildcard");
  is("application/pdf;q=0", std::nullopt, "q=0 refuses pdf, and no range names json");
  is("text/html", std::nullopt);
  is("application/json;q=0, application/pdf;q=0", std::nullopt);
  is("application/pdf;q=0, */*;q=0.1", R::kJson, "the most specific range decides pdf's q");
  is("application/pdf;q=2, application/json", R::kJson, "a malformed q: the range says nothing");
  is("application/pdf;q=0.1234", std::nullopt, "four decimals: malformed, and nothing else named");
  is("application/pdf ; charset=x ; Q=1.000", R::kPdf);
  EXPECT_EQ(*asked("/x?format=pdf", "application/json"), std::optional<R>(R::kPdf)) << "format wins over Accept";
  EXPECT_EQ(*asked("/x?format=json", "application/pdf"), std::optional<R>(R::kJson));
  const Parsed<std::optional<R>> bad = asked("/x?format=PDF", "");
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.issues.size(), 1u);
  EXPECT_EQ(bad.issues[0].name, "format");
}

// A name is read as one spelling (the server canonicalises it once), and an empty pair is none,
// wherever it stands: ?&year=2025 was an unknown parameter "" while ?year=2025& was served.
TEST(Params, QueryNamesHaveOneSpellingAndEmptyPairsAreNone) {
  EXPECT_EQ(canonical_target("/v1/c?ye%61r=2025&%70age=2"), "/v1/c?year=2025&page=2");
  EXPECT_EQ(canonical_target("/v1/c?year=%32025"), "/v1/c?year=%32025") << "values as sent";
  EXPECT_EQ(canonical_target("/v1/c?a%26b=1&x%3Dy=2"), "/v1/c?a%26b=1&x%3Dy=2") << "a reserved byte stays encoded";
  EXPECT_EQ(canonical_target("/v1/%61?&a%2Db=1&&"), "/v1/a?a-b=1") << "an unreserved byte of the path decoded";
  EXPECT_EQ(canonical_target("/%68ealth"), "/health");
  EXPECT_EQ(canonical_target("/v1/a%2Fb%20c"), "/v1/a%2Fb%20c") << "reserved and other escapes as sent";
  EXPECT_EQ(canonical_target("/v1/c%zz%4"), "/v1/c%25zz%254") << "a '%' that starts no escape is the byte";
  for (const char* target : {"/%%32%65", "/%%36%38ealth", "/v1/%2e%2E/%", "/a%2F%2f%41"})
    EXPECT_EQ(canonical_target(canonical_target(target)), canonical_target(target)) << target << ": once is all";
  EXPECT_EQ(canonical_target("/%%32%65"), "/%252e");
  EXPECT_EQ(canonical_target("/v1/%7e%2d?x=%61"), "/v1/~-?x=%61");
  for (const char* target : {"/v1/c?&year=2025", "/v1/c?year=2025&", "/v1/c?&&year=2025&&"}) {
    const HttpRequest r = get(canonical_target(target));
    EXPECT_EQ(r.unknown_query("year"), std::nullopt) << target;
    EXPECT_EQ(r.empty_query(), "") << target;
    EXPECT_EQ(r.query("year"), "2025") << target;
    EXPECT_EQ(get(target).unknown_query("year"), std::nullopt) << target << ", not canonicalised";
  }
}

TEST(Params, TheNextLinkReencodesEveryParameter) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode("\"\\ &=/\n\x01\xE2\x82\xAC"), "%22%5C%20%26%3D%2F%0A%01%E2%82%AC");
  const HttpRequest r = get("/v1/c?x=%22%2C%22a%22%3A1&page=7&pageSize=2&y&z=a+b");
  const auto pairs = query_pairs(r);
  ASSERT_EQ(pairs.size(), 5u);
  EXPECT_EQ(pairs[0].second, "\",\"a\":1");
  EXPECT_EQ(next_page_href("http://h", r, Page{7, 2}), "http://h/v1/c?x=%22%2C%22a%22%3A1&y=&z=a%20b&page=8&pageSize=2");
}

}  // namespace
}  // namespace dimona::api
