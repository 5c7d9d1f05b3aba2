// Status and Result<T>: how expected failures travel (bad input, full disk, unknown node,
// corrupt data). Exceptions from libraries are converted to a Status where they are caught.
//
// The set of codes is small and closed: a code exists only because some caller reacts to it
// differently. The message is the human text; where upstream TiDB-Binlog shows a text to
// users, the message is exactly upstream's text.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "reference/core/assert.h"

namespace tidb_binlog {

enum class StatusCode {
  kOk = 0,
  kNotFound,          // the thing asked for does not exist (or was garbage-collected)
  kInvalidArgument,   // the caller's input is malformed
  kCorruption,        // stored or received bytes fail a checksum or do not decode
  kNoSpace,           // refused: free disk space is below the configured threshold
  kIoError,           // the operating system or RocksDB reported a failure
  kBusy,              // a resource is held by someone else (data directory lock)
  kUnavailable,       // the component is not in a state to serve (closed, not online)
  kResourceExhausted, // a bounded queue or table is full
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status NoSpace(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }

  // A status whose message is `message` itself, referred to rather than copied: for answers
  // given on hot paths (a store's "not found" miss), where copying a message longer than the
  // string's inline buffer would cost a heap allocation per call. `message` must outlive every
  // copy of the status (a string of static storage duration).
  static Status WithStaticMessage(StatusCode code, const std::string& message) {
    Status status;
    status.code_ = code;
    status.static_message_ = &message;
    return status;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const {
    return static_message_ != nullptr ? *static_message_ : message_;
  }
  // "<CodeName>: <message>", for logs and test failure output.
  std::string ToString() const;

  // A copy whose message is "<context>: <message>", as pingcap/errors.Annotate joins them.
  Status Annotate(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  const std::string* static_message_ = nullptr;  // if set, the message instead of message_
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    BINLOG_ASSERT(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & {
    BINLOG_ASSERT(ok());
    return *value_;
  }
  const T& value() const& {
    BINLOG_ASSERT(ok());
    return *value_;
  }
  T&& value() && {
    BINLOG_ASSERT(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace tidb_binlog

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define BINLOG_RETURN_IF_ERROR(expr)                \
  do {                                              \
    ::tidb_binlog::Status status_or_ = (expr);      \
    if (!status_or_.ok()) return status_or_;        \
  } while (0)
