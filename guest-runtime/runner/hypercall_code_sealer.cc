#include "runner/hypercall_code_sealer.h"

#include "lib/hypercall.h"
#include "lib/outbox.h"
#include "wasm/jit/function_jit.h"
#include "wasm/support/vec.h"

namespace palisade::guest {
namespace {

class HypercallCodeSealer final : public wasm::CodeSealer {
 public:
  const uint8_t* Seal(const wasm::JitModule& code, const char** error) override {
    wasm::Vec<abi::SealRelocation> relocs;
    if (!relocs.resize(code.relocations.size())) {
      *error = "out of memory handing the compiled code to the host";
      return nullptr;
    }
    for (size_t i = 0; i < code.relocations.size(); ++i) {
      relocs[i] = abi::SealRelocation{code.relocations[i].offset, 0, code.relocations[i].target};
    }
    // The entries only name functions in crash reports; a module too big
    // for the table still seals, unnamed.
    const uint64_t functions = code.entries.size() <= abi::kMaxSealFunctions ? code.entries.size() : 0;
    const int64_t at = Hypercall(abi::Hypercall::kSealCode, reinterpret_cast<uintptr_t>(code.code.data()),
                                 code.code.size(), reinterpret_cast<uintptr_t>(relocs.data()),
                                 relocs.size(), reinterpret_cast<uintptr_t>(code.entries.data()),
                                 functions | uint64_t{code.first_function} << 32);
    if (at <= 0) {
      *error = "the micro-VM's code region is full";
      return nullptr;
    }
    return reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(at));
  }

  void Release(const uint8_t* code) override {
    Defer(abi::Hypercall::kReleaseCode, {reinterpret_cast<uintptr_t>(code), 0, 0, 0, 0, 0});
  }
};

HypercallCodeSealer g_sealer;
bool g_have_region = false;

}  // namespace

void CodeSealerInit(const abi::BootInfo* info) { g_have_region = info->code_region_bytes != 0; }

wasm::CodeSealer* GuestCodeSealer() { return g_have_region ? &g_sealer : nullptr; }

wasm::CompileOptions EngineOptions(uint32_t engine_flags) {
  wasm::CompileOptions o;
  if ((engine_flags & abi::kEngineCompiler) != 0 && g_have_region) {
    o.tier = wasm::EngineTier::kCompiler;
    o.sealer = &g_sealer;
  }
  return o;
}

}  // namespace palisade::guest
