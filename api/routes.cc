#include "api/routes.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "api/cli_support.h"
#include "api/pdf.h"
#include "api/qr.h"
#include "engine/base/json_writer.h"
#include "engine/flexi.h"
#include "projections/access_views.h"
#include "projections/anomaly_log.h"
#include "projections/career_break_views.h"
#include "projections/interim_views.h"
#include "projections/student_views.h"

namespace dimona::api {

// --- Metrics (Prometheus text) --------------------------------------------------------
class Metrics {
 public:
  static constexpr std::array<double, 11> kBucketsMs = {0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000};

  void observe(std::string_view route, int status, double ms) {
    std::lock_guard lock(mutex_);
    auto it = requests_.find(std::pair<std::string_view, int>{route, status});
    if (it == requests_.end()) it = requests_.emplace(std::pair<std::string, int>{std::string(route), status}, 0).first;
    ++it->second;
    size_t b = 0;
    while (b < kBucketsMs.size() && ms > kBucketsMs[b]) ++b;
    ++buckets_[b];
    sum_ms_ += ms;
    ++count_;
  }

  std::string text(uint64_t events_folded, uint64_t lag) const {
    std::lock_guard lock(mutex_);
    std::string out = "# HELP dimona_http_requests_total HTTP requests by route and status.\n"
                      "# TYPE dimona_http_requests_total counter\n";
    for (const auto& [key, n] : requests_)
      out += "dimona_http_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) +
             "\"} " + std::to_string(n) + "\n";
    out += "# HELP dimona_http_request_duration_seconds Request latency.\n"
           "# TYPE dimona_http_request_duration_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBucketsMs.size(); ++b) {
      cumulative += buckets_[b];
      const std::string le = b < kBucketsMs.size() ? std::to_string(kBucketsMs[b] / 1000.0) : "+Inf";
      out += "dimona_http_request_duration_seconds_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "dimona_http_request_duration_seconds_sum " + std::to_string(sum_ms_ / 1000.0) + "\n";
    out += "dimona_http_request_duration_seconds_count " + std::to_string(count_) + "\n";
    out += "# HELP dimona_events_folded_total Events folded into the read models.\n"
           "# TYPE dimona_events_folded_total counter\ndimona_events_folded_total " +
           std::to_string(events_folded) + "\n";
    out += "# HELP dimona_write_lag Submissions accepted and not yet folded.\n"
           "# TYPE dimona_write_lag gauge\ndimona_write_lag " + std::to_string(lag) + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  struct Less {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view x = a.first, y = b.first;
      return x != y ? x < y : a.second < b.second;
    }
  };
  std::map<std::pair<std::string, int>, uint64_t, Less> requests_;
  std::array<uint64_t, kBucketsMs.size() + 1> buckets_{};
  double sum_ms_ = 0;
  uint64_t count_ = 0;
};

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

struct Context {
  HttpRequest request;
  Params params;
  std::optional<Principal> who;
  Instant now;
  std::function<void(HttpResponse)> reply;

  std::string param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    return {};
  }
  bool is(Role r) const { return who && who->role == r; }
  bool wants_pdf() const {
    return request.query("format") == "pdf" || request.header("accept").find("application/pdf") != std::string_view::npos;
  }
};

HttpResponse forbidden() {
  return problem(403, "missingPermission", "Missing Permission", "The caller may not access this resource");
}

HttpResponse unavailable_response(std::string_view detail) {
  HttpResponse r = problem(503, "serviceUnavailable", "Service Unavailable", detail);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// A Status from the engine as a problem: "field X: reason" becomes an input issue.
HttpResponse problem_of(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument: {
      const std::string& m = s.message();
      constexpr std::string_view kField = "field ";
      if (m.rfind(kField, 0) == 0) {
        const size_t colon = m.find(": ");
        if (colon != std::string::npos)
          return bad_request("The input message is incorrect",
                             {InputIssue{"body", m.substr(kField.size(), colon - kField.size()), m.substr(colon + 2)}});
      }
      return bad_request("The input message is incorrect", {InputIssue{"body", "", m}});
    }
    case Code::kPermissionDenied: return forbidden();
    case Code::kNotFound: return not_found();
    case Code::kUnavailable:
    case Code::kBusy: return unavailable_response(s.message());
    default: return problem(500, "internalServerError", "Internal Server Error", "The request could not be completed");
  }
}

std::optional<Ssin> path_ssin(const Context& c, HttpResponse* error) {
  Result<Ssin> ssin = parse_ssin(c.param("ssin"));
  if (!ssin.is_ok()) {
    *error = bad_request("The input message is incorrect", {InputIssue{"path", "ssin", ssin.status().message()}});
    return std::nullopt;
  }
  return *ssin;
}

// The citizen themself, or an auditor.
bool may_read_citizen(const Context& c, Ssin s) {
  return c.is(Role::kAuditor) || (c.is(Role::kCitizen) && c.who->ssin == s);
}

std::string items(const std::vector<std::string>& objects) {
  std::string out = "{\"items\":[";
  for (size_t i = 0; i < objects.size(); ++i) out += (i ? "," : "") + objects[i];
  out += "],\"total\":" + std::to_string(objects.size()) + "}";
  return out;
}

std::vector<int32_t> years_of_query(const Context& c, Date today, HttpResponse* error) {
  const std::string y = c.request.query("year");
  if (y.empty()) return {year_of(today) - 1, year_of(today), year_of(today) + 1};
  char* end = nullptr;
  const long v = std::strtol(y.c_str(), &end, 10);
  if (*end != '\0' || v < 2000 || v > 2099) {
    *error = bad_request("The input message is incorrect", {InputIssue{"query", "year", "expected a year 2000..2099"}});
    return {};
  }
  return {static_cast<int32_t>(v)};
}

bool is_citizen_action(ActionKind k) {
  switch (k) {
    case ActionKind::kAttestationRequest:
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal:
    case ActionKind::kDataAccessRevocation:
    case ActionKind::kCareerBreakEmployeePart:
    case ActionKind::kCareerBreakNotification: return true;
    default: return false;
  }
}

bool is_institution_action(ActionKind k) {
  return k == ActionKind::kOccupationQuarter || k == ActionKind::kPensionStatus || k == ActionKind::kOnemDecision;
}

// Import of history (recordedAt, source ids) is for batch files: over HTTP
// the ledger's clock and ids are the only ones.
Status refuse_imports(const Command& c) {
  if (c.declaration.recorded_at) return invalid_argument("field recordedAt: set by the ledger over HTTP");
  if (!c.is_action && c.declaration.kind == DeclarationKind::kIn && c.declaration.period_id.present())
    return invalid_argument("field dimonaIn.periodId: set by the ledger over HTTP");
  if (c.is_action && c.action.id != 0 &&
      (c.action.kind == ActionKind::kDataAccessRequest || c.action.kind == ActionKind::kCareerBreakRequest ||
       c.action.kind == ActionKind::kCareerBreakNotification))
    return invalid_argument("field " + std::string(action_key(c.action.kind)) + ": ids are set by the ledger over HTTP");
  if (c.is_action && c.action.kind == ActionKind::kDataAccessRequest && !c.action.token.empty())
    return invalid_argument("field dataAccessRequest.token: set by the ledger over HTTP");
  return Status::ok();
}

// Who may submit what (the check runs on the writer thread, before deciding).
Status may_submit(const Principal& p, const Command& c, const LedgerState& state) {
  DIMONA_TRY(refuse_imports(c));
  if (!c.is_action) {
    if (p.role != Role::kDeclarant) return permission_denied("declarations are sent by declarants");
    if (p.employer == 0) return Status::ok();
    uint64_t employer = employer_key(c.declaration);
    if (employer == 0 && c.declaration.period_id.valid()) {  // UPDATE, OUT, CANCEL: the period's employer
      if (const Period* period = state.period(c.declaration.period_id.value)) employer = period->employer;
    }
    if (employer != 0 && employer != p.employer) return permission_denied("another employer");
    return Status::ok();
  }
  const Action& a = c.action;
  if (is_citizen_action(a.kind)) {
    if (p.role != Role::kCitizen || a.worker != p.ssin) return permission_denied("a citizen's own action");
    return Status::ok();
  }
  if (is_institution_action(a.kind)) {
    if (p.role != Role::kDeclarant) return permission_denied("an institution's action");
    return Status::ok();
  }
  if ((p.role != Role::kEmployer && p.role != Role::kAgency) || a.employer != p.employer)
    return permission_denied("an employer's own action");
  return Status::ok();
}

void write_decision(JsonWriter& w, const Decision& d) {
  const char result = static_cast<char>(d.result);
  w.key("result").string(std::string_view(&result, 1));
  w.key("anomalies").begin_array();
  for (size_t i = 0; i < d.anomaly_count; ++i) {
    w.begin_object().key("code").string(anomaly_code_string(d.anomalies[i].code));
    w.key("severity").string(d.anomalies[i].blocking ? "B" : "NP").end_object();
  }
  w.end_array();
  if (d.period_id.value != 0) w.key("periodId").digits(d.period_id.value, 12);
  if (d.exceeding_hours != 0) w.key("exceedingHours").integer(d.exceeding_hours);
}

// A page of a collection (Belgif: page, pageSize, next); page numbers from 1.
struct Page {
  size_t number = 1;
  size_t size = http_limits::page_size_default;
};

std::optional<Page> parse_page(const std::string& page, const std::string& size, HttpResponse* error) {
  Page p;
  std::vector<InputIssue> issues;
  auto number = [](const std::string& text, size_t* out) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v == 0) return false;
    *out = static_cast<size_t>(v);
    return true;
  };
  if (!page.empty() && !number(page, &p.number)) issues.push_back({"query", "page", "expected 1 or more"});
  if (!size.empty() && (!number(size, &p.size) || p.size > http_limits::page_size_max))
    issues.push_back({"query", "pageSize", "expected 1 to 500"});
  if (!issues.empty()) {
    *error = bad_request("The input message is incorrect", issues);
    return std::nullopt;
  }
  return p;
}

template <typename T>
std::vector<T> page_of(const std::vector<T>& all, const Page& p) {
  const size_t first = std::min(all.size(), (p.number - 1) * p.size);
  const size_t last = std::min(all.size(), first + p.size);
  return std::vector<T>(all.begin() + static_cast<std::ptrdiff_t>(first), all.begin() + static_cast<std::ptrdiff_t>(last));
}

// `json` is a collection written for one page, ending in "total":N}: the
// total becomes the whole collection's, followed by page, pageSize and the
// href of the next page when there is one.
std::string paged(std::string json, size_t total, const Page& p, const std::string& base_url, const HttpRequest& r) {
  const size_t at = json.rfind(",\"total\":");
  DIMONA_ASSERT(at != std::string::npos && json.back() == '}');
  json.resize(at);
  json += ",\"total\":" + std::to_string(total) + ",\"page\":" + std::to_string(p.number) +
          ",\"pageSize\":" + std::to_string(p.size);
  if (p.number * p.size < total) {
    std::string query;  // the request's query without page and pageSize
    const size_t q = r.target.find('?');
    std::string_view rest = q == std::string::npos ? std::string_view() : std::string_view(r.target).substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const std::string_view name = pair.substr(0, pair.find('='));
      if (name != "page" && name != "pageSize") query += std::string(pair) + "&";
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
    json += ",\"next\":\"" + base_url + std::string(r.path()) + "?" + query + "page=" + std::to_string(p.number + 1) +
            "&pageSize=" + std::to_string(p.size) + "\"";
  }
  json += "}";
  return json;
}

struct DeclarationRecord {
  Decision decision;
  uint32_t partition = 0;
  Offset offset = 0;
};

}  // namespace

// --- The routes ---------------------------------------------------------------------------
struct Api::Impl {
  LedgerService& service;
  TokenVerifier verifier;
  const Clock& clock;
  ApiOptions options;
  Metrics metrics;
  std::mutex mutex;  // guards the two maps below
  std::unordered_map<uint64_t, DeclarationRecord> declarations;  // decided by this process
  std::unordered_map<std::string, std::pair<int64_t, int>> access_code_attempts;  // client -> (minute, count)
  // Tokens already verified, until their expiry: a signature check (ECDSA or
  // RSA) costs far more than the rest of a GET. Bounded; cleared when full.
  struct TokenHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::mutex token_mutex;
  std::unordered_map<std::string, Principal, TokenHash, std::equal_to<>> verified_tokens;

  AuthResult authenticate(std::string_view authorization, Instant now) {
    {
      std::lock_guard lock(token_mutex);
      if (auto it = verified_tokens.find(authorization); it != verified_tokens.end()) {
        if (now < it->second.expires_at) return it->second;
        verified_tokens.erase(it);  // expired: verify() says so with the right problem
      }
    }
    AuthResult result = verifier.verify(authorization, now);
    if (result) {
      std::lock_guard lock(token_mutex);
      if (verified_tokens.size() >= http_limits::verified_tokens_cached_max) verified_tokens.clear();
      verified_tokens.emplace(std::string(authorization), result.principal());
    }
    return result;
  }

  using Fn = void (Impl::*)(Context&);
  struct Route {
    const char* method;
    const char* pattern;
    Fn fn;
    bool public_route = false;
    std::string label;  // "GET /v1/...", for the metrics
  };
  static Route make(const char* method, const char* pattern, Fn fn, bool public_route = false) {
    return Route{method, pattern, fn, public_route, std::string(method) + " " + pattern};
  }
  static const std::vector<Route>& table();

  std::string public_url() {
    std::lock_guard lock(mutex);
    return options.public_url;
  }

  Impl(LedgerService& s, TokenVerifier v, const Clock& c, ApiOptions o)
      : service(s), verifier(std::move(v)), clock(c), options(std::move(o)) {}

  void health(Context& c) { c.reply(json_response(200, "{\"status\":\"UP\"}")); }
  void ready(Context& c) {
    const bool ok = service.ready();
    c.reply(json_response(ok ? 200 : 503, std::string("{\"status\":\"") + (ok ? "UP" : "DOWN") +
                                              "\",\"lag\":" + std::to_string(service.lag()) +
                                              ",\"eventsFolded\":" + std::to_string(service.events_folded()) + "}"));
  }
  void metrics_text(Context& c) {
    HttpResponse r = json_response(200, metrics.text(service.events_folded(), service.lag()));
    r.content_type = "text/plain; version=0.0.4";
    c.reply(std::move(r));
  }

  // Waits for ?minOffset in the citizen's partition; false when it replied 503.
  bool wait_min_offset(Context& c, Ssin s) {
    if (!c.request.has_query("minOffset")) return true;
    char* end = nullptr;
    const std::string v = c.request.query("minOffset");
    const unsigned long long offset = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') {
      c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "minOffset", "expected an offset"}}));
      return false;
    }
    if (service.wait_for(service.partition_of(s), offset, http_limits::min_offset_wait_ms)) return true;
    c.reply(unavailable_response("the read model has not reached minOffset yet"));
    return false;
  }

  // The citizen of the path when the caller may read it; otherwise replies and returns nullopt.
  std::optional<Ssin> readable_citizen(Context& c) {
    HttpResponse error;
    std::optional<Ssin> s = path_ssin(c, &error);
    if (!s) return c.reply(std::move(error)), std::nullopt;
    if (!may_read_citizen(c, *s)) return c.reply(forbidden()), std::nullopt;
    if (!wait_min_offset(c, *s)) return std::nullopt;
    return s;
  }

  void post_declaration(Context& c) { submit(c, true); }
  void post_action(Context& c) { submit(c, false); }

  void submit(Context& c, bool declaration_route) {
    const Principal who = *c.who;
    auto reply = c.reply;
    auto check = [who, declaration_route](const Command& command, const LedgerState& state) -> Status {
      if (command.is_action == declaration_route)
        return invalid_argument(declaration_route ? "an action goes to /v1/actions" : "a declaration goes to /v1/declarations");
      return may_submit(who, command, state);
    };
    service.submit(std::move(c.request.body), check, [this, reply](Result<WriteOutcome> o) {
      if (!o.is_ok()) return reply(problem_of(o.status()));
      reply(written(*o));
    });
  }

  HttpResponse written(const WriteOutcome& o) {
    HttpResponse r;
    r.status = 201;
    JsonWriter w(&r.body);
    w.begin_object();
    if (o.is_action) {
      w.key("actionId").digits(o.id, 12);
      w.key("event").raw(o.event_json);
    } else {
      const std::string href = public_url() + "/v1/declarations/" + std::string(12 - std::min<size_t>(12, std::to_string(o.id).size()), '0') + std::to_string(o.id);
      w.key("declarationId").digits(o.id, 12).key("href").string(href);
      write_decision(w, o.declaration.decision);
      r.headers.emplace_back("Location", href);
      std::lock_guard lock(mutex);
      declarations[o.id] = DeclarationRecord{o.declaration.decision, o.partition, o.offset};
    }
    w.key("partition").integer(o.partition).key("offset").integer(static_cast<int64_t>(o.offset));
    w.end_object();
    return r;
  }

  void get_declaration(Context& c) {
    if (!c.is(Role::kDeclarant) && !c.is(Role::kAuditor)) return c.reply(forbidden());
    char* end = nullptr;
    const std::string text = c.param("id");
    const unsigned long long id = std::strtoull(text.c_str(), &end, 10);
    if (text.size() != 12 || *end != '\0') return c.reply(not_found());
    std::optional<DeclarationRecord> record;
    {
      std::lock_guard lock(mutex);
      if (auto it = declarations.find(id); it != declarations.end()) record = it->second;
    }
    if (!record) return c.reply(not_found("Not decided yet, or not decided by this server"));
    std::string body;
    JsonWriter w(&body);
    w.begin_object().key("declarationId").digits(id, 12).key("declarationStatus").begin_object();
    write_decision(w, record->decision);
    w.end_object().key("partition").integer(record->partition).key("offset").integer(static_cast<int64_t>(record->offset));
    w.end_object();
    c.reply(json_response(200, std::move(body)));
  }

  void student_balance_route(Context& c) {
    const std::optional<Ssin> s = readable_citizen(c);
    if (!s) return;
    const Date today = date_of(c.now);
    HttpResponse error;
    const std::vector<int32_t> years = years_of_query(c, today, &error);
    if (years.empty()) return c.reply(std::move(error));
    c.reply(json_response(200, service.read([&](const Projector& p) {
      std::vector<std::string> objects;
      for (int32_t y : years) {
        objects.emplace_back();
        to_json(student_balance(p.state_of(*s), *s, y, today), &objects.back());
      }
      return items(objects);
    })));
  }

  void calendar_route(Context& c) {
    const std::optional<Ssin> s = readable_citizen(c);
    if (!s) return;
    HttpResponse error;
    const std::vector<int32_t> years = years_of_query(c, date_of(c.now), &error);
    if (years.empty()) return c.reply(std::move(error));
    c.reply(json_response(200, service.read([&](const Projector& p) {
      std::vector<std::string> objects;
      for (int32_t y : years) {
        objects.emplace_back();
        to_json(student_calendar(p.state_of(*s), *s, y), &objects.back());
      }
      return items(objects);
    })));
  }

  std::optional<InterimFilter> interim_filter_of(Context& c) {
    InterimFilter f = interim_window(date_of(c.now));
    std::vector<InputIssue> issues;
    for (auto [name, out] : {std::pair{"from", &f.from}, std::pair{"to", &f.to}}) {
      const std::string v = c.request.query(name);
      if (v.empty()) continue;
      if (auto d = parse_date(v)) *out = *d;
      else issues.push_back({"query", name, "expected YYYY-MM-DD"});
    }
    if (const std::string t = c.request.query("workerType"); !t.empty()) {
      f.worker_type = parse_worker_type(t);
      if (f.worker_type == WorkerType::kUnknown) issues.push_back({"query", "workerType", "not a Dimona worker type"});
    }
    for (auto [name, out] : {std::pair{"agency", &f.agency}, std::pair{"userCompany", &f.user_company}}) {
      const std::string v = c.request.query(name);
      if (v.empty()) continue;
      if (auto n = parse_enterprise_number(v); n.is_ok()) *out = n->value;
      else issues.push_back({"query", name, "not a valid enterprise number"});
    }
    if (f.to < f.from) issues.push_back({"query", "to", "before from"});
    if (!issues.empty()) return c.reply(bad_request("The input message is incorrect", issues)), std::nullopt;
    return f;
  }

  void interim_route(Context& c) {
    const std::optional<Ssin> s = readable_citizen(c);
    if (!s) return;
    const std::optional<InterimFilter> f = interim_filter_of(c);
    if (!f) return;
    if (c.request.query("view") == "calendar") {
      return c.reply(json_response(200, service.read([&](const Projector& p) {
        std::string out;
        to_json(interim_calendar(p.state_of(*s), *s, *f), &out);
        return out;
      })));
    }
    const std::vector<InterimRelation> relations = service.read([&](const Projector& p) {
      return interim_relations(p.state_of(*s), *s, *f, &p.anomalies_of(*s));
    });
    if (!c.wants_pdf()) {
      HttpResponse error;
      const std::optional<Page> page = parse_page(c.request.query("page"), c.request.query("pageSize"), &error);
      if (!page) return c.reply(std::move(error));
      std::string out;
      to_json(*s, page_of(relations, *page), &out);
      return c.reply(json_response(200, paged(std::move(out), relations.size(), *page, public_url(), c.request)));
    }
    InterimPdf pdf{mask(*s), to_string(f->from), to_string(f->to), to_string(c.now), {}};
    for (const InterimRelation& r : relations) {
      std::string anomalies;
      for (const InterimPeriod& p : r.periods)
        for (uint32_t code : p.anomalies) anomalies += (anomalies.empty() ? "" : " ") + anomaly_code_string(code);
      pdf.rows.push_back({company_text(r.agency), company_text(r.user_company), to_string(r.first), to_string(r.last),
                          r.days, static_cast<uint32_t>(r.periods.size()), anomalies});
    }
    reply_pdf(c, render_interim_pdf(pdf), "interim-relations.pdf");
  }

  static std::string company_text(uint64_t key) {
    return key == kNamedUserCompany ? "(by name and address)" : cli::employer_text(key);
  }

  void reply_pdf(Context& c, const Result<std::string>& pdf, std::string_view file) {
    if (!pdf.is_ok()) return c.reply(problem_of(internal_error(pdf.status().message())));
    HttpResponse r;
    r.content_type = "application/pdf";
    r.body = *pdf;
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + std::string(file) + "\"");
    c.reply(std::move(r));
  }

  void attestations_route(Context& c) {
    const std::optional<Ssin> s = readable_citizen(c);
    if (!s) return;
    HttpResponse error;
    const std::optional<Page> page = parse_page(c.request.query("page"), c.request.query("pageSize"), &error);
    if (!page) return c.reply(std::move(error));
    const std::vector<Attestation> all = service.read([&](const Projector& p) { return attestations_of(p.state_of(*s), *s); });
    std::vector<std::string> objects;
    for (const Attestation& a : page_of(all, *page)) {
      objects.emplace_back();
      to_json(a, &objects.back());
    }
    c.reply(json_response(200, paged(items(objects), all.size(), *page, public_url(), c.request)));
  }

  // POST /v1/citizens/{ssin}/attestations[?year=2026]: issues one (seed 001), JSON or PDF.
  void issue_attestation(Context& c) {
    HttpResponse error;
    const std::optional<Ssin> s = path_ssin(c, &error);
    if (!s) return c.reply(std::move(error));
    if (!c.is(Role::kCitizen) || c.who->ssin != *s) return c.reply(forbidden());
    HttpResponse year_error;
    const std::vector<int32_t> years = c.request.has_query("year") ? years_of_query(c, date_of(c.now), &year_error)
                                                                   : std::vector<int32_t>{year_of(date_of(c.now))};
    if (years.empty()) return c.reply(std::move(year_error));
    const int32_t year = years.front();
    const std::string body = "{\"worker\":{\"ssin\":\"" + c.param("ssin") + "\"},\"attestationRequest\":{\"year\":" +
                             std::to_string(year) + "}}";
    const Principal who = *c.who;
    const bool pdf = c.wants_pdf();
    auto reply = c.reply;
    service.submit(body, [who](const Command& command, const LedgerState& state) { return may_submit(who, command, state); },
                   [this, reply, pdf](Result<WriteOutcome> o) {
                     if (!o.is_ok()) return reply(problem_of(o.status()));
                     const ActionOutcome& out = o->action.outcome;
                     if (!out.accepted()) {
                       return reply(problem(409, "conflict", "Conflict", refusal_message(out.refusal)));
                     }
                     const Attestation a = attestation_of(out, o->action.recorded_at);
                     if (!pdf) {
                       std::string json;
                       to_json(a, &json);
                       return reply(json_response(201, std::move(json)));
                     }
                     AttestationPdf doc{printed_ssin(a.citizen), attestation_student_name(a), a.for_year,
                                        a.quota_hours, a.remaining_hours, format_access_code(a.access_code),
                                        to_string(a.valid_from()), to_string(a.valid_until()), to_string(a.issued_at),
                                        public_url() + "/v1/accessCodes/" + format_access_code(a.access_code),
                                        std::to_string(a.id)};
                     Result<std::string> bytes = render_attestation_pdf(doc);
                     if (!bytes.is_ok()) return reply(problem_of(internal_error(bytes.status().message())));
                     HttpResponse r;
                     r.status = 201;
                     r.content_type = "application/pdf";
                     r.body = *bytes;
                     reply(std::move(r));
                   });
  }

  void access_code_route(Context& c) {
    if (!c.is(Role::kEmployer) && !c.is(Role::kAgency) && !c.is(Role::kAuditor)) return c.reply(forbidden());
    {
      std::lock_guard lock(mutex);
      const int64_t minute = c.now.micros / (60 * kMicrosPerSecond);
      if (access_code_attempts.size() >= http_limits::rate_limited_clients_max)  // forget the past minutes' clients
        std::erase_if(access_code_attempts, [minute](const auto& entry) { return entry.second.first != minute; });
      auto& [window, count] = access_code_attempts[c.request.client];
      if (window != minute) window = minute, count = 0;
      if (++count > http_limits::access_code_attempts_per_minute) {
        HttpResponse r = problem(429, "tooManyRequests", "Too Many Requests", "Too many access-code lookups; retry later");
        r.headers.emplace_back("Retry-After", "60");
        return c.reply(std::move(r));
      }
    }
    const std::string code = c.param("code");
    const AccessCodeAnswer a = service.read([&](const Projector& p) { return lookup_access_code(p, code, date_of(c.now)); });
    if (a.verdict == AccessCodeAnswer::Verdict::kMalformed)
      return c.reply(bad_request("The input message is incorrect", {InputIssue{"path", "code", "expected XXXXX-XXXXX"}}));
    if (a.verdict != AccessCodeAnswer::Verdict::kValid) return c.reply(not_found("No valid access code"));
    std::string out;
    to_json(a, &out);
    c.reply(json_response(200, std::move(out)));
  }

  void consents_route(Context& c) {
    const std::optional<Ssin> s = readable_citizen(c);
    if (!s) return;
    HttpResponse error;
    const std::optional<Page> page = parse_page(c.request.query("page"), c.request.query("pageSize"), &error);
    if (!page) return c.reply(std::move(error));
    const std::vector<ConsentAnswer> all = service.read([&](const Projector& p) { return consents_of(p.state_of(*s), *s); });
    std::string out;
    to_json(page_of(all, *page), c.now, &out);
    c.reply(json_response(200, paged(std::move(out), all.size(), *page, public_url(), c.request)));
  }

  // What an employer may see with a consent in force (seed 003), or 403.
  void consented_data(Context& c) {
    HttpResponse error;
    const std::optional<Ssin> s = path_ssin(c, &error);
    if (!s) return c.reply(std::move(error));
    AccessScope scope;
    if (!parse_scope(c.request.query("scope"), &scope))
      return c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "scope", "FLEXI or STUDENT_BALANCE"}}));
    if (!c.is(Role::kEmployer) && !c.is(Role::kAgency)) return c.reply(forbidden());
    const uint64_t employer = c.who->employer;
    std::optional<std::string> data = service.read([&](const Projector& p) -> std::optional<std::string> {
      const LedgerState& state = p.state_of(*s);
      const ConsentVerdict v = may_see(state, *s, employer, scope, c.now);
      if (!v.allowed) return std::nullopt;
      std::string out;
      if (scope == AccessScope::kStudentBalance) {
        const Date today = date_of(c.now);
        const StudentBalance b = student_balance(state, *s, year_of(today), today);
        out = "{\"scope\":\"STUDENT_BALANCE\",\"year\":" + std::to_string(year_of(today)) +
              ",\"remainingHours\":" + std::to_string(b.remaining) + ",\"expiresAt\":\"" + to_string(v.expires_at) + "\"}";
      } else {
        std::string answer;
        to_json(flexi_eligibility(state.actions(), *s, quarter_index(date_of(c.now)), employer), &answer);
        out = "{\"scope\":\"FLEXI\",\"eligibility\":" + answer + ",\"expiresAt\":\"" + to_string(v.expires_at) + "\"}";
      }
      return out;
    });
    if (!data) return c.reply(forbidden());
    c.reply(json_response(200, std::move(*data)));
  }

  void flexi_route(Context& c) {
    const std::optional<Ssin> s = readable_citizen(c);
    if (!s) return;
    std::optional<int32_t> quarter = quarter_index(date_of(c.now));
    if (const std::string q = c.request.query("quarter"); !q.empty()) quarter = parse_quarter(q);
    if (!quarter) return c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "quarter", "expected YYYY-Qn"}}));
    uint64_t employer = 0;
    if (const std::string e = c.request.query("employer"); !e.empty()) {
      Result<EnterpriseNumber> n = parse_enterprise_number(e);
      if (!n.is_ok()) return c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "employer", "not a valid enterprise number"}}));
      employer = n->value;
    }
    c.reply(json_response(200, service.read([&](const Projector& p) {
      std::string out;
      to_json(flexi_eligibility(p.state_of(*s).actions(), *s, *quarter, employer), &out);
      return out;
    })));
  }

  void anomalies_route(Context& c) {
    if (!c.is(Role::kAuditor)) return c.reply(forbidden());
    HttpResponse error;
    const std::optional<Ssin> s = path_ssin(c, &error);
    if (!s) return c.reply(std::move(error));
    const std::optional<Page> page = parse_page(c.request.query("page"), c.request.query("pageSize"), &error);
    if (!page) return c.reply(std::move(error));
    const std::vector<AnomalyRecord> all = service.read([&](const Projector& p) { return p.anomalies_of(*s).of_citizen(*s); });
    std::vector<std::string> objects;
    for (const AnomalyRecord& r : page_of(all, *page)) {
      objects.emplace_back();
      to_json(r, &objects.back());
    }
    c.reply(json_response(200, paged(items(objects), all.size(), *page, public_url(), c.request)));
  }

  // The employer of the request: its own, or for an auditor ?employer=.
  std::optional<uint64_t> employer_in_scope(Context& c) {
    if (c.is(Role::kEmployer) || c.is(Role::kAgency)) return c.who->employer;
    if (!c.is(Role::kAuditor)) return c.reply(forbidden()), std::nullopt;
    Result<EnterpriseNumber> n = parse_enterprise_number(c.request.query("employer"));
    if (!n.is_ok()) return c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "employer", "an auditor names the employer"}})), std::nullopt;
    return n->value;
  }

  void data_access_requests(Context& c) {
    const std::optional<uint64_t> employer = employer_in_scope(c);
    if (!employer) return;
    HttpResponse error;
    const std::optional<Page> page = parse_page(c.request.query("page"), c.request.query("pageSize"), &error);
    if (!page) return c.reply(std::move(error));
    const std::vector<RequestStatus> all = service.read([&](const Projector& p) { return requests_of_employer(p, *employer, c.now); });
    std::string out;
    to_json(page_of(all, *page), &out);
    c.reply(json_response(200, paged(std::move(out), all.size(), *page, public_url(), c.request)));
  }

  // The QR code (SVG) of a request's consent link, for the candidate to scan.
  void data_access_qr(Context& c) {
    if (!c.is(Role::kEmployer) && !c.is(Role::kAgency)) return c.reply(forbidden());
    const unsigned long long id = std::strtoull(c.param("requestId").c_str(), nullptr, 10);
    const std::optional<AccessToken> token = service.read([&](const Projector& p) -> std::optional<AccessToken> {
      const DataAccessRequest* r = p.find([id](const LedgerState& state) { return state.actions().request(id); });
      if (!r || r->employer != c.who->employer) return std::nullopt;
      return r->token;
    });
    if (!token) return c.reply(not_found());
    Result<QrCode> qr = encode_qr(public_url() + "/consent?token=" + to_string(*token));
    if (!qr.is_ok()) return c.reply(problem_of(internal_error(qr.status().message())));
    HttpResponse r;
    r.content_type = "image/svg+xml";
    r.body = to_svg(*qr, 6);
    c.reply(std::move(r));
  }

  void career_break_list(Context& c) {
    const std::optional<uint64_t> employer = employer_in_scope(c);
    if (!employer) return;
    CareerBreakFilter f;
    f.employer = *employer;
    std::vector<InputIssue> issues;
    if (const std::string v = c.request.query("leaveKind"); !v.empty()) {
      LeaveKind k;
      if (parse_leave_kind(v, &k)) f.leave_kind = k;
      else issues.push_back({"query", "leaveKind", "not a leave kind"});
    }
    if (const std::string v = c.request.query("fraction"); !v.empty()) {
      BreakFraction fr;
      if (parse_break_fraction(v, &fr)) f.fraction = fr;
      else issues.push_back({"query", "fraction", "FULL, 1/2, 1/5 or 1/10"});
    }
    if (const std::string v = c.request.query("status"); !v.empty()) {
      BreakRequestState st;
      NotificationState ns;
      if (parse_state(v, &st)) f.state = st;
      if (parse_state(v, &ns)) f.notification_state = ns;
      if (!f.state && !f.notification_state) issues.push_back({"query", "status", "not a request or notification state"});
    }
    if (const std::string v = c.request.query("ssin"); !v.empty()) {
      if (auto s = parse_ssin(v); s.is_ok()) f.employee = *s;
      else issues.push_back({"query", "ssin", s.status().message()});
    }
    for (auto [name, out] : {std::pair{"from", &f.from}, std::pair{"to", &f.to}}) {
      const std::string v = c.request.query(name);
      if (v.empty()) continue;
      if (auto d = parse_date(v)) *out = *d;
      else issues.push_back({"query", name, "expected YYYY-MM-DD"});
    }
    if (!issues.empty()) return c.reply(bad_request("The input message is incorrect", issues));
    const bool auditor = c.is(Role::kAuditor);
    c.reply(json_response(200, service.read([&](const Projector& p) {
      std::string out;
      to_json(career_break_overview(p, f, c.now), auditor, &out);
      return out;
    })));
  }

  void career_break_one(Context& c) {
    const unsigned long long ticket = std::strtoull(c.param("ticket").c_str(), nullptr, 10);
    std::optional<std::string> out = service.read([&](const Projector& p) -> std::optional<std::string> {
      const CareerBreakRequest* r = p.find([ticket](const LedgerState& state) { return state.actions().ticket(ticket); });
      if (!r) return std::nullopt;
      const bool allowed = c.is(Role::kAuditor) || (c.is(Role::kCitizen) && c.who->ssin == r->citizen) ||
                           ((c.is(Role::kEmployer) || c.is(Role::kAgency)) && c.who->employer == r->employer &&
                            r->employer_may_consult());
      if (!allowed) return std::nullopt;
      std::string json;
      to_json(*r, &json);
      return json;
    });
    if (!out) return c.reply(forbidden());  // the same answer whether or not the ticket exists
    c.reply(json_response(200, std::move(*out)));
  }

  void settings_route(Context& c) {
    Result<EnterpriseNumber> n = parse_enterprise_number(c.param("employer"));
    if (!n.is_ok()) return c.reply(bad_request("The input message is incorrect", {InputIssue{"path", "employer", "not a valid enterprise number"}}));
    const bool own = (c.is(Role::kEmployer) || c.is(Role::kAgency)) && c.who->employer == n->value;
    if (!own && !c.is(Role::kAuditor)) return c.reply(forbidden());
    std::optional<std::string> out = service.read([&](const Projector& p) -> std::optional<std::string> {
      const uint64_t employer = n->value;
      const EmployerSettings* s = p.find([employer](const LedgerState& state) { return state.actions().settings(employer); });
      if (!s) return std::nullopt;
      std::string json;
      to_json(*s, &json);
      return json;
    });
    if (!out) return c.reply(not_found());
    c.reply(json_response(200, std::move(*out)));
  }

  // PUT /v1/employers/{employer}/settings: the employerSettings action with the body as its fields.
  void put_settings(Context& c) {
    const std::string employer = c.param("employer");
    if (!parse_enterprise_number(employer).is_ok())
      return c.reply(bad_request("The input message is incorrect", {InputIssue{"path", "employer", "not a valid enterprise number"}}));
    c.request.body = "{\"employer\":{\"enterpriseNumber\":\"" + employer + "\"},\"employerSettings\":" + c.request.body + "}";
    submit(c, false);
  }
};

const std::vector<Api::Impl::Route>& Api::Impl::table() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> table = {
      make("GET", "/health", &Impl::health, true),
      make("GET", "/ready", &Impl::ready, true),
      make("GET", "/metrics", &Impl::metrics_text, true),
      make("POST", "/v1/declarations", &Impl::post_declaration),
      make("GET", "/v1/declarations/{id}", &Impl::get_declaration),
      make("POST", "/v1/actions", &Impl::post_action),
      make("GET", "/v1/citizens/{ssin}/studentBalance", &Impl::student_balance_route),
      make("GET", "/v1/citizens/{ssin}/calendar", &Impl::calendar_route),
      make("GET", "/v1/citizens/{ssin}/interimRelations", &Impl::interim_route),
      make("GET", "/v1/citizens/{ssin}/attestations", &Impl::attestations_route),
      make("POST", "/v1/citizens/{ssin}/attestations", &Impl::issue_attestation),
      make("GET", "/v1/citizens/{ssin}/consents", &Impl::consents_route),
      make("GET", "/v1/citizens/{ssin}/consentedData", &Impl::consented_data),
      make("GET", "/v1/citizens/{ssin}/flexiEligibility", &Impl::flexi_route),
      make("GET", "/v1/citizens/{ssin}/anomalies", &Impl::anomalies_route),
      make("GET", "/v1/accessCodes/{code}", &Impl::access_code_route),
      make("GET", "/v1/dataAccessRequests", &Impl::data_access_requests),
      make("GET", "/v1/dataAccessRequests/{requestId}/qr", &Impl::data_access_qr),
      make("GET", "/v1/careerBreakRequests", &Impl::career_break_list),
      make("GET", "/v1/careerBreakRequests/{ticket}", &Impl::career_break_one),
      make("GET", "/v1/employers/{employer}/settings", &Impl::settings_route),
      make("PUT", "/v1/employers/{employer}/settings", &Impl::put_settings),
    };
    return table;
  }();
  return routes;
}

namespace {

// Matches "/v1/citizens/{ssin}/calendar" against a path, capturing the {names}.
bool match(std::string_view pattern, std::string_view path, Params* params) {
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
  Params params;
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
  Context c{std::move(request), std::move(params), std::nullopt, std::max(impl.clock.now(), impl.service.ledger_time()), reply};
  if (!route->public_route) {
    AuthResult auth = impl.authenticate(c.request.header("authorization"), impl.clock.now());  // the wall clock;
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
  try {
    (impl.*(route->fn))(c);
  } catch (const std::exception&) {  // the HTTP edge: a bug becomes a 500, never a dead server
    c.reply(problem(500, "internalServerError", "Internal Server Error", "The request could not be completed"));
  }
}

}  // namespace dimona::api
