#include "api/rate_limit.h"

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

// An IPv4 or IPv6 address as text (digits, hex, '.', ':', and a zone's '%'), nothing else.
bool looks_like_address(std::string_view s) {
  constexpr size_t kAddressCharsMax = 64;
  if (s.empty() || s.size() > kAddressCharsMax) return false;
  for (const char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
                    c == ':' || c == '%';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string client_address(const HttpRequest& request, std::string_view trusted_proxy) {
  if (trusted_proxy.empty() || request.client != trusted_proxy) return request.client;
  const std::string_view forwarded = request.header("x-forwarded-for");
  const size_t comma = forwarded.rfind(',');
  const std::string_view last = trim_ows(comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1));
  if (!looks_like_address(last)) return request.client;
  return std::string(last);
}

}  // namespace dimona::api
