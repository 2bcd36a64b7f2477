#include "api/token_cache.h"

#include "api/http.h"

namespace dimona::api {

AuthResult TokenCache::authenticate(std::string_view authorization, Instant now) {
  Shard& shard = shards_[TokenHash{}(authorization) % shards_.size()];
  {
    std::shared_lock lock(shard.mutex);  // the common case, a token seen before: readers do not wait for each other
    if (auto it = shard.verified.find(authorization); it != shard.verified.end() && now < it->second.expires_at)
      return it->second;
  }
  {
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.verified.find(authorization); it != shard.verified.end() && !(now < it->second.expires_at))
      shard.verified.erase(it);  // expired: verify() says so with the right problem
  }
  AuthResult result = verifier_.verify(authorization, now);
  if (result) {
    std::lock_guard lock(shard.mutex);
    if (shard.verified.size() >= http_limits::verified_tokens_cached_max / shards_.size()) shard.verified.clear();
    shard.verified.emplace(std::string(authorization), result.principal());
  }
  return result;
}

}  // namespace dimona::api
