// profile.proto encoding by hand: the message is small and stable, and a
// protobuf dependency would cost more than these field numbers. Field numbers
// follow pprof's proto/profile.proto; see docs/profile-formats.md.
#include "analysis/export/pprof.h"

#include <zlib.h>

#include <climits>
#include <fstream>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "analysis/export/proto_writer.h"

namespace hd::analysis {

namespace {

// profile.proto field numbers.
namespace pf {
constexpr int kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5,
              kStringTable = 6, kDropFrames = 7, kPeriodType = 11, kPeriod = 12,
              kDefaultSampleType = 14;
}  // namespace pf

// Module basenames whose unsymbolized frames are named after the module, so
// drop_frames can match them (fold.cc's kAllocatorModules).
constexpr std::string_view kAllocatorModules[] = {"libjemalloc", "libtcmalloc"};

bool allocator_module(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (std::string_view m : kAllocatorModules)
    if (base.starts_with(m)) return true;
  return false;
}

struct ValueType {
  const char* type;
  const char* unit;
};

class ProfileBuilder {
 public:
  ProfileBuilder(const std::vector<Mapping>& mappings, const Symbolizer& symbolizer)
      : mappings_(mappings), symbolizer_(symbolizer) {
    str("");  // string_table[0] must be ""
    // One pprof mapping per executable file mapping, in address order, so the
    // main binary (lowest PIE address in practice) comes first.
    for (size_t i = 0; i < mappings_.size(); ++i) {
      if (mappings_[i].executable() && !mappings_[i].path.empty()) exported_.push_back(i);
    }
    uses_.resize(exported_.size());
  }

  int64_t str(std::string_view s) {
    auto it = strings_.find(std::string(s));
    if (it != strings_.end()) return it->second;
    const auto id = static_cast<int64_t>(table_.size());
    table_.emplace_back(s);
    strings_.emplace(std::string(s), id);
    return id;
  }

  // Location id for a stack entry; addresses after a call are looked up at
  // address - 1 and recorded that way, as pprof's own legacy parser does.
  uint64_t location(uint64_t address, bool is_return_address) {
    const auto key = std::make_pair(address, is_return_address);
    auto it = locations_.find(key);
    if (it != locations_.end()) return it->second;
    const uint64_t id = locations_.size() + 1;
    locations_.emplace(key, id);
    const SymbolizedLocation loc = symbolizer_.symbolize(mappings_, address, is_return_address);
    proto::Writer w;
    w.uint(1, id);
    w.uint(2, mapping_id(address, loc.symbolized()));
    w.uint(3, is_return_address && address > 0 ? address - 1 : address);
    // A stripped allocator's internal frame (jemalloc's static functions)
    // has no name; named after its module it is one drop_frames can drop
    // rather than the "[libjemalloc.so.2]" that `pprof -top` shows as flat.
    std::vector<Frame> frames = loc.frames;
    if (frames.empty() && allocator_module(loc.module)) {
      const size_t slash = loc.module.rfind('/');
      frames.push_back(
          {loc.module.substr(slash == std::string::npos ? 0 : slash + 1), "", 0, false});
    }
    for (const Frame& f : frames) {
      proto::Writer line;
      line.uint(1, function_id(f));
      line.sint(2, f.line);
      w.message(4, line);
    }
    location_msgs_.push_back(w.data());
    return id;
  }

  void sample(const std::vector<uint64_t>& location_ids, const std::vector<int64_t>& values) {
    proto::Writer w;
    w.packed(1, location_ids.begin(), location_ids.end());
    w.packed(2, values.begin(), values.end());
    samples_.push_back(w.data());
  }

  std::string finish(const std::vector<ValueType>& types, ValueType period_type, int64_t period) {
    proto::Writer out;
    for (const ValueType& t : types) out.message(pf::kSampleType, value_type(t));
    for (const std::string& s : samples_) out.bytes(pf::kSample, s);
    for (size_t k = 0; k < exported_.size(); ++k) {
      const Mapping& m = mappings_[exported_[k]];
      const MappingUse& use = uses_[k];
      proto::Writer w;
      w.uint(1, k + 1);
      w.uint(2, m.start);
      w.uint(3, m.limit);
      w.uint(4, m.file_offset);
      w.sint(5, str(m.path));
      w.sint(6, str(use.build_id));
      w.boolean(7, use.symbolized);
      w.boolean(8, use.symbolized);
      w.boolean(9, use.symbolized);
      w.boolean(10, use.symbolized);
      out.message(pf::kMapping, w);
    }
    for (const std::string& l : location_msgs_) out.bytes(pf::kLocation, l);
    for (const std::string& f : function_msgs_) out.bytes(pf::kFunction, f);
    // Strings may still be added above, so the value types are encoded first
    // and the table goes last.
    out.message(pf::kPeriodType, value_type(period_type));
    out.sint(pf::kPeriod, period);
    out.sint(pf::kDefaultSampleType, str(types.back().type));
    out.sint(pf::kDropFrames, str(kPprofDropFrames));
    for (const std::string& s : table_) out.bytes(pf::kStringTable, s);
    return out.data();
  }

 private:
  struct MappingUse {
    bool referenced = false;
    bool symbolized = false;
    std::string build_id;
  };

  proto::Writer value_type(ValueType t) {
    proto::Writer w;
    w.sint(1, str(t.type));
    w.sint(2, str(t.unit));
    return w;
  }

  uint64_t mapping_id(uint64_t address, bool symbolized) {
    for (size_t k = 0; k < exported_.size(); ++k) {
      if (!mappings_[exported_[k]].contains(address)) continue;
      MappingUse& use = uses_[k];
      if (!use.referenced) {
        use.referenced = true;
        const std::string& path = mappings_[exported_[k]].path;
        if (!path.empty() && path.front() == '/') use.build_id = symbolizer_.build_id(path);
      }
      use.symbolized = use.symbolized || symbolized;
      return k + 1;
    }
    return 0;
  }

  uint64_t function_id(const Frame& f) {
    const auto key = std::make_pair(f.function, f.file);
    auto it = functions_.find(key);
    if (it != functions_.end()) return it->second;
    const uint64_t id = functions_.size() + 1;
    functions_.emplace(key, id);
    proto::Writer w;
    w.uint(1, id);
    const int64_t name = str(f.function.empty() ? "??" : f.function);
    w.sint(2, name);
    w.sint(3, name);
    w.sint(4, str(f.file));
    function_msgs_.push_back(w.data());
    return id;
  }

  const std::vector<Mapping>& mappings_;
  const Symbolizer& symbolizer_;
  std::vector<size_t> exported_;  // indexes into mappings_
  std::vector<MappingUse> uses_;
  std::vector<std::string> table_;
  std::unordered_map<std::string, int64_t> strings_;
  std::map<std::pair<uint64_t, bool>, uint64_t> locations_;
  std::map<std::pair<std::string, std::string>, uint64_t> functions_;
  std::vector<std::string> location_msgs_;
  std::vector<std::string> function_msgs_;
  std::vector<std::string> samples_;
};

std::vector<uint64_t> stack_locations(ProfileBuilder& b, const Stack& stack, bool first_is_pc) {
  std::vector<uint64_t> ids;
  ids.reserve(stack.size());
  for (size_t i = 0; i < stack.size(); ++i)
    ids.push_back(b.location(stack[i], !(first_is_pc && i == 0)));
  return ids;
}

Status write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::error(path + ": cannot open for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Status::error(path + ": write failed");
  return Status::ok();
}

}  // namespace

std::string encode_pprof(const HeapProfile& profile, const Symbolizer& symbolizer) {
  const HeapProfile p = unsample(profile);
  ProfileBuilder b(p.mappings, symbolizer);
  std::vector<ValueType> types;
  if (p.has_alloc) types = {{"alloc_objects", "count"}, {"alloc_space", "bytes"}};
  types.push_back({"inuse_objects", "count"});
  types.push_back({"inuse_space", "bytes"});
  for (const HeapSample& s : p.samples) {
    std::vector<int64_t> values;
    if (p.has_alloc) values = {s.alloc_objs, s.alloc_bytes};
    values.push_back(s.inuse_objs);
    values.push_back(s.inuse_bytes);
    b.sample(stack_locations(b, s.stack, false), values);
  }
  return b.finish(types, {"space", "bytes"}, static_cast<int64_t>(p.sample_period));
}

std::string encode_pprof(const CpuProfile& profile, const Symbolizer& symbolizer) {
  ProfileBuilder b(profile.mappings, symbolizer);
  const auto period_ns = static_cast<int64_t>(profile.period_us * 1000);
  for (const CpuSample& s : profile.samples) {
    const auto count = static_cast<int64_t>(s.count);
    int64_t cpu_ns = 0;
    if (__builtin_mul_overflow(count, period_ns, &cpu_ns)) cpu_ns = INT64_MAX;
    b.sample(stack_locations(b, s.stack, true), {count, cpu_ns});
  }
  return b.finish({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"},
                  period_ns);
}

Result<std::string> gzip(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper pprof expects.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::error("gzip: deflate failed");
  out.resize(written);
  return out;
}

namespace {
template <typename P>
Status export_any(const P& profile, const Symbolizer& symbolizer, const std::string& path) {
  Result<std::string> gz = gzip(encode_pprof(profile, symbolizer));
  if (!gz) return gz.status();
  return write_file(path, *gz);
}
}  // namespace

Status export_pprof(const HeapProfile& profile, const Symbolizer& symbolizer,
                    const std::string& path) {
  return export_any(profile, symbolizer, path);
}

Status export_pprof(const CpuProfile& profile, const Symbolizer& symbolizer,
                    const std::string& path) {
  return export_any(profile, symbolizer, path);
}

}  // namespace hd::analysis
