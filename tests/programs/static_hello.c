/* static_hello: linked with -static (an ELF file without PT_INTERP), so no
 * LD_PRELOAD reaches it; `heapdrift run` must refuse it before it starts
 * (tests/integration/cli/run_program_test.cc). Allocates a little and
 * exits 0. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  char* p = malloc(64);
  if (p == NULL) return 1;
  snprintf(p, 64, "static_hello ran");
  puts(p);
  free(p);
  return 0;
}
