// Errors as values. The core never throws across its API: functions that can fail return Status or
// Expected<T>, whose message names the file, the tensor or the key and the problem.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ddpm {

enum class ErrorCode { kOk = 0, kInvalidArgument, kNotFound, kIo, kParse, kUnsupported, kOutOfMemory, kCancelled };

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("reading model.safetensors: ") to an error; OK stays OK.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
inline Status ParseError(std::string m) { return {ErrorCode::kParse, std::move(m)}; }
inline Status Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Status OutOfMemory(std::string m) { return {ErrorCode::kOutOfMemory, std::move(m)}; }
inline Status Cancelled(std::string m) { return {ErrorCode::kCancelled, std::move(m)}; }

// A value or the Status explaining why there is none (std::expected is C++23; Emscripten's libc++ lacks it).
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ddpm

// Early return on error, for Status and Expected alike.
#define DDPM_RETURN_IF_ERROR(expr)             \
  do {                                         \
    ::ddpm::Status _st = (expr);               \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define DDPM_CONCAT_INNER(a, b) a##b
#define DDPM_CONCAT(a, b) DDPM_CONCAT_INNER(a, b)
#define DDPM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
#define DDPM_ASSIGN_OR_RETURN(lhs, expr) DDPM_ASSIGN_OR_RETURN_IMPL(DDPM_CONCAT(_ex_, __LINE__), lhs, expr)
