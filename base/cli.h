// The one include for CLI11. GCC 12 at -O2 reports -Wnull-dereference false
// positives inside std::string as CLI11 inlines it; the diagnostic is switched
// off for the including file (a push/pop around the include does not cover
// templates instantiated later in that file). Same reasoning as replica/io/asio.h.
#pragma once

#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace hd::cli_check {

// Checked on the text, before CLI11 converts it: CLI11 wraps "-5" into a huge
// unsigned count, so an unsigned option would take it silently. Accepts
// decimal digits only, in [min, max]; the message names the bad value (CLI11
// prefixes the option's name).
inline CLI::Validator whole_number(uint64_t min, uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& v) -> std::string {
        const std::string want =
            "wants a whole number from " + std::to_string(min) + " to " + std::to_string(max);
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 20)
          return want + ", got '" + v + "'";
        errno = 0;
        const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
        if (errno != 0 || n < min || n > max) return want + ", got " + v;
        return {};
      },
      "INT in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

// A finite decimal number >= 0 (e.g. a rate); rejects "-1", "nan", "1e999".
inline CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || end != v.c_str() + v.size() || errno != 0 || !std::isfinite(x) || x < 0)
          return "wants a number >= 0, got '" + v + "'";
        return {};
      },
      "NUMBER >= 0");
}

}  // namespace hd::cli_check
