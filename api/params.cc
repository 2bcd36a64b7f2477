#include "api/params.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "engine/action.h"
#include "engine/base/limits.h"

namespace dimona::api {
namespace {

template <typename T>
Parsed<T> refused(std::string_view in, std::string_view name, std::string_view detail) {
  return std::vector<InputIssue>{InputIssue{std::string(in), std::string(name), std::string(detail)}};
}

template <typename T>
Parsed<T> path_value(Result<T> r, std::string_view name) {
  if (!r.is_ok()) return refused<T>("path", name, r.status().message());
  return std::move(*r);
}

}  // namespace

HttpResponse bad_request_of(const std::vector<InputIssue>& issues) {
  return bad_request("The input message is incorrect", issues);
}

Parsed<Ssin> path_ssin(std::string_view text) { return path_value(parse_ssin(text), "ssin"); }
Parsed<DeclarationId> path_declaration_id(std::string_view text) { return path_value(parse_declaration_id(text), "id"); }
Parsed<RequestId> path_request_id(std::string_view text) { return path_value(parse_request_id(text), "requestId"); }
Parsed<TicketNumber> path_ticket(std::string_view text) { return path_value(parse_ticket_number(text), "ticket"); }

Parsed<EnterpriseNumber> path_employer(std::string_view text) {
  if (!parse_enterprise_number(text).is_ok()) return refused<EnterpriseNumber>("path", "employer", "not a valid enterprise number");
  return *parse_enterprise_number(text);
}

Parsed<uint64_t> path_message_id(std::string_view text) {
  Result<RequestId> id = parse_request_id(text);  // the same shape: a 12-digit ledger id
  if (!id.is_ok())
    return refused<uint64_t>("path", "messageId",
                             "expected a message id: 12 digits, the last two the first ten mod 97");
  return id->value;
}

Parsed<uint64_t> path_access_code(std::string_view text) {
  const std::optional<uint64_t> code = parse_access_code(text);
  if (!code) return refused<uint64_t>("path", "code", "expected XXXXX-XXXXX");
  return *code;
}

Parsed<Page> query_page(const HttpRequest& request) {
  Page p;
  std::vector<InputIssue> issues;
  if (request.has_query("page")) {
    Result<uint64_t> n = parse_decimal(request.query("page"), 1, http_limits::page_number_max);
    if (n.is_ok()) p.number = static_cast<size_t>(*n);
    else issues.push_back({"query", "page", "expected 1 to " + std::to_string(http_limits::page_number_max)});
  }
  if (request.has_query("pageSize")) {
    Result<uint64_t> n = parse_decimal(request.query("pageSize"), 1, http_limits::page_size_max);
    if (n.is_ok()) p.size = static_cast<size_t>(*n);
    else issues.push_back({"query", "pageSize", "expected 1 to " + std::to_string(http_limits::page_size_max)});
  }
  if (!issues.empty()) return issues;
  return p;
}

Parsed<std::optional<Offset>> query_min_offset(const HttpRequest& request) {
  if (!request.has_query("minOffset")) return std::optional<Offset>();
  constexpr uint64_t kOffsetMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  Result<uint64_t> n = parse_decimal(request.query("minOffset"), 0, kOffsetMax);
  if (!n.is_ok()) return refused<std::optional<Offset>>("query", "minOffset", "expected an offset 0 or more");
  return std::optional<Offset>(*n);
}

namespace {

// The years an audit axis may name, as ?year may (2000..2099): the views' years, quarters and
// calendars around such a day stay four-digit years.
bool in_axis_years(Date day) {
  const int32_t y = year_of(day);
  return y >= limits::read_year_min && y <= limits::read_year_max;
}

}  // namespace

std::optional<Instant> parse_as_of(std::string_view text) {
  if (text.size() == 10) {
    const std::optional<Date> day = parse_date(text);
    if (!day || !in_axis_years(*day)) return std::nullopt;
    return end_of_brussels_day(*day);
  }
  const std::optional<Instant> at = parse_instant(text);
  if (!at || !in_axis_years(date_of(*at))) return std::nullopt;
  return at;
}

std::optional<Date> parse_valid_on(std::string_view text) {
  const std::optional<Date> day = parse_date(text);
  if (!day || !in_axis_years(*day)) return std::nullopt;
  return day;
}

Parsed<std::optional<Instant>> query_as_of(const HttpRequest& request) {
  if (!request.has_query("asOf")) return std::optional<Instant>();
  const std::optional<Instant> at = parse_as_of(request.query("asOf"));
  if (!at) return refused<std::optional<Instant>>("query", "asOf", std::string(kAsOfExpected));
  return std::optional<Instant>(*at);
}

Parsed<std::optional<Date>> query_valid_on(const HttpRequest& request) {
  if (!request.has_query("validOn")) return std::optional<Date>();
  const std::optional<Date> day = parse_valid_on(request.query("validOn"));
  if (!day) return refused<std::optional<Date>>("query", "validOn", std::string(kValidOnExpected));
  return std::optional<Date>(*day);
}

namespace {

// An Accept field's weight for one offered type: its q in thousandths and how specifically the
// deciding range named it (3 type/subtype, 2 type/*, 1 */*, 0 none).
struct Weight {
  int quality = 0;
  int specificity = 0;
};

// RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
std::optional<int> parse_qvalue(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return std::nullopt;
  int value = (q[0] - '0') * 1000;
  if (q.size() == 1) return value;
  if (q[1] != '.' || q.size() > 5) return std::nullopt;
  int scale = 100;
  for (char c : q.substr(2)) {
    if (c < '0' || c > '9' || (value == 1000 && c != '0')) return std::nullopt;
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value;
}

// How `accept` weighs `type` ("application/pdf"): the q of its most specific matching range.
Weight weigh(std::string_view accept, std::string_view type) {
  const std::string_view major = type.substr(0, type.find('/'));
  Weight best;
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const size_t semi = range.find(';');
    const std::string_view media = trim_ows(range.substr(0, semi));
    std::string_view params = semi == std::string_view::npos ? std::string_view() : range.substr(semi + 1);
    std::optional<int> quality = 1000;
    while (!params.empty()) {
      const size_t next = params.find(';');
      const std::string_view param = trim_ows(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
        quality = parse_qvalue(param.substr(2));
    }
    if (!quality) continue;  // a malformed weight: the range says nothing
    int specificity = 0;
    if (equal_ignoring_case(media, type))
      specificity = 3;
    else if (media.size() == major.size() + 2 && equal_ignoring_case(media.substr(0, major.size()), major) &&
             media.substr(major.size()) == "/*")
      specificity = 2;
    else if (media == "*/*")
      specificity = 1;
    if (specificity > best.specificity) best = {*quality, specificity};
  }
  return best;
}

}  // namespace

Parsed<std::optional<Representation>> negotiate_representation(const HttpRequest& request) {
  using Answer = std::optional<Representation>;
  if (request.has_query("format")) {
    const std::string format = request.query("format");
    if (format == "json") return Answer(Representation::kJson);
    if (format == "pdf") return Answer(Representation::kPdf);
    return refused<Answer>("query", "format", "expected json or pdf");
  }
  const std::string_view accept = request.header("accept");
  if (trim_ows(accept).empty()) return Answer(Representation::kJson);
  const Weight json = weigh(accept, "application/json"), pdf = weigh(accept, "application/pdf");
  if (json.quality == 0 && pdf.quality == 0) return Answer();
  const bool pdf_wins = pdf.quality != json.quality ? pdf.quality > json.quality : pdf.specificity > json.specificity;
  return Answer(pdf_wins ? Representation::kPdf : Representation::kJson);
}

bool accept_takes(std::string_view accept, std::string_view type) {
  return trim_ows(accept).empty() || weigh(accept, type).quality > 0;
}

Parsed<bool> json_acceptable(const HttpRequest& request) {
  if (request.has_query("format")) {
    if (request.query("format") == "json") return true;
    return refused<bool>("query", "format", "this view is JSON only: expected json");
  }
  return accept_takes(request.header("accept"), "application/json");
}

std::string unsupported_body(const HttpRequest& request) {
  if (request.body.empty()) return {};
  const std::string_view encoding = trim_ows(request.header("content-encoding"));
  if (!encoding.empty() && !equal_ignoring_case(encoding, "identity"))
    return "this Content-Encoding is not decoded here: send the JSON as it is (identity)";  // no echo of the value
  const std::string_view type = request.header("content-type");
  if (type.empty()) return {};
  const std::string_view media = trim_ows(type.substr(0, type.find(';')));
  const size_t slash = media.find('/');
  const std::string_view major = media.substr(0, slash),
                         minor = slash == std::string_view::npos ? "" : media.substr(slash + 1);
  constexpr std::string_view kJsonSuffix = "+json";
  const bool json = equal_ignoring_case(major, "application") &&
                    (equal_ignoring_case(minor, "json") ||
                     (minor.size() > kJsonSuffix.size() &&
                      equal_ignoring_case(minor.substr(minor.size() - kJsonSuffix.size()), kJsonSuffix)));
  if (!json) return "this Content-Type is not read here: the body is application/json";  // no echo of the value
  // RFC 8259 8.1: JSON exchanged between systems is UTF-8; a body declared in another charset is
  // not read as if it were UTF-8.
  for (size_t at = type.find(';'); at != std::string_view::npos;) {
    const size_t next = type.find(';', at + 1);
    const std::string_view param = trim_ows(type.substr(at + 1, next == std::string_view::npos ? next : next - at - 1));
    at = next;
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos || !equal_ignoring_case(trim_ows(param.substr(0, eq)), "charset")) continue;
    std::string_view charset = trim_ows(param.substr(eq + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"')
      charset = charset.substr(1, charset.size() - 2);
    if (!equal_ignoring_case(charset, "utf-8") && !equal_ignoring_case(charset, "utf8"))
      return "this charset is not read here: the body is JSON in UTF-8 (RFC 8259)";  // no echo of the value
  }
  return {};
}

Parsed<std::optional<int32_t>> query_year(const HttpRequest& request) {
  if (!request.has_query("year")) return std::optional<int32_t>();
  constexpr uint64_t kYearMin = limits::read_year_min, kYearMax = limits::read_year_max;
  const std::string text = request.query("year");
  Result<uint64_t> y = text.size() == 4 ? parse_decimal(text, kYearMin, kYearMax) : Result<uint64_t>(invalid_argument(""));
  if (!y.is_ok()) return refused<std::optional<int32_t>>("query", "year", "expected a year 2000..2099");
  return std::optional<int32_t>(static_cast<int32_t>(*y));
}

std::vector<std::pair<std::string, std::string>> query_pairs(const HttpRequest& request) {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_query_pair(request.target, [&out](std::string_view name, std::string_view raw) {
    out.emplace_back(percent_decode(name), percent_decode(raw));
    return false;
  });
  return out;
}

namespace {

// A path as a link: each segment encoded, the slashes kept.
std::string percent_encode_path(std::string_view path) {
  std::string out;
  for (size_t slash = path.find('/'); !path.empty(); slash = path.find('/')) {
    out += percent_encode(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    out += '/';
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::string next_page_href(std::string_view base_url, const HttpRequest& request, const Page& page) {
  std::string href = std::string(base_url) + percent_encode_path(request.path()) + "?";
  for (const auto& [name, value] : query_pairs(request)) {
    if (name == "page" || name == "pageSize") continue;
    href += percent_encode(name) + "=" + percent_encode(value) + "&";
  }
  href += "page=" + std::to_string(page.number + 1) + "&pageSize=" + std::to_string(page.size);
  return href;
}

}  // namespace dimona::api
