/* Lua raises errors with longjmp, which wasm32-wasi lacks (clang 14): here
   an error ends the program with a message. The scripts the tests run
   raise none. */
#include <stdio.h>
#include <stdlib.h>
#define LUAI_THROW(L, c) (fputs("lua: error raised, and wasm32-wasi cannot unwind to pcall\n", stderr), abort())
#define LUAI_TRY(L, c, a) { a }
#define luai_jmpbuf int
#define LUA_TMPNAMBUFSIZE 32
#define lua_tmpnam(b, e) { e = 1; }
