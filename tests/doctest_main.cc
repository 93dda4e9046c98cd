// Shared doctest entry point for the unit, sim and integration binaries, and
// the registry behind HD_SKIP_IF (skip.h): a listener that names every case
// skipped by its decorator, with the reason, so a run says what did not run.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "skip.h"

namespace hd::test {
namespace {

struct SkipRecord {
  const char* file;
  int line;
  const char* reason;
};

// Filled during static initialisation (one TU at a time), read after main.
std::vector<SkipRecord>& records() {
  static std::vector<SkipRecord> r;
  return r;
}

}  // namespace

doctest::skip skip_if(bool skip, const char* reason, const char* file, int line) {
  if (skip) records().push_back({file, line, reason});
  return doctest::skip(skip);
}

const char* skip_reason(const char* file, int line) {
  // __LINE__ in a decorator is the case's line or a few lines below it when
  // the TEST_CASE invocation is wrapped; take the nearest record at or after.
  const SkipRecord* best = nullptr;
  for (const SkipRecord& r : records()) {
    if (std::strcmp(r.file, file) != 0 || r.line < line || r.line > line + 8) continue;
    if (best == nullptr || r.line < best->line) best = &r;
  }
  return best != nullptr ? best->reason : "";
}

namespace {

// Only cases skipped by their decorator; cases left out by -tc/-ts filters
// are also reported to test_case_skipped, but their m_skip is false.
class SkipListener : public doctest::IReporter {
 public:
  explicit SkipListener(const doctest::ContextOptions& /*options*/) {}
  void report_query(const doctest::QueryData& /*data*/) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& /*stats*/) override {
    if (skipped_ > 0) std::printf("[skipped] %d test case(s) in this binary\n", skipped_);
    std::fflush(stdout);
  }
  void test_case_start(const doctest::TestCaseData& /*tc*/) override {}
  void test_case_reenter(const doctest::TestCaseData& /*tc*/) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& /*stats*/) override {}
  void test_case_exception(const doctest::TestCaseException& /*e*/) override {}
  void subcase_start(const doctest::SubcaseSignature& /*s*/) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& /*a*/) override {}
  void log_message(const doctest::MessageData& /*m*/) override {}
  void test_case_skipped(const doctest::TestCaseData& tc) override {
    if (!tc.m_skip) return;
    ++skipped_;
    const char* why = skip_reason(tc.m_file.c_str(), tc.m_line);
    std::printf("[skipped] %s -- %s\n", tc.m_name, *why != '\0' ? why : "(no reason given)");
  }

 private:
  int skipped_ = 0;
};

REGISTER_LISTENER("hd_skips", 1, SkipListener);

}  // namespace
}  // namespace hd::test
