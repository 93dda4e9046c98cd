// Plants: `--plant` parsing and the memory plants (leak, fragment).
#include "replica/plants/plants.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "base/check.h"

namespace hd::core {

namespace {

constexpr uint32_t kMinLeakBytes = 16;  // room for the intrusive list link
constexpr uint32_t kMaxLeakBytes = 1 << 20;

// fragment: small size classes (jemalloc bins of many regions per slab),
// one per phase, in turn. During a phase each op allocates about
// kFragmentTempBytesPerOp in that class and keeps it; at the phase end one
// object per 4 KiB page survives and the rest is freed. Every page the phase
// touched stays pinned by its survivor, and no later allocation of the plant
// uses that class until the cycle comes back to it (then its old survivors
// go first), so the holes are not refilled: active/resident/RSS grow by about
// kFragmentPhaseOps * kFragmentTempBytesPerOp per phase while the live bytes
// (the survivors, a few % of that) stay nearly flat. Growth is bounded: after
// one cycle (kFragmentSizes.size() * kFragmentPhaseOps ops) it levels off.
constexpr size_t kFragmentSizes[] = {16,  32,  48,  64,  80,  96,  112, 128,
                                     160, 192, 224, 256, 320, 384, 448, 512};
constexpr size_t kFragmentClasses = std::size(kFragmentSizes);
constexpr uint64_t kFragmentPhaseOps = 512;
constexpr size_t kFragmentTempBytesPerOp = 512;
constexpr uintptr_t kPageBytes = 4096;

constexpr uint64_t kMaxDecayOpsPerElement = 1000000;
constexpr uint64_t kMaxSyncTimerMs = 600000;

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

Status bad_plant(std::string_view spec, const std::string& why) {
  return Status::error("--plant: '" + std::string(spec) + "': " + why +
                       " (valid: " + plant_kinds_help() + ")");
}

}  // namespace

std::string plant_kinds_help() {
  return "none, history (alias retain-history), leak[:BYTES] (default " +
         std::to_string(kDefaultLeakBytesPerOp) + ", " + std::to_string(kMinLeakBytes) + ".." +
         std::to_string(kMaxLeakBytes) + "), fragment, slowpath[:N] (default " +
         std::to_string(kDefaultSlowPathAfterOps) + "), decay[:N] (default " +
         std::to_string(kDefaultDecayOpsPerElement) + ", 1.." +
         std::to_string(kMaxDecayOpsPerElement) + "), slowsync[:MS] (CURP-HO, default " +
         std::to_string(kDefaultSyncTimerMs) + ", 1.." + std::to_string(kMaxSyncTimerMs) +
         "), keepall";
}

Result<PlantSpec> parse_plant(std::string_view spec) {
  PlantSpec p;
  const size_t colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  const bool has_arg = colon != std::string_view::npos;
  const std::string_view arg = has_arg ? spec.substr(colon + 1) : std::string_view{};
  if (kind == "none" || kind == "history" || kind == "retain-history" || kind == "fragment" ||
      kind == "keepall") {
    if (has_arg) return bad_plant(spec, "'" + std::string(kind) + "' takes no argument");
    p.retain_history = kind == "history" || kind == "retain-history";
    p.fragment = kind == "fragment";
    p.keep_all = kind == "keepall";
    return p;
  }
  if (kind == "slowsync") {
    uint64_t ms = kDefaultSyncTimerMs;
    if (has_arg && (!parse_u64(arg, &ms) || ms < 1 || ms > kMaxSyncTimerMs))
      return bad_plant(spec, "MS must be an integer in 1.." + std::to_string(kMaxSyncTimerMs) +
                                 " (the sync timer, ms)");
    p.slow_sync = true;
    p.sync_timer_ms = ms;
    return p;
  }
  if (kind == "leak") {
    uint64_t bytes = kDefaultLeakBytesPerOp;
    if (has_arg && (!parse_u64(arg, &bytes) || bytes < kMinLeakBytes || bytes > kMaxLeakBytes))
      return bad_plant(spec, "BYTES must be an integer in " + std::to_string(kMinLeakBytes) + ".." +
                                 std::to_string(kMaxLeakBytes));
    p.leak_bytes_per_op = static_cast<uint32_t>(bytes);
    return p;
  }
  if (kind == "slowpath") {
    uint64_t n = kDefaultSlowPathAfterOps;
    if (has_arg && !parse_u64(arg, &n))
      return bad_plant(spec, "N must be a non-negative integer (ops)");
    p.force_slow_path = true;
    p.slow_path_after_ops = n;
    return p;
  }
  if (kind == "decay") {
    uint64_t n = kDefaultDecayOpsPerElement;
    if (has_arg && (!parse_u64(arg, &n) || n < 1 || n > kMaxDecayOpsPerElement))
      return bad_plant(spec, "N must be an integer in 1.." +
                                 std::to_string(kMaxDecayOpsPerElement) + " (ops per element)");
    p.decay_ops_per_element = static_cast<uint32_t>(n);
    return p;
  }
  return bad_plant(spec, "unknown kind");
}

std::string plant_name(const PlantSpec& p) {
  if (p.decay_ops_per_element) return "decay:" + std::to_string(p.decay_ops_per_element);
  if (p.retain_history) return "history";
  if (p.leak_bytes_per_op) return "leak:" + std::to_string(p.leak_bytes_per_op);
  if (p.fragment) return "fragment";
  if (p.force_slow_path) return "slowpath:" + std::to_string(p.slow_path_after_ops);
  if (p.slow_sync) return "slowsync:" + std::to_string(p.sync_timer_ms);
  if (p.keep_all) return "keepall";
  return "none";
}

MemoryPlant::MemoryPlant(const Plants& plants)
    : leak_bytes_(plants.leak_bytes_per_op), fragment_(plants.fragment) {
  if (fragment_) survivors_.resize(kFragmentClasses);
}

MemoryPlant::~MemoryPlant() {
  while (leaked_ != nullptr) {
    Block* next = leaked_->next;
    std::free(leaked_);
    leaked_ = next;
  }
  for (void* t : phase_temps_) std::free(t);
  for (auto& cls : survivors_)
    for (void* s : cls) std::free(s);
}

void MemoryPlant::on_ops(uint64_t ops) {
  for (; seen_ops_ < ops; ++seen_ops_) {
    if (leak_bytes_ != 0) leak_plant_accumulate(leak_bytes_);
    if (fragment_) fragment_plant_step();
  }
}

// noinline and not a tail call (the link is written after malloc returns),
// so this frame is the heap profile's first user frame for every block.
__attribute__((noinline)) void MemoryPlant::leak_plant_accumulate(size_t bytes) {
  auto* block = static_cast<Block*>(std::malloc(bytes));
  HD_CHECK(block != nullptr);
  block->next = leaked_;
  leaked_ = block;
  leaked_bytes_ += bytes;
}

__attribute__((noinline)) void MemoryPlant::fragment_plant_step() {
  const uint64_t phase = fragment_ops_ / kFragmentPhaseOps;
  const size_t cls = static_cast<size_t>(phase % kFragmentClasses);
  const size_t size = kFragmentSizes[cls];
  if (fragment_ops_ % kFragmentPhaseOps == 0) {
    // A new phase: this class's survivors from the previous cycle go first.
    for (void* s : survivors_[cls]) std::free(s);
    survivors_[cls].clear();
  }
  for (size_t b = 0; b < kFragmentTempBytesPerOp; b += size) {
    void* t = std::malloc(size);
    HD_CHECK(t != nullptr);
    std::memset(t, 0xa5, size);  // written, as a real object would be: pages become resident
    phase_temps_.push_back(t);
  }
  ++fragment_ops_;
  if (fragment_ops_ % kFragmentPhaseOps != 0) return;
  // Phase end: keep the lowest-addressed object of every page, free the rest.
  std::sort(phase_temps_.begin(), phase_temps_.end());
  uintptr_t last_page = 0;
  for (void* t : phase_temps_) {
    const uintptr_t page = reinterpret_cast<uintptr_t>(t) / kPageBytes;
    if (page != last_page) {
      survivors_[cls].push_back(t);
      last_page = page;
    } else {
      std::free(t);
    }
  }
  phase_temps_.clear();
}

void DecayPlant::on_ops(uint64_t ops) {
  for (; seen_ops_ < ops; ++seen_ops_) {
    if (seen_ops_ % ops_per_element_ == 0) list_.push_back(seen_ops_);
    sink_ += decay_plant_scan();
  }
}

__attribute__((noinline)) uint64_t DecayPlant::decay_plant_scan() const {
  uint64_t h = sink_;
  for (const uint64_t v : list_) h = h * 0x9e3779b97f4a7c15ULL + v;
  return h;
}

}  // namespace hd::core
