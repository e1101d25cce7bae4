// The rules compiled code must follow (kCodeCheckRules below, printed by
// `palisade policy explain code`):
//
//   1. decodes: Capstone decodes the whole buffer, end to end, as 64-bit
//      code; an undecodable byte anywhere refuses it. Each distinct
//      instruction is decoded once: x86 reads an instruction's bytes in
//      order and stops at its end, so the same bytes at another offset are
//      the same instruction and get the same verdict (a direct branch keeps
//      its target relative to its own address). Compiled code repeats most
//      of its instructions; Capstone is most of the check's time. A large
//      buffer may be decoded in stretches on the workers
//      (code_check_workers.h), cut where its producer says functions
//      start; only a pass is decided that way, and only when every stretch
//      ends exactly where the next begins -- then they are the decode from
//      the start. Anything else is checked again from the start.
//   2. allowed instruction set: general-purpose integer instructions, CMOV,
//      and SSE, SSE2, SSE3, SSSE3 and SSE4.1 -- Capstone's groups for each
//      instruction must all be among those (plus the branch groups). Nothing
//      privileged, no I/O, no system calls or software interrupts, no far
//      transfers, no x87/MMX/AVX, and by name: cpuid, rdtsc(p), rdpmc,
//      rdrand/rdseed, rdpid, ldmxcsr (Wasm needs round-to-nearest), fxrstor/
//      xrstor, popf, pushf, enter, ud0/1/2, clflush(opt), the descriptor-table reads.
//   3. no segments: no segment register as an operand (mov/push/pop of a
//      segment, lfs/lgs/lss) and no segment override on a memory operand.
//   4. direct branches stay inside: every jmp, jcc, loop, jrcxz and call with
//      an immediate target lands on the first byte of an instruction of the
//      buffer, or on an entry of the runtime's helper table; none carries an
//      operand-size prefix (some CPUs would cut its target to 16 bits).
//
// What it does not prove: where indirect branches go (`ret`, `jmp reg`,
// `call [mem]`, used for call_indirect through the table), nor anything
// about data: memory safety comes from the generated bounds checks or guard
// regions and, in a micro-VM, from the page tables the host owns.
#include "vmm/code_check.h"

#include <capstone/capstone.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "vmm/code_check_workers.h"
#include "vmm/mapping.h"

namespace palisade {
namespace {

struct Rule {
  const char* name;
  const char* text;
};
constexpr Rule kCodeCheckRules[] = {
    {"decodes", "Capstone decodes the whole buffer end to end as x86-64; no undecodable bytes"},
    {"allowed instruction set",
     "general-purpose integer, CMOV, SSE to SSE4.1 (Capstone's groups); never privileged, I/O, system "
     "calls, interrupts, far transfers, x87, MMX or AVX; never cpuid, rdtsc(p), rdpmc, rdrand, rdseed, "
     "rdpid, ldmxcsr, fxrstor, xrstor, popf, pushf, enter, ud0/1/2, clflush, sgdt/sidt/sldt/str/smsw/lar/lsl/verr/verw"},
    {"no segments", "no segment register operand and no segment override on a memory operand"},
    {"direct branches stay inside",
     "every direct jump, conditional jump, loop and call lands on an instruction boundary of the buffer "
     "or on an entry of the runtime's helper table, with no operand-size prefix"},
    {"not proven", "the targets of indirect branches (ret, jmp/call through a register or memory)"},
};

bool AllowedGroup(uint8_t group) {
  switch (group) {
    case X86_GRP_JUMP:
    case X86_GRP_CALL:
    case X86_GRP_RET:
    case X86_GRP_BRANCH_RELATIVE:
    case X86_GRP_MODE64:
    case X86_GRP_CMOV:
    case X86_GRP_SSE1:
    case X86_GRP_SSE2:
    case X86_GRP_SSE3:
    case X86_GRP_SSSE3:
    case X86_GRP_SSE41:
    case X86_GRP_NOVLX:  // "has no AVX-512VL form": says nothing against SSE
      return true;
    default:
      return false;
  }
}

// Instructions whose groups would pass but which leave the Wasm sandbox's
// meaning: they read the machine (timing, identity, randomness the host
// does not see), change floating-point state Wasm fixes, or trap on purpose.
// A table by instruction id: the check looks every instruction up.
const std::vector<bool>& DeniedById() {
  static const std::vector<bool> table = [] {
  const std::set<unsigned> s = {
      X86_INS_CPUID,   X86_INS_RDTSC,   X86_INS_RDTSCP,   X86_INS_RDPMC,   X86_INS_RDRAND,
      X86_INS_RDSEED,    X86_INS_LDMXCSR,  X86_INS_FXRSTOR, X86_INS_FXRSTOR64,
      X86_INS_FXSAVE,  X86_INS_FXSAVE64, X86_INS_XRSTOR,  X86_INS_XRSTOR64, X86_INS_XRSTORS,
      X86_INS_XRSTORS64, X86_INS_XSAVE, X86_INS_XSAVE64,  X86_INS_XSAVEC,  X86_INS_XSAVEOPT,
      X86_INS_XSAVES,  X86_INS_POPF,    X86_INS_POPFD,    X86_INS_POPFQ,   X86_INS_PUSHF,
      X86_INS_PUSHFD,  X86_INS_PUSHFQ,  X86_INS_ENTER,    X86_INS_UD2,     X86_INS_UD2B,
      X86_INS_UD0,     X86_INS_CLFLUSH, X86_INS_CLFLUSHOPT, X86_INS_SGDT,  X86_INS_SIDT,
      X86_INS_SLDT,    X86_INS_STR,     X86_INS_SMSW,     X86_INS_LAR,     X86_INS_LSL,
      X86_INS_VERR,    X86_INS_VERW,    X86_INS_SYSCALL,  X86_INS_SYSENTER, X86_INS_SYSEXIT,
      X86_INS_SYSRET,  X86_INS_INT,     X86_INS_INT1,     X86_INS_INT3,    X86_INS_INTO,
      X86_INS_IN,      X86_INS_INSB,    X86_INS_INSW,     X86_INS_INSD,    X86_INS_OUT,
      X86_INS_OUTSB,   X86_INS_OUTSW,   X86_INS_OUTSD,    X86_INS_HLT,     X86_INS_LJMP,
      X86_INS_LCALL,   X86_INS_RETF,    X86_INS_RETFQ,    X86_INS_IRET,    X86_INS_IRETD,
      X86_INS_IRETQ,   X86_INS_LFS,     X86_INS_LGS,      X86_INS_LSS,     X86_INS_LDS,
      X86_INS_LES,     X86_INS_SWAPGS,  X86_INS_MONITOR,  X86_INS_MWAIT,   X86_INS_WAIT,
      X86_INS_EMMS,          X86_INS_CLAC,    X86_INS_STAC,
         
     
      
     
      X86_INS_RDFSBASE, X86_INS_RDGSBASE, X86_INS_WRFSBASE, X86_INS_WRGSBASE, X86_INS_XGETBV,
      X86_INS_XSETBV, X86_INS_VMCALL, X86_INS_VMMCALL, X86_INS_VMFUNC,
      X86_INS_XBEGIN, X86_INS_XEND, X86_INS_XABORT, X86_INS_XTEST,
      X86_INS_CLWB, X86_INS_PCOMMIT, X86_INS_BOUND, X86_INS_ARPL, X86_INS_INVLPG,
      X86_INS_INVD, X86_INS_WBINVD, X86_INS_RSM, X86_INS_GETSEC, X86_INS_LGDT, X86_INS_LIDT,
      X86_INS_LLDT, X86_INS_LTR, X86_INS_LMSW, X86_INS_CLTS, X86_INS_CLI, X86_INS_STI,
      X86_INS_RDMSR, X86_INS_WRMSR, X86_INS_INVPCID, X86_INS_SKINIT, X86_INS_INVLPGA,
      // Capstone 4 gives these no group: SGX, 3DNow!'s femms, VIA PadLock.
      X86_INS_ENCLS, X86_INS_ENCLU, X86_INS_FEMMS, X86_INS_MONTMUL, X86_INS_XCRYPTCBC,
      X86_INS_XCRYPTCFB, X86_INS_XCRYPTCTR, X86_INS_XCRYPTECB, X86_INS_XCRYPTOFB, X86_INS_XSHA1,
      X86_INS_XSHA256, X86_INS_XSTORE,
  };
  std::vector<bool> t(X86_INS_ENDING, false);
  for (unsigned id : s) t[id] = true;
  return t;
  }();
  return table;
}

bool IsSegment(x86_reg r) {
  return r == X86_REG_CS || r == X86_REG_DS || r == X86_REG_ES || r == X86_REG_FS || r == X86_REG_GS ||
         r == X86_REG_SS;
}

std::string Bytes(std::span<const uint8_t> code, uint64_t offset, size_t n) {
  std::string s = "bytes";
  for (size_t i = offset; i < code.size() && i < offset + n; ++i) absl::StrAppendFormat(&s, " %02x", code[i]);
  return s;
}

struct CapstoneHandle {
  csh handle = 0;
  bool open = false;
  CapstoneHandle() {
    open = cs_open(CS_ARCH_X86, CS_MODE_64, &handle) == CS_ERR_OK;
    if (open) cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  }
  ~CapstoneHandle() {
    if (open) cs_close(&handle);
  }
  CapstoneHandle(const CapstoneHandle&) = delete;
  CapstoneHandle& operator=(const CapstoneHandle&) = delete;
};

// Registers of the forbidden extensions and of the system: Capstone 4
// leaves some x87, MMX and AVX instructions without their group, but never
// without their registers. A table by register id, from their names.
class ForbiddenRegisters {
 public:
  explicit ForbiddenRegisters(csh cs) : table_(X86_REG_ENDING, false) {
    for (unsigned reg = 0; reg < X86_REG_ENDING; ++reg) {
      const char* name = cs_reg_name(cs, reg);
      if (name == nullptr) continue;
      for (const char* prefix : {"mm", "st", "fp", "ymm", "zmm", "k", "cr", "dr", "bnd"}) {
        if (std::string_view(name).starts_with(prefix)) table_[reg] = true;
      }
    }
  }
  bool operator()(unsigned reg) const { return reg < table_.size() && table_[reg]; }

 private:
  std::vector<bool> table_;
};

// The rule `insn` breaks, or "" -- all but the branch-target rule.
const char* BrokenRule(const ForbiddenRegisters& forbidden, const cs_insn& insn) {
  const cs_detail& d = *insn.detail;
  // The segment rule first: it names the more specific reason.
  for (uint8_t i = 0; i < d.x86.op_count; ++i) {
    const cs_x86_op& op = d.x86.operands[i];
    if (op.type == X86_OP_REG && IsSegment(op.reg)) return "no segments";
    if (op.type == X86_OP_MEM && op.mem.segment != X86_REG_INVALID) return "no segments";
  }
  if (insn.id < DeniedById().size() && DeniedById()[insn.id]) return "allowed instruction set";
  // Every VEX/EVEX/XOP (AVX and later) mnemonic starts with v, and x87 is
  // opcodes d8-df: caught here even where Capstone 4 forgot the group.
  if (insn.mnemonic[0] == 'v' || (d.x86.opcode[0] >= 0xd8 && d.x86.opcode[0] <= 0xdf)) {
    return "allowed instruction set";
  }
  for (uint8_t i = 0; i < d.x86.op_count; ++i) {
    if (d.x86.operands[i].type == X86_OP_REG && forbidden(d.x86.operands[i].reg)) {
      return "allowed instruction set";
    }
  }
  for (uint8_t i = 0; i < d.regs_read_count; ++i) {
    if (forbidden(d.regs_read[i])) return "allowed instruction set";
  }
  for (uint8_t i = 0; i < d.regs_write_count; ++i) {
    if (forbidden(d.regs_write[i])) return "allowed instruction set";
  }
  for (uint8_t i = 0; i < d.groups_count; ++i) {
    if (!AllowedGroup(d.groups[i])) return "allowed instruction set";
  }
  return nullptr;
}

std::string Text(const cs_insn& i) {
  return std::string(i.mnemonic) + (i.op_str[0] != '\0' ? " " : "") + i.op_str;
}

// The rules a remembered verdict can name (a byte in its slot).
constexpr const char* kBranchRule = "direct branches stay inside";
constexpr const char* kVerdictRules[] = {nullptr, "no segments", "allowed instruction set", kBranchRule};

uint8_t RuleIndex(const char* rule) {
  for (uint8_t i = 1; i < std::size(kVerdictRules); ++i) {
    if (rule != nullptr && std::strcmp(rule, kVerdictRules[i]) == 0) return i;
  }
  return 0;
}

// Verdicts already reached, found by an instruction's exact bytes: open
// addressing over the buffer itself (a slot names where its bytes were
// first seen). How long the instruction at an offset is cannot be known
// before it is decoded, so each pair of first bytes keeps the lengths seen
// after it and a lookup tries those; the bytes must match exactly, and at
// most one length can (a complete instruction is never the start of a
// longer one).
//
// A slot holds its verdict inline (16 bytes), so a lookup touches one cache
// line of the table, and the table sits on huge pages where it is large:
// it is as big as the code is distinct, and each of its 4 KiB pages would
// otherwise fault in on its first touch at a random moment of the check.
class DecodedInstructions {
 public:
  struct Verdict {
    const char* rule = nullptr;  // the rule it breaks, or nullptr
    int64_t target_delta = 0;    // a direct branch's target less its address
    uint8_t length = 0;
    bool direct_branch = false;
  };

  // `bytes`: how much of `code` will be decoded.
  DecodedInstructions(std::span<const uint8_t> code, size_t bytes) : code_(code), lengths_(1 << 16, 0) {
    // About one distinct instruction per 15 bytes of compiled code; a full
    // table stops learning and the check goes on decoding every instruction.
    size_t n = 1024;
    while (n < bytes / 8 && n < (size_t{1} << 20)) n <<= 1;
    mask_ = n - 1;
    const size_t table = n * sizeof(Slot);
    if (table >= kHugePage) {
      absl::StatusOr<Mapping> m = Mapping::CreateAligned(table, kHugePage, "the code check's table");
      if (m.ok()) {
        ::madvise(m->data(), table, MADV_HUGEPAGE);  // a hint: 4 KiB pages work too
        huge_ = *std::move(m);
        slots_ = reinterpret_cast<Slot*>(huge_.data());  // zero-filled by the kernel
      }
    }
    if (slots_ == nullptr) {
      small_.resize(n);
      slots_ = small_.data();
    }
  }

  bool Find(size_t offset, Verdict* out) {
    const size_t left = code_.size() - offset;
    for (unsigned lengths = lengths_[PairAt(offset)]; lengths != 0; lengths &= lengths - 1) {
      const size_t len = static_cast<size_t>(std::countr_zero(lengths));
      if (len > left) break;
      const uint64_t h = Hash(offset, len);
      // Nearby code repeats itself: a small cache of recent finds, with
      // the bytes inline, answers most lookups without a miss.
      Recent& r = recent_[Tag(h) & (kRecent - 1)];
      if (r.slot.length == len && std::memcmp(r.bytes, code_.data() + offset, len) == 0) {
        Read(r.slot, out);
        return true;
      }
      for (size_t i = Index(h);; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.offset_plus_1 == 0) break;
        if (s.tag == Tag(h) && s.length == len &&
            std::memcmp(code_.data() + s.offset_plus_1 - 1, code_.data() + offset, len) == 0) {
          r.slot = s;
          std::memcpy(r.bytes, code_.data() + offset, len);
          Read(s, out);
          return true;
        }
      }
    }
    return false;
  }

  void Add(size_t offset, const Verdict& v) {
    if (used_ * 4 >= (mask_ + 1) * 3) return;
    const int64_t rel = v.target_delta - v.length;
    if (v.direct_branch && rel != static_cast<int32_t>(rel)) return;  // not a rel8/rel32 branch
    const uint64_t h = Hash(offset, v.length);
    size_t i = Index(h);
    while (slots_[i].offset_plus_1 != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{Tag(h), static_cast<uint32_t>(offset + 1), static_cast<int32_t>(rel), v.length,
                     RuleIndex(v.rule), static_cast<uint8_t>(v.direct_branch), 0};
    lengths_[PairAt(offset)] |= static_cast<uint16_t>(1u << v.length);
    ++used_;
  }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;
  struct Slot {
    uint32_t tag;
    uint32_t offset_plus_1;  // 0: empty
    int32_t rel;             // direct branches: target less the instruction's end
    uint8_t length;
    uint8_t rule;            // index in kVerdictRules
    uint8_t direct_branch;
    uint8_t unused;
  };
  static_assert(sizeof(Slot) == 16);
  struct Recent {
    Slot slot{};  // length 0: empty
    uint8_t bytes[16];
  };
  static constexpr size_t kRecent = 4096;

  static void Read(const Slot& s, Verdict* out) {
    out->rule = kVerdictRules[s.rule];
    out->length = s.length;
    out->direct_branch = s.direct_branch != 0;
    out->target_delta = int64_t{s.rel} + s.length;
  }

  uint16_t PairAt(size_t offset) const {
    return static_cast<uint16_t>(code_[offset] << 8 | (offset + 1 < code_.size() ? code_[offset + 1] : 0));
  }
  uint64_t Hash(size_t offset, size_t len) const {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (size_t k = 0; k < len; ++k) h = (h ^ code_[offset + k]) * 0x100000001b3ull;
    return h;
  }
  static uint32_t Tag(uint64_t h) { return static_cast<uint32_t>(h >> 32); }
  size_t Index(uint64_t h) const { return ((h ^ (h >> 29)) * 0x9e3779b97f4a7c15ull >> 24) & mask_; }

  std::span<const uint8_t> code_;
  Mapping huge_;
  std::vector<Slot> small_;
  Slot* slots_ = nullptr;
  size_t mask_ = 0;
  std::vector<Recent> recent_ = std::vector<Recent>(kRecent);
  std::vector<uint16_t> lengths_;   // by the first two bytes: bit n set when an n-byte instruction was seen
  size_t used_ = 0;
};

bool IsDirectBranch(const cs_insn& insn) {
  const cs_detail& d = *insn.detail;
  bool branch = false;
  for (uint8_t i = 0; i < d.groups_count; ++i) {
    branch = branch || d.groups[i] == X86_GRP_JUMP || d.groups[i] == X86_GRP_CALL;
  }
  return branch && d.x86.op_count == 1 && d.x86.operands[0].type == X86_OP_IMM;
}

// Decoding from `begin` until `end` is reached (rules 1-3), noting where
// each instruction starts and where each direct branch goes (rule 4 is
// checked once every stretch of the buffer is decoded).
struct Stretch {
  size_t begin = 0;
  size_t end = 0;
  size_t reached = 0;  // where decoding stopped: `end` when the stretches meet
  bool undecodable = false;
  std::vector<bool> starts;                             // by offset - begin
  std::vector<std::pair<uint64_t, uint64_t>> branches;  // (offset, target address)
  std::vector<CodeCheckViolation> found;

  Stretch(size_t from, size_t to) : begin(from), end(to), starts(to - from, false) {}
  bool StartsAt(size_t offset) const { return offset >= begin && offset < end && starts[offset - begin]; }
};

// One Capstone handle and what the rules need of it: one per thread.
class Checker {
 public:
  Checker()
      : insn_(cs_.open ? cs_malloc(cs_.handle) : nullptr, [](cs_insn* i) {
          if (i != nullptr) cs_free(i, 1);
        }),
        forbidden_(cs_.handle) {}
  bool ok() const { return insn_ != nullptr; }

  // The instruction at `offset`, decoded again only to name it.
  std::string TextAt(std::span<const uint8_t> code, uint64_t load_address, uint64_t offset) {
    const uint8_t* at = code.data() + offset;
    size_t n = code.size() - offset;
    uint64_t addr = load_address + offset;
    return cs_disasm_iter(cs_.handle, &at, &n, &addr, insn_.get()) ? Text(*insn_) : Bytes(code, offset, 8);
  }

  // Nothing is formatted unless it breaks a rule: the check sits between a
  // module and its first run. `seen`: verdicts to reuse, or nullptr.
  void Decode(std::span<const uint8_t> code, const CodeCheckTarget& target, size_t limit, DecodedInstructions* seen,
              Stretch& s) {
    auto add = [&](uint64_t offset, std::string instruction, const char* rule) {
      if (s.found.size() < limit) s.found.push_back({offset, std::move(instruction), rule});
    };
    size_t offset = s.begin;
    while (offset < s.end) {
      const uint64_t address = target.load_address + offset;
      DecodedInstructions::Verdict v;
      if (seen != nullptr && seen->Find(offset, &v)) {
        if (v.rule != nullptr && s.found.size() < limit) add(offset, TextAt(code, target.load_address, offset), v.rule);
      } else {
        const uint8_t* p = code.data() + offset;
        size_t left = code.size() - offset;
        uint64_t next = address;
        if (!cs_disasm_iter(cs_.handle, &p, &left, &next, insn_.get())) {
          add(offset, Bytes(code, offset, 8), "decodes");
          s.undecodable = true;  // nothing after an undecodable byte has a known boundary
          s.reached = offset;
          return;
        }
        const cs_insn& i = *insn_;
        v.length = static_cast<uint8_t>(i.size);
        v.rule = BrokenRule(forbidden_, i);
        if (v.rule == nullptr && IsDirectBranch(i)) {
          // With an operand-size prefix, some CPUs cut the target to 16
          // bits: where it goes would depend on the machine.
          if (i.detail->x86.prefix[2] == 0x66) v.rule = kBranchRule;
          v.direct_branch = true;
          v.target_delta = static_cast<int64_t>(static_cast<uint64_t>(i.detail->x86.operands[0].imm) - address);
        }
        if (v.rule != nullptr) add(offset, Text(i), v.rule);
        if (seen != nullptr) seen->Add(offset, v);
      }
      s.starts[offset - s.begin] = true;
      if (v.rule == nullptr && v.direct_branch) {
        s.branches.emplace_back(offset, address + static_cast<uint64_t>(v.target_delta));
      }
      offset += v.length;
    }
    s.reached = offset;
  }

 private:
  CapstoneHandle cs_;
  std::unique_ptr<cs_insn, void (*)(cs_insn*)> insn_;
  const ForbiddenRegisters forbidden_;
};

// Rule 4 over decoded stretches that together cover the buffer, in order:
// calls `refuse` with each branch that lands elsewhere.
template <typename Refuse>
void CheckBranchTargets(std::span<const uint8_t> code, const CodeCheckTarget& target,
                        const std::vector<Stretch>& stretches, Refuse refuse) {
  std::vector<uint64_t> helpers(target.helper_entries.begin(), target.helper_entries.end());
  std::sort(helpers.begin(), helpers.end());
  for (const Stretch& s : stretches) {
    for (const auto& [offset, to] : s.branches) {
      bool inside = false;
      if (to >= target.load_address && to - target.load_address < code.size()) {
        const size_t at = to - target.load_address;
        const auto owner = std::upper_bound(stretches.begin(), stretches.end(), at,
                                            [](size_t a, const Stretch& t) { return a < t.begin; });
        inside = owner != stretches.begin() && std::prev(owner)->StartsAt(at);
      }
      if (!inside && !std::binary_search(helpers.begin(), helpers.end(), to)) refuse(offset);
    }
  }
}

std::atomic<uint64_t> checks_split{0};

// True only when the buffer passes: decoded in stretches cut at boundary
// hints, one per worker, which must each meet the next exactly. Then the
// stretches decode to the very instructions decoding from the start does
// (the first starts at 0; each ends where the next begins, so by induction
// every cut is a boundary of the whole decode), each instruction gets the
// verdict it would get there, and rule 4 sees the same starts. False
// decides nothing: the caller checks the whole buffer from its start.
bool PassesInStretches(std::span<const uint8_t> code, const CodeCheckTarget& target,
                       std::span<const uint32_t> hints) {
  const size_t workers = CodeCheckWorkerCount();
  if (workers == 0 || code.size() < 2 * kCodeCheckPiece || hints.empty() ||
      !std::is_sorted(hints.begin(), hints.end())) {
    return false;
  }
  const size_t pieces = std::min(workers + 1, code.size() / kCodeCheckPiece);
  std::vector<size_t> cuts = {0};
  for (size_t j = 1; j < pieces; ++j) {
    const auto it = std::lower_bound(hints.begin(), hints.end(), code.size() * j / pieces);
    if (it == hints.end() || *it >= code.size()) break;
    if (*it > cuts.back()) cuts.push_back(*it);
  }
  if (cuts.size() < 2) return false;
  cuts.push_back(code.size());
  // Everything large is allocated here and freed here, never on a worker:
  // glibc trims a thread's own arena when a large chunk in it is freed, and
  // reads /proc the first time it does, which the vCPU thread's filter
  // (the workers' too, in a micro-VM) refuses. A direct branch takes at
  // least 2 bytes: the branch lists never grow.
  std::vector<Stretch> stretches;
  std::vector<std::unique_ptr<DecodedInstructions>> tables;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    stretches.emplace_back(cuts[i], cuts[i + 1]);
    stretches.back().branches.reserve((cuts[i + 1] - cuts[i]) / 2 + 1);
    tables.push_back(std::make_unique<DecodedInstructions>(code, cuts[i + 1] - cuts[i]));
  }
  std::atomic<bool> unopened{false};
  ForEachOnCodeCheckWorkers(stretches.size(), [&](size_t i) {
    Checker checker;  // small: Capstone's handle and one instruction
    if (!checker.ok()) {
      unopened = true;
      return;
    }
    checker.Decode(code, target, 1, tables[i].get(), stretches[i]);
  });
  if (unopened) return false;
  for (const Stretch& s : stretches) {
    if (s.undecodable || !s.found.empty() || s.reached != s.end) return false;
  }
  bool refused = false;
  CheckBranchTargets(code, target, stretches, [&](uint64_t) { refused = true; });
  if (refused) return false;
  checks_split.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace

std::vector<CodeCheckViolation> FindCodeViolations(std::span<const uint8_t> code, const CodeCheckTarget& target,
                                                   size_t limit, bool reuse_decodes) {
  Checker checker;
  if (!checker.ok()) return {{0, "", "Capstone could not be opened: the code cannot be checked"}};
  std::vector<Stretch> whole;
  whole.emplace_back(0, code.size());
  Stretch& s = whole.front();
  std::optional<DecodedInstructions> seen;
  if (reuse_decodes) seen.emplace(code, code.size());
  checker.Decode(code, target, limit, seen.has_value() ? &*seen : nullptr, s);
  std::vector<CodeCheckViolation> found = std::move(s.found);
  if (s.undecodable) return found;
  CheckBranchTargets(code, target, whole, [&](uint64_t offset) {
    if (found.size() < limit) found.push_back({offset, checker.TextAt(code, target.load_address, offset), kBranchRule});
  });
  std::sort(found.begin(), found.end(),
            [](const CodeCheckViolation& a, const CodeCheckViolation& b) { return a.offset < b.offset; });
  return found;
}

absl::Status CheckCompiledCode(std::span<const uint8_t> code, const CodeCheckTarget& target,
                               std::span<const uint32_t> boundary_hints) {
  if (PassesInStretches(code, target, boundary_hints)) return absl::OkStatus();
  const std::vector<CodeCheckViolation> v = FindCodeViolations(code, target, 1);
  if (v.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat("compiled code refused at offset 0x%x: `%s`: rule \"%s\"",
                                                       v[0].offset, v[0].instruction, v[0].rule));
}

uint64_t CodeChecksSplit() { return checks_split.load(std::memory_order_relaxed); }

std::string ExplainCodeCheckRules() {
  std::string out = "compiled code (checked before it may run):\n";
  for (const Rule& r : kCodeCheckRules) absl::StrAppend(&out, "  ", r.name, ": ", r.text, "\n");
  return out;
}

}  // namespace palisade
