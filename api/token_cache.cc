#include "api/token_cache.h"

#include "api/http.h"

namespace dimona::api {

AuthResult TokenCache::authenticate(std::string_view authorization, Instant now) {
  if (std::optional<Principal> seen =
          verified_.find(authorization, [now](const Principal& p) { return now < p.expires_at; }))
    return std::move(*seen);
  AuthResult result = verifier_.verify(authorization, now);
  if (result) verified_.put(authorization, result.principal());
  return result;
}

}  // namespace dimona::api
