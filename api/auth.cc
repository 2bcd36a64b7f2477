#include "api/auth.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

// Boost.JSON: the compiled library when CMake found it, else its sources,
// compiled here once (api/auth.cmake decides).
#if defined(DIMONA_BOOST_JSON_HEADER_ONLY)
#include <boost/json/src.hpp>
#else
#include <boost/json.hpp>
#endif

#include "api/http.h"  // trim_ows, inline: no link to the HTTP layer
#include "engine/base/assert.h"
#include "engine/base/display_text.h"
#include "engine/base/private_file.h"
#include "engine/base/small_file.h"

#include "engine/base/simdjson_abi.h"

namespace dimona::api {
namespace json = boost::json;

namespace {

// --- OpenSSL ownership ---------------------------------------------------------------
struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, OpenSslFree>;
using PkeyPtr = Owned<EVP_PKEY>;

// ES256 signatures are r || s, each a 32-byte big-endian integer (RFC 7518 §3.4).
constexpr size_t kP256ScalarBytes = 32;
constexpr size_t kEs256SignatureBytes = 2 * kP256ScalarBytes;
// "exp" and "nbf" beyond 9999-12-31T23:59:59Z are malformed (and would overflow micros).
constexpr int64_t kNumericDateSecondsMax = 253'402'300'799;

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// --- base64url (RFC 4648 §5), without padding --------------------------------------------
constexpr std::string_view kBase64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64UrlAlphabet[(acc >> bits) & 63]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kBase64UrlAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

// Strict: only the URL alphabet, no padding, and unused trailing bits zero,
// so every byte string has exactly one accepted encoding.
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = base64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
    acc &= (1u << bits) - 1;
  }
  if (acc != 0) return std::nullopt;
  return out;
}

// --- JSON --------------------------------------------------------------------------------
// `repeated` (optional) is set when the text is an object that names a member twice.
std::optional<json::object> parse_object(std::string_view text, bool* repeated = nullptr) {
  json::parse_options options;
  options.max_depth = kJsonDepthMax;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, json::storage_ptr(), options);
  if (ec || !v.is_object()) return std::nullopt;
  // A name given twice is refused, as request bodies refuse it: Boost keeps one of them, and a
  // token saying "role":"citizen" then "role":"auditor" must not be read as either.
  const simdjson::padded_string padded(text);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) return std::nullopt;
  size_t members = 0;
  for (auto field : object) {
    if (field.error()) return std::nullopt;
    ++members;
  }
  if (members != v.as_object().size()) {
    if (repeated) *repeated = true;
    return std::nullopt;
  }
  return std::move(v.as_object());
}

// A member that must be a string when present: nullopt when absent, "bad" is set when not a string.
std::optional<std::string_view> string_member(const json::object& o, std::string_view key, bool* bad) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return std::nullopt;
  const json::string* s = v->if_string();
  if (s == nullptr) {
    *bad = true;
    return std::nullopt;
  }
  return std::string_view(s->data(), s->size());
}

// An RFC 7519 NumericDate, in whole seconds; nullopt when it is not one.
std::optional<int64_t> numeric_date(const json::value& v) {
  int64_t seconds = -1;
  if (const int64_t* i = v.if_int64())
    seconds = *i;
  else if (const uint64_t* u = v.if_uint64())
    seconds = *u > uint64_t(kNumericDateSecondsMax) ? -1 : int64_t(*u);
  else if (const double* d = v.if_double()) {
    if (std::isfinite(*d) && *d >= 0 && *d <= double(kNumericDateSecondsMax)) seconds = int64_t(std::floor(*d));
  }
  if (seconds < 0 || seconds > kNumericDateSecondsMax) return std::nullopt;
  return seconds;
}

// --- Refusals ------------------------------------------------------------------------------
AuthFailure invalid(std::string_view detail) { return {AuthError::kInvalidAccessToken, std::string(detail)}; }

template <typename T>
using Checked = std::variant<T, AuthFailure>;

// --- Keys ------------------------------------------------------------------------------------
Result<PkeyPtr> pkey_from_params(const char* type, OSSL_PARAM_BLD* bld, const std::string& what) {
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  const bool built = params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                     EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) == 1;
  PkeyPtr pkey(raw);
  if (!built) {
    ERR_clear_error();
    return invalid_argument(what + " is not a valid public key");
  }
  Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return invalid_argument(what + " is not a valid public key");
  }
  return pkey;
}

Result<PkeyPtr> ec_p256_key(const json::object& jwk, const std::string& what) {
  bool bad = false;
  auto x = string_member(jwk, "x", &bad);
  auto y = string_member(jwk, "y", &bad);
  if (bad || !x || !y) return invalid_argument(what + " needs \"x\" and \"y\" as strings");
  auto xb = base64url_decode(*x);
  auto yb = base64url_decode(*y);
  if (!xb || !yb || xb->size() != kP256ScalarBytes || yb->size() != kP256ScalarBytes)
    return invalid_argument(what + ": \"x\" and \"y\" must be 32 bytes in base64url");
  const std::string point = "\x04" + *xb + *yb;  // SEC 1 uncompressed
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  DIMONA_ASSERT(bld != nullptr);
  const bool pushed =
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1;
  DIMONA_ASSERT(pushed);
  return pkey_from_params("EC", bld.get(), what);
}

std::string_view without_leading_zeros(std::string_view s) {
  while (!s.empty() && s.front() == '\0') s.remove_prefix(1);
  return s;
}

Result<PkeyPtr> rsa_key(const json::object& jwk, const std::string& what) {
  bool bad = false;
  auto n64 = string_member(jwk, "n", &bad);
  auto e64 = string_member(jwk, "e", &bad);
  if (bad || !n64 || !e64) return invalid_argument(what + " needs \"n\" and \"e\" as strings");
  auto nb = base64url_decode(*n64);
  auto eb = base64url_decode(*e64);
  if (!nb || !eb) return invalid_argument(what + ": \"n\" and \"e\" must be base64url");
  const std::string_view n = without_leading_zeros(*nb);
  const std::string_view e = without_leading_zeros(*eb);
  if (n.empty() || e.empty() || e.size() > sizeof(uint64_t))
    return invalid_argument(what + " has an empty modulus or a bad exponent");
  int top_bits = 0;
  for (unsigned top = static_cast<unsigned char>(n.front()); top != 0; top >>= 1) ++top_bits;
  const size_t bits = (n.size() - 1) * 8 + static_cast<size_t>(top_bits);
  if (bits < size_t(kRsaModulusBitsMin) || bits > size_t(kRsaModulusBitsMax))
    return invalid_argument(what + " has a " + std::to_string(bits) + "-bit modulus (accepted: " +
                            std::to_string(kRsaModulusBitsMin) + ".." + std::to_string(kRsaModulusBitsMax) + ")");
  const bool e_odd = (static_cast<unsigned char>(e.back()) & 1) != 0;
  const bool n_odd = (static_cast<unsigned char>(n.back()) & 1) != 0;
  if (!e_odd || !n_odd || (e.size() == 1 && static_cast<unsigned char>(e[0]) < 3))
    return invalid_argument(what + " has an even modulus or a bad exponent");
  Owned<BIGNUM> nbn(BN_bin2bn(bytes_of(n), static_cast<int>(n.size()), nullptr));
  Owned<BIGNUM> ebn(BN_bin2bn(bytes_of(e), static_cast<int>(e.size()), nullptr));
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  DIMONA_ASSERT(nbn && ebn && bld);
  const bool pushed = OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, nbn.get()) == 1 &&
                      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, ebn.get()) == 1;
  DIMONA_ASSERT(pushed);
  return pkey_from_params("RSA", bld.get(), what);
}

// --- Signatures -------------------------------------------------------------------------------
// JWS r || s to the DER ECDSA-Sig-Value OpenSSL verifies; nullopt when it is not 64 bytes.
std::optional<std::string> es256_to_der(std::string_view raw) {
  if (raw.size() != kEs256SignatureBytes) return std::nullopt;
  Owned<BIGNUM> r(BN_bin2bn(bytes_of(raw), int(kP256ScalarBytes), nullptr));
  Owned<BIGNUM> s(BN_bin2bn(bytes_of(raw) + kP256ScalarBytes, int(kP256ScalarBytes), nullptr));
  Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
  DIMONA_ASSERT(r && s && sig);
  DIMONA_ASSERT(ECDSA_SIG_set0(sig.get(), r.get(), s.get()) == 1);
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  Owned<unsigned char> owned_der(der);
  DIMONA_ASSERT(len > 0);
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
}

// DER ECDSA-Sig-Value from OpenSSL to the JWS r || s.
std::string der_to_es256(std::string_view der) {
  const unsigned char* p = bytes_of(der);
  Owned<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  DIMONA_ASSERT(sig != nullptr);
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(kEs256SignatureBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  DIMONA_ASSERT(BN_bn2binpad(r, o, int(kP256ScalarBytes)) == int(kP256ScalarBytes));
  DIMONA_ASSERT(BN_bn2binpad(s, o + kP256ScalarBytes, int(kP256ScalarBytes)) == int(kP256ScalarBytes));
  return out;
}

bool verify_sha256(EVP_PKEY* pkey, std::string_view signed_part, std::string_view signature) {
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  DIMONA_ASSERT(ctx != nullptr);
  const bool ok = EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pkey, nullptr) == 1 &&
                  EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(signed_part),
                                   signed_part.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

// --- Files --------------------------------------------------------------------------------------
Status file_error(const std::string& what, const std::string& path) {
  return failed_precondition(what + " " + path + ": " + std::strerror(errno));
}

// Reads a whole regular file of at most `max` bytes; `private_file` refuses one others may read.
Result<std::string> read_file(const std::string& path, size_t max, bool private_file) {
  Result<SmallFile> file = read_small_file(path, max);
  if (!file.is_ok()) return failed_precondition(file.status().message());
  if (private_file && (file->mode & 077) != 0)
    return failed_precondition(path + " is readable by others: chmod 600 it");
  return std::move(file->bytes);
}

Status write_all(int fd, std::string_view text, const std::string& path) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return file_error("cannot write", path);
    text.remove_prefix(size_t(n));
  }
  if (::fsync(fd) != 0) return file_error("cannot sync", path);
  return Status::ok();
}

// Writes `path.tmp.PID` (mode `mode`) then moves it to `path`: by rename when
// `replace`, else by link, which fails with EEXIST when `path` exists.
Status write_file_atomically(const std::string& path, std::string_view text, mode_t mode, bool replace) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return file_error("cannot create", tmp);
  Status written = write_all(fd, text, tmp);
  ::close(fd);
  if (written.is_ok()) {
    const bool moved = replace ? ::rename(tmp.c_str(), path.c_str()) == 0 : ::link(tmp.c_str(), path.c_str()) == 0;
    if (!moved) written = errno == EEXIST ? already_exists(path) : file_error("cannot create", path);
  }
  ::unlink(tmp.c_str());
  return written;
}

}  // namespace

// --- Roles and problem types ---------------------------------------------------------------------
namespace {
constexpr std::array<std::string_view, 5> kRoleNames = {"citizen", "employer", "agency", "auditor", "declarant"};
}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  for (size_t i = 0; i < kRoleNames.size(); ++i)
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  return std::nullopt;
}

std::string_view role_name(Role role) {
  const auto i = static_cast<size_t>(role);
  DIMONA_ASSERT(i < kRoleNames.size());
  return kRoleNames[i];
}

Result<Principal> principal_from(const PrincipalClaims& claims) {
  const std::optional<Role> role = parse_role(claims.role);
  if (!role) return invalid_argument("role: citizen, employer, agency, auditor or declarant");
  if (claims.subject.size() > kSubjectBytesMax) return invalid_argument("subject: at most 256 bytes");
  if (!simdjson::validate_utf8(claims.subject.data(), claims.subject.size()) || !is_display_text(claims.subject))
    return invalid_argument("subject: UTF-8 text without control or bidirectional formatting characters");
  Principal p;
  p.role = *role;
  p.subject = std::string(claims.subject);
  if (*role == Role::kCitizen) {
    Result<Ssin> ssin = parse_ssin(claims.ssin);
    if (!ssin.is_ok()) return invalid_argument("ssin: " + ssin.status().message());
    p.ssin = *ssin;
  } else if (!claims.ssin.empty()) {
    return invalid_argument("ssin: only a citizen's token names an SSIN");
  }
  const bool enterprise = *role == Role::kEmployer || *role == Role::kAgency || *role == Role::kDeclarant;
  if (!claims.enterprise_number.empty()) {
    if (!enterprise)
      return invalid_argument("enterpriseNumber: only an employer's, an agency's or a declarant's token names one");
    Result<EnterpriseNumber> n = parse_enterprise_number(claims.enterprise_number);
    if (!n.is_ok()) return invalid_argument("enterpriseNumber: " + n.status().message());
    p.employer = n->value;
  } else if (*role == Role::kEmployer || *role == Role::kAgency) {
    return invalid_argument("enterpriseNumber: required for an employer or an agency");
  }
  return p;
}

std::string_view problem_type(AuthError error) {
  switch (error) {
    case AuthError::kNoAccessToken: return "urn:problem-type:belgif:noAccessToken";
    case AuthError::kInvalidAccessToken: return "urn:problem-type:belgif:invalidAccessToken";
    case AuthError::kExpiredAccessToken: return "urn:problem-type:belgif:expiredAccessToken";
  }
  DIMONA_ASSERT(false);
  return {};
}

std::string_view problem_title(AuthError error) {
  switch (error) {
    case AuthError::kNoAccessToken: return "No access token";
    case AuthError::kInvalidAccessToken: return "Invalid access token";
    case AuthError::kExpiredAccessToken: return "Expired access token";
  }
  DIMONA_ASSERT(false);
  return {};
}

std::string_view www_authenticate(AuthError error) {
  return error == AuthError::kNoAccessToken ? "Bearer" : "Bearer error=\"invalid_token\"";
}

// --- TokenVerifier ------------------------------------------------------------------------------------
namespace {

struct VerifierKey {
  std::string kid;       // "" when the JWK has none
  std::string_view alg;  // "ES256" or "RS256"
  PkeyPtr pkey;
};

// One JWK: a usable key, nullopt for a key to skip, or an error.
Result<std::optional<VerifierKey>> jwk_key(const json::value& v, size_t index);

}  // namespace

struct TokenVerifier::Keys {
  std::vector<VerifierKey> keys;
};

TokenVerifier::TokenVerifier(std::unique_ptr<Keys> keys, std::string issuer, std::string audience)
    : keys_(std::move(keys)), issuer_(std::move(issuer)), audience_(std::move(audience)) {
  DIMONA_ASSERT(keys_ != nullptr && !keys_->keys.empty());
}
TokenVerifier::TokenVerifier(TokenVerifier&&) noexcept = default;
TokenVerifier& TokenVerifier::operator=(TokenVerifier&&) noexcept = default;
TokenVerifier::~TokenVerifier() = default;

size_t TokenVerifier::key_count() const { return keys_->keys.size(); }

Result<TokenVerifier> TokenVerifier::from_jwks(std::string_view jwks_json, std::string issuer, std::string audience) {
  if (issuer.empty() || audience.empty()) return invalid_argument("the token issuer and audience must not be empty");
  if (jwks_json.size() > kJwksBytesMax)
    return invalid_argument("the JWKS is larger than " + std::to_string(kJwksBytesMax) + " bytes");
  auto doc = parse_object(jwks_json);
  if (!doc) return invalid_argument("the JWKS is not a JSON object");
  const json::value* keys = doc->if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return invalid_argument("the JWKS has no \"keys\" array");
  if (keys->as_array().size() > kJwksKeysMax)
    return invalid_argument("the JWKS has more than " + std::to_string(kJwksKeysMax) + " keys");
  auto set = std::make_unique<Keys>();
  for (size_t i = 0; i < keys->as_array().size(); ++i) {
    auto key = jwk_key(keys->as_array()[i], i);
    DIMONA_TRY(key);
    if (!key->has_value()) continue;
    for (const VerifierKey& other : set->keys)
      if (!other.kid.empty() && other.kid == (*key)->kid)
        return invalid_argument("the JWKS has two keys with kid \"" + other.kid + "\"");
    set->keys.push_back(std::move(**key));
  }
  if (set->keys.empty()) return invalid_argument("the JWKS has no ES256 (EC P-256) or RS256 (RSA) signing key");
  return TokenVerifier(std::move(set), std::move(issuer), std::move(audience));
}

Result<TokenVerifier> TokenVerifier::from_jwks_file(const std::string& path, std::string issuer, std::string audience) {
  auto text = read_file(path, kJwksBytesMax, /*private_file=*/false);
  DIMONA_TRY(text);
  auto verifier = from_jwks(*text, std::move(issuer), std::move(audience));
  if (!verifier.is_ok()) return Status(verifier.status().code(), path + ": " + verifier.status().message());
  return verifier;
}

namespace {

Result<std::optional<VerifierKey>> jwk_key(const json::value& v, size_t index) {
  using Key = VerifierKey;
  const json::object* jwk = v.if_object();
  if (jwk == nullptr) return invalid_argument("JWKS key " + std::to_string(index) + " is not an object");
  bool bad = false;
  auto kty = string_member(*jwk, "kty", &bad);
  auto kid = string_member(*jwk, "kid", &bad);
  auto use = string_member(*jwk, "use", &bad);
  auto alg = string_member(*jwk, "alg", &bad);
  auto crv = string_member(*jwk, "crv", &bad);
  const std::string what = "JWKS key " + (kid ? "\"" + std::string(*kid) + "\"" : std::to_string(index));
  if (bad || !kty) return invalid_argument(what + " needs \"kty\" and string members");
  if (jwk->contains("d") || jwk->contains("p")) return invalid_argument(what + " holds private key material");
  if (use && *use != "sig") return std::optional<Key>();  // an encryption key: not ours
  Key key{kid ? std::string(*kid) : std::string(), {}, nullptr};
  if (*kty == "EC" && crv == "P-256" && (!alg || *alg == "ES256")) {
    auto pkey = ec_p256_key(*jwk, what);
    DIMONA_TRY(pkey);
    key.alg = "ES256";
    key.pkey = std::move(*pkey);
  } else if (*kty == "RSA" && (!alg || *alg == "RS256")) {
    auto pkey = rsa_key(*jwk, what);
    DIMONA_TRY(pkey);
    key.alg = "RS256";
    key.pkey = std::move(*pkey);
  } else {
    return std::optional<Key>();  // another type, curve or algorithm (RFC 7517 §5: ignored)
  }
  return std::optional<Key>(std::move(key));
}

bool starts_with_bearer(std::string_view s) {
  constexpr std::string_view kScheme = "bearer";
  if (s.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if ((s[i] | 0x20) != kScheme[i]) return false;
  return s.size() == kScheme.size() || s[kScheme.size()] == ' ';
}

// The compact JWS out of "Bearer <token>".
Checked<std::string_view> bearer_token(std::string_view authorization) {
  const std::string_view value = trim_ows(authorization);
  if (value.empty())
    return AuthFailure{AuthError::kNoAccessToken, "no access token: send 'Authorization: Bearer <token>'"};
  // Another scheme (Basic, Digest) is no bearer token at all: RFC 6750 3.1, a request "attempted
  // using an unsupported authentication method" gets the challenge without an error code.
  if (!starts_with_bearer(value)) {
    const std::string_view scheme = value.substr(0, value.find(' '));
    const bool another_scheme =
        scheme.size() < value.size() && std::all_of(scheme.begin(), scheme.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        });
    if (another_scheme)
      return AuthFailure{AuthError::kNoAccessToken, "no access token: the Authorization scheme is not Bearer"};
    return invalid("the Authorization header is not 'Bearer <token>'");  // a token without its scheme, "Bearer:…"
  }
  const std::string_view token = trim_ows(value.substr(6));
  if (token.empty()) return AuthFailure{AuthError::kNoAccessToken, "no access token after 'Bearer'"};
  if (token.size() > kTokenBytesMax)
    return invalid("the token is longer than " + std::to_string(kTokenBytesMax) + " bytes");
  return token;
}

struct CompactJws {
  std::string_view signed_part;  // header.payload
  std::string header;
  std::string payload;
  std::string signature;
};

Checked<CompactJws> split_jws(std::string_view token) {
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos || first == 0 ||
      second == first + 1)
    return invalid("the token is not three base64url parts");
  auto header = base64url_decode(token.substr(0, first));
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !payload || !signature) return invalid("the token is not three base64url parts");
  return CompactJws{token.substr(0, second), std::move(*header), std::move(*payload), std::move(*signature)};
}

}  // namespace

namespace {

using Key = VerifierKey;

// The key the JOSE header names, once its algorithm is one we accept and the key's.
Checked<const Key*> select_key(const std::vector<Key>& keys, std::string_view header_json) {
  bool repeated = false;
  auto header = parse_object(header_json, &repeated);
  if (!header)
    return invalid(repeated ? "the token's header names a member twice" : "the token's header is not a JSON object");
  bool bad = false;
  auto alg = string_member(*header, "alg", &bad);
  auto kid = string_member(*header, "kid", &bad);
  if (bad || !alg) return invalid("the token's header needs \"alg\" and string members");
  if (*alg != "ES256" && *alg != "RS256") return invalid("the token's algorithm is not ES256 or RS256");
  if (header->contains("crit")) return invalid("the token's header has critical extensions");
  const Key* key = nullptr;
  if (!kid) {
    if (keys.size() != 1) return invalid("the token names no key (kid) and several are configured");
    key = &keys.front();
  } else {
    for (const Key& k : keys)
      if (k.kid == *kid) key = &k;
    if (key == nullptr) return invalid("the token's key id matches no configured key");
  }
  if (key->alg != *alg) return invalid("the token's algorithm is not its key's");
  return key;
}

bool signature_verifies(const Key& key, const CompactJws& jws) {
  if (key.alg == "ES256") {
    auto der = es256_to_der(jws.signature);
    return der && verify_sha256(key.pkey.get(), jws.signed_part, *der);
  }
  // RS256: OpenSSL refuses a signature that is not exactly the modulus' length (RFC 7518 §3.3).
  return verify_sha256(key.pkey.get(), jws.signed_part, jws.signature);
}

bool audience_matches(const json::value& aud, std::string_view audience) {
  auto equal = [&](const json::value& v) { return v.is_string() && v.get_string() == audience; };
  if (aud.is_string()) return equal(aud);
  if (!aud.is_array()) return false;
  for (const json::value& v : aud.get_array())
    if (equal(v)) return true;
  return false;
}

// The token's "exp", when it is a NumericDate.
std::optional<Instant> expiry_of(const json::object& claims) {
  const json::value* exp_value = claims.if_contains("exp");
  const auto exp = exp_value ? numeric_date(*exp_value) : std::nullopt;
  if (!exp) return std::nullopt;
  return Instant{*exp * kMicrosPerSecond};
}

// The refusal of a token that expired at `exp`, clock leeway allowed.
std::optional<AuthFailure> expired(Instant exp, Instant now) {
  if (now.micros < exp.micros + kClockLeewaySeconds * kMicrosPerSecond) return std::nullopt;
  return AuthFailure{AuthError::kExpiredAccessToken, "the token has expired"};
}

// iss, aud, exp, nbf; fills expires_at.
std::optional<AuthFailure> check_registered_claims(const json::object& claims, std::string_view issuer,
                                                   std::string_view audience, Instant now, Principal* p) {
  bool bad = false;
  auto iss = string_member(claims, "iss", &bad);
  if (bad || !iss || *iss != issuer) return invalid("the token's issuer is not accepted");
  const json::value* aud = claims.if_contains("aud");
  if (aud == nullptr || !audience_matches(*aud, audience)) return invalid("the token's audience is not accepted");
  const auto exp = expiry_of(claims);
  if (!exp) return invalid("the token needs an expiry (\"exp\") as a NumericDate");
  p->expires_at = *exp;
  if (auto f = expired(*exp, now)) return f;
  const int64_t leeway = kClockLeewaySeconds * kMicrosPerSecond;
  if (const json::value* nbf_value = claims.if_contains("nbf")) {
    const auto nbf = numeric_date(*nbf_value);
    if (!nbf) return invalid("the token's \"nbf\" is not a NumericDate");
    if (now.micros < *nbf * kMicrosPerSecond - leeway) return invalid("the token is not valid yet");
  }
  return std::nullopt;
}

// role, ssin, enterpriseNumber, sub.
std::optional<AuthFailure> read_role_claims(const json::object& claims, Instant now, Principal* p) {
  bool bad = false;
  auto role_text = string_member(claims, "role", &bad);
  auto ssin_text = string_member(claims, "ssin", &bad);
  auto enterprise_text = string_member(claims, "enterpriseNumber", &bad);
  auto sub = string_member(claims, "sub", &bad);
  if (bad) return invalid("the token's role, ssin, enterpriseNumber and sub claims must be strings");
  const auto role = role_text ? parse_role(*role_text) : std::nullopt;
  if (!role) return invalid("the token's role is missing or unknown");
  p->role = *role;
  if (*role == Role::kCitizen) {
    auto ssin = ssin_text ? parse_ssin(*ssin_text, date_of(now)) : Result<Ssin>(invalid_argument("none"));
    if (!ssin.is_ok()) return invalid("a citizen token needs a valid \"ssin\" claim");
    p->ssin = *ssin;
  }
  const bool needs_enterprise = *role == Role::kEmployer || *role == Role::kAgency;
  const bool takes_enterprise = needs_enterprise || *role == Role::kDeclarant;
  if (takes_enterprise && (enterprise_text || needs_enterprise)) {
    auto number = enterprise_text ? parse_enterprise_number(*enterprise_text)
                                  : Result<EnterpriseNumber>(invalid_argument("none"));
    if (!number.is_ok()) return invalid("this role's token needs a valid \"enterpriseNumber\" claim");
    p->employer = number->value;
  }
  if (sub && (sub->size() > kSubjectBytesMax || !is_display_text(*sub)))
    return invalid("the token's subject is too long or has control or bidirectional formatting characters");
  if (sub) p->subject = std::string(*sub);
  return std::nullopt;
}

}  // namespace

AuthResult TokenVerifier::verify(std::string_view authorization, Instant now) const {
  auto token = bearer_token(authorization);
  if (auto* f = std::get_if<AuthFailure>(&token)) return std::move(*f);
  auto jws = split_jws(std::get<std::string_view>(token));
  if (auto* f = std::get_if<AuthFailure>(&jws)) return std::move(*f);
  const CompactJws& parts = std::get<CompactJws>(jws);
  auto key = select_key(keys_->keys, parts.header);
  if (auto* f = std::get_if<AuthFailure>(&key)) return std::move(*f);
  bool repeated = false;
  auto claims = parse_object(parts.payload, &repeated);
  // An expired token is refused before its signature is checked: a refusal
  // trusts nothing, and a client that keeps sending its old token (a portal
  // left open) would otherwise cost a signature check on every request.
  if (claims)
    if (auto exp = expiry_of(*claims))
      if (auto f = expired(*exp, now)) return std::move(*f);
  if (!signature_verifies(*std::get<const Key*>(key), parts)) return invalid("the token's signature does not verify");
  if (!claims)
    return invalid(repeated ? "the token's payload names a claim twice" : "the token's payload is not a JSON object");
  Principal principal;
  if (auto f = check_registered_claims(*claims, issuer_, audience_, now, &principal)) return std::move(*f);
  if (auto f = read_role_claims(*claims, now, &principal)) return std::move(*f);
  return principal;
}

// --- TokenMinter -----------------------------------------------------------------------------------------
struct TokenMinter::Key {
  PkeyPtr pkey;
};

namespace {

int no_passphrase(char*, int, int, void*) { return 0; }  // an encrypted key is refused, never prompted for

bool is_p256_private_key(EVP_PKEY* pkey) {
  std::array<char, 64> group{};
  size_t len = 0;
  return EVP_PKEY_is_a(pkey, "EC") == 1 &&
         EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &len) == 1 &&
         std::string_view(group.data(), len) == "prime256v1";
}

Result<PkeyPtr> load_dev_key(const std::string& path) {
  auto pem = read_file(path, kDevKeyFileBytesMax, /*private_file=*/true);
  DIMONA_TRY(pem);
  Owned<BIO> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  DIMONA_ASSERT(bio != nullptr);
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!pkey || !is_p256_private_key(pkey.get()))
    return failed_precondition(path + " is not an unencrypted EC P-256 private key in PEM");
  return pkey;
}

Result<PkeyPtr> create_dev_key(const std::string& path) {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  DIMONA_ASSERT(pkey && bio);
  DIMONA_ASSERT(PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  DIMONA_ASSERT(size > 0 && data != nullptr);
  Status written = write_file_atomically(path, std::string_view(data, size_t(size)), 0600, /*replace=*/false);
  if (written.code() == Code::kAlreadyExists) return load_dev_key(path);  // another process made it first
  DIMONA_TRY(written);
  return pkey;
}

std::string coordinate(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  DIMONA_ASSERT(EVP_PKEY_get_bn_param(pkey, name, &raw) == 1);
  Owned<BIGNUM> bn(raw);
  std::string out(kP256ScalarBytes, '\0');
  DIMONA_ASSERT(BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), int(kP256ScalarBytes)) ==
                int(kP256ScalarBytes));
  return base64url_encode(out);
}

std::string sha256(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  DIMONA_ASSERT(EVP_Digest(text.data(), text.size(), digest.data(), &len, EVP_sha256(), nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(digest.data()), len);
}

}  // namespace

TokenMinter::TokenMinter(std::unique_ptr<Key> key, std::string key_id, std::string jwks_json)
    : key_(std::move(key)), key_id_(std::move(key_id)), jwks_json_(std::move(jwks_json)) {
  DIMONA_ASSERT(key_ != nullptr && key_->pkey != nullptr);
}
TokenMinter::TokenMinter(TokenMinter&&) noexcept = default;
TokenMinter& TokenMinter::operator=(TokenMinter&&) noexcept = default;
TokenMinter::~TokenMinter() = default;

Result<TokenMinter> TokenMinter::open_dev_key(const std::string& dir) {
  // The data folder first (a fresh `serve` or `token` makes it, as private as the ledger's own).
  const std::string parent = std::filesystem::path(dir).parent_path().string();
  if (!parent.empty()) DIMONA_TRY(make_private_directory(parent));
  if (::mkdir(dir.c_str(), kPrivateDirectoryMode) != 0 && errno != EEXIST) return file_error("cannot create the directory", dir);
  const std::string key_path = dir + "/" + std::string(kDevSigningKeyFile);
  auto pkey = ::access(key_path.c_str(), F_OK) == 0 ? load_dev_key(key_path) : create_dev_key(key_path);
  DIMONA_TRY(pkey);
  const std::string x = coordinate(pkey->get(), OSSL_PKEY_PARAM_EC_PUB_X);
  const std::string y = coordinate(pkey->get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const std::string kid = base64url_encode(sha256(R"({"crv":"P-256","kty":"EC","x":")" + x + R"(","y":")" + y + "\"}"));
  json::object jwk{{"kty", "EC"}, {"crv", "P-256"}, {"x", x}, {"y", y}, {"kid", kid}, {"alg", "ES256"}, {"use", "sig"}};
  json::object jwks{{"keys", json::array{std::move(jwk)}}};
  const std::string jwks_text = json::serialize(jwks);
  const std::string jwks_path = dir + "/" + std::string(kDevJwksFile);
  DIMONA_TRY(write_file_atomically(jwks_path, jwks_text + "\n", 0644, /*replace=*/true));
  return TokenMinter(std::make_unique<Key>(Key{std::move(*pkey)}), kid, jwks_text);
}

std::string TokenMinter::mint(const Principal& p, Instant now, int64_t lifetime_seconds, std::string_view issuer,
                              std::string_view audience) const {
  DIMONA_ASSERT(lifetime_seconds >= 1 && lifetime_seconds <= kMintLifetimeSecondsMax);
  DIMONA_ASSERT(!issuer.empty() && !audience.empty() && p.subject.size() <= kSubjectBytesMax);
  const int64_t iat = now.micros / kMicrosPerSecond;
  json::object claims{{"iss", json::string_view(issuer.data(), issuer.size())},
                      {"aud", json::string_view(audience.data(), audience.size())}};
  if (!p.subject.empty()) claims["sub"] = p.subject;
  const std::string_view role = role_name(p.role);
  claims["role"] = json::string_view(role.data(), role.size());
  if (p.role == Role::kCitizen) {
    const std::string digits = format_ssin(p.ssin);
    DIMONA_ASSERT(parse_ssin(digits).is_ok());
    claims["ssin"] = digits;
  }
  const bool needs_enterprise = p.role == Role::kEmployer || p.role == Role::kAgency;
  DIMONA_ASSERT(!needs_enterprise || p.employer != 0);
  if (p.employer != 0 && (needs_enterprise || p.role == Role::kDeclarant)) {
    const std::string digits = format_enterprise_number(EnterpriseNumber{p.employer});
    DIMONA_ASSERT(parse_enterprise_number(digits).is_ok());  // not an NSSO-tagged employer_key
    claims["enterpriseNumber"] = digits;
  }
  claims["iat"] = iat;
  claims["exp"] = iat + lifetime_seconds;
  const json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key_id_}};
  std::string token = base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));

  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  DIMONA_ASSERT(ctx != nullptr);
  size_t der_size = 0;
  DIMONA_ASSERT(EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key_->pkey.get(), nullptr) == 1);
  DIMONA_ASSERT(EVP_DigestSign(ctx.get(), nullptr, &der_size, bytes_of(token), token.size()) == 1);
  std::string der(der_size, '\0');
  DIMONA_ASSERT(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_size, bytes_of(token),
                               token.size()) == 1);
  der.resize(der_size);
  token += "." + base64url_encode(der_to_es256(der));
  DIMONA_ASSERT(token.size() <= kTokenBytesMax);
  return token;
}

}  // namespace dimona::api
