// LoopbackForwarder (kafka-mock --port): bytes both ways, loopback only, refusals.
#include "api/loopback_forwarder.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace dimona::api {
namespace {

int listen_loopback(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  *port = ntohs(address.sin_port);
  return fd;
}

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

std::string read_exactly(int fd, size_t n) {
  std::string s(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, s.data() + got, n - got, 0);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  s.resize(got);
  return s;
}

TEST(LoopbackForwarder, CopiesBytesBothWaysAndASideClosingEndsTheOther) {
  uint16_t target_port = 0;
  const int target = listen_loopback(&target_port);
  Result<std::unique_ptr<LoopbackForwarder>> forwarder =
      LoopbackForwarder::start(0, "127.0.0.1:" + std::to_string(target_port));
  ASSERT_TRUE(forwarder.is_ok()) << forwarder.status().to_string();
  ASSERT_NE((*forwarder)->port(), 0);
  const int client = connect_loopback((*forwarder)->port());
  const int upstream = ::accept(target, nullptr, nullptr);
  ASSERT_GE(upstream, 0);
  const std::string big(300'000, 'k');  // more than one copy buffer
  std::thread writer([&] { ASSERT_EQ(::send(client, big.data(), big.size(), 0), static_cast<ssize_t>(big.size())); });
  EXPECT_EQ(read_exactly(upstream, big.size()), big);
  writer.join();
  ASSERT_EQ(::send(upstream, "pong", 4, 0), 4);
  EXPECT_EQ(read_exactly(client, 4), "pong");
  ::close(upstream);
  char byte;
  EXPECT_EQ(::recv(client, &byte, 1, 0), 0) << "the far side closed: so does the forwarded connection";
  ::close(client);
  ::close(target);
}

TEST(LoopbackForwarder, RefusesATargetBeyondLoopbackAndAPortInUse) {
  EXPECT_EQ(LoopbackForwarder::start(0, "10.0.0.1:9092").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(LoopbackForwarder::start(0, "127.0.0.1:").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(LoopbackForwarder::start(0, "127.0.0.1:99999").status().code(), Code::kInvalidArgument);
  uint16_t held_port = 0;
  const int held = listen_loopback(&held_port);
  Result<std::unique_ptr<LoopbackForwarder>> clash = LoopbackForwarder::start(held_port, "127.0.0.1:9");
  EXPECT_EQ(clash.status().code(), Code::kIoError);
  EXPECT_NE(clash.status().to_string().find("cannot listen on 127.0.0.1:" + std::to_string(held_port)),
            std::string::npos);
  ::close(held);
}

TEST(LoopbackForwarder, AClientIsClosedWhenTheTargetIsNotThere) {
  uint16_t dead_port = 0;
  ::close(listen_loopback(&dead_port));  // nothing listens there any more
  Result<std::unique_ptr<LoopbackForwarder>> forwarder =
      LoopbackForwarder::start(0, "127.0.0.1:" + std::to_string(dead_port));
  ASSERT_TRUE(forwarder.is_ok());
  const int client = connect_loopback((*forwarder)->port());
  char byte;
  EXPECT_EQ(::recv(client, &byte, 1, 0), 0);
  ::close(client);
}

}  // namespace
}  // namespace dimona::api
