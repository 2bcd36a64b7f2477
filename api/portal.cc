#include "api/portal.h"

#include "engine/base/simdjson_abi.h"

#include <algorithm>
#include <string>
#include <vector>

#include "api/params.h"
#include "engine/action.h"
#include "engine/base/json_writer.h"

namespace dimona::api {

namespace {

constexpr std::string_view kPortal = "/portal";
constexpr std::string_view kSignIn = "/portal/signIn";
constexpr std::string_view kConfig = "/portal/config.json";
constexpr std::string_view kConsent = "/consent";  // the link of a data-access request (its QR code)

// The pages load their own files and call their own origin; images are the QR codes the API
// answers, shown from blob: URLs; nothing inline, nothing from elsewhere, no framing.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PortalFile* find_file(std::string_view name) {
  for (const PortalFile& f : portal_files())
    if (f.name == name) return &f;
  return nullptr;
}

HttpResponse file_response(const PortalFile& f) {
  HttpResponse r;
  r.status = 200;
  r.content_type = std::string(f.content_type);
  r.body = std::string(f.bytes);
  r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");  // a new build's files at once
  return r;
}

HttpResponse method_not_allowed(std::string allow) {
  HttpResponse r = problem(405, "methodNotAllowed", "Method Not Allowed", "This resource does not take this method");
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

// "127.0.0.1", "localhost" or "[::1]", with or without a port: a name only this machine gives
// itself. Anything else in Host or Origin is another site's page reaching the loopback server
// through a name it rebound to 127.0.0.1 (DNS rebinding), or a server listening wider.
// Host names and schemes are case-insensitive (RFC 3986 3.1, 3.2.2); a port is 1 to 65535.
bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return equal_ignoring_case(text.substr(0, prefix.size()), prefix);
}
bool loopback_host(std::string_view host) {
  for (const std::string_view name : {"127.0.0.1", "localhost", "[::1]"}) {
    if (!starts_with_ignoring_case(host, name)) continue;
    const std::string_view port = host.substr(name.size());
    if (port.empty()) return true;
    if (port.size() < 2 || port.size() > 6 || port[0] != ':' || port[1] == '0') return false;
    if (!std::all_of(port.begin() + 1, port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    return std::stoul(std::string(port.substr(1))) <= 65535;
  }
  return false;
}
// Absent (a same-origin GET, a tool), or http(s)://<loopback host>; present and empty or anything
// else is refused (no browser sends an empty Origin).
bool loopback_origin(const HttpRequest& request) {
  const bool sent = std::any_of(request.headers.begin(), request.headers.end(),
                                [](const auto& field) { return field.first == "origin"; });
  if (!sent) return true;
  const std::string_view origin = request.header("origin");
  for (const std::string_view scheme : {"http://", "https://"})
    if (starts_with_ignoring_case(origin, scheme)) return loopback_host(origin.substr(scheme.size()));
  return false;
}

// {"role":…,"ssin":…,"enterpriseNumber":…,"subject":…} (each a string; ssin and enterpriseNumber as
// the role needs them; subject optional), nothing else: the claims of the principal, or the issues.
// Only for a page of this machine's: Host and Origin (when sent) name the loopback.
HttpResponse sign_in(const HttpRequest& request, const PortalSignIn& how, Instant now) {
  if (!loopback_host(request.header("host")) || !loopback_origin(request))
    return problem(
        403, "missingPermission", "Forbidden",
        "The development sign-in answers pages of this machine only (Host and Origin 127.0.0.1, localhost or [::1])");
  if (const std::string why = unsupported_body(request); !why.empty())
    return problem(415, "unsupportedMediaType", "Unsupported Media Type", why);
  if (request.body.size() > kPortalSignInBodyBytesMax)
    return bad_request_of({{"body", "", "at most " + std::to_string(kPortalSignInBodyBytesMax) + " bytes"}});
  simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  if (parser.parse(request.body).get(parsed) != simdjson::SUCCESS) return bad_request_of({{"body", "", "not JSON"}});
  simdjson::dom::object body;
  if (parsed.get_object().get(body) != simdjson::SUCCESS) return bad_request_of({{"body", "", "a JSON object"}});
  std::string_view role, ssin, enterprise_number, subject;
  std::vector<InputIssue> issues;
  std::vector<std::string_view> seen;
  for (const auto field : body) {
    std::string_view* into = field.key == "role"               ? &role
                             : field.key == "ssin"             ? &ssin
                             : field.key == "enterpriseNumber" ? &enterprise_number
                             : field.key == "subject"          ? &subject
                                                               : nullptr;
    if (!into) {  // its name is not echoed: it could be anything, an SSIN too
      issues.push_back({"body", "", "unknown member (role, ssin, enterpriseNumber, subject)"});
      continue;
    }
    if (std::find(seen.begin(), seen.end(), field.key) != seen.end()) {
      issues.push_back({"body", std::string(field.key), "given more than once"});
      continue;
    }
    seen.push_back(field.key);
    if (field.value.get_string().get(*into) != simdjson::SUCCESS)
      issues.push_back({"body", std::string(field.key), "a string"});
  }
  if (!issues.empty()) return bad_request_of(issues);
  Result<Principal> who = principal_from({role, ssin, enterprise_number, subject.empty() ? "portal-sign-in" : subject});
  if (!who.is_ok()) {
    const std::string& m = who.status().message();
    const size_t colon = m.find(':');
    return bad_request_of({{"body", m.substr(0, colon), colon == std::string::npos ? m : m.substr(colon + 2)}});
  }
  std::string out;
  JsonWriter w(&out);
  w.begin_object();
  w.key("token").string(how.minter->mint(*who, now, kPortalTokenLifetimeSeconds, how.issuer, how.audience));
  w.key("expiresIn").integer(kPortalTokenLifetimeSeconds);
  w.end_object();
  HttpResponse r = json_response(200, std::move(out));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

bool is_portal_path(std::string_view path) {
  return path == kPortal || path == kConsent || (path.starts_with(kPortal) && path[kPortal.size()] == '/');
}

std::string_view portal_route_label(const HttpRequest& request) {
  if (request.path() == kSignIn) return request.method == "POST" ? "POST /portal/signIn" : "portal: other";
  if (request.method != "GET") return "portal: other";
  if (request.path() == kConfig) return "GET /portal/config.json";
  if (request.path() == kConsent) return "GET /consent";
  return request.path() == kPortal ? "GET /portal" : "GET /portal/{file}";
}

HttpResponse portal_answer(const HttpRequest& request, const PortalSignIn* how, Instant now) {
  const std::string_view path = request.path();
  if (path == kSignIn) {
    if (!how) return not_found("The development sign-in is off (serve --portal-sign-in)");
    if (request.method != "POST") return method_not_allowed("POST");
    return sign_in(request, *how, now);
  }
  if (request.method != "GET") return method_not_allowed("GET, HEAD");
  if (path == kConsent) {  // ?token=T: the citizen's consents page, the token kept in the fragment
    const std::optional<AccessToken> token = parse_access_token(request.query("token"));
    if (!request.repeated_query().empty())
      return bad_request_of({{"query", std::string(request.repeated_query()), "given more than once"}});
    if (!token)
      return bad_request_of({{"query", "token", "a data-access request's token: 20 Crockford base32 characters"}});
    HttpResponse r;
    r.status = 303;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", "/portal/#consent=" + to_string(*token));
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }
  if (path == kPortal) {
    HttpResponse r;
    r.status = 308;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "/portal/\n";
    r.headers.emplace_back("Location", "/portal/");
    return r;
  }
  if (path == kConfig) {  // what the pages offer: the sign-in form only when the server has it
    HttpResponse r = json_response(200, how ? R"({"signIn":true})" : R"({"signIn":false})");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  std::string_view name = path.substr(kPortal.size() + 1);
  if (name.empty()) name = "index.html";
  const PortalFile* f = find_file(name);
  return f ? file_response(*f) : not_found();
}

}  // namespace dimona::api
