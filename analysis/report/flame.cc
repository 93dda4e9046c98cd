// Flame graphs: see flame.h.
#include "analysis/report/flame.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "analysis/ingest/heap_profile.h"
#include "analysis/metrics/symbol_cache.h"
#include "analysis/report/svg.h"
#include "analysis/symbolize/fold.h"

namespace hd::analysis {
namespace {

struct Node {
  std::string label;
  double value = 0;
  std::map<std::string, std::unique_ptr<Node>> children;  // by label: deterministic
};

constexpr int kRowHeight = 17;
constexpr int kTop = 44;  // title and subtitle

// v with `decimals` digits after the point (0-2).
std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string value_text(double v, const std::string& unit) {
  const double a = std::fabs(v);
  std::string n;
  if (unit == "B" && a >= 1048576)
    n = fmt(v / 1048576, 2) + " MiB";
  else if (unit == "B" && a >= 1024)
    n = fmt(v / 1024, 1) + " KiB";
  else
    n = fmt(v, a >= 100 ? 0 : 1) + " " + unit;
  return n;
}

void lay(const Node& n, const std::string& path, double x, int depth, double scale,
         double min_width, int max_depth, FlameLayout& out) {
  std::vector<const Node*> kids;
  for (const auto& [label, child] : n.children) kids.push_back(child.get());
  std::stable_sort(kids.begin(), kids.end(), [](const Node* a, const Node* b) {
    return a->value != b->value ? a->value > b->value : a->label < b->label;
  });
  if (depth + 1 >= max_depth) return;
  double cx = x;
  double other = 0;
  int merged = 0;
  for (const Node* k : kids) {
    const double w = k->value * scale;
    if (w < min_width) {
      other += k->value;
      ++merged;
      continue;
    }
    FlameRect r;
    r.label = k->label;
    r.path = path + " > " + k->label;
    r.value = k->value;
    r.x = cx;
    r.width = w;
    r.depth = depth + 1;
    out.rects.push_back(r);
    out.depth = std::max(out.depth, depth + 2);
    lay(*k, r.path, cx, depth + 1, scale, min_width, max_depth, out);
    cx += w;
  }
  if (merged > 0) {
    FlameRect r;
    r.label = "other";
    r.path = path + " > other (" + std::to_string(merged) + " small frames)";
    r.value = other;
    r.x = cx;
    r.width = other * scale;
    r.depth = depth + 1;
    r.other = true;
    r.merged = merged;
    out.rects.push_back(r);
    out.depth = std::max(out.depth, depth + 2);
  }
}

// A stable warm colour per label, so one function has one colour in both graphs.
std::string colour(const std::string& label, bool other) {
  if (other) return "#c8c8c8";
  uint32_t h = 2166136261u;
  for (const char c : label) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  const int r = 205 + static_cast<int>(h % 50);
  const int g = 90 + static_cast<int>((h >> 8) % 130);
  const int b = 40 + static_cast<int>((h >> 16) % 50);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string location_frame(const SymbolizedLocation& loc, const Frame* f) {
  if (f && !f->function.empty()) return short_function(f->function);
  if (!loc.module.empty())
    return std::filesystem::path(loc.module).filename().string() + "+0x" + hex(loc.module_offset);
  return "0x" + hex(loc.address);
}

// The profile the site series use for this process (site_growth.cc's rule).
const ProfileRef* chosen_profile(const ProcessRun& p) {
  const ProfileRef* last = nullptr;
  for (const ProfileRef& r : p.profiles)
    if (!r.end || (p.program != "replica" && p.program != "loadgen")) last = &r;
  return last;
}

// Seconds since the process started at which `profile` was written (from
// its snapshot line), or -1.
double profile_time_s(const ProcessRun& p, const ProfileRef& r) {
  for (const Snapshot& s : p.snapshots)
    if (!s.profile.empty() && (std::filesystem::path(p.dir) / s.profile).string() == r.path)
      return (s.t_ms - p.snapshots.front().t_ms) / 1000.0;
  return -1;
}

std::string join(const std::vector<std::string>& f) {
  std::string s;
  for (const std::string& x : f) s += (s.empty() ? "" : "\x1f") + x;
  return s;
}

}  // namespace

std::string short_function(const std::string& function) {
  std::string f = function;
  if (f.size() > 6 && f.compare(f.size() - 6, 6, " const") == 0) f.resize(f.size() - 6);
  if (f.empty() || f.back() != ')') return f;
  int level = 0;
  for (size_t i = f.size(); i-- > 0;) {
    if (f[i] == ')') ++level;
    if (f[i] == '(' && --level == 0) {
      // "operator()(int)": the list is the last "(...)"; a bare "operator()"
      // (an inlined frame's unqualified name) has no list to elide.
      const std::string head = f.substr(0, i);
      if (head.size() >= 8 && head.compare(head.size() - 8, 8, "operator") == 0 &&
          f.compare(i, 2, "()") == 0 && i + 2 == f.size())
        return f;
      return i == 0 ? f : head;
    }
  }
  return f;
}

FlameLayout flame_layout(const std::vector<FlamePath>& paths, const std::string& root_label,
                         double width, double min_width, int max_depth) {
  Node root;
  root.label = root_label;
  for (const FlamePath& p : paths) {
    if (!(p.weight > 0)) continue;
    root.value += p.weight;
    Node* n = &root;
    for (const std::string& f : p.frames) {
      std::unique_ptr<Node>& c = n->children[f];
      if (!c) {
        c = std::make_unique<Node>();
        c->label = f;
      }
      c->value += p.weight;
      n = c.get();
    }
  }
  FlameLayout out;
  out.total = root.value;
  if (root.value <= 0) return out;
  out.rects.push_back({root_label, root_label, root.value, 0, width, 0, false, 0});
  out.depth = 1;
  lay(root, root_label, 0, 0, width / root.value, min_width, std::max(1, max_depth), out);
  return out;
}

std::string flame_svg(const FlameSpec& spec, const FlameLayout& layout) {
  const int rows = std::max(1, layout.depth);
  const int height = kTop + rows * kRowHeight + 6;
  std::string o = "<svg class=\"flame\" id=\"" + html_escape(spec.id) +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(spec.width) +
                  "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                  std::to_string(spec.width) + " " + std::to_string(height) +
                  "\" font-family=\"sans-serif\" font-size=\"11\">";
  o += "<text x=\"4\" y=\"16\" font-size=\"14\" font-weight=\"bold\">" + html_escape(spec.title) +
       "</text>";
  if (!spec.subtitle.empty())
    o += "<text x=\"4\" y=\"33\" fill=\"#555\">" + html_escape(spec.subtitle) + "</text>";
  if (layout.rects.empty() || layout.total <= 0)
    return o + "<text x=\"4\" y=\"" + std::to_string(kTop + 12) + "\">no data</text></svg>";
  const double scale = (spec.width - 4) / layout.rects.front().width;
  for (const FlameRect& r : layout.rects) {
    const double x = 2 + r.x * scale, w = r.width * scale;
    const int y = kTop + r.depth * kRowHeight;
    const std::string share = fmt(100 * r.value / layout.total, 1);
    o += "<g class=\"frame\"><title>" + html_escape(r.path) + " — " +
         html_escape(value_text(r.value, spec.unit)) + " (" + share + "%)</title><rect x=\"" +
         fmt(x, 2) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
         fmt(std::max(w - 0.5, 0.3), 2) + "\" height=\"" + std::to_string(kRowHeight - 1) +
         "\" fill=\"" + colour(r.label, r.other) + "\"/>";
    const size_t fits = static_cast<size_t>(std::max(0.0, (w - 6) / 6.5));
    if (fits >= 3) {
      std::string label = r.label;
      if (label.size() > fits) label = label.substr(0, fits - 2) + "..";
      o += "<text x=\"" + fmt(x + 3, 2) + "\" y=\"" + std::to_string(y + kRowHeight - 5) + "\">" +
           html_escape(label) + "</text>";
    }
    o += "</g>";
  }
  return o + "</svg>";
}

Result<std::vector<FlamePath>> profile_call_paths(const ProcessRun& p, const std::string& profile,
                                                  std::vector<std::string>* warnings) {
  Result<HeapProfile> raw = load_heap_profile(profile);
  if (!raw) return raw.status();
  const HeapProfile prof = unsample(*raw);
  SymbolCache resolver(p, warnings);
  std::map<std::string, FlamePath> by_path;
  for (const HeapSample& s : prof.samples) {
    if (s.inuse_bytes <= 0) continue;
    // Innermost first: every frame of every location, inlined ones first.
    std::vector<std::string> names;
    std::vector<bool> folded;  // allocator or standard library
    std::vector<bool> alloc;
    for (const uint64_t addr : s.stack) {
      const SymbolizedLocation& loc = resolver.resolve(prof.mappings, addr, /*is_return=*/true);
      if (loc.frames.empty()) {
        const bool a = is_allocator_frame("", loc.module);
        names.push_back(location_frame(loc, nullptr));
        alloc.push_back(a);
        folded.push_back(a || is_std_library_frame("", loc.module));
        continue;
      }
      for (const Frame& f : loc.frames) {
        const bool a = is_allocator_frame(f.function, loc.module);
        names.push_back(location_frame(loc, &f));
        alloc.push_back(a);
        folded.push_back(a || is_std_library_frame(f.function, loc.module));
      }
    }
    size_t first = 0;
    while (first < names.size() && folded[first]) ++first;
    if (first == names.size()) {  // all folded: keep from the first non-allocator frame
      first = 0;
      while (first < names.size() && alloc[first]) ++first;
      if (first == names.size()) first = 0;
    }
    FlamePath path;
    for (size_t i = names.size(); i-- > first;) path.frames.push_back(names[i]);
    FlamePath& into = by_path[join(path.frames)];
    if (into.frames.empty()) into.frames = std::move(path.frames);
    into.weight += static_cast<double>(s.inuse_bytes);
  }
  resolver.flush_warnings();
  std::vector<FlamePath> out;
  for (auto& [key, fp] : by_path) out.push_back(std::move(fp));
  return out;
}

Result<std::vector<FlameChart>> report_flames(const std::vector<Run>& runs,
                                              std::vector<std::string>* all_warnings) {
  // The symbol caches warn again what the site series already said: once.
  std::vector<std::string> local;
  std::vector<std::string>* warnings = &local;
  struct Merge {
    std::vector<std::string>& from;
    std::vector<std::string>* into;
    ~Merge() {
      if (into == nullptr) return;
      for (std::string& w : from)
        if (std::find(into->begin(), into->end(), w) == into->end()) into->push_back(std::move(w));
    }
  } merge{local, all_warnings};
  std::vector<FlameChart> out;
  if (runs.empty()) return out;
  // A process's call paths at its chosen profile, the process as root frame.
  struct Taken {
    std::map<std::string, FlamePath> paths;  // by joined frames
    int64_t ops = 0;
    double t_s = -1;
  };
  auto take = [&](const Run& run) -> Result<std::map<std::string, Taken>> {
    std::map<std::string, Taken> by_process;
    for (const ProcessRun& p : run.processes) {
      const ProfileRef* r = chosen_profile(p);
      if (!r) continue;
      Result<std::vector<FlamePath>> paths = profile_call_paths(p, r->path, warnings);
      if (!paths) return paths.status();
      Taken& t = by_process[p.name];
      t.ops = r->ops;
      t.t_s = profile_time_s(p, *r);
      for (FlamePath& fp : *paths) t.paths[join(fp.frames)] = std::move(fp);
    }
    return by_process;
  };
  const Run& longest = runs.back();
  Result<std::map<std::string, Taken>> last = take(longest);
  if (!last) return last.status();
  if (last->empty()) return out;
  constexpr double kWidth = 1100, kMinWidth = 2.0;

  std::vector<FlamePath> inuse;
  auto named = [](const std::string& process, FlamePath fp) {
    fp.frames.insert(fp.frames.begin(), process);
    return fp;
  };
  for (const auto& [name, t] : *last)
    for (const auto& [key, fp] : t.paths) inuse.push_back(named(name, fp));
  FlameSpec spec;
  spec.id = "flame_inuse";
  spec.title = "In-use bytes by call path, end of the longest run (" + longest.name + ", " +
               std::to_string(longest.length_ops) + " ops)";
  spec.subtitle =
      "Icicle: callers above callees; width = estimated in-use bytes (sampled heap profiles); "
      "allocator and std frames folded; hover for values";
  spec.unit = "B";
  out.push_back({spec.id, spec.title,
                 flame_svg(spec, flame_layout(inuse, "all processes", kWidth, kMinWidth))});

  FlameSpec g;
  g.id = "flame_growth";
  g.width = spec.width;
  // Two lengths, or (no op counts) two runs compared per second.
  if (runs.size() < 2 ||
      (runs.front().length_ops == longest.length_ops && longest.length_ops != 0)) {
    g.title = "Growth by call path";
    g.subtitle = "needs two run lengths (one was given)";
    g.unit = "B/op";
    out.push_back({g.id, g.title, flame_svg(g, FlameLayout{})});
    return out;
  }
  Result<std::map<std::string, Taken>> first = take(runs.front());
  if (!first) return first.status();
  // The same process in the shortest run: by name, or the only one of a
  // one-process run (`heapdrift run` folders are named after the run).
  auto partner = [&](const std::string& name) {
    auto f = first->find(name);
    if (f == first->end() && first->size() == 1 && last->size() == 1) f = first->begin();
    return f;
  };
  bool per_op = true;
  for (const auto& [name, t] : *last) {
    auto f = partner(name);
    if (f != first->end() && t.ops <= f->second.ops) per_op = false;
  }
  std::vector<FlamePath> growth;
  int shrank = 0;
  double shrank_total = 0;
  for (const auto& [name, t] : *last) {
    auto f = partner(name);
    if (f == first->end()) continue;
    const double span = per_op ? static_cast<double>(t.ops - f->second.ops) : t.t_s - f->second.t_s;
    if (!(span > 0)) continue;
    std::map<std::string, FlamePath> all = t.paths;
    for (auto& [key, fp] : all) fp.weight = fp.weight / span;
    for (const auto& [key, fp] : f->second.paths) {
      FlamePath& d = all[key];
      if (d.frames.empty()) d.frames = fp.frames;
      d.weight -= fp.weight / span;
    }
    for (auto& [key, fp] : all) {
      if (fp.weight < 0) {
        ++shrank;
        shrank_total += fp.weight;
      } else {
        growth.push_back(named(name, std::move(fp)));
      }
    }
  }
  g.unit = per_op ? "B/op" : "B/s";
  g.title = std::string("Growth by call path, ") + (per_op ? "per op" : "per second") + " (" +
            runs.front().name + " → " + longest.name + ")";
  g.subtitle = "Width = in-use bytes at the longest run's profile minus the shortest's, per " +
               std::string(per_op ? "op" : "second") + "; " +
               (shrank == 0 ? std::string("no call path shrank")
                            : std::to_string(shrank) + " call paths shrank (" +
                                  value_text(shrank_total, g.unit) + " in total), not drawn");
  out.push_back(
      {g.id, g.title, flame_svg(g, flame_layout(growth, "all processes", kWidth, kMinWidth))});
  return out;
}

}  // namespace hd::analysis
