/* Known answer for naming sites past a program's own malloc wrapper: every
 * allocation goes through my_alloc() (a name on no list: data-driven wrapper
 * detection or --skip-frames must see through it), called from four
 * functions. remember_request() keeps kLeakBytes per iteration for ever (the
 * leak); parse_header(), format_reply() and scratch_buffer() churn, each
 * keeping its last kRing blocks (a bounded cache: a flat ~40-80 KB each once
 * full), as a server's other call sites do, so the wrapper's callers are all
 * in the live heap. Exports no op counter. Not linked with heapdrift.
 *   wrapper_leak ITERATIONS [MICROSECONDS_PER_ITERATION]
 * Prints "leaked N bytes in M iterations" at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kLeakBytes = 512, kRing = 64, kMaxIterations = 10000000, kMaxSleepUs = 1000000 };

struct Kept {
  struct Kept* next;
  char payload[kLeakBytes - sizeof(struct Kept*)];
};

static struct Kept* g_kept = NULL;
static volatile unsigned long g_sink = 0;
static void* g_headers[kRing];
static void* g_replies[kRing];
static void* g_scratch[kRing];

/* Keeps p in ring slot i % kRing, freeing what it replaces. */
static void keep(void** ring, long i, void* p) {
  free(ring[i % kRing]);
  ring[i % kRing] = p;
}

__attribute__((noinline)) void* my_alloc(size_t n) {
  void* p = malloc(n);
  if (p == NULL) {
    fprintf(stderr, "wrapper_leak: out of memory (%zu bytes)\n", n);
    abort();
  }
  return p;
}

__attribute__((noinline)) void remember_request(long i) {
  struct Kept* k = my_alloc(sizeof *k);
  memset(k->payload, (int)(i & 0xff), sizeof k->payload);
  k->next = g_kept;
  g_kept = k;
}

__attribute__((noinline)) void parse_header(long i) {
  char* buf = my_alloc(300 + (size_t)(i % 7) * 16);
  memset(buf, 'h', 300);
  g_sink += (unsigned char)buf[i % 300];
  keep(g_headers, i, buf);
}

__attribute__((noinline)) void format_reply(long i) {
  char* buf = my_alloc(1200);
  snprintf(buf, 1200, "reply %ld", i);
  g_sink += (unsigned char)buf[0];
  keep(g_replies, i, buf);
}

__attribute__((noinline)) void scratch_buffer(long i) {
  long* tmp = my_alloc(96 * sizeof(long));
  for (int j = 0; j < 64; ++j) tmp[j] = i + j;
  g_sink += (unsigned long)tmp[i % 64];
  keep(g_scratch, i, tmp);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wrapper_leak ITERATIONS [MICROSECONDS_PER_ITERATION]\n");
    return 2;
  }
  const long iterations = strtol(argv[1], NULL, 10);
  const long sleep_us = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (iterations < 1 || iterations > kMaxIterations || sleep_us < 0 || sleep_us > kMaxSleepUs) {
    fprintf(stderr, "wrapper_leak: ITERATIONS in 1..%d, MICROSECONDS in 0..%d\n", kMaxIterations,
            kMaxSleepUs);
    return 2;
  }
  for (long i = 0; i < iterations; ++i) {
    parse_header(i);
    remember_request(i);
    format_reply(i);
    scratch_buffer(i);
    if (sleep_us > 0) {
      const struct timespec ts = {0, sleep_us * 1000};
      nanosleep(&ts, NULL);
    }
  }
  printf("leaked %ld bytes in %ld iterations\n", (long)kLeakBytes * iterations, iterations);
  return g_sink == 1 ? 1 : 0; /* keeps g_sink alive; never 1 in practice */
}
