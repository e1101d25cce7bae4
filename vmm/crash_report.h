// A readable report of a guest crash: what happened, every register, and the
// guest instructions around RIP disassembled with Capstone (with the function
// name from the image's symbol table when there is one, or the block of
// sealed compiled Wasm in the code region that holds it).
#pragma once

#include <string>

#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/code_region.h"
#include "vmm/elf_image.h"
#include "vmm/guest_memory.h"

namespace palisade {

// One line, e.g. "#PF page fault at rip 0x1012a4 <Recurse+0x14>: write to
// 0x10fff8 (not present; stack guard page)".
// An address in sealed compiled code reads "0x... <compiled Wasm 0xBLOCK+0xOFF>".
std::string DescribeFault(const abi::FaultReport& f, const ElfImage* image,
                          const char* region_hint, const CodeRegion* code = nullptr);

// The full multi-line report: the summary, registers and disassembly.
std::string FormatCrashReport(const abi::FaultReport& f, const GuestMemory& memory,
                              const ElfImage* image, const std::string& summary,
                              const CodeRegion* code = nullptr);

// Instructions around `rip`: up to `before` ending just before it (decoded
// from the start of its function so that boundaries are right), then up to
// `after` from rip on; rip's line is marked with "=>". In sealed compiled
// code the start is the block's: the code check decoded it end to end from
// there, so that is where boundaries are known to be right.
std::string DisassembleAround(const GuestMemory& memory, const ElfImage* image, uint64_t rip,
                              int before, int after, const CodeRegion* code = nullptr);

}  // namespace palisade
