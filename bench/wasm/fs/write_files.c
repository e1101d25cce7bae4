// Writes N small files and one file of B bytes (1 KiB at a time) into DIR:
// the load of bench/wasm/writable_dir.sh.
//   write_files N B DIR
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: write_files N BYTES DIR\n");
    return 2;
  }
  const int small = atoi(argv[1]);
  const long big = atol(argv[2]);
  char path[4096];
  for (int i = 0; i < small; ++i) {
    snprintf(path, sizeof path, "%s/f%04d.txt", argv[3], i);
    FILE* f = fopen(path, "w");
    if (f == NULL || fprintf(f, "file %d\n", i) < 0 || fclose(f) != 0) {
      perror(path);
      return 1;
    }
  }
  if (big > 0) {
    char buf[1024];
    for (int i = 0; i < (int)sizeof buf; ++i) buf[i] = (char)(i * 7);
    snprintf(path, sizeof path, "%s/big.bin", argv[3]);
    FILE* f = fopen(path, "w");
    if (f == NULL) {
      perror(path);
      return 1;
    }
    for (long n = 0; n < big; n += (long)sizeof buf) {
      if (fwrite(buf, 1, sizeof buf, f) != sizeof buf) {
        perror("write");
        return 1;
      }
    }
    if (fclose(f) != 0) {
      perror("close");
      return 1;
    }
  }
  return 0;
}
