// Logger: one line per event on stderr, "<UTC time> <alias> <level> <text>".
// Used by the replica transport and the clients; never per message.
// Thread-safe: each line is formatted first and written with one fwrite.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace hd::io {

enum class LogLevel : uint8_t { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// "debug", "info", "warn", "error", "off" -> level; false if unknown.
bool parse_log_level(std::string_view text, LogLevel& out);

class Logger {
 public:
  Logger() = default;
  Logger(std::string alias, LogLevel level) : alias_(std::move(alias)), level_(level) {}

  bool enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::kOff; }
  LogLevel level() const { return level_; }
  const std::string& alias() const { return alias_; }

  void debug(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));
  void info(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));
  void warn(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));
  void error(const char* fmt, ...) const __attribute__((format(printf, 2, 3)));

 private:
  void vlog(LogLevel level, const char* fmt, __builtin_va_list args) const
      __attribute__((format(printf, 3, 0)));

  std::string alias_ = "-";
  LogLevel level_ = LogLevel::kInfo;
};

}  // namespace hd::io
