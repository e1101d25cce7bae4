// A WASI command: greets, lists its arguments and the preopened /data.
//   clang --target=wasm32-wasi -O2 examples/hello.c -o hello.wasm
//   palisade run --dir ./examples::/data hello.wasm -- one two
#include <dirent.h>
#include <stdio.h>

int main(int argc, char** argv) {
  printf("hello from a Palisade sandbox\n");
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  DIR* d = opendir("/data");
  if (d != NULL) {
    struct dirent* e;
    while ((e = readdir(d)) != NULL) printf("/data/%s\n", e->d_name);
    closedir(d);
  }
  return 0;
}
