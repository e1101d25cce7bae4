/* wasm32-wasi with clang 14 has no setjmp/longjmp. Programs built with
   this header must not need them: Lua's error path is replaced by
   lua_wasi.h. */
#pragma once
typedef int jmp_buf[1];
