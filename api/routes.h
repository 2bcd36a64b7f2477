// Api: the router of `dimona-ledger serve` (Belgif: /v1, lowerCamelCase,
// RFC 9457 problems, `href` links) over a LedgerService (service.h).
//
// Contract. handle() matches the request against the route table (404, or
// 405 with Allow; a HEAD is routed and answered as its GET, the transport
// sending no body), authenticates the bearer token through the TokenCache
// (401 with WWW-Authenticate), applies the access-code limits (429; per
// principal and per client address, on the wall clock, X-Forwarded-For only
// from options.trusted_proxy: http_limits), and calls the route's handler
// (handlers.h: plain functions; reads get a read-only view of the ledger)
// which answers through `done` exactly once: reads at once, under the
// service's shared lock; writes when the writer has committed and folded
// them. An exception from a handler becomes a 500 here (the HTTP edge);
// every request is counted in the Metrics (route template, status,
// latency). Rights (seeds 001-004): a citizen reads and acts on their own
// SSIN only; an employer or agency sees a citizen's remaining hours through
// a valid access code, and a scope of a citizen's data through a consent in
// force, nothing else; an auditor reads everything and writes nothing; a
// declarant posts declarations (for its own enterprise, and its own periods,
// when its token names one) and occupation quarters; pension status and
// ONEM decisions come from an institution's declarant (no enterprise in its
// token). A refusal is 401 (no, bad or expired token) or 403 with the same
// text whether or not the thing exists. In a serve group (service.holds()
// false for some partition) the routes that are not per citizen are
// answered across owners on a worker pool (docs/kafka.md section 10,
// "Employer-wide views"). Who looked (docs/audit.md): a 2xx read of a
// citizen's data by an auditor, an employer or an agency is answered only once
// its record (a dataConsultation action) is durable, else 503. No SSIN is logged. Thread-safe:
// handle() is called from many I/O threads. Under /portal the reference
// portal's static files are answered (portal.h), with no token.
#pragma once

#include <memory>
#include <string>

#include "api/auth.h"
#include "api/http.h"
#include "api/service.h"
#include "engine/base/time.h"

namespace dimona {
class EmployerRegister;
}

namespace dimona::api {

class InputTally;  // input_feeder.h
struct PortalSignIn;  // portal.h

struct ApiOptions {
  std::string public_url = "http://127.0.0.1:8080";  // the base of `href` links and consent links
  // The address of a reverse proxy whose X-Forwarded-For names the client (rate limits); empty: none.
  std::string trusted_proxy;
  // The employer reference (DATA/employers.db) that names employers in the answers; null: numbers only.
  std::shared_ptr<const EmployerRegister> employers;
  // The input topic's counts (serve --input), for /metrics; null: no input topic.
  std::shared_ptr<const InputTally> input;
  // The portal's development sign-in (portal.h, serve --portal-sign-in); null: off.
  std::shared_ptr<const PortalSignIn> portal_sign_in;
};

class Metrics;

class Api {
 public:
  Api(LedgerService& service, TokenVerifier verifier, const Clock& clock, ApiOptions options);
  ~Api();

  void handle(HttpRequest request, std::function<void(HttpResponse)> done);
  // serve --group: answers the requests waiting on other members and asks none
  // any more (later ones get 503): call before the server stops, so no answer
  // outlives its connection.
  void stop_fanout();
  // The base of links, once the server knows its port.
  void set_public_url(std::string url);
  // Every route template the API serves, "GET /v1/citizens/{ssin}/studentBalance"; for the OpenAPI test.
  static std::vector<std::string> routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dimona::api
