// Progress: see progress.h. The current rate is over the last 3 s of samples;
// the ETA divides the ops left by the sweep's overall rate so far (start-up,
// shutdown and profile dumps included), which is what the remaining runs cost.
#include "launcher/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace hd::bench {

namespace {

std::string clock_text(double s) {
  if (s < 0 || s > 360000) return "--:--";
  const auto t = static_cast<long long>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
  return buf;
}

}  // namespace

void Progress::start(uint64_t total_ops, int mode) {
  total_ = total_ops;
  bar_ = mode == 1 || (mode < 0 && isatty(STDERR_FILENO) == 1);
  started_ = Clock::now();
  last_render_ = {};
}

void Progress::phase(std::string name, uint64_t run_ops) {
  // A run's later phases keep the ops it has done; only "start" begins anew.
  if (name == "start") run_done_ = 0;
  phase_ = std::move(name);
  run_ops_ = run_ops;
  render(true);
}

void Progress::update(uint64_t run_done) {
  run_done_ = std::max(run_done_, run_done);
  const auto now = Clock::now();
  samples_.emplace_back(now, done());
  while (samples_.size() > 2 && now - samples_.front().first > std::chrono::seconds(3))
    samples_.pop_front();
  render(false);
}

void Progress::finish_run(uint64_t run_ops) {
  done_before_ += run_ops;
  run_done_ = 0;
  run_ops_ = 0;
}

void Progress::note(const std::string& text) {
  clear();
  std::fprintf(stderr, "%s: %s\n", label_.c_str(), text.c_str());
}

void Progress::clear() {
  if (bar_ && drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
  drawn_ = false;
}

void Progress::render(bool force) {
  const auto now = Clock::now();
  const auto every = bar_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (!force && now - last_render_ < every) return;
  if (!bar_ && force && phase_ != "load") return;  // plain mode: load lines only
  last_render_ = now;
  double rate = 0;
  if (samples_.size() >= 2) {
    const double dt =
        std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
    if (dt > 0) rate = static_cast<double>(samples_.back().second - samples_.front().second) / dt;
  }
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double overall = elapsed > 0 ? static_cast<double>(done()) / elapsed : 0;
  const double eta =
      overall > 0 ? static_cast<double>(total_ - std::min(total_, done())) / overall : -1;
  const double frac =
      total_ > 0 ? std::min(1.0, static_cast<double>(done()) / static_cast<double>(total_)) : 0;
  char line[256];
  if (bar_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line,
                  "\r\033[K[%s] %3.0f%% %s %-5s %llu/%llu ops %6.0f ops/s ETA %s", bar.c_str(),
                  frac * 100, label_.c_str(), phase_.c_str(),
                  static_cast<unsigned long long>(run_done_),
                  static_cast<unsigned long long>(run_ops_), rate, clock_text(eta).c_str());
    std::fputs(line, stderr);
    drawn_ = true;
  } else {
    std::snprintf(
        line, sizeof line, "bench: %s %s: %llu/%llu ops, %.0f ops/s; sweep %.0f%%, ETA %s\n",
        label_.c_str(), phase_.c_str(), static_cast<unsigned long long>(run_done_),
        static_cast<unsigned long long>(run_ops_), rate, frac * 100, clock_text(eta).c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace hd::bench
