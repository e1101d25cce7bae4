// One harness per way an input can fail, chosen by the first byte:
//   'L' loops forever (a timeout), 'M' asks for 256 MiB (the memory cap),
//   'X' calls exit(3), 'T' traps; anything else returns 0.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  switch (data[0]) {
    case 'L': {
      volatile unsigned n = 0;
      for (;;) ++n;
    }
    case 'M': {
      // volatile: the compiler may not drop an allocation nobody reads.
      char* volatile p = malloc(256u << 20);
      return p != NULL ? 1 : 0;
    }
    case 'X':
      exit(3);
    case 'T':
      __builtin_trap();
  }
  return 0;
}
