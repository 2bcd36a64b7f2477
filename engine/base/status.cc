#include "engine/base/status.h"

#include <cstdio>
#include <cstdlib>

namespace dimona {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kAlreadyExists: return "already exists";
    case Code::kFailedPrecondition: return "failed precondition";
    case Code::kCorruption: return "corruption";
    case Code::kIoError: return "i/o error";
    case Code::kBusy: return "busy";
    case Code::kUnavailable: return "unavailable";
    case Code::kInternal: return "internal error";
    case Code::kPermissionDenied: return "permission denied";
    case Code::kResourceExhausted: return "resource exhausted";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string out(code_name(code_));
  out += ": ";
  out += message_;
  return out;
}

namespace detail {
void assert_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "dimona: invariant broken: %s (%s:%d)\n", condition, file, line);
  std::abort();
}
}  // namespace detail

}  // namespace dimona
