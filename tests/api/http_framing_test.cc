// The HTTP server's framing and connection caps (api/server.h), through raw
// TCP sockets on 127.0.0.1: every malformed request head (bare LF, CR or NUL
// in a header, obs-fold, two Content-Length, Content-Length with
// Transfer-Encoding, a request line Beast refuses) gets a 400 badRequest
// problem and then the connection closes; past the total or the per-client
// connection cap a connection gets 503 with Retry-After, except GET /health,
// which is answered; a freed slot serves again. The handler is a stub: the
// routes are not under test here.
#include "api/server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/http.h"

namespace dimona::api {
namespace {

using namespace std::string_literals;

constexpr int kWaitMs = 5000;

// One client socket; every wait has a deadline so a hung server fails the test.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Reads until one whole response is buffered (head and Content-Length body), EOF or the deadline.
  std::string response() {
    for (;;) {
      if (const size_t head = buffer_.find("\r\n\r\n"); head != std::string::npos) {
        const size_t length_at = lower(buffer_.substr(0, head)).find("content-length:");
        const size_t body = length_at == std::string::npos ? 0 : std::stoul(buffer_.substr(length_at + 15));
        if (buffer_.size() >= head + 4 + body) {
          std::string one = buffer_.substr(0, head + 4 + body);
          buffer_.erase(0, head + 4 + body);
          return one;
        }
      }
      if (!fill()) {
        std::string rest = std::move(buffer_);
        buffer_.clear();
        return rest;
      }
    }
  }
  // Every byte until the server closes the connection (or the deadline): responses whose length
  // the reader cannot know from their head alone (a HEAD's).
  std::string until_closed() {
    while (fill()) {
    }
    return std::move(buffer_);
  }
  // True when the server closed the connection (EOF or reset) within the deadline.
  bool closed_by_server() {
    while (fill()) {
    }
    return eof_;
  }

  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

 private:
  bool fill() {
    if (eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, kWaitMs) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

class HttpFramingTest : public ::testing::Test {
 protected:
  void SetUp() override { start(ServerOptions{}); }
  void TearDown() override {
    if (server_) server_->stop();
  }

  void start(ServerOptions options, Handler handler = nullptr) {
    if (server_) server_->stop();
    options.address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    if (!handler) {
      handler = [](HttpRequest r, std::function<void(HttpResponse)> done) {
        done(json_response(200, r.path() == "/health" ? R"({"status":"UP"})"
                                                      : R"({"echo":")" + r.method + R"(","fields":)" +
                                                            std::to_string(r.headers.size()) + "}"));
      };
    }
    Result<std::unique_ptr<HttpServer>> server = HttpServer::start(options, std::move(handler));
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    server_ = std::move(*server);
    port_ = server_->port();
  }

  // Sends `request` on a fresh connection: the server must answer 400
  // badRequest problem+json, then close the connection.
  void expect_framing_refused(const std::string& request) {
    Client c(port_);
    ASSERT_TRUE(c.connected());
    c.send(request);
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 400) << r;
    EXPECT_NE(Client::lower(r).find("content-type: application/problem+json"), std::string::npos) << r;
    EXPECT_NE(r.find("urn:problem-type:belgif:badRequest"), std::string::npos) << r;
    EXPECT_NE(Client::lower(r).find("connection: close"), std::string::npos) << r;
    EXPECT_TRUE(c.closed_by_server()) << "the connection stays open after " << r;
  }

  // A valid request on `c`; the status.
  static int get(Client& c, std::string_view path) {
    c.send("GET "s + std::string(path) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    return status_of(c.response());
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

// --- Framing ------------------------------------------------------------------------------

TEST_F(HttpFramingTest, AValidRequestIsServedAndTheConnectionKeptAlive) {
  Client c(port_);
  EXPECT_EQ(get(c, "/health"), 200);
  EXPECT_EQ(get(c, "/v1/anything"), 200);
}

TEST_F(HttpFramingTest, BareLfLineEndingsAreRefused) {
  expect_framing_refused("GET /health HTTP/1.1\nHost: t\n\n");
}

TEST_F(HttpFramingTest, ABareLfOnOneHeaderLineIsRefused) {
  expect_framing_refused("GET /health HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n");
}

TEST_F(HttpFramingTest, ABareLfEndingTheHeadIsRefused) {
  expect_framing_refused("GET /health HTTP/1.1\r\nHost: t\r\n\n");
}

TEST_F(HttpFramingTest, TwoContentLengthsAreRefusedEvenWhenEqual) {
  expect_framing_refused("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}");
}

TEST_F(HttpFramingTest, TwoDifferentContentLengthsAreRefused) {
  expect_framing_refused("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{}");
}

TEST_F(HttpFramingTest, ContentLengthWithTransferEncodingIsRefused) {
  expect_framing_refused(
      "POST /v1/declarations HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n");
  expect_framing_refused(
      "POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n");
}

TEST_F(HttpFramingTest, AContentLengthListIsRefusedEvenOfEqualValues) {
  expect_framing_refused("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nContent-Length: 2, 2\r\n\r\n{}");
  expect_framing_refused("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nContent-Length: 0,0\r\n\r\n");
}

// RFC 9112 6.1: a Transfer-Encoding whose last coding is not chunked leaves the body's length
// unknown; read as "no body", its bytes would be served as a second request (smuggling). Chunked
// applied twice (RFC 9112 7) is malformed framing too (400), not a coding this server lacks (501).
TEST_F(HttpFramingTest, ATransferEncodingThatDoesNotEndWithChunkedIsRefusedAndNothingBehindItIsServed) {
  for (const char* coding : {"gzip", "deflate", "identity", "xchunked", "chunked, gzip", "", "chunked;q=1",
                             "chunked, chunked", "chunked,CHUNKED", "gzip, chunked , chunked"}) {
    SCOPED_TRACE(coding);
    Client c(port_);
    c.send("GET /health HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "s + coding +
           "\r\n\r\nGET /ready HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 400) << r;
    EXPECT_NE(Client::lower(r).find("connection: close"), std::string::npos) << r;
    EXPECT_TRUE(c.closed_by_server()) << "the bytes behind the body could be served as a request";
  }
}

TEST_F(HttpFramingTest, AnotherCodingBeforeChunkedIsNotImplementedAndTheConnectionCloses) {
  Client c(port_);
  c.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 501) << r;
  EXPECT_NE(Client::lower(r).find("content-type: application/problem+json"), std::string::npos) << r;
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpFramingTest, TwoTransferEncodingContentTypeOrContentEncodingFieldsAreRefused) {
  expect_framing_refused(
      "POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n");
  expect_framing_refused(
      "POST /v1/declarations HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n"
      "Content-Length: 2\r\n\r\n{}");
  expect_framing_refused(
      "POST /v1/declarations HTTP/1.1\r\nHost: t\r\nContent-Encoding: identity\r\nContent-Encoding: gzip\r\n"
      "Content-Length: 2\r\n\r\n{}");
  // Two Origin fields: the sign-in read only the first (a loopback page's), whatever came after.
  expect_framing_refused(
      "POST /portal/signIn HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1:8080\r\nOrigin: "
      "http://evil.example\r\n"
      "Content-Type: application/json\r\nContent-Length: 19\r\n\r\n{\"role\":\"auditor\"}");
}

TEST_F(HttpFramingTest, ChunkedInAnyCaseIsServed) {
  Client c(port_);
  c.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:  Chunked \r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(status_of(c.response()), 200);
}

TEST_F(HttpFramingTest, AnHttp11RequestWithoutOneHostIsRefused) {
  expect_framing_refused("GET /ready HTTP/1.1\r\nConnection: close\r\n\r\n");
  expect_framing_refused("GET /ready HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
}

TEST_F(HttpFramingTest, TransferEncodingInAnHttp10RequestIsRefused) {
  expect_framing_refused("POST /v1/declarations HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
}

TEST_F(HttpFramingTest, TwoAuthorizationFieldsAreRefused) {
  expect_framing_refused("GET /health HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n");
}

// RFC 9112 3.2.2: a server must accept a target in absolute form; it is the path it names, and
// its authority is the Host (one naming another host is refused: every check of Host would judge
// a host the request does not name).
TEST_F(HttpFramingTest, AnAbsoluteFormTargetIsServedAsItsPath) {
  for (const char* target : {"http://127.0.0.1:8080/health", "HTTP://t/health?x=1", "https://T/health"}) {
    SCOPED_TRACE(target);
    Client c(port_);
    const std::string_view rest = std::string_view(target).substr(std::string_view(target).find("//") + 2);
    c.send("GET "s + target + " HTTP/1.1\r\nHost: " + std::string(rest.substr(0, rest.find('/'))) + "\r\n\r\n");
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 200) << r;
    EXPECT_NE(r.find(R"("status":"UP")"), std::string::npos) << "routed to /health: " << r;
  }
  Client c(port_);
  c.send("GET http://t HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_NE(status_of(c.response()), 400) << "an empty path is /";
  expect_framing_refused(
      "POST http://evil.example/portal/signIn HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
  expect_framing_refused("GET http://127.0.0.1:8081/health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
}

TEST_F(HttpFramingTest, AnHttp10RequestWithoutHostIsServed) {
  Client c(port_);
  c.send("GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_of(c.response()), 200);
}

TEST_F(HttpFramingTest, ACrInAHeaderValueIsRefused) {
  expect_framing_refused("GET /health HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n");
}

TEST_F(HttpFramingTest, ANulInAHeaderValueIsRefused) {
  expect_framing_refused("GET /health HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n"s);
}

TEST_F(HttpFramingTest, AFoldedHeaderLineIsRefused) {
  expect_framing_refused("GET /health HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n");
  expect_framing_refused("GET /health HTTP/1.1\r\nHost: t\r\nX-A: a\r\n\tb\r\n\r\n");
}

TEST_F(HttpFramingTest, ARequestLineTheParserRefusesIsA400) {
  expect_framing_refused("NOT AN HTTP REQUEST\r\n\r\n");
  expect_framing_refused("GET /health HTTP/9.9\r\nHost: t\r\n\r\n");
  expect_framing_refused("GET /health HTTP/1.1\r\nBad Header Name: x\r\n\r\n");
}

TEST_F(HttpFramingTest, AMalformedRequestAfterAValidOneOnTheSameConnection) {
  Client c(port_);
  c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\nHost: t\n\n");
  EXPECT_EQ(status_of(c.response()), 200);
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(HttpFramingTest, AChunkedBodyAloneIsStillServed) {
  Client c(port_);
  c.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(status_of(c.response()), 200);
}

// RFC 9110 6.5: trailer fields may not carry authentication, framing, content type or routing;
// the server keeps the head's fields alone (an Authorization or X-Forwarded-For after the body
// would log a request in, or pass a per-address limit, that the head never named).
TEST_F(HttpFramingTest, TrailerFieldsAreNotTheRequestsFields) {
  Client c(port_);
  c.send(
      "POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
      "Authorization: Bearer planted\r\nX-Forwarded-For: 192.0.2.7\r\nContent-Type: text/plain\r\n\r\n");
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(r.find(R"("fields":2)"), std::string::npos) << "Host and Transfer-Encoding only: " << r;
  EXPECT_EQ(get(c, "/health"), 200) << "the connection goes on";
}

// RFC 9110 10.1.1: a client that expects 100-continue gets it before sending its body (curl
// waits a second for it, other clients longer); the final answer follows the body. Another
// expectation is 417 and the connection closes (the body, sent or not, cannot be told apart).
TEST_F(HttpFramingTest, AnExpectationOf100ContinueIsAnsweredBeforeTheBody) {
  Client c(port_);
  c.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(c.response(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("{}");
  EXPECT_EQ(status_of(c.response()), 200);
  EXPECT_EQ(get(c, "/health"), 200) << "the connection goes on";
  // With its body already sent, as clients that do not wait do: the same answers.
  c.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(status_of(c.response()), 100);
  EXPECT_EQ(status_of(c.response()), 200);
  Client too_large(port_);  // a body past the limit is refused at its head, before any 100
  too_large.send(
      "POST /v1/declarations HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n");
  EXPECT_EQ(status_of(too_large.response()), 413);
  Client other(port_);
  other.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nExpect: a-miracle\r\nContent-Length: 2\r\n\r\n{}");
  const std::string r = other.response();
  EXPECT_EQ(status_of(r), 417) << r;
  EXPECT_NE(r.find("urn:problem-type:belgif:expectationFailed"), std::string::npos) << r;
  EXPECT_TRUE(other.closed_by_server());
  Client bodyless(port_);  // with or without a body
  bodyless.send("GET /v1/x HTTP/1.1\r\nHost: t\r\nExpect: a-miracle\r\n\r\n");
  EXPECT_EQ(status_of(bodyless.response()), 417);
  Client get_continue(port_);  // 100-continue on a request without a body: nothing to wait for, no 100
  get_continue.send("GET /v1/x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(status_of(get_continue.response()), 200);
}

// A chunk-size line is framing, not body: Beast's body limit does not count it, so an endless
// one (extensions, leading zeros) was buffered until the read timeout (2 GB from one
// connection). The connection's buffer has a limit: past it, 400 at once, and the connection closes.
TEST_F(HttpFramingTest, AnEndlessChunkSizeLineIsRefusedAtTheBuffersLimit) {
  for (const std::string& endless : {"1;" + std::string(200 * 1024, 'e'), std::string(200 * 1024, '0')}) {
    Client c(port_);
    const auto began = std::chrono::steady_clock::now();
    c.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + endless);
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 400) << r.substr(0, 300);
    EXPECT_NE(r.find("chunk-size line"), std::string::npos) << r.substr(0, 300);
    EXPECT_TRUE(c.closed_by_server());
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5)) << "not at the read timeout";
  }
  Client c(port_);  // chunks whose lines are short are served, whatever their count
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "1;x=y\r\n{\r\n";
  c.send("POST /v1/declarations HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "0\r\n\r\n");
  EXPECT_EQ(status_of(c.response()), 200);
}

// RFC 9112 3.2: a target is a path, an http(s) URI, or * for OPTIONS; never with a fragment.
TEST_F(HttpFramingTest, ATargetThatIsNoPathNorHttpUriIsRefused) {
  for (const char* target : {"/v1/x#frag", "example.com:80", "ftp://t/v1/x", "v1/x", "*"})
    expect_framing_refused("GET "s + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
}

// A method implemented for no resource is 405 with the server's methods in Allow (the router's
// 405 names a resource's); OPTIONS * (RFC 9110 9.3.7) is 204 with the same Allow.
TEST_F(HttpFramingTest, AnUnknownMethodOrConnectIsNotAllowedAndOptionsStarListsTheMethods) {
  for (const char* line : {"BREW /v1/x HTTP/1.1", "get /v1/x HTTP/1.1", "CONNECT t:443 HTTP/1.1"}) {
    Client c(port_);
    c.send(line + "\r\nHost: t\r\n\r\n"s);
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 405) << line << ": " << r;
    EXPECT_NE(Client::lower(r).find("allow: get, head, post, put"), std::string::npos) << r;
    EXPECT_TRUE(c.closed_by_server());
  }
  Client c(port_);
  c.send("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 204) << r;
  EXPECT_NE(Client::lower(r).find("allow: get, head, post, put"), std::string::npos) << r;
}

// --- The response's head -----------------------------------------------------------------

// The server writes the head itself (write_head): every byte is checked here, framing included.
TEST_F(HttpFramingTest, TheResponseHeadIsWrittenByteForByteAndTheServerOwnsItsFraming) {
  start(ServerOptions{}, [](HttpRequest r, std::function<void(HttpResponse)> done) {
    HttpResponse out = json_response(200, R"({"a":1})");
    if (r.path() == "/fields") {
      out.headers = {{"Cache-Control", "no-store"},
                     {"Allow", "GET"},
                     {"cache-control", "no-cache"},
                     {"Content-Length", "999"},
                     {"Connection", "keep-alive"},
                     {"Transfer-Encoding", "chunked"},
                     {"X-Split", "a\r\nInjected: 1\r\n\r\nbody"}};
    } else if (r.path() == "/empty") {
      out.status = 204;  // a body given with 204 is not sent (RFC 9110 15.3.5)
    } else if (r.path() == "/type") {
      out.headers = {{"content-type", "text/plain"}};
    }
    done(std::move(out));
  });
  Client c(port_);
  c.send("GET /fields HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(c.response(),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nAllow: GET\r\ncache-control: no-cache\r\n"
            "X-Split: aInjected: 1body\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  c.send("GET /empty HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(c.response(), "HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n");
  c.send("GET /type HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(c.response(), "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  // HEAD: the GET's Content-Length and no body; the next answer on the connection is whole.
  c.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(c.until_closed(),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 7\r\n\r\n"
            "{\"a\":1}");
}

// --- Connection caps ----------------------------------------------------------------------

// Opens n connections that the server has accepted and served once (so they count).
std::vector<std::unique_ptr<Client>> open_served(uint16_t port, size_t n) {
  std::vector<std::unique_ptr<Client>> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::make_unique<Client>(port));
    out.back()->send("GET /v1/hold HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(status_of(out.back()->response()), 200) << "connection " << i;
  }
  return out;
}

void expect_over_capacity(uint16_t port) {
  {
    Client busy(port);
    busy.send("GET /v1/anything HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string r = busy.response();
    EXPECT_EQ(status_of(r), 503) << r;
    EXPECT_NE(Client::lower(r).find("content-type: application/problem+json"), std::string::npos) << r;
    EXPECT_NE(r.find("urn:problem-type:belgif:serviceUnavailable"), std::string::npos) << r;
    EXPECT_NE(Client::lower(r).find("retry-after: 1"), std::string::npos) << r;
    EXPECT_TRUE(busy.closed_by_server());
  }
  Client probe(port);  // a monitoring probe is answered at the cap, at once
  const auto began = std::chrono::steady_clock::now();
  probe.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string r = probe.response();
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(r.find(R"({"status":"UP"})"), std::string::npos) << r;
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(1));
  EXPECT_TRUE(probe.closed_by_server());
}

// After a held connection closes, the server frees its slot (it notices the close asynchronously).
void expect_served_again(uint16_t port) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    Client c(port);
    c.send("GET /v1/anything HTTP/1.1\r\nHost: t\r\n\r\n");
    if (status_of(c.response()) == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "a freed connection slot never served again";
}

TEST_F(HttpFramingTest, PastTheTotalCapOnlyHealthIsAnswered) {
  ServerOptions options;
  options.connections_max = 4;
  start(options);
  auto held = open_served(port_, 4);
  expect_over_capacity(port_);
  for (auto& c : held) EXPECT_EQ(get(*c, "/v1/still-served"), 200);  // the admitted ones keep going
  held.pop_back();
  expect_served_again(port_);
}

TEST_F(HttpFramingTest, PastThePerClientCapOnlyHealthIsAnswered) {
  ServerOptions options;
  options.connections_per_client_max = 3;
  start(options);
  auto held = open_served(port_, 3);
  expect_over_capacity(port_);
  held.clear();
  expect_served_again(port_);
}

TEST_F(HttpFramingTest, CapsOfZeroAreRefusedAtStart) {
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.connections_max = 0;
  EXPECT_FALSE(HttpServer::start(options, [](HttpRequest, std::function<void(HttpResponse)>) {}).is_ok());
}

}  // namespace
}  // namespace dimona::api
