// A harness with a real-looking bug: a type-length-value parser that trusts
// a length field. Records are [type:1][len:1][value:len]; type 7 copies its
// value into a fixed 16-byte buffer, and a too-long value overruns it into
// a function pointer that is then called (a trap: indirect call through a
// corrupted table index).
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef int (*handler)(const uint8_t*, size_t);

static int sum(const uint8_t* p, size_t n) {
  int s = 0;
  for (size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

struct state {
  uint8_t name[16];
  handler on_value;
};

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  struct state st;
  st.on_value = sum;
  size_t at = 0;
  int total = 0;
  while (at + 2 <= size) {
    uint8_t type = data[at], len = data[at + 1];
    at += 2;
    if (len > size - at) return 0;
    if (type == 7) {
      memcpy(st.name, data + at, len);  // the bug: len may exceed 16
    } else if (type == 3) {
      total += st.on_value(data + at, len);
    }
    at += len;
  }
  return total == -12345 ? 1 : 0;
}
