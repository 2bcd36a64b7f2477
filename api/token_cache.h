// TokenCache: bearer tokens already verified, until their expiry, in front
// of a TokenVerifier: a signature check (ECDSA or RSA) costs far more than
// the rest of a GET.
//
// Contract. authenticate() answers what TokenVerifier::verify() would at
// `now` (the wall clock): a cached principal only while now < its expiry;
// past it the token is verified again, so the refusal is the verifier's own
// (which reads the expiry before the signature: an expired token costs no
// signature check). At most http_limits::verified_tokens_cached_max tokens, in
// http_limits::verified_tokens_cache_shards shards (engine/base/sharded_cache.h).
// Thread-safe: a token seen before is answered under its shard's shared lock,
// so concurrent requests do not wait for each other.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/auth.h"
#include "api/http.h"
#include "engine/base/sharded_cache.h"

namespace dimona::api {

class TokenCache {
 public:
  explicit TokenCache(TokenVerifier verifier) : verifier_(std::move(verifier)) {}
  AuthResult authenticate(std::string_view authorization, Instant now);

 private:
  // A token's last 64 bytes: its signature's (ES256: 86 base64url characters drawn afresh for
  // each token), so the hash reads a fifth of a token, not all of it, twice a request (the shard,
  // then the map). Equality still compares whole tokens, and only verified tokens are kept, so a
  // forged token sharing a kept one's tail finds nothing and fills no bucket.
  struct TokenHash {
    using is_transparent = void;
    static constexpr size_t kTailBytes = 64;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s.size() > kTailBytes ? s.substr(s.size() - kTailBytes) : s);
    }
  };
  TokenVerifier verifier_;
  ShardedCache<std::string, Principal, http_limits::verified_tokens_cache_shards, TokenHash> verified_{
      http_limits::verified_tokens_cached_max};
};

}  // namespace dimona::api
