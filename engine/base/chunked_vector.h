// ChunkedVector: an append-only sequence in fixed-size chunks.
//
// Contract. push_back never moves existing elements (no reallocation copy of
// the whole store when it grows, and references stay valid); indexing costs
// a shift and a mask. Chunks hold kChunkElements elements each. A chunk is
// raw storage until elements are pushed into it: a new chunk costs no
// constructor run over its kChunkElements slots, and the pages the
// allocator maps for it stay untouched, out of the resident set, until
// they are filled (a partition holding a few thousand periods pays for
// those, not for a 64 Ki-element chunk zeroed up front). T is trivially
// destructible, so dropping a chunk destroys nothing. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace dimona {

template <typename T>
class ChunkedVector {
  static_assert(std::is_trivially_destructible_v<T>, "chunks are released without running destructors");

 public:
  static constexpr size_t kChunkShift = 16;
  static constexpr size_t kChunkElements = size_t{1} << kChunkShift;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) { return chunks_[i >> kChunkShift].get()[i & (kChunkElements - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkShift].get()[i & (kChunkElements - 1)]; }

  T& push_back(const T& value) {
    if ((size_ & (kChunkElements - 1)) == 0) chunks_.emplace_back(allocate_chunk());
    T* slot = ::new (chunks_.back().get() + (size_ & (kChunkElements - 1))) T(value);
    ++size_;
    return *slot;
  }

 private:
  struct ReleaseChunk {
    void operator()(T* chunk) const { ::operator delete(chunk, std::align_val_t{alignof(T)}); }
  };
  using Chunk = std::unique_ptr<T, ReleaseChunk>;

  static Chunk allocate_chunk() {
    return Chunk(static_cast<T*>(::operator new(kChunkElements * sizeof(T), std::align_val_t{alignof(T)})));
  }

  std::vector<Chunk> chunks_;
  size_t size_ = 0;
};

}  // namespace dimona
