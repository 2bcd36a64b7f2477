// ServerSecret: the key behind access codes and data-access tokens.
//
// Contract. A secret is 32 random bytes. load_or_create() reads it from a
// file, or creates the file (mode 0600, random bytes from OpenSSL) when it
// does not exist; a file of another size, or one others may read, is
// refused (kFailedPrecondition names the file, never the bytes). hmac()
// is HMAC-SHA256 of a message under the secret; the first 8 bytes are
// returned big-endian, which is all codes and tokens take (≤ 100 bits: two
// calls with different labels). The secret never reaches a log line.
// Threading: const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace dimona {

inline constexpr size_t kServerSecretBytes = 32;

class ServerSecret {
 public:
  ServerSecret() = default;  // all zero: for tests only
  explicit ServerSecret(const std::array<unsigned char, kServerSecretBytes>& bytes) : bytes_(bytes) {}

  static Result<ServerSecret> load_or_create(const std::string& path);
  // A secret derived from a text, for tests and demos (not random).
  static ServerSecret from_passphrase(std::string_view text);

  // The first 64 bits of HMAC-SHA256(secret, message).
  uint64_t hmac64(std::string_view message) const;

 private:
  std::array<unsigned char, kServerSecretBytes> bytes_{};
};

}  // namespace dimona
