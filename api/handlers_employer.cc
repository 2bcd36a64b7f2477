// What an employer or agency (or an auditor) reads and sets: access codes, data-access requests
// and their QR codes, career-break requests, employer settings.
#include "api/handlers.h"
#include "api/handlers_support.h"
#include "api/params.h"
#include "api/qr.h"
#include "engine/base/json_writer.h"
#include "projections/access_views.h"
#include "projections/career_break_views.h"

namespace dimona::api {
namespace {

// The employer of the request: its own, or for an auditor ?employer=.
std::optional<uint64_t> employer_in_scope(Call& c) {
  if (c.is(Role::kEmployer) || c.is(Role::kAgency)) {
    // Its own, named or not: another's is not answered with this one's (403, not a quiet swap).
    if (const std::string named = c.request.query("employer"); !named.empty()) {
      const Result<EnterpriseNumber> n = parse_enterprise_number(named);
      if (!n.is_ok())
        return c.reply(bad_request("The input message is incorrect",
                                   {InputIssue{"query", "employer", "not a valid enterprise number"}})),
               std::nullopt;
      if (n->value != c.who->employer) return c.reply(forbidden()), std::nullopt;
    }
    return c.who->employer;
  }
  if (!c.is(Role::kAuditor)) return c.reply(forbidden()), std::nullopt;
  Result<EnterpriseNumber> n = parse_enterprise_number(c.request.query("employer"));
  if (!n.is_ok()) return c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "employer", "an auditor names the employer"}})), std::nullopt;
  return n->value;
}

}  // namespace

void access_code_route(Call& c, const LedgerService& view) {
  if (!c.is(Role::kEmployer) && !c.is(Role::kAgency) && !c.is(Role::kAuditor)) return c.reply(forbidden());
  const Parsed<uint64_t> code = path_access_code(c.param("code"));
  if (!code) return c.reply(bad_request_of(code.issues));
  const std::string canonical = format_access_code(*code);
  const AccessCodeAnswer a =
      view.read([&](const Projector& p) { return lookup_access_code(p, canonical, brussels_date(c.now)); });
  if (a.verdict != AccessCodeAnswer::Verdict::kValid) return c.reply(not_found("No valid access code"));
  c.consulted_citizen(a.citizen, "accessCode");  // who looked: the code's citizen
  std::string out;
  to_json(a, &out);
  c.reply(json_response(200, std::move(out)));
}

void data_access_requests(Call& c, const LedgerService& view) {
  const std::optional<uint64_t> employer = employer_in_scope(c);
  if (!employer) return;
  HttpResponse error;
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  const std::vector<RequestStatus> all = view.read([&](const Projector& p) { return requests_of_employer(p, *employer, c.now); });
  std::string out;
  to_json(page_of(all, *page), &out);
  c.reply(json_response(200, paged(std::move(out), all.size(), *page, c.public_url, c.request)));
}

// The QR code (SVG) of a request's consent link, for the candidate to scan.
void data_access_qr(Call& c, const LedgerService& view) {
  if (!c.is(Role::kEmployer) && !c.is(Role::kAgency)) return c.reply(forbidden());
  const Parsed<RequestId> parsed = path_request_id(c.param("requestId"));
  if (!parsed) return c.reply(bad_request_of(parsed.issues));
  const uint64_t id = parsed->value;
  const std::optional<AccessToken> token = view.read([&](const Projector& p) -> std::optional<AccessToken> {
    const DataAccessRequest* r = p.find([id](const LedgerState& state) { return state.actions().request(id); });
    if (!r || r->employer != c.who->employer) return std::nullopt;
    return r->token;
  });
  if (!token) return c.reply(not_found());
  Result<QrCode> qr = encode_qr(c.public_url + "/consent?token=" + to_string(*token));
  if (!qr.is_ok()) return c.reply(problem_of(internal_error(qr.status().message())));
  HttpResponse r;
  r.content_type = "image/svg+xml";
  r.body = to_svg(*qr, 6);
  c.reply(std::move(r));
}

void career_break_list(Call& c, const LedgerService& view) {
  const std::optional<uint64_t> employer = employer_in_scope(c);
  if (!employer) return;
  const std::string leave_kind = c.request.query("leaveKind"), fraction = c.request.query("fraction"),
                    status = c.request.query("status"), ssin = c.request.query("ssin"), from = c.request.query("from"),
                    to = c.request.query("to");
  CareerBreakFilterParsed parsed = parse_career_break_filter({leave_kind, fraction, status, ssin, from, to});
  CareerBreakFilter& f = parsed.filter;
  f.employer = *employer;
  constexpr const char* kParameter[] = {"leaveKind", "fraction", "status", "ssin", "from", "to"};
  std::vector<InputIssue> issues;
  for (const CareerBreakFilterIssue& i : parsed.issues)
    issues.push_back({"query", kParameter[static_cast<size_t>(i.field)], i.detail});
  if (!issues.empty()) return c.reply(bad_request("The input message is incorrect", issues));
  const bool auditor = c.is(Role::kAuditor);
  c.reply(json_response(200, view.read([&](const Projector& p) {
    std::string out;
    to_json(career_break_overview(p, f, c.now), auditor, &out, c.names);
    return out;
  })));
}

void career_break_one(Call& c, const LedgerService& view) {
  const Parsed<TicketNumber> parsed = path_ticket(c.param("ticket"));
  if (!parsed) return c.reply(bad_request_of(parsed.issues));
  const uint64_t ticket = parsed->value;
  Ssin citizen;
  std::optional<std::string> out = view.read([&](const Projector& p) -> std::optional<std::string> {
    const CareerBreakRequest* r = p.find([ticket](const LedgerState& state) { return state.actions().ticket(ticket); });
    if (!r) return std::nullopt;
    citizen = r->citizen;
    const bool allowed = c.is(Role::kAuditor) || (c.is(Role::kCitizen) && c.who->ssin == r->citizen) ||
                         ((c.is(Role::kEmployer) || c.is(Role::kAgency)) && c.who->employer == r->employer &&
                          r->employer_may_consult());
    if (!allowed) return std::nullopt;
    std::string json;
    to_json(*r, &json, c.names);
    return json;
  });
  if (!out) return c.reply(forbidden());  // the same answer whether or not the ticket exists
  // Who looked: an auditor's read of the employee's request (the employer's of its own request is not a consultation).
  if (c.is(Role::kAuditor)) c.consulted_citizen(citizen, "careerBreakRequest");
  c.reply(json_response(200, std::move(*out)));
}

void employer_anomalies_route(Call& c, const LedgerService& view) {
  if (!c.is(Role::kAuditor)) return c.reply(forbidden());
  const Parsed<EnterpriseNumber> n = path_employer(c.param("employer"));
  if (!n) return c.reply(bad_request_of(n.issues));
  HttpResponse error;
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  reply_anomalies(c, view.read([&](const Projector& p) { return p.anomalies_of_employer(n->value); }), *page);
}

void settings_route(Call& c, const LedgerService& view) {
  const Parsed<EnterpriseNumber> n = path_employer(c.param("employer"));
  if (!n) return c.reply(bad_request_of(n.issues));
  const bool own = (c.is(Role::kEmployer) || c.is(Role::kAgency)) && c.who->employer == n->value;
  if (!own && !c.is(Role::kAuditor)) return c.reply(forbidden());
  std::optional<std::string> out = view.read([&](const Projector& p) -> std::optional<std::string> {
    const uint64_t employer = n->value;
    const EmployerSettings* s = p.find([employer](const LedgerState& state) { return state.actions().settings(employer); });
    if (!s) return std::nullopt;
    std::string json;
    to_json(*s, &json, c.names);
    return json;
  });
  if (!out) return c.reply(not_found());
  c.reply(json_response(200, std::move(*out)));
}

// PUT /v1/employers/{employer}/settings: the employerSettings action with the body as its fields.
void put_settings(Call& c, LedgerService& ledger) {
  const Parsed<EnterpriseNumber> employer = path_employer(c.param("employer"));
  if (!employer) return c.reply(bad_request_of(employer.issues));
  c.request.body = "{\"employer\":{\"enterpriseNumber\":\"" + format_enterprise_number(*employer) +
                   "\"},\"employerSettings\":" + c.request.body + "}";
  submit(c, ledger, false);
}

}  // namespace dimona::api
