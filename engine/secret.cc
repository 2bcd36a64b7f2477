#include "engine/secret.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/assert.h"
#include "engine/base/small_file.h"

namespace dimona {
namespace {

Status io_error(const std::string& what, const std::string& path) {
  return failed_precondition(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<ServerSecret> ServerSecret::load_or_create(const std::string& path) {
  std::array<unsigned char, kServerSecretBytes> bytes{};
  // Whether it exists, without waiting on what is not a file (a FIFO: read_small_file refuses it).
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 && errno == ENOENT) {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
      return failed_precondition("no random bytes for a new server secret");
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot create the server secret", path);
    const bool written = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return io_error("cannot write the server secret", path);
    return ServerSecret(bytes);
  }
  if (fd >= 0) ::close(fd);
  if (fd < 0 && errno != ENOENT) return io_error("cannot open the server secret", path);
  Result<SmallFile> file = read_small_file(path, bytes.size());
  if (!file.is_ok()) return failed_precondition("the server secret: " + file.status().message());
  if ((file->mode & 077) != 0)
    return failed_precondition("the server secret " + path + " is readable by others: chmod 600 it");
  if (file->bytes.size() != bytes.size()) return failed_precondition("the server secret " + path + " is not 32 bytes");
  std::memcpy(bytes.data(), file->bytes.data(), bytes.size());
  return ServerSecret(bytes);
}

ServerSecret ServerSecret::from_passphrase(std::string_view text) {
  std::array<unsigned char, kServerSecretBytes> bytes{};
  unsigned int len = 0;
  const bool ok = EVP_Digest(text.data(), text.size(), bytes.data(), &len, EVP_sha256(), nullptr) == 1;
  DIMONA_ASSERT(ok && len == kServerSecretBytes);
  return ServerSecret(bytes);
}

uint64_t ServerSecret::hmac64(std::string_view message) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const unsigned char* r = HMAC(EVP_sha256(), bytes_.data(), static_cast<int>(bytes_.size()),
                                reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  DIMONA_ASSERT(r != nullptr && len >= 8);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | mac[i];
  return v;
}

}  // namespace dimona
