#include "api/auth.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace dimona::api {
namespace {

// The test keeps its own base64url and signing code, so a bug shared with
// auth.cc would have to be made twice.
constexpr std::string_view kIssuer = "https://idp.example.test";
constexpr std::string_view kAudience = "dimona-ledger";
constexpr std::string_view kSsin = "85073003328";
constexpr std::string_view kEnterprise = "0403170701";
constexpr std::string_view kOtherEnterprise = "0202239951";
const Instant kNow = *parse_instant("2025-03-01T10:00:00Z");
const int64_t kNowSeconds = kNow.micros / kMicrosPerSecond;

std::string b64url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (in.size() - i == 1) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    for (int shift : {18, 12}) out.push_back(kAlphabet[(v >> shift) & 63]);
  } else if (in.size() - i == 2) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8;
    for (int shift : {18, 12, 6}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  return out;
}

std::string unb64url(std::string_view in) {
  std::string standard(in);
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (standard.size() % 4 != 0) standard.push_back('=');
  std::string out(standard.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(standard.data()), int(standard.size()));
  EXPECT_GE(n, 0);
  out.resize(size_t(n) - (in.size() % 4 == 2 ? 2 : in.size() % 4 == 3 ? 1 : 0));
  return out;
}

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  std::stringstream in(token);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string big_endian(EVP_PKEY* pkey, const char* name, int pad) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(pkey, name, &bn), 1);
  std::string out(size_t(pad > 0 ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), int(out.size()));
  BN_free(bn);
  return out;
}

// A key made in the test, its JWK, and compact JWS of any header and payload.
class TestSigner {
 public:
  static TestSigner ec(std::string kid) {
    return TestSigner(Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")), "ES256", std::move(kid));
  }
  static TestSigner rsa(std::string kid, size_t bits = 2048) {
    return TestSigner(Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits)), "RS256", std::move(kid));
  }

  std::string jwk() const {
    std::string kid = kid_.empty() ? "" : R"(,"kid":")" + kid_ + "\"";
    if (alg_ == "ES256")
      return R"({"kty":"EC","crv":"P-256","x":")" + b64url(big_endian(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)) +
             R"(","y":")" + b64url(big_endian(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)) + R"(","alg":"ES256")" + kid +
             "}";
    return R"({"kty":"RSA","n":")" + b64url(big_endian(key_.get(), OSSL_PKEY_PARAM_RSA_N, 0)) + R"(","e":")" +
           b64url(big_endian(key_.get(), OSSL_PKEY_PARAM_RSA_E, 0)) + R"(","alg":"RS256")" + kid + "}";
  }
  std::string jwks() const { return R"({"keys":[)" + jwk() + "]}"; }
  const std::string& alg() const { return alg_; }
  const std::string& kid() const { return kid_; }

  // The header this signer would write.
  std::string header() const {
    return R"({"alg":")" + alg_ + "\"" + (kid_.empty() ? "" : R"(,"kid":")" + kid_ + "\"") + "}";
  }
  std::string sign(std::string_view header_json, std::string_view payload_json) const {
    const std::string input = b64url(header_json) + "." + b64url(payload_json);
    return input + "." + b64url(raw_signature(input));
  }
  std::string token(std::string_view payload_json) const { return sign(header(), payload_json); }

 private:
  TestSigner(Pkey key, std::string alg, std::string kid)
      : key_(std::move(key)), alg_(std::move(alg)), kid_(std::move(kid)) {
    EXPECT_NE(key_, nullptr);
  }

  std::string raw_signature(const std::string& input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t size = 0;
    EXPECT_EQ(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr), 1);
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &size, data, input.size()), 1);
    std::string sig(size, '\0');
    EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &size, data, input.size()), 1);
    EVP_MD_CTX_free(ctx);
    sig.resize(size);
    if (alg_ == "RS256") return sig;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, long(sig.size()));
    EXPECT_NE(ecdsa, nullptr);
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(ecdsa);
    return raw;
  }

  Pkey key_;
  std::string alg_;
  std::string kid_;
};

// Claims as raw JSON values; an empty string leaves the member out.
struct Claims {
  std::string iss = "\"" + std::string(kIssuer) + "\"";
  std::string aud = "\"" + std::string(kAudience) + "\"";
  std::string exp = std::to_string(kNowSeconds + 600);
  std::string nbf;
  std::string role = "\"employer\"";
  std::string ssin;
  std::string enterprise = "\"" + std::string(kEnterprise) + "\"";
  std::string sub = "\"user-1\"";
  std::string extra;  // more members, written as is ("\"k\":v")

  std::string json() const {
    std::string out;
    auto add = [&](std::string_view name, const std::string& value) {
      if (value.empty()) return;
      out += out.empty() ? "{" : ",";
      out += "\"" + std::string(name) + "\":" + value;
    };
    add("iss", iss);
    add("aud", aud);
    add("exp", exp);
    add("nbf", nbf);
    add("role", role);
    add("ssin", ssin);
    add("enterpriseNumber", enterprise);
    add("sub", sub);
    if (!extra.empty()) out += (out.empty() ? "{" : ",") + extra;
    return out + "}";
  }
};

Claims citizen_claims() {
  Claims c;
  c.role = "\"citizen\"";
  c.enterprise.clear();
  c.ssin = "\"" + std::string(kSsin) + "\"";
  return c;
}

TokenVerifier verifier_for(const std::string& jwks) {
  auto v = TokenVerifier::from_jwks(jwks, std::string(kIssuer), std::string(kAudience));
  EXPECT_TRUE(v.is_ok()) << v.status().to_string();
  return std::move(v).value();
}

std::string bearer(const std::string& token) { return "Bearer " + token; }

// Checks the refusal and that its detail names the reason (`keyword`) and
// never repeats the SSIN or any part of the token.
void expect_refused(const TokenVerifier& verifier, const std::string& header_value, AuthError error,
                    std::string_view keyword) {
  AuthResult r = verifier.verify(header_value, kNow);
  ASSERT_FALSE(r.is_ok()) << "accepted: " << keyword;
  EXPECT_EQ(r.failure().error, error) << r.failure().detail;
  EXPECT_NE(r.failure().detail.find(keyword), std::string::npos) << r.failure().detail;
  EXPECT_EQ(r.failure().detail.find(kSsin), std::string::npos) << r.failure().detail;
  const std::string token = header_value.size() > 7 ? header_value.substr(7) : "";
  for (const std::string& part : split(token)) {
    if (part.size() >= 8) {
      EXPECT_EQ(r.failure().detail.find(part.substr(0, 8)), std::string::npos);
    }
  }
}

Principal expect_accepted(const TokenVerifier& verifier, const std::string& header_value, Instant now = kNow) {
  AuthResult r = verifier.verify(header_value, now);
  EXPECT_TRUE(r.is_ok()) << (r.is_ok() ? "" : r.failure().detail);
  return r.is_ok() ? r.principal() : Principal{};
}

class Es256 : public ::testing::Test {
 protected:
  TestSigner signer = TestSigner::ec("test-ec-1");
  TokenVerifier verifier = verifier_for(signer.jwks());
};

// --- Roles and problem types -------------------------------------------------------------
TEST(Roles, NamesRoundTrip) {
  const std::vector<std::pair<Role, std::string_view>> roles = {{Role::kCitizen, "citizen"},
                                                                {Role::kEmployer, "employer"},
                                                                {Role::kAgency, "agency"},
                                                                {Role::kAuditor, "auditor"},
                                                                {Role::kDeclarant, "declarant"}};
  for (const auto& [role, name] : roles) {
    EXPECT_EQ(role_name(role), name);
    ASSERT_TRUE(parse_role(name).has_value()) << name;
    EXPECT_EQ(*parse_role(name), role);
  }
  for (std::string_view bad : {"", "Citizen", "admin", "citizen ", "employers"})
    EXPECT_FALSE(parse_role(bad).has_value()) << bad;
}

TEST(Problems, BelgifTypes) {
  EXPECT_EQ(problem_type(AuthError::kNoAccessToken), "urn:problem-type:belgif:noAccessToken");
  EXPECT_EQ(problem_type(AuthError::kInvalidAccessToken), "urn:problem-type:belgif:invalidAccessToken");
  EXPECT_EQ(problem_type(AuthError::kExpiredAccessToken), "urn:problem-type:belgif:expiredAccessToken");
  EXPECT_EQ(problem_title(AuthError::kExpiredAccessToken), "Expired access token");
  EXPECT_EQ(www_authenticate(AuthError::kNoAccessToken), "Bearer");
  EXPECT_EQ(www_authenticate(AuthError::kInvalidAccessToken), "Bearer error=\"invalid_token\"");
  EXPECT_EQ(kAuthFailureHttpStatus, 401);
}

// --- The development key ------------------------------------------------------------------------
TEST(DevKey, MintThenVerifyEveryRole) {
  testing::TempDir dir;
  auto minter = TokenMinter::open_dev_key(dir.path());
  ASSERT_TRUE(minter.is_ok()) << minter.status().to_string();
  TokenVerifier verifier = verifier_for(minter->jwks_json());
  const uint64_t enterprise = parse_enterprise_number(kEnterprise)->value;
  const Ssin ssin = *parse_ssin(kSsin);
  const std::vector<Principal> principals = {
      {Role::kCitizen, ssin, 0, "citizen-7", {}},      {Role::kEmployer, {}, enterprise, "hr@acme", {}},
      {Role::kAgency, {}, enterprise, "", {}},         {Role::kAuditor, {}, 0, "auditor-1", {}},
      {Role::kDeclarant, {}, enterprise, "sdp-1", {}}, {Role::kDeclarant, {}, 0, "sdp-2", {}}};
  for (const Principal& p : principals) {
    const std::string token = minter->mint(p, kNow, 300, kIssuer, kAudience);
    const Principal got = expect_accepted(verifier, bearer(token));
    EXPECT_EQ(got.role, p.role) << role_name(p.role);
    EXPECT_EQ(got.ssin, p.ssin) << role_name(p.role);
    EXPECT_EQ(got.employer, p.employer) << role_name(p.role);
    EXPECT_EQ(got.subject, p.subject) << role_name(p.role);
    EXPECT_EQ(got.expires_at.micros, kNow.micros + 300 * kMicrosPerSecond) << role_name(p.role);
    EXPECT_EQ(split(token).size(), 3u);
    EXPECT_EQ(unb64url(split(token)[0]), R"({"alg":"ES256","typ":"JWT","kid":")" + minter->key_id() + "\"}");
  }
  // The same token is refused by a verifier for another issuer or once expired.
  const std::string token = minter->mint(principals[1], kNow, 300, kIssuer, kAudience);
  expect_refused(verifier_for(minter->jwks_json()), bearer(minter->mint(principals[1], kNow, 300, "other", kAudience)),
                 AuthError::kInvalidAccessToken, "issuer");
  AuthResult late =
      verifier.verify(bearer(token), Instant{kNow.micros + (300 + kClockLeewaySeconds) * kMicrosPerSecond});
  ASSERT_FALSE(late.is_ok());
  EXPECT_EQ(late.failure().error, AuthError::kExpiredAccessToken);
}

TEST(DevKey, KeptAcrossOpensPrivateAndPublished) {
  testing::TempDir dir;
  auto first = TokenMinter::open_dev_key(dir.file("keys"));  // the directory is created
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  const std::string key_path = dir.file("keys/dev-signing-key.pem");
  struct stat st {};
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = TokenMinter::open_dev_key(dir.file("keys"));
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_EQ(first->key_id(), second->key_id());
  EXPECT_EQ(first->jwks_json(), second->jwks_json());

  const std::string published = testing::read_file(dir.file("keys/dev-jwks.json"));
  EXPECT_EQ(published, first->jwks_json() + "\n");
  EXPECT_EQ(published.find("\"d\""), std::string::npos);  // no private part

  auto verifier =
      TokenVerifier::from_jwks_file(dir.file("keys/dev-jwks.json"), std::string(kIssuer), std::string(kAudience));
  ASSERT_TRUE(verifier.is_ok()) << verifier.status().to_string();
  const Principal auditor{Role::kAuditor, {}, 0, "a", {}};
  expect_accepted(*verifier, bearer(first->mint(auditor, kNow, 60, kIssuer, kAudience)));

  testing::TempDir other;
  auto third = TokenMinter::open_dev_key(other.path());
  ASSERT_TRUE(third.is_ok());
  EXPECT_NE(third->key_id(), first->key_id());
  expect_refused(*verifier, bearer(third->mint(auditor, kNow, 60, kIssuer, kAudience)), AuthError::kInvalidAccessToken,
                 "key id");
}

TEST(DevKey, KidIsTheRfc7638Thumbprint) {
  testing::TempDir dir;
  auto minter = TokenMinter::open_dev_key(dir.path());
  ASSERT_TRUE(minter.is_ok());
  const std::string& jwks = minter->jwks_json();
  auto member = [&](const std::string& name) {
    const size_t at = jwks.find("\"" + name + "\":\"");
    EXPECT_NE(at, std::string::npos) << name;
    const size_t start = at + name.size() + 4;
    return jwks.substr(start, jwks.find('"', start) - start);
  };
  const std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + member("x") + R"(","y":")" + member("y") + "\"}";
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(canonical.data(), canonical.size(), digest.data(), &len, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(minter->key_id(), b64url(std::string_view(reinterpret_cast<const char*>(digest.data()), len)));
  EXPECT_EQ(member("kid"), minter->key_id());
}

TEST(DevKey, RefusesAKeyOthersMayReadOrThatIsNotOne) {
  testing::TempDir dir;
  ASSERT_TRUE(TokenMinter::open_dev_key(dir.path()).is_ok());
  const std::string key_path = dir.file("dev-signing-key.pem");
  ASSERT_EQ(::chmod(key_path.c_str(), 0644), 0);
  auto readable = TokenMinter::open_dev_key(dir.path());
  ASSERT_FALSE(readable.is_ok());
  EXPECT_EQ(readable.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(readable.status().message().find("readable by others"), std::string::npos);

  ASSERT_EQ(::chmod(key_path.c_str(), 0600), 0);
  std::ofstream(key_path, std::ios::trunc) << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  auto garbage = TokenMinter::open_dev_key(dir.path());
  ASSERT_FALSE(garbage.is_ok());
  EXPECT_NE(garbage.status().message().find("not an unencrypted EC P-256"), std::string::npos);
}

// --- Verification: ES256 ---------------------------------------------------------------------------------
TEST_F(Es256, AcceptsAValidTokenAndReadsItsClaims) {
  Claims c;
  c.sub = "\"hr-manager\"";
  const Principal p = expect_accepted(verifier, bearer(signer.token(c.json())));
  EXPECT_EQ(p.role, Role::kEmployer);
  EXPECT_EQ(p.employer, parse_enterprise_number(kEnterprise)->value);
  EXPECT_EQ(p.subject, "hr-manager");
  EXPECT_EQ(p.expires_at.micros, (kNowSeconds + 600) * kMicrosPerSecond);
  EXPECT_EQ(p.ssin, Ssin{});
  // The scheme is case-insensitive and spaces around the token are tolerated.
  expect_accepted(verifier, "bearer   " + signer.token(c.json()) + "  ");
  expect_accepted(verifier, "BEARER " + signer.token(c.json()));
}

TEST_F(Es256, RefusesAnotherIssuer) {
  Claims c;
  c.iss = "\"https://evil.example\"";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "issuer");
  c.iss.clear();
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "issuer");
  c.iss = "42";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "issuer");
}

TEST_F(Es256, RefusesAnotherAudienceAlsoInAnArray) {
  Claims c;
  c.aud = "\"another-api\"";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "audience");
  c.aud = R"(["another-api","third-api"])";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "audience");
  c.aud = "[]";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "audience");
  c.aud = R"([["dimona-ledger"]])";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "audience");
  c.aud.clear();
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "audience");
  c.aud = R"(["another-api","dimona-ledger"])";
  expect_accepted(verifier, bearer(signer.token(c.json())));
}

TEST_F(Es256, ExpiryWithLeeway) {
  Claims c;
  c.exp = std::to_string(kNowSeconds - kClockLeewaySeconds - 1);
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kExpiredAccessToken, "expired");
  c.exp = std::to_string(kNowSeconds - kClockLeewaySeconds);  // exp + leeway == now: expired
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kExpiredAccessToken, "expired");
  c.exp = std::to_string(kNowSeconds - kClockLeewaySeconds + 1);  // within the leeway
  expect_accepted(verifier, bearer(signer.token(c.json())));
  c.exp = std::to_string(kNowSeconds + 10) + ".75";  // a NumericDate may have a fraction
  EXPECT_EQ(expect_accepted(verifier, bearer(signer.token(c.json()))).expires_at.micros,
            (kNowSeconds + 10) * kMicrosPerSecond);
  c.exp.clear();
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "exp");
  c.exp = "\"" + std::to_string(kNowSeconds + 600) + "\"";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "exp");
  c.exp = "-5";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "exp");
  c.exp = "1e300";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "exp");
}

TEST_F(Es256, NotValidBeforeWithLeeway) {
  Claims c;
  c.nbf = std::to_string(kNowSeconds + kClockLeewaySeconds + 1);
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "not valid yet");
  c.nbf = std::to_string(kNowSeconds + kClockLeewaySeconds);
  expect_accepted(verifier, bearer(signer.token(c.json())));
  c.nbf = "\"soon\"";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "nbf");
}

// An expired token is refused on its expiry before its signature is checked
// (a refusal trusts nothing, and a portal left open keeps sending its old
// token): forged or not, it is "expired"; a forged one that has not expired
// still fails on its signature, and so does one whose expiry is edited later.
TEST_F(Es256, AnExpiredTokenIsRefusedBeforeItsSignatureIsChecked) {
  Claims stale;
  stale.exp = std::to_string(kNowSeconds - kClockLeewaySeconds - 1);
  const std::vector<std::string> parts = split(signer.token(Claims().json()));
  ASSERT_EQ(parts.size(), 3u);
  expect_refused(verifier, bearer(parts[0] + "." + b64url(stale.json()) + "." + parts[2]),
                 AuthError::kExpiredAccessToken, "expired");
  Claims later;
  later.exp = std::to_string(kNowSeconds + 3'600);
  const std::vector<std::string> old_parts = split(signer.token(stale.json()));
  expect_refused(verifier, bearer(old_parts[0] + "." + b64url(later.json()) + "." + old_parts[2]),
                 AuthError::kInvalidAccessToken, "signature");
}

TEST_F(Es256, RefusesATamperedPayload) {
  const std::string token = signer.token(Claims().json());
  std::vector<std::string> parts = split(token);
  ASSERT_EQ(parts.size(), 3u);
  Claims escalated;
  escalated.role = "\"auditor\"";
  const std::string forged = parts[0] + "." + b64url(escalated.json()) + "." + parts[2];
  expect_refused(verifier, bearer(forged), AuthError::kInvalidAccessToken, "signature");
  // One character of the payload changed.
  std::string edited = token;
  const size_t at = parts[0].size() + 5;
  edited[at] = edited[at] == 'A' ? 'B' : 'A';
  expect_refused(verifier, bearer(edited), AuthError::kInvalidAccessToken, "signature");
  expect_accepted(verifier, bearer(token));
}

TEST_F(Es256, RefusesATamperedSignature) {
  const std::string token = signer.token(Claims().json());
  std::vector<std::string> parts = split(token);
  std::string sig = unb64url(parts[2]);
  ASSERT_EQ(sig.size(), 64u);
  for (size_t byte : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    std::string flipped = sig;
    flipped[byte] = char(flipped[byte] ^ 0x01);
    expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "." + b64url(flipped)), AuthError::kInvalidAccessToken,
                   "signature");
  }
  // r and s swapped, a truncated signature, a DER one, none at all.
  expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "." + b64url(sig.substr(32) + sig.substr(0, 32))),
                 AuthError::kInvalidAccessToken, "signature");
  expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "." + b64url(sig.substr(0, 63))),
                 AuthError::kInvalidAccessToken, "signature");
  expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "." + b64url("\x30\x06\x02\x01\x01\x02\x01\x01")),
                 AuthError::kInvalidAccessToken, "signature");
  expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "."), AuthError::kInvalidAccessToken, "signature");
  // Signed by another key that claims the same kid.
  TestSigner impostor = TestSigner::ec(signer.kid());
  expect_refused(verifier, bearer(impostor.token(Claims().json())), AuthError::kInvalidAccessToken, "signature");
}

TEST_F(Es256, RefusesAlgNone) {
  const std::string payload = b64url(Claims().json());
  for (std::string header : {R"({"alg":"none"})", R"({"alg":"none","kid":"test-ec-1"})", R"({"alg":"None"})"}) {
    const std::string unsigned_token = b64url(header) + "." + payload + ".";
    expect_refused(verifier, bearer(unsigned_token), AuthError::kInvalidAccessToken, "not ES256 or RS256");
    // With a valid ES256 signature over the same input it still is refused.
    const std::string resigned = signer.sign(header, Claims().json());
    expect_refused(verifier, bearer(resigned), AuthError::kInvalidAccessToken, "not ES256 or RS256");
  }
  expect_refused(verifier, bearer(b64url(R"({"kid":"test-ec-1"})") + "." + payload + "."),
                 AuthError::kInvalidAccessToken, "alg");
}

TEST_F(Es256, RefusesHs256KeyedWithThePublicKey) {
  // The classic confusion: an HMAC keyed with the verifier's public JWK or JWKS.
  const std::string header = R"({"alg":"HS256","kid":"test-ec-1"})";
  const std::string input = b64url(header) + "." + b64url(Claims().json());
  for (const std::string& secret : {signer.jwk(), signer.jwks()}) {
    std::array<unsigned char, 32> mac{};
    unsigned int len = 0;
    ASSERT_NE(HMAC(EVP_sha256(), secret.data(), int(secret.size()),
                   reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &len),
              nullptr);
    const std::string token = input + "." + b64url(std::string_view(reinterpret_cast<const char*>(mac.data()), len));
    expect_refused(verifier, bearer(token), AuthError::kInvalidAccessToken, "not ES256 or RS256");
  }
  for (std::string alg : {"HS384", "HS512", "ES384", "PS256", "RS512", "EdDSA", "es256"})
    expect_refused(verifier, bearer(signer.sign(R"({"alg":")" + alg + R"(","kid":"test-ec-1"})", Claims().json())),
                   AuthError::kInvalidAccessToken, "not ES256 or RS256");
}

TEST_F(Es256, RefusesAnUnknownKid) {
  expect_refused(verifier, bearer(signer.sign(R"({"alg":"ES256","kid":"other"})", Claims().json())),
                 AuthError::kInvalidAccessToken, "key id");
  expect_refused(verifier, bearer(signer.sign(R"({"alg":"ES256","kid":""})", Claims().json())),
                 AuthError::kInvalidAccessToken, "key id");
  expect_refused(verifier, bearer(signer.sign(R"({"alg":"ES256","kid":7})", Claims().json())),
                 AuthError::kInvalidAccessToken, "string");
}

TEST_F(Es256, WithoutKidOnlyWhenOneKeyIsConfigured) {
  const std::string token = signer.sign(R"({"alg":"ES256"})", Claims().json());
  expect_accepted(verifier, bearer(token));
  TestSigner other = TestSigner::ec("test-ec-2");
  TokenVerifier two = verifier_for(R"({"keys":[)" + signer.jwk() + "," + other.jwk() + "]}");
  EXPECT_EQ(two.key_count(), 2u);
  expect_refused(two, bearer(token), AuthError::kInvalidAccessToken, "several");
  expect_accepted(two, bearer(signer.token(Claims().json())));
  expect_accepted(two, bearer(other.token(Claims().json())));
}

TEST_F(Es256, RefusesCriticalHeaderExtensions) {
  const std::string token = signer.sign(R"({"alg":"ES256","kid":"test-ec-1","crit":["exp"],"exp":1})", Claims().json());
  expect_refused(verifier, bearer(token), AuthError::kInvalidAccessToken, "critical");
}

TEST_F(Es256, CitizenNeedsAValidSsinAndNoRefusalShowsIt) {
  Claims c = citizen_claims();
  const Principal p = expect_accepted(verifier, bearer(signer.token(c.json())));
  EXPECT_EQ(p.role, Role::kCitizen);
  EXPECT_EQ(p.ssin, *parse_ssin(kSsin));
  EXPECT_EQ(p.employer, 0u);

  c.ssin.clear();
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "ssin");
  for (std::string bad : {"\"85073003329\"", "\"8507300332\"", "\"850730033280\"", "\"85.07.30-033.28\"", "\"\""}) {
    c.ssin = bad;
    expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "ssin");
  }
  c.ssin = "85073003328";  // a number, not a string
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "strings");
  // Every other refusal of a token that carries the SSIN keeps it out of the detail too.
  c = citizen_claims();
  c.iss = "\"x\"";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "issuer");
  c = citizen_claims();
  c.exp = std::to_string(kNowSeconds - 3600);
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kExpiredAccessToken, "expired");
  c = citizen_claims();
  expect_refused(verifier, bearer(signer.sign(R"({"alg":"ES256","kid":"x"})", c.json())),
                 AuthError::kInvalidAccessToken, "key id");
}

TEST_F(Es256, EmployerAndAgencyNeedAValidEnterpriseNumber) {
  for (std::string role : {"\"employer\"", "\"agency\""}) {
    Claims c;
    c.role = role;
    c.enterprise.clear();
    expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "enterpriseNumber");
    c.enterprise = "\"0403170702\"";  // check digits
    expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "enterpriseNumber");
    c.enterprise = "403170701";  // a number
    expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "strings");
    c.enterprise = "\"" + std::string(kOtherEnterprise) + "\"";
    EXPECT_EQ(expect_accepted(verifier, bearer(signer.token(c.json()))).employer,
              parse_enterprise_number(kOtherEnterprise)->value);
  }
}

TEST_F(Es256, DeclarantAndAuditorClaims) {
  Claims c;
  c.role = "\"declarant\"";
  c.enterprise.clear();
  Principal p = expect_accepted(verifier, bearer(signer.token(c.json())));
  EXPECT_EQ(p.role, Role::kDeclarant);
  EXPECT_EQ(p.employer, 0u);
  c.enterprise = "\"" + std::string(kEnterprise) + "\"";
  EXPECT_EQ(expect_accepted(verifier, bearer(signer.token(c.json()))).employer,
            parse_enterprise_number(kEnterprise)->value);
  c.enterprise = "\"1234\"";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "enterpriseNumber");
  // An auditor's token carries neither; stray claims are not read.
  c.role = "\"auditor\"";
  c.ssin = "\"" + std::string(kSsin) + "\"";
  c.enterprise = "\"" + std::string(kEnterprise) + "\"";
  p = expect_accepted(verifier, bearer(signer.token(c.json())));
  EXPECT_EQ(p.role, Role::kAuditor);
  EXPECT_EQ(p.ssin, Ssin{});
  EXPECT_EQ(p.employer, 0u);
}

TEST_F(Es256, RefusesAMissingOrUnknownRole) {
  Claims c;
  c.role.clear();
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "role");
  for (std::string bad : {"\"admin\"", "\"Employer\"", "\"\""}) {
    c.role = bad;
    expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "role");
  }
  c.role = R"(["employer"])";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "strings");
}

TEST_F(Es256, SubjectIsBounded) {
  Claims c;
  c.sub = "\"" + std::string(kSubjectBytesMax, 's') + "\"";
  EXPECT_EQ(expect_accepted(verifier, bearer(signer.token(c.json()))).subject.size(), kSubjectBytesMax);
  c.sub = "\"" + std::string(kSubjectBytesMax + 1, 's') + "\"";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "subject");
  c.sub = R"("line\nbreak")";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "subject");
}

TEST_F(Es256, RefusesMalformedBase64url) {
  const std::string token = signer.token(Claims().json());
  const std::vector<std::string> parts = split(token);
  const std::string& h = parts[0];
  const std::string& p = parts[1];
  const std::string& s = parts[2];
  const std::vector<std::string> malformed = {
      h + "=." + p + "." + s,                                  // padding
      h + "." + p + "." + s + "==",                            // padding on the signature
      h + "." + p.substr(0, 4) + "+" + p.substr(5) + "." + s,  // the standard alphabet
      h + "." + p.substr(0, 4) + "/" + p.substr(5) + "." + s,
      h + "." + p + "." + s.substr(0, 10) + "!" + s.substr(11),
      h + "." + p + "A." + s.substr(0, s.size() - 2),  // a length of 4k+1 characters
      h + "." + p + "." + s + "." + s,                 // four parts
      h + "." + p,                                     // two parts
      "." + p + "." + s,                               // an empty header
      h + ".." + s,                                    // an empty payload
  };
  for (const std::string& bad : malformed)
    expect_refused(verifier, bearer(bad), AuthError::kInvalidAccessToken, "three base64url parts");
  // The last character's unused bits set: the same bytes, a second spelling of them.
  ASSERT_EQ((s.size() * 6) % 8, 4u);  // 86 characters carry 4 unused bits
  std::string non_canonical = s;
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  non_canonical.back() = kAlphabet[kAlphabet.find(s.back()) ^ 1];
  ASSERT_EQ(unb64url(non_canonical), unb64url(s));
  expect_refused(verifier, bearer(h + "." + p + "." + non_canonical), AuthError::kInvalidAccessToken,
                 "three base64url parts");
  expect_accepted(verifier, bearer(token));
}

TEST_F(Es256, RefusesJsonThatIsNotAnObject) {
  expect_refused(verifier, bearer(signer.sign("[1]", Claims().json())), AuthError::kInvalidAccessToken, "header");
  expect_refused(verifier, bearer(signer.sign(R"({"alg":"ES256",)", Claims().json())), AuthError::kInvalidAccessToken,
                 "header");
  expect_refused(verifier, bearer(signer.token("[\"employer\"]")), AuthError::kInvalidAccessToken, "payload");
  expect_refused(verifier, bearer(signer.token(Claims().json() + "x")), AuthError::kInvalidAccessToken, "payload");
  std::string deep = std::string(kJsonDepthMax + 1, '[') + std::string(kJsonDepthMax + 1, ']');
  Claims c;
  c.extra = "\"deep\":" + deep;
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken, "payload");
}

// A claim or header member named twice is refused, as a request body's key is: a signed token
// saying "role":"employer" then "role":"auditor" is neither.
TEST_F(Es256, RefusesAMemberNamedTwice) {
  Claims c;
  c.extra = R"("role":"auditor")";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken,
                 "payload names a claim twice");
  c.extra = R"("exp":1)";
  expect_refused(verifier, bearer(signer.token(c.json())), AuthError::kInvalidAccessToken,
                 "payload names a claim twice");
  expect_refused(verifier, bearer(signer.sign(R"({"alg":"ES256","alg":"none"})", Claims().json())),
                 AuthError::kInvalidAccessToken, "header names a member twice");
  expect_refused(verifier, bearer(signer.token("[1]")), AuthError::kInvalidAccessToken, "payload is not a JSON object");
  expect_accepted(verifier, bearer(signer.token(Claims().json())));
}

TEST_F(Es256, NeedsTheBearerScheme) {
  const std::string token = signer.token(Claims().json());
  const std::string twice = "Bearer " + token + " " + token;
  for (const std::string& bad : {token, "Bearer:" + token, "Bearer" + token, twice})
    expect_refused(verifier, bad, AuthError::kInvalidAccessToken, bad.rfind("Bearer ", 0) == 0 ? "three" : "Bearer");
  // Another scheme is no bearer token at all (RFC 6750 3.1: the challenge without an error code).
  for (const std::string& other : {"Basic " + token, "Token " + token, std::string("Digest username=\"x\"")})
    expect_refused(verifier, other, AuthError::kNoAccessToken, "scheme is not Bearer");
}

TEST_F(Es256, NoTokenAtAll) {
  for (std::string empty : {"", "   ", "\t", "Bearer", "Bearer   ", "bearer \t"})
    expect_refused(verifier, empty, AuthError::kNoAccessToken, "no access token");
}

TEST_F(Es256, RefusesATooLongTokenEvenWhenSigned) {
  Claims c;
  c.extra = R"("pad":")" + std::string(kTokenBytesMax, 'p') + "\"";
  const std::string long_token = signer.token(c.json());
  ASSERT_GT(long_token.size(), kTokenBytesMax);
  expect_refused(verifier, bearer(long_token), AuthError::kInvalidAccessToken, "longer than 8192 bytes");
  c.extra = R"("pad":")" + std::string(kTokenBytesMax / 2, 'p') + "\"";
  const std::string fitting = signer.token(c.json());
  ASSERT_LE(fitting.size(), kTokenBytesMax);
  expect_accepted(verifier, bearer(fitting));
}

// --- Verification: RS256 -------------------------------------------------------------------------------
const TestSigner& rsa_signer() {
  static const TestSigner signer = TestSigner::rsa("test-rsa-1");
  return signer;
}

TEST(Rs256, SignedInTheTestAndVerified) {
  TokenVerifier verifier = verifier_for(rsa_signer().jwks());
  const std::string token = rsa_signer().token(citizen_claims().json());
  const Principal p = expect_accepted(verifier, bearer(token));
  EXPECT_EQ(p.role, Role::kCitizen);
  EXPECT_EQ(p.ssin, *parse_ssin(kSsin));

  std::vector<std::string> parts = split(token);
  std::string sig = unb64url(parts[2]);
  ASSERT_EQ(sig.size(), 256u);
  sig[100] = char(sig[100] ^ 0x80);
  expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "." + b64url(sig)), AuthError::kInvalidAccessToken,
                 "signature");
  expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "." + b64url(sig.substr(1))),
                 AuthError::kInvalidAccessToken, "signature");
  Claims other = citizen_claims();
  other.ssin = "\"05031412595\"";
  expect_refused(verifier, bearer(parts[0] + "." + b64url(other.json()) + "." + parts[2]),
                 AuthError::kInvalidAccessToken, "signature");
}

// RFC 7518 §3.3: an RS256 signature has exactly the modulus' length; one whose
// leading zero byte is dropped is the same number, and must still be refused.
TEST(Rs256, SignatureMustHaveTheModulusLength) {
  TokenVerifier verifier = verifier_for(rsa_signer().jwks());
  std::string token;
  for (int attempt = 0; attempt < 4096 && token.empty(); ++attempt) {
    Claims c;
    c.sub = "\"attempt-" + std::to_string(attempt) + "\"";
    const std::string candidate = rsa_signer().token(c.json());
    if (unb64url(split(candidate)[2])[0] == '\0') token = candidate;
  }
  ASSERT_FALSE(token.empty()) << "no signature with a leading zero byte in 4096 tries";
  expect_accepted(verifier, bearer(token));
  const std::vector<std::string> parts = split(token);
  const std::string stripped = unb64url(parts[2]).substr(1);
  expect_refused(verifier, bearer(parts[0] + "." + parts[1] + "." + b64url(stripped)), AuthError::kInvalidAccessToken,
                 "signature");
}

TEST(Rs256, AlgorithmMustBeTheKeys) {
  TestSigner ec = TestSigner::ec("test-ec-1");
  TokenVerifier verifier = verifier_for(R"({"keys":[)" + rsa_signer().jwk() + "," + ec.jwk() + "]}");
  expect_accepted(verifier, bearer(rsa_signer().token(Claims().json())));
  expect_accepted(verifier, bearer(ec.token(Claims().json())));
  // The EC key's kid with RS256 and the RSA key's kid with ES256.
  expect_refused(verifier, bearer(rsa_signer().sign(R"({"alg":"RS256","kid":"test-ec-1"})", Claims().json())),
                 AuthError::kInvalidAccessToken, "its key's");
  expect_refused(verifier, bearer(ec.sign(R"({"alg":"ES256","kid":"test-rsa-1"})", Claims().json())),
                 AuthError::kInvalidAccessToken, "its key's");
}

// --- Key sets -----------------------------------------------------------------------------------------------
void expect_jwks_refused(const std::string& jwks, std::string_view keyword) {
  auto v = TokenVerifier::from_jwks(jwks, std::string(kIssuer), std::string(kAudience));
  ASSERT_FALSE(v.is_ok()) << jwks.substr(0, 80);
  EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
  EXPECT_NE(v.status().message().find(keyword), std::string::npos) << v.status().message();
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(Jwks, RefusesMalformedSets) {
  TestSigner ec = TestSigner::ec("k1");
  const std::string jwk = ec.jwk();
  const std::string x = jwk.substr(jwk.find("\"x\":\"") + 5, 43);
  const std::string y = jwk.substr(jwk.find("\"y\":\"") + 5, 43);
  expect_jwks_refused("not json", "not a JSON object");
  expect_jwks_refused("{}", "\"keys\"");
  expect_jwks_refused(R"({"keys":{}})", "\"keys\"");
  expect_jwks_refused(R"({"keys":[]})", "no ES256");
  expect_jwks_refused(R"({"keys":[1]})", "not an object");
  expect_jwks_refused(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})", "no ES256");
  expect_jwks_refused(R"({"keys":[)" + replace(jwk, x, x.substr(0, 42)) + "]}", "32 bytes");
  expect_jwks_refused(R"({"keys":[)" + replace(jwk, x, x + "AA") + "]}", "32 bytes");
  // y of another point: not on the curve.
  const std::string off_curve = y.substr(0, 10) + (y[10] == 'A' ? "B" : "A") + y.substr(11);
  expect_jwks_refused(R"({"keys":[)" + replace(jwk, y, off_curve) + "]}", "not a valid public key");
  expect_jwks_refused(R"({"keys":[)" + replace(jwk, "\"x\":", "\"d\":\"AAAA\",\"x\":") + "]}", "private");
  expect_jwks_refused(R"({"keys":[)" + jwk + "," + TestSigner::ec("k1").jwk() + "]}", "two keys with kid \"k1\"");
  expect_jwks_refused(R"({"keys":[)" + TestSigner::rsa("small", 1024).jwk() + "]}", "1024-bit modulus");
  expect_jwks_refused(R"({"keys":[)" + replace(rsa_signer().jwk(), "\"e\":\"AQAB\"", "\"e\":\"AQAC\"") + "]}",
                      "exponent");
  std::string many = R"({"keys":[)";
  for (size_t i = 0; i <= kJwksKeysMax; ++i) many += std::string(i ? "," : "") + R"({"kty":"oct"})";
  expect_jwks_refused(many + "]}", "more than");
  auto empty_issuer = TokenVerifier::from_jwks(ec.jwks(), "", std::string(kAudience));
  EXPECT_FALSE(empty_issuer.is_ok());
  auto empty_audience = TokenVerifier::from_jwks(ec.jwks(), std::string(kIssuer), "");
  EXPECT_FALSE(empty_audience.is_ok());
}

TEST(Jwks, SkipsKeysItDoesNotUse) {
  TestSigner ec = TestSigner::ec("sig-key");
  const std::string jwks = R"({"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"hmac"},)" +
                           replace(TestSigner::ec("enc-key").jwk(), "\"alg\":\"ES256\"", "\"use\":\"enc\"") + "," +
                           replace(TestSigner::ec("p384").jwk(), "\"alg\":\"ES256\"", "\"alg\":\"ES384\"") + "," +
                           ec.jwk() + "]}";
  TokenVerifier verifier = verifier_for(jwks);
  EXPECT_EQ(verifier.key_count(), 1u);
  expect_accepted(verifier, bearer(ec.token(Claims().json())));
  expect_refused(verifier, bearer(ec.sign(R"({"alg":"ES256","kid":"enc-key"})", Claims().json())),
                 AuthError::kInvalidAccessToken, "key id");
}

TEST(Jwks, FromAFile) {
  testing::TempDir dir;
  auto missing = TokenVerifier::from_jwks_file(dir.file("none.json"), std::string(kIssuer), std::string(kAudience));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("none.json"), std::string::npos);
  std::ofstream(dir.file("bad.json")) << "{\"keys\":[]}";
  auto bad = TokenVerifier::from_jwks_file(dir.file("bad.json"), std::string(kIssuer), std::string(kAudience));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("bad.json"), std::string::npos);
  TestSigner ec = TestSigner::ec("file-key");
  std::ofstream(dir.file("good.json")) << ec.jwks();
  auto good = TokenVerifier::from_jwks_file(dir.file("good.json"), std::string(kIssuer), std::string(kAudience));
  ASSERT_TRUE(good.is_ok()) << good.status().to_string();
  expect_accepted(*good, bearer(ec.token(Claims().json())));
}

}  // namespace
}  // namespace dimona::api
