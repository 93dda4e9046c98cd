// Flame graphs (analysis/report/flame.h): the layout's geometry (children
// fill their parent less its self weight, deterministic order, small frames
// merged into "other" with their value kept), the SVG's tooltips, and a
// known answer: the golden leak runs' growth flame shows the planted
// function at its planted bytes per op.
#include "analysis/report/flame.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "unit/analysis/runs_test_util.h"

namespace hd::analysis {
namespace {

// Sum of the widths of a rectangle's direct children.
double children_width(const FlameLayout& l, const FlameRect& parent) {
  double w = 0;
  for (const FlameRect& r : l.rects)
    if (r.depth == parent.depth + 1 && r.path.rfind(parent.path + " > ", 0) == 0 &&
        r.path.find(" > ", parent.path.size() + 3) == std::string::npos)
      w += r.width;
  return w;
}

const FlameRect* find_rect(const FlameLayout& l, const std::string& path) {
  for (const FlameRect& r : l.rects)
    if (r.path == path) return &r;
  return nullptr;
}

TEST_CASE("flame layout: children's widths sum to the parent's, less its self weight") {
  const std::vector<FlamePath> paths = {{{"main", "a", "b"}, 30}, {{"main", "a", "c"}, 50},
                                        {{"main", "a"}, 20},  // self weight of a
                                        {{"main", "d"}, 100},     {{"main", "zero"}, 0},  // ignored
                                        {{"main", "neg"}, -40}};                          // ignored
  const FlameLayout l = flame_layout(paths, "all", 1000, 1);
  CHECK(l.total == doctest::Approx(200));
  REQUIRE(!l.rects.empty());
  CHECK(l.rects[0].label == "all");
  CHECK(l.rects[0].width == doctest::Approx(1000));
  CHECK(find_rect(l, "all > main > zero") == nullptr);
  CHECK(find_rect(l, "all > main > neg") == nullptr);
  const FlameRect* main = find_rect(l, "all > main");
  const FlameRect* a = find_rect(l, "all > main > a");
  const FlameRect* d = find_rect(l, "all > main > d");
  REQUIRE(main);
  REQUIRE(a);
  REQUIRE(d);
  CHECK(children_width(l, l.rects[0]) == doctest::Approx(1000));
  CHECK(children_width(l, *main) == doctest::Approx(main->width));
  CHECK(a->width == doctest::Approx(500));
  CHECK(children_width(l, *a) == doctest::Approx(a->width - 20.0 / 200 * 1000));  // self = 100
  // Children start at the parent's left edge and do not overlap.
  const FlameRect* c = find_rect(l, "all > main > a > c");
  const FlameRect* b = find_rect(l, "all > main > a > b");
  REQUIRE(c);
  REQUIRE(b);
  CHECK(c->x == doctest::Approx(a->x));  // the bigger first
  CHECK(b->x == doctest::Approx(c->x + c->width));
  CHECK(l.depth == 4);
  // Equal values: by label (a before d).
  CHECK(a->x < d->x);
}

TEST_CASE("flame layout: deterministic whatever the order of the paths") {
  std::vector<FlamePath> paths;
  for (int i = 0; i < 60; ++i)
    paths.push_back({{"main", "f" + std::to_string(i % 7), "g" + std::to_string(i % 5)},
                     static_cast<double>(1 + (i * 37) % 11)});
  const FlameLayout ref = flame_layout(paths, "all", 900, 3);
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(paths.begin(), paths.end(), rng);
    const FlameLayout l = flame_layout(paths, "all", 900, 3);
    REQUIRE(l.rects.size() == ref.rects.size());
    for (size_t i = 0; i < l.rects.size(); ++i) {
      CHECK(l.rects[i].path == ref.rects[i].path);
      CHECK(l.rects[i].x == doctest::Approx(ref.rects[i].x));
      CHECK(l.rects[i].width == doctest::Approx(ref.rects[i].width));
    }
  }
}

TEST_CASE("flame layout: tiny frames merge into \"other\", their bytes preserved") {
  std::vector<FlamePath> paths = {{{"big"}, 9000}};
  for (int i = 0; i < 100; ++i) paths.push_back({{"tiny" + std::to_string(i)}, 10});  // 1 px each
  const FlameLayout l = flame_layout(paths, "all", 1000, 2);
  CHECK(l.total == doctest::Approx(10000));
  const FlameRect* other = find_rect(l, "all > other (100 small frames)");
  REQUIRE(other);
  CHECK(other->other);
  CHECK(other->merged == 100);
  CHECK(other->value == doctest::Approx(1000));
  CHECK(other->width == doctest::Approx(100));
  CHECK(children_width(l, l.rects[0]) == doctest::Approx(1000));
  CHECK(l.rects.size() == 3);  // all, big, other
}

TEST_CASE("flame svg: one frame group with a <title> tooltip per rectangle; no data said") {
  const FlameLayout l =
      flame_layout({{{"main", "leak"}, 3072}, {{"main", "keep"}, 1024}}, "all", 800, 1);
  FlameSpec spec;
  spec.id = "flame_x";
  spec.title = "T";
  spec.unit = "B";
  const std::string svg = flame_svg(spec, l);
  size_t groups = 0, titles = 0;
  for (size_t at = svg.find("<g class=\"frame\">"); at != std::string::npos;
       at = svg.find("<g class=\"frame\">", at + 1))
    ++groups;
  for (size_t at = svg.find("<title>"); at != std::string::npos; at = svg.find("<title>", at + 1))
    ++titles;
  CHECK(groups == l.rects.size());
  CHECK(titles == l.rects.size());
  CHECK(svg.find("<title>all &gt; main &gt; leak — 3.0 KiB (75.0%)</title>") != std::string::npos);
  CHECK(svg.find("id=\"flame_x\"") != std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(flame_svg(spec, FlameLayout{}).find("no data") != std::string::npos);
}

TEST_CASE("short_function: the argument list elided") {
  CHECK(short_function("f(int, char)") == "f");
  CHECK(short_function("ns::C<int>::g() const") == "ns::C<int>::g");
  CHECK(short_function("std::function<void (int)>::operator()(int) const") ==
        "std::function<void (int)>::operator()");
  CHECK(short_function("main") == "main");
  CHECK(short_function("operator()") == "operator()");
  CHECK(short_function("C::operator()") == "C::operator()");
  CHECK(short_function("(anonymous namespace)::h(std::pair<int, int>)") ==
        "(anonymous namespace)::h");
}

TEST_CASE("known answer: the golden leak runs' growth flame shows the plant at its B/op") {
  const Analysis a = testing::analyse_golden({"leak-2k", "leak-10k"});
  REQUIRE(a.flames.size() == 2);
  CHECK(a.flames[0].id == "flame_inuse");
  CHECK(a.flames[1].id == "flame_growth");
  CHECK(a.flames[1].title.find("per op") != std::string::npos);
  // Recompute the growth graph's values from the SVG's tooltips: the plant's
  // rectangle under replica0 carries its B/op.
  const std::string& svg = a.flames[1].svg;
  const size_t at = svg.find("leak_plant_accumulate — ");
  REQUIRE(at != std::string::npos);
  const double bpo = std::stod(svg.substr(at + std::string("leak_plant_accumulate — ").size()));
  double truth = 0;
  for (const ProcessMetrics& p : a.runs.back().processes)
    if (p.name == "replica0") truth = std::stod(p.plant.substr(5));
  REQUIRE(truth > 0);
  INFO("flame growth " << bpo << " B/op, planted " << truth);
  CHECK(std::fabs(bpo - truth) <= 0.25 * truth);
  CHECK(a.flames[0].svg.find("leak_plant_accumulate") != std::string::npos);
}

}  // namespace
}  // namespace hd::analysis
