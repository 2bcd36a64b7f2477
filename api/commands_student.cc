// The student's detail view beyond the balance: gross wages of the last quarters (seed 001).
#include <cstdio>
#include <cstdlib>

#include "api/cli_support.h"
#include "api/commands.h"
#include "engine/flexi.h"
#include "projections/access_views.h"
#include "projections/inbox_views.h"
#include "projections/interim_views.h"
#include "projections/wage_views.h"

namespace dimona::cli {
namespace {

// The message's body as text: an overview's relations (`relations`, as they stood when it was sent) a line each.
void print_message_text(const InboxMessage& m, bool body, const std::vector<InterimRelation>& relations = {},
                        const EmployerNaming* naming = nullptr) {
  std::printf("%012llu  %s  %s  (kept until %s)\n", static_cast<unsigned long long>(m.id),
              to_string(m.delivered_at).c_str(), inbox_subject(m).c_str(), to_string(m.expires_at).c_str());
  if (m.archived()) std::printf("  archived %s\n", to_string(m.archived_at).c_str());
  if (!body) return;
  if (m.kind == InboxMessage::Kind::kStudentAttestation) {
    const Attestation& a = m.attestation;
    std::printf("  remaining hours %u of %u in %d\n  access code %s, valid %s to %s\n", a.remaining_hours,
                a.quota_hours, a.for_year, format_access_code(a.access_code).c_str(), to_string(a.valid_from()).c_str(),
                to_string(a.valid_until()).c_str());
    return;
  }
  if (m.kind == InboxMessage::Kind::kInterimOverview) {
    std::printf("  sent %s; document %s\n  %zu work relation(s)\n", to_string(m.overview.sent_at).c_str(),
                overview_document(m.overview).c_str(), relations.size());
    for (const InterimRelation& r : relations)
      std::printf(
          "  %s to %s  agency %s  user company %s  %u day(s)\n", to_string(r.first).c_str(), to_string(r.last).c_str(),
          naming->text(r.agency).c_str(),
          is_named_user_company(r.user_company) ? r.user_company_name.c_str() : naming->text(r.user_company).c_str(),
          r.days);
    return;
  }
  const CareerBreakRequest& r = m.request;
  std::printf("  %s %s from %s to %s, decided %s\n", std::string(leave_kind_name(r.leave_kind)).c_str(),
              std::string(break_fraction_name(r.fraction)).c_str(), to_string(r.start).c_str(),
              to_string(r.end).c_str(), to_string(r.decided_at).c_str());
}

}  // namespace

int run_inbox_list(const CommonOptions& common, const InboxOptions& o) {
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("inbox list", view.status());
  const std::vector<InboxMessage> messages =
      inbox_of(*view->side.projector, view->citizen, ledger_now(*view->side.projector), o.archived);
  if (o.json) {
    std::string line;
    to_json(messages, &line);
    std::printf("%s\n", line.c_str());
    return 0;
  }
  std::printf("%zu message(s)\n", messages.size());
  for (const InboxMessage& m : messages) print_message_text(m, false);
  return 0;
}

int run_inbox_read(const CommonOptions& common, const InboxOptions& o) {
  char* end = nullptr;
  const unsigned long long id = std::strtoull(o.message.c_str(), &end, 10);
  if (o.message.size() != 12 || *end != '\0' || !is_valid_dimona_id(id))
    return fail("inbox read",
                invalid_argument("message: expected a message id: 12 digits, the last two the first ten mod 97"));
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("inbox read", view.status());
  const std::optional<InboxMessage> m =
      inbox_message(*view->side.projector, view->citizen, id, ledger_now(*view->side.projector));
  if (!m) return fail("inbox read", not_found("no such message in this inbox (unknown, or older than two months)"));
  const EmployerNaming naming = employer_naming_or_numbers(common);
  // An overview's content: the relations as they stood when it was sent (the ledger then).
  std::vector<InterimRelation> relations;
  if (m->kind == InboxMessage::Kind::kInterimOverview) {  // the citizen's events up to the overview's own
    Result<std::unique_ptr<Projector>> then =
        Projector::of_citizen(*view->side.log, view->side.options, view->citizen,
                              overview_offsets(*view->side.projector, *m), m->delivered_at);
    if (!then.is_ok()) return fail("inbox read", then.status());
    relations = overview_relations(**then, *m);
  }
  if (o.json) {
    std::string line, content;
    if (m->kind == InboxMessage::Kind::kInterimOverview) to_json(view->citizen, relations, &content, naming.names());
    to_json(*m, true, &line, naming.names(), content);  // the decided request's employer by name, as over HTTP
    std::printf("%s\n", line.c_str());
    return 0;
  }
  print_message_text(*m, true, relations, &naming);
  return 0;
}

// Who looked (docs/audit.md): the reads of the citizen's data the ledger recorded, newest first.
int run_consultations(const CommonOptions& common, const CitizenOptions& o) {
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("consultations", view.status());
  const std::vector<Consultation> list = consultations_of(*view->side.projector, view->citizen);
  const EmployerNaming naming = employer_naming_or_numbers(common);
  if (o.json) {
    std::string line;
    to_json(list, &line, naming.names());
    std::printf("%s\n", line.c_str());
    return 0;
  }
  std::printf("%zu consultation(s)\n", list.size());
  for (const Consultation& c : list) {
    std::string by = c.role == ConsultationRole::kAuditor ? "auditor" : naming.text(c.employer);
    if (!c.auditor.empty()) by += ":" + c.auditor;
    std::printf("%s  %-8s %-24s %-30s via %s\n", to_string(c.at).c_str(), std::string(consultation_role_name(c.role)).c_str(),
                by.c_str(), c.scope.c_str(), std::string(consultation_channel_name(c.channel)).c_str());
  }
  return 0;
}

int run_wages(const CommonOptions& common, const CitizenOptions& o) {
  const std::optional<EmployerNaming> naming = employer_naming_or_numbers(common);
  Result<CitizenView> view = open_citizen(common, o.ssin);
  if (!view.is_ok()) return fail("wages", view.status());
  // --year Y: the four quarters of Y; else the four before the current one (ledger time).
  const int32_t current =
      o.year != 0 ? quarters_after_year(o.year) : quarter_index(brussels_date(ledger_now(*view->side.projector)));
  const std::vector<QuarterWages> wages = wages_of_last_quarters(view->state->actions(), view->citizen, current);
  if (o.json) {
    std::string line;
    to_json(view->citizen, wages, naming->names(), &line);
    std::printf("%s\n", line.c_str());
    return 0;
  }
  for (const QuarterWages& q : wages) {
    std::printf("%s: gross wage %lld.%02lld EUR\n", quarter_string(q.quarter).c_str(),
                static_cast<long long>(q.total_cents / 100), static_cast<long long>(q.total_cents % 100));
    for (const EmployerWage& e : q.by_employer)
      std::printf("  %10lld.%02lld EUR  employer %s\n", static_cast<long long>(e.gross_wage_cents / 100),
                  static_cast<long long>(e.gross_wage_cents % 100), naming->text(e.employer).c_str());
  }
  return 0;
}

}  // namespace dimona::cli
