#include "vmm/crash_report.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/disassembler.h"
#include "vmm/x86.h"

namespace palisade {
namespace {

// "ns::(anonymous namespace)::Handle(long, unsigned long const*)" -> "Handle",
// for the narrow disassembly column; the summary line keeps the full name.
std::string ShortName(std::string name) {
  for (size_t at; (at = name.find("(anonymous namespace)::")) != std::string::npos;) {
    name.erase(at, sizeof("(anonymous namespace)::") - 1);
  }
  std::string s = name.substr(0, name.find('('));
  size_t colon = s.rfind("::");
  return colon == std::string::npos ? s : s.substr(colon + 2);
}

std::string Symbolize(const ElfImage* image, const CodeRegion* code, uint64_t address,
                      bool short_name = false) {
  if (code != nullptr && code->Contains(address)) {
    const auto block = code->BlockAt(address);
    if (!block.has_value()) return absl::StrFormat("%#x <code region, no sealed code there>", address);
    if (block->function.has_value()) {
      return short_name ? absl::StrFormat("%#x <func %d+%#x>", address, *block->function,
                                          address - block->function_gpa)
                        : absl::StrFormat("%#x <compiled Wasm function %d+%#x, sealed at %#x>", address,
                                          *block->function, address - block->function_gpa, block->gpa);
    }
    return short_name ? absl::StrFormat("%#x <compiled+%#x>", address, address - block->gpa)
                      : absl::StrFormat("%#x <compiled Wasm %#x+%#x>", address, block->gpa,
                                        address - block->gpa);
  }
  const ElfSymbol* sym = image != nullptr ? image->FindFunction(address) : nullptr;
  if (sym == nullptr) return absl::StrFormat("%#x", address);
  return absl::StrFormat("%#x <%s+%#x>", address, short_name ? ShortName(sym->name) : sym->name,
                         address - sym->address);
}

// The longest readable prefix (down to 1 byte) of [gpa, gpa + len).
std::span<const uint8_t> ReadSome(const GuestMemory& memory, uint64_t gpa, uint64_t len) {
  for (; len > 0; len /= 2) {
    if (auto bytes = memory.Read(gpa, len); bytes.ok()) return *bytes;
  }
  return {};
}

}  // namespace

std::string DescribeFault(const abi::FaultReport& f, const ElfImage* image,
                          const char* region_hint, const CodeRegion* code) {
  std::string s = absl::StrFormat("%s %s at rip %s", x86::ExceptionMnemonic(f.vector),
                                  x86::ExceptionName(f.vector), Symbolize(image, code, f.rip));
  if (f.vector == 14) {
    const char* access = (f.error_code & x86::kPfFetch)   ? "instruction fetch from"
                         : (f.error_code & x86::kPfWrite) ? "write to"
                                                          : "read from";
    const char* why = (f.error_code & x86::kPfPresent) ? "protection violation" : "not present";
    absl::StrAppendFormat(&s, ": %s %#x (%s", access, f.cr2, why);
    if (region_hint != nullptr) absl::StrAppend(&s, "; ", region_hint);
    absl::StrAppend(&s, ")");
  } else if (f.error_code != 0) {
    absl::StrAppendFormat(&s, " (error code %#x)", f.error_code);
  }
  return s;
}

std::string DisassembleAround(const GuestMemory& memory, const ElfImage* image, uint64_t rip,
                              int before, int after, const CodeRegion* code) {
  auto dis = Disassembler::Create();
  if (!dis.ok()) return absl::StrCat("  (no disassembly: ", dis.status().message(), ")\n");

  // Decode from a known instruction boundary up to rip, so that the lines
  // before it are the instructions that really ran: a function's start in
  // the image, or the start of a block of sealed code (a few MiB at most of
  // decoding, once, for a report).
  uint64_t start = rip, most = 0;
  if (const auto block = code != nullptr ? code->BlockAt(rip) : std::nullopt; block.has_value()) {
    start = block->gpa, most = 16ull << 20;
  } else if (const ElfSymbol* fn = image != nullptr ? image->FindFunction(rip) : nullptr; fn != nullptr) {
    start = fn->address, most = 4096;
  }
  std::vector<Instruction> lines;
  if (start < rip && rip - start <= most) {
    auto bytes = ReadSome(memory, start, rip - start);
    if (bytes.size() == rip - start) {
      auto head = dis->Disassemble(bytes, start, rip - start);
      uint64_t end = head.empty() ? start : head.back().address + head.back().size;
      if (end == rip) {
        size_t skip = head.size() > static_cast<size_t>(before) ? head.size() - before : 0;
        lines.assign(head.begin() + static_cast<std::ptrdiff_t>(skip), head.end());
      }
    }
  }
  size_t at_rip = lines.size();
  auto tail = dis->Disassemble(ReadSome(memory, rip, 16 * static_cast<uint64_t>(after)), rip,
                               static_cast<size_t>(after));
  lines.insert(lines.end(), tail.begin(), tail.end());
  if (tail.empty()) {
    return absl::StrFormat("  (rip %#x is not readable guest code)\n", rip);
  }

  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Instruction& in = lines[i];
    absl::StrAppendFormat(&out, "%s %-28s  %-30s %s\n", i == at_rip ? "=>" : "  ",
                          Symbolize(image, code, in.address, /*short_name=*/true), in.hex, in.text);
  }
  return out;
}

std::string FormatCrashReport(const abi::FaultReport& f, const GuestMemory& memory,
                              const ElfImage* image, const std::string& summary,
                              const CodeRegion* code) {
  std::string out = absl::StrCat("guest crash: ", summary, "\n");
  absl::StrAppendFormat(&out, "  vector %d (%s), error code %#x\n", f.vector,
                        x86::ExceptionName(f.vector), f.error_code);
  absl::StrAppendFormat(&out, "  rip %016x  rsp %016x  rflags %016x\n", f.rip, f.rsp, f.rflags);
  absl::StrAppendFormat(&out, "  cr2 %016x  cr3 %016x  cs %04x ss %04x\n", f.cr2, f.cr3, f.cs,
                        f.ss);
  absl::StrAppendFormat(&out, "  rax %016x  rbx %016x  rcx %016x  rdx %016x\n", f.rax, f.rbx,
                        f.rcx, f.rdx);
  absl::StrAppendFormat(&out, "  rsi %016x  rdi %016x  rbp %016x  r8  %016x\n", f.rsi, f.rdi,
                        f.rbp, f.r8);
  absl::StrAppendFormat(&out, "  r9  %016x  r10 %016x  r11 %016x  r12 %016x\n", f.r9, f.r10,
                        f.r11, f.r12);
  absl::StrAppendFormat(&out, "  r13 %016x  r14 %016x  r15 %016x\n", f.r13, f.r14, f.r15);
  absl::StrAppend(&out, "  code:\n", DisassembleAround(memory, image, f.rip, 8, 6, code));
  return out;
}

}  // namespace palisade
