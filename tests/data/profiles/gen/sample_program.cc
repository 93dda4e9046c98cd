// A tiny allocating program the analysis tests profile for real: under
// jemalloc (prof.dump), gperftools' heap profiler and CPU profiler. Its sites
// are known, so tests can check parsing, symbolization and site folding.
//   sample_program je OUT   (LD_PRELOAD=libjemalloc.so.2 MALLOC_CONF=prof:true,...)
//   sample_program tc       (LD_PRELOAD=libtcmalloc.so.4 HEAPPROFILE=...)
//   sample_program cpu      (LD_PRELOAD=libprofiler.so.0 CPUPROFILE=...)
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace sample {

struct Node {
  char pad[200];
};

// Inlined into grow_nodes: the tests expect it as an inlined frame.
inline __attribute__((always_inline)) Node* make_node() {
  return new Node;
}

__attribute__((noinline)) std::vector<Node*>* grow_nodes(int n) {
  auto* v = new std::vector<Node*>;
  for (int i = 0; i < n; ++i) v->push_back(make_node());
  return v;
}

__attribute__((noinline)) void churn_buffers(int n) {
  for (int i = 0; i < n; ++i) {
    void* p = std::malloc(4096 + static_cast<size_t>(i % 64));
    asm volatile("" ::"r"(p));
    std::free(p);
  }
}

__attribute__((noinline)) char* big_block() {
  auto* p = static_cast<char*>(std::malloc(1 << 20));
  p[0] = 1;
  return p;
}

__attribute__((noinline)) double spin(long n) {
  double x = 0;
  for (long i = 0; i < n; ++i) x += static_cast<double>(i) * 1.0000001;
  return x;
}

}  // namespace sample

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  auto* keep = sample::grow_nodes(1000);
  sample::churn_buffers(10000);
  char* big = sample::big_block();
  if (mode == "je") {
    using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
    auto fn = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
    if (fn == nullptr || argc < 3) {
      std::fprintf(stderr, "sample_program: no mallctl (run under jemalloc) or no path\n");
      return 1;
    }
    const char* path = argv[2];
    if (int rc = fn("prof.dump", nullptr, nullptr, &path, sizeof(path)); rc != 0) {
      std::fprintf(stderr, "sample_program: prof.dump failed (%d); prof:true?\n", rc);
      return 1;
    }
  }
  if (mode == "cpu") std::printf("%f\n", sample::spin(200000000L));
  std::printf("%zu %d\n", keep->size(), big[0]);
  return 0;
}
