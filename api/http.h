// Plain HTTP values between the Beast server (server.h) and the routes
// (routes.h), and RFC 9457 problem details with the Belgif problem types.
//
// Contract. HttpRequest/HttpResponse are values: the server fills a request
// from the wire and writes the response back; nothing here knows Beast, so
// the routes compile and test without it. A Problem is written as
// application/problem+json with `type` urn:problem-type:belgif:<name>, its
// `href` to the Belgif guide, `status`, `title`, `detail` and, for a 400,
// the list of invalid inputs. No problem detail echoes an SSIN, a token or
// a body. Every limit of the HTTP layer is named in http_limits.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dimona::api {

namespace http_limits {
inline constexpr size_t request_body_bytes_max = 64 * 1024;   // one declaration or action
inline constexpr size_t request_header_bytes_max = 8 * 1024;
// The bytes a connection holds read and not yet parsed: a head, the body's bytes of one read, and
// a chunked body's framing (a chunk-size line with its extensions, which Beast's body limit does
// not count: an endless one grew a connection to 2 GB in 15 s). Past it: 400, the connection closes.
inline constexpr size_t connection_buffer_bytes_max = request_header_bytes_max + request_body_bytes_max + 8 * 1024;
inline constexpr size_t tls_file_bytes_max = 1024 * 1024;      // a PEM certificate chain or key: a few KiB
inline constexpr int read_timeout_seconds = 15;                // a slow client is cut after this
inline constexpr int keep_alive_idle_seconds = 60;
// How often the server closes the connections past their deadline (server.cc): a deadline is
// kept within this much.
inline constexpr int deadline_sweep_ms = 100;
inline constexpr int min_offset_wait_ms = 2000;                // then 503 with Retry-After
// Requests blocked on a minOffset not yet folded, at once. A wait holds its request thread, so a
// further one is answered 503 at once: requests without minOffset never queue behind waits (a
// found stall: 16 such reads in flight kept /health waiting 16 s on 2 threads).
inline constexpr int min_offset_waiters_max = 1;
inline constexpr size_t write_queue_max = 4096;                // submissions waiting for the writer
// Access-code lookups (guessing a code), per minute of wall-clock time: each principal, and
// each client address (behind a --trusted-proxy, the address it forwards), has its own count.
inline constexpr int access_code_window_seconds = 60;
inline constexpr int access_code_attempts_per_principal = 20;  // per window
inline constexpr int access_code_attempts_per_address = 60;    // per window: a few principals behind one NAT
static_assert(access_code_attempts_per_principal <= access_code_attempts_per_address);
inline constexpr size_t rate_limited_clients_max = 100'000;    // principals, and addresses, remembered for it
// Interim@work overviews sent by e-mail (interimOverviewSend, channel EMAIL) over HTTP: each
// principal's per window of wall-clock time, so a token cannot make the outbox mail any address
// without end. To the eBox and through the CLI, no limit.
inline constexpr int overview_email_window_seconds = 3600;
inline constexpr int overview_emails_per_principal = 10;        // per window
// Writes over HTTP (actions, attestations, settings, archives) and recorded reads (an employer's or
// agency's read of a citizen: a dataConsultation event) per principal of a portal role (citizen,
// employer, agency) per window of wall-clock time: one token cannot grow the ledger without end
// (each is a durable event). The declarant (a payroll system's bulk channel) is bounded by
// write_queue_max alone; an auditor is not counted.
inline constexpr int principal_write_window_seconds = 60;
inline constexpr int principal_writes_per_window = 120;
inline constexpr size_t verified_tokens_cached_max = 100'000;   // bearer tokens kept verified
inline constexpr size_t verified_tokens_cache_shards = 16;      // ... in shards of one lock each
inline constexpr size_t page_size_default = 50;
inline constexpr size_t page_size_max = 500;
// Connections (server.h). Past either cap a connection is still read, once and
// briefly: GET /health is answered (a monitoring probe sees the server at its
// cap), anything else gets 503 problem+json with Retry-After; then it closes.
// Past the over-capacity allowance too, the socket is closed unread.
inline constexpr size_t connections_max = 1024;               // open, all clients together
inline constexpr size_t connections_per_client_max = 64;      // open, from one peer address
inline constexpr size_t connections_over_capacity_max = 64;   // being answered past a cap
inline constexpr int over_capacity_read_timeout_ms = 1000;    // for its one request
inline constexpr size_t connections_configurable_max = 1'000'000;  // the most serve's options may set
static_assert(connections_per_client_max <= connections_max);
static_assert(connections_max <= connections_configurable_max);
static_assert(over_capacity_read_timeout_ms < read_timeout_seconds * 1000);
static_assert(deadline_sweep_ms * 5 <= over_capacity_read_timeout_ms);
inline constexpr size_t page_number_max = 1'000'000'000;       // so page * pageSize never wraps
static_assert(page_number_max * page_size_max / page_size_max == page_number_max);
// Employer-wide views in a serve group (docs/kafka.md section 10): the other members asked per
// request, each within the timeout, on a few workers (never an I/O thread) with a bounded queue.
inline constexpr int fanout_timeout_ms = 2000;                   // one member's answer (connect, send, read)
inline constexpr size_t fanout_response_bytes_max = 16 * 1024 * 1024;  // one member's answer body
inline constexpr size_t fanout_workers = 4;
inline constexpr size_t fanout_queue_max = 256;                  // requests waiting for a worker; past it 503
// How long a request for a partition still loading at start waits for it (then 503, Retry-After).
inline constexpr int partition_load_wait_ms = 5'000;             // below clients' usual 10 s
// How long serve waits for its whole state before it prints its "serving" line (the server
// answers from the start; a small ledger is loaded within it, a large one goes on loading).
inline constexpr int serve_announce_wait_ms = 2000;
inline constexpr size_t fanout_pages_max = 1000;                 // pages of page_size_max read of one member's list
}  // namespace http_limits

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string client;  // the peer's address, for rate limits

  std::string_view header(std::string_view name) const;
  // The last line of header `name` (a field sent on several lines is one list, in order: RFC 9110
  // 5.3); empty when absent.
  std::string_view last_header(std::string_view name) const;
  std::string_view path() const;                   // the target before '?'
  std::string query(std::string_view name) const;  // percent-decoded; empty when absent
  bool has_query(std::string_view name) const;
  // A query parameter named more than once ("year" in ?year=2025&year=abc), or empty:
  // query() takes the first, so a repeated name is refused at the edge rather than half read.
  std::string_view repeated_query() const;
  // The first query parameter whose name is none of `known` (names separated by spaces), as
  // sent; nullopt when every one is known.
  std::optional<std::string_view> unknown_query(std::string_view known) const;
  // The first query parameter given with an empty value (`?from=`), as sent; empty when none.
  std::string_view empty_query() const;
};

// A query component as sent ('+' and %XX) back to its bytes; a '%' not
// followed by two hex digits stays as it is. A path segment (`path_segment`): %XX only, a '+' is
// itself (RFC 3986: the form encoding's '+' is the query's).
std::string percent_decode(std::string_view s, bool path_segment = false);

// Calls f(name, raw value) for each '&'-separated pair of `target`'s query, in order, until f
// returns true; true when it did. Empty pairs (`?&year=2025`, `?year=2025&`, `a=1&&b=2`) are none;
// a name without '=' has an empty value, as `name=` has.
template <typename F>
bool for_each_query_pair(std::string_view target, F&& f) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    if (!pair.empty() && f(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)))
      return true;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return false;
}

// The target in one spelling (RFC 3986 6.2.2.2): in the path, each %XX that encodes an unreserved
// character (2.3: A-Z a-z 0-9 - . _ ~, which an encoding does not change the meaning of) decoded
// (`/%68ealth` is `/health`), a '%' that starts no escape written `%25`, any other escape kept as
// sent (`%2F` stays a byte of a segment); each
// query parameter's name decoded when it decodes to unreserved characters only (`?ye%61r=2025`),
// any other kept as sent; empty pairs dropped; values untouched. The server applies it once, so
// routing and every query look-up read the target as sent.
std::string canonical_target(std::string_view target);

// ASCII case-insensitive equality: media types, codings, host names and schemes (RFC 9110, RFC 3986).
inline bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// `s` without the optional whitespace (RFC 9110 5.6.3 OWS: spaces and tabs) at either end, as
// around a field value or a list element.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct InputIssue {
  std::string in;    // body, query, path, header
  std::string name;  // e.g. dimonaIn.plannedHoursNumber
  std::string detail;
  bool unknown = false;  // an input the API does not know (Belgif input-validation:unknownInput)
};

// A problem response; `name` is the Belgif type (badRequest, resourceNotFound, ...).
HttpResponse problem(int status, std::string_view name, std::string_view title, std::string_view detail,
                     const std::vector<InputIssue>& issues = {});
HttpResponse bad_request(std::string_view detail, const std::vector<InputIssue>& issues = {});
HttpResponse not_found(std::string_view detail = "The resource was not found");
HttpResponse json_response(int status, std::string body);

}  // namespace dimona::api
