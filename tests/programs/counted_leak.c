/* counted_leak: a known answer for `heapdrift run --ops-from-file`. A plain C
 * program (not linked with heapdrift, exports no op counter) that leaks
 * exactly LEAK bytes per iteration from one function, churns (allocates and
 * frees) around it, and rewrites its iteration count into COUNT_FILE after
 * every iteration (write to COUNT_FILE.tmp, then rename: a reader never sees
 * a half-written number).
 *
 *   counted_leak ITERATIONS LEAK_BYTES COUNT_FILE [SLEEP_US]
 *
 * Truth: the site `counted_leak_block` grows by LEAK_BYTES per op, the heap
 * by LEAK_BYTES per op (the churn is freed within the iteration). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void* volatile g_sink; /* keeps the churn from being optimized out */

/* The leaking site: one block per call, kept forever (a list through the
 * blocks' first word keeps them reachable, like a cache that never evicts). */
__attribute__((noinline)) void* counted_leak_block(size_t bytes, void* prev) {
  void** block = (void**)malloc(bytes);
  if (block == NULL) abort();
  memset(block, 0xab, bytes);
  block[0] = prev;
  return block;
}

__attribute__((noinline)) void counted_leak_churn(size_t bytes) {
  char* p = (char*)malloc(bytes);
  if (p == NULL) abort();
  p[0] = 1;
  g_sink = p;
  free(p);
}

static void write_count(const char* path, const char* tmp, unsigned long n) {
  char buf[32];
  const int len = snprintf(buf, sizeof(buf), "%lu\n", n);
  const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, buf, (size_t)len) != len) {
    perror(tmp);
    exit(1);
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    perror(path);
    exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: counted_leak ITERATIONS LEAK_BYTES COUNT_FILE [SLEEP_US]\n");
    return 2;
  }
  const unsigned long iterations = strtoul(argv[1], NULL, 10);
  const size_t leak = (size_t)strtoul(argv[2], NULL, 10);
  const char* path = argv[3];
  const long sleep_us = argc > 4 ? strtol(argv[4], NULL, 10) : 500;
  if (leak < sizeof(void*)) {
    fprintf(stderr, "counted_leak: LEAK_BYTES must be at least %zu\n", sizeof(void*));
    return 2;
  }
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  write_count(path, tmp, 0);
  void* head = NULL;
  for (unsigned long i = 1; i <= iterations; ++i) {
    head = counted_leak_block(leak, head);
    counted_leak_churn(256 + (i % 7) * 512);
    write_count(path, tmp, i);
    if (sleep_us > 0) {
      struct timespec ts = {0, sleep_us * 1000L};
      nanosleep(&ts, NULL);
    }
  }
  g_sink = head;
  return 0;
}
