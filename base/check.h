// Always-on invariant assertions (TigerBeetle style): one condition per check,
// used densely in the protocol core. A failed check prints the condition and
// location and aborts, in release builds too — a replica that has violated an
// invariant must not keep answering clients.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace hd {

[[noreturn]] inline void check_failed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "heapdrift: invariant violated: %s at %s:%d\n", cond, file, line);
  std::abort();
}

}  // namespace hd

#define HD_CHECK(cond)                               \
  do {                                               \
    if (!(cond)) [[unlikely]]                        \
      ::hd::check_failed(#cond, __FILE__, __LINE__); \
  } while (0)
