// Traps as soon as one input sees what an earlier one left behind: a global
// it bumped, memory it wrote, or the heap it leaked (a MiB per input, which
// exhausts a small --max-memory-pages within a few inputs unless every input
// starts from the snapshot).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int calls;
static uint8_t scratch[4096];

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (++calls != 1) __builtin_trap();
  if (scratch[0] != 0) __builtin_trap();
  scratch[0] = 1;
  char* leak = malloc(1u << 20);
  if (leak == NULL) __builtin_trap();
  memset(leak, size > 0 ? data[0] : 1, 1u << 20);
  return 0;
}
