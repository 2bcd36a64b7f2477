// The REST handlers: plain functions, one per route, of the call (the
// request, its path parameters, the authenticated principal, "now" and the
// base of links) and of the ledger — a read-only view for reads, the
// LedgerService itself only for the routes that submit. The router
// (routes.h) matches, authenticates, rate-limits, counts and catches; a
// handler only parses its inputs (params.h), applies the role's rights and
// answers through c.reply exactly once (a write, when the writer has
// decided). Rights are in routes.h's contract. No handler keeps state.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth.h"
#include "api/http.h"
#include "api/params.h"
#include "api/service.h"
#include "engine/base/time.h"
#include "projections/employer_names.h"

namespace dimona::api {

using PathParams = std::vector<std::pair<std::string, std::string>>;

// "Who looked" (docs/audit.md): what a read answered about, for the record the
// router writes of it (routes.cc). The router fills the path's {ssin} and the
// view's name (the route's last segment); a handler that resolved the citizen
// itself (an access code's) or reads a finer view (a consent's scope) says so.
struct Consulted {
  std::optional<Ssin> citizen;
  std::string scope;
};

struct Call {
  HttpRequest request;
  PathParams params;               // the route's {names}, as sent
  std::optional<Principal> who;    // empty on the public routes
  Instant now;                     // max(wall clock, ledger time), or ?asOf: reads judge codes and grants in it
  std::string public_url;          // the base of `href` links
  std::function<void(HttpResponse)> reply;
  EmployerNameOf names;            // employer names in the request's Accept-Language; empty: numbers only
  std::optional<Instant> as_of;    // ?asOf: the read answers from the ledger's state then (docs/audit.md)
  std::optional<Date> valid_on;    // ?validOn: the day the views that know days stop at
  // Set by the router when this read is recorded (an auditor's, an employer's or an agency's);
  // shared by the copies of the call (a look-up across members). Null: not recorded.
  std::shared_ptr<Consulted> consulted;
  // Counts one e-mail sent for this call's principal and says whether it is within the allowance
  // (http_limits::overview_emails_per_principal); set by the router, empty: no limit.
  std::function<bool()> email_allowed;
  // The access-code lookup limits counted this request already (the router: once per request,
  // even when it is dispatched again after waiting for a partition loading at a start).
  bool access_code_counted = false;

  std::string param(std::string_view name) const;  // a path parameter, as sent
  bool is(Role r) const { return who && who->role == r; }
  // The representation asked of a route offering JSON and PDF (negotiate_representation,
  // params.h), or nullopt once it replied 400 (a bad ?format) or 406 (Accept takes neither).
  std::optional<Representation> representation() const;
  // For a view offered as JSON only (json_acceptable, params.h): false once it replied 400 or 406.
  bool json_only() const;
  // The read answered about `citizen` (and `scope`, when given): for the record, when one is kept.
  void consulted_citizen(Ssin citizen, std::string scope = {}) const;
};

using ReadHandler = void (*)(Call&, const LedgerService&);
using WriteHandler = void (*)(Call&, LedgerService&);

// Operations (public).
void health(Call& c, const LedgerService& view);
void ready(Call& c, const LedgerService& view);

// Declarations and actions (handlers_declarations.cc).
void post_declaration(Call& c, LedgerService& ledger);
void post_action(Call& c, LedgerService& ledger);
void get_declaration(Call& c, const LedgerService& view);

// A citizen's data (handlers_citizen.cc).
void student_balance_route(Call& c, const LedgerService& view);
void calendar_route(Call& c, const LedgerService& view);
void interim_route(Call& c, const LedgerService& view);
void attestations_route(Call& c, const LedgerService& view);
void issue_attestation(Call& c, LedgerService& ledger);
void consents_route(Call& c, const LedgerService& view);
void consented_data_route(Call& c, const LedgerService& view);
void flexi_route(Call& c, const LedgerService& view);
void anomalies_route(Call& c, const LedgerService& view);
// The employee's own career-break requests and notifications, every employer's (DOMAIN §5).
void citizen_career_breaks_route(Call& c, const LedgerService& view);
// Who consulted the citizen's data (docs/audit.md "Who looked"): the citizen themself, or an auditor.
void consultations_route(Call& c, const LedgerService& view);

// The ledger's state hash (handlers_state_hash.cc, docs/audit.md): auditors only.
void state_hash_route(Call& c, const LedgerService& view);

// The citizen's own detail view and inbox (handlers_inbox.cc): the citizen only.
void wages_route(Call& c, const LedgerService& view);
void inbox_route(Call& c, const LedgerService& view);
void inbox_message_route(Call& c, const LedgerService& view);
void archive_message(Call& c, LedgerService& ledger);

// Employers, agencies and auditors (handlers_employer.cc).
void access_code_route(Call& c, const LedgerService& view);
void data_access_requests(Call& c, const LedgerService& view);
void data_access_qr(Call& c, const LedgerService& view);
void career_break_list(Call& c, const LedgerService& view);
void career_break_one(Call& c, const LedgerService& view);
void settings_route(Call& c, const LedgerService& view);
// GET /v1/employers/{employer}/anomalies: auditors; every partition's, oldest first.
void employer_anomalies_route(Call& c, const LedgerService& view);
void put_settings(Call& c, LedgerService& ledger);

// Auditors (handlers_audit.cc): a citizen's history, for the citizen or an auditor.
void citizen_events_route(Call& c, const LedgerService& view);

}  // namespace dimona::api
