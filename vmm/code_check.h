// The check every buffer of compiled Wasm code passes before it may run,
// in a micro-VM (the host checks what the guest hands over, then maps it
// read+execute where the guest cannot write) or in process (before the
// buffer becomes executable). The rules are listed at the top of
// code_check.cc and printed by `palisade policy explain code`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace palisade {

struct CodeCheckViolation {
  uint64_t offset = 0;      // from the start of the buffer
  std::string instruction;  // as Capstone prints it, or the bytes when undecodable
  std::string rule;         // which rule, in its own words
};

// Where the code will run and what it may call.
struct CodeCheckTarget {
  // The address the buffer's first byte will have when it runs: direct
  // branch targets are computed from it.
  uint64_t load_address = 0;
  // Entry points of the runtime's helper table (traps, memory.grow, calls
  // out to the host...): the only places outside the buffer that a direct
  // call or jump may reach.
  std::span<const uint64_t> helper_entries;
};

// Every violation, in address order; empty when the buffer passes.
// `limit` caps how many are collected (the first is what matters).
// `reuse_decodes` off makes Capstone decode every instruction, not every
// distinct one: the tests compare the two.
std::vector<CodeCheckViolation> FindCodeViolations(std::span<const uint8_t> code,
                                                   const CodeCheckTarget& target, size_t limit = 16,
                                                   bool reuse_decodes = true);

// OK, or FailedPrecondition naming the first violation ("compiled code
// refused at offset 0x1c: `cpuid`: not in the allowed instruction set").
//
// `boundary_hints`: offsets the producer says start an instruction (a
// module's function entries), ascending. They only let a large buffer be
// checked in stretches on the workers (code_check_workers.h), and only a
// pass is ever decided that way: the stretches must meet exactly where
// decoding from the start passes, or FindCodeViolations checks the whole
// buffer from its start. A wrong hint costs time, never a verdict.
absl::Status CheckCompiledCode(std::span<const uint8_t> code, const CodeCheckTarget& target,
                               std::span<const uint32_t> boundary_hints = {});

// Buffers passed in pieces on the workers, since the process started.
uint64_t CodeChecksSplit();

// Below this many bytes a buffer is checked on one thread.
inline constexpr size_t kCodeCheckPiece = 256 << 10;

// The rules, one line each, and what the check does not prove.
std::string ExplainCodeCheckRules();

}  // namespace palisade
