#include "api/token_cache.h"

#include "api/http.h"

namespace dimona::api {

AuthResult TokenCache::authenticate(std::string_view authorization, Instant now) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = verified_.find(authorization); it != verified_.end()) {
      if (now < it->second.expires_at) return it->second;
      verified_.erase(it);  // expired: verify() says so with the right problem
    }
  }
  AuthResult result = verifier_.verify(authorization, now);
  if (result) {
    std::lock_guard lock(mutex_);
    if (verified_.size() >= http_limits::verified_tokens_cached_max) verified_.clear();
    verified_.emplace(std::string(authorization), result.principal());
  }
  return result;
}

}  // namespace dimona::api
