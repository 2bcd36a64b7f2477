// A citizen's data (the citizen, or an auditor; consented data for an employer): balances,
// calendars, interim relations, attestations, consents, flexi eligibility, anomalies, career breaks.
#include "api/cli_support.h"
#include "api/handlers.h"
#include "api/handlers_support.h"
#include "api/params.h"
#include "api/pdf.h"
#include "engine/base/json_writer.h"
#include "engine/flexi.h"
#include "projections/access_views.h"
#include "projections/anomaly_log.h"
#include "projections/career_break_views.h"
#include "projections/interim_views.h"
#include "projections/student_views.h"

namespace dimona::api {
namespace {

std::optional<InterimFilter> interim_filter_of(Call& c) {
  const std::string from = c.request.query("from"), to = c.request.query("to"), type = c.request.query("workerType"),
                    agency = c.request.query("agency"), user_company = c.request.query("userCompany");
  InterimFilterParsed parsed = parse_interim_filter({from, to, type, agency, user_company}, brussels_date(c.now));
  InterimFilter& f = parsed.filter;
  constexpr const char* kParameter[] = {"from", "to", "workerType", "agency", "userCompany"};
  std::vector<InputIssue> issues;
  for (const InterimFilterIssue& i : parsed.issues)
    issues.push_back({"query", kParameter[static_cast<size_t>(i.field)], i.detail});
  // ?validOn (docs/audit.md): the periods started by then, the days up to it.
  if (c.valid_on && *c.valid_on < f.to) f.to = *c.valid_on;
  if (c.valid_on && *c.valid_on < f.from) issues.push_back({"query", "validOn", "before from"});
  if (!issues.empty()) return c.reply(bad_request("The input message is incorrect", issues)), std::nullopt;
  return f;
}

// An agency's or user company's number as printed, and its name when the reference has one.
std::string company_number(uint64_t key) {
  return is_named_user_company(key) ? "(by name and address)" : cli::employer_text(key);
}
std::string company_name(uint64_t key, const EmployerNameOf& names) {
  if (is_named_user_company(key) || !names) return {};
  return names(key).value_or("");
}

void reply_pdf(Call& c, const Result<std::string>& pdf, std::string_view file) {
  if (!pdf.is_ok()) return c.reply(problem_of(internal_error(pdf.status().message())));
  HttpResponse r;
  r.content_type = "application/pdf";
  r.body = *pdf;
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + std::string(file) + "\"");
  c.reply(std::move(r));
}

}  // namespace

void student_balance_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  const ViewAxes axes = view_axes(c);
  HttpResponse error;
  const std::vector<int32_t> years = years_of_query(c, axes.on, &error);
  if (years.empty()) return c.reply(std::move(error));
  c.reply(json_response(200, view.read([&](const Projector& p) {
    std::vector<std::string> objects;
    for (int32_t y : years) {
      objects.emplace_back();
      to_json(student_balance(p.state_of(*s), *s, y, axes), &objects.back(), c.names);
    }
    return items(objects);
  })));
}

void calendar_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  HttpResponse error;
  const std::vector<int32_t> years = years_of_query(c, c.valid_on.value_or(brussels_date(c.now)), &error);
  if (years.empty()) return c.reply(std::move(error));
  c.reply(json_response(200, view.read([&](const Projector& p) {
    std::vector<std::string> objects;
    for (int32_t y : years) {
      objects.emplace_back();
      to_json(student_calendar(p.state_of(*s), *s, y, c.valid_on), &objects.back(), c.names);
    }
    return items(objects);
  })));
}

void interim_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  const std::optional<InterimFilter> f = interim_filter_of(c);
  if (!f) return;
  const std::string shown = c.request.has_query("view") ? c.request.query("view") : "list";
  if (shown != "list" && shown != "calendar")
    return c.reply(bad_request_of({InputIssue{"query", "view", "expected list or calendar"}}));
  if (shown == "calendar") {
    for (const char* paging : {"page", "pageSize"})  // one calendar, not a list: a page asked would be ignored
      if (c.request.has_query(paging))
        return c.reply(bad_request_of({InputIssue{"query", paging, "the calendar view is not paged (view=list is)"}}));
    if (!c.json_only()) return;  // before the read: a 406 reads nothing
    return c.reply(json_response(200, view.read([&](const Projector& p) {
      std::string out;
      to_json(interim_calendar(p.state_of(*s), *s, *f), &out, c.names);
      return out;
    })));
  }
  const std::optional<Representation> representation = c.representation();  // before the read: a 406 reads nothing
  if (!representation) return;
  const std::vector<InterimRelation> relations = view.read([&](const Projector& p) {
    return interim_relations(p.state_of(*s), *s, *f, &p.anomalies_of(*s));
  });
  if (*representation == Representation::kJson) {
    HttpResponse error;
    const std::optional<Page> page = parse_page(c.request, &error);
    if (!page) return c.reply(std::move(error));
    std::string out;
    to_json(*s, page_of(relations, *page), &out, c.names);
    return c.reply(json_response(200, paged(std::move(out), relations.size(), *page, c.public_url, c.request)));
  }
  InterimPdf pdf{mask(*s), to_string(f->from), to_string(f->to), to_string(c.now), {}};
  for (const InterimRelation& r : relations) {
    std::string anomalies;
    for (const InterimPeriod& p : r.periods)
      for (uint32_t code : p.anomalies) anomalies += (anomalies.empty() ? "" : " ") + anomaly_code_string(code);
    pdf.rows.push_back({company_number(r.agency), company_number(r.user_company), to_string(r.first), to_string(r.last),
                        r.days, static_cast<uint32_t>(r.periods.size()), anomalies, company_name(r.agency, c.names),
                        user_company_name_of(r.user_company, r.user_company_name, c.names).value_or("")});
  }
  reply_pdf(c, render_interim_pdf(pdf), "interim-relations.pdf");
}

void attestations_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  HttpResponse error;
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  const std::vector<Attestation> all = view.read([&](const Projector& p) { return attestations_of(p, *s); });
  std::vector<std::string> objects;
  for (const Attestation& a : page_of(all, *page)) {
    objects.emplace_back();
    to_json(a, &objects.back());
  }
  c.reply(json_response(200, paged(items(objects), all.size(), *page, c.public_url, c.request)));
}

void consents_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  HttpResponse error;
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  const std::vector<ConsentAnswer> all = view.read([&](const Projector& p) { return consents_of(p, *s); });
  std::string out;
  to_json(page_of(all, *page), c.now, &out, c.names);
  c.reply(json_response(200, paged(std::move(out), all.size(), *page, c.public_url, c.request)));
}

// What an employer may see with a consent in force (seed 003), or 403: for the year
// (STUDENT_BALANCE, ?year) or quarter (FLEXI, ?quarter) it hires for, by default the current one
// (consented_period says which others may be asked).
void consented_data_route(Call& c, const LedgerService& view) {
  HttpResponse error;
  const std::optional<Ssin> s = path_ssin(c, &error);
  if (!s) return c.reply(std::move(error));
  AccessScope scope;
  if (!parse_scope(c.request.query("scope"), &scope))
    return c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "scope", "FLEXI or STUDENT_BALANCE"}}));
  const bool balance = scope == AccessScope::kStudentBalance;
  const char* const period_name = balance ? "year" : "quarter";
  if (const char* other = balance ? "quarter" : "year"; c.request.has_query(other))
    return c.reply(
        bad_request("The input message is incorrect",
                    {InputIssue{"query", other, std::string("not asked of scope ") + std::string(scope_name(scope))}}));
  std::optional<int32_t> asked;
  if (balance) {
    const Parsed<std::optional<int32_t>> year = query_year(c.request);
    if (!year) return c.reply(bad_request_of(year.issues));
    asked = *year;
  } else if (c.request.has_query("quarter")) {
    asked = parse_quarter(c.request.query("quarter"));
    if (!asked)
      return c.reply(bad_request("The input message is incorrect",
                                 {InputIssue{"query", "quarter", "expected YYYY-Qn, a year 2000..2099"}}));
  }
  const Result<int32_t> period = consented_period(scope, brussels_date(c.now), asked);
  if (!period.is_ok())
    return c.reply(
        bad_request("The input message is incorrect", {InputIssue{"query", period_name, period.status().message()}}));
  if (!c.is(Role::kEmployer) && !c.is(Role::kAgency)) return c.reply(forbidden());
  const uint64_t employer = c.who->employer;
  std::optional<Result<std::string>> data = view.read([&](const Projector& p) -> std::optional<Result<std::string>> {
    const ConsentVerdict v = may_see(p, *s, employer, scope, c.now);
    if (!v.allowed) return std::nullopt;
    return consented_data(p, *s, employer, scope, *period, v, brussels_date(c.now));
  });
  if (!data) return c.reply(forbidden());
  if (!data->is_ok())
    return c.reply(
        bad_request("The input message is incorrect", {InputIssue{"query", period_name, data->status().message()}}));
  c.consulted_citizen(*s, "consentedData:" + std::string(scope_name(scope)));
  c.reply(json_response(200, std::move(**data)));
}

void flexi_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  std::optional<int32_t> quarter = quarter_index(brussels_date(c.now));
  if (const std::string q = c.request.query("quarter"); !q.empty()) quarter = parse_quarter(q);
  if (!quarter)
    return c.reply(bad_request("The input message is incorrect",
                               {InputIssue{"query", "quarter", "expected YYYY-Qn, a year 2000..2099"}}));
  uint64_t employer = 0;
  if (const std::string e = c.request.query("employer"); !e.empty()) {
    Result<EnterpriseNumber> n = parse_enterprise_number(e);
    if (!n.is_ok()) return c.reply(bad_request("The input message is incorrect", {InputIssue{"query", "employer", "not a valid enterprise number"}}));
    employer = n->value;
  }
  c.reply(json_response(200, view.read([&](const Projector& p) {
    std::string out;
    to_json(flexi_eligibility(p.state_of(*s).actions(), *s, *quarter, employer), &out);
    return out;
  })));
}

void anomalies_route(Call& c, const LedgerService& view) {
  if (!c.is(Role::kAuditor)) return c.reply(forbidden());
  HttpResponse error;
  const std::optional<Ssin> s = path_ssin(c, &error);
  if (!s) return c.reply(std::move(error));
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  reply_anomalies(c, view.read([&](const Projector& p) { return p.anomalies_of(*s).of_citizen(*s); }), *page);
}

// GET /v1/citizens/{ssin}/consultations: who read the citizen's data, newest
// first (docs/audit.md "Who looked"). An auditor's read of it is itself recorded.
void citizen_career_breaks_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  // Who looked: named apart from the employer-wide overview's "careerBreakRequests" (?ssin=).
  c.consulted_citizen(*s, "citizenCareerBreaks");
  c.reply(json_response(200, view.read([&](const Projector& p) {
    std::string out;
    to_json(career_breaks_of(p, *s, c.now), /*auditor=*/true, &out, c.names);
    return out;
  })));
}

void consultations_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  HttpResponse error;
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  const std::vector<Consultation> all = view.read([&](const Projector& p) { return consultations_of(p, *s); });
  std::vector<std::string> objects;
  for (const Consultation& r : page_of(all, *page)) {
    objects.emplace_back();
    to_json(r, &objects.back(), c.names);
  }
  c.reply(json_response(200, paged_as_it_stands(items(objects), all.size(), *page, c)));
}

// POST /v1/citizens/{ssin}/attestations[?year=2026]: issues one (seed 001), JSON or PDF.
void issue_attestation(Call& c, LedgerService& ledger) {
  HttpResponse error;
  const std::optional<Ssin> s = path_ssin(c, &error);
  if (!s) return c.reply(std::move(error));
  if (!c.is(Role::kCitizen) || c.who->ssin != *s) return c.reply(forbidden());
  HttpResponse year_error;
  const std::vector<int32_t> years = c.request.has_query("year") ? years_of_query(c, brussels_date(c.now), &year_error)
                                                                 : std::vector<int32_t>{year_of(brussels_date(c.now))};
  if (years.empty()) return c.reply(std::move(year_error));
  const int32_t year = years.front();
  const std::string body = "{\"worker\":{\"ssin\":\"" + c.param("ssin") + "\"},\"attestationRequest\":{\"year\":" +
                           std::to_string(year) + "}}";
  const Principal who = *c.who;
  const std::optional<Representation> representation = c.representation();
  if (!representation) return;
  const bool pdf = *representation == Representation::kPdf;
  ledger.submit(
      body, [who](const Command& command, const Ledger& writer) { return may_submit(who, command, writer); },
      [held = c.reply, pdf, public_url = c.public_url](Result<WriteOutcome> o) mutable {
        // Released once answered, not whenever the writer drops the callback.
        const std::function<void(HttpResponse)> reply = std::move(held);
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
        AttestationPdf doc{printed_ssin(a.citizen),
                           attestation_student_name(a),
                           a.for_year,
                           a.quota_hours,
                           a.remaining_hours,
                           format_access_code(a.access_code),
                           to_string(a.valid_from()),
                           to_string(a.valid_until()),
                           to_string(a.issued_at),
                           public_url + "/v1/accessCodes/" + format_access_code(a.access_code),
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

}  // namespace dimona::api
