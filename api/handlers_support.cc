#include "api/handlers_support.h"

#include <algorithm>
#include <atomic>

#include "api/params.h"
#include "engine/base/json_writer.h"

namespace dimona::api {

std::string Call::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

std::optional<Representation> Call::representation() const {
  const Parsed<std::optional<Representation>> asked = negotiate_representation(request);
  if (!asked) return reply(bad_request_of(asked.issues)), std::nullopt;
  if (!asked->has_value())
    return reply(problem(406, "notAcceptable", "Not Acceptable",
                         "This resource is available as application/json or application/pdf")),
           std::nullopt;
  return **asked;
}

bool Call::json_only() const {
  const Parsed<bool> acceptable = json_acceptable(request);
  if (!acceptable) return reply(bad_request_of(acceptable.issues)), false;
  if (!*acceptable)
    return reply(problem(406, "notAcceptable", "Not Acceptable", "This view is available as application/json only")),
           false;
  return true;
}

void Call::consulted_citizen(Ssin citizen, std::string scope) const {
  if (!consulted) return;  // this read is not recorded (a citizen's own, a declarant's)
  consulted->citizen = citizen;
  if (!scope.empty()) consulted->scope = std::move(scope);
}

HttpResponse forbidden() {
  return problem(403, "missingPermission", "Missing Permission", "The caller may not access this resource");
}

HttpResponse too_many_requests(std::string_view detail, int retry_after_seconds) {
  HttpResponse r = problem(429, "tooManyRequests", "Too Many Requests", detail);
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

HttpResponse unavailable_response(std::string_view detail) {
  HttpResponse r = problem(503, "serviceUnavailable", "Service Unavailable", detail);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse misdirected(const LedgerService& service, uint32_t partition, const std::string& target) {
  const std::optional<std::string> owner = service.owner_of(partition);
  if (!owner) return unavailable_response("This partition is moving between instances; retry");
  HttpResponse r = problem(307, "temporaryRedirect", "Temporary Redirect", "This is served by another instance");
  r.headers.emplace_back("Location", *owner + target);
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
    case Code::kResourceExhausted: return problem(429, "tooManyRequests", "Too Many Requests", s.message());
    case Code::kNotFound: return not_found();
    case Code::kUnavailable:
    case Code::kBusy: return unavailable_response(s.message());
    default: return problem(500, "internalServerError", "Internal Server Error", "The request could not be completed");
  }
}

std::optional<Ssin> path_ssin(const Call& c, HttpResponse* error) {
  const Parsed<Ssin> ssin = api::path_ssin(c.param("ssin"));
  if (!ssin) *error = bad_request_of(ssin.issues);
  return ssin.value;
}

// The citizen themself, or an auditor.
bool may_read_citizen(const Call& c, Ssin s) {
  return c.is(Role::kAuditor) || (c.is(Role::kCitizen) && c.who->ssin == s);
}

// Who a principal is, for a per-principal count: role, subject and what the token names.
std::string principal_key(const Principal& p) {
  return std::string(role_name(p.role)) + "|" + std::to_string(p.employer) + "|" + std::to_string(p.ssin.value) + "|" +
         p.subject;
}

std::string items(const std::vector<std::string>& objects) {
  constexpr std::string_view kHead = "{\"items\":[", kTail = "],\"total\":";
  size_t size = kHead.size() + kTail.size() + 21;  // the count's digits and the closing brace
  for (const std::string& o : objects) size += o.size() + 1;
  std::string out;
  out.reserve(size);  // one allocation, each object copied once
  out += kHead;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i) out += ',';
    out += objects[i];
  }
  out += kTail;
  append_uint(&out, objects.size());
  out += '}';
  return out;
}

std::vector<int32_t> years_of_query(const Call& c, Date today, HttpResponse* error) {
  const Parsed<std::optional<int32_t>> year = query_year(c.request);
  if (!year) return *error = bad_request_of(year.issues), std::vector<int32_t>{};
  if (!*year) return {year_of(today) - 1, year_of(today), year_of(today) + 1};
  return {**year};
}

namespace {

bool is_citizen_action(ActionKind k) {
  switch (k) {
    case ActionKind::kAttestationRequest:
    case ActionKind::kDataAccessGrant:
    case ActionKind::kDataAccessRefusal:
    case ActionKind::kDataAccessRevocation:
    case ActionKind::kCareerBreakEmployeePart:
    case ActionKind::kCareerBreakNotification:
    case ActionKind::kInboxArchive:
    case ActionKind::kInterimOverviewSend: return true;
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

}  // namespace

Status may_submit(const Principal& p, const Command& c, const Ledger& ledger) {
  DIMONA_TRY(refuse_server_internal(c));  // a consultation is recorded by the router itself (routes.cc)
  DIMONA_TRY(refuse_imports(c));
  if (!c.is_action) {
    if (p.role != Role::kDeclarant) return permission_denied("declarations are sent by declarants");
    if (p.employer == 0) return Status::ok();  // a declarant for any employer (no enterprise in its token)
    const uint64_t employer = employer_key(c.declaration);
    if (employer != 0 && employer != p.employer) return permission_denied("another employer");
    // An IN names its employer: one without is no declaration of this enterprise (refused
    // 90256-364, it would be recorded in a citizen's history, attributed to no one).
    if (c.declaration.kind == DeclarationKind::kIn)
      return employer == p.employer ? Status::ok()
                                    : permission_denied("an IN of this enterprise names it as its employer");
    // UPDATE, OUT, CANCEL: a period of its own enterprise. Unknown and another employer's get the
    // same refusal, decided before anything else of the body (a worker SSIN) is looked at, and
    // nothing is recorded: no answer, and no citizen's anomaly, says whether such a period exists.
    const Period* period = c.declaration.period_id.valid() ? ledger.period(c.declaration.period_id.value) : nullptr;
    if (!period || period->employer != p.employer) return permission_denied("not a period of this enterprise");
    return Status::ok();
  }
  const Action& a = c.action;
  if (is_citizen_action(a.kind)) {
    if (p.role != Role::kCitizen || a.worker != p.ssin) return permission_denied("a citizen's own action");
    return Status::ok();
  }
  if (a.kind == ActionKind::kOccupationQuarter) {  // an employer's quarter: its own declarant, or one for any
    if (p.role != Role::kDeclarant || (p.employer != 0 && a.employer != p.employer))
      return permission_denied("an employer's own occupation");
    return Status::ok();
  }
  if (is_institution_action(a.kind)) {  // pension status, ONEM decisions: an institution's declarant (no enterprise)
    if (p.role != Role::kDeclarant || p.employer != 0) return permission_denied("an institution's action");
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
  if (d.in_quota_hours != 0 || d.quota_checked) w.key("inQuotaHours").integer(d.in_quota_hours);
  if (d.exceeding_hours != 0) w.key("exceedingHours").integer(d.exceeding_hours);
}

std::optional<Page> parse_page(const HttpRequest& request, HttpResponse* error) {
  Parsed<Page> page = query_page(request);
  if (!page) *error = bad_request_of(page.issues);
  return page.value;
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
    json += ",\"next\":";
    JsonWriter(&json).string(next_page_href(base_url, r, p));
  }
  json += "}";
  return json;
}

std::string paged_as_it_stands(std::string json, size_t total, const Page& p, const Call& c) {
  if (c.as_of) return paged(std::move(json), total, p, c.public_url, c.request);
  HttpRequest frozen = c.request;
  frozen.target += (frozen.target.find('?') == std::string::npos ? "?asOf=" : "&asOf=") + to_string(c.now);
  return paged(std::move(json), total, p, c.public_url, frozen);
}

// Waits for ?minOffset in the citizen's partition; false when it replied 503.
bool wait_min_offset(Call& c, const LedgerService& view, Ssin s) {
  const Parsed<std::optional<Offset>> offset = query_min_offset(c.request);
  if (!offset) return c.reply(bad_request_of(offset.issues)), false;
  if (!*offset) return true;
  const uint32_t partition = view.partition_of(s);
  if (view.wait_for(partition, **offset, 0)) return true;  // folded already: the usual read-your-writes case
  static std::atomic<int> waiters{0};
  if (waiters.fetch_add(1) >= http_limits::min_offset_waiters_max) {
    waiters.fetch_sub(1);
    c.reply(unavailable_response("the read model has not reached minOffset yet, and other reads wait for theirs"));
    return false;
  }
  const bool reached = view.wait_for(partition, **offset, http_limits::min_offset_wait_ms);
  waiters.fetch_sub(1);
  if (reached) return true;
  c.reply(unavailable_response("the read model has not reached minOffset yet"));
  return false;
}

// The citizen of the path when the caller may read it; otherwise replies and returns nullopt.
std::optional<Ssin> readable_citizen(Call& c, const LedgerService& view) {
  HttpResponse error;
  std::optional<Ssin> s = path_ssin(c, &error);
  if (!s) return c.reply(std::move(error)), std::nullopt;
  if (!may_read_citizen(c, *s)) return c.reply(forbidden()), std::nullopt;
  if (!wait_min_offset(c, view, *s)) return std::nullopt;
  return s;
}

ViewAxes view_axes(const Call& c) { return axes_at(c.now, c.as_of.has_value(), c.valid_on); }  // c.now: ?asOf when given

void reply_anomalies(Call& c, const std::vector<AnomalyRecord>& all, const Page& page) {
  std::vector<std::string> objects;
  for (const AnomalyRecord& r : page_of(all, page)) {
    objects.emplace_back();
    to_json(r, &objects.back());
  }
  c.reply(json_response(200, paged(items(objects), all.size(), page, c.public_url, c.request)));
}

}  // namespace dimona::api
