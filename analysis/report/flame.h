// Allocation flame graphs for index.html (docs/report.md "Flame graphs"):
// icicles of in-use bytes per call path at the end of the longest run, and
// of growth per op (per second without ops) between the shortest and the
// longest run, as inline SVG whose rectangles carry <title> tooltips (no
// script is needed to read them). Three layers: call paths from heap
// profiles (reads files), a pure layout from weighted paths to rectangles,
// and the SVG rendering. Thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "analysis/runs/run_folder.h"
#include "base/status.h"

namespace hd::analysis {

// One call path, root first (outermost caller ... allocating function), and
// its weight (bytes, or bytes per op). Equal frame names at the same depth
// under the same parent merge.
struct FlamePath {
  std::vector<std::string> frames;
  double weight = 0;
};

struct FlameRect {
  std::string label;  // the frame ("other" for merged small frames)
  std::string path;   // the frames from the root down to this one, " > " between
  double value = 0;   // the sum of the weights below it
  double x = 0, width = 0;
  int depth = 0;       // 0 = the root
  bool other = false;  // small siblings merged (their value preserved)
  int merged = 0;      // how many siblings "other" stands for
};

struct FlameLayout {
  std::vector<FlameRect> rects;  // parent before children; siblings by value desc, then label
  double total = 0;              // the root's value
  int depth = 0;                 // deepest row + 1
};

// The root spans [0, width) and is labelled root_label; a node's children
// are laid side by side from its left edge, each as wide as its share of
// the root's value, so their widths sum to the parent's width less its
// self weight (paths that end at it). Siblings narrower than min_width
// are merged into one "other" rectangle per parent, drawn at their summed
// width and not descended. Paths with weight <= 0 are ignored (the caller
// says what it left out); rows past max_depth are cut (their weight stays
// in the row above). Deterministic: the same paths in any order give the
// same rectangles.
FlameLayout flame_layout(const std::vector<FlamePath>& paths, const std::string& root_label,
                         double width, double min_width, int max_depth = 48);

struct FlameSpec {
  std::string id;
  std::string title;
  std::string subtitle;  // one line under the title
  std::string unit;      // "B", "B/op", "B/s": in the tooltips
  int width = 1100;
};

// A standalone <svg> (class "flame"): one <g class="frame"> per rectangle
// with <title>path — value unit (share of the root)</title>, a <rect> and
// a label when it fits. A layout without value says "no data".
std::string flame_svg(const FlameSpec& spec, const FlameLayout& layout);

// "f(int, char)" -> "f", "ns::C<int>::g() const" -> "ns::C<int>::g":
// the trailing argument list elided.
std::string short_function(const std::string& function);

// A heap profile's in-use bytes per call path, unsampled and symbolized
// through the process folder's symbol cache; allocator and standard-library
// frames are folded off the allocating end (is_allocator_frame,
// is_std_library_frame; the frames kept if every frame is one), inlined
// frames expanded, root first.
Result<std::vector<FlamePath>> profile_call_paths(const ProcessRun& p, const std::string& profile,
                                                  std::vector<std::string>* warnings);

struct FlameChart {
  std::string id;  // "flame_inuse", "flame_growth"
  std::string title;
  std::string svg;
};

// index.html's two flame graphs over the grouped runs (by length; the
// first is the shortest, the last the longest). Each process's profile is
// the last one the site series use (a replica's or loadgen's milestone
// before shutdown, else the end profile); processes are the first frame.
// Growth: per op when every process's op count grew between its two
// profiles, else per second of the profiles' times; call paths that shrank
// are not drawn and the subtitle says how many and by how much. Empty when
// no run has heap profiles.
Result<std::vector<FlameChart>> report_flames(const std::vector<Run>& runs,
                                              std::vector<std::string>* warnings);

}  // namespace hd::analysis
