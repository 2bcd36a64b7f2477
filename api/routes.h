// Api: the REST routes of `dimona-ledger serve` (Belgif: /v1, lowerCamelCase,
// RFC 9457 problems, `href` links) over the live LedgerService.
//
// Contract. handle() authenticates the bearer token (auth.h), routes the
// request, applies the role's rights and answers through `done` exactly
// once: reads at once, under the service's shared lock; writes when the
// writer has committed and folded them. Rights (seeds 001-004): a citizen
// reads and acts on their own SSIN only; an employer or agency sees a
// citizen's remaining hours through a valid access code, and a scope of a
// citizen's data through a consent in force, nothing else; an auditor reads
// everything and writes nothing; a declarant posts declarations (for its
// own enterprise when its token names one) and the institutional actions
// (occupation, pension, ONEM decisions). A refusal is 401 (no, bad or
// expired token) or 403 with the same text whether or not the SSIN exists.
// Access-code lookups are limited per principal and per client address
// (http_limits, on the wall clock; X-Forwarded-For only from the trusted proxy). Every request
// is counted in the Metrics (route template, status, latency). No SSIN is
// logged. Thread-safe: handle() is called from many I/O threads.
#pragma once

#include <memory>
#include <string>

#include "api/auth.h"
#include "api/http.h"
#include "api/service.h"
#include "engine/base/time.h"

namespace dimona::api {

struct ApiOptions {
  std::string public_url = "http://127.0.0.1:8080";  // the base of `href` links and consent links
  // The address of a reverse proxy whose X-Forwarded-For names the client (rate limits); empty: none.
  std::string trusted_proxy;
};

class Metrics;

class Api {
 public:
  Api(LedgerService& service, TokenVerifier verifier, const Clock& clock, ApiOptions options);
  ~Api();

  void handle(HttpRequest request, std::function<void(HttpResponse)> done);
  // The base of links, once the server knows its port.
  void set_public_url(std::string url);
  // Every route template the API serves, "GET /v1/citizens/{ssin}/studentBalance"; for the OpenAPI test.
  static std::vector<std::string> routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dimona::api
