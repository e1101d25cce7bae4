// The guest image audit: before an image is loaded, Capstone disassembles
// its executable segments and every privileged or sensitive instruction is
// checked against the rules below. One outside them refuses the boot and
// the error says which instruction, where and which rule.
//
// The rules (kImageAuditRules in image_audit.cc, printed by
// `palisade policy explain image`):
//   hlt                 anywhere: the guest stops; the host ends the VM
//   lidt                only in palisade::guest::InstallIdt(): the guest's own exception table
//   mov r64, cr2/cr3    only in palisade_exception: reading fault state for the crash report
//   out dx, eax         only with edx last set, in the same function, to the
//                       hypercall port (0x500): the one way to call the host
//   anything else privileged (MSR reads/writes, control/debug registers,
//   descriptor tables, other port I/O, cli/sti, cache and TLB control) or
//   sensitive (syscall/sysenter, int n, vmcall/vmmcall): refused
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
