// Logger implementation: timestamps in UTC with milliseconds.
#include "replica/io/log.h"

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace hd::io {

bool parse_log_level(std::string_view text, LogLevel& out) {
  if (text == "debug") {
    out = LogLevel::kDebug;
  } else if (text == "info") {
    out = LogLevel::kInfo;
  } else if (text == "warn") {
    out = LogLevel::kWarn;
  } else if (text == "error") {
    out = LogLevel::kError;
  } else if (text == "off") {
    out = LogLevel::kOff;
  } else {
    return false;
  }
  return true;
}

namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kOff:
      break;
  }
  return "?";
}

}  // namespace

void Logger::vlog(LogLevel level, const char* fmt, va_list args) const {
  if (!enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char line[1024];
  int n = std::snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec, static_cast<int>(ms.count()), alias_.c_str(), level_name(level));
  if (n < 0) return;
  size_t used = static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1;
  int m = std::vsnprintf(line + used, sizeof line - used, fmt, args);
  if (m > 0) used += static_cast<size_t>(m);
  if (used > sizeof line - 2) used = sizeof line - 2;  // truncated: keep room for '\n'
  line[used++] = '\n';
  std::fwrite(line, 1, used, stderr);
}

#define HD_LOG_FORWARD(name, lvl)                 \
  void Logger::name(const char* fmt, ...) const { \
    va_list args;                                 \
    va_start(args, fmt);                          \
    vlog(lvl, fmt, args);                         \
    va_end(args);                                 \
  }

HD_LOG_FORWARD(debug, LogLevel::kDebug)
HD_LOG_FORWARD(info, LogLevel::kInfo)
HD_LOG_FORWARD(warn, LogLevel::kWarn)
HD_LOG_FORWARD(error, LogLevel::kError)

#undef HD_LOG_FORWARD

}  // namespace hd::io
