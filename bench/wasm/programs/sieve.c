// Sieve of Eratosthenes over 20 million numbers, repeated: byte stores,
// tight integer loops and branches.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT 20000000

int main(void) {
  static unsigned char composite[LIMIT + 1];
  long total = 0;
  for (int rep = 0; rep < 3; rep++) {
    memset(composite, 0, sizeof composite);
    long count = 0;
    for (long i = 2; i <= LIMIT; i++) {
      if (composite[i]) continue;
      count++;
      if (i > LIMIT / i) continue;  // i * i would overflow a 32-bit long
      for (long j = i * i; j <= LIMIT; j += i) composite[j] = 1;
    }
    total += count;
  }
  printf("primes below %d: %ld\n", LIMIT, total / 3);
  return 0;
}
