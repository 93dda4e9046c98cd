// spawn: fork + execvpe of one child with stdout/stderr on a given descriptor,
// stdin on /dev/null and PR_SET_PDEATHSIG(SIGTERM), so a child never outlives
// an orchestrator that died without stopping it. Call from one thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace hd::launcher {

// What the child's stdin is: /dev/null for a benchmark process (it must never
// wait on the terminal), the caller's for a program a user runs under
// `heapdrift run`.
enum class ChildStdin { kDevNull, kInherit };

// argv[0] is looked up in PATH when it has no '/'. `env` entries replace or add
// to the inherited environment. `out_fd` (>= 0) becomes the child's stdout and
// stderr; -1 keeps the caller's. Returns the child's PID, or the exec error
// ("cannot run X: ...").
// ProcessGroup::kOwn puts the child in a new process group whose id is its PID
// (set in the child and in the parent, so it holds when spawn returns): a test
// sends a terminal's Ctrl-C to it and its children with kill(-pid, SIGINT).
enum class ProcessGroup { kInherit, kOwn };
Result<pid_t> spawn(const std::vector<std::string>& argv,
                    const std::vector<std::pair<std::string, std::string>>& env, int out_fd,
                    ChildStdin in = ChildStdin::kDevNull,
                    ProcessGroup group = ProcessGroup::kInherit);

}  // namespace hd::launcher
