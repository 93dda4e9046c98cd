// Known answer for the time axis (issue 14): a program that exports no op
// counter and keeps one block of kBlockBytes every iteration, RATE iterations
// a second on an absolute schedule, for SECONDS; beside it, churn (blocks
// freed within the iteration) and a bounded cache (at most kCacheEntries
// strings, the oldest evicted; full after 0.32 s at RATE 200). So its live heap grows RATE x
// kBlockBytes bytes per second, all of it at keep_block().
//
//   timed_leak SECONDS RATE
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kBlockBytes = 16384;
constexpr size_t kCacheEntries = 64;
constexpr int kChurnPerIteration = 32;

std::vector<void*>* kept = nullptr;  // reachable: a leak by growth, not by loss

// The leaking site: malloc called here, directly, and the block touched so
// RSS holds it too.
__attribute__((noinline)) void keep_block() {
  void* p = std::malloc(kBlockBytes);
  if (p == nullptr) std::abort();
  std::memset(p, 0x5a, kBlockBytes);
  kept->push_back(p);
}

__attribute__((noinline)) void churn(unsigned* seed) {
  void* blocks[kChurnPerIteration];
  for (void*& b : blocks) {
    *seed = *seed * 1103515245u + 12345u;
    b = std::malloc(64 + (*seed >> 16) % 4096);
    if (b == nullptr) std::abort();
    std::memset(b, 1, 64);
  }
  for (void* b : blocks) std::free(b);
}

__attribute__((noinline)) void cache_put(std::deque<std::string>* cache, int i) {
  cache->push_back(std::string(1024, static_cast<char>('a' + i % 26)));
  if (cache->size() > kCacheEntries) cache->pop_front();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: timed_leak SECONDS RATE\n");
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  const double rate = std::atof(argv[2]);
  if (!(seconds > 0 && seconds <= 60 && rate > 0 && rate <= 10000)) {
    std::fprintf(stderr, "timed_leak: SECONDS in (0, 60], RATE in (0, 10000]\n");
    return 2;
  }
  std::vector<void*> blocks;
  blocks.reserve(static_cast<size_t>(seconds * rate) + 1);  // no vector growth in the profile
  kept = &blocks;
  std::deque<std::string> cache;
  unsigned seed = 1;
  const auto start = std::chrono::steady_clock::now();
  const long iterations = static_cast<long>(seconds * rate);
  for (long i = 0; i < iterations; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration<double>(static_cast<double>(i) / rate));
    keep_block();
    churn(&seed);
    cache_put(&cache, static_cast<int>(i));
  }
  // The blocks stay until exit, so the end profile still holds them.
  std::printf("timed_leak: kept %zu blocks of %zu bytes\n", blocks.size(), kBlockBytes);
  return 0;
}
