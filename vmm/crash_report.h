// A readable report of a guest crash: what happened, every register, and the
// guest instructions around RIP disassembled with Capstone (with the function
// name from the image's symbol table when there is one).
#pragma once

#include <string>

#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/elf_image.h"
#include "vmm/guest_memory.h"

namespace palisade {

// One line, e.g. "#PF page fault at rip 0x1012a4 <Recurse+0x14>: write to
// 0x10fff8 (not present; stack guard page)".
std::string DescribeFault(const abi::FaultReport& f, const ElfImage* image,
                          const char* region_hint);

// The full multi-line report: the summary, registers and disassembly.
std::string FormatCrashReport(const abi::FaultReport& f, const GuestMemory& memory,
                              const ElfImage* image, const std::string& summary);

// Instructions around `rip`: up to `before` ending just before it (decoded
// from the start of its function so that boundaries are right), then up to
// `after` from rip on; rip's line is marked with "=>".
std::string DisassembleAround(const GuestMemory& memory, const ElfImage* image, uint64_t rip,
                              int before, int after);

}  // namespace palisade
