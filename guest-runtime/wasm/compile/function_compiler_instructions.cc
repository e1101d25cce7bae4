// The instruction-by-instruction part of FunctionCompiler: one case per Wasm
// opcode, each validating its operands and emitting internal code.
#include "wasm/compile/function_compiler.h"

namespace palisade::wasm {

namespace {

constexpr ValType kUnknown = static_cast<ValType>(0);
constexpr ValType kI32 = ValType::kI32;
constexpr ValType kI64 = ValType::kI64;
constexpr ValType kF32 = ValType::kF32;
constexpr ValType kF64 = ValType::kF64;

Op OpAt(Op first, uint32_t i) { return static_cast<Op>(static_cast<uint32_t>(first) + i); }
uint32_t Index(Op op, Op first) { return static_cast<uint32_t>(op) - static_cast<uint32_t>(first); }
bool InRange(Op op, Op first, Op last) {
  return static_cast<uint32_t>(op) >= static_cast<uint32_t>(first) &&
         static_cast<uint32_t>(op) <= static_cast<uint32_t>(last);
}

// Integer compares in the order eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u.
constexpr uint32_t kInverse[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
constexpr uint32_t kMirror[10] = {0, 1, 4, 5, 2, 3, 8, 9, 6, 7};

// The immediate form of a binary op, or kCount.
Op ImmFormOf(Op op) {
  switch (op) {
    case Op::kI32Add: return Op::kI32AddImm;
    case Op::kI32Mul: return Op::kI32MulImm;
    case Op::kI32And: return Op::kI32AndImm;
    case Op::kI32Or: return Op::kI32OrImm;
    case Op::kI32Xor: return Op::kI32XorImm;
    case Op::kI32Shl: return Op::kI32ShlImm;
    case Op::kI32ShrS: return Op::kI32ShrSImm;
    case Op::kI32ShrU: return Op::kI32ShrUImm;
    case Op::kI32Rotl: return Op::kI32RotlImm;
    case Op::kI32Rotr: return Op::kI32RotrImm;
    case Op::kI64Add: return Op::kI64AddImm;
    case Op::kI64Mul: return Op::kI64MulImm;
    case Op::kI64And: return Op::kI64AndImm;
    case Op::kI64Or: return Op::kI64OrImm;
    case Op::kI64Xor: return Op::kI64XorImm;
    case Op::kI64Shl: return Op::kI64ShlImm;
    case Op::kI64ShrS: return Op::kI64ShrSImm;
    case Op::kI64ShrU: return Op::kI64ShrUImm;
    case Op::kI64Rotl: return Op::kI64RotlImm;
    case Op::kI64Rotr: return Op::kI64RotrImm;
    case Op::kF32Add: return Op::kF32AddImm;
    case Op::kF32Sub: return Op::kF32SubImm;
    case Op::kF32Mul: return Op::kF32MulImm;
    case Op::kF32Div: return Op::kF32DivImm;
    case Op::kF64Add: return Op::kF64AddImm;
    case Op::kF64Sub: return Op::kF64SubImm;
    case Op::kF64Mul: return Op::kF64MulImm;
    case Op::kF64Div: return Op::kF64DivImm;
    default: break;
  }
  if (InRange(op, Op::kI32Eq, Op::kI32GeU)) return OpAt(Op::kI32EqImm, Index(op, Op::kI32Eq));
  if (InRange(op, Op::kI64Eq, Op::kI64GeU)) return OpAt(Op::kI64EqImm, Index(op, Op::kI64Eq));
  return Op::kCount;
}

// With the constant on the left: the op with its operands swapped, or kCount.
Op SwappedOf(Op op) {
  switch (op) {
    case Op::kI32Add: case Op::kI32Mul: case Op::kI32And: case Op::kI32Or: case Op::kI32Xor:
    case Op::kI64Add: case Op::kI64Mul: case Op::kI64And: case Op::kI64Or: case Op::kI64Xor:
    // Swapping float operands changes only which input NaN a NaN result
    // carries, and Wasm leaves that choice open.
    case Op::kF32Add: case Op::kF32Mul: case Op::kF64Add: case Op::kF64Mul:
      return op;
    default: break;
  }
  if (InRange(op, Op::kI32Eq, Op::kI32GeU)) return OpAt(Op::kI32Eq, kMirror[Index(op, Op::kI32Eq)]);
  if (InRange(op, Op::kI64Eq, Op::kI64GeU)) return OpAt(Op::kI64Eq, kMirror[Index(op, Op::kI64Eq)]);
  return Op::kCount;
}

bool IsFusableCompare(Op op) {
  return InRange(op, Op::kI32Eq, Op::kI32GeU) || InRange(op, Op::kI64Eq, Op::kI64GeU) ||
         InRange(op, Op::kI32EqImm, Op::kI32GeUImm) || InRange(op, Op::kI64EqImm, Op::kI64GeUImm) ||
         op == Op::kI32Eqz || op == Op::kI64Eqz;
}

// The compare-and-branch op for compare `cmp`, branching when the compare
// is `when_true`.
Op BranchOpOf(Op cmp, bool when_true) {
  auto pick = [&](Op first, Op br_first, Op c) {
    uint32_t i = Index(c, first);
    return OpAt(br_first, when_true ? i : kInverse[i]);
  };
  if (cmp == Op::kI32Eqz) return when_true ? Op::kBrI32Eqz : Op::kBrI32Nez;
  if (cmp == Op::kI64Eqz) return when_true ? Op::kBrI64Eqz : Op::kBrI64Nez;
  if (InRange(cmp, Op::kI32Eq, Op::kI32GeU)) return pick(Op::kI32Eq, Op::kBrI32Eq, cmp);
  if (InRange(cmp, Op::kI64Eq, Op::kI64GeU)) return pick(Op::kI64Eq, Op::kBrI64Eq, cmp);
  if (InRange(cmp, Op::kI32EqImm, Op::kI32GeUImm)) return pick(Op::kI32EqImm, Op::kBrI32EqImm, cmp);
  return pick(Op::kI64EqImm, Op::kBrI64EqImm, cmp);
}

bool IsI64Imm(Op op) {
  return InRange(op, Op::kI64AddImm, Op::kI64GeUImm) || InRange(op, Op::kBrI64EqImm, Op::kBrI64GeUImm);
}

}  // namespace

// --- conditions ----------------------------------------------------------------

// If the condition was computed by the instruction just emitted, and that
// was an integer compare, takes the compare back out of the code so the
// branch can do it itself.
bool FunctionCompiler::TakeCond(const Entry& cond, Cond* out) {
  *out = Cond();
  if (!live()) return true;
  if (last_cmp_ && cond.kind == Kind::kTemp && last_dst_word_ != kNoWord &&
      out_->code[last_dst_word_] == cond.home) {
    out->fused = true;
    out->cmp = last_cmp_op_;
    out->a = last_cmp_a_;
    out->b = last_cmp_b_;
    TakeBackLast();
    return true;
  }
  return SlotOf(cond, &out->slot);
}

bool FunctionCompiler::EmitCondBranch(const Cond& c, bool when_true, uint32_t* word,
                                      uint32_t* instr) {
  *instr = code_size();
  if (!c.fused) {
    if (!Emit2(when_true ? Op::kBrIf : Op::kBrUnless, c.slot, 0)) return false;
    *word = *instr + 3;
    return true;
  }
  Op op = BranchOpOf(c.cmp, when_true);
  bool ok;
  uint32_t n;
  if (c.cmp == Op::kI32Eqz || c.cmp == Op::kI64Eqz) {
    ok = Emit2(op, c.a, 0);
    n = 1;
  } else if (IsI64Imm(op)) {
    ok = Emit4(op, c.a, static_cast<uint32_t>(c.b), static_cast<uint32_t>(c.b >> 32), 0);
    n = 3;
  } else {
    ok = Emit3(op, c.a, static_cast<uint32_t>(c.b), 0);
    n = 2;
  }
  *word = *instr + 2 + n;
  return ok;
}

// --- helpers for calls and blocks ------------------------------------------------

bool FunctionCompiler::PopArgs(const ValType* types, uint32_t n, uint32_t* base) {
  const Ctrl& cur = ctrl_.back();
  if (live()) {
    if (height() - cur.height < n) return Invalid("type mismatch");
    uint32_t h = height();
    for (uint32_t i = 0; i < n; ++i) {
      if (stack_[h - n + i].type != types[i]) return Invalid("type mismatch");
    }
    if (!MaterializeRange(h - n, h)) return false;
    *base = HomeAt(h - n);
    for (uint32_t i = 0; i < n; ++i) {
      Entry e;
      if (!PopAny(&e)) return false;
    }
    return true;
  }
  for (uint32_t i = n; i > 0; --i) {
    Entry e;
    if (!Pop(types[i - 1], &e)) return false;
  }
  *base = HomeAt(height());
  return true;
}

bool FunctionCompiler::PushResults(const ValType* types, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t slot;
    if (!PushTemp(types[i], &slot)) return false;
  }
  return true;
}

bool FunctionCompiler::CheckAndMaterializeResults(const Ctrl& c) {
  uint32_t n = BlockResultCount(c.block_type);
  uint32_t have = height() - c.height;
  if (have > n || (!c.unreachable && have != n)) return Invalid("type mismatch");
  for (uint32_t i = 0; i < have; ++i) {
    ValType got = stack_[c.height + i].type;
    ValType want = BlockResult(c.block_type, n - have + i);
    if (got != want && got != kUnknown) return Invalid("type mismatch");
  }
  if (live() && !MaterializeRange(c.height, height())) return false;
  while (height() > c.height) {
    Drop(stack_.back());
    stack_.pop_back();
  }
  if (watermark_ > height()) watermark_ = height();
  return true;
}

// --- locals ------------------------------------------------------------------------

bool FunctionCompiler::SetLocal(uint32_t local, bool tee) {
  if (local >= local_types_.size()) return Invalid("unknown local");
  Entry e;
  if (!Pop(local_types_[local], &e)) return false;
  if (live()) {
    if (e.kind == Kind::kTemp && last_dst_word_ != kNoWord &&
        out_->code[last_dst_word_] == e.home && local_refs_[local] == 0) {
      // The value was just computed: compute it straight into the local.
      out_->code[last_dst_word_] = LocalSlot(local);
      ForgetLast();
    } else if (!(e.kind == Kind::kLocal && e.local == local)) {
      if (!PreserveLocal(local)) return false;
      uint32_t slot = LocalSlot(local);
      bool ok = e.kind == Kind::kConst
                    ? EmitConst(slot, e.type, e.bits)
                    : EmitMove(slot, e.kind == Kind::kLocal ? LocalSlot(e.local) : e.home, e.type);
      if (!ok) return false;
    }
  }
  return tee ? PushLocal(local) : true;
}

// --- numeric ---------------------------------------------------------------------

bool FunctionCompiler::Unary(Op op, ValType in, ValType out) {
  Entry a;
  if (!Pop(in, &a)) return false;
  uint32_t src = 0, dst;
  if (live() && !SlotOf(a, &src)) return false;
  if (!PushTemp(out, &dst)) return false;
  if (!live()) return true;
  if (!Emit2(op, dst, src)) return false;
  last_dst_word_ = last_instr_ + 2;
  if (op == Op::kI32Eqz || op == Op::kI64Eqz) {
    last_cmp_ = true;
    last_cmp_op_ = op;
    last_cmp_a_ = src;
  }
  return true;
}

// `a op load(...)` where the load was the last instruction and its result
// goes only here: one instruction that loads and operates.
bool FunctionCompiler::FuseLoadOperand(Op op, const Entry& a, const Entry& b, ValType out,
                                       bool* done) {
  Op fused, load = Op::kI32Load;
  bool commutative = true;
  switch (op) {
    case Op::kI32Add: fused = Op::kI32AddLoad; break;
    case Op::kI64Add: fused = Op::kI64AddLoad; load = Op::kI64Load; break;
    case Op::kF32Add: fused = Op::kF32AddLoad; break;
    case Op::kF32Sub: fused = Op::kF32SubLoad; commutative = false; break;
    case Op::kF32Mul: fused = Op::kF32MulLoad; break;
    case Op::kF64Add: fused = Op::kF64AddLoad; load = Op::kI64Load; break;
    case Op::kF64Sub: fused = Op::kF64SubLoad; load = Op::kI64Load; commutative = false; break;
    case Op::kF64Mul: fused = Op::kF64MulLoad; load = Op::kI64Load; break;
    default: return true;
  }
  const Entry* other;
  if (JustProduced(b, load)) {
    other = &a;
  } else if (commutative && JustProduced(a, load)) {
    other = &b;
  } else {
    return true;
  }
  if (other->kind == Kind::kConst) return true;
  uint32_t addr = out_->code[last_instr_ + 3], offset = out_->code[last_instr_ + 4];
  uint32_t load_at = last_wasm_offset_;
  TakeBackLast();
  uint32_t x, dst;
  if (!SlotOf(*other, &x) || !PushTemp(out, &dst)) return false;
  // A trap is the load's: report its offset.
  uint32_t here = instr_offset_;
  instr_offset_ = load_at;
  bool ok = Emit4(fused, dst, x, addr, offset);
  instr_offset_ = here;
  if (!ok) return false;
  last_dst_word_ = last_instr_ + 2;
  *done = true;
  return true;
}

// A float add or subtract of a product the last instruction computed.
bool FunctionCompiler::FuseMulAdd(Op op, const Entry& a, const Entry& b, ValType out,
                                  bool* done) {
  Op mul, mul_add, mul_sub, sub_mul;
  if (op == Op::kF64Add || op == Op::kF64Sub) {
    mul = Op::kF64Mul, mul_add = Op::kF64MulAdd, mul_sub = Op::kF64MulSub, sub_mul = Op::kF64SubMul;
  } else if (op == Op::kF32Add || op == Op::kF32Sub) {
    mul = Op::kF32Mul, mul_add = Op::kF32MulAdd, mul_sub = Op::kF32MulSub, sub_mul = Op::kF32SubMul;
  } else {
    return true;
  }
  bool add = op == Op::kF64Add || op == Op::kF32Add;
  const Entry* c;
  Op fused;
  if (JustProduced(a, mul)) {
    c = &b;
    fused = add ? mul_add : mul_sub;
  } else if (JustProduced(b, mul)) {
    c = &a;
    fused = add ? mul_add : sub_mul;
  } else {
    return true;
  }
  if (c->kind == Kind::kConst) return true;
  uint32_t x = out_->code[last_instr_ + 3], y = out_->code[last_instr_ + 4];
  TakeBackLast();
  uint32_t z, dst;
  if (!SlotOf(*c, &z) || !PushTemp(out, &dst) || !Emit4(fused, dst, x, y, z)) return false;
  last_dst_word_ = last_instr_ + 2;
  *done = true;
  return true;
}

bool FunctionCompiler::Binary(Op op, ValType in, ValType out) {
  Entry b, a;
  if (!Pop(in, &b) || !Pop(in, &a)) return false;
  uint32_t dst;
  if (!live()) return PushTemp(out, &dst);
  bool fused = false;
  if (!FuseLoadOperand(op, a, b, out, &fused)) return false;
  if (!fused && !FuseMulAdd(op, a, b, out, &fused)) return false;
  if (fused) return true;
  // A constant operand becomes an immediate where the op has such a form.
  if (a.kind == Kind::kConst && b.kind != Kind::kConst && SwappedOf(op) != Op::kCount) {
    Entry t = a;
    a = b;
    b = t;
    op = SwappedOf(op);
  }
  Op imm = Op::kCount;
  uint64_t immv = b.bits;
  if (b.kind == Kind::kConst) {
    if (op == Op::kI32Sub) {
      imm = Op::kI32AddImm;
      immv = static_cast<uint32_t>(0u - static_cast<uint32_t>(b.bits));
    } else if (op == Op::kI64Sub) {
      imm = Op::kI64AddImm;
      immv = 0ull - b.bits;
    } else {
      imm = ImmFormOf(op);
    }
    // Division by a constant that can neither be zero nor overflow.
    bool is64 = in == kI64;
    uint64_t d = is64 ? b.bits : static_cast<uint32_t>(b.bits);
    bool minus_one = is64 ? d == ~0ull : d == 0xffffffffu;
    if (d != 0) {
      switch (op) {
        case Op::kI32DivU: imm = Op::kI32DivUImm; break;
        case Op::kI32RemU: imm = Op::kI32RemUImm; break;
        case Op::kI64DivU: imm = Op::kI64DivUImm; break;
        case Op::kI64RemU: imm = Op::kI64RemUImm; break;
        case Op::kI32DivS: if (!minus_one) imm = Op::kI32DivSImm; break;
        case Op::kI32RemS: if (!minus_one) imm = Op::kI32RemSImm; break;
        case Op::kI64DivS: if (!minus_one) imm = Op::kI64DivSImm; break;
        case Op::kI64RemS: if (!minus_one) imm = Op::kI64RemSImm; break;
        default: break;
      }
    }
  }
  uint32_t sa;
  if (!SlotOf(a, &sa)) return false;
  if (imm != Op::kCount) {
    if (!PushTemp(out, &dst)) return false;
    if (IsFusableCompare(imm) && !EmitCompareProbe(imm, sa, immv, true)) return false;
    bool ok = in == kI64 || in == kF64 ? Emit4(imm, dst, sa, static_cast<uint32_t>(immv),
                                 static_cast<uint32_t>(immv >> 32))
                         : Emit3(imm, dst, sa, static_cast<uint32_t>(immv));
    if (!ok) return false;
    op = imm;
    b.bits = immv;
  } else {
    uint32_t sb;
    if (!SlotOf(b, &sb) || !PushTemp(out, &dst)) return false;
    if (IsFusableCompare(op) && !EmitCompareProbe(op, sa, sb, false)) return false;
    if (!Emit3(op, dst, sa, sb)) return false;
    b.bits = sb;
  }
  last_dst_word_ = last_instr_ + 2;
  if (IsFusableCompare(op)) {
    last_cmp_ = true;
    last_cmp_op_ = op;
    last_cmp_a_ = sa;
    last_cmp_b_ = b.bits;
  }
  return true;
}

bool FunctionCompiler::CompileNumeric(uint8_t opcode) {
  struct Conv { ValType in, out; };
  static constexpr Conv kConversions[] = {
      {kI64, kI32}, {kF32, kI32}, {kF32, kI32}, {kF64, kI32}, {kF64, kI32},  // a7..ab
      {kI32, kI64}, {kI32, kI64}, {kF32, kI64}, {kF32, kI64}, {kF64, kI64},  // ac..b0
      {kF64, kI64}, {kI32, kF32}, {kI32, kF32}, {kI64, kF32}, {kI64, kF32},  // b1..b5
      {kF64, kF32}, {kI32, kF64}, {kI32, kF64}, {kI64, kF64}, {kI64, kF64},  // b6..ba
      {kF32, kF64}};                                                         // bb
  if (opcode == 0x45) return Unary(Op::kI32Eqz, kI32, kI32);
  if (opcode >= 0x46 && opcode <= 0x4f) return Binary(OpAt(Op::kI32Eq, opcode - 0x46), kI32, kI32);
  if (opcode == 0x50) return Unary(Op::kI64Eqz, kI64, kI32);
  if (opcode >= 0x51 && opcode <= 0x5a) return Binary(OpAt(Op::kI64Eq, opcode - 0x51), kI64, kI32);
  if (opcode >= 0x5b && opcode <= 0x60) return Binary(OpAt(Op::kF32Eq, opcode - 0x5b), kF32, kI32);
  if (opcode >= 0x61 && opcode <= 0x66) return Binary(OpAt(Op::kF64Eq, opcode - 0x61), kF64, kI32);
  if (opcode >= 0x67 && opcode <= 0x69) return Unary(OpAt(Op::kI32Clz, opcode - 0x67), kI32, kI32);
  if (opcode >= 0x6a && opcode <= 0x78) return Binary(OpAt(Op::kI32Add, opcode - 0x6a), kI32, kI32);
  if (opcode >= 0x79 && opcode <= 0x7b) return Unary(OpAt(Op::kI64Clz, opcode - 0x79), kI64, kI64);
  if (opcode >= 0x7c && opcode <= 0x8a) return Binary(OpAt(Op::kI64Add, opcode - 0x7c), kI64, kI64);
  if (opcode >= 0x8b && opcode <= 0x91) return Unary(OpAt(Op::kF32Abs, opcode - 0x8b), kF32, kF32);
  if (opcode >= 0x92 && opcode <= 0x98) return Binary(OpAt(Op::kF32Add, opcode - 0x92), kF32, kF32);
  if (opcode >= 0x99 && opcode <= 0x9f) return Unary(OpAt(Op::kF64Abs, opcode - 0x99), kF64, kF64);
  if (opcode >= 0xa0 && opcode <= 0xa6) return Binary(OpAt(Op::kF64Add, opcode - 0xa0), kF64, kF64);
  if (opcode >= 0xa7 && opcode <= 0xbb) {
    const Conv& c = kConversions[opcode - 0xa7];
    return Unary(OpAt(Op::kI32WrapI64, opcode - 0xa7), c.in, c.out);
  }
  if (opcode >= 0xbc && opcode <= 0xbf) {
    // Reinterpretations keep the bits: only the stack entry's type changes.
    static constexpr Conv kReinterpret[] = {{kF32, kI32}, {kF64, kI64}, {kI32, kF32}, {kI64, kF64}};
    const Conv& c = kReinterpret[opcode - 0xbc];
    Entry e;
    if (!Pop(c.in, &e)) return false;
    e.type = c.out;
    e.home = HomeAt(height());
    return Push(e);
  }
  if (opcode >= 0xc0 && opcode <= 0xc1) return Unary(OpAt(Op::kI32Extend8S, opcode - 0xc0), kI32, kI32);
  if (opcode >= 0xc2 && opcode <= 0xc4) return Unary(OpAt(Op::kI64Extend8S, opcode - 0xc2), kI64, kI64);
  return Fail(ErrorKind::kMalformed, "illegal opcode");
}

// --- memory ------------------------------------------------------------------------

bool FunctionCompiler::CompileMemoryAccess(uint8_t opcode) {
  struct Access { Op op; ValType type; uint8_t natural_log2; bool store; };
  static constexpr Access kAccess[] = {
      {Op::kI32Load, kI32, 2, false},    {Op::kI64Load, kI64, 3, false},     // 28 29
      {Op::kI32Load, kF32, 2, false},    {Op::kI64Load, kF64, 3, false},     // 2a 2b
      {Op::kI32Load8S, kI32, 0, false},  {Op::kI32Load8U, kI32, 0, false},   // 2c 2d
      {Op::kI32Load16S, kI32, 1, false}, {Op::kI32Load16U, kI32, 1, false},  // 2e 2f
      {Op::kI64Load8S, kI64, 0, false},  {Op::kI64Load8U, kI64, 0, false},   // 30 31
      {Op::kI64Load16S, kI64, 1, false}, {Op::kI64Load16U, kI64, 1, false},  // 32 33
      {Op::kI64Load32S, kI64, 2, false}, {Op::kI64Load32U, kI64, 2, false},  // 34 35
      {Op::kI32Store, kI32, 2, true},    {Op::kI64Store, kI64, 3, true},     // 36 37
      {Op::kI32Store, kF32, 2, true},    {Op::kI64Store, kF64, 3, true},     // 38 39
      {Op::kI32Store8, kI32, 0, true},   {Op::kI32Store16, kI32, 1, true},   // 3a 3b
      {Op::kI64Store8, kI64, 0, true},   {Op::kI64Store16, kI64, 1, true},   // 3c 3d
      {Op::kI64Store32, kI64, 2, true}};                                     // 3e
  const Access& acc = kAccess[opcode - 0x28];
  uint32_t align = r_.U32();
  uint32_t offset = r_.U32();
  if (!r_.ok()) return false;
  if (m_.memories.empty()) return Invalid("unknown memory 0");
  if (align > acc.natural_log2) return Invalid("alignment must not be larger than natural");
  // A constant address folds into the offset (the sum is exact in 64 bits);
  // the At forms take it when it fits their one-word operand.
  bool full_width = acc.op == Op::kI32Load || acc.op == Op::kI64Load ||
                    acc.op == Op::kI32Store || acc.op == Op::kI64Store;
  auto constant_ea = [&](const Entry& addr, uint32_t* ea) {
    if (!full_width || addr.kind != Kind::kConst) return false;
    uint64_t sum = static_cast<uint64_t>(static_cast<uint32_t>(addr.bits)) + offset;
    *ea = static_cast<uint32_t>(sum);
    return sum <= UINT32_MAX;
  };
  bool is64 = acc.op == Op::kI64Load || acc.op == Op::kI64Store;
  uint32_t ea;
  if (acc.store) {
    Entry v, addr;
    if (!Pop(acc.type, &v) || !Pop(kI32, &addr)) return false;
    if (!live()) return true;
    uint32_t sa, sv;
    if (constant_ea(addr, &ea)) {
      return SlotOf(v, &sv) && Emit2(is64 ? Op::kI64StoreAt : Op::kI32StoreAt, ea, sv);
    }
    if (!SlotOf(addr, &sa) || !SlotOf(v, &sv)) return false;
    return Emit3(acc.op, sa, sv, offset);
  }
  Entry addr;
  if (!Pop(kI32, &addr)) return false;
  uint32_t sa = 0, dst;
  if (!live()) return PushTemp(acc.type, &dst);
  bool ok;
  if (constant_ea(addr, &ea)) {
    ok = PushTemp(acc.type, &dst) && Emit2(is64 ? Op::kI64LoadAt : Op::kI32LoadAt, dst, ea);
  } else if (full_width && JustProduced(addr, Op::kI32AddImm)) {
    // load(x + imm): the wrapping add and the load in one.
    uint32_t x = out_->code[last_instr_ + 3], imm = out_->code[last_instr_ + 4];
    TakeBackLast();
    ok = PushTemp(acc.type, &dst) &&
         Emit4(is64 ? Op::kI64LoadAddImm : Op::kI32LoadAddImm, dst, x, imm, offset);
  } else {
    ok = SlotOf(addr, &sa) && PushTemp(acc.type, &dst) && Emit3(acc.op, dst, sa, offset);
  }
  if (!ok) return false;
  // Plain loads stay fusable into the op that consumes them.
  last_dst_word_ = last_instr_ + 2;
  return true;
}

// --- br_table ----------------------------------------------------------------------

bool FunctionCompiler::CompileBrTable() {
  uint32_t count = r_.U32();
  if (!r_.ok()) return false;
  if (count > r_.remaining()) return Fail(ErrorKind::kMalformed, "unexpected end");
  scratch_.clear();
  for (uint32_t i = 0; i <= count; ++i) {
    uint32_t depth = r_.U32();
    if (!r_.ok()) return false;
    if (depth >= ctrl_.size()) return Invalid("unknown label");
    if (!scratch_.push_back(depth)) return Fail(ErrorKind::kOutOfMemory, "out of memory");
  }
  Entry idx;
  if (!Pop(kI32, &idx)) return false;
  const Ctrl& dflt = ctrl_[ctrl_.size() - 1 - scratch_[count]];
  uint32_t arity = LabelArity(dflt);
  for (uint32_t i = 0; i <= count; ++i) {
    const Ctrl& t = ctrl_[ctrl_.size() - 1 - scratch_[i]];
    if (LabelArity(t) != arity) return Invalid("type mismatch");
    if (!CheckLabelTypes(t)) return false;
  }
  if (live()) {
    uint32_t slot;
    if (!SlotOf(idx, &slot)) return false;
    uint32_t instr = code_size();
    if (!Emit2(Op::kBrTable, slot, count)) return false;
    uint32_t table = code_size();
    if (!out_->code.resize(table + count + 1)) return Fail(ErrorKind::kOutOfMemory, "out of memory");
    if (stub_word_.size() < ctrl_.size() &&
        (!stub_word_.resize(ctrl_.size()) || !stub_stamp_.resize(ctrl_.size()))) {
      return Fail(ErrorKind::kOutOfMemory, "out of memory");
    }
    ++stamp_;
    for (uint32_t i = 0; i <= count; ++i) {
      uint32_t depth = scratch_[i];
      Ctrl& t = ctrl_[ctrl_.size() - 1 - depth];
      uint32_t word = table + i;
      bool direct = t.kind != CtrlKind::kFunc && !MovesNeeded(t, arity);
      if (direct) {
        if (t.kind == CtrlKind::kLoop) {
          out_->code[word] = t.loop_word - instr;
        } else if (!AddFixup(t, word, instr)) {
          return false;
        }
        continue;
      }
      // Values must move first: share one stub per target depth.
      if (stub_stamp_[depth] != stamp_) {
        stub_stamp_[depth] = stamp_;
        stub_word_[depth] = code_size();
        if (!EmitExit(t)) return false;
      }
      out_->code[word] = stub_word_[depth] - instr;
    }
  }
  SetUnreachable();
  return true;
}

// --- the instruction switch ------------------------------------------------------

bool FunctionCompiler::CompileInstruction(uint8_t opcode) {
  switch (opcode) {
    case 0x00:  // unreachable
      if (!Emit0(Op::kUnreachable)) return false;
      SetUnreachable();
      return true;
    case 0x01:  // nop
      return true;
    case 0x02:  // block
    case 0x03:  // loop
    case 0x04: {  // if
      int64_t bt;
      if (!ReadBlockType(&bt)) return false;
      if (opcode == 0x02) return PushCtrl(CtrlKind::kBlock, bt);
      if (opcode == 0x03) {
        if (!PushCtrl(CtrlKind::kLoop, bt)) return false;
        // Back-edges charge fuel and look for interrupts themselves.
        ctrl_.back().loop_word = code_size();
        return EmitBlockProbe();
      }
      Entry cond;
      if (!Pop(kI32, &cond)) return false;
      Cond c;
      if (!TakeCond(cond, &c) || !PushCtrl(CtrlKind::kIf, bt)) return false;
      if (!live()) return true;
      uint32_t word, instr;
      if (!EmitCondBranch(c, false, &word, &instr)) return false;
      ctrl_.back().else_fixup = static_cast<uint32_t>(fixups_.size());
      ctrl_.back().has_else_fixup = true;
      if (!fixups_.push_back(Fixup{word, instr, kNoFixup})) {
        return Fail(ErrorKind::kOutOfMemory, "out of memory");
      }
      return EmitBlockProbe();
    }
    case 0x05: {  // else
      Ctrl& c = ctrl_.back();
      if (c.kind != CtrlKind::kIf) return Fail(ErrorKind::kMalformed, "else without if");
      if (!CheckAndMaterializeResults(c)) return false;
      if (!EmitJumpTo(c, Op::kJmp, nullptr, 0)) return false;
      if (c.has_else_fixup) PatchFixups(c.else_fixup, code_size());
      c.has_else_fixup = false;
      c.kind = CtrlKind::kElse;
      c.unreachable = false;
      ForgetLast();
      if (!EmitBlockProbe()) return false;
      // The else branch starts from the if's params, in their homes.
      uint32_t params = BlockParamCount(c.block_type);
      for (uint32_t i = 0; i < params; ++i) {
        if (!Push(Entry{BlockParam(c.block_type, i), Kind::kTemp, HomeAt(height()), 0, 0})) {
          return false;
        }
      }
      watermark_ = height();
      return true;
    }
    case 0x0b: {  // end
      Ctrl& c = ctrl_.back();
      if (c.kind == CtrlKind::kFunc) {
        if (!CheckLabelTypes(c)) return false;
        uint32_t n = BlockResultCount(c.block_type);
        if (!c.unreachable && height() - c.height != n) return Invalid("type mismatch");
        if (c.unreachable && height() - c.height > n) return Invalid("type mismatch");
        if (!EmitReturn()) return false;
        ctrl_.pop_back();
        return true;
      }
      if (c.kind == CtrlKind::kIf) {
        // No else: the params pass through as the results.
        uint32_t p = BlockParamCount(c.block_type), n = BlockResultCount(c.block_type);
        if (p != n) return Invalid("type mismatch");
        for (uint32_t i = 0; i < p; ++i) {
          if (BlockParam(c.block_type, i) != BlockResult(c.block_type, i)) {
            return Invalid("type mismatch");
          }
        }
      }
      if (!CheckAndMaterializeResults(c)) return false;
      Ctrl done = c;
      ctrl_.pop_back();
      uint32_t here = code_size();
      if (done.has_else_fixup) PatchFixups(done.else_fixup, here);
      if (done.kind != CtrlKind::kLoop) PatchFixups(done.fixups, here);
      ForgetLast();
      if (!EmitBlockProbe()) return false;
      watermark_ = height();
      uint32_t n = BlockResultCount(done.block_type);
      for (uint32_t i = 0; i < n; ++i) {
        if (!Push(Entry{BlockResult(done.block_type, i), Kind::kTemp, HomeAt(height()), 0, 0})) {
          return false;
        }
      }
      return true;
    }
    case 0x0c: {  // br
      uint32_t depth = r_.U32();
      if (!r_.ok()) return false;
      if (depth >= ctrl_.size()) return Invalid("unknown label");
      if (!BranchTo(depth)) return false;
      SetUnreachable();
      return true;
    }
    case 0x0d: {  // br_if
      uint32_t depth = r_.U32();
      if (!r_.ok()) return false;
      if (depth >= ctrl_.size()) return Invalid("unknown label");
      Entry cond;
      if (!Pop(kI32, &cond)) return false;
      Ctrl& t = ctrl_[ctrl_.size() - 1 - depth];
      if (!CheckLabelTypes(t)) return false;
      if (live()) {
        Cond c;
        if (!TakeCond(cond, &c)) return false;
        uint32_t arity = LabelArity(t);
        uint32_t word, instr;
        if (t.kind == CtrlKind::kFunc || MovesNeeded(t, arity)) {
          // Skip the moves and the jump when the condition is false.
          if (!EmitCondBranch(c, false, &word, &instr) || !EmitExit(t)) return false;
          out_->code[word] = code_size() - instr;
          ForgetLast();
        } else {
          if (!EmitCondBranch(c, true, &word, &instr)) return false;
          if (t.kind == CtrlKind::kLoop) {
            out_->code[word] = t.loop_word - instr;
          } else if (!AddFixup(t, word, instr)) {
            return false;
          }
        }
        if (!EmitBlockProbe()) return false;
      }
      // The label's values stay on the stack, typed as the label says.
      uint32_t arity = LabelArity(t);
      saved_.clear();
      for (uint32_t i = arity; i > 0; --i) {
        Entry e;
        if (!Pop(LabelType(t, i - 1), &e) || !saved_.push_back(e)) {
          return error_.ok() ? Fail(ErrorKind::kOutOfMemory, "out of memory") : false;
        }
      }
      for (uint32_t i = arity; i > 0; --i) {
        Entry e = saved_[i - 1];
        e.home = HomeAt(height());
        if (!Push(e)) return false;
      }
      return true;
    }
    case 0x0e:  // br_table
      return CompileBrTable();
    case 0x0f:  // return
      if (!CheckLabelTypes(ctrl_[0])) return false;
      if (!EmitReturn()) return false;
      SetUnreachable();
      return true;
    case 0x10: {  // call
      uint32_t f = r_.U32();
      if (!r_.ok()) return false;
      if (f >= m_.func_types.size()) return Invalid("unknown function");
      const FuncType& ft = m_.FuncTypeOf(f);
      uint32_t base;
      if (!PopArgs(m_.Params(ft), ft.param_count, &base)) return false;
      if (live()) {
        bool ok = f >= m_.imported_funcs ? Emit2(Op::kCall, f - m_.imported_funcs, base)
                                         : Emit2(Op::kCallImport, f, base);
        if (!ok) return false;
      }
      return PushResults(m_.Results(ft), ft.result_count);
    }
    case 0x11: {  // call_indirect
      uint32_t type = r_.U32();
      uint32_t table = r_.U32();
      if (!r_.ok()) return false;
      if (type >= m_.types.size()) return Invalid("unknown type");
      if (table >= m_.tables.size()) return Invalid("unknown table");
      if (m_.tables[table].elem != ValType::kFuncRef) return Invalid("type mismatch");
      Entry idx;
      if (!Pop(kI32, &idx)) return false;
      const FuncType& ft = m_.types[type];
      // The index sits above the arguments; read it from a slot that the
      // argument moves cannot touch.
      uint32_t idx_slot = 0;
      if (live()) {
        if (idx.kind == Kind::kConst) {
          idx_slot = idx.home;
          if (!EmitConst(idx_slot, kI32, idx.bits)) return false;
        } else {
          idx_slot = idx.kind == Kind::kLocal ? LocalSlot(idx.local) : idx.home;
        }
      }
      uint32_t base;
      if (!PopArgs(m_.Params(ft), ft.param_count, &base)) return false;
      if (live() && !Emit4(Op::kCallIndirect, table, type, idx_slot, base)) return false;
      return PushResults(m_.Results(ft), ft.result_count);
    }
    case 0x1a: {  // drop
      Entry e;
      return PopAny(&e);
    }
    case 0x1b:    // select
    case 0x1c: {  // select t
      ValType want = kUnknown;
      if (opcode == 0x1c) {
        uint32_t n = r_.U32();
        if (!r_.ok()) return false;
        if (n != 1) return Invalid("invalid result arity");
        want = static_cast<ValType>(r_.U8());
        if (!r_.ok()) return false;
        switch (want) {
          case kI32: case kI64: case kF32: case kF64: case ValType::kFuncRef:
          case ValType::kExternRef: case ValType::kV128:
            break;
          default:
            return Fail(ErrorKind::kMalformed, "malformed value type");
        }
      }
      Entry cond, b, a;
      if (!Pop(kI32, &cond) || !Pop(want, &b) || !Pop(want, &a)) return false;
      ValType t = a.type == kUnknown ? b.type : a.type;
      if (opcode == 0x1b) {
        if (IsRefType(a.type) || IsRefType(b.type)) return Invalid("type mismatch");
        if (a.type != b.type && a.type != kUnknown && b.type != kUnknown) {
          return Invalid("type mismatch");
        }
      }
      uint32_t sa = 0, sb = 0, sc = 0, dst;
      if (live() && (!SlotOf(a, &sa) || !SlotOf(b, &sb) || !SlotOf(cond, &sc))) return false;
      if (!PushTemp(t, &dst)) return false;
      if (!live()) return true;
      if (!Emit4(t == ValType::kV128 ? Op::kSelect128 : Op::kSelect, dst, sa, sb, sc)) return false;
      last_dst_word_ = last_instr_ + 2;
      return true;
    }
    case 0x20: {  // local.get
      uint32_t x = r_.U32();
      if (!r_.ok()) return false;
      if (x >= local_types_.size()) return Invalid("unknown local");
      return PushLocal(x);
    }
    case 0x21:
    case 0x22: {  // local.set, local.tee
      uint32_t x = r_.U32();
      if (!r_.ok()) return false;
      return SetLocal(x, opcode == 0x22);
    }
    case 0x23: {  // global.get
      uint32_t g = r_.U32();
      if (!r_.ok()) return false;
      if (g >= m_.globals.size()) return Invalid("unknown global");
      uint32_t dst;
      if (!PushTemp(m_.globals[g].type, &dst)) return false;
      if (!live()) return true;
      bool wide = m_.globals[g].type == ValType::kV128;
      if (!Emit2(wide ? Op::kGlobalGet128 : Op::kGlobalGet, dst, g)) return false;
      if (!wide) last_dst_word_ = last_instr_ + 2;
      return true;
    }
    case 0x24: {  // global.set
      uint32_t g = r_.U32();
      if (!r_.ok()) return false;
      if (g >= m_.globals.size()) return Invalid("unknown global");
      if (!m_.globals[g].is_mutable) return Invalid("global is immutable");
      Entry v;
      if (!Pop(m_.globals[g].type, &v)) return false;
      uint32_t s;
      if (!live()) return true;
      bool wide = m_.globals[g].type == ValType::kV128;
      return SlotOf(v, &s) && Emit2(wide ? Op::kGlobalSet128 : Op::kGlobalSet, g, s);
    }
    case 0x25:    // table.get
    case 0x26: {  // table.set
      uint32_t t = r_.U32();
      if (!r_.ok()) return false;
      if (t >= m_.tables.size()) return Invalid("unknown table");
      ValType et = m_.tables[t].elem;
      if (opcode == 0x25) {
        Entry i;
        if (!Pop(kI32, &i)) return false;
        uint32_t si = 0, dst;
        if (live() && !SlotOf(i, &si)) return false;
        if (!PushTemp(et, &dst)) return false;
        return !live() || Emit3(Op::kTableGet, dst, t, si);
      }
      Entry v, i;
      if (!Pop(et, &v) || !Pop(kI32, &i)) return false;
      if (!live()) return true;
      uint32_t si, sv;
      return SlotOf(i, &si) && SlotOf(v, &sv) && Emit3(Op::kTableSet, t, si, sv);
    }
    case 0x3f:    // memory.size
    case 0x40: {  // memory.grow
      uint8_t zero = r_.U8();
      if (!r_.ok()) return false;
      if (zero != 0) return Fail(ErrorKind::kMalformed, "zero byte expected");
      if (m_.memories.empty()) return Invalid("unknown memory 0");
      uint32_t dst;
      if (opcode == 0x3f) {
        if (!PushTemp(kI32, &dst)) return false;
        return !live() || Emit1(Op::kMemorySize, dst);
      }
      Entry d;
      if (!Pop(kI32, &d)) return false;
      uint32_t sd = 0;
      if (live() && !SlotOf(d, &sd)) return false;
      if (!PushTemp(kI32, &dst)) return false;
      return !live() || Emit2(Op::kMemoryGrow, dst, sd);
    }
    case 0x41: {
      int32_t v = r_.S32();
      return r_.ok() && PushConst(kI32, static_cast<uint32_t>(v));
    }
    case 0x42: {
      int64_t v = r_.S64();
      return r_.ok() && PushConst(kI64, static_cast<uint64_t>(v));
    }
    case 0x43: {
      uint32_t v = r_.F32Bits();
      return r_.ok() && PushConst(kF32, v);
    }
    case 0x44: {
      uint64_t v = r_.F64Bits();
      return r_.ok() && PushConst(kF64, v);
    }
    case 0xd0: {  // ref.null
      uint8_t t = r_.U8();
      if (!r_.ok()) return false;
      if (t != 0x70 && t != 0x6f) return Fail(ErrorKind::kMalformed, "malformed reference type");
      return PushConst(static_cast<ValType>(t), 0);
    }
    case 0xd1: {  // ref.is_null
      Entry e;
      if (!PopAny(&e)) return false;
      if (e.type != kUnknown && !IsRefType(e.type)) return Invalid("type mismatch");
      uint32_t s = 0, dst;
      if (live() && !SlotOf(e, &s)) return false;
      if (!PushTemp(kI32, &dst)) return false;
      if (!live()) return true;
      if (!Emit2(Op::kRefIsNull, dst, s)) return false;
      last_dst_word_ = last_instr_ + 2;
      return true;
    }
    case 0xd2: {  // ref.func
      uint32_t f = r_.U32();
      if (!r_.ok()) return false;
      if (f >= m_.func_types.size()) return Invalid("unknown function");
      // Only functions the module declares outside code may be referenced.
      size_t lo = 0, hi = m_.declared_funcs.size();
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m_.declared_funcs[mid] < f) lo = mid + 1; else hi = mid;
      }
      if (lo == m_.declared_funcs.size() || m_.declared_funcs[lo] != f) {
        return Invalid("undeclared function reference");
      }
      uint32_t dst;
      if (!PushTemp(ValType::kFuncRef, &dst)) return false;
      return !live() || Emit2(Op::kRefFunc, dst, f);
    }
    case 0xfc:
      return CompilePrefixed();
    case 0xfd:
      return CompileSimd();
    default:
      break;
  }
  if (opcode >= 0x28 && opcode <= 0x3e) return CompileMemoryAccess(opcode);
  if (opcode >= 0x45 && opcode <= 0xc4) return CompileNumeric(opcode);
  return Fail(ErrorKind::kMalformed, "illegal opcode");
}

bool FunctionCompiler::CompilePrefixed() {
  uint32_t sub = r_.U32();
  if (!r_.ok()) return false;
  if (sub <= 7) {
    static constexpr ValType kIn[] = {kF32, kF32, kF64, kF64, kF32, kF32, kF64, kF64};
    return Unary(OpAt(Op::kI32TruncSatF32S, sub), kIn[sub], sub < 4 ? kI32 : kI64);
  }
  auto read_index = [&](uint32_t* v) {
    *v = r_.U32();
    return r_.ok();
  };
  auto zero = [&]() {
    uint8_t z = r_.U8();
    if (!r_.ok()) return false;
    if (z != 0) return Fail(ErrorKind::kMalformed, "zero byte expected");
    return true;
  };
  // Pops n i32 operands (the last pushed first) into slots.
  auto pop_slots = [&](const ValType* types, uint32_t n, uint32_t* slots) {
    Entry e[3];
    for (uint32_t i = n; i > 0; --i) {
      if (!Pop(types[i - 1], &e[i - 1])) return false;
    }
    if (!live()) return true;
    for (uint32_t i = 0; i < n; ++i) {
      if (!SlotOf(e[i], &slots[i])) return false;
    }
    return true;
  };
  static constexpr ValType k3I32[] = {kI32, kI32, kI32};
  uint32_t s[3] = {0, 0, 0};
  switch (sub) {
    case 8: {  // memory.init
      uint32_t seg;
      if (!read_index(&seg) || !zero()) return false;
      if (m_.memories.empty()) return Invalid("unknown memory 0");
      if (!m_.has_data_count) return Fail(ErrorKind::kMalformed, "data count section required");
      if (seg >= m_.data_count) return Invalid("unknown data segment");
      if (!pop_slots(k3I32, 3, s)) return false;
      return !live() || Emit4(Op::kMemoryInit, seg, s[0], s[1], s[2]);
    }
    case 9: {  // data.drop
      uint32_t seg;
      if (!read_index(&seg)) return false;
      if (!m_.has_data_count) return Fail(ErrorKind::kMalformed, "data count section required");
      if (seg >= m_.data_count) return Invalid("unknown data segment");
      return Emit1(Op::kDataDrop, seg);
    }
    case 10:    // memory.copy
    case 11: {  // memory.fill
      if (!zero() || (sub == 10 && !zero())) return false;
      if (m_.memories.empty()) return Invalid("unknown memory 0");
      if (!pop_slots(k3I32, 3, s)) return false;
      return !live() || Emit3(sub == 10 ? Op::kMemoryCopy : Op::kMemoryFill, s[0], s[1], s[2]);
    }
    case 12: {  // table.init elem table
      uint32_t seg, table;
      if (!read_index(&seg) || !read_index(&table)) return false;
      if (table >= m_.tables.size()) return Invalid("unknown table");
      if (seg >= m_.elems.size()) return Invalid("unknown elem segment");
      if (m_.elems[seg].type != m_.tables[table].elem) return Invalid("type mismatch");
      if (!pop_slots(k3I32, 3, s)) return false;
      if (!live()) return true;
      uint32_t w[] = {table, seg, s[0], s[1], s[2]};
      return Emit(Op::kTableInit, w, 5);
    }
    case 13: {  // elem.drop
      uint32_t seg;
      if (!read_index(&seg)) return false;
      if (seg >= m_.elems.size()) return Invalid("unknown elem segment");
      return Emit1(Op::kElemDrop, seg);
    }
    case 14: {  // table.copy dst src
      uint32_t dt, st;
      if (!read_index(&dt) || !read_index(&st)) return false;
      if (dt >= m_.tables.size() || st >= m_.tables.size()) return Invalid("unknown table");
      if (m_.tables[dt].elem != m_.tables[st].elem) return Invalid("type mismatch");
      if (!pop_slots(k3I32, 3, s)) return false;
      if (!live()) return true;
      uint32_t w[] = {dt, st, s[0], s[1], s[2]};
      return Emit(Op::kTableCopy, w, 5);
    }
    case 15:    // table.grow
    case 16:    // table.size
    case 17: {  // table.fill
      uint32_t t;
      if (!read_index(&t)) return false;
      if (t >= m_.tables.size()) return Invalid("unknown table");
      ValType et = m_.tables[t].elem;
      uint32_t dst;
      if (sub == 16) {
        if (!PushTemp(kI32, &dst)) return false;
        return !live() || Emit2(Op::kTableSize, dst, t);
      }
      if (sub == 15) {
        const ValType types[] = {et, kI32};
        if (!pop_slots(types, 2, s) || !PushTemp(kI32, &dst)) return false;
        return !live() || Emit4(Op::kTableGrow, dst, t, s[0], s[1]);
      }
      const ValType types[] = {kI32, et, kI32};
      if (!pop_slots(types, 3, s)) return false;
      return !live() || Emit4(Op::kTableFill, t, s[0], s[1], s[2]);
    }
    default:
      return Fail(ErrorKind::kMalformed, "illegal opcode");
  }
}

}  // namespace palisade::wasm
