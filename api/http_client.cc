#include "api/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

namespace dimona::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<HttpResponse> http_fetch(std::string_view url, std::string_view method,
                                const std::vector<std::pair<std::string, std::string>>& headers, int timeout_ms) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return invalid_argument("not an http:// url");
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == authority.size())
    return invalid_argument("an http url without HOST:PORT");
  const std::string host(authority.substr(0, colon)), port(authority.substr(colon + 1));

  // Asynchronous operations run to completion on this thread: tcp_stream's deadline applies to them only.
  net::io_context io;
  beast::tcp_stream stream(io);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  beast::error_code ec;
  tcp::resolver resolver(io);
  const tcp::resolver::results_type endpoints = resolver.resolve(host, port, ec);
  if (ec) return unavailable("cannot resolve " + host + ": " + ec.message());
  auto run = [&](auto start) {
    ec = {};
    stream.expires_at(deadline);
    start();
    io.restart();
    io.run();
    return !ec;
  };
  if (!run([&] { stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; }); }))
    return unavailable("cannot connect to " + std::string(authority) + ": " + ec.message());
  http::request<http::empty_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, authority);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.prepare_payload();
  if (!run([&] { http::async_write(stream, request, [&](beast::error_code e, size_t) { ec = e; }); }))
    return unavailable("cannot send to " + std::string(authority) + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(http_limits::fanout_response_bytes_max);
  if (!run([&] { http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; }); }))
    return unavailable("no answer from " + std::string(authority) + ": " + ec.message());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  http::response<http::string_body> got = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(got.result_int());
  out.content_type = std::string(got[http::field::content_type]);
  for (const auto& field : got) {
    if (field.name() == http::field::content_type || field.name() == http::field::content_length ||
        field.name() == http::field::connection || field.name() == http::field::transfer_encoding)
      continue;
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(got.body());
  return out;
}

}  // namespace dimona::api
