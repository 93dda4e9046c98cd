// External op counts for `heapdrift run` (docs/run-folder.md, "external_ops.jsonl"):
// a program that exports no `heapdrift_ops_completed` can still be measured per
// op when something outside it knows the count — its own stats command
// (`--ops-from-command`) or a file it or another process rewrites
// (`--ops-from-file`). heapdrift run (the parent, not the recorder inside the
// target, which must not run commands or read files on the program's behalf)
// polls the source at the snapshot cadence and appends each reading, stamped
// with the same wall clock as snapshots.jsonl, to DIR/external_ops.jsonl; the
// analysis interpolates the readings onto the snapshot times.
//
// Every failed reading is a line with an "error" (never a silent 0); the
// first failure of each kind is also printed. Single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hd::memprof {

inline constexpr const char* kExternalOpsFile = "external_ops.jsonl";
inline constexpr const char* kExternalOpsSchema = "heapdrift.external_ops/1";

// How the number is taken from the command's stdout or the file's content:
// with an empty `regex`, the first run of decimal digits; otherwise the
// first match of `regex` (ECMAScript, exactly one capture group), whose group
// must be a run of decimal digits (surrounding blanks allowed). Errors:
// "no number in the output", "--ops-regex ... does not match", overflow.
Result<uint64_t> extract_count(std::string_view text, const std::string& regex);

// Checks a --ops-regex: it compiles and has exactly one capture group.
Status check_ops_regex(const std::string& regex);

// Runs `/bin/sh -c command` (stdin /dev/null, its own process group) and
// returns its stdout (at most 64 KiB kept). Fails with a message naming the
// command when it cannot start, exits non-zero or is killed (stderr's first
// line quoted), or runs past timeout_ms (its process group is then killed).
Result<std::string> run_command_capture(const std::string& command, uint32_t timeout_ms);

struct ExternalOpsSource {
  enum class Kind { kCommand, kFile };
  Kind kind = Kind::kFile;
  std::string what;   // the command, or the file's path
  std::string regex;  // "" = first integer
  uint32_t timeout_ms = 2000;
};

// Polls one source and writes DIR/external_ops.jsonl. The file is created
// (truncated) by open(); a header line names the source, then one line per
// poll: {"unix_us":T,"ops":N} or {"unix_us":T,"error":"..."}.
class ExternalOpsPoller {
 public:
  // Fails when the regex is invalid or the file cannot be created.
  static Result<ExternalOpsPoller> open(const ExternalOpsSource& source, const std::string& dir);
  ExternalOpsPoller(ExternalOpsPoller&& other) noexcept;
  ExternalOpsPoller& operator=(ExternalOpsPoller&&) = delete;
  ~ExternalOpsPoller();

  // One reading. `after_exit`: the program has ended (the last poll); a
  // command that fails then (a server that is gone) is not an error, and a
  // missing file is.
  void poll(bool after_exit = false);

  // After the last poll: "" when the count is usable, else why it is not (no
  // reading at all, or the count went backwards), for the exit message.
  std::string problem() const;
  // "N readings, last count C" for the closing line.
  std::string summary() const;

 private:
  ExternalOpsPoller(ExternalOpsSource source, int fd) : source_(std::move(source)), fd_(fd) {}
  void write_line(const std::string& line);
  void fail(int64_t unix_us, const std::string& kind, const std::string& message);

  ExternalOpsSource source_;
  int fd_ = -1;
  uint64_t readings_ = 0;
  uint64_t last_ = 0;
  uint64_t failures_ = 0;
  uint64_t backwards_ = 0;
  std::string first_failure_;
  std::string warned_kinds_;  // kinds already printed, '|'-separated
};

}  // namespace hd::memprof
