// One error model for all of EphemeralML: Status and StatusOr<T>.
//
// A Status is either OK or carries a stable code and a short message. The
// message names the field or limit that was violated; it must never contain
// secret bytes (keys, plaintext, prompts). Codes are stable: they are part of
// the wire protocol's redacted error replies and of the test suite.
//
// Thread-safety: values; no shared state.
#ifndef EML_CORE_STATUS_H_
#define EML_CORE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace eml {

// Stable numeric values: never renumber, only append.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,    // malformed input (parse error, bad size, bad field)
  kOutOfRange = 2,         // input ended early / index outside bounds
  kLimitExceeded = 3,      // a configured bound (size, depth, count) was hit
  kVerificationFailed = 4, // signature, tag, chain or hash did not verify
  kUnsupported = 5,        // well-formed but not supported (algorithm, dtype)
  kNotFound = 6,           // missing file, tensor, key
  kFailedPrecondition = 7, // object in the wrong state for this call
  kInternal = 8,           // a library call failed unexpectedly
  kIo = 9,                 // filesystem / OS error
  kAlreadyExists = 10,     // duplicate (map key, tensor name)
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: cbor: map key out of order"
  std::string ToString() const;

  // Explicitly discards a status where ignoring it is the intended design.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status OutOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status LimitExceededError(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
inline Status VerificationFailedError(std::string m) { return {StatusCode::kVerificationFailed, std::move(m)}; }
inline Status UnsupportedError(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIo, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }

// Either a value of type T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr constructed from OK status without a value");
    if (status_.ok()) status_ = InternalError("StatusOr: OK status without value");
  }
  StatusOr(Status&& status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "StatusOr constructed from OK status without a value");
    if (status_.ok()) status_ = InternalError("StatusOr: OK status without value");
  }
  StatusOr(const T& value) : value_(value) {}  // NOLINT
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Precondition: ok(). Calling these on an error is a programmer bug.
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace eml

#define EML_STATUS_CONCAT_INNER_(a, b) a##b
#define EML_STATUS_CONCAT_(a, b) EML_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    ::eml::Status eml_status_ = (expr);               \
    if (!eml_status_.ok()) return eml_status_;        \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` — evaluates a StatusOr, returns its
// status on error, otherwise moves the value into `lhs`.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(EML_STATUS_CONCAT_(eml_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // EML_CORE_STATUS_H_
