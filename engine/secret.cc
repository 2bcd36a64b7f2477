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

namespace dimona {
namespace {

Status io_error(const std::string& what, const std::string& path) {
  return failed_precondition(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<ServerSecret> ServerSecret::load_or_create(const std::string& path) {
  std::array<unsigned char, kServerSecretBytes> bytes{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
  if (fd < 0) return io_error("cannot open the server secret", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return io_error("cannot stat the server secret", path);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return failed_precondition("the server secret " + path + " is readable by others: chmod 600 it");
  }
  const ssize_t n = ::read(fd, bytes.data(), bytes.size());
  char extra;
  const ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (n != static_cast<ssize_t>(bytes.size()) || more != 0)
    return failed_precondition("the server secret " + path + " is not 32 bytes");
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
