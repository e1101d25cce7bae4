// The compiler tier's floating-point instructions. Arithmetic, square root,
// rounding (roundss/roundsd, SSE4.1), compares and the exact conversions
// are inline SSE; abs, neg and copysign are integer bit operations on the
// slot; min/max, the unsigned 64-bit and width conversions and every
// float-to-int truncation call the interpreter's own numerics through
// jit_runtime.cc, so both tiers agree to the bit.
#include <initializer_list>

#include "wasm/jit/jit_context.h"
#include "wasm/jit/jit_emitter.h"
#include "wasm/runtime/trap.h"

namespace palisade::wasm {
namespace {

using namespace x64;  // NOLINT: the assembler's registers read best bare

// SSE encodings (prefix, opcode after 0x0f) by width.
struct Sse {
  uint8_t prefix;  // f3: single, f2: double
  uint8_t round;   // 0x0a roundss, 0x0b roundsd (0x3a map)
  uint8_t ucomi;   // prefix of ucomiss (none) / ucomisd (66)
};
constexpr Sse kF32{0xf3, 0x0a, 0x00};
constexpr Sse kF64{0xf2, 0x0b, 0x66};

// A slot's float into an xmm register, and a result back into its slot
// (f32 zero-extended to 64 bits, as the interpreter stores it).
bool F64(const Sse& t) { return t.prefix != 0xf3; }
void LoadOperand(JitEmitter& e, const Sse& t, Xmm x, uint32_t slot) { e.LoadSlotXmm(F64(t), x, slot); }
void StoreResult(JitEmitter& e, const Sse& t, uint32_t slot, Xmm x) { e.EndFloat(F64(t), slot, x); }
// x = x <op> the slot, for the arithmetic opcodes.
void ArithSlot(JitEmitter& e, const Sse& t, uint16_t op, Xmm x, uint32_t slot) {
  e.SseSlot(F64(t), t.prefix, op, x, slot);
}

// dst = a <op> b for the four arithmetic operations (opcode 58/5c/59/5e).
uint8_t ArithOpcode(Op op) {
  switch (op) {
    case Op::kF32Add: case Op::kF64Add: case Op::kF32AddImm: case Op::kF64AddImm:
    case Op::kF32AddLoad: case Op::kF64AddLoad: return 0x58;
    case Op::kF32Sub: case Op::kF64Sub: case Op::kF32SubImm: case Op::kF64SubImm:
    case Op::kF32SubLoad: case Op::kF64SubLoad: return 0x5c;
    case Op::kF32Mul: case Op::kF64Mul: case Op::kF32MulImm: case Op::kF64MulImm:
    case Op::kF32MulLoad: case Op::kF64MulLoad: return 0x59;
    case Op::kF32Div: case Op::kF64Div: case Op::kF32DivImm: case Op::kF64DivImm: return 0x5e;
    default: return 0;
  }
}

bool IsF64(Op op) {
  switch (op) {
    case Op::kF64Add: case Op::kF64Sub: case Op::kF64Mul: case Op::kF64Div:
    case Op::kF64AddImm: case Op::kF64SubImm: case Op::kF64MulImm: case Op::kF64DivImm:
    case Op::kF64AddLoad: case Op::kF64SubLoad: case Op::kF64MulLoad:
    case Op::kF64MulAdd: case Op::kF64MulSub: case Op::kF64SubMul:
    case Op::kF64Sqrt: case Op::kF64Ceil: case Op::kF64Floor: case Op::kF64Trunc: case Op::kF64Nearest:
    case Op::kF64Eq: case Op::kF64Ne: case Op::kF64Lt: case Op::kF64Gt: case Op::kF64Le: case Op::kF64Ge:
    case Op::kF64Abs: case Op::kF64Neg: case Op::kF64Copysign:
    case Op::kF64ConvertI32S: case Op::kF64ConvertI32U: case Op::kF64ConvertI64S:
      return true;
    default:
      return false;
  }
}

uint32_t Helper(JitEmitter& e, const JitHelper& h, uint32_t w, const uint32_t* ip) {
  Assembler& a = e.a;
  e.SpillSlots();  // the helper is a call: it reads and writes the frame, and takes registers
  switch (h.form) {
    case JitHelperForm::kUnary:
      a.Mov(k64, rdi, JitSlot(ip[3]));
      e.CallHelper(h.address);
      a.Mov(k64, JitSlot(ip[2]), rax);
      return 4;
    case JitHelperForm::kBinary:
      a.Mov(k64, rdi, JitSlot(ip[3]));
      a.Mov(k64, rsi, JitSlot(ip[4]));
      e.CallHelper(h.address);
      a.Mov(k64, JitSlot(ip[2]), rax);
      return 5;
    case JitHelperForm::kTrapping:
      a.Mov(k64, rdi, JitSlot(ip[3]));
      a.Lea(k64, rsi, JitSlot(ip[2]));
      e.CallHelper(h.address);
      a.Test(k32, rax, rax);
      a.Jcc(kNE, e.Trap(kJitDynamicTrap, w));
      return 4;
    case JitHelperForm::kRefill:
    case JitHelperForm::kInstance:
    case JitHelperForm::kResolve:
      break;  // emitted where they are used (function_jit.cc): 0 says "not here"
  }
  return 0;
}

// A float compare into a slot: 1 or 0, false for unordered but Ne.
uint32_t Compare(JitEmitter& e, const Sse& t, Op op, const uint32_t* ip) {
  Assembler& a = e.a;
  const Xmm x = e.FloatIn(F64(t), xmm0, ip[3]);
  const Xmm y = e.FloatIn(F64(t), xmm1, ip[4]);
  const bool lt_le = op == Op::kF32Lt || op == Op::kF32Le || op == Op::kF64Lt || op == Op::kF64Le;
  // a < b is b > a: "above" is false for unordered, as Wasm wants.
  if (lt_le) {
    a.Sse(t.ucomi, 0x2e, y, x);
  } else {
    a.Sse(t.ucomi, 0x2e, x, y);
  }
  switch (op) {
    case Op::kF32Eq: case Op::kF64Eq:
      a.Setcc(kE, rax);
      a.Movzx8(rax, rax);
      a.Setcc(kNP, rcx);
      a.Movzx8(rcx, rcx);
      a.Op(Alu::kAnd, k32, rax, rcx);
      break;
    case Op::kF32Ne: case Op::kF64Ne:
      a.Setcc(kNE, rax);
      a.Movzx8(rax, rax);
      a.Setcc(kP, rcx);
      a.Movzx8(rcx, rcx);
      a.Op(Alu::kOr, k32, rax, rcx);
      break;
    case Op::kF32Lt: case Op::kF64Lt: case Op::kF32Gt: case Op::kF64Gt:
      a.Setcc(kA, rax);
      a.Movzx8(rax, rax);
      break;
    default:  // Le, Ge
      a.Setcc(kAE, rax);
      a.Movzx8(rax, rax);
      break;
  }
  e.StoreSlot(ip[2], rax);
  return 5;
}

}  // namespace

uint32_t EmitFloat(JitEmitter& e, Op op, uint32_t w, const uint32_t* ip) {
  Assembler& a = e.a;
  for (JitHelperForm form : {JitHelperForm::kUnary, JitHelperForm::kBinary, JitHelperForm::kTrapping}) {
    if (const JitHelper* h = FindJitHelper(op, form); h != nullptr) return Helper(e, *h, w, ip);
  }
  const Sse& t = IsF64(op) ? kF64 : kF32;
  const Width iw = IsF64(op) ? k64 : k32;
  switch (op) {
    case Op::kF32Add: case Op::kF32Sub: case Op::kF32Mul: case Op::kF32Div:
    case Op::kF64Add: case Op::kF64Sub: case Op::kF64Mul: case Op::kF64Div: {
      uint32_t a_slot = ip[3], b_slot = ip[4];
      // An add or multiply commutes: computed in b's register when b is
      // read here for the last time and a is not.
      if ((op == Op::kF64Add || op == Op::kF64Mul) && a_slot != b_slot && ip[2] != a_slot &&
          !e.LastReadInXmm(a_slot) && e.LastReadInXmm(b_slot)) {
        a_slot = ip[4];
        b_slot = ip[3];
      }
      const Xmm x = e.BeginFloat(F64(t), ip[2], a_slot, ip[2] == b_slot);
      ArithSlot(e, t, ArithOpcode(op), x, b_slot);
      StoreResult(e, t, ip[2], x);
      return 5;
    }
    case Op::kF32AddImm: case Op::kF32SubImm: case Op::kF32MulImm: case Op::kF32DivImm:
    case Op::kF64AddImm: case Op::kF64SubImm: case Op::kF64MulImm: case Op::kF64DivImm:
    {
      a.MovImm(rax, iw == k32 ? ip[4] : e.Word64(w + 4));
      a.MovdToXmm(iw, xmm1, rax);
      const Xmm x = e.BeginFloat(F64(t), ip[2], ip[3], false);
      a.Sse(t.prefix, ArithOpcode(op), x, xmm1);
      StoreResult(e, t, ip[2], x);
      return iw == k32 ? 5 : 6;
    }
    case Op::kF32AddLoad: case Op::kF32SubLoad: case Op::kF32MulLoad:
    case Op::kF64AddLoad: case Op::kF64SubLoad: case Op::kF64MulLoad:
      // dst x addr offset: x <op> load(addr + offset).
    {
      if (F64(t) && ip[2] != ip[3] && op != Op::kF64SubLoad) {
        // It commutes: the load goes straight to dst's register.
        const Mem at = e.Address(ip[4], ip[5], 8, w);
        const Xmm x = e.FloatIn(true, xmm1, ip[3]);
        const Xmm d = e.FloatResult(ip[2]);  // x's register was just used: not the one taken
        a.Sse(t.prefix, 0x10, d, at);
        a.Sse(t.prefix, ArithOpcode(op), d, x);
        StoreResult(e, t, ip[2], d);
        return 6;
      }
      // The access's operand stays good: nothing BeginFloat emits takes
      // rax or the address's register, which was just used.
      const Mem at = e.Address(ip[4], ip[5], iw == k32 ? 4 : 8, w);
      const Xmm x = e.BeginFloat(F64(t), ip[2], ip[3], false);
      a.Sse(t.prefix, ArithOpcode(op), x, at);
      StoreResult(e, t, ip[2], x);
      return 6;
    }
    case Op::kF32MulAdd: case Op::kF32MulSub: case Op::kF64MulAdd: case Op::kF64MulSub:
    {
      // dst a b c: (a * b) +/- c, each rounded (never fused).
      const Xmm x = e.BeginFloat(F64(t), ip[2], ip[3], ip[2] == ip[4] || ip[2] == ip[5]);
      ArithSlot(e, t, 0x59, x, ip[4]);
      ArithSlot(e, t, op == Op::kF32MulAdd || op == Op::kF64MulAdd ? 0x58 : 0x5c, x, ip[5]);
      StoreResult(e, t, ip[2], x);
      return 6;
    }
    case Op::kF32SubMul: case Op::kF64SubMul:
    {
      // dst a b c: c - (a * b).
      LoadOperand(e, t, xmm1, ip[3]);  // BeginFloat may take xmm0
      ArithSlot(e, t, 0x59, xmm1, ip[4]);
      const Xmm x = e.BeginFloat(F64(t), ip[2], ip[5], false);  // a and b are read already
      a.Sse(t.prefix, 0x5c, x, xmm1);
      StoreResult(e, t, ip[2], x);
      return 6;
    }
    case Op::kF32Sqrt: case Op::kF64Sqrt: {
      const Xmm x = e.BeginFloat(F64(t), ip[2], ip[3], false);
      a.Sse(t.prefix, 0x51, x, x);
      StoreResult(e, t, ip[2], x);
      return 4;
    }
    case Op::kF32Nearest: case Op::kF32Floor: case Op::kF32Ceil: case Op::kF32Trunc:
    case Op::kF64Nearest: case Op::kF64Floor: case Op::kF64Ceil: case Op::kF64Trunc: {
      // Bit 3 suppresses the inexact exception; the mode is the low two bits.
      const uint8_t mode = op == Op::kF32Nearest || op == Op::kF64Nearest ? 8
                           : op == Op::kF32Floor || op == Op::kF64Floor   ? 9
                           : op == Op::kF32Ceil || op == Op::kF64Ceil     ? 10
                                                                          : 11;
      const Xmm x = e.BeginFloat(F64(t), ip[2], ip[3], false);
      a.SseImm(0x66, static_cast<uint16_t>(0x3a00 | t.round), x, x, mode);
      StoreResult(e, t, ip[2], x);
      return 4;
    }
    case Op::kF32Eq: case Op::kF32Ne: case Op::kF32Lt: case Op::kF32Gt: case Op::kF32Le: case Op::kF32Ge:
    case Op::kF64Eq: case Op::kF64Ne: case Op::kF64Lt: case Op::kF64Gt: case Op::kF64Le: case Op::kF64Ge:
      return Compare(e, t, op, ip);
    case Op::kF32Abs: case Op::kF32Neg:
      e.LoadSlot(k32, rax, ip[3]);
      if (op == Op::kF32Abs) {
        a.OpImm(Alu::kAnd, k32, rax, 0x7fffffff);
      } else {
        a.OpImm(Alu::kXor, k32, rax, INT32_MIN);
      }
      e.StoreSlot(ip[2], rax);
      return 4;
    case Op::kF64Abs: case Op::kF64Neg: {
      // andpd / xorpd with the mask: only the low lane's bits matter.
      a.MovImm(rcx, op == Op::kF64Abs ? 0x7fffffffffffffffull : 0x8000000000000000ull);
      a.MovdToXmm(k64, xmm1, rcx);
      const Xmm x = e.BeginFloat(true, ip[2], ip[3], false);
      a.Sse(0x66, op == Op::kF64Abs ? 0x54 : 0x57, x, xmm1);
      StoreResult(e, t, ip[2], x);
      return 4;
    }
    case Op::kF32Copysign: case Op::kF64Copysign: {
      const uint64_t sign = iw == k32 ? 0x80000000ull : 0x8000000000000000ull;
      e.LoadSlot(iw, rax, ip[3]);
      e.LoadSlot(iw, rcx, ip[4]);
      a.MovImm(rdx, sign);
      a.Op(Alu::kAnd, iw, rcx, rdx);  // b's sign
      a.Not(iw, rdx);
      a.Op(Alu::kAnd, iw, rax, rdx);  // a's magnitude
      a.Op(Alu::kOr, iw, rax, rcx);
      e.StoreSlot(ip[2], rax);
      return 5;
    }
    case Op::kF32ConvertI32S: case Op::kF64ConvertI32S:
      e.LoadSlot(k32, rax, ip[3]);
      a.CvtIntToFloat(t.prefix, k32, xmm0, rax);
      StoreResult(e, t, ip[2], xmm0);
      return 4;
    case Op::kF32ConvertI32U: case Op::kF64ConvertI32U:
      // Zero-extended to 64 bits, every u32 converts exactly as a signed i64.
      e.LoadSlot(k32, rax, ip[3]);
      a.CvtIntToFloat(t.prefix, k64, xmm0, rax);
      StoreResult(e, t, ip[2], xmm0);
      return 4;
    case Op::kF32ConvertI64S: case Op::kF64ConvertI64S:
      e.LoadSlot(k64, rax, ip[3]);
      a.CvtIntToFloat(op == Op::kF32ConvertI64S ? kF32.prefix : kF64.prefix, k64, xmm0, rax);
      StoreResult(e, op == Op::kF32ConvertI64S ? kF32 : kF64, ip[2], xmm0);
      return 4;
    default:
      return 0;
  }
}

}  // namespace palisade::wasm
