// The declarations and actions: POST /v1/declarations, GET /v1/declarations/{id}, POST /v1/actions.
#include "api/handlers.h"
#include "api/handlers_support.h"
#include "api/params.h"
#include "engine/base/json_writer.h"
#include "projections/declaration_log.h"

namespace dimona::api {
namespace {

HttpResponse written(const WriteOutcome& o, const std::string& public_url) {
  HttpResponse r;
  r.status = 201;
  JsonWriter w(&r.body);
  w.begin_object();
  if (o.is_action) {
    w.key("actionId").digits(o.id, 12);
    w.key("event").raw(o.event_json);
  } else {
    const std::string href = public_url + "/v1/declarations/" + std::string(12 - std::min<size_t>(12, std::to_string(o.id).size()), '0') + std::to_string(o.id);
    w.key("declarationId").digits(o.id, 12).key("href").string(href);
    write_decision(w, o.declaration.decision);
    r.headers.emplace_back("Location", href);
  }
  w.key("partition").integer(o.partition).key("offset").integer(static_cast<int64_t>(o.offset));
  w.end_object();
  return r;
}

}  // namespace

void submit(Call& c, LedgerService& ledger, bool declaration_route) {
  const Principal who = *c.who;
  auto check = [who, declaration_route, email_allowed = c.email_allowed](const Command& command,
                                                                         const Ledger& writer) -> Status {
    if (command.is_action == declaration_route)
      return invalid_argument(declaration_route ? "an action goes to /v1/actions" : "a declaration goes to /v1/declarations");
    DIMONA_TRY(may_submit(who, command, writer));
    // An overview e-mailed counts against its sender's allowance once it may be sent at all.
    if (command.is_action && command.action.kind == ActionKind::kInterimOverviewSend &&
        command.action.delivery == DeliveryChannel::kEmail && email_allowed && !email_allowed())
      return resource_exhausted("Too many overviews sent by e-mail; retry later");
    return Status::ok();
  };
  ledger.submit(std::move(c.request.body), check,
                [held = c.reply, public_url = c.public_url, &ledger, target = c.request.target](Result<WriteOutcome> o) mutable {
    // Released once answered, not whenever the writer drops the callback: the session it holds
    // goes back to the I/O side as early as it can (serve stops the writer before the server).
    const std::function<void(HttpResponse)> reply = std::move(held);
    if (!o.is_ok()) {
      // serve --group: the event falls in a partition another member holds (docs/kafka.md §10).
      if (const std::optional<uint32_t> partition = not_held_partition(o.status()))
        return reply(misdirected(ledger, *partition, target));
      if (o.status().code() == Code::kResourceExhausted)  // the only allowance a submission has
        return reply(too_many_requests(o.status().message(), http_limits::overview_email_window_seconds));
      return reply(problem_of(o.status()));
    }
    reply(written(*o, public_url));
  });
}

void post_declaration(Call& c, LedgerService& ledger) { submit(c, ledger, true); }
void post_action(Call& c, LedgerService& ledger) { submit(c, ledger, false); }

void get_declaration(Call& c, const LedgerService& view) {
  if (!c.is(Role::kDeclarant) && !c.is(Role::kAuditor)) return c.reply(forbidden());
  const Parsed<DeclarationId> parsed = path_declaration_id(c.param("id"));
  if (!parsed) return c.reply(bad_request_of(parsed.issues));
  const uint64_t id = parsed->value;
  // From the read model folded from the log: any declaration, after a restart too.
  const Result<std::optional<DeclarationStatus>> found =
      view.read([&](const Projector& p) { return find_declaration(p, DeclarationId{id}); });
  if (!found.is_ok()) return c.reply(problem_of(found.status()));
  const std::optional<DeclarationStatus>& record = *found;
  // A declarant for one enterprise sees that enterprise's only: another's is answered as unknown.
  if (!record || (c.is(Role::kDeclarant) && c.who->employer != 0 && record->employer != c.who->employer))
    return c.reply(not_found("No declaration with this id"));
  std::string body;
  JsonWriter w(&body);
  w.begin_object().key("declarationId").digits(id, 12).key("declarationStatus").begin_object();
  write_decision(w, record->decision);
  w.end_object().key("partition").integer(record->partition).key("offset").integer(static_cast<int64_t>(record->offset));
  w.end_object();
  c.reply(json_response(200, std::move(body)));
}

}  // namespace dimona::api
