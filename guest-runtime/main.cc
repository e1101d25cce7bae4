// The production guest: boots, then serves the host's commands, including
// running WASI programs in the Wasm engine (runner/).
#include "abi/hypercall_abi.h"
#include "lib/command_loop.h"
#include "lib/heap.h"
#include "runner/engine_scratch.h"
#include "runner/hypercall_code_sealer.h"
#include "runner/spec_run.h"
#include "runner/wasi_run.h"

namespace {

using palisade::abi::Command;

// The input buffer of the last kAllocInput; freed by the next one (unless it
// is the boot info's request area).
void* g_input = nullptr;
uint64_t g_input_size = 0;
bool g_input_in_area = false;
uintptr_t g_request_area = 0;
uint64_t g_request_area_bytes = 0;

int64_t HandleCommand(int64_t command, const uint64_t args[3]) {
  auto& heap = palisade::guest::GlobalHeap();
  switch (static_cast<Command>(command)) {
    case Command::kAllocInput: {
      if (g_input != nullptr && !g_input_in_area) heap.Free(g_input);
      g_input_in_area = args[1] == palisade::abi::kInputInRequestArea && args[0] != 0 &&
                        args[0] <= g_request_area_bytes;
      g_input = args[0] == 0          ? nullptr
                : g_input_in_area     ? reinterpret_cast<void*>(g_request_area)
                                      : heap.Allocate(args[0]);
      g_input_size = g_input == nullptr ? 0 : args[0];
      return g_input == nullptr ? palisade::guest::kStatusBadArgument
                                : static_cast<int64_t>(reinterpret_cast<uintptr_t>(g_input));
    }
    case Command::kRunWasi: {
      if (g_input == nullptr || args[0] != reinterpret_cast<uintptr_t>(g_input) ||
          args[1] > g_input_size) {
        return palisade::guest::kStatusBadArgument;
      }
      return palisade::guest::RunWasi(args[0], args[1]);
    }
    case Command::kSpec: {
      if (g_input == nullptr || args[0] != reinterpret_cast<uintptr_t>(g_input)) {
        return palisade::guest::kStatusBadArgument;
      }
      return palisade::guest::RunSpec(args[0], args[1], g_input_size);
    }
    default:
      return palisade::guest::kStatusUnknownCommand;
  }
}

}  // namespace

extern "C" int palisade_guest_main(const palisade::abi::BootInfo* info) {
  palisade::guest::SetEngineScratch(info->scratch, info->scratch_bytes);
  palisade::guest::CodeSealerInit(info);
  g_request_area = info->request_area;
  g_request_area_bytes = info->request_area_bytes;
  palisade::guest::ServeCommands(HandleCommand);
}
