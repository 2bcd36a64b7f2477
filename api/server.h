// HttpServer: Boost.Beast HTTP/1.1 on a pool of I/O threads, keep-alive,
// optional TLS, handing each request to one asynchronous handler.
//
// Contract. start() binds (address and port; port 0 picks a free one, see
// port()), and serves on `io_threads` threads until stop(). Each connection
// reads one request at a time (HTTP/1.1 keep-alive, pipelining answered in
// order), with the limits of http_limits: a body or header over its limit
// gets 413 / 431 and the connection closes; a client that sends nothing for
// read_timeout_seconds is cut. The handler is called on an I/O thread and
// must call `done` exactly once, from any thread. stop() stops accepting,
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
