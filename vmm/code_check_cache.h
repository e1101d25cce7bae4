// The code check (code_check.h) once per distinct buffer: a module run again
// compiles to the same bytes at the same place (a fresh micro-VM seals its
// first module at the start of its code region), and Capstone decoding
// megabytes of it again would dominate its time to first instruction.
// A buffer whose SHA-256 -- over the bytes, their load address and the
// helper entries, everything the verdict depends on -- matches one that
// passed is passed without decoding; anything else is checked in full.
// Refusals are never remembered. Process-wide, bounded, thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "vmm/code_check.h"

namespace palisade {

// CheckCompiledCode, or the remembered pass of an identical buffer.
// `boundary_hints` as for CheckCompiledCode: they never change a verdict,
// so a remembered pass does not depend on them.
absl::Status CheckCompiledCodeOnce(std::span<const uint8_t> code, const CodeCheckTarget& target,
                                   std::span<const uint32_t> boundary_hints = {});

// Passes remembered (at most kCheckedCodeMemory; the oldest go first).
inline constexpr size_t kCheckedCodeMemory = 4096;
size_t RememberedCodePasses();
// Forgets every remembered pass (tests, benchmarks of the full check).
void ForgetCodePasses();

}  // namespace palisade
