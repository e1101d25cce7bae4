// An LZ77-style compressor with a hash table of recent positions, then the
// matching decompressor, over generated text: hashing, table lookups,
// byte compares and copies, as in real compression plugins.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SIZE (4 << 20)
#define HASH_BITS 15

static uint8_t input[SIZE], packed[SIZE + SIZE / 8 + 16], output[SIZE];
static uint32_t table[1 << HASH_BITS];

static uint32_t hash4(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return (v * 2654435761u) >> (32 - HASH_BITS);
}

static size_t compress(const uint8_t* in, size_t n, uint8_t* out) {
  size_t ip = 0, op = 0;
  memset(table, 0, sizeof table);
  while (ip + 4 <= n) {
    uint32_t h = hash4(in + ip);
    uint32_t cand = table[h];
    table[h] = (uint32_t)ip;
    size_t len = 0;
    if (cand < ip && ip - cand < 65536) {
      while (ip + len < n && len < 255 && in[cand + len] == in[ip + len]) len++;
    }
    if (len >= 4) {
      out[op++] = 1;
      out[op++] = (uint8_t)len;
      out[op++] = (uint8_t)((ip - cand) & 0xff);
      out[op++] = (uint8_t)((ip - cand) >> 8);
      ip += len;
    } else {
      out[op++] = 0;
      out[op++] = in[ip++];
    }
  }
  while (ip < n) {
    out[op++] = 0;
    out[op++] = in[ip++];
  }
  return op;
}

static size_t decompress(const uint8_t* in, size_t n, uint8_t* out) {
  size_t ip = 0, op = 0;
  while (ip < n) {
    if (in[ip++] == 0) {
      out[op++] = in[ip++];
    } else {
      size_t len = in[ip], dist = in[ip + 1] | (size_t)in[ip + 2] << 8;
      ip += 3;
      for (size_t k = 0; k < len; k++, op++) out[op] = out[op - dist];
    }
  }
  return op;
}

int main(void) {
  static const char* words[] = {"sandbox ", "hypervisor ", "wasm ", "memory ", "trap ",
                                "guest ",   "host ",       "page ", "fuel ",   "table "};
  uint32_t seed = 7;
  size_t n = 0;
  while (n + 16 < SIZE) {
    seed = seed * 1664525u + 1013904223u;
    const char* w = words[(seed >> 24) % 10];
    size_t l = strlen(w);
    memcpy(input + n, w, l);
    n += l;
    if ((seed & 0xff) < 10) input[n++] = (uint8_t)('0' + (seed >> 8) % 10);
  }
  size_t packed_size = 0, out_size = 0;
  for (int rep = 0; rep < 3; rep++) {
    packed_size = compress(input, n, packed);
    out_size = decompress(packed, packed_size, output);
  }
  printf("lz: %zu -> %zu bytes, round trip %s\n", n, packed_size,
         out_size == n && memcmp(input, output, n) == 0 ? "ok" : "FAILED");
  return 0;
}
