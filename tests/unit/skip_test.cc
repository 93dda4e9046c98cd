// HD_SKIP_IF (tests/skip.h): a skipped case's reason is found from the case's
// own file and line, so `./heapdrift test` can say why each one did not run.
#include "skip.h"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("HD_SKIP_IF: the reason of a skipped case is found at its file and line") {
  // Registered as a wrapped TEST_CASE would: the decorator a line or two below.
  (void)hd::test::skip_if(true, "libfoo not installed", "skip_test_fake.cc", 12);
  (void)hd::test::skip_if(true, "needs root", "skip_test_fake.cc", 40);
  (void)hd::test::skip_if(false, "never recorded", "skip_test_fake.cc", 70);
  CHECK(std::string(hd::test::skip_reason("skip_test_fake.cc", 11)) == "libfoo not installed");
  CHECK(std::string(hd::test::skip_reason("skip_test_fake.cc", 12)) == "libfoo not installed");
  CHECK(std::string(hd::test::skip_reason("skip_test_fake.cc", 39)) == "needs root");
  // Not another case's reason, not a case that runs, not another file.
  CHECK(std::string(hd::test::skip_reason("skip_test_fake.cc", 13)).empty());
  CHECK(std::string(hd::test::skip_reason("skip_test_fake.cc", 69)).empty());
  CHECK(std::string(hd::test::skip_reason("other.cc", 12)).empty());
}
