// The production guest: boots, then serves the host's commands. (The Wasm
// engine joins here in a later milestone.)
#include "abi/hypercall_abi.h"
#include "lib/command_loop.h"

extern "C" int palisade_guest_main(const palisade::abi::BootInfo*) {
  return static_cast<int>(palisade::guest::ServeCommands(nullptr));
}
