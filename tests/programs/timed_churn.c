/* Known answer for the time axis (issue 14): a program that exports no op
 * counter and only churns: RATE iterations a second for SECONDS, each
 * replacing every block of a fixed ring of kSlots, so its live heap stays
 * bounded (about kSlots x 2 KiB) however long it runs. The ring is small so
 * that filling it (the only growth there is, in the first iteration) is
 * well below what the report counts as growth: on a time axis, a warm-up
 * cannot be told from a leak in a run this short.
 *
 *   timed_churn SECONDS RATE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kSlots = 64, kPerIteration = 64 };

static void* slots[kSlots];

static void churn(unsigned* seed, unsigned* next) {
  for (int k = 0; k < kPerIteration; ++k) {
    *seed = *seed * 1103515245u + 12345u;
    const size_t size = 64 + (*seed >> 16) % 4096;
    free(slots[*next]);
    slots[*next] = malloc(size);
    if (slots[*next] == NULL) abort();
    memset(slots[*next], 7, size);
    *next = (*next + 1) % kSlots;
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: timed_churn SECONDS RATE\n");
    return 2;
  }
  const double seconds = atof(argv[1]), rate = atof(argv[2]);
  if (!(seconds > 0 && seconds <= 60 && rate > 0 && rate <= 10000)) {
    fprintf(stderr, "timed_churn: SECONDS in (0, 60], RATE in (0, 10000]\n");
    return 2;
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  unsigned seed = 1, next = 0;
  const long iterations = (long)(seconds * rate);
  for (long i = 0; i < iterations; ++i) {
    /* Absolute schedule: iteration i starts at start + i / rate. */
    const double at = (double)i / rate;
    struct timespec wake = start;
    wake.tv_sec += (time_t)at;
    wake.tv_nsec += (long)((at - (double)(time_t)at) * 1e9);
    if (wake.tv_nsec >= 1000000000L) {
      wake.tv_sec += 1;
      wake.tv_nsec -= 1000000000L;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
    churn(&seed, &next);
  }
  printf("timed_churn: %ld iterations\n", iterations);
  return 0;
}
