// Auditors (issue 12): a citizen's history, every event with its offset,
// recordedAt, the decision and the rule behind each figure
// (projections/citizen_history.h). The citizen themself or an auditor.
#include "api/handlers.h"
#include "api/handlers_support.h"
#include "projections/citizen_history.h"
#include "projections/projector.h"

namespace dimona::api {

// GET /v1/audit/citizens/{ssin}/events[?asOf=T][&page=&pageSize=]: ?asOf (read once by the
// router, Call::as_of) is answered here from the live index (routes.cc answers_as_of).
void citizen_events_route(Call& c, const LedgerService& view) {
  const std::optional<Ssin> s = readable_citizen(c, view);
  if (!s) return;
  HttpResponse error;
  const std::optional<Page> page = parse_page(c.request, &error);
  if (!page) return c.reply(std::move(error));
  const Result<std::string> body = view.read([&](const Projector& p) -> Result<std::string> {
    std::vector<std::string> objects;
    const Result<uint64_t> total = citizen_history(
        p, *s, c.as_of, (page->number - 1) * page->size, page->size,
        [&](std::string_view item) {
          objects.emplace_back(item);
          return Status::ok();
        },
        c.is(Role::kAuditor) ? HistoryReader::kAuditor : HistoryReader::kCitizen);
    DIMONA_TRY(total);
    return paged_as_it_stands(items(objects), *total, *page, c);
  });
  if (!body.is_ok()) return c.reply(problem_of(body.status()));
  c.reply(json_response(200, *body));
}

}  // namespace dimona::api
