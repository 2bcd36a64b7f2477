// LoopbackForwarder: a fixed loopback port that forwards TCP connections to
// another loopback address (kafka-mock's --port).
//
// Contract. start(port, target) listens on 127.0.0.1:port (never another
// address) and, for each accepted connection, connects to target
// ("127.0.0.1:PORT") and copies bytes both ways until either side closes.
// Why: librdkafka 2.0.2's mock cluster binds each broker to an ephemeral
// port (src/rdkafka_mock.c, rd_kafka_mock_broker_new: sin_port 0) and has
// no knob for it; the forwarder gives a stable BOOTSTRAP address only.
// Kafka clients learn the brokers' advertised addresses from the Metadata
// answer and then connect to those directly, as with any bootstrap server.
// Ownership and threading: the object owns its listening socket and one
// thread per connection plus an accept thread; the destructor closes every
// socket and joins every thread. At most forwarder_limits::connections_max
// connections are open at once; one more is accepted and closed at once.
// Errors: kInvalidArgument (a target that is not 127.0.0.1:PORT), kIoError
// (the port cannot be bound: in use, or privileged).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/base/status.h"

namespace dimona::api {

namespace forwarder_limits {
inline constexpr size_t connections_max = 256;  // open forwarded connections at once
inline constexpr size_t copy_buffer_bytes = size_t{64} * 1024;
inline constexpr int stop_check_ms = 200;  // how often the threads look at the stop flag
}  // namespace forwarder_limits

class LoopbackForwarder {
 public:
  static Result<std::unique_ptr<LoopbackForwarder>> start(uint16_t port, std::string_view target);
  ~LoopbackForwarder();
  LoopbackForwarder(const LoopbackForwarder&) = delete;
  LoopbackForwarder& operator=(const LoopbackForwarder&) = delete;

  uint16_t port() const;

  struct State;

 private:
  explicit LoopbackForwarder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace dimona::api
