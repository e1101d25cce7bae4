// What `palisade fuzz` runs each input on: a harness (a Wasm reactor that
// exports LLVMFuzzerTestOneInput and malloc) brought back to its state right
// after initialisation before every input, with coverage recorded into
// arrays the fuzzing engine reads. Two forms: in a micro-VM reset to a
// snapshot (vm_target.h, the default) and in this process (in_process_target.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "wasm/runtime/engine.h"

namespace palisade::cli::fuzz {

// Where a target records one input's coverage; the driver owns the arrays
// and clears them before each input. Sizes are powers of two.
struct CoverageArrays {
  std::span<uint8_t> counters;        // edge counters (wasm::CoverageMap)
  std::span<wasm::CmpRecord> cmps;    // the latest compare per site
};

struct HarnessLimits {
  absl::Duration timeout = absl::Seconds(1);  // per input
  uint64_t fuel = 0;                          // per input; 0 = none
  uint32_t max_memory_pages = 1024;           // linear memory cap (64 MiB)
  size_t max_input = 4096;                    // largest input the target must take
  bool show_output = false;                   // the harness's stdout/stderr (else discarded)
  bool compiler = true;                       // the compiler tier where it can, else the interpreter
};

struct Outcome {
  enum class Kind { kOk, kRejected, kCrash };
  Kind kind = Kind::kOk;
  std::string reason;  // kCrash: one line, e.g. "trap: unreachable in function 3 (parse) at offset 0x1a2"
};

class FuzzTarget {
 public:
  virtual ~FuzzTarget() = default;
  // Runs LLVMFuzzerTestOneInput on `input` from the post-initialisation
  // state. A trap, a timeout, exit() or hitting the memory cap is a kCrash;
  // a return of -1 is kRejected (libFuzzer's "do not add to the corpus").
  // An error means the target itself broke (not the harness) and fuzzing
  // must stop.
  virtual absl::StatusOr<Outcome> Run(std::span<const uint8_t> input) = 0;
  // A line about the cost of resets so far (for the closing summary), or "".
  virtual std::string ResetSummary() const { return ""; }
  // Which tier runs the harness: "compiled", or "interpreted" and why.
  virtual std::string Tier() const = 0;
};

}  // namespace palisade::cli::fuzz
