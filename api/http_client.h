// http_fetch: one HTTP/1.1 request to another member of a serve group
// (docs/kafka.md section 10, "Employer-wide views"), synchronous, with a
// deadline.
//
// Contract. `url` is "http://HOST:PORT" followed by the target (path and
// query); HOST is an address or a name the resolver knows. The request is
// sent with `method`, no body, the given headers (names as given) and
// Host; the whole exchange (resolve excepted: members advertise addresses)
// must end within `timeout_ms` or kUnavailable is returned. A response body
// past http_limits::fanout_response_bytes_max is refused (kUnavailable). Any
// status is a response (the caller judges it); kUnavailable only when no
// response was read: refused, reset, timed out, not HTTP. kInvalidArgument:
// a url that is not http://HOST:PORT/… (no TLS between members).
// Thread-safe: each call has its own io_context. Blocks its caller: call it
// from a worker, never an I/O thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "engine/base/status.h"

namespace dimona::api {

Result<HttpResponse> http_fetch(std::string_view url, std::string_view method,
                                const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms);

}  // namespace dimona::api
