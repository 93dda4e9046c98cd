// libFuzzer target for the meta.json reader (analysis/runs): any input gives
// the process's metadata or an error naming the source, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/runs/run_folder.h"
#include "base/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hd::analysis;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ProcessRun p;
  const hd::Status st = parse_meta(text, "fuzz/meta.json", p);
  if (!st.is_ok()) {
    HD_CHECK(st.message().starts_with("fuzz/meta.json"));
    return 0;
  }
  HD_CHECK(p.cpus >= 1);
  HD_CHECK(!p.plant.empty());
  return 0;
}
