// Where `palisade spec` runs the engine: in this process, or inside a
// micro-VM. Both drive the same SpecSession (guest-runtime/wasm/spectest),
// so the runner's results can differ only if the transport is wrong.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "wasm/runtime/engine.h"
#include "wasm/runtime/trap.h"
#include "wasm/spectest/spec_session.h"
#include "wasm/support/error.h"

namespace palisade::spec {

struct StepResult {
  wasm::spectest::SpecStatus status = wasm::spectest::SpecStatus::kOk;
  wasm::ErrorKind error_kind = wasm::ErrorKind::kNone;
  std::string message;  // compile or link error
  wasm::TrapKind trap = wasm::TrapKind::kNone;
  uint32_t instance = 0;
  std::vector<wasm::Value> results;
};

// An error status means the backend itself failed (the micro-VM crashed or
// timed out), not the step: the runner reports it and carries on after a
// Reset(), which brings a failed backend back.
class SpecBackend {
 public:
  virtual ~SpecBackend() = default;
  virtual absl::Status Reset() = 0;  // a new file
  virtual absl::StatusOr<StepResult> Validate(std::span<const uint8_t> module) = 0;
  virtual absl::StatusOr<StepResult> Instantiate(std::span<const uint8_t> module) = 0;
  virtual absl::StatusOr<StepResult> Register(const std::string& name, uint32_t instance) = 0;
  virtual absl::StatusOr<StepResult> Invoke(uint32_t instance, const std::string& field,
                                            const std::vector<wasm::Value>& args) = 0;
  virtual absl::StatusOr<StepResult> Get(uint32_t instance, const std::string& field) = 0;
  // How many instantiated modules ran compiled, for the summary ("" if the
  // backend does not say).
  virtual std::string TierSummary() const { return ""; }
};

// `coverage_probes`: modules compiled with palisade fuzz's coverage probes.
// `compiler`: instantiated modules run on the compiler tier where it can
// compile them (the rest are interpreted, and counted).
std::unique_ptr<SpecBackend> InProcessBackend(bool coverage_probes = false, bool compiler = false);
// Boots the production guest lazily, on the first Reset(). `compiler`: the
// guest compiles instantiated modules and the host seals them.
std::unique_ptr<SpecBackend> VmBackend(bool compiler = false);

}  // namespace palisade::spec
