// A WASI program for tests/server/dir_changes_test.cc: directories sent in a
// request, changes returned. Preopens: /in (read-only), and /out (writable)
// except in "readonly". argv[1] picks a scenario:
//   apply [N]  copy /in/input.txt to /out/copy.txt, make /out/sub/made.txt,
//              rename /out/old.txt to /out/renamed.txt, delete /out/gone.txt,
//              and with N write N bytes of a pattern to /out/big.bin
//   readonly   every write to /in fails EROFS; prints "refused"
//   trap / fail  write /out/partial.txt, then trap / exit 3
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      printf("failed at line %d: %s (errno %d)\n", __LINE__, #cond, errno); \
      exit(1);                                                              \
    }                                                                       \
  } while (0)

static void put(const char* path, const char* data, size_t n) {
  FILE* f = fopen(path, "w");
  CHECK(f != NULL);
  CHECK(fwrite(data, 1, n, f) == n);
  CHECK(fclose(f) == 0);
}

static void apply(long big) {
  static char buf[4096];
  FILE* in = fopen("/in/input.txt", "r");
  CHECK(in != NULL);
  size_t n = fread(buf, 1, sizeof buf, in);
  fclose(in);
  put("/out/copy.txt", buf, n);
  CHECK(mkdir("/out/sub", 0755) == 0);
  put("/out/sub/made.txt", "made\n", 5);
  CHECK(rename("/out/old.txt", "/out/renamed.txt") == 0);
  CHECK(unlink("/out/gone.txt") == 0);
  if (big > 0) {
    char* data = malloc((size_t)big);
    CHECK(data != NULL);
    for (long i = 0; i < big; ++i) data[i] = (char)(i * 7 % 251);
    put("/out/big.bin", data, (size_t)big);
    free(data);
  }
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "apply") == 0) {
    apply(argc > 2 ? atol(argv[2]) : 0);
  } else if (strcmp(mode, "readonly") == 0) {
    CHECK(open("/in/new.txt", O_CREAT | O_WRONLY, 0644) == -1 && errno == EROFS);
    CHECK(open("/in/input.txt", O_WRONLY | O_TRUNC) == -1 && errno == EROFS);
    CHECK(unlink("/in/input.txt") == -1 && errno == EROFS);
    CHECK(mkdir("/in/d", 0755) == -1 && errno == EROFS);
    printf("refused\n");
  } else if (strcmp(mode, "trap") == 0 || strcmp(mode, "fail") == 0) {
    put("/out/partial.txt", "partial\n", 8);
    if (mode[0] == 't') __builtin_trap();
    return 3;
  } else {
    printf("unknown scenario '%s'\n", mode);
    return 2;
  }
  return 0;
}
