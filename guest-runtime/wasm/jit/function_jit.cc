#include "wasm/jit/function_jit.h"

#include <stddef.h>

#include <initializer_list>
#include <utility>

#include "wasm/compile/ops.h"
#include "wasm/jit/checked_addresses.h"
#include "wasm/jit/dead_slots.h"
#include "wasm/jit/jit_context.h"
#include "wasm/jit/jit_emitter.h"
#include "wasm/jit/slot_cache.h"
#include "wasm/runtime/store.h"
#include "wasm/runtime/trap.h"

namespace palisade::wasm {
namespace {

using namespace x64;  // NOLINT: the assembler's registers read best bare

// JitContext::memory_limit is the memory's size less kCheckSlack
// (docs/COMPILER.md, "Bounds checks"): an address at most that is in bounds
// for any access that ends within kCheckSlack bytes of it, which one
// compare shows.
constexpr int32_t kCheckSlack = 4096;
constexpr Reg kFrame = kJitFrame, kCtx = kJitCtx, kMemBase = kJitMemBase, kBudget = kJitBudget;

Mem Slot(uint32_t s) { return JitSlot(s); }
Mem Ctx(size_t field) { return Mem{kCtx, static_cast<int32_t>(field)}; }

// Which internal instruction a handler address names.
class OpIndex {
 public:
  // Open addressing by handler address, at most a quarter full: every
  // interpreter word the compiler reads (twice per function) is looked up
  // here, and a binary search's unpredictable branches were a tenth of
  // the compile time.
  bool Build(HandlerTable handlers) {
    const size_t count = static_cast<size_t>(Op::kCount);
    size_t n = 64;
    while (n < count * 4) n <<= 1;
    if (!slots_.resize(n)) return false;
    mask_ = n - 1;
    for (uint32_t i = 0; i < count; ++i) {
      const uint64_t h = reinterpret_cast<uintptr_t>(handlers[i]);
      size_t at = Index(h);
      // Two ops may share a handler: the first keeps the slot, as the
      // sorted search found the first too.
      while (slots_[at].handler != 0 && slots_[at].handler != h) at = (at + 1) & mask_;
      if (slots_[at].handler == 0) slots_[at] = {h, static_cast<Op>(i)};
    }
    return true;
  }
  bool Find(uint64_t handler, Op* op) const {
    if (handler == 0) return false;
    for (size_t at = Index(handler);; at = (at + 1) & mask_) {
      if (slots_[at].handler == handler) {
        *op = slots_[at].op;
        return true;
      }
      if (slots_[at].handler == 0) return false;
    }
  }

 private:
  struct Slot {
    uint64_t handler;  // 0: empty
    Op op;
  };
  size_t Index(uint64_t h) const { return static_cast<size_t>((h * 0x9e3779b97f4a7c15ull) >> 40) & mask_; }
  Vec<Slot> slots_;
  size_t mask_ = 0;
};

struct PendingTrap {
  Label label;
  uint8_t kind;       // a TrapKind, or kDynamic: eax holds it
  uint32_t word;      // module code word the trap names
};
constexpr uint8_t kDynamic = kJitDynamicTrap;

// A forward branch's registers to write back before it reaches its
// target, emitted after the function (Translator::EmitStubs).
struct EdgeStub {
  Label label;
  uint32_t target = 0;
  int count = 0;
  uint8_t reg[SlotCache::kRegisters];
  uint32_t slot[SlotCache::kRegisters];
};

// A bounds check's exact form, for addresses the one-compare form did not
// clear: emitted after the function, returning to `back`.
struct CheckStub {
  Label entry, back;
  Reg index = rax;
  int32_t end = 0;
  uint32_t word = 0;
};

struct Cmp {
  Op op;
  Width w;
  Cond cond;
};

class Translator final : public JitEmitter {
 public:
  Translator(const CompiledModule& m, const OpIndex& ops, JitModule* out)
      : JitEmitter(a_), m_(m), ops_(ops), out_(out) {}

  bool Run() {
    if (!func_labels_.resize(m_.functions.size())) return false;
    EmitTrampoline();
    if (!out_->entries.resize(m_.functions.size())) return false;
    out_->first_function = m_.module.imported_funcs;
    for (uint32_t f = 0; f < m_.functions.size(); ++f) {
      out_->entries[f] = static_cast<uint32_t>(a_.size());
      a_.Bind(&func_labels_[f]);
      if (!Function(f)) return !oom_;  // not compiled: the module stays with the interpreter
    }
    out_->exit = static_cast<uint32_t>(a_.size());
    a_.Bind(&exit_);
    EmitExit();
    if (a_.failed() || oom_) return false;
    out_->size = static_cast<uint32_t>(a_.size());
    if (!out_->code.append(a_.data(), a_.size())) return false;
    for (const Relocation& r : a_.relocations()) {
      if (!out_->relocations.push_back(r)) return false;
    }
    return true;
  }

 private:
  uint64_t Word64(uint32_t w) const override {
    return static_cast<uint64_t>(code_[w]) | static_cast<uint64_t>(code_[w + 1]) << 32;
  }

  void Refuse(const char* why, uint32_t f) {
    out_->not_compiled = why;
    out_->not_compiled_function = f;
  }

  // --- the trampoline and the exit -------------------------------------------

  void PushCalleeSaved() {
    for (Reg r : {rbx, rbp, r12, r13, r14, r15}) a_.Push(r);
  }
  void PopCalleeSaved() {
    for (Reg r : {r15, r14, r13, r12, rbp, rbx}) a_.Pop(r);
  }
  void ReloadMemory() {
    Label none, done;
    a_.Mov(k64, rax, Ctx(offsetof(JitContext, memory)));
    a_.Test(k64, rax, rax);
    a_.Jcc(kE, &none);
    a_.Mov(k64, kMemBase, Mem{rax, static_cast<int32_t>(offsetof(MemoryInst, base))});
    a_.Mov(k64, rax, Mem{rax, static_cast<int32_t>(offsetof(MemoryInst, size))});
    a_.OpImm(Alu::kSub, k64, rax, kCheckSlack);
    a_.Mov(k64, Ctx(offsetof(JitContext, memory_limit)), rax);
    a_.Jmp(&done);
    a_.Bind(&none);
    a_.Op(Alu::kXor, k32, kMemBase, kMemBase);
    a_.MovImm32(k64, Ctx(offsetof(JitContext, memory_limit)), -kCheckSlack);
    a_.Bind(&done);
  }

  // enter(ctx = rdi, fp = rsi, function = rdx) -> TrapKind in eax.
  void EmitTrampoline() {
    out_->trampoline = static_cast<uint32_t>(a_.size());
    PushCalleeSaved();
    a_.OpImm(Alu::kSub, k64, rsp, 8);  // 16-byte aligned at the call below
    a_.Mov(k64, kCtx, rdi);
    a_.Mov(k64, Ctx(offsetof(JitContext, saved_rsp)), rsp);
    a_.Mov(k64, kFrame, rsi);
    a_.Mov(k64, kBudget, Ctx(offsetof(JitContext, budget)));
    ReloadMemory();
    a_.CallReg(rdx);
    a_.Mov(k64, Ctx(offsetof(JitContext, budget)), kBudget);
    a_.Op(Alu::kXor, k32, rax, rax);
    a_.OpImm(Alu::kAdd, k64, rsp, 8);
    PopCalleeSaved();
    a_.Ret();
  }

  // A trap from any depth: back to the trampoline's frame, the kind in eax.
  void EmitExit() {
    a_.Mov(k64, rsp, Ctx(offsetof(JitContext, saved_rsp)));
    a_.Mov(k64, Ctx(offsetof(JitContext, budget)), kBudget);
    a_.Mov(k32, rax, Ctx(offsetof(JitContext, trap_kind)));
    a_.OpImm(Alu::kAdd, k64, rsp, 8);
    PopCalleeSaved();
    a_.Ret();
  }

  // --- traps and branches ------------------------------------------------------

  Label* Trap(uint8_t kind, uint32_t word) override {
    if (!traps_.push_back(PendingTrap{Label(), kind, word})) oom_ = true;
    return oom_ ? &scratch_ : &traps_.back().label;
  }

  void EmitTraps(uint32_t f) {
    for (PendingTrap& t : traps_) {
      a_.Bind(&t.label);
      if (t.kind == kDynamic) {
        a_.Mov(k32, Ctx(offsetof(JitContext, trap_kind)), rax);
      } else {
        a_.MovImm32(k32, Ctx(offsetof(JitContext, trap_kind)), t.kind);
      }
      a_.MovImm32(k32, Ctx(offsetof(JitContext, trap_word)), static_cast<int32_t>(t.word));
      a_.MovImm32(k32, Ctx(offsetof(JitContext, trap_func)), static_cast<int32_t>(f));
      a_.Jmp(&exit_);
    }
    traps_.clear();
  }

  // --- slots in registers (slot_cache.h) -----------------------------------------
  //
  // A slot's value stays in a register once loaded or computed, and is
  // written back only when something may look at the frame and still need
  // it (dead_slots.h). The rules that keep every path agreeing on where a
  // value is:
  //  - a forward branch writes back the dirty registers its target may
  //    read (from a stub, EdgeStub), and a label some forward branch
  //    targets starts with no slot in a register;
  //  - a label only reached by falling through or by backward branches
  //    keeps what the registers held there (holding_, with which of them
  //    it takes as dirty or zero-extended), and each backward branch
  //    writes back what the head does not keep and loads what it expects,
  //    so a loop keeps its variables in registers around the back-edge;
  //  - calls, helpers, SIMD, coverage probes and the instance helpers see
  //    every slot in memory and leave no slot in a register; the float
  //    family works through the JitEmitter accessors.

  Reg CacheReg(int r) const { return SlotCache::kRegister[r]; }
  Xmm CacheXmm(int r) const { return SlotCache::kXmmRegister[r - SlotCache::kGprs]; }
  // Register r's value into its slot in the frame: a read of r, so the
  // labels that take r to hold the slot keep it (Used).
  void WriteReg(int r) {
    Used(r);
    WriteReg(r, cache_.slot(r));
  }
  void WriteReg(int r, uint32_t slot) {
    if (SlotCache::IsXmm(r)) {
      a_.SseStore(0xf2, 0x11, JitSlot(slot), CacheXmm(r));  // movsd: the low 64 bits
    } else {
      a_.Mov(k64, JitSlot(slot), CacheReg(r));
    }
  }
  // Register r = its slot's value from the frame.
  void ReadReg(int r, uint32_t slot) {
    if (SlotCache::IsXmm(r)) {
      a_.Sse(0xf2, 0x10, CacheXmm(r), JitSlot(slot));
    } else {
      a_.Mov(k64, CacheReg(r), JitSlot(slot));
    }
  }
  // The slot leaves whatever register held it (it has a new value coming).
  void Release(uint32_t slot) {
    const int r = cache_.Find(slot);
    if (r < 0) return;
    Overwritten(r);
    cache_.Drop(r);
  }

  // What a label's code assumes a register holds is only worth loading on
  // a jump there if that code reads it before the register is overwritten
  // or forgotten. Each register's run of labels since the last read is
  // pending; a read confirms them, an overwrite takes the register out of
  // their holding_ (which jumps emitted later then need not establish).
  void Used(int r) { pending_since_[r] = SlotCache::kNone; }
  void Overwritten(int r) {
    if (pending_since_[r] == SlotCache::kNone) return;
    for (uint32_t w = pending_since_[r]; w <= word_; ++w) holding_[w - begin_].slot[r] = SlotCache::kNone;
    pending_since_[r] = SlotCache::kNone;
  }
  // What the first pass notes for DeadSlots.
  void Note(uint32_t slot, DeadSlots::Kind kind) {
    if (dry_ && !dead_.Note(slot, kind)) oom_ = true;
  }
  void NoteRead(uint32_t slot) { Note(slot, DeadSlots::kRead); }
  // Reads as an f64 against reads as bits, per slot, for F64Slot().
  void NoteReadAs(uint32_t slot, bool f64) {
    if (!dry_ || slot >= float_reads_.size()) return;
    float_reads_[slot] += f64 ? 1 : -1;
  }
  // A value the first pass saw read as an f64 more than as bits: a load or
  // constant into it goes straight to an xmm register.
  bool F64Slot(uint32_t slot) const {
    return caching_ && !dry_ && slot < float_reads_.size() && float_reads_[slot] > 0;
  }
  void NoteWrite(uint32_t slot) { Note(slot, DeadSlots::kWrite); }
  void NoteBarrier() { Note(0, DeadSlots::kBarrier); }
  // Dead in the real pass, from what the first pass noted.
  bool DeadAt(uint32_t word, uint32_t slot) const { return !dry_ && dead_.Dead(word - begin_, slot); }
  // The current instruction's operand `slot` is read here for the last time.
  bool DeadAfterRead(uint32_t slot) const { return !dry_ && dead_.DeadAfterRead(word_ - begin_, slot); }

  void ForgetAll() {
    for (int r = 0; r < SlotCache::kRegisters; ++r) Overwritten(r);
    cache_.Forget();
    checked_.Forget();
  }

  // A register for `slot` (an xmm one for an f64), evicting (and writing
  // back) the least recently used of its kind.
  int Allocate(uint32_t slot, bool dirty, bool xmm = false) {
    const int r = cache_.Victim(xmm);
    if (cache_.dirty(r) && !DeadAt(word_, cache_.slot(r))) {  // dead: nothing will read it
      WriteReg(r);
      Used(r);
    }
    Overwritten(r);
    cache_.Hold(r, slot, dirty);
    return r;
  }
  // dst = the slot's value (w: k32 reads the low half, zero-extended).
  // The register that holds `slot` for a read, or -1 (read the frame).
  // With `allocate`, params and locals are loaded into one first; a
  // temporary is read about once, by the instruction after the one that
  // computed it, so it is not.
  // An f64 in an xmm register read as bits moves to a general one.
  int ForRead(uint32_t slot, bool allocate) {
    NoteRead(slot);
    NoteReadAs(slot, false);
    int r = caching_ ? cache_.Find(slot) : -1;
    if (r >= 0 && SlotCache::IsXmm(r)) {
      const bool dirty = cache_.dirty(r);
      const Xmm x = CacheXmm(r);
      Used(r);
      cache_.Drop(r);
      r = Allocate(slot, dirty);
      a_.MovdFromXmm(k64, CacheReg(r), x);
    }
    if (r < 0 && allocate && caching_ && slot < locals_end_) {
      r = Allocate(slot, false);
      a_.Mov(k64, CacheReg(r), JitSlot(slot));
    }
    if (r >= 0) {
      cache_.Touch(r);
      Used(r);
    }
    return r;
  }
  void Load(Width w, Reg dst, uint32_t slot) {
    const int r = ForRead(slot, true);
    if (r < 0) {
      a_.Mov(w, dst, JitSlot(slot));
    } else {
      a_.Mov(w, dst, CacheReg(r));
    }
  }
  void AluFrom(Alu op, Width w, Reg dst, uint32_t slot) {
    const int r = ForRead(slot, true);
    if (r < 0) {
      a_.Op(op, w, dst, JitSlot(slot));
    } else {
      a_.Op(op, w, dst, CacheReg(r));
    }
  }
  // The slot's new value is in `src` (all 64 bits).
  void Store(uint32_t slot, Reg src) {
    NoteWrite(slot);
    checked_.Wrote(slot);
    if (const int x = cache_.Find(slot); x >= 0 && SlotCache::IsXmm(x)) Release(slot);
    int r = cache_.Find(slot);
    if (!caching_) {
      if (r >= 0) {
        Overwritten(r);
        cache_.Drop(r);
      }
      a_.Mov(k64, JitSlot(slot), src);
      return;
    }
    if (r < 0) {
      r = Allocate(slot, true);
    } else {
      Overwritten(r);
      cache_.Hold(r, slot, true);
    }
    a_.Mov(k64, CacheReg(r), src);
  }
  // The JitEmitter view of the same, for the float family.
  void LoadSlot(Width w, Reg dst, uint32_t slot) override { Load(w, dst, slot); }
  void StoreSlot(uint32_t slot, Reg src) override { Store(slot, src); }
  void LoadSlotXmm(bool f64, Xmm x, uint32_t slot) override {
    if (f64 && caching_) {
      const Xmm in = FloatIn(true, x, slot);
      if (in != x) a_.Sse(0x66, 0x28, x, in);  // movapd
      return;
    }
    const int r = ForRead(slot, true);
    if (r < 0) {
      a_.Sse(f64 ? 0xf2 : 0xf3, 0x10, x, JitSlot(slot));  // movsd / movss
    } else {
      a_.MovdToXmm(f64 ? k64 : k32, x, CacheReg(r));
    }
  }
  void SseSlot(bool f64, uint8_t prefix, uint16_t op, Xmm x, uint32_t slot) override {
    if (f64 && caching_ && (cache_.Find(slot) >= 0 || slot < locals_end_)) {
      a_.Sse(prefix, op, x, FloatIn(true, xmm15, slot));
      return;
    }
    const int r = ForRead(slot, false);
    if (r < 0) {
      a_.Sse(prefix, op, x, JitSlot(slot));
      return;
    }
    a_.MovdToXmm(f64 ? k64 : k32, xmm15, CacheReg(r));
    a_.Sse(prefix, op, x, xmm15);
  }
  void SpillSlots() override {
    NoteBarrier();
    Spill();
  }
  // An f64 goes to an xmm register to stay: from a general one, or, for
  // params and locals, from the frame.
  Xmm FloatIn(bool f64, Xmm scratch, uint32_t slot) override {
    if (!f64 || !caching_) {  // LoadSlotXmm notes the read
      LoadSlotXmm(f64, scratch, slot);
      return scratch;
    }
    NoteRead(slot);
    NoteReadAs(slot, true);
    int c = cache_.Find(slot);
    if (c >= 0 && !SlotCache::IsXmm(c)) {
      const bool dirty = cache_.dirty(c);
      const Reg g = CacheReg(c);
      Used(c);
      cache_.Drop(c);
      c = Allocate(slot, dirty, /*xmm=*/true);
      a_.MovdToXmm(k64, CacheXmm(c), g);
    } else if (c < 0 && slot < locals_end_) {
      c = Allocate(slot, false, /*xmm=*/true);
      a_.Sse(0xf2, 0x10, CacheXmm(c), JitSlot(slot));
    }
    if (c < 0) {
      a_.Sse(0xf2, 0x10, scratch, JitSlot(slot));
      return scratch;
    }
    cache_.Touch(c);
    Used(c);
    return CacheXmm(c);
  }
  // An f64 result is computed in d's own xmm register, which starts as a
  // copy of operand a; an f32 one (kept in general registers, zero-extended
  // as the interpreter keeps it) in xmm0, and so is one whose d is read
  // again after the register is written (`d_read_later`).
  Xmm BeginFloat(bool f64, uint32_t d, uint32_t a, bool d_read_later) override {
    if (!f64 || !caching_ || (d_read_later && d != a)) {
      LoadSlotXmm(f64, xmm0, a);
      return xmm0;
    }
    if (const int c = cache_.Find(a); c >= 0 && SlotCache::IsXmm(c) && (d == a || DeadAfterRead(a))) {
      NoteRead(a);
      NoteWrite(d);
      if (d != a) Release(d);
      Used(c);
      Overwritten(c);
      checked_.Wrote(d);
      cache_.Hold(c, d, true);
      return CacheXmm(c);
    }
    const Xmm in = FloatIn(true, xmm0, a);
    const Xmm out = DefineXmm(d);  // a's register was just used: not the one evicted
    if (out != in) a_.Sse(0x66, 0x28, out, in);
    return out;
  }
  void EndFloat(bool f64, uint32_t d, Xmm x) override {
    if (const int c = cache_.Find(d); c >= 0 && SlotCache::IsXmm(c) && CacheXmm(c) == x) return;
    if (f64 && caching_) {
      const Xmm out = DefineXmm(d);
      a_.Sse(0x66, 0x28, out, x);
      return;
    }
    a_.MovdFromXmm(f64 ? k64 : k32, rax, x);
    Store(d, rax);
  }
  Xmm FloatResult(uint32_t d) override { return caching_ ? DefineXmm(d) : xmm0; }
  bool LastReadInXmm(uint32_t slot) const override {
    const int c = caching_ ? cache_.Find(slot) : -1;
    return c >= 0 && SlotCache::IsXmm(c) && DeadAfterRead(slot);
  }
  // The xmm register slot d's new f64 is to be written to (marked so).
  Xmm DefineXmm(uint32_t d) {
    NoteWrite(d);
    checked_.Wrote(d);
    int r = cache_.Find(d);
    if (r >= 0 && !SlotCache::IsXmm(r)) {
      Release(d);
      r = -1;
    }
    if (r < 0) {
      r = Allocate(d, true, /*xmm=*/true);
    } else {
      Overwritten(r);
      cache_.Hold(r, d, true);
    }
    return CacheXmm(r);
  }

  // Writes dirty registers back; with `keep_state`, emits the stores only
  // (a path that may not be taken), leaving them dirty for the other path.
  // A jump to code word `target` skips the slots dead there (DeadSlots).
  // A back-edge also skips registers that hold what the loop head
  // (`head`) takes as dirty.
  void WriteBack(bool keep_state = false, uint32_t target = SlotCache::kNone,
                 const SlotCache::Holding* head = nullptr) {
    for (int r = 0; r < SlotCache::kRegisters; ++r) {
      if (!cache_.dirty(r)) continue;
      if (target != SlotCache::kNone && DeadAt(target, cache_.slot(r))) continue;
      if (head != nullptr && head->slot[r] == cache_.slot(r) && (head->dirty & (1u << r)) != 0) continue;
      WriteReg(r);
      Used(r);
      if (!keep_state) cache_.MarkClean(r);
    }
  }
  // A return: only the results, in slots [0, result_slots), are read after
  // it (by the caller, or the entry stub), so only they are written back.
  void Return(uint32_t result_slots) {
    Note(result_slots, DeadSlots::kReturn);
    for (int r = 0; r < SlotCache::kRegisters; ++r) {
      if (cache_.dirty(r) && cache_.slot(r) < result_slots) WriteReg(r);
    }
    ForgetAll();
    a_.Ret();
  }
  // Every slot back in memory and none in a register.
  void Spill() {
    WriteBack();
    ForgetAll();
  }
  // Loads what `want` says the registers hold (the frame is up to date),
  // skipping registers that already hold it unless `all`.
  void Establish(const SlotCache::Holding& want, bool all) {
    for (int r = 0; r < SlotCache::kRegisters; ++r) {
      if (want.slot[r] == SlotCache::kNone || (!all && cache_.slot(r) == want.slot[r])) continue;
      ReadReg(r, want.slot[r]);
    }
  }

  // What the loop head takes as zero-extended (an i32 computed by a 32-bit
  // instruction when the loop was entered) is made so on a back-edge, by
  // a 32-bit move of the register to itself: the slot holds an i32 there on
  // every path, and that move leaves its value as Wasm sees it. Unless
  // `all`, registers already known zero-extended are left alone.
  void ZeroExtendFor(const SlotCache::Holding& want, bool all) {
    for (int r = 0; r < SlotCache::kGprs; ++r) {
      if ((want.zext & (1u << r)) == 0 || want.slot[r] == SlotCache::kNone) continue;
      if (!all && cache_.slot(r) == want.slot[r] && cache_.zero_extended(r)) continue;
      a_.Mov(k32, CacheReg(r), CacheReg(r));
    }
  }

  // A taken branch to code word `target`: a backward one pays a unit of the
  // budget first, as the interpreter's does. Either way the registers end
  // as the target expects them; the code after an unconditional one
  // (`conditional` false) starts with no slot in a register.
  void JumpTo(uint32_t target, bool backward, bool conditional = false) {
    Note(target - begin_, conditional ? DeadSlots::kBranch : DeadSlots::kJump);
    Label* to = &labels_[target - begin_];
    if (!backward) {
      WriteBack(/*keep_state=*/conditional, target);
      forward_target_[target - begin_] = true;
      a_.Jmp(to);
      if (!conditional) ForgetAll();
      return;
    }
    backward_target_[target - begin_] = true;
    if (word_ - begin_ > loop_end_[target - begin_]) loop_end_[target - begin_] = word_ - begin_;
    const SlotCache::Holding& want = holding_[target - begin_];
    WriteBack(/*keep_state=*/conditional, target, &want);
    Establish(want, false);
    ZeroExtendFor(want, false);
    a_.OpImm(Alu::kSub, k64, kBudget, 1);
    a_.Jcc(kNS, to);
    // The refill calls out: what the head takes as dirty goes to the frame.
    for (int r = 0; r < SlotCache::kRegisters; ++r) {
      if (want.slot[r] != SlotCache::kNone && (want.dirty & (1u << r)) != 0) WriteReg(r, want.slot[r]);
    }
    Refill(target);
    Establish(want, true);  // the helper took the caller-saved registers
    ZeroExtendFor(want, true);
    a_.Jmp(to);
    if (!conditional) ForgetAll();
  }

  // Calls the refill helper; a trap it reports names code word `word`.
  void Refill(uint32_t word) {
    a_.Mov(k64, rdi, kCtx);
    CallHelper(reinterpret_cast<const void*>(&PalisadeJitRefill));
    a_.Mov(k64, kBudget, Ctx(offsetof(JitContext, budget)));
    a_.Test(k32, rax, rax);
    a_.Jcc(kNE, Trap(kDynamic, word));
  }

  // Branch to word + off when `cond` holds (after a compare or test; the
  // write-backs between are moves, which keep the flags).
  //
  // A forward one that must write registers back first jumps to a stub
  // (EdgeStub) that does, out of the path that falls through.
  void BranchIf(Cond cond, uint32_t word, int32_t off) {
    const uint32_t target = static_cast<uint32_t>(static_cast<int64_t>(word) + off);
    if (off > 0) {
      Note(target - begin_, DeadSlots::kBranch);
      forward_target_[target - begin_] = true;
      EdgeStub stub;
      stub.target = target;
      for (int r = 0; r < SlotCache::kRegisters; ++r) {
        if (!cache_.dirty(r) || DeadAt(target, cache_.slot(r))) continue;
        stub.reg[stub.count] = static_cast<uint8_t>(r);
        stub.slot[stub.count++] = cache_.slot(r);
        Used(r);
      }
      if (stub.count == 0) {
        a_.Jcc(cond, &labels_[target - begin_]);
        return;
      }
      if (!stubs_.push_back(stub)) {
        oom_ = true;
        return;
      }
      a_.Jcc(cond, &stubs_.back().label);
      return;
    }
    Label skip;
    a_.Jcc(Negate(cond), &skip);
    JumpTo(target, true, /*conditional=*/true);
    a_.Bind(&skip);
  }

  // Slot a compared with slot b, or with an immediate: in a's register
  // when it has one, else through rax.
  Reg CompareOperand(Width w, uint32_t a) {
    if (const int r = ForRead(a, true); r >= 0) return CacheReg(r);
    Load(w, rax, a);
    return rax;
  }
  void CompareSlots(Width w, uint32_t a, uint32_t b) {
    const Reg x = CompareOperand(w, a);
    AluFrom(Alu::kCmp, w, x, b);
  }
  void CompareImm(Width w, uint32_t a, uint64_t imm) {
    const Reg x = CompareOperand(w, a);
    AluImm(Alu::kCmp, w, imm, x);
  }
  // op r, imm -- through rcx when a 64-bit immediate does not sign-extend from 32.
  void AluImm(Alu op, Width w, uint64_t imm, Reg r = rax) {
    const int64_t s = w == k32 ? static_cast<int32_t>(static_cast<uint32_t>(imm)) : static_cast<int64_t>(imm);
    if (s >= INT32_MIN && s <= INT32_MAX) {
      a_.OpImm(op, w, r, static_cast<int32_t>(s));
    } else {
      a_.MovImm(rcx, imm);
      a_.Op(op, w, r, rcx);
    }
  }
  // The register an instruction computes slot d's new value in, already
  // holding slot a's value (w wide): d's own register, so the result needs
  // no round trip through rax. rax when the cache is off, or when d is the
  // other operand `b` (writing d first would lose it).
  Reg ResultRegister(uint32_t d, uint32_t a, Width w, bool d_is_b) {
    if (!caching_ || d_is_b) {
      Load(w, rax, a);
      return rax;
    }
    const int ra = ForRead(a, true);
    if (ra >= 0 && (d == a || DeadAfterRead(a))) {  // a's register becomes d's
      if (d != a) Release(d);
      NoteWrite(d);
      checked_.Wrote(d);
      cache_.Hold(ra, d, true);
      return CacheReg(ra);
    }
    const Reg t = DefRegister(d);  // a's register was just used: not the one evicted
    if (ra >= 0) {
      a_.Mov(w, t, CacheReg(ra));
    } else {
      a_.Mov(w, t, JitSlot(a));
    }
    return t;
  }
  // The register slot d's new value is to be written to (marked so), or
  // rax when the cache is off: then the caller Store()s it.
  Reg DefRegister(uint32_t d) {
    NoteWrite(d);
    checked_.Wrote(d);
    if (const int x = cache_.Find(d); x >= 0 && SlotCache::IsXmm(x)) Release(d);
    if (!caching_) return rax;
    int rd = cache_.Find(d);
    if (rd < 0) {
      rd = Allocate(d, true);
    } else {
      Overwritten(rd);
      cache_.Hold(rd, d, true);
    }
    return CacheReg(rd);
  }
  // dst = src, staying in an xmm register if src is in one.
  void Copy(uint32_t dst, uint32_t src) {
    if (const int x = caching_ ? cache_.Find(src) : -1; x >= 0 && SlotCache::IsXmm(x) && dst != src) {
      NoteRead(src);
      cache_.Touch(x);
      Used(x);
      const Xmm from = CacheXmm(x);
      a_.Sse(0x66, 0x28, DefineXmm(dst), from);
      return;
    }
    if (const int r = dst != src ? ForRead(src, true) : -1; r >= 0) {  // register to register
      const bool zext = cache_.zero_extended(r);
      const Reg from = CacheReg(r), to = DefRegister(dst);  // r was just used: not the one evicted
      if (to == rax) {
        Store(dst, from);
        return;
      }
      a_.Mov(k64, to, from);
      if (zext) cache_.SetZeroExtended(cache_.Find(dst));
      return;
    }
    Load(k64, rax, src);
    Store(dst, rax);
  }
  // test slot, slot (w wide) in its register when it has one.
  void TestSlot(Width w, uint32_t slot) {
    if (const int r = ForRead(slot, true); r >= 0) {
      a_.Test(w, CacheReg(r), CacheReg(r));
      return;
    }
    Load(w, rax, slot);
    a_.Test(w, rax, rax);
  }
  // Slot d's new value is in t, the register DefRegister gave (or
  // ResultRegister): stored when that is rax (slots are not cached), else
  // known zero-extended when a 32-bit instruction wrote it.
  void Defined(uint32_t d, Reg t, bool by_32_bit_write) {
    if (t == rax) {
      Store(d, rax);
    } else if (by_32_bit_write) {
      cache_.SetZeroExtended(cache_.Find(d));
    }
  }
  // dst = 1 if the flags say `c`, else 0, in dst's register (taking one
  // writes at most a move back, which keeps the flags).
  void SetFlagTo(Cond c, uint32_t dst) {
    const Reg t = DefRegister(dst);
    a_.Setcc(c, t);
    a_.Movzx8(t, t);
    Defined(dst, t, true);
  }

  // A load or store of `size` bytes at the slot's address plus `offset`:
  // the address zero-extended into rax, the offset folded into the
  // operand, and the bounds check skipped when an earlier one on this path
  // already covered it (checked_).
  // An address in a register known to be zero-extended (a 32-bit
  // instruction of ours wrote it) indexes the access itself.
  Mem Address(uint32_t addr_slot, uint32_t offset, int size, uint32_t word) override {
    const uint64_t end = uint64_t{offset} + static_cast<uint64_t>(size);
    Reg x = rax;
    if (const int r = ForRead(addr_slot, true); r >= 0 && cache_.zero_extended(r) && end <= 0x7fffffffu) {
      x = CacheReg(r);
    } else {
      Load(k32, rax, addr_slot);
      if (end > 0x7fffffffu) return AddressInRax(offset, size, word);  // beyond any disp32: added up in rax
    }
    if (!checked_.Covers(addr_slot, static_cast<uint32_t>(end))) {
      Check(x, static_cast<int32_t>(end), word);
      if (caching_) checked_.Add(addr_slot, static_cast<uint32_t>(end));
    }
    return Mem{kMemBase, static_cast<int32_t>(offset), x};
  }
  // Traps unless [x, x + end) is inside memory; x is zero-extended. An end
  // within the slack takes one compare, and the exact check, out of line
  // (CheckStub), only for addresses near the end of memory.
  void Check(Reg x, int32_t end, uint32_t word) {
    if (end > kCheckSlack) {
      ExactCheck(x, end, word);
      return;
    }
    CheckStub stub;
    stub.index = x;
    stub.end = end;
    stub.word = word;
    if (!checks_.push_back(stub)) {
      oom_ = true;
      return;
    }
    a_.Op(Alu::kCmp, k64, x, Ctx(offsetof(JitContext, memory_limit)));
    a_.Jcc(kG, &checks_.back().entry);
    a_.Bind(&checks_.back().back);
  }
  // x + end > size is x + end - slack > the limit; signed, since that side
  // may be below zero and neither comes near 2^63.
  void ExactCheck(Reg x, int32_t end, uint32_t word) {
    a_.Lea(k64, rcx, Mem{x, end - kCheckSlack});
    a_.Op(Alu::kCmp, k64, rcx, Ctx(offsetof(JitContext, memory_limit)));
    a_.Jcc(kG, Trap(static_cast<uint8_t>(TrapKind::kMemoryOutOfBounds), word));
  }
  // The same from a 32-bit base already in eax (zero-extended in rax); the
  // effective address ends in rax.
  Mem AddressInRax(uint32_t offset, int size, uint32_t word) {
    if (uint64_t{offset} + static_cast<uint64_t>(size) <= uint64_t{kCheckSlack}) {
      Check(rax, static_cast<int32_t>(offset) + size, word);
      return Mem{kMemBase, static_cast<int32_t>(offset), rax};
    }
    if (offset != 0) {
      if (offset <= 0x7fffffffu) {
        a_.OpImm(Alu::kAdd, k64, rax, static_cast<int32_t>(offset));
      } else {
        a_.MovImm(rcx, offset);
        a_.Op(Alu::kAdd, k64, rax, rcx);
      }
    }
    ExactCheck(rax, size, word);
    return Mem{kMemBase, 0, rax};
  }
  // An access at a constant address: within the memory's declared minimum
  // (it never shrinks below) it needs no check at all.
  Mem AddressAt(uint32_t address, int size, uint32_t word) {
    if (uint64_t{address} + static_cast<uint64_t>(size) <= MinMemoryBytes() && address <= 0x7fffffffu) {
      return Mem{kMemBase, static_cast<int32_t>(address)};
    }
    a_.MovImm(rax, address);
    return AddressInRax(0, size, word);
  }
  uint64_t MinMemoryBytes() const {
    return m_.module.memories.size() == 0 ? 0 : m_.module.memories[0].limits.min * 65536;
  }

  // --- one function -------------------------------------------------------------

  // Two passes over each function: the first, into a scratch buffer, finds
  // the loop heads (targets of backward branches) and where each loop ends,
  // and notes what every instruction reads and writes (dead_slots.h) and
  // which slots are read more as f64s than as bits; the second emits the
  // code, using all of that.
  bool Function(uint32_t f) {
    const CompiledFunction& fn = m_.functions[f];
    code_ = m_.code.data();
    begin_ = fn.code_begin;
    const size_t words = fn.code_end - fn.code_begin + 1;
    backward_target_.clear();
    if (!backward_target_.resize(words)) {
      oom_ = true;
      return false;
    }
    for (size_t i = 0; i < words; ++i) backward_target_[i] = false;
    float_reads_.clear();
    loop_end_.clear();
    if (!dead_.Reset(words) || !float_reads_.resize(fn.frame_slots) || !loop_end_.resize(words)) {
      oom_ = true;
      return false;
    }
    Assembler scratch;
    std::swap(a_, scratch);
    dry_ = true;
    dry_call_ = Label();
    const bool translated = Pass(f);
    dry_ = false;
    std::swap(a_, scratch);
    traps_.clear();
    if (!translated) return false;
    if (!Pass(f)) return false;
    a_.Bind(&labels_[fn.code_end - begin_]);
    EmitTraps(f);
    return !oom_;
  }

  bool Pass(uint32_t f) {
    const CompiledFunction& fn = m_.functions[f];
    labels_.clear();
    forward_target_.clear();
    holding_.clear();
    const size_t words = fn.code_end - fn.code_begin + 1;
    // holding_[w] is written when the pass reaches w, before any jump can
    // read it (only backward jumps do, from later words).
    if (!labels_.resize(words) || !forward_target_.resize(words) || !holding_.resize_for_overwrite(words)) {
      oom_ = true;
      return false;
    }
    stubs_.clear();
    checks_.clear();
    cache_.Forget();
    for (int r = 0; r < SlotCache::kRegisters; ++r) pending_since_[r] = SlotCache::kNone;
    locals_end_ = fn.param_slots + fn.local_slots;
    // Declared locals start at zero.
    if (fn.local_slots != 0) {
      a_.Op(Alu::kXor, k32, rax, rax);
      for (uint32_t i = 0; i < fn.local_slots; ++i) a_.Mov(k64, JitSlot(fn.param_slots + i), rax);
    }
    for (uint32_t w = fn.code_begin; w < fn.code_end;) {
      word_ = w;
      if (forward_target_[w - begin_]) {
        // The jumps here left nothing in registers.
        WriteBack(false, w);
        ForgetAll();
      } else if (backward_target_[w - begin_]) {
        // A loop head: the back-edges write back too. What is dead here
        // leaves the registers unwritten.
        // What the loop writes stays dirty, here and around the loop, if
        // the loop names few enough slots to keep it in its register
        // (evicting a dirty one costs a store); the rest is written back
        // here once.
        const bool roomy =
            !dry_ && dead_.SlotsBetween(w - begin_, loop_end_[w - begin_], SlotCache::kGprs + 1,
                                        [&](uint32_t slot) { return !F64Slot(slot); }) <= SlotCache::kGprs;
        for (int r = 0; r < SlotCache::kRegisters; ++r) {
          if (cache_.slot(r) == SlotCache::kNone) continue;
          if (DeadAt(w, cache_.slot(r))) {
            Overwritten(r);
            cache_.Drop(r);
          } else if (roomy && dead_.WrittenBetween(w - begin_, loop_end_[w - begin_], cache_.slot(r))) {
            cache_.MarkDirty(r);
          } else if (cache_.dirty(r)) {
            WriteReg(r);
            cache_.MarkClean(r);
          }
        }
        checked_.Forget();
      }
      if (dry_) dead_.Begin(w - begin_);
      // Only a loop head's is ever read; the dry pass finds which words
      // those are, so it records every word's.
      if (dry_ || backward_target_[w - begin_]) holding_[w - begin_] = cache_.holding();
      for (int r = 0; r < SlotCache::kRegisters; ++r) {
        if (cache_.slot(r) != SlotCache::kNone && pending_since_[r] == SlotCache::kNone) pending_since_[r] = w;
      }
      a_.Bind(&labels_[w - begin_]);
      Op op;
      if (!ops_.Find(Word64(w), &op)) {
        Refuse("an internal instruction the compiler does not know", f);
        return false;
      }
      const uint32_t len = Instruction(op, w, f);
      if (len == 0) {
        Refuse("an instruction the compiler tier does not translate yet", f);
        out_->not_compiled_op = static_cast<uint32_t>(op);
        return false;
      }
      w += len;
    }
    Spill();
    EmitStubs();
    return !oom_;
  }

  void EmitStubs() {
    for (EdgeStub& stub : stubs_) {
      a_.Bind(&stub.label);
      for (int i = 0; i < stub.count; ++i) WriteReg(stub.reg[i], stub.slot[i]);
      a_.Jmp(&labels_[stub.target - begin_]);
    }
    stubs_.clear();
    for (CheckStub& check : checks_) {
      a_.Bind(&check.entry);
      ExactCheck(check.index, check.end, check.word);
      a_.Jmp(&check.back);
    }
    checks_.clear();
  }


  // Emits the instruction at code word w; its length in words, 0 if the
  // tier cannot translate it yet.
  uint32_t Instruction(Op op, uint32_t w, uint32_t f) {
    const uint32_t* ip = code_ + w;
    switch (op) {
      case Op::kUnreachable:
        Note(0, DeadSlots::kReturn);  // a trap: nothing is read after it
        a_.Jmp(Trap(static_cast<uint8_t>(TrapKind::kUnreachable), w));
        ForgetAll();
        return 2;
      case Op::kJmp: {
        const int32_t off = static_cast<int32_t>(ip[2]);
        JumpTo(static_cast<uint32_t>(static_cast<int64_t>(w) + off), off <= 0);
        return 3;
      }
      case Op::kBrIf:
      case Op::kBrUnless:
        TestSlot(k32, ip[2]);
        BranchIf(op == Op::kBrIf ? kNE : kE, w, static_cast<int32_t>(ip[3]));
        return 4;
      case Op::kBrTable: {
        const uint32_t n = ip[3];
        Load(k32, rax, ip[2]);
        for (uint32_t i = 0; i < n; ++i) {
          Label next;
          a_.OpImm(Alu::kCmp, k32, rax, static_cast<int32_t>(i));
          a_.Jcc(kNE, &next);
          const int32_t off = static_cast<int32_t>(ip[4 + i]);
          JumpTo(static_cast<uint32_t>(static_cast<int64_t>(w) + off), off <= 0, /*conditional=*/true);
          a_.Bind(&next);
        }
        const int32_t off = static_cast<int32_t>(ip[4 + n]);
        JumpTo(static_cast<uint32_t>(static_cast<int64_t>(w) + off), off <= 0);
        return 5 + n;
      }
      case Op::kReturn1:
        if (ip[2] != 0) Copy(0, ip[2]);
        Return(1);
        return 3;
      case Op::kReturn:
        Return(2 * m_.functions[f].result_count);  // a v128 result takes two slots
        return 2;
      case Op::kCall: {
        const uint32_t callee = ip[2], base = ip[3];
        const CompiledFunction& cf = m_.functions[callee];
        // The callee reads its arguments and leaves everything from its
        // frame up changed, but nothing below.
        for (uint32_t i = 0; i < cf.param_slots; ++i) NoteRead(base + i);
        Note(base, DeadSlots::kClobberFrom);
        Spill();  // the callee's frame overlaps ours, and it uses the same registers
        // The interpreter's two limits, checked as it does, before the frame.
        a_.Lea(k64, rax, Slot(base + cf.frame_slots));
        a_.Op(Alu::kCmp, k64, rax, Ctx(offsetof(JitContext, stack_end)));
        a_.Jcc(kA, Trap(static_cast<uint8_t>(TrapKind::kCallStackExhausted), w));
        CallWithFrame(w, base, [&] {
          a_.CallLabel(dry_ ? &dry_call_ : &func_labels_[callee]);  // the scratch pass links nothing
        });
        return 4;
      }
      case Op::kLoopCheck: {
        Label go;
        a_.OpImm(Alu::kSub, k64, kBudget, 1);
        a_.Jcc(kNS, &go);
        // The refill calls out: registers back to the frame, then in again.
        WriteBack(/*keep_state=*/true);
        Refill(w);
        Establish(cache_.holding(), true);
        a_.Bind(&go);
        return 2;
      }
      case Op::kCopy:
        Copy(ip[2], ip[3]);
        return 4;
      case Op::kCopy2:
        // In order, as the interpreter does: the second copy may read what
        // the first one wrote.
        Copy(ip[2], ip[3]);
        Copy(ip[4], ip[5]);
        return 6;
      case Op::kConst32: {
        const Reg t = DefRegister(ip[2]);
        a_.MovImm(t, ip[3]);  // mov r32, imm32: zero-extended
        Defined(ip[2], t, true);
        return 4;
      }
      case Op::kConst64:
        if (F64Slot(ip[2])) {
          a_.MovImm(rax, Word64(w + 3));
          a_.MovdToXmm(k64, DefineXmm(ip[2]), rax);
          return 5;
        }
        a_.MovImm(DefRegister(ip[2]), Word64(w + 3));
        if (!caching_) Store(ip[2], rax);
        return 5;
      case Op::kSelect:
        Load(k64, rax, ip[3]);
        Load(k64, rdx, ip[4]);
        Load(k32, rcx, ip[5]);
        a_.Test(k32, rcx, rcx);
        a_.Cmov(kE, k64, rax, rdx);
        Store(ip[2], rax);
        return 6;
      case Op::kGlobalGet:
        a_.Mov(k64, rax, Ctx(offsetof(JitContext, globals)));
        a_.Mov(k64, rax, Mem{rax, static_cast<int32_t>(ip[3] * 8)});
        a_.Mov(k64, rax, Mem{rax, static_cast<int32_t>(offsetof(GlobalInst, value))});
        Store(ip[2], rax);
        return 4;
      case Op::kMemorySize:
        a_.Mov(k64, rax, Ctx(offsetof(JitContext, memory_limit)));
        a_.OpImm(Alu::kAdd, k64, rax, kCheckSlack);
        a_.ShiftImm(Shift::kShr, k64, rax, 16);
        Store(ip[2], rax);
        return 3;
      case Op::kRefIsNull:
        Load(k64, rax, ip[3]);
        a_.Test(k64, rax, rax);
        SetFlagTo(kE, ip[2]);
        return 4;
      case Op::kGlobalSet:
        Load(k64, rcx, ip[3]);
        a_.Mov(k64, rax, Ctx(offsetof(JitContext, globals)));
        a_.Mov(k64, rax, Mem{rax, static_cast<int32_t>(ip[2] * 8)});
        a_.Mov(k64, Mem{rax, static_cast<int32_t>(offsetof(GlobalInst, value))}, rcx);
        return 4;
      default:
        break;
    }
    if (uint32_t n = Memory(op, w, ip); n != 0) return n;
    if (uint32_t n = Integer(op, w, ip); n != 0) return n;
    // Floats go through the slot accessors; one that calls a helper has
    // spilled first, and the call took the registers.
    const size_t relocations = a_.relocations().size();
    if (uint32_t n = EmitFloat(*this, op, w, ip); n != 0) {
      if (a_.relocations().size() != relocations) ForgetAll();
      return n;
    }
    // The families that address the frame themselves, and calls out: they
    // read and write every slot in memory.
    NoteBarrier();
    Spill();
    caching_ = false;
    uint32_t n = InstanceHelper(op, w);
    if (n == 0) n = EmitSimd(*this, op, w, ip);
    if (n == 0) n = EmitCoverage(*this, op, w, ip);
    caching_ = true;
    ForgetAll();
    (void)f;
    return n;
  }

  // Instructions on the instance (tables, bulk memory, segments,
  // memory.grow) and calls through a FuncInst: a helper given the context,
  // the frame and the instruction itself (jit_runtime.cc).
  uint32_t InstanceHelper(Op op, uint32_t w) {
    struct Form {
      Op op;
      uint32_t words;
      bool may_move_memory;
    };
    static const Form kForms[] = {
        {Op::kTableGet, 5, false}, {Op::kTableSet, 5, false}, {Op::kTableSize, 4, false},
        {Op::kTableGrow, 6, false}, {Op::kTableFill, 6, false}, {Op::kTableCopy, 7, false},
        {Op::kTableInit, 7, false}, {Op::kElemDrop, 3, false}, {Op::kMemoryFill, 5, false},
        {Op::kMemoryCopy, 5, false}, {Op::kMemoryInit, 6, false}, {Op::kDataDrop, 3, false},
        {Op::kMemoryGrow, 4, true}, {Op::kRefFunc, 4, false}, {Op::kCallImport, 4, true},
        {Op::kCallIndirect, 6, true}};
    const Form* form = nullptr;
    for (const Form& f : kForms) {
      if (f.op == op) form = &f;
    }
    if (form == nullptr) return 0;
    const JitHelper* helper = FindJitHelper(op, JitHelperForm::kInstance);
    if (helper == nullptr) return 0;
    const void* address = helper->address;
    if (op == Op::kCallIndirect) {
      Label slow, done;
      CallIndirectFast(w, &slow);
      a_.Jmp(&done);
      a_.Bind(&slow);
      SlowHelper(address, w, form->may_move_memory);
      a_.Bind(&done);
      return form->words;
    }
    SlowHelper(address, w, form->may_move_memory);
    return form->words;
  }

  // call_indirect to a compiled function of this module: resolved and
  // checked by a helper, then called directly like any call (16 bytes of
  // native stack), so recursion through the table goes as deep as direct
  // recursion. Anything else jumps to `slow`.
  void CallIndirectFast(uint32_t w, Label* slow) {
    const uint32_t* ip = code_ + w;
    const void* resolve = FindJitHelper(Op::kCallIndirect, JitHelperForm::kResolve)->address;
    Label fast;
    a_.Mov(k64, rdi, kCtx);
    a_.Mov(k64, rsi, kFrame);
    a_.MovImm(rdx, reinterpret_cast<uintptr_t>(ip));
    CallHelper(resolve);
    a_.MovImm(rcx, kJitFirstAddress);
    a_.Op(Alu::kCmp, k64, rax, rcx);
    a_.Jcc(kAE, &fast);
    a_.OpImm(Alu::kCmp, k32, rax, static_cast<int32_t>(kJitSlowCall));
    a_.Jcc(kE, slow);
    a_.Jmp(Trap(kDynamic, w));  // eax: the trap kind
    a_.Bind(&fast);
    CallWithFrame(w, ip[5], [&] { a_.CallReg(rax); });
  }

  // A call into compiled code with the callee's frame at slot `base`, after
  // the interpreter's depth limit: taking a frame from `depth_left` borrows
  // exactly when none is left (the count is dead once the run traps).
  // `call` emits the call instruction itself.
  template <typename EmitCall>
  void CallWithFrame(uint32_t w, uint32_t base, EmitCall call) {
    a_.OpImm(Alu::kSub, k32, Ctx(offsetof(JitContext, depth_left)), 1);
    a_.Jcc(kB, Trap(static_cast<uint8_t>(TrapKind::kCallStackExhausted), w));
    a_.Push(kFrame);
    a_.Lea(k64, kFrame, Slot(base));
    call();
    a_.Pop(kFrame);
    a_.OpImm(Alu::kAdd, k32, Ctx(offsetof(JitContext, depth_left)), 1);
  }

  // A helper given the context, the frame and the instruction; its nonzero
  // answer is the trap.
  void SlowHelper(const void* address, uint32_t w, bool may_move_memory) {
    // The budget is in r12; a call out may spend fuel, so the helper sees it.
    a_.Mov(k64, Ctx(offsetof(JitContext, budget)), kBudget);
    a_.Mov(k64, rdi, kCtx);
    a_.Mov(k64, rsi, kFrame);
    a_.MovImm(rdx, reinterpret_cast<uintptr_t>(code_ + w));
    CallHelper(address);
    a_.Mov(k64, kBudget, Ctx(offsetof(JitContext, budget)));
    a_.Test(k32, rax, rax);
    a_.Jcc(kNE, Trap(kDynamic, w));
    if (may_move_memory) ReloadMemory();
  }

  // slot = the 4 or 8 (`wide`) bytes at `at`: into an xmm register when
  // the slot is an f64's (F64Slot).
  void LoadInto(uint32_t slot, bool wide, const Mem& at) {
    if (wide && F64Slot(slot)) {
      a_.Sse(0xf2, 0x10, DefineXmm(slot), at);
      return;
    }
    const Reg t = DefRegister(slot);  // what `at` indexes by is no cache register it could take
    a_.Mov(wide ? k64 : k32, t, at);
    Defined(slot, t, !wide);
  }

  uint32_t Memory(Op op, uint32_t w, const uint32_t* ip) {
      switch (op) {
      case Op::kI32Load: case Op::kI64Load: case Op::kI32Load8S: case Op::kI32Load8U:
      case Op::kI32Load16S: case Op::kI32Load16U: case Op::kI64Load8S: case Op::kI64Load8U:
      case Op::kI64Load16S: case Op::kI64Load16U: case Op::kI64Load32S: case Op::kI64Load32U: {
        const int size = op == Op::kI64Load ? 8
                         : (op == Op::kI32Load || op == Op::kI64Load32S || op == Op::kI64Load32U) ? 4
                         : (op == Op::kI32Load16S || op == Op::kI32Load16U || op == Op::kI64Load16S ||
                            op == Op::kI64Load16U) ? 2 : 1;
        const Mem at = Address(ip[3], ip[4], size, w);
        if (op == Op::kI64Load && F64Slot(ip[2])) {
          a_.Sse(0xf2, 0x10, DefineXmm(ip[2]), at);  // an f64.load: movsd
          return 5;
        }
        const Reg t = DefRegister(ip[2]);  // after the address: rax is its index
        switch (op) {
          case Op::kI32Load: case Op::kI64Load32U: a_.Mov(k32, t, at); break;
          case Op::kI64Load: a_.Mov(k64, t, at); break;
          case Op::kI32Load8S: a_.Movsx8(k32, t, at); break;
          case Op::kI64Load8S: a_.Movsx8(k64, t, at); break;
          case Op::kI32Load8U: case Op::kI64Load8U: a_.Movzx8(t, at); break;
          case Op::kI32Load16S: a_.Movsx16(k32, t, at); break;
          case Op::kI64Load16S: a_.Movsx16(k64, t, at); break;
          case Op::kI32Load16U: case Op::kI64Load16U: a_.Movzx16(t, at); break;
          default: a_.Movsxd(t, at); break;  // I64Load32S
        }
        Defined(ip[2], t,
                op == Op::kI32Load || op == Op::kI32Load8S || op == Op::kI32Load8U || op == Op::kI32Load16S ||
                    op == Op::kI32Load16U);
        return 5;
      }
      case Op::kI32Store: case Op::kI64Store: case Op::kI32Store8: case Op::kI32Store16:
      case Op::kI64Store8: case Op::kI64Store16: case Op::kI64Store32: {
        const int size = op == Op::kI64Store ? 8
                         : (op == Op::kI32Store || op == Op::kI64Store32) ? 4
                         : (op == Op::kI32Store16 || op == Op::kI64Store16) ? 2 : 1;
        const Mem at = Address(ip[2], ip[4], size, w);
        if (const int x = caching_ ? cache_.Find(ip[3]) : -1; size == 8 && x >= 0 && SlotCache::IsXmm(x)) {
          NoteRead(ip[3]);
          cache_.Touch(x);
          Used(x);
          a_.SseStore(0xf2, 0x11, at, CacheXmm(x));  // an f64.store of a computed f64
          return 5;
        }
        Reg v = rcx;
        if (const int r = ForRead(ip[3], false); r >= 0) {
          v = CacheReg(r);
        } else {
          Load(k64, rcx, ip[3]);
        }
        if (size == 8) a_.Mov(k64, at, v);
        if (size == 4) a_.Mov(k32, at, v);
        if (size == 2) a_.Mov16(at, v);
        if (size == 1) a_.Mov8(at, v);
        return 5;
      }
      // Fused pairs (compile/ops.h), integer ones.
      case Op::kI32LoadAddImm: case Op::kI64LoadAddImm: {
        // The address wraps at 2^32, as Wasm's i32.add does: a 32-bit lea or add.
        if (const int r = ForRead(ip[3], true); r >= 0) {
          a_.Lea(k32, rax, Mem{CacheReg(r), static_cast<int32_t>(ip[4])});
        } else {
          Load(k32, rax, ip[3]);
          a_.OpImm(Alu::kAdd, k32, rax, static_cast<int32_t>(ip[4]));
        }
        const bool wide = op == Op::kI64LoadAddImm;
        LoadInto(ip[2], wide, AddressInRax(ip[5], wide ? 8 : 4, w));
        return 6;
      }
      case Op::kI32LoadAt: case Op::kI64LoadAt: {
        const bool wide = op == Op::kI64LoadAt;
        LoadInto(ip[2], wide, AddressAt(ip[3], wide ? 8 : 4, w));
        return 4;
      }
      case Op::kI32StoreAt: case Op::kI64StoreAt: {
        const bool wide = op == Op::kI64StoreAt;
        const Mem at = AddressAt(ip[2], wide ? 8 : 4, w);
        Load(k64, rcx, ip[3]);
        a_.Mov(wide ? k64 : k32, at, rcx);
        return 4;
      }
      case Op::kI32AddLoad: case Op::kI64AddLoad: {
        const Width wd = op == Op::kI64AddLoad ? k64 : k32;
        a_.Mov(wd, rax, Address(ip[4], ip[5], wd == k64 ? 8 : 4, w));
        AluFrom(Alu::kAdd, wd, rax, ip[3]);
        Store(ip[2], rax);
        return 6;
      }
      default:
        return 0;
    }
  }

  uint32_t Integer(Op op, uint32_t w, const uint32_t* ip) {
    // Compares into a slot: dst a b, dst a imm.
    static const Cmp kCompares[] = {
        {Op::kI32Eq, k32, kE}, {Op::kI32Ne, k32, kNE}, {Op::kI32LtS, k32, kL}, {Op::kI32LtU, k32, kB},
        {Op::kI32GtS, k32, kG}, {Op::kI32GtU, k32, kA}, {Op::kI32LeS, k32, kLE}, {Op::kI32LeU, k32, kBE},
        {Op::kI32GeS, k32, kGE}, {Op::kI32GeU, k32, kAE},
        {Op::kI64Eq, k64, kE}, {Op::kI64Ne, k64, kNE}, {Op::kI64LtS, k64, kL}, {Op::kI64LtU, k64, kB},
        {Op::kI64GtS, k64, kG}, {Op::kI64GtU, k64, kA}, {Op::kI64LeS, k64, kLE}, {Op::kI64LeU, k64, kBE},
        {Op::kI64GeS, k64, kGE}, {Op::kI64GeU, k64, kAE}};
    static const Cmp kCompareImms[] = {
        {Op::kI32EqImm, k32, kE}, {Op::kI32NeImm, k32, kNE}, {Op::kI32LtSImm, k32, kL},
        {Op::kI32LtUImm, k32, kB}, {Op::kI32GtSImm, k32, kG}, {Op::kI32GtUImm, k32, kA},
        {Op::kI32LeSImm, k32, kLE}, {Op::kI32LeUImm, k32, kBE}, {Op::kI32GeSImm, k32, kGE},
        {Op::kI32GeUImm, k32, kAE},
        {Op::kI64EqImm, k64, kE}, {Op::kI64NeImm, k64, kNE}, {Op::kI64LtSImm, k64, kL},
        {Op::kI64LtUImm, k64, kB}, {Op::kI64GtSImm, k64, kG}, {Op::kI64GtUImm, k64, kA},
        {Op::kI64LeSImm, k64, kLE}, {Op::kI64LeUImm, k64, kBE}, {Op::kI64GeSImm, k64, kGE},
        {Op::kI64GeUImm, k64, kAE}};
    // Compare-and-branch: a b off, a imm off.
    static const Cmp kBranches[] = {
        {Op::kBrI32Eq, k32, kE}, {Op::kBrI32Ne, k32, kNE}, {Op::kBrI32LtS, k32, kL}, {Op::kBrI32LtU, k32, kB},
        {Op::kBrI32GtS, k32, kG}, {Op::kBrI32GtU, k32, kA}, {Op::kBrI32LeS, k32, kLE},
        {Op::kBrI32LeU, k32, kBE}, {Op::kBrI32GeS, k32, kGE}, {Op::kBrI32GeU, k32, kAE},
        {Op::kBrI64Eq, k64, kE}, {Op::kBrI64Ne, k64, kNE}, {Op::kBrI64LtS, k64, kL}, {Op::kBrI64LtU, k64, kB},
        {Op::kBrI64GtS, k64, kG}, {Op::kBrI64GtU, k64, kA}, {Op::kBrI64LeS, k64, kLE},
        {Op::kBrI64LeU, k64, kBE}, {Op::kBrI64GeS, k64, kGE}, {Op::kBrI64GeU, k64, kAE}};
    static const Cmp kBranchImms[] = {
        {Op::kBrI32EqImm, k32, kE}, {Op::kBrI32NeImm, k32, kNE}, {Op::kBrI32LtSImm, k32, kL},
        {Op::kBrI32LtUImm, k32, kB}, {Op::kBrI32GtSImm, k32, kG}, {Op::kBrI32GtUImm, k32, kA},
        {Op::kBrI32LeSImm, k32, kLE}, {Op::kBrI32LeUImm, k32, kBE}, {Op::kBrI32GeSImm, k32, kGE},
        {Op::kBrI32GeUImm, k32, kAE},
        {Op::kBrI64EqImm, k64, kE}, {Op::kBrI64NeImm, k64, kNE}, {Op::kBrI64LtSImm, k64, kL},
        {Op::kBrI64LtUImm, k64, kB}, {Op::kBrI64GtSImm, k64, kG}, {Op::kBrI64GtUImm, k64, kA},
        {Op::kBrI64LeSImm, k64, kLE}, {Op::kBrI64LeUImm, k64, kBE}, {Op::kBrI64GeSImm, k64, kGE},
        {Op::kBrI64GeUImm, k64, kAE}};
    for (const Cmp& c : kCompares) {
      if (c.op == op) {
        CompareSlots(c.w, ip[3], ip[4]);
        SetFlagTo(c.cond, ip[2]);
        return 5;
      }
    }
    for (const Cmp& c : kCompareImms) {
      if (c.op == op) {
        CompareImm(c.w, ip[3], c.w == k32 ? ip[4] : Word64(w + 4));
        SetFlagTo(c.cond, ip[2]);
        return c.w == k32 ? 5 : 6;
      }
    }
    for (const Cmp& c : kBranches) {
      if (c.op == op) {
        CompareSlots(c.w, ip[2], ip[3]);
        BranchIf(c.cond, w, static_cast<int32_t>(ip[4]));
        return 5;
      }
    }
    for (const Cmp& c : kBranchImms) {
      if (c.op == op) {
        CompareImm(c.w, ip[2], c.w == k32 ? ip[3] : Word64(w + 3));
        BranchIf(c.cond, w, static_cast<int32_t>(c.w == k32 ? ip[4] : ip[5]));
        return c.w == k32 ? 5 : 6;
      }
    }
    switch (op) {
      case Op::kBrI32Eqz: case Op::kBrI32Nez: case Op::kBrI64Eqz: case Op::kBrI64Nez: {
        const Width wd = op == Op::kBrI32Eqz || op == Op::kBrI32Nez ? k32 : k64;
        TestSlot(wd, ip[2]);
        BranchIf(op == Op::kBrI32Eqz || op == Op::kBrI64Eqz ? kE : kNE, w, static_cast<int32_t>(ip[3]));
        return 4;
      }
      case Op::kI32Eqz: case Op::kI64Eqz: {
        const Width wd = op == Op::kI32Eqz ? k32 : k64;
        TestSlot(wd, ip[3]);
        SetFlagTo(kE, ip[2]);
        return 4;
      }
      default:
        break;
    }
    if (uint32_t n = Arithmetic(op, w, ip); n != 0) return n;
    return Unary(op, ip);
  }

  uint32_t Arithmetic(Op op, uint32_t w, const uint32_t* ip) {
    struct Form {
      Op op;
      Width w;
      int kind;  // 0 alu, 1 mul, 2 shift
      Alu alu;
      Shift shift;
      bool imm;
    };
    static const Form kForms[] = {
        {Op::kI32Add, k32, 0, Alu::kAdd, Shift::kShl, false}, {Op::kI32Sub, k32, 0, Alu::kSub, Shift::kShl, false},
        {Op::kI32And, k32, 0, Alu::kAnd, Shift::kShl, false}, {Op::kI32Or, k32, 0, Alu::kOr, Shift::kShl, false},
        {Op::kI32Xor, k32, 0, Alu::kXor, Shift::kShl, false}, {Op::kI32Mul, k32, 1, Alu::kAdd, Shift::kShl, false},
        {Op::kI32Shl, k32, 2, Alu::kAdd, Shift::kShl, false}, {Op::kI32ShrS, k32, 2, Alu::kAdd, Shift::kSar, false},
        {Op::kI32ShrU, k32, 2, Alu::kAdd, Shift::kShr, false}, {Op::kI32Rotl, k32, 2, Alu::kAdd, Shift::kRol, false},
        {Op::kI32Rotr, k32, 2, Alu::kAdd, Shift::kRor, false},
        {Op::kI64Add, k64, 0, Alu::kAdd, Shift::kShl, false}, {Op::kI64Sub, k64, 0, Alu::kSub, Shift::kShl, false},
        {Op::kI64And, k64, 0, Alu::kAnd, Shift::kShl, false}, {Op::kI64Or, k64, 0, Alu::kOr, Shift::kShl, false},
        {Op::kI64Xor, k64, 0, Alu::kXor, Shift::kShl, false}, {Op::kI64Mul, k64, 1, Alu::kAdd, Shift::kShl, false},
        {Op::kI64Shl, k64, 2, Alu::kAdd, Shift::kShl, false}, {Op::kI64ShrS, k64, 2, Alu::kAdd, Shift::kSar, false},
        {Op::kI64ShrU, k64, 2, Alu::kAdd, Shift::kShr, false}, {Op::kI64Rotl, k64, 2, Alu::kAdd, Shift::kRol, false},
        {Op::kI64Rotr, k64, 2, Alu::kAdd, Shift::kRor, false},
        {Op::kI32AddImm, k32, 0, Alu::kAdd, Shift::kShl, true}, {Op::kI32AndImm, k32, 0, Alu::kAnd, Shift::kShl, true},
        {Op::kI32OrImm, k32, 0, Alu::kOr, Shift::kShl, true}, {Op::kI32XorImm, k32, 0, Alu::kXor, Shift::kShl, true},
        {Op::kI32MulImm, k32, 1, Alu::kAdd, Shift::kShl, true}, {Op::kI32ShlImm, k32, 2, Alu::kAdd, Shift::kShl, true},
        {Op::kI32ShrSImm, k32, 2, Alu::kAdd, Shift::kSar, true},
        {Op::kI32ShrUImm, k32, 2, Alu::kAdd, Shift::kShr, true},
        {Op::kI32RotlImm, k32, 2, Alu::kAdd, Shift::kRol, true},
        {Op::kI32RotrImm, k32, 2, Alu::kAdd, Shift::kRor, true},
        {Op::kI64AddImm, k64, 0, Alu::kAdd, Shift::kShl, true}, {Op::kI64AndImm, k64, 0, Alu::kAnd, Shift::kShl, true},
        {Op::kI64OrImm, k64, 0, Alu::kOr, Shift::kShl, true}, {Op::kI64XorImm, k64, 0, Alu::kXor, Shift::kShl, true},
        {Op::kI64MulImm, k64, 1, Alu::kAdd, Shift::kShl, true}, {Op::kI64ShlImm, k64, 2, Alu::kAdd, Shift::kShl, true},
        {Op::kI64ShrSImm, k64, 2, Alu::kAdd, Shift::kSar, true},
        {Op::kI64ShrUImm, k64, 2, Alu::kAdd, Shift::kShr, true},
        {Op::kI64RotlImm, k64, 2, Alu::kAdd, Shift::kRol, true},
        {Op::kI64RotrImm, k64, 2, Alu::kAdd, Shift::kRor, true},
    };
    for (const Form& f : kForms) {
      if (f.op != op) continue;
      const uint64_t imm = f.w == k32 ? ip[4] : Word64(w + 4);
      uint32_t d = ip[2], a = ip[3], b = ip[4];
      // d = b <op> a for an operation that commutes, when d is b: the
      // result can then be computed in d's own register.
      const bool commutes = f.kind == 1 || (f.kind == 0 && f.alu != Alu::kSub);
      if (!f.imm && commutes && b == d && a != d) {
        b = a;
        a = d;
      }
      // Operand b is read after the result register is written.
      const bool d_is_b = !f.imm && b == d && a != d;
      if (f.kind == 1 && !f.imm) Load(f.w, rcx, b);
      if (f.kind == 2 && !f.imm) Load(k32, rcx, b);
      const Reg t = ResultRegister(d, a, f.w, f.kind == 0 && d_is_b);
      if (f.kind == 0) {
        if (f.imm) {
          AluImm(f.alu, f.w, imm, t);
        } else {
          AluFrom(f.alu, f.w, t, b);
        }
      } else if (f.kind == 1) {
        if (f.imm) a_.MovImm(rcx, imm);
        a_.Imul(f.w, t, rcx);
      } else if (f.imm) {
        a_.ShiftImm(f.shift, f.w, t, static_cast<uint8_t>(imm & (f.w == k32 ? 31 : 63)));
      } else {
        a_.ShiftCl(f.shift, f.w, t);
      }
      Defined(d, t, f.w == k32);
      return f.imm && f.w == k64 ? 6 : 5;
    }
    return Division(op, w, ip);
  }

  uint32_t Division(Op op, uint32_t w, const uint32_t* ip) {
    bool is64, is_signed, rem, imm;
    switch (op) {
      case Op::kI32DivS: is64 = false, is_signed = true, rem = false, imm = false; break;
      case Op::kI32DivU: is64 = false, is_signed = false, rem = false, imm = false; break;
      case Op::kI32RemS: is64 = false, is_signed = true, rem = true, imm = false; break;
      case Op::kI32RemU: is64 = false, is_signed = false, rem = true, imm = false; break;
      case Op::kI64DivS: is64 = true, is_signed = true, rem = false, imm = false; break;
      case Op::kI64DivU: is64 = true, is_signed = false, rem = false, imm = false; break;
      case Op::kI64RemS: is64 = true, is_signed = true, rem = true, imm = false; break;
      case Op::kI64RemU: is64 = true, is_signed = false, rem = true, imm = false; break;
      case Op::kI32DivSImm: is64 = false, is_signed = true, rem = false, imm = true; break;
      case Op::kI32DivUImm: is64 = false, is_signed = false, rem = false, imm = true; break;
      case Op::kI32RemSImm: is64 = false, is_signed = true, rem = true, imm = true; break;
      case Op::kI32RemUImm: is64 = false, is_signed = false, rem = true, imm = true; break;
      case Op::kI64DivSImm: is64 = true, is_signed = true, rem = false, imm = true; break;
      case Op::kI64DivUImm: is64 = true, is_signed = false, rem = false, imm = true; break;
      case Op::kI64RemSImm: is64 = true, is_signed = true, rem = true, imm = true; break;
      case Op::kI64RemUImm: is64 = true, is_signed = false, rem = true, imm = true; break;
      default: return 0;
    }
    const Width wd = is64 ? k64 : k32;
    Load(wd, rax, ip[3]);
    Label done;
    if (imm) {
      // The compiler made an Imm form only for divisors that cannot trap
      // (not 0, and not -1 when signed).
      a_.MovImm(rcx, is64 ? Word64(w + 4) : ip[4]);
    } else {
      Load(wd, rcx, ip[4]);
      a_.Test(wd, rcx, rcx);
      a_.Jcc(kE, Trap(static_cast<uint8_t>(TrapKind::kIntegerDivideByZero), w));
      if (is_signed) {
        // INT_MIN / -1 overflows (a trap); INT_MIN % -1 is 0. idiv would
        // fault on both, so -1 never reaches it.
        Label regular;
        a_.OpImm(Alu::kCmp, wd, rcx, -1);
        a_.Jcc(kNE, &regular);
        if (rem) {
          a_.Op(Alu::kXor, k32, rax, rax);
        } else {
          a_.MovImm(rdx, is64 ? 0x8000000000000000ull : 0x80000000ull);
          a_.Op(Alu::kCmp, wd, rax, rdx);
          a_.Jcc(kE, Trap(static_cast<uint8_t>(TrapKind::kIntegerOverflow), w));
          a_.Neg(wd, rax);
        }
        a_.Jmp(&done);
        a_.Bind(&regular);
      }
    }
    if (is_signed) {
      a_.Cdq(wd);
      a_.Idiv(wd, rcx);
    } else {
      a_.Op(Alu::kXor, k32, rdx, rdx);
      a_.Div(wd, rcx);
    }
    if (rem) a_.Mov(k64, rax, rdx);
    a_.Bind(&done);
    Store(ip[2], rax);
    return imm && is64 ? 6 : 5;
  }

  uint32_t Unary(Op op, const uint32_t* ip) {
    const uint32_t dst = ip[2], src = ip[3];
    switch (op) {
      case Op::kI32Clz: case Op::kI64Clz: {
        const Width wd = op == Op::kI32Clz ? k32 : k64;
        Load(wd, rcx, src);
        a_.MovImm(rdx, ~0ull);
        a_.Bsr(wd, rax, rcx);
        a_.Cmov(kE, wd, rax, rdx);  // zero: "bit -1", so the count is the width
        a_.Neg(wd, rax);
        a_.OpImm(Alu::kAdd, wd, rax, wd == k32 ? 31 : 63);
        break;
      }
      case Op::kI32Ctz: case Op::kI64Ctz: {
        const Width wd = op == Op::kI32Ctz ? k32 : k64;
        Load(wd, rcx, src);
        a_.MovImm(rdx, wd == k32 ? 32 : 64);
        a_.Bsf(wd, rax, rcx);
        a_.Cmov(kE, wd, rax, rdx);
        break;
      }
      case Op::kI32Popcnt: case Op::kI64Popcnt: {
        const Width wd = op == Op::kI32Popcnt ? k32 : k64;
        Load(wd, rcx, src);
        a_.Popcnt(wd, rax, rcx);
        break;
      }
      case Op::kI32WrapI64: case Op::kI64ExtendI32U:
        Load(k32, rax, src);
        break;
      case Op::kI64ExtendI32S: case Op::kI64Extend32S:
        Load(k64, rax, src);
        a_.Movsxd(rax, rax);
        break;
      case Op::kI32Extend8S: { Load(k64, rax, src); a_.Movsx8(k32, rax, rax); } break;
      case Op::kI32Extend16S: { Load(k64, rax, src); a_.Movsx16(k32, rax, rax); } break;
      case Op::kI64Extend8S: { Load(k64, rax, src); a_.Movsx8(k64, rax, rax); } break;
      case Op::kI64Extend16S: { Load(k64, rax, src); a_.Movsx16(k64, rax, rax); } break;
      default:
        return 0;
    }
    Store(dst, rax);
    return 4;
  }

  const CompiledModule& m_;
  const OpIndex& ops_;
  JitModule* out_;
  Assembler a_;
  const uint32_t* code_ = nullptr;
  uint32_t begin_ = 0;
  Vec<Label> labels_;       // one per code word of the current function (and its end)
  Vec<bool> forward_target_;  // per code word: a forward branch goes there
  Vec<bool> backward_target_;  // per code word: a backward branch goes there (from the first pass)
  bool dry_ = false;           // the first pass, into a scratch buffer
  Label dry_call_;             // where the first pass's calls go
  Vec<SlotCache::Holding> holding_;  // per code word: the registers' slots at its label
  SlotCache cache_;
  CheckedAddresses checked_;  // bounds checks that hold on the current path
  DeadSlots dead_;      // from the first pass: what back-edges need not write back
  Vec<int32_t> float_reads_;
  Vec<uint32_t> loop_end_;    // from the first pass: per loop head, the word index of its last back-edge  // from the first pass: per slot, NoteReadAs's count
  bool caching_ = true;     // false while a family that addresses the frame itself emits
  uint32_t locals_end_ = 0;  // the current function's params and locals: slots below this
  uint32_t word_ = 0;        // the instruction being emitted
  uint32_t pending_since_[SlotCache::kRegisters];  // first label of a register's unread run
  Vec<Label> func_labels_;  // each defined function's entry
  Vec<PendingTrap> traps_;
  Vec<EdgeStub> stubs_;
  Vec<CheckStub> checks_;
  Label exit_;
  Label scratch_;           // a target for jumps emitted after running out of memory
  bool oom_ = false;
};

}  // namespace

bool JitCompileModule(const CompiledModule& module, HandlerTable handlers, JitModule* out) {
  OpIndex ops;
  if (!ops.Build(handlers)) return false;
  Translator t(module, ops, out);
  return t.Run();
}

}  // namespace palisade::wasm
