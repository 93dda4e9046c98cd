// Skipping a test case that cannot run, with the reason on record.
//
//   TEST_CASE("needs jemalloc" * HD_SKIP_IF(jemalloc_missing(), "libjemalloc.so.2 not installed"))
//
// The condition is decided at start-up (doctest applies decorators when it
// registers the case), so a skipped case is counted as skipped, never as
// passed. The listener in doctest_main.cc prints one line per skipped case,
//   [skipped] <case name> -- <reason>
// which `./heapdrift test` collects from ctest's log and summarises.
#pragma once

#include <doctest/doctest.h>

namespace hd::test {

// Records (file, line, reason) when `skip` holds and returns doctest's skip
// decorator; use through HD_SKIP_IF so the file and line are the case's own.
doctest::skip skip_if(bool skip, const char* reason, const char* file, int line);

// The reason recorded for a case declared at (file, line); "" if none.
const char* skip_reason(const char* file, int line);

}  // namespace hd::test

#define HD_SKIP_IF(cond, reason) ::hd::test::skip_if((cond), (reason), __FILE__, __LINE__)
