// Status and Result<T>: expected failures (bad config, malformed frame, I/O
// error) travel as values; the core and memprof never throw. Exceptions from
// third-party libraries are caught at program edges and turned into a Status.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "base/check.h"

namespace hd {

class Status {
 public:
  Status() = default;  // OK
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !message_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  // Precondition: !is_ok().
  const std::string& message() const {
    HD_CHECK(message_.has_value());
    return *message_;
  }

 private:
  explicit Status(std::string m) : message_(std::move(m)) {}
  std::optional<std::string> message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) { HD_CHECK(!std::get<Status>(v_).is_ok()); }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    HD_CHECK(!is_ok());
    return std::get<Status>(v_);
  }
  T& value() & {
    HD_CHECK(is_ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    HD_CHECK(is_ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    HD_CHECK(is_ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace hd
