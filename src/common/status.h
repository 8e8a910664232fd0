// Status and Result<T>: errors as values at every I/O boundary.
//
// A Status is either ok or carries an ErrorCode and one plain sentence that
// can be shown to a user as is. Result<T> holds a T or a non-ok Status.
// Exceptions never cross a module boundary; the CLI turns a Status into a
// message and an exit code.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace cairn {

enum class ErrorCode {
  kOk = 0,
  kNotFound,            // the object, file or backup does not exist
  kAlreadyExists,       // objects are immutable: a put never replaces one
  kCorruption,          // authentication, checksum or structure check failed
  kIoError,             // the OS or the storage failed; may be retried
  kInvalidArgument,     // the user or the caller asked for something malformed
  kPermissionDenied,    // the OS or an access mode refused the operation
  kNoSpace,             // the disk or the quota is full
  kWrongPassword,       // no key file opens with the password given
  kLocked,              // another process holds a conflicting lock
  kCancelled,           // stopped on request (signal, user)
  kUnsupported,         // format version or feature this build does not know
  kFailedPrecondition,  // well-formed, but the state of things forbids it now (a running server, a full
                        // folder)
};

const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Adds what was being done when the error happened: "reading data/ab: <message>".
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

  // Marks a status as deliberately ignored (documents intent at the call site).
  void ignore() const {}

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
inline Status corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
inline Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status permission_denied(std::string m) { return {ErrorCode::kPermissionDenied, std::move(m)}; }
inline Status unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {ErrorCode::kFailedPrecondition, std::move(m)}; }

// Status from errno after a failed system call: "open /x: No such file or directory".
Status errno_status(int err, const std::string& what);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
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

}  // namespace cairn

// Returns the status from the enclosing function when it is not ok.
#define CAIRN_RETURN_IF_ERROR(expr)                   \
  do {                                                \
    ::cairn::Status cairn_status_ = (expr);           \
    if (!cairn_status_.is_ok()) return cairn_status_; \
  } while (0)

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)

// CAIRN_ASSIGN_OR_RETURN(auto x, f()); declares x from a Result or returns its status.
#define CAIRN_ASSIGN_OR_RETURN(decl, expr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL(CAIRN_CONCAT(cairn_result_, __LINE__), decl, expr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.is_ok()) return tmp.status();             \
  decl = std::move(tmp).value()
