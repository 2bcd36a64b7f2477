// The command line of actions (docs/actions.md): submit one line, attest,
// the employer's access-code lookup, consent, flexi eligibility, career break.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "api/cli_support.h"
#include "api/commands.h"
#include "engine/base/bounded_read.h"
#include "engine/base/json_writer.h"
#include "engine/codec.h"
#include "engine/flexi.h"
#include "projections/access_views.h"
#include "projections/career_break_views.h"
#include "projections/inbox_views.h"
#include "projections/student_views.h"

namespace dimona::cli {
namespace {

void print_line(const std::string& json) { std::printf("%s\n", json.c_str()); }

// Decides, appends durably and returns the outcome of one action.
Result<ActionSubmission> submit_one_action(WriteSide& side, const Action& action, std::string_view raw,
                                           std::string_view source) {
  Result<ActionSubmission> s = side.ledger->submit_action(action, raw, source);
  DIMONA_TRY(s);
  DIMONA_TRY(side.ledger->commit());
  return s;
}

}  // namespace

int run_submit(const CommonOptions& common, const SubmitOptions& o) {
  std::string text = o.input;
  if (text == "-") {
    // One line and its line break; a longer input is refused unread (the decoder names the limit).
    Result<std::string> input = read_at_most(std::cin, limits::declaration_bytes_max + 2);
    if (!input.is_ok())
      return fail("submit", invalid_argument("standard input is " + input.status().message() +
                                             ": one declaration or action of at most 64 KiB"));
    text = std::move(*input);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const size_t size = text.size();
  text.resize(size + kJsonPadding);
  DeclarationDecoder decoder;
  Result<Command> command = decoder.decode_command(std::string_view(text.data(), size), text.size());
  if (!command.is_ok()) return fail("submit", command.status());
  if (Status internal = refuse_server_internal(*command); !internal.is_ok()) return fail("submit", internal);
  SystemClock clock;
  Result<WriteSide> side = open_write_side(common, clock);
  if (!side.is_ok()) return fail("submit", side.status());
  const std::string_view raw(text.data(), size);
  uint32_t partition = 0;
  if (command->is_action) {
    Result<ActionSubmission> s = side->ledger->submit_action(command->action, raw, "cli:submit");
    if (!s.is_ok()) return fail("submit", s.status());
    partition = s->partition;
  } else {
    Result<Submission> s = side->ledger->submit(command->declaration, raw, "cli:submit");
    if (!s.is_ok()) return fail("submit", s.status());
    partition = s->partition;
  }
  const std::string line(side->ledger->last_staged_event(partition));  // the event as it will be logged
  if (Status c = side->ledger->commit(); !c.is_ok()) return fail("submit", c);
  print_line(line);  // result, ids, what was derived
  return 0;
}

int run_attest(const CommonOptions& common, const AttestOptions& o) {
  Result<Ssin> ssin = parse_ssin(o.ssin);
  if (!ssin.is_ok()) return fail("attest", invalid_argument("SSIN: " + ssin.status().message()));
  SystemClock clock;
  Result<WriteSide> side = open_write_side(common, clock);
  if (!side.is_ok()) return fail("attest", side.status());
  Action action;
  action.kind = ActionKind::kAttestationRequest;
  action.worker = *ssin;
  // The default year is the one of the ledger time the request is decided at.
  action.year = o.year != 0 ? o.year : year_of(brussels_date(std::max(clock.now(), side->ledger->last_recorded_at())));
  const std::string raw = "{\"worker\":{\"ssin\":\"" + o.ssin + "\"},\"attestationRequest\":{\"year\":" +
                          std::to_string(action.year) + "}}";
  Result<ActionSubmission> s = submit_one_action(*side, action, raw, "cli:attest");
  if (!s.is_ok()) return fail("attest", s.status());
  const ActionOutcome& out = s->outcome;
  if (!out.accepted())
    return fail("attest", failed_precondition(std::string(refusal_message(out.refusal)) + " (" +
                                              std::string(refusal_name(out.refusal)) + ")"));
  const Attestation a = attestation_of(out, s->recorded_at);
  if (o.json) {
    std::string line;
    to_json(a, &line);
    print_line(line);
    return 0;
  }
  std::printf("Student@work attestation %012llu for %d\n", static_cast<unsigned long long>(a.id), a.for_year);
  const std::string name = attestation_student_name(a);
  const std::string ssin_text = "SSIN " + printed_ssin(a.citizen);
  std::printf("  student          %s\n", (name.empty() ? ssin_text : name + " (" + ssin_text + ")").c_str());
  std::printf("  remaining hours  %u of %u\n", a.remaining_hours, a.quota_hours);
  std::printf("  access code      %s  (valid %s to %s)\n", format_access_code(a.access_code).c_str(),
              to_string(a.valid_from()).c_str(), to_string(a.valid_until()).c_str());
  return 0;
}

namespace {

// The options of a read judged at another moment (`given`, the text of --date or --at, parsed as
// `moment`): what the employer saw then is the ledger as it stood at that instant (a day: its
// end, in Brussels), unless --as-of names the ledger's instant itself. A verdict judged then against today's
// hours would be a figure nobody ever saw.
CommonOptions as_it_stood(const CommonOptions& common, const std::string& given, Instant moment) {
  CommonOptions at = common;
  if (!given.empty() && !at.as_of) at.as_of = parse_date(given) ? end_of_brussels_day(*parse_date(given)) : moment;
  return at;
}

}  // namespace

int run_access_code(const CommonOptions& common, const AccessCodeOptions& o) {
  // A code that cannot be one is bad input, said as every other (the HTTP route's 400); a code
  // that reads is answered, valid or not, on stdout with exit 1 when not.
  if (!parse_access_code(o.code))
    return fail("access-code", invalid_argument("CODE: expected an access code, XXXXX-XXXXX (Crockford base32)"));
  Result<Instant> today = parse_instant_option(o.date, "--date", Instant{});
  if (!today.is_ok()) return fail("access-code", today.status());
  Result<ReadSide> side = open_read_side(as_it_stood(common, o.date, *today), 0, false);
  if (!side.is_ok()) return fail("access-code", side.status());
  if (o.date.empty()) today = ledger_now(*side->projector);
  const AccessCodeAnswer answer = lookup_access_code(*side->projector, o.code, brussels_date(*today));
  std::string line;
  to_json(answer, &line);
  print_line(line);
  return answer.verdict == AccessCodeAnswer::Verdict::kValid ? 0 : 1;
}

int run_consent_check(const CommonOptions& common, const ConsentOptions& o) {
  AccessScope scope;
  if (!parse_scope(o.scope, &scope)) return fail("consent check", invalid_argument("--scope: FLEXI or STUDENT_BALANCE"));
  Result<uint64_t> employer = parse_employer(o.employer, "--employer");
  if (!employer.is_ok()) return fail("consent check", employer.status());
  Result<Instant> at = parse_instant_option(o.at, "--at", Instant{});
  if (!at.is_ok()) return fail("consent check", at.status());
  // --year (STUDENT_BALANCE) or --quarter (FLEXI): the job hired for; default the current one.
  std::optional<int32_t> asked;
  if (o.year != 0) {
    if (scope != AccessScope::kStudentBalance)
      return fail("consent check", invalid_argument("--year: for --scope STUDENT_BALANCE"));
    asked = o.year;
  }
  if (!o.quarter.empty()) {
    if (scope != AccessScope::kFlexi) return fail("consent check", invalid_argument("--quarter: for --scope FLEXI"));
    asked = parse_quarter(o.quarter);
    if (!asked) return fail("consent check", invalid_argument("--quarter: expected YYYY-Qn, a year 2000..2099"));
  }
  Result<CitizenView> view = open_citizen(as_it_stood(common, o.at, *at), o.ssin);
  if (!view.is_ok()) return fail("consent check", view.status());
  if (o.at.empty()) at = ledger_now(*view->side.projector);
  const Result<int32_t> period = consented_period(scope, brussels_date(*at), asked);
  if (!period.is_ok())
    return fail("consent check", invalid_argument(std::string(o.quarter.empty() ? "--year" : "--quarter") + ": " +
                                                  period.status().message()));
  const ConsentVerdict v = may_see(*view->side.projector, view->citizen, *employer, scope, *at);
  std::string line;
  to_json(v, scope, &line);
  print_line(line);
  if (!v.allowed) return 1;
  // What the consent shows the employer.
  const Result<std::string> data =
      consented_data(*view->side.projector, view->citizen, *employer, scope, *period, v, brussels_date(*at));
  if (!data.is_ok()) return fail("consent check", data.status());
  print_line(*data);
  return 0;
}

int run_consent_list(const CommonOptions& common, const ConsentOptions& o) {
  if (o.ssin.empty() == o.employer.empty()) {
    std::fprintf(stderr, "dimona-ledger: consent list: give --ssin or --employer\n");
    return 2;
  }
  std::string line;
  if (!o.ssin.empty()) {
    Result<CitizenView> view = open_citizen(common, o.ssin);
    if (!view.is_ok()) return fail("consent list", view.status());
    to_json(consents_of(*view->side.projector, view->citizen), ledger_now(*view->side.projector), &line,
            employer_naming_or_numbers(common).names());
  } else {
    Result<uint64_t> employer = parse_employer(o.employer, "--employer");
    if (!employer.is_ok()) return fail("consent list", employer.status());
    Result<ReadSide> side = open_read_side(common, 0, false);
    if (!side.is_ok()) return fail("consent list", side.status());
    to_json(requests_of_employer(*side->projector, *employer, ledger_now(*side->projector)), &line);
  }
  print_line(line);
  return 0;
}

int run_flexi(const CommonOptions& common, const FlexiOptions& o) {
  const std::optional<int32_t> asked = o.quarter.empty() ? std::optional<int32_t>(0) : parse_quarter(o.quarter);
  if (!asked) return fail("flexi", invalid_argument("--quarter: expected YYYY-Qn, a year 2000..2099"));
  const std::optional<ReductionRule> rule = ReductionRule::parse(o.reduction);
  if (!rule) return fail("flexi", invalid_argument("--reduction: strict, ignore or tolerance:F"));
  uint64_t employer = 0;
  if (!o.employer.empty()) {
    Result<uint64_t> e = parse_employer(o.employer, "--employer");
    if (!e.is_ok()) return fail("flexi", e.status());
    employer = *e;
  }
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("flexi", view.status());
  // The default quarter is the one of the read's "now" (ledger_now), as every other read's default.
  const int32_t quarter = o.quarter.empty() ? quarter_index(brussels_date(ledger_now(*view->side.projector))) : *asked;
  std::string line;
  to_json(flexi_eligibility(view->state->actions(), view->citizen, quarter, employer, *rule), &line);
  print_line(line);
  return 0;
}

namespace {

Result<CareerBreakFilter> career_break_filter(const CareerBreakOptions& o) {
  Result<uint64_t> employer = parse_employer(o.employer, "--employer");
  DIMONA_TRY(employer);
  CareerBreakFilterParsed parsed = parse_career_break_filter({o.kind, o.fraction, o.status, o.ssin, o.from, o.to});
  if (!parsed.issues.empty()) {  // the first, as every option is refused
    constexpr const char* kOption[] = {"--kind", "--fraction", "--status", "--ssin", "--from", "--to"};
    const CareerBreakFilterIssue& first = parsed.issues.front();
    return invalid_argument(std::string(kOption[static_cast<size_t>(first.field)]) + ": " + first.detail);
  }
  parsed.filter.employer = *employer;
  return parsed.filter;
}

}  // namespace

int run_career_break_list(const CommonOptions& common, const CareerBreakOptions& o) {
  Result<CareerBreakFilter> filter = career_break_filter(o);
  if (!filter.is_ok()) return fail("career-break list", filter.status());
  Result<Instant> now = parse_instant_option(o.now, "--now", Instant{});
  if (!now.is_ok()) return fail("career-break list", now.status());
  Result<ReadSide> side = open_read_side(common, 0, false);
  if (!side.is_ok()) return fail("career-break list", side.status());
  if (o.now.empty()) now = ledger_now(*side->projector);
  std::string line;
  const EmployerNaming naming = employer_naming_or_numbers(common);
  to_json(career_break_overview(*side->projector, *filter, *now), o.auditor, &line, naming.names());
  print_line(line);
  return 0;
}

int run_career_break_employee(const CommonOptions& common, const CareerBreakOptions& o) {
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("career-break employee", view.status());
  std::string line;
  const EmployerNaming naming = employer_naming_or_numbers(common);
  to_json(career_breaks_of(*view->side.projector, view->citizen, ledger_now(*view->side.projector)), /*auditor=*/true,
          &line, naming.names());
  print_line(line);
  return 0;
}

int run_career_break_show(const CommonOptions& common, const CareerBreakOptions& o) {
  char* end = nullptr;
  const unsigned long long ticket = std::strtoull(o.ticket.c_str(), &end, 10);
  if (o.ticket.size() != 12 || *end != '\0' || !is_valid_dimona_id(ticket))
    return fail("career-break show", invalid_argument("ticket: expected 12 digits"));
  std::optional<uint64_t> employer;
  if (!o.employer.empty()) {
    Result<uint64_t> e = parse_employer(o.employer, "--employer");
    if (!e.is_ok()) return fail("career-break show", e.status());
    employer = *e;
  }
  Result<ReadSide> side = open_read_side(common, 0, false);
  if (!side.is_ok()) return fail("career-break show", side.status());
  const CareerBreakRequest* r = side->projector->find([ticket](const LedgerState& state) { return state.actions().ticket(ticket); });
  if (!r) return fail("career-break show", not_found("no career-break request has this ticket"));
  if (employer) {
    const std::string_view refusal = consult_refusal(*r, *employer);
    if (!refusal.empty()) return fail("career-break show", failed_precondition(std::string(refusal)));
  }
  std::string line;
  const EmployerNaming naming = employer_naming_or_numbers(common);
  to_json(*r, &line, naming.names());
  print_line(line);
  return 0;
}

int run_inbox_archive(const CommonOptions& common, const InboxOptions& o) {
  Result<Ssin> ssin = parse_ssin(o.ssin);
  if (!ssin.is_ok()) return fail("inbox archive", invalid_argument("SSIN: " + ssin.status().message()));
  char* end = nullptr;
  const unsigned long long id = std::strtoull(o.message.c_str(), &end, 10);
  if (o.message.size() != 12 || *end != '\0' || !is_valid_dimona_id(id))
    return fail("inbox archive",
                invalid_argument("message: expected a message id: 12 digits, the last two the first ten mod 97"));
  SystemClock clock;
  Result<WriteSide> side = open_write_side(common, clock);
  if (!side.is_ok()) return fail("inbox archive", side.status());
  Action action;
  action.kind = ActionKind::kInboxArchive;
  action.worker = *ssin;
  action.id = id;
  const std::string raw = "{\"worker\":{\"ssin\":\"" + o.ssin + "\"},\"inboxArchive\":{\"messageId\":\"" + o.message + "\"}}";
  Result<ActionSubmission> s = submit_one_action(*side, action, raw, "cli:inbox");
  if (!s.is_ok()) return fail("inbox archive", s.status());
  if (!s->outcome.accepted())
    return fail("inbox archive", failed_precondition(std::string(refusal_message(s->outcome.refusal)) + " (" +
                                                     std::string(refusal_name(s->outcome.refusal)) + ")"));
  std::printf("archived %s\n", o.message.c_str());
  return 0;
}

int run_send_overview(const CommonOptions& common, const SendOverviewOptions& o) {
  constexpr const char* kWhat = "send-overview";
  Result<Ssin> ssin = parse_ssin(o.filter.ssin);
  if (!ssin.is_ok()) return fail(kWhat, invalid_argument("SSIN: " + ssin.status().message()));
  std::string channel = o.channel.empty() ? "EBOX" : o.channel;
  for (char& ch : channel) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  if (channel != "EBOX" && channel != "EMAIL")
    return fail(kWhat, invalid_argument("--channel: expected ebox or email"));
  // The action line as a POST would carry it, read by the one decoder (its checks, its messages).
  std::string text;
  {
    JsonWriter w(&text);
    w.begin_object().key("worker").begin_object().key("ssin").string(format_ssin(*ssin)).end_object();
    w.key("interimOverviewSend").begin_object().key("channel").string(channel);
    for (auto [name, value] : {std::pair{"email", &o.email}, std::pair{"from", &o.filter.from},
                               std::pair{"to", &o.filter.to}, std::pair{"workerType", &o.filter.worker_type},
                               std::pair{"agency", &o.filter.agency}, std::pair{"userCompany", &o.filter.user_company}})
      if (!value->empty()) w.key_text(name).string(*value);
    w.end_object().end_object();
  }
  const size_t size = text.size();
  text.resize(size + kJsonPadding);
  DeclarationDecoder decoder;
  Result<Command> command = decoder.decode_command(std::string_view(text.data(), size), text.size());
  if (!command.is_ok()) return fail(kWhat, command.status());
  SystemClock clock;
  Result<WriteSide> side = open_write_side(common, clock);
  if (!side.is_ok()) return fail(kWhat, side.status());
  Result<ActionSubmission> s =
      side->ledger->submit_action(command->action, std::string_view(text.data(), size), "cli:send-overview");
  if (!s.is_ok()) return fail(kWhat, s.status());
  const std::string line(side->ledger->last_staged_event(s->partition));  // the event as it will be logged
  if (Status c = side->ledger->commit(); !c.is_ok()) return fail(kWhat, c);
  if (!s->outcome.accepted())
    return fail(kWhat, failed_precondition(std::string(refusal_message(s->outcome.refusal)) + " (" +
                                           std::string(refusal_name(s->outcome.refusal)) + ")"));
  if (o.json) {
    print_line(line);
    return 0;
  }
  const InterimOverviewSend sent = overview_send_of(command->action, s->outcome, s->recorded_at);
  const InterimFilter f = overview_filter(sent);
  std::printf("Interim@work overview %012llu, %s to %s, sent %s\n", static_cast<unsigned long long>(sent.id),
              to_string(f.from).c_str(), to_string(f.to).c_str(),
              command->action.delivery == DeliveryChannel::kEbox ? "to the worker's eBox (kept two months)"
                                                                 : "by e-mail (through the outbox)");
  return 0;
}

}  // namespace dimona::cli
