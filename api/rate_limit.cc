#include "api/rate_limit.h"

#include <optional>

#include <boost/asio/ip/address.hpp>

#include "engine/base/assert.h"

namespace dimona::api {

RateLimiter::RateLimiter(int attempts_per_window, int64_t window_seconds, size_t keys_max)
    : attempts_per_window_(attempts_per_window), window_micros_(window_seconds * kMicrosPerSecond), keys_max_(keys_max) {
  DIMONA_ASSERT(attempts_per_window > 0 && window_seconds > 0 && keys_max > 0);
}

bool RateLimiter::allow(const std::string& key, Instant now) {
  const int64_t window = now.micros / window_micros_;
  std::lock_guard lock(mutex_);
  if (attempts_.size() >= keys_max_ && !attempts_.contains(key)) {
    std::erase_if(attempts_, [window](const auto& entry) { return entry.second.first != window; });
    if (attempts_.size() >= keys_max_) attempts_.clear();  // a flood within one window: start over, bounded
  }
  auto& [at, count] = attempts_[key];
  if (at != window) at = window, count = 0;
  if (count >= attempts_per_window_) return false;
  ++count;
  return true;
}

namespace {

// An IP address in its one canonical text (an IPv4-mapped IPv6 address as IPv4, IPv6 in RFC 5952
// form), so that one client has one key; nullopt for anything else (a port, a name, "300.1.1.1").
std::optional<std::string> canonical_address(std::string_view text) {
  constexpr size_t kAddressCharsMax = 64;
  // No zone ("%eth0"): it names a link of the proxy's host, no client.
  if (text.empty() || text.size() > kAddressCharsMax || text.find('%') != std::string_view::npos) return std::nullopt;
  boost::system::error_code error;
  const boost::asio::ip::address a = boost::asio::ip::make_address(std::string(text), error);
  if (error) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

}  // namespace

std::string client_address(const HttpRequest& request, std::string_view trusted_proxy) {
  if (trusted_proxy.empty() || request.client != trusted_proxy) return request.client;
  // The proxy appends the client's address to the field's last line (a client may send lines of
  // its own before it).
  const std::string_view forwarded = request.last_header("x-forwarded-for");
  const size_t comma = forwarded.rfind(',');
  const std::string_view last = trim_ows(comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1));
  return canonical_address(last).value_or(request.client);
}

}  // namespace dimona::api
