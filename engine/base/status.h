// Status and Result<T>: how expected failures travel.
//
// Contract. A Status is either ok or an error with a Code and a one-line
// message meant for a person (no personal data in it: SSINs are masked by the
// caller). Result<T> holds a T or an error Status. Both are [[nodiscard]] so a
// failure cannot be dropped by accident. Broken invariants are not Statuses:
// they are DIMONA_ASSERT (assert.h) and stop the process.
//
// The codes are few on purpose; api/ maps each to one HTTP status in one place,
// the CLI maps every error to a non-zero exit and one line on stderr.
// Threading: plain values, copy freely.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "engine/base/assert.h"

namespace dimona {

enum class Code : unsigned char {
  kOk = 0,
  kInvalidArgument,     // the input is wrong; retrying the same input fails again
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // an id or key is taken
  kFailedPrecondition,  // the state does not allow it (wrong format version, ...)
  kCorruption,          // stored data failed a check (CRC, offsets, parse)
  kIoError,             // the operating system or the storage engine failed
  kBusy,                // retry later (a locked database, a full queue)
  kUnavailable,         // a remote peer or broker cannot be reached
  kInternal,            // a bug surfaced as a value at an edge
  kPermissionDenied,    // the caller may not do this (a role, another citizen's data)
  kResourceExhausted,   // the caller's allowance for a window is spent: retry after it
};

std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {
    DIMONA_ASSERT(code != Code::kOk);
  }
  static Status ok() { return {}; }

  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corruption: batch at offset 42 of partition 3 fails its CRC"
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
inline Status corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
inline Status io_error(std::string m) { return {Code::kIoError, std::move(m)}; }
inline Status busy(std::string m) { return {Code::kBusy, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status permission_denied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit on purpose
  // A value made in place (no move of a large T into the result).
  template <typename... Args>
  explicit Result(std::in_place_t, Args&&... args) : state_(std::in_place_type<T>, std::forward<Args>(args)...) {}
  Result(Status status) : state_(std::move(status)) {  // NOLINT
    DIMONA_ASSERT(!std::get<Status>(state_).is_ok());
  }

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return is_ok(); }

  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(state_);
  }
  T& value() & {
    DIMONA_ASSERT(is_ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    DIMONA_ASSERT(is_ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    DIMONA_ASSERT(is_ok());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace dimona

// Returns early with the error of a Status or Result expression.
#define DIMONA_TRY(expr) DIMONA_TRY_IMPL(expr, DIMONA_CONCAT(dimona_try_, __COUNTER__))
#define DIMONA_CONCAT_INNER(a, b) a##b
#define DIMONA_CONCAT(a, b) DIMONA_CONCAT_INNER(a, b)
#define DIMONA_TRY_IMPL(expr, name)                                      \
  do {                                                                   \
    if (auto&& name = (expr); !name.is_ok()) return ::dimona::detail::status_of(name); \
  } while (0)

namespace dimona::detail {
inline Status status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) { return r.status(); }
}  // namespace dimona::detail
