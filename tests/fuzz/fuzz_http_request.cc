// Fuzz target: the HTTP request path behind the socket, with a valid token:
// Api::handle (routes.h) over a LedgerService on a data folder made once per
// process (under /dev/shm), authentication, routing, parameter parsing,
// rights, the handlers and their writes. The input is
//
//   role:u8  method '\n'  target '\n'  [header-name ':' value '\n']*  '\n'  body
//
// (missing parts are empty; the target's query names canonicalised as the server does); `role` picks the bearer token
// prepended as the Authorization header: a citizen, an employer, an agency, a declarant (of an enterprise or of none)
// or an auditor. Writes accumulate in the process's ledger, so later inputs meet earlier ones' periods and actions. The
// portal's development sign-in is on (api/portal.h), so its body parser is fuzzed too. Properties: no crash or
// sanitizer report; `done` is called exactly once, within a deadline; no 5xx other than 503; every answer has a status
// in 200..599, and a problem has the problem+json type.
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "api/commands.h"
#include "api/http.h"
#include "api/ledger_root.h"
#include "api/portal.h"
#include "api/routes.h"
#include "api/service.h"
#include "engine/base/time.h"
#include "engine/identifiers.h"
#include "tests/fuzz/fuzz_util.h"

namespace dimona::fuzz {
namespace {

constexpr std::string_view kIssuer = "dimona-ledger-dev";
constexpr std::string_view kAudience = "dimona-ledger";
constexpr int answer_deadline_seconds = 20;

api::Principal principal(uint8_t role) {
  api::Principal p;
  p.subject = "fuzz";
  const uint64_t employer = parse_enterprise_number("0403019261")->value;
  switch (role % 6) {
    case 0: p.role = api::Role::kCitizen; p.ssin = *parse_ssin("05031412595"); break;
    case 1: p.role = api::Role::kEmployer; p.employer = employer; break;
    case 2: p.role = api::Role::kAgency; p.employer = employer; break;
    case 3: p.role = api::Role::kDeclarant; p.employer = employer; break;
    case 4: p.role = api::Role::kDeclarant; break;
    default: p.role = api::Role::kAuditor; break;
  }
  return p;
}

struct Stack {
  SystemClock clock;
  std::unique_ptr<api::LedgerService> service;
  std::unique_ptr<api::Api> api;
  std::string tokens[6];

  Stack() {
    const std::string dir = scratch_dir();
    Result<api::TokenMinter> minter = api::TokenMinter::open_dev_key(dir + "/keys");
    FUZZ_CHECK(minter.is_ok());
    for (uint8_t r = 0; r < 6; ++r)
      tokens[r] = "Bearer " + minter->mint(principal(r), clock.now(), 24 * 3600, kIssuer, kAudience);
    Result<api::TokenVerifier> verifier = api::TokenVerifier::from_jwks_file(
        dir + "/keys/" + std::string(api::kDevJwksFile), std::string(kIssuer), std::string(kAudience));
    FUZZ_CHECK(verifier.is_ok());
    api::LedgerConfig common;
    common.data_dir = dir + "/data";
    Result<std::unique_ptr<api::LedgerService>> opened = api::open_ledger_service(common, clock, 1);
    FUZZ_CHECK(opened.is_ok());
    service = std::move(*opened);
    api::ApiOptions options;
    options.public_url = "http://dimona.test";
    options.portal_sign_in = std::make_shared<const api::PortalSignIn>(api::PortalSignIn{
        std::make_shared<const api::TokenMinter>(std::move(*minter)), std::string(kIssuer), std::string(kAudience)});
    api = std::make_unique<api::Api>(*service, std::move(*verifier), clock, std::move(options));
  }
};

Stack& stack() {
  static Stack* s = new Stack();  // never destroyed: the service's threads outlive static destruction order
  return *s;
}

std::string_view take_line(std::string_view* rest) {
  const size_t end = rest->find('\n');
  std::string_view line = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end + 1);
  return line;
}

}  // namespace
}  // namespace dimona::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona;
  if (size == 0) return 0;
  fuzz::Stack& stack = fuzz::stack();
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  api::HttpRequest request;
  request.method = std::string(fuzz::take_line(&rest));
  // As the server hands it over (server.cc): query names in one spelling.
  request.target = api::canonical_target(fuzz::take_line(&rest));
  request.headers.emplace_back("authorization", stack.tokens[data[0] % 6]);
  for (std::string_view line = fuzz::take_line(&rest); !line.empty(); line = fuzz::take_line(&rest)) {
    const size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(name, colon == std::string_view::npos ? "" : std::string(line.substr(colon + 1)));
  }
  request.body = std::string(rest);
  request.client = "127.0.0.1";
  auto answered = std::make_shared<std::promise<api::HttpResponse>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::future<api::HttpResponse> response = answered->get_future();
  stack.api->handle(std::move(request), [answered, calls](api::HttpResponse r) {
    FUZZ_CHECK(calls->fetch_add(1) == 0);
    answered->set_value(std::move(r));
  });
  FUZZ_CHECK(response.wait_for(std::chrono::seconds(fuzz::answer_deadline_seconds)) == std::future_status::ready);
  const api::HttpResponse r = response.get();
  if (r.status >= 500 && r.status != 503) std::fprintf(stderr, "%d %s\n", r.status, r.body.c_str());
  FUZZ_CHECK(r.status >= 200 && r.status <= 599 && (r.status < 500 || r.status == 503));
  if (r.status >= 400) FUZZ_CHECK(r.content_type == "application/problem+json");
  return 0;
}
