// Always-on assertions for invariants.
//
// Contract. DIMONA_ASSERT(cond) checks in every build type, release included:
// a broken invariant means the process state can no longer be trusted, so it
// prints the condition, file and line on stderr and aborts. Use it for what
// must be true whatever the input; use Status for what bad input can cause.
#pragma once

namespace dimona::detail {
[[noreturn]] void assert_failed(const char* condition, const char* file, int line);
}  // namespace dimona::detail

#define DIMONA_ASSERT(cond)                                                         \
  do {                                                                              \
    if (__builtin_expect(!(cond), 0)) ::dimona::detail::assert_failed(#cond, __FILE__, __LINE__); \
  } while (0)
