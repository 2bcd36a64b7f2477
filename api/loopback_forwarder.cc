// A thread per forwarded connection: a handful of Kafka clients on a developer's machine.
#include "api/loopback_forwarder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dimona::api {

struct LoopbackForwarder::State {
  int listen_fd = -1;
  uint16_t port = 0;
  sockaddr_in target{};
  std::atomic<bool> stop{false};
  std::thread acceptor;
  std::mutex mutex;
  std::condition_variable closed;
  size_t open = 0;  // connection threads alive (guarded by mutex)
  ~State() {
    if (listen_fd >= 0) ::close(listen_fd);
  }
};

namespace {

std::string errno_text() { return std::strerror(errno); }

Result<sockaddr_in> loopback_address(std::string_view target) {
  constexpr std::string_view kHost = "127.0.0.1:";
  uint16_t port = 0;
  if (!target.starts_with(kHost))
    return invalid_argument("forward target " + std::string(target) + " is not 127.0.0.1:PORT");
  const std::string_view digits = target.substr(kHost.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0) {
    return invalid_argument("forward target " + std::string(target) + " has no valid port");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Writes all of data to fd; false when the peer is gone.
bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Copies bytes both ways until a side closes or the forwarder stops.
void pump(LoopbackForwarder::State& state, int client, int upstream) {
  std::vector<char> buffer(forwarder_limits::copy_buffer_bytes);
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  while (!state.stop.load()) {
    const int ready = ::poll(fds, 2, forwarder_limits::stop_check_ms);
    if (ready < 0 && errno != EINTR) break;
    bool open = true;
    for (int i = 0; i < 2 && open; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::recv(fds[i].fd, buffer.data(), buffer.size(), 0);
      open = n > 0 && write_all(fds[1 - i].fd, buffer.data(), static_cast<size_t>(n));
    }
    if (!open) break;
  }
  ::close(client);
  ::close(upstream);
  std::lock_guard lock(state.mutex);
  --state.open;
  state.closed.notify_all();
}

void serve_connection(LoopbackForwarder::State& state, int client) {
  {
    std::lock_guard lock(state.mutex);
    if (state.open >= forwarder_limits::connections_max) {
      ::close(client);
      return;
    }
    ++state.open;
  }
  const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (upstream < 0 || ::connect(upstream, reinterpret_cast<const sockaddr*>(&state.target), sizeof state.target) != 0) {
    if (upstream >= 0) ::close(upstream);
    ::close(client);
    std::lock_guard lock(state.mutex);
    --state.open;
    state.closed.notify_all();
    return;
  }
  std::thread(pump, std::ref(state), client, upstream).detach();
}

void accept_loop(LoopbackForwarder::State& state) {
  pollfd listening{state.listen_fd, POLLIN, 0};
  while (!state.stop.load()) {
    if (::poll(&listening, 1, forwarder_limits::stop_check_ms) <= 0) continue;
    const int client = ::accept4(state.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) serve_connection(state, client);
  }
}

}  // namespace

Result<std::unique_ptr<LoopbackForwarder>> LoopbackForwarder::start(uint16_t port, std::string_view target) {
  Result<sockaddr_in> to = loopback_address(target);
  DIMONA_TRY(to);
  auto state = std::make_unique<State>();
  state->target = *to;
  state->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (state->listen_fd < 0) return io_error("socket: " + errno_text());
  const int yes = 1;
  ::setsockopt(state->listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(state->listen_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return io_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + errno_text());
  }
  if (::listen(state->listen_fd, SOMAXCONN) != 0) return io_error("listen: " + errno_text());
  socklen_t length = sizeof address;
  ::getsockname(state->listen_fd, reinterpret_cast<sockaddr*>(&address), &length);
  state->port = ntohs(address.sin_port);
  State& s = *state;
  state->acceptor = std::thread(accept_loop, std::ref(s));
  return std::unique_ptr<LoopbackForwarder>(new LoopbackForwarder(std::move(state)));
}

LoopbackForwarder::LoopbackForwarder(std::unique_ptr<State> state) : state_(std::move(state)) {}

LoopbackForwarder::~LoopbackForwarder() {
  state_->stop.store(true);
  state_->acceptor.join();
  std::unique_lock lock(state_->mutex);
  state_->closed.wait(lock, [this] { return state_->open == 0; });
}

uint16_t LoopbackForwarder::port() const { return state_->port; }

}  // namespace dimona::api
