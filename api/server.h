// HttpServer: Boost.Beast HTTP/1.1 on a pool of I/O threads, keep-alive,
// optional TLS, handing each request to one asynchronous handler.
//
// Contract. start() binds (address and port; port 0 picks a free one, see
// port()), and serves on `io_threads` threads until stop(). Each connection
// reads one request at a time (HTTP/1.1 keep-alive, pipelining answered in
// order), with the limits of http_limits: a body or header over its limit
// gets 413 / 431 and the connection closes; a client that sends nothing for
// read_timeout_seconds is cut. Framing is strict (RFC 9112): a request
// with a bare LF line ending, a CR or NUL in its head, an obs-fold header
// line, two Content-Length fields, or Content-Length with Transfer-Encoding
// gets 400 badRequest problem+json, then the connection closes; so does any
// request Beast's parser refuses. At most connections_max connections are
// open, at most connections_per_client_max from one peer address; past a cap
// a connection is answered once and closed (http_limits: GET /health is
// served, everything else is 503 with Retry-After), so a monitoring probe
// is answered while the server is at its cap. A connection the server
// closes is drained (what the client still sends is read and dropped, at
// most 2 s) so its last answer is not lost to a reset. The handler is
// called on an I/O thread and must call `done` exactly once, from any
// thread. stop() stops accepting,
// lets the requests in flight finish (their responses are written), then
// closes the idle connections and joins the threads. TLS (cert and key PEM
// files) is the same protocol over OpenSSL. Beast and Asio stay in
// server.cc; this header is plain.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http.h"
#include "engine/base/status.h"

namespace dimona::api {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  unsigned io_threads = 2;
  std::string tls_certificate;  // PEM file; empty: plain HTTP
  std::string tls_private_key;  // PEM file
  size_t connections_max = http_limits::connections_max;
  size_t connections_per_client_max = http_limits::connections_per_client_max;
};

using Handler = std::function<void(HttpRequest, std::function<void(HttpResponse)>)>;

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(const ServerOptions& options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  bool tls() const;
  // Graceful: no new connections, requests in flight answered, then the threads joined.
  void stop();

  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dimona::api
