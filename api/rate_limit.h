// RateLimiter: how many attempts a key (a principal, a client address) may
// make in a window of wall-clock time; and the client address a request
// counts against.
//
// Contract. allow() counts one attempt of `key` at `now` and says whether it
// is within `attempts_per_window` for the fixed window (now / window) it
// falls in; a new window starts every key at zero. `now` is the wall clock
// (Clock::now()), never ledger time: imported history ahead of the clock
// must not freeze the window. At most `keys_max` keys are remembered: past
// it, the keys of past windows are forgotten first, then all of them (a
// flood of new keys costs memory only up to the bound). Thread-safe.
//
// client_address(): the peer's address, unless the peer is the configured
// trusted proxy and the request carries X-Forwarded-For; then the address
// the proxy appended (the last of the field's last line, comma-separated,
// trimmed), parsed as an IP address and written in its canonical form (one
// client, one key: "::ffff:10.0.0.1" is "10.0.0.1"). An empty, oversized or
// garbled value (a port, a name) counts as the proxy itself. X-Forwarded-For
// from any other peer is ignored (anyone can write it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/http.h"
#include "engine/base/time.h"

namespace dimona::api {

class RateLimiter {
 public:
  RateLimiter(int attempts_per_window, int64_t window_seconds, size_t keys_max);
  [[nodiscard]] bool allow(const std::string& key, Instant now);

 private:
  const int attempts_per_window_;
  const int64_t window_micros_;
  const size_t keys_max_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::pair<int64_t, int>> attempts_;  // key -> (window, count)
};

std::string client_address(const HttpRequest& request, std::string_view trusted_proxy);

}  // namespace dimona::api
