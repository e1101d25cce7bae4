// The harness run by the engine in this process: no micro-VM, so no second
// fence around untrusted code; for machines without KVM and for comparing.
// One instance is initialised (_initialize) and snapshotted; every input
// starts from that snapshot (memory, globals, tables restored).
#pragma once

#include <memory>
#include <vector>

#include "cli/fuzz/fuzz_target.h"
#include "cli/compiled_code_sealer.h"
#include "cli/fuzz/input_watchdog.h"
#include "cli/wasm_loader.h"
#include "wasm/host/wasi_host_system.h"

namespace palisade::cli::fuzz {

class InProcessTarget final : public FuzzTarget {
 public:
  // Compiles the harness with coverage and checks it once (exports,
  // initialisation). Errors say what is wrong with the harness.
  static absl::StatusOr<std::unique_ptr<InProcessTarget>> Create(std::vector<uint8_t> module,
                                                                  const HarnessLimits& limits,
                                                                  CoverageArrays coverage);
  absl::StatusOr<Outcome> Run(std::span<const uint8_t> input) override;
  std::string Tier() const override;

 private:
  InProcessTarget(const HarnessLimits& limits, CoverageArrays coverage);
  // Instantiates and initialises the harness, then snapshots it; an error
  // names what failed.
  absl::Status Instantiate();
  std::string Describe(const wasm::Trap& trap) const;

  HarnessLimits limits_;
  CoverageArrays coverage_;
  wasm::CoverageMap map_;
  std::vector<uint8_t> bytes_;
  InProcessCodeSealer sealer_;  // outlives the module, whose code it holds
  std::unique_ptr<wasm::CompiledModule, CompiledModuleDeleter> module_;
  wasm::HostWasiSystem system_;
  InputWatchdog watchdog_;
  // The one instance (member order is destruction order reversed: the
  // snapshot and store go before the WASI context they refer to).
  std::unique_ptr<wasm::wasi::WasiContext> wasi_;
  std::unique_ptr<wasm::Store, StoreDeleter> store_;
  struct SnapshotDeleter {
    void operator()(wasm::InstanceSnapshot* s) const { wasm::FreeInstanceSnapshot(s); }
  };
  std::unique_ptr<wasm::InstanceSnapshot, SnapshotDeleter> snapshot_;
  wasm::Instance* instance_ = nullptr;
  wasm::FuncInst* test_ = nullptr;
  wasm::FuncInst* malloc_ = nullptr;
  wasm::MemoryInst* memory_ = nullptr;
};

}  // namespace palisade::cli::fuzz
