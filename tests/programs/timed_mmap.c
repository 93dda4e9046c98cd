/* Known answer for memory outside the allocator (issue 14): a program that
 * exports no op counter and grows by mmap, never through malloc: RATE
 * iterations a second for SECONDS, each mapping kChunkBytes of anonymous
 * memory and touching every page, so its RSS grows RATE x kChunkBytes bytes
 * per second while the allocator's counters stay where they were. A little
 * malloc churn beside it keeps the allocator in use.
 *
 *   timed_mmap SECONDS RATE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { kChunkBytes = 256 * 1024, kMaxChunks = 8192 };

static void* chunks[kMaxChunks];

static void* map_and_touch(void) {
  void* p = mmap(NULL, kChunkBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) abort();
  memset(p, 0x33, kChunkBytes); /* every page resident */
  return p;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: timed_mmap SECONDS RATE\n");
    return 2;
  }
  const double seconds = atof(argv[1]), rate = atof(argv[2]);
  const long iterations = (long)(seconds * rate);
  if (!(seconds > 0 && seconds <= 60 && rate > 0 && rate <= 1000) || iterations > kMaxChunks) {
    fprintf(stderr, "timed_mmap: SECONDS in (0, 60], RATE in (0, 1000], at most %d chunks\n",
            kMaxChunks);
    return 2;
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < iterations; ++i) {
    const double at = (double)i / rate;
    struct timespec wake = start;
    wake.tv_sec += (time_t)at;
    wake.tv_nsec += (long)((at - (double)(time_t)at) * 1e9);
    if (wake.tv_nsec >= 1000000000L) {
      wake.tv_sec += 1;
      wake.tv_nsec -= 1000000000L;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
    chunks[i] = map_and_touch();
    void* small = malloc(100 + (size_t)(i % 900));
    if (small == NULL) abort();
    memset(small, 1, 100);
    free(small);
  }
  /* The chunks stay mapped until exit, so the last snapshot still sees them. */
  printf("timed_mmap: mapped %ld chunks of %d bytes\n", iterations, kChunkBytes);
  return 0;
}
