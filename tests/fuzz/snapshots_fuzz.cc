// libFuzzer target for the snapshots.jsonl reader (analysis/runs): any input
// gives snapshot lines or an error naming "source:line", never a crash; an
// accepted file has one record per newline-terminated line.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/runs/run_folder.h"
#include "base/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hd::analysis;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hd::Result<std::vector<Snapshot>> s = parse_snapshots(text, "fuzz.jsonl");
  if (!s.is_ok()) {
    HD_CHECK(s.status().message().starts_with("fuzz.jsonl"));
    return 0;
  }
  HD_CHECK(!s->empty());
  HD_CHECK(text.ends_with('\n'));
  HD_CHECK(s->size() == static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  return 0;
}
