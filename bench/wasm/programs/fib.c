// Naive recursive Fibonacci: call-heavy code, the interpreter's call and
// return path.
#include <stdio.h>

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
  printf("fib(38) = %d\n", fib(38));
  return 0;
}
