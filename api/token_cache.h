// TokenCache: bearer tokens already verified, until their expiry, in front
// of a TokenVerifier: a signature check (ECDSA or RSA) costs far more than
// the rest of a GET.
//
// Contract. authenticate() answers what TokenVerifier::verify() would at
// `now` (the wall clock): a cached principal only while now < its expiry;
// an expired entry is dropped and verified again, so the refusal is the
// verifier's own. At most http_limits::verified_tokens_cached_max tokens, in
// http_limits::verified_tokens_cache_shards shards by the token's hash, each
// cleared when full. Thread-safe: a token seen before is answered under its
// shard's shared lock, so concurrent requests do not wait for each other.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/auth.h"
#include "api/http.h"

namespace dimona::api {

class TokenCache {
 public:
  explicit TokenCache(TokenVerifier verifier) : verifier_(std::move(verifier)) {}
  AuthResult authenticate(std::string_view authorization, Instant now);

 private:
  struct TokenHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    std::shared_mutex mutex;
    std::unordered_map<std::string, Principal, TokenHash, std::equal_to<>> verified;
  };
  TokenVerifier verifier_;
  std::array<Shard, http_limits::verified_tokens_cache_shards> shards_;
};

}  // namespace dimona::api
