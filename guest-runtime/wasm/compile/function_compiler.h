// Validates one function body (spec 3.3, with the algorithm of the spec's
// validation appendix) and translates it, in the same pass, into internal
// code (compile/ops.h) over frame slots:
//   slots [0, params)            parameters
//   slots [params, +locals)      declared locals
//   slots after that             the operand stack: the value at stack height
//                                h lives in a fixed "home" slot
// `local.get` and constants are not copied when pushed: the stack entry
// names the local or holds the constant, and the instruction that consumes
// it reads the local directly or uses an immediate form. Results of an
// instruction followed by `local.set` are written straight into the local.
// Hostile bodies are bounded: nesting depth, stack height and code size have
// limits, and every step is amortised O(1) per instruction.
#pragma once

#include <stdint.h>

#include "wasm/binary/module.h"
#include "wasm/binary/reader.h"
#include "wasm/compile/compiled_module.h"
#include "wasm/compile/ops.h"
#include "wasm/support/error.h"
#include "wasm/support/vec.h"

namespace palisade::wasm {

struct CompileLimits {
  uint32_t max_nesting = 10000;        // open blocks in one function
  uint32_t max_stack_height = 100000;  // operand stack entries in one function
  uint32_t max_code_words = 64u << 20; // internal code of the whole module
};

// The handler address of each internal op, from the interpreter.
using HandlerTable = const void* const*;

class FunctionCompiler {
 public:
  // `coverage`: emit the coverage probes (ops.h) for palisade fuzz.
  FunctionCompiler(const Module& module, CompiledModule* out, HandlerTable handlers,
                   const CompileLimits& limits, bool coverage = false);
  // Compiles defined function `defined_index` and appends it to out->functions.
  Error Compile(uint32_t defined_index);
  // Coverage probes emitted so far in this module.
  uint32_t probes() const { return probes_; }

 private:
  enum class Kind : uint8_t { kTemp, kLocal, kConst };
  struct Entry {
    ValType type;    // ValType{0} = unknown (unreachable code)
    Kind kind;
    uint32_t home;   // the slot this stack position owns
    uint32_t local;  // kLocal: which local
    uint64_t bits;   // kConst
  };
  enum class CtrlKind : uint8_t { kFunc, kBlock, kLoop, kIf, kElse };
  struct Ctrl {
    CtrlKind kind;
    bool unreachable;
    bool dead;             // opened inside unreachable code: never emits
    uint32_t height;       // stack height below the block's params
    int64_t block_type;    // -64 (0x40) empty, <0 a value type byte, >=0 a type index
    uint32_t loop_word;    // kLoop: where back-edges jump
    uint32_t fixups;       // forward branches to patch at `end` (index into fixups_)
    uint32_t else_fixup;   // kIf: the branch taken when the condition is false
    bool has_else_fixup;
  };
  struct Fixup {
    uint32_t word;   // the offset word to patch
    uint32_t instr;  // the first word of its instruction
    uint32_t next;
  };
  static constexpr uint32_t kNoFixup = UINT32_MAX;
  static constexpr uint32_t kNoWord = UINT32_MAX;

  // --- errors
  bool Fail(ErrorKind kind, const char* message);
  bool Invalid(const char* message) { return Fail(ErrorKind::kInvalid, message); }

  // --- the body
  bool ReadLocals();
  bool CompileBody();
  bool CompileInstruction(uint8_t opcode);
  bool CompilePrefixed();
  bool CompileNumeric(uint8_t opcode);
  bool CompileMemoryAccess(uint8_t opcode);
  bool CompileSimd();  // function_compiler_simd.cc
  bool CompileBrTable();
  bool SetLocal(uint32_t local, bool tee);

  // --- block types
  uint32_t BlockParamCount(int64_t bt) const;
  uint32_t BlockResultCount(int64_t bt) const;
  ValType BlockParam(int64_t bt, uint32_t i) const;
  ValType BlockResult(int64_t bt, uint32_t i) const;
  bool ReadBlockType(int64_t* bt);
  // Types a branch to `c` carries: params of a loop, results otherwise.
  uint32_t LabelArity(const Ctrl& c) const;
  ValType LabelType(const Ctrl& c, uint32_t i) const;

  // --- the operand stack
  bool live() const { return !ctrl_.back().unreachable && !ctrl_.back().dead; }
  uint32_t height() const { return static_cast<uint32_t>(stack_.size()); }
  // v128 values take two slots, everything else one.
  static uint32_t SlotsOf(ValType t) { return t == ValType::kV128 ? 2 : 1; }
  // The home slot of stack height h: right above the entry below it, so
  // homes are contiguous and a call's arguments form the callee's frame.
  uint32_t HomeAt(uint32_t h) const {
    return h == 0 ? first_temp_ : stack_[h - 1].home + SlotsOf(stack_[h - 1].type);
  }
  // The home of label `c`'s i-th value (the entries below c.height are
  // still on the stack, the label's own values may not be).
  uint32_t LabelHome(const Ctrl& c, uint32_t i) const;
  uint32_t LocalSlot(uint32_t local) const { return local_slot_[local]; }
  bool Push(const Entry& e);
  bool PushTemp(ValType t, uint32_t* slot);
  bool PushConst(ValType t, uint64_t bits);
  bool PushLocal(uint32_t local);
  bool Pop(ValType expected, Entry* out);
  bool PopAny(Entry* out);
  void Drop(const Entry& e);  // bookkeeping for an entry leaving the stack
  // The slot holding a popped entry's value (emits a constant if needed).
  bool SlotOf(const Entry& e, uint32_t* slot);
  bool Materialize(uint32_t index);  // puts stack_[index] into its home
  bool MaterializeRange(uint32_t from, uint32_t to);
  bool PreserveLocal(uint32_t local);  // before `local` is overwritten
  bool MaterializeBelowBlock();

  // --- control
  bool PushCtrl(CtrlKind kind, int64_t bt);
  bool PopCtrlValues(const Ctrl& c);  // checks and pops the end-of-block values
  bool BranchTo(uint32_t depth);      // unconditional, values on top of the stack
  bool EmitMovesToLabel(const Ctrl& c, uint32_t arity);
  bool MovesNeeded(const Ctrl& c, uint32_t arity) const;
  bool EmitJumpTo(Ctrl& c, Op op, const uint32_t* operands, uint32_t n);
  bool AddFixup(Ctrl& c, uint32_t word, uint32_t instr);
  void PatchFixups(uint32_t head, uint32_t target);
  void SetUnreachable();
  bool EmitReturn();
  // A branch condition: a slot, or a compare fused into the branch.
  struct Cond {
    bool fused = false;
    Op cmp = Op::kCount;  // the compare (an I32/I64 compare, Imm form, or Eqz)
    uint32_t a = 0;
    uint64_t b = 0;       // slot or immediate
    uint32_t slot = 0;    // not fused: the i32 condition
  };
  bool TakeCond(const Entry& cond, Cond* out);
  // Emits a branch taken when the condition is `when_true`; the offset word
  // is left for the caller (returned in *word, instruction start in *instr).
  bool EmitCondBranch(const Cond& c, bool when_true, uint32_t* word, uint32_t* instr);
  bool EmitExit(Ctrl& target);  // moves + jump to target, or a return
  bool CheckLabelTypes(const Ctrl& target);
  bool CheckAndMaterializeResults(const Ctrl& c);
  bool PopArgs(const ValType* types, uint32_t n, uint32_t* base);
  bool PushResults(const ValType* types, uint32_t n);

  // --- coverage probes (only with coverage_)
  // A basic block starts here: a branch target or a conditional branch's
  // fall-through.
  bool EmitBlockProbe();
  // Reports the operands of the integer compare `op` about to be emitted.
  bool EmitCompareProbe(Op op, uint32_t a, uint64_t b, bool imm);

  // --- emission
  bool Emit(Op op, const uint32_t* operands, uint32_t n);
  bool Emit0(Op op) { return Emit(op, nullptr, 0); }
  bool Emit1(Op op, uint32_t a) { return Emit(op, &a, 1); }
  bool Emit2(Op op, uint32_t a, uint32_t b) { uint32_t w[] = {a, b}; return Emit(op, w, 2); }
  bool Emit3(Op op, uint32_t a, uint32_t b, uint32_t c) {
    uint32_t w[] = {a, b, c};
    return Emit(op, w, 3);
  }
  bool Emit4(Op op, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    uint32_t w[] = {a, b, c, d};
    return Emit(op, w, 4);
  }
  bool EmitConst(uint32_t dst, ValType t, uint64_t bits);
  bool EmitCopy(uint32_t dst, uint32_t src);  // one slot
  bool EmitMove(uint32_t dst, uint32_t src, ValType t);  // a whole value
  uint32_t code_size() const { return static_cast<uint32_t>(out_->code.size()); }
  void ForgetLast() {
    last_dst_word_ = kNoWord;
    last_cmp_ = false;
    last_op_ = Op::kCount;
  }
  // Peephole fusion: whether `e` is the temp the last instruction (`op`)
  // just wrote, and taking that instruction back out of the code. Only the
  // last instruction can be taken back, and ForgetLast() runs at every
  // branch target, so no label ever points into a fused instruction.
  bool JustProduced(const Entry& e, Op op) const;
  void TakeBackLast();
  // Fusions tried by the numeric and memory cases; each returns true with
  // *done set when it emitted the fused instruction.
  bool FuseLoadOperand(Op op, const Entry& a, const Entry& b, ValType out, bool* done);
  bool FuseMulAdd(Op op, const Entry& a, const Entry& b, ValType out, bool* done);

  // Ops
  bool Unary(Op op, ValType in, ValType out);
  bool Binary(Op op, ValType in, ValType out);

  const Module& m_;
  CompiledModule* out_;
  HandlerTable handlers_;
  CompileLimits limits_;
  bool coverage_ = false;
  uint32_t probes_ = 0;  // probes emitted in this module: ids come from it
  Reader r_{nullptr, 0};
  Error error_;
  uint32_t instr_offset_ = 0;  // module offset of the current Wasm instruction

  CompiledFunction* fn_ = nullptr;
  const FuncType* type_ = nullptr;
  Vec<ValType> local_types_;
  Vec<uint32_t> local_slot_;  // first frame slot of each local (params first)
  Vec<uint32_t> local_refs_;  // kLocal entries on the stack, per local
  uint32_t first_temp_ = 0;
  uint32_t max_slot_ = 0;
  uint32_t watermark_ = 0;    // no kLocal entries below this stack index
  Vec<Entry> stack_;
  Vec<Ctrl> ctrl_;
  Vec<Fixup> fixups_;
  Vec<uint32_t> scratch_;
  Vec<Entry> saved_;
  Vec<uint32_t> stub_word_;   // br_table: per depth, the stub already emitted
  Vec<uint32_t> stub_stamp_;
  uint32_t stamp_ = 0;

  // Peephole state: the last instruction wrote a single temp at this word.
  uint32_t last_dst_word_ = kNoWord;
  uint32_t last_instr_ = 0;
  Op last_op_ = Op::kCount;        // kCount: nothing fusable before this point
  uint32_t last_wasm_offset_ = 0;  // module offset of the Wasm instruction it came from
  // ... and if it was an integer compare, what it compared.
  bool last_cmp_ = false;
  Op last_cmp_op_ = Op::kCount;
  uint32_t last_cmp_a_ = 0;
  uint64_t last_cmp_b_ = 0;   // slot, or the immediate for Imm forms
};

}  // namespace palisade::wasm
