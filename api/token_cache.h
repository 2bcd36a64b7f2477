// TokenCache: bearer tokens already verified, until their expiry, in front
// of a TokenVerifier: a signature check (ECDSA or RSA) costs far more than
// the rest of a GET.
//
// Contract. authenticate() answers what TokenVerifier::verify() would at
// `now` (the wall clock): a cached principal only while now < its expiry;
// an expired entry is dropped and verified again, so the refusal is the
// verifier's own. At most http_limits::verified_tokens_cached_max tokens;
// cleared when full. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/auth.h"

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
  TokenVerifier verifier_;
  std::mutex mutex_;
  std::unordered_map<std::string, Principal, TokenHash, std::equal_to<>> verified_;
};

}  // namespace dimona::api
