// Api: the reference portal (docs/portal.md), served by `serve` under /portal/.
//
// Contract. The portal is static pages — plain HTML, CSS and JavaScript in
// api/portal/, embedded in the binary at build time (api/portal/embed.cmake):
// nothing is read from disk at run time, so no path from a request ever
// reaches the file system, and a file name that is not one of the embedded
// files is 404. The pages call the REST API of their own origin with the
// bearer token they are given; their Content-Security-Policy lets them load
// nothing but their own files (no inline script, nothing from outside).
//
// In development only, `serve --portal-sign-in` (refused beside --jwks, and
// on an address other than the loopback) lets the sign-in form mint a token
// with the development key: POST /portal/signIn {"role","ssin",
// "enterpriseNumber","subject"} answers {"token","expiresIn"}, to a request
// whose Host (and Origin, when sent) name the loopback only: a page of another
// site rebinding its name to 127.0.0.1 gets 403. Without it that route is 404 and the page asks for a token;
// GET /portal/config.json tells the pages which ({"signIn":true|false}).
// GET /consent?token=T (the link a data-access request's QR code holds)
// answers 303 to /portal/#consent=T, the citizen's consents page.
// Anyone who can reach the server can then sign in as anyone: it is the
// development key's `dimona-ledger token` over HTTP, for trials on loopback.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "api/http.h"
#include "engine/base/time.h"

namespace dimona::api {

// One embedded file: its name under /portal/, its media type, its bytes.
struct PortalFile {
  std::string_view name;          // "index.html", "portal.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view bytes;
};
// Every embedded file (generated at build time: portal_files.cc).
std::span<const PortalFile> portal_files();

// The development sign-in: tokens minted with the development key, for
// the issuer and audience `serve` verifies.
struct PortalSignIn {
  std::shared_ptr<const TokenMinter> minter;
  std::string issuer;
  std::string audience;
};
// A token minted by the sign-in lives this long.
inline constexpr int64_t kPortalTokenLifetimeSeconds = 8 * 3600;
static_assert(kPortalTokenLifetimeSeconds <= kMintLifetimeSecondsMax);
// A sign-in body larger than this is refused (three short claims).
inline constexpr size_t kPortalSignInBodyBytesMax = 1024;

// "/portal", under "/portal/", or "/consent": the portal's, not the API's.
bool is_portal_path(std::string_view path);
// The metrics label of a portal request: "GET /portal/{file}", "POST /portal/signIn", ...
std::string_view portal_route_label(const HttpRequest& request);
// The answer to a portal request (is_portal_path): a file (GET; HEAD is routed as GET by the
// caller), a redirect from /portal to /portal/, config.json, the sign-in (null `sign_in`: 404), 405 for
// another method, 404 for another name.
HttpResponse portal_answer(const HttpRequest& request, const PortalSignIn* sign_in, Instant now);

}  // namespace dimona::api
