// Bearer tokens for the REST API: who calls, and in which role.
//
// Contract. TokenVerifier checks the value of an Authorization header,
// "Bearer <compact JWS>" (RFC 6750, RFC 7515/7519), against the public keys
// of a JWKS (RFC 7517) given at construction: EC P-256 keys for ES256 and RSA
// keys (2048..8192 bits) for RS256. The token's "alg" must be the alg of the
// key it names by "kid" (with no "kid", the key set must hold exactly one
// key); "none", HS* and everything else are refused, and keys are never taken
// from the token ("jwk", "jku", "x5u" are ignored; a "crit" header is
// refused). After the signature: "iss" must be the configured issuer, "aud"
// (a string or an array) must contain the configured audience, "exp" is
// required and "nbf" is honoured, both with a leeway of
// kClockLeewaySeconds. The claim "role" is required; "ssin" (a valid SSIN,
// as a string) is required for a citizen; "enterpriseNumber" (a valid one,
// as a string) is required for an employer and an agency, optional for a
// declarant; "sub" is optional. A refusal is an AuthFailure: kNoAccessToken
// when there is no token at all, kExpiredAccessToken when an authentic token
// is past its "exp", kInvalidAccessToken for everything else. Its detail is
// safe to show and to log: it never repeats the token, a claim value or an
// SSIN, and says nothing about whether a person exists. Configuration errors
// (a bad JWKS) are Statuses that may name the file and a key's "kid".
//
// TokenMinter signs ES256 tokens with a local development key, for
// `dimona-ledger token`, the demo and the tests; it must not be used for
// production tokens. open_dev_key() keeps the private key in
// DIR/dev-signing-key.pem (created with mode 0600; a file others may read is
// refused) and writes the public DIR/dev-jwks.json, which a TokenVerifier
// loads. The key id is the key's RFC 7638 thumbprint.
//
// Lifetime and threading: both classes own their OpenSSL keys, are movable
// and not copyable; their const methods are safe to call from many threads.
// Time is injected: every check takes `now`. Limits are named below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/identifiers.h"

namespace dimona::api {

// --- Limits -------------------------------------------------------------------------
// A token (the part after "Bearer ") longer than this is refused before decoding.
inline constexpr size_t kTokenBytesMax = size_t{8} * 1024;
// Clock difference tolerated between the issuer and us, for "exp" and "nbf".
inline constexpr int64_t kClockLeewaySeconds = 60;
// A "sub" claim longer than this is refused.
inline constexpr size_t kSubjectBytesMax = 256;
// A JWKS document larger than this, or with more keys, is refused.
inline constexpr size_t kJwksBytesMax = size_t{1024} * 1024;
inline constexpr size_t kJwksKeysMax = 64;
// RSA moduli accepted for RS256.
inline constexpr int kRsaModulusBitsMin = 2048;
inline constexpr int kRsaModulusBitsMax = 8192;
// JSON nesting accepted in a token's header or payload and in a JWKS.
inline constexpr size_t kJsonDepthMax = 16;
// A dev key PEM file larger than this is refused.
inline constexpr size_t kDevKeyFileBytesMax = size_t{16} * 1024;
// A minted token lives 1 s .. 1 day.
inline constexpr int64_t kMintLifetimeSecondsMax = 86'400;
static_assert(kSubjectBytesMax < kTokenBytesMax / 4, "a maximal subject fits in a token");
static_assert(kClockLeewaySeconds < kMintLifetimeSecondsMax, "a minted token outlives the leeway");

// --- Roles and principals -------------------------------------------------------------
enum class Role : unsigned char { kCitizen, kEmployer, kAgency, kAuditor, kDeclarant };

// "citizen", "employer", "agency", "auditor", "declarant"; nothing else.
std::optional<Role> parse_role(std::string_view name);
std::string_view role_name(Role role);

// Who calls. Only the fields of the role are set; the others stay zero.
struct Principal {
  Role role = Role::kCitizen;  // the default sees least: a citizen with no SSIN matches nobody
  Ssin ssin;                   // citizen
  uint64_t employer = 0;       // employer_key() of the enterprise number: employer, agency, declarant (0: none)
  std::string subject;         // "sub", may be empty
  Instant expires_at;          // "exp"
};

// The principal a development token is minted for (`dimona-ledger token`, the portal's
// development sign-in), from its claims as text. A refusal names the claim first ("ssin: ...",
// "enterpriseNumber: ..."): an unknown role, a citizen without a valid SSIN, an employer or
// agency without a valid enterprise number, a subject over kSubjectBytesMax. An enterprise
// number is kept for a declarant when given; a citizen's or an auditor's is refused.
struct PrincipalClaims {
  std::string_view role, ssin, enterprise_number, subject;
};
Result<Principal> principal_from(const PrincipalClaims& claims);

// --- Refusals (Belgif problem types, all HTTP 401) -------------------------------------
enum class AuthError : unsigned char { kNoAccessToken, kInvalidAccessToken, kExpiredAccessToken };

struct AuthFailure {
  AuthError error = AuthError::kInvalidAccessToken;
  std::string detail;  // one line, safe to show: no token, no claim value, no SSIN
};

inline constexpr int kAuthFailureHttpStatus = 401;
// "urn:problem-type:belgif:noAccessToken", ...
std::string_view problem_type(AuthError error);
// "No access token", "Invalid access token", "Expired access token".
std::string_view problem_title(AuthError error);
// The WWW-Authenticate value of a 401 (RFC 6750 §3): `Bearer` alone when no
// token was sent, `Bearer error="invalid_token"` otherwise.
std::string_view www_authenticate(AuthError error);

// A Principal or an AuthFailure.
class [[nodiscard]] AuthResult {
 public:
  AuthResult(Principal principal) : state_(std::move(principal)) {}  // NOLINT: implicit on purpose
  AuthResult(AuthFailure failure) : state_(std::move(failure)) {}    // NOLINT

  bool is_ok() const { return std::holds_alternative<Principal>(state_); }
  explicit operator bool() const { return is_ok(); }
  const Principal& principal() const {
    DIMONA_ASSERT(is_ok());
    return std::get<Principal>(state_);
  }
  const AuthFailure& failure() const {
    DIMONA_ASSERT(!is_ok());
    return std::get<AuthFailure>(state_);
  }

 private:
  std::variant<Principal, AuthFailure> state_;
};

// --- Verification ------------------------------------------------------------------
class TokenVerifier {
 public:
  // kInvalidArgument when the JWKS is not JSON, holds a malformed EC or RSA
  // key, a duplicate "kid", or no usable signing key (keys of other types or
  // with "use" other than "sig" are skipped), or when issuer or audience is empty.
  static Result<TokenVerifier> from_jwks(std::string_view jwks_json, std::string issuer, std::string audience);
  // As above, read from a file (kFailedPrecondition when it cannot be read).
  static Result<TokenVerifier> from_jwks_file(const std::string& path, std::string issuer, std::string audience);

  TokenVerifier(TokenVerifier&&) noexcept;
  TokenVerifier& operator=(TokenVerifier&&) noexcept;
  ~TokenVerifier();

  // `authorization` is the Authorization header's value, "" when absent.
  AuthResult verify(std::string_view authorization, Instant now) const;
  size_t key_count() const;

 private:
  struct Keys;
  TokenVerifier(std::unique_ptr<Keys> keys, std::string issuer, std::string audience);
  std::unique_ptr<Keys> keys_;
  std::string issuer_;
  std::string audience_;
};

// --- Minting (development key) -------------------------------------------------------
class TokenMinter {
 public:
  // Creates `dir` (mode 0700) if needed. kFailedPrecondition when the key
  // file cannot be read or written, is readable by others, or is not a P-256
  // private key.
  static Result<TokenMinter> open_dev_key(const std::string& dir);

  TokenMinter(TokenMinter&&) noexcept;
  TokenMinter& operator=(TokenMinter&&) noexcept;
  ~TokenMinter();

  // A compact JWS (ES256) with iss, aud, sub (when not empty), role, ssin or
  // enterpriseNumber as the role has them, iat = now and exp = now +
  // lifetime. `p.expires_at` is not read. Asserts (callers check input
  // first) that the principal is consistent (a citizen has a valid SSIN, an
  // employer or agency an enterprise number, the subject is at most
  // kSubjectBytesMax), issuer and audience are not empty, and
  // 1 <= lifetime_seconds <= kMintLifetimeSecondsMax.
  std::string mint(const Principal& p, Instant now, int64_t lifetime_seconds, std::string_view issuer,
                   std::string_view audience) const;
  // {"keys":[{"kty":"EC","crv":"P-256","x":…,"y":…,"kid":…,"alg":"ES256","use":"sig"}]}
  const std::string& jwks_json() const { return jwks_json_; }
  const std::string& key_id() const { return key_id_; }

 private:
  struct Key;
  TokenMinter(std::unique_ptr<Key> key, std::string key_id, std::string jwks_json);
  std::unique_ptr<Key> key_;
  std::string key_id_;
  std::string jwks_json_;
};

inline constexpr std::string_view kDevSigningKeyFile = "dev-signing-key.pem";
inline constexpr std::string_view kDevJwksFile = "dev-jwks.json";

}  // namespace dimona::api
