#include "api/routes.h"

#include <chrono>
#include <mutex>

#include "api/handlers.h"
#include "api/handlers_support.h"
#include "api/metrics.h"
#include "api/rate_limit.h"
#include "api/token_cache.h"
#include "projections/employer_register.h"

namespace dimona::api {

void health(Call& c, const LedgerService&) { c.reply(json_response(200, "{\"status\":\"UP\"}")); }

// Ready: the writer takes submissions and the log answers; with the
// partitions held, each one's folded offset, the log's end and the lag.
void ready(Call& c, const LedgerService& view) {
  const Result<std::vector<PartitionProgress>> progress = view.progress();
  const bool ok = view.ready() && progress.is_ok();
  std::string body;
  JsonWriter w(&body);
  w.begin_object().key("status").string(ok ? "UP" : "DOWN");
  w.key("lag").integer(static_cast<int64_t>(view.lag())).key("eventsFolded").integer(static_cast<int64_t>(view.events_folded()));
  w.key("log").string(view.log_uri());
  if (progress.is_ok()) {
    w.key("partitions").begin_array();
    for (const PartitionProgress& p : *progress) {
      w.begin_object().key("partition").integer(p.partition).key("offset").integer(static_cast<int64_t>(p.folded));
      w.key("end").integer(static_cast<int64_t>(p.end)).key("lag").integer(static_cast<int64_t>(p.lag())).end_object();
    }
    w.end_array();
  } else {
    w.key("error").string(progress.status().to_string());
  }
  w.end_object();
  c.reply(json_response(ok ? 200 : 503, std::move(body)));
}

// --- The router: route table, matching, authentication, rate limits, metrics, the exception edge ---
struct Api::Impl {
  LedgerService& service;
  TokenCache tokens;
  const Clock& clock;
  ApiOptions options;
  Metrics metrics;
  std::mutex mutex;  // guards options.public_url
  RateLimiter code_attempts_by_principal{http_limits::access_code_attempts_per_principal,
                                         http_limits::access_code_window_seconds, http_limits::rate_limited_clients_max};
  RateLimiter code_attempts_by_address{http_limits::access_code_attempts_per_address,
                                       http_limits::access_code_window_seconds, http_limits::rate_limited_clients_max};

  using Internal = void (Impl::*)(Call&);
  struct Route {
    const char* method;
    const char* pattern;
    ReadHandler read = nullptr;
    WriteHandler write = nullptr;
    Internal internal = nullptr;
    bool public_route = false;
    bool access_code_limited = false;  // guessing access codes: per principal and per address
    std::string label;                 // "GET /v1/...", for the metrics
  };
  static Route read(const char* method, const char* pattern, ReadHandler fn, bool public_route = false) {
    return Route{method, pattern, fn, nullptr, nullptr, public_route, false, std::string(method) + " " + pattern};
  }
  static Route write(const char* method, const char* pattern, WriteHandler fn) {
    return Route{method, pattern, nullptr, fn, nullptr, false, false, std::string(method) + " " + pattern};
  }
  static Route internal(const char* method, const char* pattern, Internal fn, bool public_route = false) {
    return Route{method, pattern, nullptr, nullptr, fn, public_route, false, std::string(method) + " " + pattern};
  }
  static Route limited(Route r) {
    r.access_code_limited = true;
    return r;
  }
  static const std::vector<Route>& table();

  Impl(LedgerService& s, TokenVerifier v, const Clock& c, ApiOptions o)
      : service(s), tokens(std::move(v)), clock(c), options(std::move(o)) {}

  std::string public_url() {
    std::lock_guard lock(mutex);
    return options.public_url;
  }

  void metrics_text(Call& c) {
    Metrics::LedgerFigures figures{service.events_folded(), service.lag(), service.commit_failures(),
                                   service.fold_failures(), {}};
    if (Result<std::vector<PartitionProgress>> progress = service.progress(); progress.is_ok()) figures.partitions = *progress;
    HttpResponse r = json_response(200, metrics.text(figures));
    r.content_type = "text/plain; version=0.0.4";
    c.reply(std::move(r));
  }

  // Counted on the wall clock (not c.now, which ledger time may hold ahead), both counts.
  bool within_access_code_limits(const Call& c) {
    const Instant wall = clock.now();
    const bool principal_ok = code_attempts_by_principal.allow(principal_key(*c.who), wall);
    const bool address_ok = code_attempts_by_address.allow(client_address(c.request, options.trusted_proxy), wall);
    return principal_ok && address_ok;
  }

  void dispatch(const Route& route, Call& c) {
    if (route.access_code_limited && !within_access_code_limits(c)) {
      HttpResponse r = problem(429, "tooManyRequests", "Too Many Requests", "Too many access-code lookups; retry later");
      r.headers.emplace_back("Retry-After", std::to_string(http_limits::access_code_window_seconds));
      return c.reply(std::move(r));
    }
    if (route.read) return route.read(c, service);
    if (route.write) return route.write(c, service);
    (this->*route.internal)(c);
  }
};

const std::vector<Api::Impl::Route>& Api::Impl::table() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> table = {
      read("GET", "/health", &health, true),
      read("GET", "/ready", &ready, true),
      internal("GET", "/metrics", &Impl::metrics_text, true),
      write("POST", "/v1/declarations", &post_declaration),
      read("GET", "/v1/declarations/{id}", &get_declaration),
      write("POST", "/v1/actions", &post_action),
      read("GET", "/v1/citizens/{ssin}/studentBalance", &student_balance_route),
      read("GET", "/v1/citizens/{ssin}/calendar", &calendar_route),
      read("GET", "/v1/citizens/{ssin}/interimRelations", &interim_route),
      read("GET", "/v1/citizens/{ssin}/attestations", &attestations_route),
      write("POST", "/v1/citizens/{ssin}/attestations", &issue_attestation),
      read("GET", "/v1/citizens/{ssin}/consents", &consents_route),
      read("GET", "/v1/citizens/{ssin}/consentedData", &consented_data),
      read("GET", "/v1/citizens/{ssin}/flexiEligibility", &flexi_route),
      read("GET", "/v1/citizens/{ssin}/anomalies", &anomalies_route),
      read("GET", "/v1/citizens/{ssin}/wages", &wages_route),
      read("GET", "/v1/citizens/{ssin}/inbox", &inbox_route),
      read("GET", "/v1/citizens/{ssin}/inbox/{messageId}", &inbox_message_route),
      write("POST", "/v1/citizens/{ssin}/inbox/{messageId}/archive", &archive_message),
      limited(read("GET", "/v1/accessCodes/{code}", &access_code_route)),
      read("GET", "/v1/dataAccessRequests", &data_access_requests),
      read("GET", "/v1/dataAccessRequests/{requestId}/qr", &data_access_qr),
      read("GET", "/v1/careerBreakRequests", &career_break_list),
      read("GET", "/v1/careerBreakRequests/{ticket}", &career_break_one),
      read("GET", "/v1/employers/{employer}/settings", &settings_route),
      write("PUT", "/v1/employers/{employer}/settings", &put_settings),
    };
    return table;
  }();
  return routes;
}

namespace {

// Matches "/v1/citizens/{ssin}/calendar" against a path, capturing the {names}.
bool match(std::string_view pattern, std::string_view path, PathParams* params) {
  params->clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const size_t pe = pattern.find('/'), se = path.find('/');
    const std::string_view ps = pattern.substr(0, pe), ss = path.substr(0, se);
    if (ps.size() > 2 && ps.front() == '{' && ps.back() == '}') {
      if (ss.empty()) return false;
      params->emplace_back(std::string(ps.substr(1, ps.size() - 2)), std::string(ss));
    } else if (ps != ss) {
      return false;
    }
    pattern.remove_prefix(ps.size());
    path.remove_prefix(ss.size());
  }
  return true;
}

}  // namespace

Api::Api(LedgerService& service, TokenVerifier verifier, const Clock& clock, ApiOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(verifier), clock, std::move(options))) {}

Api::~Api() = default;

void Api::set_public_url(std::string url) {
  std::lock_guard lock(impl_->mutex);
  impl_->options.public_url = std::move(url);
}

std::vector<std::string> Api::routes() {
  std::vector<std::string> out;
  for (const Impl::Route& r : Impl::table()) out.push_back(std::string(r.method) + " " + r.pattern);
  return out;
}

void Api::handle(HttpRequest request, std::function<void(HttpResponse)> done) {
  const auto t0 = std::chrono::steady_clock::now();
  Impl& impl = *impl_;
  const Impl::Route* route = nullptr;
  std::string allowed;  // the methods of a known path, for a 405's Allow
  PathParams params;
  for (const Impl::Route& r : Impl::table()) {
    if (!match(r.pattern, request.path(), &params)) continue;
    if (request.method == r.method) {
      route = &r;
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(r.method);
  }
  if (route) match(route->pattern, request.path(), &params);
  const std::string_view label = route ? std::string_view(route->label) : std::string_view("unmatched");
  auto reply = [&impl, label, t0, done = std::move(done)](HttpResponse response) {
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    impl.metrics.observe(label, response.status, ms);
    done(std::move(response));
  };
  if (!route) {
    if (!allowed.empty()) {
      HttpResponse r = problem(405, "methodNotAllowed", "Method Not Allowed", "This resource does not take this method");
      r.headers.emplace_back("Allow", allowed);
      return reply(std::move(r));
    }
    return reply(not_found());
  }
  // Reads judge codes and grants in ledger time, which imported history may have run ahead of the
  // clock; tokens are checked against the wall clock (below).
  Call c{std::move(request), std::move(params), std::nullopt, std::max(impl.clock.now(), impl.service.ledger_time()),
         impl.public_url(), reply, EmployerNameOf{}};
  if (!route->public_route) {
    AuthResult auth = impl.tokens.authenticate(c.request.header("authorization"), impl.clock.now());  // the wall clock;
    if (!auth) {
      const AuthFailure& f = auth.failure();
      std::string_view type = problem_type(f.error);
      type.remove_prefix(std::string_view("urn:problem-type:belgif:").size());
      HttpResponse r = problem(kAuthFailureHttpStatus, type, problem_title(f.error), f.detail);
      r.headers.emplace_back("WWW-Authenticate", std::string(www_authenticate(f.error)));
      return c.reply(std::move(r));
    }
    c.who = auth.principal();
  }
  c.names = employer_names(impl.options.employers.get(), language_from_accept(c.request.header("accept-language")));
  // Scale-out (group_service.h): a citizen whose partition another member holds is served
  // there: 307 to its owner (method, body and Authorization kept by the client), or 503
  // while no member holds it (a rebalance). docs/kafka.md "Scale-out".
  for (const auto& [name, value] : c.params) {
    if (name != "ssin") continue;
    Result<Ssin> ssin = parse_ssin(value);
    if (!ssin.is_ok()) break;  // the handler refuses it, as anywhere
    const uint32_t partition = impl.service.partition_of(*ssin);
    if (impl.service.holds(partition)) break;
    return c.reply(misdirected(impl.service, partition, c.request.target));
  }
  try {
    impl.dispatch(*route, c);
  } catch (const std::exception&) {  // the HTTP edge: a bug becomes a 500, never a dead server
    c.reply(problem(500, "internalServerError", "Internal Server Error", "The request could not be completed"));
  }
}

}  // namespace dimona::api
