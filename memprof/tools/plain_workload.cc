// memprof_plain_workload: a program that knows nothing of memprof, for
// `heapdrift run` tests. It exports the op counter the preload library looks
// for, counts --ops ops while allocating and freeing, keeps some memory live.
// Usage: memprof_plain_workload OPS [LIVE_MIB] [fork]
// With `fork`, a forked child also runs the loop and exits with exit(0), as
// programs that fork without exec do (the recorder must ignore the child).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
__attribute__((visibility("default"))) std::atomic<uint64_t> heapdrift_ops_completed{0};
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: memprof_plain_workload OPS [LIVE_MIB]\n");
    return 2;
  }
  const uint64_t ops = std::strtoull(argv[1], nullptr, 10);
  const uint64_t live_mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 8;
  std::vector<std::vector<char>> live;
  const uint64_t keep_every = ops > 0 ? std::max<uint64_t>(1, ops / (live_mib * 64)) : 1;
  for (uint64_t i = 0; i < ops; ++i) {
    std::vector<char> v(16384, static_cast<char>(i));
    if (i % keep_every == 0 && live.size() < live_mib * 64) live.push_back(std::move(v));
    heapdrift_ops_completed.fetch_add(1, std::memory_order_relaxed);
  }
  if (argc > 3 && std::string(argv[3]) == "fork") {
    const pid_t child = fork();
    if (child == 0) {
      std::vector<std::vector<char>> more(64, std::vector<char>(4096, 1));
      std::exit(more.size() == 64 ? 0 : 1);  // exit(): runs the preload's destructor
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  std::printf("done %llu ops, %zu live blocks\n", static_cast<unsigned long long>(ops),
              live.size());
  return 0;
}
