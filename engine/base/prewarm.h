// Prewarming a file into the page cache, as pg_prewarm does for PostgreSQL: a server whose reads
// land at random in a file that fits in memory reads it once, in order, in the background, rather
// than page by page from disk as requests come (docs/operations.md, "Prewarming the log").
//
// Contract. prewarm_file(path, budget, stop) reads `path` from its start in chunks of
// limits::prewarm_chunk_bytes (the bytes are dropped: the kernel keeps them in its page cache),
// at most `budget` bytes, and returns how many it read. It stops at the end, at the budget, or
// when `stop()` says so (asked before each chunk). prewarm_budget_bytes() is the memory the
// machine has available now (/proc/meminfo MemAvailable: free memory and clean pages the kernel
// may drop) less limits::prewarm_keep_available_bytes, 0 when that is all: so a prewarm never
// pushes out a process's memory, only other files' cached pages (as any read does). Errors as
// values: kIoError naming the path when it cannot be opened or read. Threading: free functions;
// call prewarm_file on a thread of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/base/status.h"

namespace dimona {

Result<uint64_t> prewarm_file(const std::string& path, uint64_t budget, const std::function<bool()>& stop);

uint64_t prewarm_budget_bytes();

}  // namespace dimona
