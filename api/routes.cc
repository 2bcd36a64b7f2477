#include "api/routes.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "api/fanout.h"
#include "api/handlers.h"
#include "api/handlers_support.h"
#include "api/http_client.h"
#include "api/metrics.h"
#include "api/params.h"
#include "api/past_states.h"
#include "api/portal.h"
#include "api/rate_limit.h"
#include "api/token_cache.h"
#include "engine/base/assert.h"
#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "engine/event.h"
#include "projections/employer_register.h"

namespace dimona::api {

void health(Call& c, const LedgerService&) { c.reply(json_response(200, "{\"status\":\"UP\"}")); }

// Ready: reads are answered, the writer takes submissions (decided once it is open: "writer"
// says whether it is "opening", "open", "failed", or "none" in a group member holding no
// partition) and the log answers; with the partitions
// held, each one's folded offset, the log's end and the lag. While the partitions load at start
// ("Serve at once"), "loading" says how many are loaded (each answers as soon as it is).
void ready(Call& c, const LedgerService& view) {
  const Result<std::vector<PartitionProgress>> progress = view.progress();
  const std::optional<LedgerService::LoadProgress> loading = view.loading();
  const bool ok = view.ready() && progress.is_ok();
  std::string body;
  JsonWriter w(&body);
  w.begin_object().key("status").string(ok ? "UP" : "DOWN");
  if (loading) {
    w.key("loading").begin_object().key("partitionsLoaded").integer(loading->loaded);
    w.key("partitions").integer(loading->partitions).end_object();
  }
  w.key("lag").integer(static_cast<int64_t>(view.lag())).key("eventsFolded").integer(static_cast<int64_t>(view.events_folded()));
  w.key("log").string(view.log_uri()).key("writer").string(view.writer_status());
  if (progress.is_ok()) {
    w.key("partitions").begin_array();
    for (const PartitionProgress& p : *progress) {
      w.begin_object().key("partition").integer(p.partition).key("offset").integer(static_cast<int64_t>(p.folded));
      w.key("end").integer(static_cast<int64_t>(p.end)).key("lag").integer(static_cast<int64_t>(p.lag())).end_object();
    }
    w.end_array();
  } else {
    w.key("error").string(progress.status().to_string());
  }
  w.end_object();
  c.reply(json_response(ok ? 200 : 503, std::move(body)));
}

// Scale-out (docs/kafka.md section 10, "Employer-wide views"): how a route that is not per
// citizen is answered when this process does not hold every partition. A request carrying
// kFanoutHeader comes from another member and is answered from this process's own partitions.
enum class Spread {
  kNone,           // this process's answer (per citizen: the {ssin} redirect)
  kRecord,         // a look-up: this process's answer when 200, else the first other owner's 200
  kDeclaration,    // a ledger-given id says its partition: 307 to its owner; an imported id: kRecord
  kRequests,       // GET /v1/dataAccessRequests: every owner's list merged, then paged
  kAnomalies,      // GET /v1/employers/{employer}/anomalies: every owner's records merged, then paged
  kCareerBreaks,   // GET /v1/careerBreakRequests: every owner's requests and notifications merged
  kPartitionZero,  // employer settings live in partition 0: 307 to its owner
};
constexpr std::string_view kFanoutHeader = "x-dimona-fanout";

namespace {

// The answer to an exception that reached an HTTP edge: a read side being folded again
// (embedded_service.h "One state") or a partition still loading at start ("Serve at once") is
// 503, retried; anything else is a bug, a 500, never a dead server.
HttpResponse exception_response(const std::exception& e) {
  if (dynamic_cast<const ReadSideUnavailable*>(&e) != nullptr || dynamic_cast<const PartitionLoading*>(&e) != nullptr)
    return unavailable_response(e.what());
  return problem(500, "internalServerError", "Internal Server Error", "The request could not be completed");
}

// Who looked: the roles whose reads of a citizen's data are recorded.
std::optional<ConsultationRole> consulting_role(Role role) {
  switch (role) {
    case Role::kAuditor: return ConsultationRole::kAuditor;
    case Role::kEmployer: return ConsultationRole::kEmployer;
    case Role::kAgency: return ConsultationRole::kAgency;
    default: return std::nullopt;
  }
}

// The dataConsultation line of one read (docs/actions.md): an employer or agency
// names itself and reads by access code, or by consent (consentedData); an
// auditor names its token's subject (cut at limits::text_field_bytes_max, at a
// UTF-8 boundary), never a token.
std::string consultation_line(const Consulted& note, const Principal& who, ConsultationRole role) {
  DIMONA_ASSERT(note.citizen.has_value());
  const bool auditor = role == ConsultationRole::kAuditor;
  ConsultationChannel channel = ConsultationChannel::kAuditor;
  if (!auditor)
    channel = note.scope.rfind("consentedData", 0) == 0 ? ConsultationChannel::kConsent : ConsultationChannel::kAccessCode;
  std::string line;
  JsonWriter w(&line);
  w.begin_object().key("worker").begin_object().key("ssin").string(format_ssin(*note.citizen)).end_object();
  if (!auditor) {
    w.key("employer");
    write_employer(w, who.employer);
  }
  w.key_text(action_key(ActionKind::kDataConsultation)).begin_object();
  w.key("role").string(consultation_role_name(role)).key("scope").string(note.scope);
  w.key("channel").string(consultation_channel_name(channel));
  if (auditor && !who.subject.empty()) {
    size_t n = std::min(who.subject.size(), limits::text_field_bytes_max);
    while (n < who.subject.size() && n > 0 && (static_cast<unsigned char>(who.subject[n]) & 0xC0) == 0x80) --n;
    w.key("auditor").string(std::string_view(who.subject).substr(0, n));
  }
  w.end_object().end_object();
  return line;
}

// A route's view, for a consultation's scope: its last segment that is not a
// {parameter} ("/v1/citizens/{ssin}/studentBalance": "studentBalance").
std::string view_name(std::string_view pattern) {
  std::string_view last;
  for (size_t at = 0; at < pattern.size();) {
    const size_t end = std::min(pattern.find('/', at + 1), pattern.size());
    const std::string_view segment = pattern.substr(at + 1, end - at - 1);
    if (!segment.empty() && segment.front() != '{') last = segment;
    at = end;
  }
  return std::string(last);
}

}  // namespace

// --- The router: route table, matching, authentication, rate limits, metrics, the exception edge ---
struct Api::Impl {
  LedgerService& service;
  TokenCache tokens;
  const Clock& clock;
  ApiOptions options;
  Metrics metrics;
  std::mutex mutex;  // guards options.public_url
  RateLimiter code_attempts_by_principal{http_limits::access_code_attempts_per_principal,
                                         http_limits::access_code_window_seconds, http_limits::rate_limited_clients_max};
  RateLimiter code_attempts_by_address{http_limits::access_code_attempts_per_address,
                                       http_limits::access_code_window_seconds, http_limits::rate_limited_clients_max};
  RateLimiter overview_emails_by_principal{http_limits::overview_emails_per_principal,
                                           http_limits::overview_email_window_seconds,
                                           http_limits::rate_limited_clients_max};
  RateLimiter writes_by_principal{http_limits::principal_writes_per_window, http_limits::principal_write_window_seconds,
                                  http_limits::rate_limited_clients_max};

  using Internal = void (Impl::*)(Call&);
  struct Route {
    const char* method;
    const char* pattern;
    ReadHandler read = nullptr;
    WriteHandler write = nullptr;
    Internal internal = nullptr;
    bool public_route = false;
    bool access_code_limited = false;  // guessing access codes: per principal and per address
    std::string label;                 // "GET /v1/...", for the metrics
    Spread spread = Spread::kNone;
    // ?asOf answered by the handler itself from the live state (Call::as_of): a citizen's
    // history reads its index up to the instant, cheaper than a past state (docs/audit.md).
    bool answers_as_of = false;
    // The handler may fold a past state for a while even without ?asOf (an inbox message's
    // document as it stood when sent): it runs on the fan-out pool, never on an I/O thread.
    bool may_fold = false;
    // Answers from the state of the path's {ssin} alone (a citizen's view: Projector::of_citizen),
    // so ?asOf folds that citizen's events only. Set for every read under /v1/citizens/{ssin}/.
    bool one_citizen = false;
    // The handler reads the request's body (a declaration, an action, settings): its media type
    // is checked first (unsupported_body, 415). A write that reads none ignores any body.
    bool reads_body = false;
    // An employer's or agency's access here is a grant the ledger holds (a consent, an access
    // code, a ticket's status), judged in the present: the audit axes (?asOf, ?validOn) would
    // judge it at another instant (a revoked consent, an expired code in force again) and show
    // more than the present figure the grant gives. They are the auditor's and the citizen's.
    bool present_grant = false;
    // The query parameters the route takes (names separated by spaces; a read also takes the audit
    // axes, asOf and validOn): any other is refused 400 unknownInput, not ignored (a mistyped
    // ?yaer= would answer the default year as if asked). schemas/openapi.yaml documents the same
    // names (OpenApi.Conformance compares them).
    const char* query = "";
    std::string query_known = {};  // `query`, and a read's axes: made once with the table (table())
    // The one media type the route answers in (RFC 9110 12.5.1: an Accept refusing it is 406,
    // before anything is read); empty for a route taking ?format, whose handler weighs JSON
    // against PDF itself (Call::representation, Call::json_only), and for the probes.
    const char* produces = "application/json";
    // The pattern up to its first {name}: a path that does not start with it cannot match, so
    // the route search compares these bytes before walking segments (made once, in table()).
    std::string_view literal_prefix = {};
  };
  static Route read(const char* method, const char* pattern, ReadHandler fn, bool public_route = false) {
    Route r{method, pattern, fn, nullptr, nullptr, public_route, false, std::string(method) + " " + pattern};
    r.one_citizen = std::string_view(pattern).starts_with("/v1/citizens/{ssin}/");
    return r;
  }
  static Route write(const char* method, const char* pattern, WriteHandler fn) {
    return Route{method, pattern, nullptr, fn, nullptr, false, false, std::string(method) + " " + pattern};
  }
  static Route with_body(Route r) {
    r.reads_body = true;
    return r;
  }
  static Route internal(const char* method, const char* pattern, Internal fn, bool public_route = false) {
    return Route{method, pattern, nullptr, nullptr, fn, public_route, false, std::string(method) + " " + pattern};
  }
  static Route limited(Route r) {
    r.access_code_limited = true;
    return r;
  }
  static Route spread(Spread how, Route r) {
    r.spread = how;
    return r;
  }
  static Route answers_as_of(Route r) {
    r.answers_as_of = true;
    return r;
  }
  static Route may_fold(Route r) {
    r.may_fold = true;
    return r;
  }
  static Route present_grant(Route r) {
    r.present_grant = true;
    return r;
  }
  static Route accepts(const char* query, Route r) {
    r.query = query;
    if ((" " + std::string(query) + " ").find(" format ") != std::string::npos) r.produces = "";
    return r;
  }
  static Route produces(const char* type, Route r) {
    r.produces = type;
    return r;
  }
  static const std::vector<Route>& table();

  Impl(LedgerService& s, TokenVerifier v, const Clock& c, ApiOptions o)
      : service(s), tokens(std::move(v)), clock(c), options(std::move(o)) {}

  std::string public_url() {
    std::lock_guard lock(mutex);
    return options.public_url;
  }

  void metrics_text(Call& c) {
    Metrics::LedgerFigures figures{service.events_folded(),
                                   service.events_handed_over(),
                                   service.lag(),
                                   service.commit_failures(),
                                   service.fold_failures(),
                                   {},
                                   std::nullopt,
                                   service.reader_cache_stats()};
    if (Result<std::vector<PartitionProgress>> progress = service.progress(); progress.is_ok()) figures.partitions = *progress;
    if (options.input) figures.input = options.input->snapshot();
    HttpResponse r = json_response(200, metrics.text(figures));
    r.content_type = "text/plain; version=0.0.4";
    c.reply(std::move(r));
  }

  // The writes (and recorded reads) of a portal role's principal, on the wall clock; other roles
  // are not counted (http_limits::principal_writes_per_window).
  bool within_write_limit(const Principal& who) {
    if (who.role != Role::kCitizen && who.role != Role::kEmployer && who.role != Role::kAgency) return true;
    return writes_by_principal.allow(principal_key(who), clock.now());
  }
  static HttpResponse too_many_writes() {
    return too_many_requests("Too many writes by this principal; retry later",
                             http_limits::principal_write_window_seconds);
  }

  // Counted on the wall clock (not c.now, which ledger time may hold ahead), both counts.
  bool within_access_code_limits(const Call& c) {
    const Instant wall = clock.now();
    const bool principal_ok = code_attempts_by_principal.allow(principal_key(*c.who), wall);
    const bool address_ok = code_attempts_by_address.allow(client_address(c.request, options.trusted_proxy), wall);
    return principal_ok && address_ok;
  }

  void dispatch(const Route& route, Call& c) {
    // Counted once per request: a request that waited for a partition loading is dispatched again.
    if (route.access_code_limited && !std::exchange(c.access_code_counted, true) && !within_access_code_limits(c)) {
      return c.reply(
          too_many_requests("Too many access-code lookups; retry later", http_limits::access_code_window_seconds));
    }
    if (route.read && c.as_of && !route.answers_as_of) {  // docs/audit.md: the same handler over the state at that instant
      // One citizen's read folds that citizen's events alone (docs/audit.md "One citizen"); a
      // malformed {ssin} is the handler's 400, answered before it reads anything.
      const Parsed<Ssin> citizen = route.one_citizen ? path_ssin(c.param("ssin")) : Parsed<Ssin>(std::vector<InputIssue>{});
      if (route.one_citizen && !citizen) return route.read(c, service);
      Result<std::shared_ptr<const Projector>> past =
          route.one_citizen ? service.citizen_state_at(*citizen, *c.as_of) : service.state_at(*c.as_of);
      if (!past.is_ok()) return c.reply(problem_of(past.status()));
      const PastView view(service, std::move(*past));
      return route.read(c, view);
    }
    if (!c.as_of && own_read_while_loading(route, c)) {  // the citizen's own events, not the partition
      Result<std::shared_ptr<const Projector>> now = service.citizen_state_while_loading(c.who->ssin);
      if (!now.is_ok()) return c.reply(problem_of(now.status()));
      if (*now) {
        const PastView view(service, std::move(*now));
        return route.read(c, view);
      }  // else: read the partition, waiting for it if it is still loading
    }
    if (route.read) return route.read(c, service);
    if (route.write) return route.write(c, service);
    (this->*route.internal)(c);
  }

  // Serve at once (embedded_service.h): a citizen's own read of their data (a route under
  // /v1/citizens/{ssin}/, the token's SSIN) while the partitions load is answered from the
  // citizen's own events (citizen_state_while_loading), on the fan-out pool: the first one of a
  // partition reads its checkpoint's index and the log past it. Others' reads of a citizen are
  // refused (403) or recorded (who looked: 503 while loading) without it; ?minOffset asks the
  // live fold and waits for the partition.
  bool own_read_while_loading(const Route& route, const Call& c) const {
    if (!route.read || !route.one_citizen || !c.is(Role::kCitizen) || c.request.has_query("minOffset")) return false;
    if (!service.loading()) return false;
    const Parsed<Ssin> citizen = path_ssin(c.param("ssin"));
    return citizen && *citizen == c.who->ssin;
  }

  // --- Who looked (docs/audit.md) ---
  // A read by an auditor, an employer or an agency that answers 2xx about a citizen is recorded
  // in the ledger (a dataConsultation action, server-internal) before its answer leaves: the answer
  // waits for the record to be durable, and is a 503 with Retry-After when it cannot be (no
  // unrecorded read of a citizen's data). The citizen is the path's {ssin}, or the one the handler
  // resolved (Call::consulted_citizen); a read that names none (a 404, an employer's own list) is
  // not recorded. A read in the past (?asOf) is recorded too: the consultation happens now. A
  // member answering a look-up for another (kFanoutHeader) records it; the asking one relays; a
  // citizen whose partition this process does not hold is 307 to its owner, which records it.
  void record_consultation(const Route& route, Call& c) {
    if (!route.read || !c.who) return;
    const std::optional<ConsultationRole> role = consulting_role(c.who->role);
    if (!role) return;  // a citizen's own reads, a declarant's, are not recorded
    c.consulted = std::make_shared<Consulted>();
    c.consulted->scope = view_name(route.pattern);
    for (const auto& [name, value] : c.params) {
      if (name != "ssin") continue;
      if (Result<Ssin> s = parse_ssin(value); s.is_ok()) c.consulted->citizen = *s;  // else the handler answers 400
    }
    // An auditor's employer-wide list narrowed to one citizen (?ssin=, the career-break overview)
    // answers that citizen's data: recorded as a read of it, as a path's {ssin} is.
    if (!c.consulted->citizen && *role == ConsultationRole::kAuditor && c.request.has_query("ssin"))
      if (Result<Ssin> s = parse_ssin(c.request.query("ssin")); s.is_ok()) c.consulted->citizen = *s;
    c.reply = [this, note = c.consulted, who = *c.who, role = *role, target = c.request.target,
               answer = std::move(c.reply)](HttpResponse r) {
      if (r.status < 200 || r.status >= 300 || !note->citizen) return answer(std::move(r));
      // Serve at once: the writer that records it opens after the last partition is loaded.
      if (service.loading())
        return answer(
            unavailable_response("The ledger is loading: the read cannot be recorded yet (who looked); retry"));
      // In a serve group, a look-up answered from a copy of a partition another member holds is
      // served (and recorded) by its owner: 307 there, as a path's {ssin} is.
      const uint32_t partition = service.partition_of(*note->citizen);
      if (!service.holds(partition)) return answer(misdirected(service, partition, target));
      // A recorded read is a durable event as a write is: an employer's or agency's counts with
      // their writes (an auditor's reads are not limited).
      if (!within_write_limit(who)) return answer(too_many_writes());
      const LedgerService::Check trusted = [](const Command& command, const Ledger&) {
        if (command.is_action && command.action.kind == ActionKind::kDataConsultation) return Status::ok();
        return permission_denied("the router records consultations only");
      };
      service.submit(consultation_line(*note, who, role), trusted,
                     [answer, r = std::move(r)](Result<WriteOutcome> w) mutable {
                       if (w.is_ok() && w->is_action && w->action.outcome.accepted()) return answer(std::move(r));
                       answer(unavailable_response("The read could not be recorded in the ledger (who looked); retry"));
                     });
    };
  }

  // --- Employer-wide views across the members of a group (Spread) ---
  // Who holds what now: this process (held), else the owner's base URL (nullopt: unknown, a rebalance).
  struct Owners {
    std::vector<bool> held;
    std::vector<std::optional<std::string>> owner;
    std::vector<std::string> others;  // the distinct known owners of the partitions not held, in partition order
    bool all_held() const { return std::find(held.begin(), held.end(), false) == held.end(); }
    bool all_known() const {
      for (size_t p = 0; p < held.size(); ++p)
        if (!held[p] && !owner[p]) return false;
      return true;
    }
  };
  Owners owners() const {
    Owners o;
    const uint32_t partitions = service.read([](const Projector& p) { return p.partition_count(); });
    for (uint32_t p = 0; p < partitions; ++p) {
      o.held.push_back(service.holds(p));
      o.owner.push_back(o.held.back() ? std::nullopt : service.owner_of(p));
      if (o.owner.back() && std::find(o.others.begin(), o.others.end(), *o.owner.back()) == o.others.end())
        o.others.push_back(*o.owner.back());
    }
    return o;
  }

  // This process's answer to `c` with another target: a read handler answers at once.
  HttpResponse local_answer(const Route& route, const Call& c, const std::string& target) {
    Call mine = c;
    mine.request.target = target;
    std::optional<HttpResponse> out;
    mine.reply = [&out](HttpResponse r) { out = std::move(r); };
    dispatch(route, mine);
    DIMONA_ASSERT(out.has_value());
    return std::move(*out);
  }

  // Another member's answer, from its own partitions only (kFanoutHeader), as the caller.
  static Result<HttpResponse> member_answer(const std::string& owner, const Call& c, const std::string& target) {
    std::vector<std::pair<std::string, std::string>> headers{{std::string(kFanoutHeader), "1"}};
    for (const char* name : {"authorization", "accept-language"})
      if (const std::string_view v = c.request.header(name); !v.empty()) headers.emplace_back(name, std::string(v));
    return http_fetch(owner + target, c.request.method, headers, http_limits::fanout_timeout_ms);
  }

  // True when the request is answered (or handed to a worker) here; false: the route's handler answers it.
  // The handlers answer synchronously and asking another member blocks for up to
  // http_limits::fanout_timeout_ms each, so the asking runs on the FanoutPool (a few threads, a
  // bounded queue, joined first when the Api goes), never on an I/O thread.
  bool spread(const Route& route, Call& c) {
    Owners o = owners();
    if (o.all_held()) return false;  // a single process, or a member given every partition: as ever
    switch (route.spread) {
      case Spread::kNone: return false;
      case Spread::kPartitionZero:
        if (o.held[0]) return false;
        c.reply(misdirected(service, 0, c.request.target));
        return true;
      case Spread::kDeclaration: {
        const Parsed<DeclarationId> id = path_declaration_id(c.param("id"));
        if (!id) return false;  // the handler refuses it
        const std::optional<uint32_t> p = ledger_id_partition(id->value, static_cast<uint32_t>(o.held.size()));
        if (p && o.held[*p]) return false;
        if (p) {
          c.reply(misdirected(service, *p, c.request.target));
          return true;
        }
        break;  // an imported id does not say its partition: asked of every owner
      }
      default: break;
    }
    auto call = std::make_shared<Call>(std::move(c));
    auto task = [this, &route, call, o = std::move(o)] {
      try {
        if (route.spread == Spread::kRequests || route.spread == Spread::kAnomalies ||
            route.spread == Spread::kCareerBreaks)
          return merged(route, *call, o);
        first_found(route, *call, o);
      } catch (const std::exception& e) {
        call->reply(exception_response(e));
      }
    };
    if (!post_fanout(std::move(task))) call->reply(unavailable_response("Too many requests across instances, or stopping; retry"));
    return true;
  }

  // A look-up: this process's answer unless it is 404 or 403, else the first other owner's 200,
  // else this process's answer.
  void first_found(const Route& route, Call& c, const Owners& o) {
    HttpResponse mine = local_answer(route, c, c.request.target);
    // Only "not here" is asked further (404; 403, which these routes give whether or not the
    // thing exists): a 400, or a 429 of the access-code limits, is the answer.
    if (mine.status != 404 && mine.status != 403) return c.reply(std::move(mine));
    for (const std::string& owner : o.others) {
      Result<HttpResponse> theirs = member_answer(owner, c, c.request.target);
      if (theirs.is_ok() && theirs->status == 200) return c.reply(std::move(*theirs));
    }
    if (!o.all_known()) return c.reply(unavailable_response("This partition is moving between instances; retry"));
    c.reply(std::move(mine));
  }

  // A list: this process's and every other owner's, each item taken from the holder of its
  // partition (a ledger-given id says it; the others keep a checkpoint's copy of partitions
  // they do not hold), merged in the single-process order. Each owner applies the rights itself.
  void merged(const Route& route, Call& c, const Owners& o) {
    if (!o.all_known()) return c.reply(unavailable_response("A partition is moving between instances; retry"));
    HttpResponse mine = local_answer(route, c, c.request.target);
    if (mine.status != 200) return c.reply(std::move(mine));  // rights and inputs: refused here as anywhere
    const auto keep = [&o](size_t part, uint64_t id) {
      const std::optional<uint32_t> p = ledger_id_partition(id, static_cast<uint32_t>(o.held.size()));
      if (!p) return true;  // an imported id: the first answer that has it
      if (o.held[*p]) return part == 0;
      return part > 0 && o.owner[*p] == o.others[part - 1];
    };
    const HttpResponse not_answered = unavailable_response("An instance holding part of this view did not answer; retry");
    std::vector<CollectionPart> parts;
    if (route.spread == Spread::kCareerBreaks) {
      parts.push_back({0, std::move(mine.body)});
      for (size_t i = 0; i < o.others.size(); ++i) {
        Result<HttpResponse> theirs = member_answer(o.others[i], c, c.request.target);
        if (!theirs.is_ok() || theirs->status != 200) return c.reply(not_answered);
        parts.push_back({i + 1, std::move(theirs->body)});
      }
      const Result<std::string> since = raw_member(parts[0].body, "since");
      const Result<std::vector<std::string>> requests =
          merged_items(parts, {"requests", "ticket", "submittedAt", {}, false}, keep);
      const Result<std::vector<std::string>> notices =
          merged_items(parts, {"notifications", "notificationId", "receivedAt", {}, false}, keep);
      if (!since.is_ok() || !requests.is_ok() || !notices.is_ok()) return c.reply(not_answered);
      std::string out = "{\"since\":" + *since + ",\"requests\":[";
      for (size_t i = 0; i < requests->size(); ++i) out += (i ? "," : "") + (*requests)[i];
      out += "],\"notifications\":[";
      for (size_t i = 0; i < notices->size(); ++i) out += (i ? "," : "") + (*notices)[i];
      out += "],\"total\":" + std::to_string(requests->size() + notices->size()) + "}";
      return c.reply(json_response(200, std::move(out)));
    }
    // Paged: every page of each, then this request's page of the whole.
    HttpResponse error;
    const std::optional<Page> page = parse_page(c.request, &error);
    if (!page) return c.reply(std::move(error));
    auto all_pages = [&](size_t part, const std::function<std::optional<HttpResponse>(const std::string&)>& get) {
      size_t seen = 0;
      for (size_t n = 1; n <= http_limits::fanout_pages_max; ++n) {
        std::optional<HttpResponse> r = get(with_page(c.request.target, n, http_limits::page_size_max));
        if (!r || r->status != 200) return false;
        const Result<CollectionSize> size = collection_size(r->body, "items");
        if (!size.is_ok()) return false;
        parts.push_back({part, std::move(r->body)});
        seen += size->items;
        if (size->items == 0 || seen >= size->total) return true;
      }
      return false;
    };
    if (!all_pages(0, [&](const std::string& t) { return std::optional(local_answer(route, c, t)); }))
      return c.reply(not_answered);
    for (size_t i = 0; i < o.others.size(); ++i) {
      const bool ok = all_pages(i + 1, [&](const std::string& t) -> std::optional<HttpResponse> {
        Result<HttpResponse> theirs = member_answer(o.others[i], c, t);
        if (!theirs.is_ok()) return std::nullopt;
        return std::move(*theirs);
      });
      if (!ok) return c.reply(not_answered);
    }
    const ItemKeys keys = route.spread == Spread::kAnomalies
                              ? ItemKeys{"items", "declarationId", "recordedAt", "actionId", /*oldest_first=*/true}
                              : ItemKeys{"items", "requestId", "requestedAt", {}, false};
    const Result<std::vector<std::string>> items = merged_items(parts, keys, keep);
    if (!items.is_ok()) return c.reply(not_answered);
    const size_t first = std::min(items->size(), (page->number - 1) * page->size);
    const size_t last = std::min(items->size(), first + page->size);
    std::string out = "{\"items\":[";
    for (size_t i = first; i < last; ++i) out += (i > first ? "," : "") + (*items)[i];
    out += "],\"total\":0}";
    c.reply(json_response(200, paged(std::move(out), items->size(), *page, c.public_url, c.request)));
  }

  // False when the pool's queue is full or the Api stops asking others (stop_fanout).
  // dispatch() on a worker of the fan-out pool, never an I/O thread; 503 when the pool is full.
  void dispatch_on_pool(const Route& route, Call c) {
    auto call = std::make_shared<Call>(std::move(c));
    auto task = [this, &route, call] {
      try {
        dispatch(route, *call);
      } catch (const PartitionLoading& loading) {
        dispatch_when_loaded(route, *call, loading.partition, load_deadline());
      } catch (const std::exception& e) {
        call->reply(exception_response(e));
      }
    };
    if (!post_fanout(std::move(task))) call->reply(unavailable_response("Too many requests in the past at once, or stopping; retry"));
  }

  // Serve at once (embedded_service.h): a request that reached a partition still loading at
  // start waits for it on the pool (the partition asked for is loaded next) and is dispatched
  // again as soon as it is loaded; 503 with Retry-After once http_limits::partition_load_wait_ms
  // have passed, or when the pool is full.
  // The deadline is counted from the request's first dispatch; the waits end at once when the Api
  // stops (stop_fanout) or the load ends without the partition (a failed or stopped load).
  static std::chrono::steady_clock::time_point load_deadline() {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(http_limits::partition_load_wait_ms);
  }
  void when_loaded(const Route& route, Call c, uint32_t partition) {
    auto call = std::make_shared<Call>(std::move(c));
    auto task = [this, &route, call, partition, deadline = load_deadline()] {
      dispatch_when_loaded(route, *call, partition, deadline);
    };
    if (!post_fanout(std::move(task))) call->reply(unavailable_response("The partitions are loading; retry"));
  }

  // On a pool thread.
  void dispatch_when_loaded(const Route& route, Call& c, uint32_t partition,
                            std::chrono::steady_clock::time_point deadline) {
    constexpr auto kSlice = std::chrono::milliseconds(100);  // how soon a wait sees the Api stopping
    for (;;) {
      bool loaded = false;
      for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || fanout_stopped) break;
        const LedgerService::Loaded state =
            service.wait_loaded(partition, static_cast<int>(std::min(left, kSlice).count()));
        if (state == LedgerService::Loaded::kYes) loaded = true;
        if (state != LedgerService::Loaded::kNotYet) break;
      }
      if (!loaded)
        return c.reply(unavailable_response("partition " + std::to_string(partition) + " is still loading; retry"));
      try {
        return dispatch(route, c);
      } catch (const PartitionLoading& again) {  // the route reads another partition too
        partition = again.partition;
      } catch (const std::exception& e) {
        return c.reply(exception_response(e));
      }
    }
  }

  bool post_fanout(std::function<void()> task) {
    std::lock_guard lock(fanout_mutex);
    if (fanout_stopped) return false;
    if (!fanout_pool) fanout_pool = std::make_unique<FanoutPool>(http_limits::fanout_workers, http_limits::fanout_queue_max);
    return fanout_pool->post(std::move(task));
  }
  void stop_fanout() {
    std::unique_ptr<FanoutPool> pool;
    {
      std::lock_guard lock(fanout_mutex);
      fanout_stopped = true;
      pool = std::move(fanout_pool);
    }
    pool.reset();  // answers what is queued, joins the workers
  }
  std::mutex fanout_mutex;
  std::atomic<bool> fanout_stopped{false};  // under fanout_mutex; read without it by the waits for a partition
  // Last: destroyed first, its queued requests answered and its workers joined while the rest lives.
  std::unique_ptr<FanoutPool> fanout_pool;
};

const std::vector<Api::Impl::Route>& Api::Impl::table() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> table = {
        // A probe is answered whatever it accepts: a load balancer reads the status alone.
        produces("", read("GET", "/health", &health, true)),
        produces("", read("GET", "/ready", &ready, true)),
        produces("text/plain", internal("GET", "/metrics", &Impl::metrics_text, true)),
        with_body(write("POST", "/v1/declarations", &post_declaration)),
        spread(Spread::kDeclaration, read("GET", "/v1/declarations/{id}", &get_declaration)),
        with_body(write("POST", "/v1/actions", &post_action)),
        read("GET", "/v1/audit/stateHash", &state_hash_route),
        accepts("year minOffset", read("GET", "/v1/citizens/{ssin}/studentBalance", &student_balance_route)),
        accepts("year minOffset", read("GET", "/v1/citizens/{ssin}/calendar", &calendar_route)),
        accepts("minOffset from to workerType agency userCompany view format page pageSize",
                read("GET", "/v1/citizens/{ssin}/interimRelations", &interim_route)),
        accepts("minOffset page pageSize", read("GET", "/v1/citizens/{ssin}/attestations", &attestations_route)),
        accepts("year format", write("POST", "/v1/citizens/{ssin}/attestations", &issue_attestation)),
        accepts("minOffset page pageSize", read("GET", "/v1/citizens/{ssin}/consents", &consents_route)),
        accepts("scope year quarter",
                present_grant(read("GET", "/v1/citizens/{ssin}/consentedData", &consented_data_route))),
        accepts("minOffset quarter employer", read("GET", "/v1/citizens/{ssin}/flexiEligibility", &flexi_route)),
        accepts("page pageSize", read("GET", "/v1/citizens/{ssin}/anomalies", &anomalies_route)),
        accepts("minOffset", read("GET", "/v1/citizens/{ssin}/careerBreakRequests", &citizen_career_breaks_route)),
        accepts("page pageSize minOffset",
                answers_as_of(read("GET", "/v1/audit/citizens/{ssin}/events", &citizen_events_route))),
        accepts("page pageSize minOffset", read("GET", "/v1/citizens/{ssin}/consultations", &consultations_route)),
        accepts("year minOffset", read("GET", "/v1/citizens/{ssin}/wages", &wages_route)),
        accepts("archived minOffset page pageSize", read("GET", "/v1/citizens/{ssin}/inbox", &inbox_route)),
        accepts("minOffset", may_fold(read("GET", "/v1/citizens/{ssin}/inbox/{messageId}", &inbox_message_route))),
        write("POST", "/v1/citizens/{ssin}/inbox/{messageId}/archive", &archive_message),
        spread(Spread::kRecord, limited(present_grant(read("GET", "/v1/accessCodes/{code}", &access_code_route)))),
        accepts("employer page pageSize",
                spread(Spread::kRequests, read("GET", "/v1/dataAccessRequests", &data_access_requests))),
        spread(Spread::kRecord,
               produces("image/svg+xml", read("GET", "/v1/dataAccessRequests/{requestId}/qr", &data_access_qr))),
        accepts(
            "employer leaveKind fraction status ssin from to",
            spread(Spread::kCareerBreaks, present_grant(read("GET", "/v1/careerBreakRequests", &career_break_list)))),
        spread(Spread::kRecord, present_grant(read("GET", "/v1/careerBreakRequests/{ticket}", &career_break_one))),
        accepts("page pageSize", spread(Spread::kAnomalies,
                                        read("GET", "/v1/employers/{employer}/anomalies", &employer_anomalies_route))),
        spread(Spread::kPartitionZero, read("GET", "/v1/employers/{employer}/settings", &settings_route)),
        spread(Spread::kPartitionZero, with_body(write("PUT", "/v1/employers/{employer}/settings", &put_settings))),
    };
    for (Route& r : table) {
      r.query_known = std::string(r.query) + (r.read ? " asOf validOn" : "");
      const std::string_view pattern(r.pattern);
      r.literal_prefix = pattern.substr(0, pattern.find('{'));
    }
    return table;
  }();
  return routes;
}

namespace {

// Matches "/v1/citizens/{ssin}/calendar" against a path, capturing the {names} into `params`
// unless it is null (the search for the route: only the route found captures).
bool match(std::string_view pattern, std::string_view path, PathParams* params) {
  if (params) params->clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const size_t pe = pattern.find('/'), se = path.find('/');
    const std::string_view ps = pattern.substr(0, pe), ss = path.substr(0, se);
    if (ps.size() > 2 && ps.front() == '{' && ps.back() == '}') {
      if (ss.empty()) return false;
      // Decoded once here (RFC 3986 2.1: %30 is '0', %20 a space an access code may hold); each
      // parameter's parser then refuses what is not its form (a NUL, a '/', a letter in an id).
      if (params)
        params->emplace_back(std::string(ps.substr(1, ps.size() - 2)), percent_decode(ss, /*path_segment=*/true));
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

void Api::stop_fanout() { impl_->stop_fanout(); }

void Api::set_public_url(std::string url) {
  std::lock_guard lock(impl_->mutex);
  impl_->options.public_url = std::move(url);
}

std::vector<std::string> Api::routes() {
  std::vector<std::string> out;
  for (const Impl::Route& r : Impl::table()) out.push_back(std::string(r.method) + " " + r.pattern);
  return out;
}

namespace {

// The audit's two axes (docs/audit.md), read once for every route into the
// call: ?asOf makes the read's "now" that instant, ?validOn the calendar day
// its figures are judged on. Both are reads' only: a write given either is
// refused, not decided as if it were absent. False when it replied 400.
bool read_axes(Call& c, bool read_route) {
  const Parsed<std::optional<Instant>> as_of = query_as_of(c.request);
  const Parsed<std::optional<Date>> valid_on = query_valid_on(c.request);
  std::vector<InputIssue> issues = as_of.issues;
  issues.insert(issues.end(), valid_on.issues.begin(), valid_on.issues.end());
  if (issues.empty() && as_of->has_value() && !read_route)
    issues.push_back({"query", "asOf", "reads only: a write is decided in the ledger's present"});
  if (issues.empty() && valid_on->has_value() && !read_route)
    issues.push_back({"query", "validOn", "reads only: a write is decided on the ledger's present day"});
  if (!issues.empty()) return c.reply(bad_request_of(issues)), false;
  c.as_of = *as_of;
  c.valid_on = *valid_on;
  if (c.as_of) c.now = *c.as_of;
  return true;
}

}  // namespace

void Api::handle(HttpRequest request, std::function<void(HttpResponse)> done) {
  const auto t0 = std::chrono::steady_clock::now();
  Impl& impl = *impl_;
  // HEAD is a GET whose answer has no body (RFC 9110 9.3.2): routed, authorized, recorded and
  // answered as the GET, and the transport (server.cc) sends the headers alone.
  if (request.method == "HEAD") request.method = "GET";
  if (is_portal_path(request.path())) {  // the portal's own files, not the API (portal.h)
    const std::string_view label = portal_route_label(request);
    HttpResponse r = portal_answer(request, impl.options.portal_sign_in.get(), impl.clock.now());
    impl.metrics.observe(label, r.status,
                         std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return done(std::move(r));
  }
  const Impl::Route* route = nullptr;
  std::string allowed;  // the methods of a known path, for a 405's Allow
  PathParams params;
  const std::string_view path = request.path();
  for (const Impl::Route& r : Impl::table()) {
    if (!path.starts_with(r.literal_prefix) || !match(r.pattern, path, nullptr)) continue;
    if (request.method == r.method) {
      route = &r;
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + std::string(r.method);
    if (std::string_view(r.method) == "GET") allowed += ", HEAD";
  }
  if (route) match(route->pattern, path, &params);
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
  if (const std::string_view repeated = request.repeated_query(); !repeated.empty())
    return reply(bad_request_of({InputIssue{"query", std::string(repeated), "given more than once"}}));
  if (const std::optional<std::string_view> unknown = request.unknown_query(route->query_known)) {
    // Only a name that reads as one is repeated back (an SSIN sent as a name is the caller's data).
    const bool named = !unknown->empty() && unknown->size() <= 64 &&
                       std::all_of(unknown->begin(), unknown->end(),
                                   [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)); });
    return reply(bad_request_of({InputIssue{"query", named ? std::string(*unknown) : "(a name that is no parameter)",
                                            "this resource takes no such query parameter", true}}));
  }
  // Every parameter is known here; one given empty (`?from=`) is refused, not read as left out.
  if (const std::string_view empty = request.empty_query(); !empty.empty())
    return reply(
        bad_request_of({InputIssue{"query", std::string(empty), "empty: give a value, or leave the parameter out"}}));
  // Reads judge codes and grants in ledger time, which imported history may have run ahead of the
  // clock; tokens are checked against the wall clock (below).
  Call c{std::move(request),
         std::move(params),
         std::nullopt,
         std::max(impl.clock.now(), impl.service.ledger_time()),
         impl.public_url(),
         reply,
         EmployerNameOf{},
         std::nullopt,
         std::nullopt,
         nullptr,
         {}};
  if (!route->public_route) {
    AuthResult auth = impl.tokens.authenticate(c.request.header("authorization"), impl.clock.now());  // the wall clock;
    if (!auth) {
      const AuthFailure& f = auth.failure();
      std::string_view type = problem_type(f.error);
      type.remove_prefix(std::string_view("urn:problem-type:belgif:").size());
      HttpResponse r = problem(kAuthFailureHttpStatus, type, problem_title(f.error), f.detail);
      r.headers.emplace_back("WWW-Authenticate", std::string(www_authenticate(f.error)));
      return c.reply(std::move(r));
    }
    c.who = auth.principal();
    if (route->write) {
      // Counted on the wall clock when the writer decides the action (never ledger time).
      c.email_allowed = [&impl, key = principal_key(*c.who)] {
        return impl.overview_emails_by_principal.allow(key, impl.clock.now());
      };
    }
  }
  if (const std::string why = route->reads_body ? unsupported_body(c.request) : std::string(); !why.empty()) {
    HttpResponse r = problem(415, "unsupportedMediaType", "Unsupported Media Type", why);
    if (c.request.method == "POST") r.headers.emplace_back("Accept-Post", "application/json");
    return c.reply(std::move(r));
  }
  if (*route->produces != '\0' && !accept_takes(c.request.header("accept"), route->produces))
    return c.reply(problem(406, "notAcceptable", "Not Acceptable",
                           "This resource is available as " + std::string(route->produces) + " only"));
  impl.record_consultation(*route, c);
  c.names = employer_names(impl.options.employers.get(), language_from_accept(c.request.header("accept-language")));
  if (!read_axes(c, route->read != nullptr)) return;
  if (route->present_grant && (c.as_of || c.valid_on) && (c.is(Role::kEmployer) || c.is(Role::kAgency))) {
    return c.reply(bad_request_of({InputIssue{"query", c.as_of ? "asOf" : "validOn",
                                              "an employer's access through a consent, an access code or a ticket "
                                              "is judged in the present: the audit axes are an auditor's"}}));
  }
  // Scale-out (group_service.h): a citizen whose partition another member holds is served
  // there: 307 to its owner (method, body and Authorization kept by the client), or 503
  // while no member holds it (a rebalance). docs/kafka.md "Scale-out".
  for (const auto& [name, value] : c.params) {
    if (name != "ssin") continue;
    Result<Ssin> ssin = parse_ssin(value);
    if (!ssin.is_ok()) break;  // the handler refuses it, as anywhere
    const uint32_t partition = impl.service.partition_of(*ssin);
    if (impl.service.holds(partition)) break;
    return c.reply(misdirected(impl.service, partition, c.request.target));
  }
  // Counted past the edge's refusals (415, 406, 400) and the redirect to a partition's owner
  // (which counts it there): a write refused or sent elsewhere here is none.
  if (route->write && c.who && !impl.within_write_limit(*c.who)) return c.reply(Impl::too_many_writes());
  try {
    if (route->spread != Spread::kNone && c.request.header(kFanoutHeader).empty() && impl.spread(*route, c)) return;
    if ((c.as_of || route->may_fold || impl.own_read_while_loading(*route, c)) && !route->answers_as_of)
      return impl.dispatch_on_pool(*route, std::move(c));  // a past state may fold for a while
    impl.dispatch(*route, c);
  } catch (const PartitionLoading& loading) {  // nothing answered yet: the handler read no further
    impl.when_loaded(*route, std::move(c), loading.partition);
  } catch (const std::exception& e) {  // the HTTP edge: a bug becomes a 500, never a dead server
    c.reply(exception_response(e));
  }
}

}  // namespace dimona::api
