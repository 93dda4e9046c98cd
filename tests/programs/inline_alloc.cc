// Known inlined allocator frames, for the symbolizer's qualified-name test
// (tests/unit/analysis/symbolize): app::grow_vector and app::fill_map
// allocate through std::vector and std::unordered_map of a type in an
// anonymous namespace, whose instantiations GCC inlines at -O2 and describes
// without a linkage name (internal linkage), so only the enclosing DWARF
// scopes can qualify "allocate" as std::__new_allocator<...>::allocate.
// Not linked with heapdrift. Output (stdout): for each of the two functions,
// "stack NAME" then the return addresses backtrace() saw in operator new,
// innermost first, one "addr 0x..." per line; then "maps" and the process's
// /proc/self/maps.
#include <execinfo.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <unordered_map>
#include <vector>

namespace {

constexpr int kMaxFrames = 32;
void* g_frames[kMaxFrames];
int g_depth = 0;
bool g_armed = false;

struct Node {
  long key = 0;
  long value[3] = {};
};

}  // namespace

void* operator new(std::size_t n) {
  if (g_armed) {
    g_armed = false;  // backtrace() may allocate on its first call
    g_depth = backtrace(g_frames, kMaxFrames);
  }
  void* p = std::malloc(n != 0 ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace app {

std::vector<Node> g_vector;
std::unordered_map<long, Node> g_map;

__attribute__((noinline)) void grow_vector(long n) {
  g_vector.reserve(static_cast<size_t>(n));
}

__attribute__((noinline)) void fill_map(long n) {
  for (long i = 0; i < n; ++i) g_map.emplace(i, Node{i, {i, i, i}});
}

}  // namespace app

namespace {

void print_stack(const char* name) {
  std::printf("stack %s\n", name);
  for (int i = 0; i < g_depth; ++i) std::printf("addr %p\n", g_frames[i]);
}

}  // namespace

int main(int argc, char**) {
  void* warm[1];
  backtrace(warm, 1);  // loads libgcc_s before the armed allocations
  g_armed = true;
  app::grow_vector(100 + argc);
  print_stack("app::grow_vector");
  g_armed = true;
  app::fill_map(2 + argc);
  print_stack("app::fill_map");
  std::printf("maps\n");
  if (std::FILE* f = std::fopen("/proc/self/maps", "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, f) != nullptr) std::fputs(line, stdout);
    std::fclose(f);
  }
  return 0;
}
