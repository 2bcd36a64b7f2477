// Little-endian bytes for checkpoints: put() appends a value, ByteReader reads
// them back in the same order.
//
// Contract. put() writes an integer of exactly sizeof(T) bytes, or a string
// as its u32 length then its bytes. ByteReader::get() returns false, and
// reads nothing, when fewer bytes remain than it needs; a caller turns that
// into kCorruption. Strings read back are views into the reader's buffer.
// Threading: values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace dimona {

template <typename T>
void put(std::string* out, T v) {
  static_assert(std::is_integral_v<T>);
  char bytes[sizeof(T)];  // one append, not a push_back (and its capacity check) per byte
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
  out->append(bytes, sizeof(T));
}

inline void put(std::string* out, std::string_view s) {
  put(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}
inline void put(std::string* out, const std::string& s) { put(out, std::string_view(s)); }

class ByteReader {
 public:
  explicit ByteReader(std::string_view b) : b_(b) {}

  template <typename T>
  bool get(T* v) {
    static_assert(std::is_integral_v<T>);
    if (b_.size() - at_ < sizeof(T)) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) x |= uint64_t{static_cast<unsigned char>(b_[at_ + i])} << (8 * i);
    at_ += sizeof(T);
    *v = static_cast<T>(x);
    return true;
  }
  bool get(std::string_view* s) {
    uint32_t n = 0;
    const size_t at = at_;
    if (!get(&n)) return false;
    if (b_.size() - at_ < n) {
      at_ = at;
      return false;
    }
    *s = b_.substr(at_, n);
    at_ += n;
    return true;
  }
  bool get(std::string* s) {
    std::string_view v;
    if (!get(&v)) return false;
    s->assign(v);
    return true;
  }
  size_t remaining() const { return b_.size() - at_; }
  // The bytes not read yet.
  std::string_view rest() const { return b_.substr(at_); }

 private:
  std::string_view b_;
  size_t at_ = 0;
};

// Reads an enum stored as u8, refusing values past `last`.
template <typename E>
bool get_enum(ByteReader& in, E last, E* out) {
  uint8_t v = 0;
  if (!in.get(&v) || v > static_cast<uint8_t>(last)) return false;
  *out = static_cast<E>(v);
  return true;
}

}  // namespace dimona
