// The compiler tier's code made executable in this process: each module's
// code goes through vmm/sealed_code.h (the host's code check, then
// read+execute only) and stays mapped until the module is freed.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "vmm/sealed_code.h"
#include "wasm/runtime/engine.h"

namespace palisade::cli {

class InProcessCodeSealer final : public wasm::CodeSealer {
 public:
  InProcessCodeSealer();
  const uint8_t* Seal(const wasm::JitModule& code, const char** error) override;
  void Release(const uint8_t* code) override;

 private:
  std::vector<uint64_t> helpers_;  // the runtime's helper entries, for the check
  std::mutex mu_;
  std::map<const uint8_t*, SealedCode> sealed_;
  std::set<std::string> errors_;  // the texts Seal's *error points to (stable while we live)
};

}  // namespace palisade::cli
