// How much guest memory a micro-VM gets for a module when nobody said: the
// least the engine is expected to need to load and start it, plus headroom,
// never less than kDefaultGuestMemory, never more than the caller's limit.
// The same rule serves `palisade run`/`invoke` and palisaded's sandboxes and
// runs. Guest memory is reserved, not committed (MAP_NORESERVE): a generous
// size costs only the page tables that cover it.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace palisade {

inline constexpr uint64_t kDefaultGuestMemory = 256ull << 20;

// What the engine holds per byte of code section at the peak of loading a
// module: the internal code and a source position per instruction
// (interpreter), plus the staged x86-64 (compiler), in module-wide arrays
// that grow by doubling, so the peak holds the old and the new copy. The
// most measured over clang -O0 code and dense synthetic code, 0.75 to 27 MiB
// of it (docs/BENCHMARKS.md, "Guest memory sized to the module"), rounded up:
// 12 and 19 bytes a byte interpreted, 31 and 19 compiled.
inline constexpr uint64_t kInterpreterBytesPerCodeByte = 20;
inline constexpr uint64_t kCompilerBytesPerCodeByte = 32;
// Image, stacks, the engine's scratch, the request area and the smallest heap.
inline constexpr uint64_t kGuestBaseBytes = 24ull << 20;

struct ModuleNeeds {
  uint64_t module_bytes = 0;
  uint64_t code_bytes = 0;            // wasm::ModuleFootprint
  uint64_t initial_memory_pages = 0;  // linear memory at instantiation
  uint64_t request_bytes = 0;         // what else the run request carries (args, env, directories)
  bool compiler = true;
  // Room wanted, not needed, on top: what writable directories may come to
  // hold (their tree, then its change set). Given when there is room under
  // the ceiling; a module is never refused for it.
  uint64_t wanted_bytes = 0;
};

// The least guest memory expected to load and start the module.
uint64_t GuestMemoryNeed(const ModuleNeeds& needs);

// "about 873 MiB: 26.9 MiB of code for the compiler tier, ..." for messages.
std::string DescribeNeed(const ModuleNeeds& needs);

// Who caps guest memory: `bytes` (0: nobody but the 64 GiB the VMM allows)
// and a name for messages ("policy 'strict' (limits.memory_bytes)").
struct MemoryCeiling {
  uint64_t bytes = 0;
  std::string name;
};

// The guest memory for a module when the caller did not choose: need plus
// an eighth plus what is wanted, at least kDefaultGuestMemory, in whole
// 2 MiB; cut to the ceiling when the need still fits under it. ResourceExhausted, saying how
// much the module needs and which ceiling stopped it, when it does not.
absl::StatusOr<uint64_t> ChooseGuestMemory(const ModuleNeeds& needs, const MemoryCeiling& ceiling);

}  // namespace palisade
