// The citizen's own detail view beyond the balance (seed 001): gross wages of the last quarters,
// and the inbox where each attestation, each ONEM decision on a career break and each Interim@work overview sent
// to the eBox arrives. The citizen only: not an auditor, not an employer.
#include "api/handlers.h"
#include "api/handlers_support.h"
#include "api/params.h"
#include "engine/flexi.h"
#include "projections/inbox_views.h"
#include "projections/interim_views.h"
#include "projections/wage_views.h"

namespace dimona::api {
namespace {

// The citizen of the path when the caller is that citizen; otherwise replies and returns nullopt.
std::optional<Ssin> own_citizen(Call& c, const LedgerService& view) {
  HttpResponse error;
  std::optional<Ssin> s = path_ssin(c, &error);
  if (!s) return c.reply(std::move(error)), std::nullopt;
  if (!c.is(Role::kCitizen) || c.who->ssin != *s) return c.reply(forbidden()), std::nullopt;
  if (!wait_min_offset(c, view, *s)) return std::nullopt;
  return s;
}

}  // namespace

void wages_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = own_citizen(c, view);
  if (!s) return;
  // ?year=Y: the four quarters of Y; else the four before the current one.
  const Parsed<std::optional<int32_t>> year = query_year(c.request);
  if (!year) return c.reply(bad_request_of(year.issues));
  const int32_t current = *year ? quarters_after_year(**year) : quarter_index(brussels_date(c.now));
  c.reply(json_response(200, view.read([&](const Projector& p) {
    std::string out;
    to_json(*s, wages_of_last_quarters(p.state_of(*s).actions(), *s, current), c.names, &out);
    return out;
  })));
}

void inbox_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = own_citizen(c, view);
  if (!s) return;
  const std::string archived = c.request.query("archived");
  if (!archived.empty() && archived != "true" && archived != "false")
    return c.reply(bad_request_of({{"query", "archived", "expected true or false"}}));
  HttpResponse error;
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  const std::vector<InboxMessage> all =
      view.read([&](const Projector& p) { return inbox_of(p, *s, c.now, archived == "true"); });
  std::string out;
  to_json(page_of(all, *page), &out);
  c.reply(json_response(200, paged(std::move(out), all.size(), *page, c.public_url, c.request)));
}

void inbox_message_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = own_citizen(c, view);
  if (!s) return;
  const Parsed<uint64_t> id = path_message_id(c.param("messageId"));
  if (!id) return c.reply(bad_request_of(id.issues));
  std::vector<Offset> offsets;  // an overview's: the citizen's events up to its own
  const std::optional<InboxMessage> m = view.read([&](const Projector& p) {
    std::optional<InboxMessage> found = inbox_message(p, *s, *id, c.now);
    if (found) offsets = overview_offsets(p, *found);
    return found;
  });
  if (!m) return c.reply(not_found("No such message in this inbox"));
  // An Interim@work overview's content is the relations as they stood when it was sent (seed 002):
  // the citizen's events up to it, folded alone (this route runs on the pool).
  std::string relations;
  if (m->kind == InboxMessage::Kind::kInterimOverview) {
    Result<std::shared_ptr<const Projector>> then = view.citizen_state_of(*s, offsets, m->delivered_at);
    if (!then.is_ok()) return c.reply(problem_of(then.status()));
    to_json(*s, overview_relations(**then, *m), &relations, c.names);
  }
  std::string out;
  to_json(*m, true, &out, c.names, relations);
  c.reply(json_response(200, std::move(out)));
}

// An inboxArchive action for the path's message: 201 with its event, accepted (A) or refused (B, with its reason).
void archive_message(Call& c, LedgerService& ledger) {
  HttpResponse error;
  const std::optional<Ssin> s = path_ssin(c, &error);
  if (!s) return c.reply(std::move(error));
  if (!c.is(Role::kCitizen) || c.who->ssin != *s) return c.reply(forbidden());
  const Parsed<uint64_t> id = path_message_id(c.param("messageId"));
  if (!id) return c.reply(bad_request_of(id.issues));
  // Both parts are checked digits: nothing of the path reaches the JSON unparsed.
  c.request.body = "{\"worker\":{\"ssin\":\"" + format_ssin(*s) + "\"},\"inboxArchive\":{\"messageId\":\"" +
                   std::to_string(*id) + "\"}}";
  submit(c, ledger, false);
}

}  // namespace dimona::api
