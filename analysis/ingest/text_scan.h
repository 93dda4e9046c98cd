// Line-oriented scanning for the text profile formats: a Lines cursor that
// knows its line number (for error messages) and a Scanner over one line.
// Internal to analysis/ingest; no state beyond the caller's objects.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hd::analysis::detail {

// Splits text into lines. Every line must end in '\n': a file cut inside its
// last line is reported as truncated rather than parsed as a shorter value.
class Lines {
 public:
  Lines(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  // Returns false at end of text. On a last line without '\n' sets
  // truncated() and returns false.
  bool next(std::string_view& line) {
    if (truncated_ || pos_ >= text_.size()) return false;
    const size_t nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) {
      truncated_ = true;
      ++number_;
      return false;
    }
    line = text_.substr(pos_, nl - pos_);
    line_start_ = pos_;
    pos_ = nl + 1;
    ++number_;
    return true;
  }
  // Pushes the last line back, so the next next() returns it again.
  void unread() {
    pos_ = line_start_;
    --number_;
  }
  // Text after the last line returned (for a trailing section parsed apart).
  std::string_view remaining() const { return text_.substr(pos_); }
  bool truncated() const { return truncated_; }
  size_t number() const { return number_; }
  Status error(const std::string& what) const {
    return Status::error(std::string(source_) + ":" + std::to_string(number_) + ": " + what);
  }
  Status truncation_error(const std::string& what) const {
    return Status::error(std::string(source_) + ":" + std::to_string(number_) +
                         ": truncated: " + what);
  }

 private:
  std::string_view text_;
  std::string_view source_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  size_t number_ = 0;
  bool truncated_ = false;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void skip_spaces() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  bool at_end() const { return i_ >= s_.size(); }
  bool consume(std::string_view lit) {
    if (s_.substr(i_).starts_with(lit)) {
      i_ += lit.size();
      return true;
    }
    return false;
  }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  // Unsigned decimal that fits int64 (profile counts are never negative).
  bool dec(int64_t& out) {
    uint64_t v = 0;
    if (!number(v, 10) || v > static_cast<uint64_t>(INT64_MAX)) return false;
    out = static_cast<int64_t>(v);
    return true;
  }
  bool udec(uint64_t& out) { return number(out, 10); }
  bool hex(uint64_t& out) { return number(out, 16); }
  std::string_view rest() const { return s_.substr(i_ < s_.size() ? i_ : s_.size()); }

 private:
  bool number(uint64_t& out, int base) {
    const char* b = s_.data() + i_;
    const char* e = s_.data() + s_.size();
    auto [p, ec] = std::from_chars(b, e, out, base);
    if (ec != std::errc() || p == b) return false;
    i_ += static_cast<size_t>(p - b);
    return true;
  }
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace hd::analysis::detail
