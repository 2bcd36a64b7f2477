// return_free_memory(): the heap's free pages given back to the kernel.
//
// Contract. Frees nothing that is in use and changes no allocation: it only tells the kernel
// that the whole pages inside the allocator's free chunks may be dropped (glibc's malloc_trim,
// which advises MADV_DONTNEED on them in every arena, not only at the heap's top). A process
// that grows a large state through vectors and tables that reallocate as they grow leaves the
// old blocks free in the middle of its heap, resident until reused; call this before a step
// that needs memory beside that state (a checkpoint's bytes), so the step's peak is the state's
// size and not the state's plus its growth's leftovers. It takes time proportional to the free
// chunks (a walk of each arena under its lock): call it at such steps, not per event. Where the
// C library is not glibc it does nothing.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dimona {

inline void return_free_memory() {
#if defined(__GLIBC__)
  (void)::malloc_trim(0);
#endif
}

}  // namespace dimona
