// A harness without bugs: a little parsing, some output (which palisade
// fuzz discards unless asked), and -1 ("do not keep") for empty inputs.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return -1;
  unsigned digits = 0, letters = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] >= '0' && data[i] <= '9') {
      ++digits;
    } else if ((data[i] | 32) >= 'a' && (data[i] | 32) <= 'z') {
      ++letters;
    }
  }
  if (digits > 3 && letters > 3) printf("mixed input: %u digits, %u letters\n", digits, letters);
  return 0;
}
