// Dense double-precision matrix multiply (cache-blocked loops, f64 loads,
// stores and multiply-adds): the kind of kernel numeric plugins run.
#include <stdio.h>
#include <stdlib.h>

#define N 512

static double a[N][N], b[N][N], c[N][N];

int main(void) {
  unsigned seed = 12345;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      seed = seed * 1103515245u + 12345u;
      a[i][j] = (double)(seed >> 16 & 0xff) / 256.0;
      seed = seed * 1103515245u + 12345u;
      b[i][j] = (double)(seed >> 16 & 0xff) / 256.0;
    }
  for (int rep = 0; rep < 4; rep++) {
    for (int i = 0; i < N; i++)
      for (int k = 0; k < N; k++) {
        double aik = a[i][k];
        for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
      }
  }
  double sum = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) sum += c[i][j];
  printf("matmul %d: checksum %.6f\n", N, sum);
  return 0;
}
