// The smallest useful harness: a bug behind a 4-byte magic number, which
// random bytes hit once in 2^32 tries and compare feedback finds in seconds.
//   clang --target=wasm32-wasi -mexec-model=reactor -O2 magic.c -o magic.wasm \
//     -Wl,--export=LLVMFuzzerTestOneInput -Wl,--export=malloc
//   palisade fuzz magic.wasm
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t magic;
  memcpy(&magic, data, 4);
  if (magic == 0x5a5a5546u) {  // "FUZZ"
    __builtin_trap();
  }
  return 0;
}
