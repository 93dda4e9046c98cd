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
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

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

// A finite decimal number in [0, max] (e.g. a rate); rejects "-1", "nan",
// "1e999" and, above max, numbers no run could mean.
inline CLI::Validator non_negative_number(double max) {
  char max_text[32];
  std::snprintf(max_text, sizeof max_text, "%.17g", max);
  const std::string range = std::string("a number from 0 to ") + max_text;
  return CLI::Validator(
      [max, range](std::string& v) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || end != v.c_str() + v.size() || errno != 0 || !std::isfinite(x) || x < 0 ||
            x > max)
          return "wants " + range + ", got '" + v + "'";
        return {};
      },
      "NUMBER in [0, " + std::string(max_text) + "]");
}

}  // namespace hd::cli_check

namespace hd::cli_parse {

// Usage errors exit with this code in every program (each states it in --help).
inline constexpr int kExitUsage = 2;

// Parses argv into app (running the selected subcommand's callback, as
// CLI::App::parse does). Returns nothing when parsing succeeded, else the exit
// code after printing the message: 0 for --help, kExitUsage for any parse
// error. An argument nothing recognised is named first: CLI11 checks required
// options and values before leftover arguments, so `loadgen --bogus` said only
// "--config is required" and never named --bogus.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help: prints it, 0
    // The "--" that ends a subcommand's options is no one's mistake.
    std::vector<std::string> unknown;
    for (std::string& arg : app.remaining(/*recurse=*/true))
      if (arg != "--") unknown.push_back(std::move(arg));
    if (!unknown.empty()) {
      app.exit(CLI::ExtrasError(std::move(unknown)));
      return kExitUsage;
    }
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
}

}  // namespace hd::cli_parse
