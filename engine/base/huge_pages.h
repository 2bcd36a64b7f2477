// HugePageAllocator: storage for the state's large tables on transparent huge pages.
//
// Contract. A standard allocator. A block of kHugePageBytes (2 MiB) or more is
// aligned to kHugePageBytes, its size rounded up to a multiple of it, and advised
// MADV_HUGEPAGE, so the kernel backs it with 2 MiB pages where it can (THP "madvise", the
// Debian default): the first touch of such a table costs one fault per 2 MiB instead of one
// per 4 KiB, and its look-ups miss the TLB less. The advice is only advice: where the kernel
// has THP off or no huge page at hand, the block is ordinary memory, and nothing changes but
// speed. Smaller blocks are ordinary allocations. Use it for storage that is written whole
// when allocated (a hash table's slots), where committing 2 MiB at once costs no resident
// memory that 4 KiB pages would not.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace dimona {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Memory for `bytes` (see the contract); throws std::bad_alloc as operator new does.
inline void* allocate_huge_page_block(size_t bytes) {
  const size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* block = std::aligned_alloc(kHugePageBytes, rounded);
  if (block == nullptr) throw std::bad_alloc();
  (void)::madvise(block, rounded, MADV_HUGEPAGE);  // advice: ignored where THP is off
  return block;
}

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_array_new_length();
    const size_t bytes = n * sizeof(T);
    if (bytes >= kHugePageBytes) return static_cast<T*>(allocate_huge_page_block(bytes));
    return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) >= kHugePageBytes) return std::free(p);
    ::operator delete (p, std::align_val_t{alignof(T)});
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace dimona
