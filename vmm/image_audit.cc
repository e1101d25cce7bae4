#include "vmm/image_audit.h"

#include <capstone/capstone.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "guest-runtime/abi/hypercall_abi.h"

namespace palisade {
namespace {

// The instructions the audit looks at: every privileged one a 64-bit guest
// could execute, and the unprivileged ones that leave the sandbox's
// intended interface (system calls, software interrupts, hypervisor calls).
const std::set<std::string>& Sensitive() {
  static const std::set<std::string> s = {
      "syscall", "sysenter", "sysexit", "sysret", "int",    "into",   "int1",   "vmcall", "vmmcall",
      "vmfunc",  "wrmsr",    "rdmsr",   "in",     "insb",   "insw",   "insd",   "out",    "outsb",
      "outsw",   "outsd",    "cli",     "sti",    "lgdt",   "lidt",   "lldt",   "ltr",    "invlpg",
      "invd",    "wbinvd",   "swapgs",  "clts",   "lmsw",   "xsetbv", "wrfsbase", "wrgsbase",
      "hlt",     "rdpmc",    "monitor", "mwait",  "iretq",  "iretd",  "iret",   "sgdt",   "sidt",
      "lar",     "lsl",      "invpcid", "sysretq", "sysexitq", "rdtscp", "wrpkru"};
  return s;
}

struct Rule {
  const char* instruction;
  const char* condition;
};
// What is allowed; everything else Sensitive() or privileged is refused.
// The guest runs at CPL 3, so ring-3 code gets no privileged instruction at
// all (the CPU would refuse it too: this catches it before boot). Ring 0 is
// the exception stubs alone, entered only by a CPU exception.
constexpr Rule kImageAuditRules[] = {
    {"out dx, eax", "ring 3: only with edx last set, in the same function, to the hypercall port (0x500)"},
    {"mov r64, cr2/cr3", "ring 0: reading the fault address and page-table root for the crash report"},
    {"out dx, eax", "ring 0: as in ring 3 (the fault report)"},
    {"hlt", "ring 0: after the fault report, which the host never resumes"},
    {"ring 0", "nothing but push, pop, mov, lea, add, sub, jmp, nop and the three above: integer "
               "instructions only (on PVM ring 0 runs in KVM's emulator, which has no SSE)"},
};

// Ring 0's whole vocabulary, besides what the rules allow.
const std::set<std::string>& Ring0Plain() {
  static const std::set<std::string> s = {"push", "pop", "mov", "lea", "add", "sub", "jmp", "nop"};
  return s;
}

// Any vector, x87 or mask register in the operands.
bool NamesNonIntegerRegister(const std::string& op) {
  for (const char* reg : {"xmm", "ymm", "zmm", "mm", "st(", "st0", "k0", "k1"}) {
    if (absl::StrContains(op, reg)) return true;
  }
  return false;
}

// mov to or from cr0-cr8 / dr0-dr7 (Capstone without detail mode, which
// would double the audit's time, gives the operands as text).
bool MovesControlOrDebugRegister(const std::string& m, const std::string& op) {
  if (m != "mov") return false;
  for (size_t at = 0; (at = op.find_first_of("cd", at)) != std::string::npos; ++at) {
    const bool word_start = at == 0 || op[at - 1] == ' ' || op[at - 1] == ',';
    if (word_start && at + 2 < op.size() + 1 && op[at + 1] == 'r' && at + 2 < op.size() &&
        op[at + 2] >= '0' && op[at + 2] <= '8' && (at + 3 == op.size() || op[at + 3] == ',')) {
      return true;
    }
  }
  return false;
}

// Conservatively: any instruction naming edx first (its destination in
// Intel syntax) except those that only read it, and the implicit writers.
bool WritesEdx(const cs_insn& insn) {
  const std::string op = insn.op_str;
  const std::string mnemonic = insn.mnemonic;
  if (mnemonic == "out" || mnemonic == "cmp" || mnemonic == "test" || mnemonic == "push") return false;
  for (const char* reg : {"edx", "dx", "rdx", "dl", "dh"}) {
    if (absl::StartsWith(op, std::string(reg) + ",") || op == reg) return true;
  }
  // Implicit writers of edx.
  static const std::set<std::string> implicit = {"mul", "div", "idiv", "cdq", "cqo", "cwd", "rdtsc",
                                                 "rdtscp", "cpuid", "rdmsr", "rdpkru", "xgetbv", "pop"};
  const std::string m = insn.mnemonic;
  if (m == "imul") return absl::StrContains(op, ",") == false;  // the one-operand form
  return implicit.count(m) > 0 && (m != "pop" || op == "rdx" || op == "dx");
}

}  // namespace

std::vector<ImageAuditViolation> FindImageAuditViolations(const ElfImage& image, std::span<const uint8_t> file) {
  std::vector<ImageAuditViolation> found;
  csh handle;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
    found.push_back({0, "", "", "Capstone could not be opened: the image cannot be audited"});
    return found;
  }
  cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);
  std::unique_ptr<cs_insn, void (*)(cs_insn*)> insn(cs_malloc(handle), [](cs_insn* i) { cs_free(i, 1); });
  for (const ElfSegment& seg : image.segments()) {
    if (!seg.executable) continue;
    const uint8_t* code = file.data() + seg.offset;
    size_t size = seg.filesz;
    uint64_t address = seg.vaddr;
    // The last write of edx seen in the current function: its value if an
    // immediate, else -1.
    int64_t edx = -1;
    const ElfSymbol* function = nullptr;
    while (size > 0 && cs_disasm_iter(handle, &code, &size, &address, insn.get())) {
      const cs_insn& i = *insn;
      const ElfSymbol* f = image.FindFunction(i.address);
      if (f != function) {
        function = f;
        edx = -1;
      }
      const std::string m = i.mnemonic;
      const std::string op = i.op_str;
      if (m == "mov" && (absl::StartsWith(op, "edx, ") || absl::StartsWith(op, "dx, ") ||
                         absl::StartsWith(op, "rdx, "))) {
        char* end = nullptr;
        const std::string imm = op.substr(op.find(", ") + 2);
        const unsigned long long v = std::strtoull(imm.c_str(), &end, 0);
        edx = end != nullptr && *end == '\0' && !imm.empty() && imm[0] >= '0' && imm[0] <= '9'
                  ? static_cast<int64_t>(v)
                  : -1;
      } else if (WritesEdx(i)) {
        edx = -1;
      }
      const std::string name = function != nullptr ? function->name : "";
      const bool port_ok = m == "out" && op == "dx, eax" && edx == abi::kHypercallPort;
      std::string reason;
      if (seg.supervisor) {
        if (port_ok || m == "hlt") continue;
        if (m == "mov" && (absl::EndsWith(op, ", cr2") || absl::EndsWith(op, ", cr3"))) {
          continue;  // reads only: the destination is a general register
        }
        if (Ring0Plain().count(m) > 0 && !NamesNonIntegerRegister(op) &&
            !MovesControlOrDebugRegister(m, op)) {
          continue;
        }
        reason = m == "out" ? "port I/O other than `out dx, eax` to the hypercall port"
                            : "ring 0 holds only the exception stubs' plain integer instructions";
      } else {
        if (Sensitive().count(m) == 0 && !MovesControlOrDebugRegister(m, op)) continue;
        if (port_ok) continue;
        if (m == "out") {
          reason = op == "dx, eax" ? "port I/O whose port is not the hypercall port (0x500) set just before"
                                   : "port I/O other than `out dx, eax` to the hypercall port";
        } else if (m == "wrmsr" || m == "rdmsr") {
          reason = "MSR access";
        } else if (m == "syscall" || m == "sysenter" || m == "int" || m == "int1" || m == "into") {
          reason = "a system call or software interrupt: the guest has no kernel to call";
        } else if (m == "vmcall" || m == "vmmcall" || m == "vmfunc") {
          reason = "a hypervisor call other than the hypercall port";
        } else {
          reason = "a privileged instruction in ring-3 code";
        }
      }
      found.push_back({i.address, name, absl::StrCat(m, op.empty() ? "" : " ", op),
                       reason});
    }
  }
  cs_close(&handle);
  return found;
}

absl::Status AuditGuestImage(const ElfImage& image, std::span<const uint8_t> file) {
  std::vector<ImageAuditViolation> v = FindImageAuditViolations(image, file);
  if (v.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  for (size_t i = 0; i < v.size() && i < 5; ++i) {
    lines.push_back(absl::StrFormat("`%s` at %#x%s: %s", v[i].instruction, v[i].address,
                                    v[i].function.empty() ? "" : " in " + v[i].function, v[i].reason));
  }
  if (v.size() > 5) lines.push_back(absl::StrCat("... and ", v.size() - 5, " more"));
  return absl::FailedPreconditionError(
      absl::StrCat("the guest image fails its audit (", v.size(), " instruction(s)); refusing to boot: ",
                   absl::StrJoin(lines, "; ")));
}

namespace {
std::mutex g_audited_mu;
std::vector<std::span<const uint8_t>>& AuditedImages() {
  static std::vector<std::span<const uint8_t>> images;
  return images;
}
}  // namespace

void MarkAuditedAtBuild(std::span<const uint8_t> image) {
  std::lock_guard<std::mutex> lock(g_audited_mu);
  AuditedImages().push_back(image);
}

bool AuditedAtBuild(std::span<const uint8_t> image) {
  std::lock_guard<std::mutex> lock(g_audited_mu);
  for (std::span<const uint8_t> a : AuditedImages()) {
    if (a.data() == image.data() && a.size() == image.size()) return true;
  }
  return false;
}

std::string ExplainImageAuditRules() {
  std::string out =
      "guest image audit: privileged and sensitive instructions in the image's executable segments\n"
      "(Capstone: for the embedded image when it is built, for any other before its first boot in a\n"
      "process); anything not allowed refuses the image.\n"
      "The guest runs at CPL 3; its ring-0 segment (the exception stubs) is audited as ring 0.\n";
  for (const Rule& r : kImageAuditRules) absl::StrAppend(&out, absl::StrFormat("  allow %-17s %s\n", r.instruction, r.condition));
  absl::StrAppend(&out, "  refuse everything else privileged or sensitive: mov to or from cr0-cr8 / dr0-dr7, ",
                  absl::StrJoin(Sensitive(), " "),
                  "\n");
  return out;
}

}  // namespace palisade
