// report_browser_test: writes a report over the committed golden runs
// (tests/data/runs/normal-*), opens its index.html in headless Chromium and
// checks the charts rendered: the screenshot is not blank (decoded here: PNG
// chunks + zlib inflate + scanline unfiltering) and the dumped DOM holds the
// four chart <svg>s with their titles and lines, the two flame graphs, and
// the finding.
// Exit 0 pass, 1 fail, 77 skip (no chromium; ctest SKIP_RETURN_CODE).
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/report/report.h"

namespace {

namespace fs = std::filesystem;

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// HEAPDRIFT_CHROMIUM, else chromium / chromium-browser on PATH.
std::string find_chromium() {
  if (const char* env = std::getenv("HEAPDRIFT_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    for (const char* name : {"chromium", "chromium-browser"}) {
      const fs::path p = fs::path(dir) / name;
      std::error_code ec;
      if (fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0) return p.string();
    }
  return {};
}

std::string quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// Runs chromium headless (bounded by timeout(1)); true on exit status 0.
bool run_chromium(const std::string& chromium, const fs::path& work, const std::string& args,
                  const fs::path& stdout_file) {
  const std::string cmd = "timeout 120 " + quote(chromium) +
                          " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
                          " --hide-scrollbars --no-first-run --user-data-dir=" +
                          quote((work / "profile").string()) + " " + args + " >" +
                          quote(stdout_file.string()) + " 2>>" +
                          quote((work / "chromium.log").string());
  return std::system(cmd.c_str()) == 0;
}

struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // 3 bytes per pixel
};

uint32_t be32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// 8-bit RGB or RGBA, non-interlaced (what Chromium writes). Empty on error.
std::string decode_png(const std::string& png, Image& img) {
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return "not a PNG";
  std::string idat;
  uint32_t channels = 0;
  for (size_t at = 8; at + 12 <= png.size();) {
    const uint32_t len = be32(png, at);
    if (len > png.size() - at - 12) return "chunk overruns the file";
    const std::string type = png.substr(at + 4, 4);
    if (type == "IHDR") {
      if (len < 13) return "short IHDR";
      img.width = be32(png, at + 8);
      img.height = be32(png, at + 12);
      const int depth = png[at + 16], color = png[at + 17], interlace = png[at + 20];
      if (depth != 8 || (color != 2 && color != 6) || interlace != 0)
        return "unsupported PNG layout (depth " + std::to_string(depth) + ", color type " +
               std::to_string(color) + ")";
      channels = color == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      idat += png.substr(at + 8, len);
    } else if (type == "IEND") {
      break;
    }
    at += 12 + len;
  }
  if (!channels || img.width == 0 || img.height == 0 || img.width > 20000 || img.height > 20000)
    return "no usable IHDR";
  const size_t stride = size_t{img.width} * channels;
  std::vector<uint8_t> raw((stride + 1) * img.height);
  uLongf raw_len = raw.size();
  if (uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      raw_len != raw.size())
    return "IDAT does not inflate to the image size";
  std::vector<uint8_t> prev(stride, 0), cur(stride);
  img.rgb.reserve(size_t{img.width} * img.height * 3);
  for (uint32_t y = 0; y < img.height; ++y) {
    const uint8_t* line = &raw[y * (stride + 1)];
    const int filter = line[0];
    if (filter > 4) return "bad filter type";
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= channels ? cur[i - channels] : 0, b = prev[i],
                c = i >= channels ? prev[i - channels] : 0;
      const int pred = filter == 0   ? 0
                       : filter == 1 ? a
                       : filter == 2 ? b
                       : filter == 3 ? (a + b) / 2
                                     : paeth(a, b, c);
      cur[i] = static_cast<uint8_t>(line[1 + i] + pred);
    }
    for (uint32_t x = 0; x < img.width; ++x)
      for (uint32_t k = 0; k < 3; ++k) img.rgb.push_back(cur[x * channels + k]);
    prev.swap(cur);
  }
  return {};
}

size_t count_near(const Image& img, int r, int g, int b) {
  size_t n = 0;
  for (size_t i = 0; i + 2 < img.rgb.size(); i += 3)
    if (std::abs(img.rgb[i] - r) <= 12 && std::abs(img.rgb[i + 1] - g) <= 12 &&
        std::abs(img.rgb[i + 2] - b) <= 12)
      ++n;
  return n;
}

size_t count_of(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

int main() {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    std::printf(
        "SKIP: chromium not found (install the Debian package `chromium`, or set "
        "HEAPDRIFT_CHROMIUM)\n");
    return 77;
  }
  const fs::path work = fs::temp_directory_path() / ("hd_browser_test." + std::to_string(getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string runs = std::string(HEAPDRIFT_SOURCE_DIR) + "/tests/data/runs/";
  const fs::path report = work / "report";
  const hd::Status st =
      hd::analysis::run_report({runs + "normal-2k", runs + "normal-10k"}, report.string(), false);
  check(st.is_ok(), "heapdrift report over normal-2k normal-10k" +
                        (st.is_ok() ? std::string() : ": " + st.message()));
  if (!st.is_ok()) return 1;
  const std::string url = "file://" + (report / "index.html").string();

  const fs::path png = work / "shot.png";
  check(
      run_chromium(chromium, work,
                   "--window-size=1280,2000 --screenshot=" + quote(png.string()) + " " + quote(url),
                   work / "screenshot.out"),
      "chromium --screenshot exits 0");
  Image img;
  const std::string err = decode_png(read_file(png), img);
  check(err.empty(), "screenshot decodes" + (err.empty() ? "" : ": " + err));
  if (err.empty()) {
    const size_t pixels = size_t{img.width} * img.height;
    double sum = 0, sum2 = 0;
    size_t non_white = 0;
    for (size_t i = 0; i + 2 < img.rgb.size(); i += 3) {
      const double lum = 0.299 * img.rgb[i] + 0.587 * img.rgb[i + 1] + 0.114 * img.rgb[i + 2];
      sum += lum;
      sum2 += lum * lum;
      if (lum < 250) ++non_white;
    }
    const double mean = sum / static_cast<double>(pixels);
    const double var = sum2 / static_cast<double>(pixels) - mean * mean;
    std::printf("      %ux%u px, luminance mean %.1f variance %.1f, %.2f%% non-white\n", img.width,
                img.height, mean, var, 100.0 * static_cast<double>(non_white) / pixels);
    check(img.width == 1280, "screenshot is the window's width");
    check(var > 100, "screenshot is not blank (luminance variance > 100)");
    check(non_white > pixels / 100, "more than 1% of the screenshot is drawn");
    // The first three palette colours are the series of every chart: drawn
    // lines, not just text and table borders.
    const size_t blue = count_near(img, 0x1f, 0x77, 0xb4), red = count_near(img, 0xd6, 0x27, 0x28),
                 green = count_near(img, 0x2c, 0xa0, 0x2c);
    std::printf("      series pixels: blue %zu, red %zu, green %zu\n", blue, red, green);
    check(blue > 300 && red > 300 && green > 100, "chart lines are drawn in the palette colours");
  }

  const fs::path dom_file = work / "dom.html";
  check(run_chromium(chromium, work, "--dump-dom " + quote(url), dom_file),
        "chromium --dump-dom exits 0");
  const std::string dom = read_file(dom_file);
  check(dom.size() > 1000, "the dumped DOM is not empty (" + std::to_string(dom.size()) + " B)");
  for (const char* id : {"heap_vs_ops", "alloc_rate", "throughput_heap", "top_sites"})
    check(dom.find("<svg class=\"chart\" id=\"" + std::string(id) + "\"") != std::string::npos,
          std::string("chart svg #") + id);
  for (const char* title :
       {"Live heap (allocated) vs ops, per run length", "Allocation rate over time",
        "Throughput and heap, one time axis", "Top growing allocation sites"})
    check(dom.find(title) != std::string::npos, std::string("chart title \"") + title + "\"");
  check(dom.find("no data") == std::string::npos, "no chart says \"no data\"");
  // The two flame graphs (analysis/report/flame.h): rendered as SVG with
  // their frames and tooltips, the growth one per op across the two lengths.
  for (const char* id : {"flame_inuse", "flame_growth"})
    check(dom.find("<svg class=\"flame\" id=\"" + std::string(id) + "\"") != std::string::npos,
          std::string("flame graph svg #") + id);
  check(dom.find("In-use bytes by call path, end of the longest run") != std::string::npos,
        "in-use flame graph title");
  check(dom.find("Growth by call path, per op") != std::string::npos,
        "growth flame graph title (per op)");
  check(
      count_of(dom, "<g class=\"frame\"><title>") >= 10,
      "flame frames with tooltips (" + std::to_string(count_of(dom, "<g class=\"frame\">")) + ")");
  check(count_of(dom, "<polyline class=\"series\"") >= 8, "at least 8 series lines in the DOM");
  check(count_of(dom, "class=\"axis-label\"") >= 5, "axis labels, two on the dual-scale chart");
  const nlohmann::json summary =
      nlohmann::json::parse(read_file(report / "summary.json"), nullptr, false);
  const std::string finding =
      summary.is_object() ? summary["finding"]["text"].get<std::string>() : std::string();
  check(!finding.empty() && dom.find("id=\"finding\"") != std::string::npos &&
            dom.find(finding.substr(0, std::min<size_t>(60, finding.size()))) != std::string::npos,
        "the finding is shown");
  if (failures == 0)
    fs::remove_all(work);
  else
    std::printf("kept %s for inspection\n", work.c_str());
  std::printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
