// Progress of a sweep on stderr: a live bar on a TTY (phase, ops done, current
// ops/s, ETA) redrawn in place, or a plain line every few seconds otherwise.
// Single-threaded; the caller feeds op counts it reads from the processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

namespace hd::bench {

class Progress {
 public:
  // total_ops: every run's ops summed. mode: -1 bar if stderr is a TTY,
  // 0 plain lines, 1 bar.
  void start(uint64_t total_ops, int mode);
  void run_label(std::string label) { label_ = std::move(label); }
  // A phase of the current run ("start" begins a run; "load", "stop",
  // "report").
  void phase(std::string name, uint64_t run_ops);
  // Ops done so far in the current run.
  void update(uint64_t run_done);
  // The current run is over: its ops count as done (even if it failed).
  void finish_run(uint64_t run_ops);
  // Erases the bar so other output starts on a clean line.
  void clear();
  // One line about an event of the run ("replica0 killed ..."), on its own line.
  void note(const std::string& text);

 private:
  void render(bool force);
  uint64_t done() const { return done_before_ + run_done_; }

  using Clock = std::chrono::steady_clock;
  bool bar_ = false;
  bool drawn_ = false;
  uint64_t total_ = 0;
  uint64_t done_before_ = 0;
  uint64_t run_done_ = 0;
  uint64_t run_ops_ = 0;
  std::string label_;
  std::string phase_;
  Clock::time_point started_{};
  Clock::time_point last_render_{};
  std::deque<std::pair<Clock::time_point, uint64_t>> samples_;  // last few seconds
};

}  // namespace hd::bench
