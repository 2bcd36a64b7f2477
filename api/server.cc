// The only translation unit with Beast and Asio (STYLE.md: compile time).
#include "api/server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/byte_scan.h"
#include "engine/base/json_writer.h"
#include "engine/base/small_file.h"

namespace dimona::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  // The connections' bookkeeping is declared before `io` so that it outlives it: destroying `io`
  // destroys the handlers still pending, and with them sessions that deregister here.
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable quiet;
  // Requests handed to the handler and not yet written: counted without the
  // mutex (every request passes here); the last one out wakes stop() under it.
  std::atomic<int> in_flight{0};
  // Each live connection: its closer (posted to its strand), so stop() can close the idle ones;
  // its expiry, which closes it if its deadline is still past once on its strand; and its
  // deadline (steady-clock nanoseconds; the session's own atomic, valid while it is registered).
  struct SessionEntry {
    std::function<void()> closer;
    std::function<void()> expire;
    std::atomic<int64_t>* deadline = nullptr;
  };
  std::unordered_map<uint64_t, SessionEntry> sessions;
  uint64_t next_session = 0;
  // Connection caps (server.h): counted under `mutex`.
  size_t connections_max = http_limits::connections_max;
  size_t connections_per_client_max = http_limits::connections_per_client_max;
  size_t connections = 0;
  size_t over_capacity = 0;
  std::unordered_map<std::string, size_t> per_client;

  // One io_context run by every I/O thread, not one per thread: a handler may
  // block its thread (a minOffset wait, a past state folded for asOf), and the
  // other threads go on serving every connection meanwhile.
  net::io_context io;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{io};
  Handler handler;
  std::vector<std::thread> threads;
  // Connections' deadlines are enforced here, every http_limits::deadline_sweep_ms, rather than
  // by each stream's timer: Beast's stream arms and cancels a timer around every read and write
  // once an expiry is set (the reactor's lock and two heap operations each, ~5 k instructions a
  // request), where a session now stores one atomic per request.
  net::steady_timer sweep_timer{io};
  void sweep();

  enum class Admission : unsigned char { kServed, kOverCapacity, kRefused };
  Admission admit(const std::string& client) {
    std::lock_guard lock(mutex);
    auto [it, fresh] = per_client.try_emplace(client, 0);
    if (connections < connections_max && it->second < connections_per_client_max) {
      ++connections;
      ++it->second;
      return Admission::kServed;
    }
    if (fresh) per_client.erase(it);
    if (over_capacity < http_limits::connections_over_capacity_max) {
      ++over_capacity;
      return Admission::kOverCapacity;
    }
    return Admission::kRefused;
  }
  void release(const std::string& client, Admission admission) {
    std::lock_guard lock(mutex);
    if (admission == Admission::kOverCapacity) {
      --over_capacity;
      return;
    }
    --connections;
    if (auto it = per_client.find(client); it != per_client.end() && --it->second == 0) per_client.erase(it);
  }

  uint64_t add_session(SessionEntry entry) {
    std::lock_guard lock(mutex);
    sessions.emplace(++next_session, std::move(entry));
    return next_session;
  }
  void remove_session(uint64_t id) {
    std::lock_guard lock(mutex);
    sessions.erase(id);
    if (sessions.empty()) quiet.notify_all();
  }

  void begin_request() { in_flight.fetch_add(1, std::memory_order_relaxed); }
  void end_request() {
    if (in_flight.fetch_sub(1) != 1 || !stopping) return;  // seq_cst: stop() stores stopping, then reads in_flight
    std::lock_guard lock(mutex);  // stop() checks in_flight under it: the wake-up cannot fall between
    quiet.notify_all();
  }
  void accept();
};

namespace {

// A session's deadline when it has none, and when the sweep found it past (Session::expire).
constexpr int64_t kNoSessionDeadline = INT64_MAX;
constexpr int64_t kSweptDeadline = INT64_MAX - 1;

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The request head as received, checked byte by byte before Beast parses it:
// Beast accepts some framing RFC 9112 says to refuse (a bare LF, obs-fold).
struct HeadScan {
  enum class Kind : unsigned char { kIncomplete, kComplete, kMalformed };
  Kind kind = Kind::kIncomplete;
  const char* reason = "";
};

HeadScan scan_head(std::string_view bytes) {
  using Kind = HeadScan::Kind;
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  // Only NUL, CR and LF decide anything (a fold is the byte after an LF): the bytes between are skipped 16 at a time.
  for (const char* p = begin; (p = find_nul_cr_lf(p, end)) != end; ++p) {
    const auto i = static_cast<size_t>(p - begin);
    if (*p == '\0') return {Kind::kMalformed, "a NUL byte in the request head"};
    if (*p == '\r') {
      if (i + 1 < bytes.size() && bytes[i + 1] != '\n')
        return {Kind::kMalformed, "a CR not followed by LF in the request head"};
      continue;
    }
    if (i == 0 || bytes[i - 1] != '\r') return {Kind::kMalformed, "a bare LF line ending (CRLF is required)"};
    if (i >= 3 && bytes.substr(i - 3, 4) == "\r\n\r\n") return {Kind::kComplete, ""};
    if (i + 1 < bytes.size() && (bytes[i + 1] == ' ' || bytes[i + 1] == '\t'))
      return {Kind::kMalformed, "a folded header line (obs-fold)"};
  }
  return {};
}

// Whether a Transfer-Encoding value's last coding is chunked (RFC 9112 6.1).
bool ends_with_chunked(std::string_view value) {
  const size_t comma = value.rfind(',');
  return beast::iequals(trim_ows(comma == std::string_view::npos ? value : value.substr(comma + 1)), "chunked");
}

// How many of a Transfer-Encoding list's codings are chunked (RFC 9112 7: applied once at most).
size_t chunked_codings(std::string_view value) {
  size_t n = 0;
  for (size_t at = 0; at <= value.size();) {
    const size_t comma = std::min(value.find(',', at), value.size());
    n += beast::iequals(trim_ows(value.substr(at, comma - at)), "chunked") ? 1 : 0;
    at = comma + 1;
  }
  return n;
}

// An absolute-form target's authority ("http://host:port/path", RFC 9112 3.2.2), or nothing
// for any other form.
std::optional<std::string_view> target_authority(std::string_view target) {
  for (const std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() < scheme.size() || !beast::iequals(target.substr(0, scheme.size()), scheme)) continue;
    const std::string_view rest = target.substr(scheme.size());
    return rest.substr(0, rest.find_first_of("/?"));
  }
  return std::nullopt;
}

// The framing faults of a parsed head that Beast lets through, or empty. A field
// whose meaning a second copy would make ambiguous is refused rather than the
// first one taken (RFC 9112 3.2, 6.1, 6.3; RFC 9110 8.6): Host (exactly one in
// HTTP/1.1), Content-Length (and only digits: "2, 2" is a list), Transfer-Encoding
// (not beside Content-Length, not in HTTP/1.0), Authorization (who asks), Origin
// (whose page asks: the portal's sign-in answers loopback pages only), Content-Type
// and Content-Encoding (how the body reads).
template <typename Head>
std::string_view framing_fault(const Head& head) {
  // The fields judged here, counted in one pass over the head (a look-up each was a tree search).
  struct {
    int host = 0, content_length = 0, transfer_encoding = 0, authorization = 0, origin = 0, content_type = 0,
        content_encoding = 0;
  } n;
  for (const auto& f : head) {
    switch (f.name()) {
      case http::field::host: ++n.host; break;
      case http::field::content_length: ++n.content_length; break;
      case http::field::transfer_encoding: ++n.transfer_encoding; break;
      case http::field::authorization: ++n.authorization; break;
      case http::field::origin: ++n.origin; break;
      case http::field::content_type: ++n.content_type; break;
      case http::field::content_encoding: ++n.content_encoding; break;
      default: break;
    }
  }
  if (n.host > 1 || (head.version() >= 11 && n.host == 0)) return "an HTTP/1.1 request has exactly one Host field";
  if (n.content_length > 1) return "two Content-Length fields";
  if (n.content_length == 1) {
    const std::string_view length = trim_ows(head[http::field::content_length]);
    if (length.empty() || length.find_first_not_of("0123456789") != std::string_view::npos)
      return "Content-Length is not one decimal number";
  }
  if (n.content_length > 0 && n.transfer_encoding > 0) return "Content-Length together with Transfer-Encoding";
  if (n.transfer_encoding > 1) return "two Transfer-Encoding fields";
  if (head.version() < 11 && n.transfer_encoding > 0) return "Transfer-Encoding in an HTTP/1.0 request";
  if (n.authorization > 1) return "two Authorization fields";
  // RFC 9112 3.2: origin form (/path?query), absolute form (http://host/path), or * for OPTIONS;
  // a fragment is never sent (RFC 9110 7.1); authority form is CONNECT's, which is not served.
  const std::string_view target = head.target();
  if (target.find('#') != std::string_view::npos) return "a fragment (#) in the request target";
  if (target == "*") {
    if (head.method() != http::verb::options) return "the asterisk-form target is for OPTIONS only";
  } else if (head.method() != http::verb::connect && !target.starts_with('/') && !target_authority(target)) {
    return "the request target is not a path (origin form) nor an http or https URI (absolute form)";
  }
  if (n.origin > 1) return "two Origin fields";
  if (n.content_type > 1) return "two Content-Type fields";
  if (n.content_encoding > 1) return "two Content-Encoding fields";
  // RFC 9112 3.2.2: an absolute-form target's authority replaces Host. The two must agree, so
  // that every check of Host (the portal's, a proxy's) judges the authority the request names.
  if (const std::optional<std::string_view> authority = target_authority(head.target());
      authority && !beast::iequals(*authority, trim_ows(head[http::field::host])))
    return "the target's authority is not the Host field";
  return {};
}

// The request target in origin form (path and query): an absolute-form target, which a server
// must accept (RFC 9112 3.2.2), loses its scheme and authority (framing_fault saw that the
// authority is the Host's); any other form is kept as sent (the router refuses what it cannot match).
std::string origin_form(std::string_view target) {
  const std::optional<std::string_view> authority = target_authority(target);
  if (!authority) return std::string(target);
  const std::string_view rest = target.substr(target.find("//") + 2 + authority->size());
  if (rest.empty()) return "/";
  return (rest[0] == '/' ? "" : "/") + std::string(rest);
}

bool is_health_probe(const http::request<http::string_body>& req) {
  const std::string target = origin_form(req.target());
  return req.method() == http::verb::get && std::string_view(target).substr(0, target.find('?')) == "/health";
}

// Whether a response of this status carries a body, and so Content-Length: not 1xx, 204 or 304
// (RFC 9110 6.4.1, 8.6).
bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

// The response's head, byte for byte what Beast's serializer wrote for it before (status line;
// Content-Type; the handler's headers in order, a name given again keeping only its last value as
// fields::set does, never a framing field; Connection: close when the connection ends;
// Content-Length), into `out`, so the head and the body leave in one gathered write with no
// serializer, no field tree and no copy of the body (callgrind: the serializer was ~9 k of a GET balance's ~84 k
// instructions). 1xx, 204 and 304 carry no Content-Length (RFC 9110 8.6); a HEAD's is its GET's body's. A CR, LF or NUL
// in a name or value is left out, so no value can end a field or the head.
void write_head(const HttpResponse& r, bool keep_alive, std::string* out) {
  DIMONA_ASSERT(r.status >= 100 && r.status <= 999);
  out->clear();
  out->append("HTTP/1.1 ");
  append_uint(out, static_cast<uint64_t>(r.status));
  out->push_back(' ');
  const std::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  out->append(reason.data(), reason.size());
  out->append("\r\n");
  const auto clean = [out](std::string_view text) {
    for (size_t at = 0; at < text.size();) {
      const size_t bad = text.find_first_of(std::string_view("\r\n\0", 3), at);
      out->append(text.substr(at, bad - at));
      if (bad == std::string_view::npos) break;
      at = bad + 1;
    }
  };
  const auto field = [&](std::string_view name, std::string_view value) {
    clean(name);
    out->append(": ");
    clean(value);
    out->append("\r\n");
  };
  // True when headers[from..] name `name` again: only the last of a name is written.
  const auto named_from = [&r](size_t from, std::string_view name) {
    for (size_t j = from; j < r.headers.size(); ++j)
      if (equal_ignoring_case(r.headers[j].first, name)) return true;
    return false;
  };
  // The framing is the server's own: a handler's (a forwarded answer's) is never written.
  const auto framing = [](std::string_view name) {
    return equal_ignoring_case(name, "Content-Length") || equal_ignoring_case(name, "Connection") ||
           equal_ignoring_case(name, "Transfer-Encoding");
  };
  if (!r.content_type.empty() && !named_from(0, "Content-Type")) field("Content-Type", r.content_type);
  for (size_t i = 0; i < r.headers.size(); ++i) {
    const std::string_view name = r.headers[i].first;
    if (!framing(name) && !named_from(i + 1, name)) field(name, r.headers[i].second);
  }
  if (!keep_alive) out->append("Connection: close\r\n");
  if (status_has_body(r.status)) {
    out->append("Content-Length: ");
    append_uint(out, r.body.size());
    out->append("\r\n");
  }
  out->append("\r\n");
}

// The methods a route of this server takes (routes.cc), for 501 and OPTIONS *.
constexpr std::string_view kMethods = "GET, HEAD, POST, PUT";

template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  using Admission = HttpServer::Impl::Admission;

  Session(Stream stream, HttpServer::Impl& server, std::string client, Admission admission)
      : stream_(std::move(stream)), server_(server), client_(std::move(client)), admission_(admission) {}
  ~Session() {
    if (id_ != 0) server_.remove_session(id_);
    server_.release(client_, admission_);
  }

  void start() {
    const auto executor = stream_.get_executor();
    id_ = server_.add_session({[weak = this->weak_from_this(), executor] {
                                 net::post(executor, [weak] {
                                   if (auto self = weak.lock(); self && !self->busy_) self->shut();
                                 });
                               },
                               [weak = this->weak_from_this(), executor] {
                                 net::post(executor, [weak] {
                                   if (auto self = weak.lock()) self->expire();
                                 });
                               },
                               &deadline_});
    if constexpr (kTls) {
      arm(read_timeout());
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    } else {
      read();
    }
  }

 private:
  bool over_capacity() const { return admission_ == Admission::kOverCapacity; }
  // The request (its read, its handling and its answer's write) must be over by now + timeout,
  // or the server's sweep closes the connection (HttpServer::Impl::sweep).
  void arm(std::chrono::milliseconds timeout) {
    deadline_.store(steady_now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count(),
                    std::memory_order_relaxed);
  }
  std::chrono::milliseconds read_timeout() const {
    if (over_capacity()) return std::chrono::milliseconds(http_limits::over_capacity_read_timeout_ms);
    return std::chrono::seconds(first_ ? http_limits::read_timeout_seconds : http_limits::keep_alive_idle_seconds);
  }

  void read() {
    if (server_.stopping) return close();
    parser_.emplace();
    head_request_ = false;
    skipped_empty_lines_ = 0;
    parser_->body_limit(http_limits::request_body_bytes_max);
    parser_->header_limit(static_cast<uint32_t>(http_limits::request_header_bytes_max));
    arm(read_timeout());
    first_ = false;
    read_head();
  }

  // Reads until the buffer holds a whole request head, refusing bad framing
  // as soon as it shows; then Beast parses the head from the buffer, here and
  // now: an asynchronous read of bytes already read would only post its
  // completion through the scheduler (a lock, and often a wake-up of another
  // I/O thread, per request).
  void read_head() {
    // RFC 9112 2.2: an empty line (CRLF: a bare LF is refused here as anywhere) or two before the
    // request line is skipped (a client's stray CRLF after a body); more is a bad start.
    while (skipped_empty_lines_ < kEmptyLinesSkippedMax && buffer_.size() >= 2) {
      const std::string_view start(static_cast<const char*>(buffer_.data().data()), 2);
      if (start != "\r\n") break;
      buffer_.consume(2);
      ++skipped_empty_lines_;
    }
    const auto data = buffer_.data();
    const HeadScan scan = scan_head(std::string_view(static_cast<const char*>(data.data()), data.size()));
    if (scan.kind == HeadScan::Kind::kMalformed) return refuse_framing(scan.reason);
    if (scan.kind == HeadScan::Kind::kComplete) {
      beast::error_code ec;
      buffer_.consume(parser_->put(buffer_.data(), ec));
      if (!ec && !parser_->is_header_done()) ec = http::error::partial_message;  // the scan saw the head's end
      return on_head(ec);
    }
    if (buffer_.size() >= http_limits::request_header_bytes_max) {
      // RFC 9110 15.5.15: a request line that alone fills the head's room is a target too long.
      const std::string_view seen(static_cast<const char*>(data.data()), data.size());
      if (seen.find('\n') == std::string_view::npos)
        return reply_and_close(problem(414, "badRequest", "URI Too Long", "The request target is longer than 8 KiB"));
      return on_read(http::error::header_limit);
    }
    const size_t room = std::min<size_t>(http_limits::request_header_bytes_max - buffer_.size(), 4096);
    stream_.async_read_some(buffer_.prepare(room), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->on_read(self->buffer_.size() == 0 && ec == net::error::eof ? http::error::end_of_stream : ec);
      self->buffer_.commit(n);
      self->read_head();
    });
  }

  void on_head(beast::error_code ec) {
    if (ec) return on_read(ec);
    const auto& head = parser_->get();
    head_request_ = head.method() == http::verb::head;
    if (std::string_view why = framing_fault(head); !why.empty()) return refuse_framing(why);
    // A method this server implements for no resource (one Beast does not know, a lower-case
    // "get", or CONNECT: no tunnels) is 405 with the server's methods in Allow, as a known one a
    // resource does not take is the router's 405. (RFC 9110 15.6.2 allows 501; a 5xx would say the
    // server failed, and the hostile suite holds every answer to hostile input below 500.)
    if (head.method() == http::verb::unknown || head.method() == http::verb::connect) {
      HttpResponse r =
          problem(405, "methodNotAllowed", "Method Not Allowed", "This server implements GET, HEAD, POST and PUT");
      r.headers.emplace_back("Allow", kMethods);
      return reply_and_close(std::move(r));
    }
    if (head.target() == "*") {  // OPTIONS * (RFC 9110 9.3.7): the server's methods
      HttpResponse r;
      r.status = 204;
      r.content_type.clear();
      r.headers.emplace_back("Allow", kMethods);
      return reply_and_close(std::move(r));
    }
    if (head.count(http::field::transfer_encoding) > 0 &&
        !beast::iequals(trim_ows(head[http::field::transfer_encoding]), "chunked")) {
      // RFC 9112 6.1: chunked not last, the body's length is unknown (400, a smuggling guard);
      // chunked last after another coding: a coding this server does not implement (501).
      // Either way the connection closes: its next bytes cannot be told from this body.
      if (!ends_with_chunked(head[http::field::transfer_encoding]))
        return refuse_framing("Transfer-Encoding does not end with chunked");
      if (chunked_codings(head[http::field::transfer_encoding]) > 1)
        return refuse_framing("Transfer-Encoding applies chunked more than once");
      return reply_and_close(
          problem(501, "notImplemented", "Not Implemented", "Transfer codings other than chunked are not implemented"));
    }
    // A chunked body may end with trailer fields, which Beast adds to the same list: only the
    // head's fields are the request's (RFC 9110 6.5: a trailer may not carry authentication,
    // framing, content type or routing), so the fields after these are discarded.
    head_fields_ = static_cast<size_t>(std::distance(head.begin(), head.end()));
    // RFC 9110 10.1.1: a client that sent Expect: 100-continue may wait for the interim answer
    // before its body (curl waits a second); any other expectation is one this server cannot meet.
    if (head.count(http::field::expect) > 0 && head.version() >= 11) {
      if (!beast::iequals(trim_ows(head[http::field::expect]), "100-continue") || head.count(http::field::expect) > 1)
        return reply_and_close(
            problem(417, "expectationFailed", "Expectation Failed", "The only expectation met is 100-continue"));
      if (parser_->is_done()) return on_read({});  // no body to wait for
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                              [self = this->shared_from_this()](beast::error_code e, size_t) {
                                if (e) return self->on_read(e);
                                self->read_body();
                              });
    }
    if (parser_->is_done()) return on_read({});  // no body: nothing more to read
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, size_t) { self->on_read(e); });
  }

  void refuse_framing(std::string_view reason) {
    reply_and_close(bad_request("The request is not valid HTTP/1.1: " + std::string(reason)));
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return close();
    if (ec == http::error::body_limit) {
      return reply_and_close(problem(413, "payloadTooLarge", "Payload Too Large",
                                           "The request body is larger than 64 KiB"));
    }
    if (ec == http::error::header_limit) {
      return reply_and_close(problem(431, "badRequest", "Request Header Fields Too Large",
                                           "The request headers are larger than 8 KiB"));
    }
    if (ec == http::error::buffer_overflow)  // only a body's chunk framing gets here: the head has its own limit
      return refuse_framing("a chunk-size line (with its extensions) longer than the connection's buffer");
    // Any other refusal of Beast's parser is the client's framing: say so, then close.
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category())
      return refuse_framing(ec.message());
    if (ec) return;  // timeout (a slow client), reset, or shutdown: the socket closes with us
    http::request<http::string_body> req = parser_->release();
    if (over_capacity()) {
      keep_alive_ = false;
      if (!is_health_probe(req)) {
        HttpResponse busy = problem(503, "serviceUnavailable", "Service Unavailable",
                                    "Too many open connections; retry shortly");
        busy.headers.emplace_back("Retry-After", "1");
        return reply_and_close(std::move(busy));
      }
    }
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = canonical_target(origin_form(req.target()));
    size_t fields = 0;
    for (const auto& field : req) {
      if (fields++ == head_fields_) break;  // a chunked body's trailer fields (on_head)
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    r.body = std::move(req.body());
    r.client = client_;
    keep_alive_ = keep_alive_ && req.keep_alive();
    busy_ = true;
    server_.begin_request();
    server_.handler(std::move(r), [self = this->shared_from_this()](HttpResponse response) {
      net::dispatch(self->stream_.get_executor(),
                [self, response = std::move(response)]() mutable { self->write(std::move(response), true); });
    });
  }

  void reply_and_close(HttpResponse response) {
    keep_alive_ = false;
    server_.begin_request();
    write(std::move(response), true);
  }

  void write(HttpResponse response, bool counted) {
    // Only a member's forwarded answer could hold a status of other than three digits.
    if (response.status < 100 || response.status > 999) response.status = 502;
    const bool keep_alive = keep_alive_ && !server_.stopping;
    write_head(response, keep_alive, &head_out_);
    body_out_ = std::move(response.body);
    // HEAD (RFC 9110 9.3.2): the GET's status and headers, Content-Length the GET's body's, no
    // body; 1xx, 204 and 304 have none either.
    const bool body = !head_request_ && status_has_body(response.status);
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_out_),
                                                   net::buffer(body_out_.data(), body ? body_out_.size() : 0)};
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this(), counted, keep_alive](beast::error_code ec, size_t) {
                       self->body_out_ = std::string();  // not held while the connection idles (a page: MBs)
                       self->busy_ = false;
                       if (counted) self->server_.end_request();
                       if (ec || !keep_alive) return self->close();
                       self->read();
                     });
  }

  // The sweep found the deadline past and marked it: closed, unless the session armed a new
  // deadline or began closing (its drain) since.
  void expire() {
    int64_t swept = kSweptDeadline;
    if (deadline_.compare_exchange_strong(swept, kNoDeadline, std::memory_order_relaxed)) shut();
  }

  // Stop: an idle connection is closed at once (its pending read ends).
  void shut() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

  void close() {
    beast::error_code ec;
    deadline_.store(kNoDeadline, std::memory_order_relaxed);  // the drain has its own 2 s
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      drain();
    }
  }

  // After our FIN, read what the client still sends until it closes (or 2 s):
  // closing with unread bytes would reset the connection and could destroy
  // the response (a 400 or 503) before the client reads it.
  void drain() {
    stream_.async_read_some(net::buffer(drain_buffer_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->drain();
    });
  }

  Stream stream_;
  HttpServer::Impl& server_;
  std::string client_;
  beast::flat_buffer buffer_{http_limits::connection_buffer_bytes_max};
  std::optional<http::request_parser<http::string_body>> parser_;
  size_t head_fields_ = 0;  // the fields of the request's head, before any trailer
  bool keep_alive_ = true;
  bool head_request_ = false;  // the request being answered is a HEAD: its answer has no body
  static constexpr int kEmptyLinesSkippedMax = 2;  // before a request line (read_head)
  int skipped_empty_lines_ = 0;
  bool first_ = true;
  bool busy_ = false;  // a request is with the handler or being written
  uint64_t id_ = 0;
  Admission admission_;
  std::array<char, 1024> drain_buffer_{};
  static constexpr int64_t kNoDeadline = kNoSessionDeadline;
  std::atomic<int64_t> deadline_{kNoDeadline};  // arm(); read by the server's sweep
  std::string head_out_;  // the response being written: its head (write_head), then its body
  std::string body_out_;
};

}  // namespace

void HttpServer::Impl::sweep() {
  sweep_timer.expires_after(std::chrono::milliseconds(http_limits::deadline_sweep_ms));
  sweep_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;  // cancelled: the server stops
    const int64_t now = steady_now_ns();
    std::vector<std::function<void()>> due;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, s] : sessions) {
        int64_t deadline = s.deadline->load(std::memory_order_relaxed);
        // Once: a session that armed a new deadline meanwhile keeps it.
        if (deadline <= now && s.deadline->compare_exchange_strong(deadline, kSweptDeadline, std::memory_order_relaxed))
          due.push_back(s.expire);
      }
    }
    for (const auto& expire : due) expire();
    sweep();
  });
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping && ec != net::error::operation_aborted) accept();
      return;
    }
    beast::error_code peer_ec;
    const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    std::string client = peer_ec ? std::string("unknown") : peer.address().to_string();
    const Admission admission = admit(client);
    if (admission == Admission::kRefused) {
      socket.close(peer_ec);  // past the caps and the over-capacity allowance: unread
    } else if (tls) {
      std::make_shared<Session<ssl::stream<beast::tcp_stream>>>(
          ssl::stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls), *this, std::move(client),
          admission)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *this, std::move(client),
                                                   admission)
          ->start();
    }
    accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerOptions& options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  if (options.connections_max < 1 || options.connections_per_client_max < 1)
    return invalid_argument("the connection caps must be at least 1");
  impl->connections_max = options.connections_max;
  impl->connections_per_client_max = options.connections_per_client_max;
  if (!options.tls_certificate.empty()) {
    impl->tls.emplace(ssl::context::tls_server);
    beast::error_code ec;
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    // Read here as regular files (a FIFO named instead would hold the start forever), then given
    // to OpenSSL as bytes.
    Result<SmallFile> certificate = read_small_file(options.tls_certificate, http_limits::tls_file_bytes_max);
    if (!certificate.is_ok()) return failed_precondition("TLS certificate: " + certificate.status().message());
    Result<SmallFile> key = read_small_file(options.tls_private_key, http_limits::tls_file_bytes_max);
    if (!key.is_ok()) return failed_precondition("TLS private key: " + key.status().message());
    impl->tls->use_certificate_chain(net::buffer(certificate->bytes), ec);
    if (ec) return failed_precondition("TLS certificate " + options.tls_certificate + ": " + ec.message());
    impl->tls->use_private_key(net::buffer(key->bytes), ssl::context::pem, ec);
    if (ec) return failed_precondition("TLS private key " + options.tls_private_key + ": " + ec.message());
  }
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options.address, ec);
  if (ec) return invalid_argument("--address: " + ec.message());
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return failed_precondition("cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " + ec.message());
  impl->accept();
  impl->sweep();
  for (unsigned i = 0; i < std::max(1u, options.io_threads); ++i) impl->threads.emplace_back([io = &impl->io] { io->run(); });
  return std::make_unique<HttpServer>(std::move(impl));
}

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }
bool HttpServer::tls() const { return impl_->tls.has_value(); }

void HttpServer::stop() {
  if (!impl_ || impl_->threads.empty()) return;
  impl_->stopping = true;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::vector<std::function<void()>> closers;
  {
    std::unique_lock lock(impl_->mutex);
    impl_->quiet.wait_for(lock, std::chrono::seconds(http_limits::read_timeout_seconds),
                          [this] { return impl_->in_flight == 0; });
    for (auto& [id, session] : impl_->sessions) closers.push_back(session.closer);
  }
  for (auto& closer : closers) closer();  // idle keep-alive connections: closed now
  {
    std::unique_lock lock(impl_->mutex);
    impl_->quiet.wait_for(lock, std::chrono::seconds(2), [this] { return impl_->sessions.empty(); });
  }
  impl_->io.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace dimona::api
