// What a fuzz harness must export, checked with errors a harness author can
// act on. Build one with (one line):
//   clang --target=wasm32-wasi -mexec-model=reactor -O2 harness.c -o harness.wasm
//     -Wl,--export=LLVMFuzzerTestOneInput -Wl,--export=malloc
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "wasm/runtime/engine.h"

namespace palisade::cli::fuzz {

struct HarnessExports {
  wasm::FuncInst* test = nullptr;        // LLVMFuzzerTestOneInput: (i32 data, i32 size) -> i32
  wasm::FuncInst* malloc = nullptr;      // malloc: (i32 size) -> i32
  wasm::MemoryInst* memory = nullptr;    // "memory"
  wasm::FuncInst* initialize = nullptr;  // _initialize: () -> (), optional (WASI reactors)
};

absl::StatusOr<HarnessExports> FindHarnessExports(const wasm::Instance* instance);

}  // namespace palisade::cli::fuzz
