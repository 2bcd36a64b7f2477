// simdjson, included the one way every translation unit must: with the ABI of the library it
// links. Debian's simdjson is built with threads, and its CMake target says so
// (SIMDJSON_THREADS_ENABLED); a translation unit compiled without that define sees parsers of
// another layout than the engine's (an ODR violation: a DOM parser of the `log dump` crashed).
// So a target that includes this links simdjson::simdjson, or does not compile.
#pragma once

#ifndef SIMDJSON_THREADS_ENABLED
#error "link this target with simdjson::simdjson: its parsers are built with threads (SIMDJSON_THREADS_ENABLED)"
#endif
#include <simdjson.h>
