#include "cli/compiled_code_sealer.h"

#include <cstring>

#include "wasm/jit/function_jit.h"
#include "wasm/jit/jit_context.h"

namespace palisade::cli {

InProcessCodeSealer::InProcessCodeSealer() {
  size_t n = 0;
  const wasm::JitHelper* table = wasm::JitHelpers(&n);
  for (size_t i = 0; i < n; ++i) helpers_.push_back(reinterpret_cast<uint64_t>(table[i].address));
}

const uint8_t* InProcessCodeSealer::Seal(const wasm::JitModule& code, const char** error) {
  auto sealed = SealedCode::Seal(code.code.size(), helpers_, [&](uint64_t at, uint8_t* dst) {
    std::memcpy(dst, code.code.data(), code.code.size());
    for (const wasm::x64::Relocation& r : code.relocations) {
      const int64_t rel = static_cast<int64_t>(r.target) - static_cast<int64_t>(at + r.offset + 4);
      if (rel < INT32_MIN || rel > INT32_MAX) return false;
      const int32_t v = static_cast<int32_t>(rel);
      std::memcpy(dst + r.offset, &v, sizeof v);
    }
    return true;
  }, std::span<const uint32_t>(code.entries.data(), code.entries.size()));
  std::lock_guard<std::mutex> lock(mu_);
  if (!sealed.ok()) {
    *error = errors_.insert(std::string(sealed.status().message())).first->c_str();
    return nullptr;
  }
  const uint8_t* base = sealed->base();
  sealed_.emplace(base, *std::move(sealed));
  return base;
}

void InProcessCodeSealer::Release(const uint8_t* code) {
  std::lock_guard<std::mutex> lock(mu_);
  sealed_.erase(code);
}

}  // namespace palisade::cli
