// The harness in a micro-VM: the production guest instantiates it once
// (compiled with coverage probes, _initialize run), the sandbox is frozen
// into a snapshot, and every input then runs as one kFuzzOne command
// followed by a reset to that snapshot (only the pages the input dirtied
// are restored). Coverage is read from guest memory after each input.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/fuzz/fuzz_target.h"
#include "vmm/console.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox.h"
#include "vmm/wasi_runner.h"

namespace palisade::cli::fuzz {

class VmTarget final : public FuzzTarget {
 public:
  // `memory`: guest memory, e.g. "256M". Unavailable: no micro-VM could be
  // started; other errors say what is wrong with the harness.
  static absl::StatusOr<std::unique_ptr<VmTarget>> Create(std::vector<uint8_t> module,
                                                           const HarnessLimits& limits,
                                                           CoverageArrays coverage,
                                                           const std::string& memory);
  ~VmTarget() override;
  absl::StatusOr<Outcome> Run(std::span<const uint8_t> input) override;
  std::string ResetSummary() const override;
  std::string Tier() const override;

 private:
  VmTarget(const HarnessLimits& limits, CoverageArrays coverage);
  absl::Status Boot(uint64_t memory_bytes);
  // Describes export `name` and checks its signature.
  absl::Status CheckExport(const char* name, std::vector<uint8_t> params, std::vector<uint8_t> results,
                           const char* shape);
  std::string DescribeOutcome(const WasmOutcomeReport& r) const;

  HarnessLimits limits_;
  CoverageArrays coverage_;
  std::vector<uint8_t> module_;
  std::unique_ptr<ConsoleSink> console_;
  PosixGuestServices services_ = PosixGuestServices::WithInput("");
  std::unique_ptr<Sandbox> sandbox_;
  WarmStart warm_;
  uint64_t input_offset_ = 0;     // in the request buffer
  uint64_t coverage_offset_ = 0;  // in the request buffer
  uint64_t inputs_ = 0;
  uint64_t reset_pages_ = 0;      // pages restored by all resets so far
  uint64_t first_exits_ = 0;      // the sandbox's exits before the first input
};

}  // namespace palisade::cli::fuzz
