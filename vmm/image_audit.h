// The guest image audit: Capstone disassembles the image's executable
// segments and checks every instruction against the rules below; one outside
// them refuses the image, and the error says which instruction, where and
// which rule. The embedded production image is audited by the build
// (palisade_audit_image); any other image before its first boot.
//
// The rules (kImageAuditRules in image_audit.cc, printed by
// `palisade policy explain image`). The guest runs at CPL 3:
//   ring-3 code (every executable segment but the ring-0 one): nothing
//     privileged or sensitive at all, except `out dx, eax` with edx last set,
//     in the same function, to the hypercall port (0x500)
//   ring-0 code (the exception stubs, abi PALISADE_ABI_PF_RING0): push, pop,
//     mov, lea, add, sub, jmp, nop, reads of cr2/cr3, the hypercall `out`
//     and hlt -- integer instructions only, because on PVM ring 0 runs in
//     KVM's instruction emulator, which has no SSE
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "vmm/elf_image.h"

namespace palisade {

struct ImageAuditViolation {
  uint64_t address = 0;
  std::string function;     // demangled, or "" without a symbol
  std::string instruction;  // "wrmsr", "out dx, al"
  std::string reason;
};

// Every violation in `image`'s executable segments (`file` is the ELF it
// was parsed from).
std::vector<ImageAuditViolation> FindImageAuditViolations(const ElfImage& image,
                                                          std::span<const uint8_t> file);
// OK, or FailedPrecondition naming the first violations.
absl::Status AuditGuestImage(const ElfImage& image, std::span<const uint8_t> file);

// The rules, one line each, for `palisade policy explain image`.
std::string ExplainImageAuditRules();

// The image a binary embeds was audited when it was built (the build fails
// otherwise: cmake/PalisadeEmbed.cmake); its library registers exactly those
// bytes here at start-up, and Sandbox::Boot skips the run-time audit for
// them. Any other image is audited before its first boot in a process.
void MarkAuditedAtBuild(std::span<const uint8_t> image);
bool AuditedAtBuild(std::span<const uint8_t> image);

}  // namespace palisade
