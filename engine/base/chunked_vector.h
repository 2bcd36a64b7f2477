// ChunkedVector: an append-only sequence in fixed-size chunks.
//
// Contract. push_back never moves existing elements (no reallocation copy of
// the whole store when it grows, and references stay valid); indexing costs
// a shift and a mask. Chunks hold kChunkElements elements each. Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/base/assert.h"

namespace dimona {

template <typename T>
class ChunkedVector {
 public:
  static constexpr size_t kChunkShift = 16;
  static constexpr size_t kChunkElements = size_t{1} << kChunkShift;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) { return chunks_[i >> kChunkShift][i & (kChunkElements - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkShift][i & (kChunkElements - 1)]; }

  T& push_back(const T& value) {
    if ((size_ & (kChunkElements - 1)) == 0) chunks_.push_back(std::make_unique<T[]>(kChunkElements));
    T& slot = chunks_.back()[size_ & (kChunkElements - 1)];
    slot = value;
    ++size_;
    return slot;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace dimona
