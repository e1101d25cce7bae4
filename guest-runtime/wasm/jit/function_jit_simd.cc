// The compiler tier's v128 instructions (operand words: compile/simd_opcodes.h).
// A v128 lives in two frame slots, which are only 8-byte aligned, and legacy
// SSE faults on a misaligned 16-byte memory operand: every operand is loaded
// with movdqu, worked on in xmm0-xmm5 and stored back with movdqu (8-byte
// memory operands -- pmovsx/zx, cvtps2pd, cvtdq2pd -- read a slot directly).
// Everything is inline SSE to SSE4.1 (SSSE3's pshufb, pabs, pmaddubsw and
// pmulhrsw included), or integer code where SSE4.1 has no instruction for
// the lane width (i64x2 signed compares, shr_s and mul). Where Wasm's rules
// are not one instruction's (float min/max, saturating truncations,
// unsigned conversions), the sequence computes exactly what the
// interpreter's scalar numerics (interpreter_numerics.h) do, lane by lane.
#include <stddef.h>

#include "wasm/compile/simd_opcodes.h"
#include "wasm/jit/jit_context.h"
#include "wasm/jit/jit_emitter.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {
namespace {

using namespace x64;  // NOLINT: the assembler's registers read best bare

constexpr uint8_t k66 = 0x66;

// Byte `byte` of the v128 in slot `slot` (and the slot after it).
Mem Lane(uint32_t slot, uint32_t byte) { return Mem{kJitFrame, static_cast<int32_t>(slot * 8 + byte)}; }

void LoadV(Assembler& a, Xmm x, uint32_t slot) { a.Sse(0xf3, 0x6f, x, JitSlot(slot)); }
void StoreV(Assembler& a, uint32_t slot, Xmm x) { a.SseStore(0xf3, 0x7f, JitSlot(slot), x); }
void CopyV(Assembler& a, Xmm dst, Xmm src) { a.Sse(k66, 0x6f, dst, src); }  // movdqa
void ZeroV(Assembler& a, Xmm x) { a.Sse(k66, 0xef, x, x); }
void NotV(Assembler& a, Xmm x, Xmm scratch) {
  a.Sse(k66, 0x76, scratch, scratch);  // pcmpeqd: all ones
  a.Sse(k66, 0xef, x, scratch);
}
// Both 64-bit halves of x = v (clobbers rax).
void Splat64(Assembler& a, Xmm x, uint64_t v) {
  a.MovImm(rax, v);
  a.MovdToXmm(k64, x, rax);
  a.Sse(k66, 0x6c, x, x);  // punpcklqdq
}
// x = hi:lo (clobbers rax and scratch).
void Const128(Assembler& a, Xmm x, Xmm scratch, uint64_t lo, uint64_t hi) {
  a.MovImm(rax, lo);
  a.MovdToXmm(k64, x, rax);
  a.MovImm(rax, hi);
  a.MovdToXmm(k64, scratch, rax);
  a.Sse(k66, 0x6c, x, scratch);
}
void StorePair(Assembler& a, uint32_t slot, Reg lo, Reg hi) {
  a.Mov(k64, Lane(slot, 0), lo);
  a.Mov(k64, Lane(slot, 8), hi);
}

// Integer lanes of 1, 2, 4 or 8 bytes, zero-extended, between memory and a register.
void LoadSized(Assembler& a, Reg dst, const Mem& m, int size) {
  if (size == 1) a.Movzx8(dst, m);
  if (size == 2) a.Movzx16(dst, m);
  if (size == 4) a.Mov(k32, dst, m);
  if (size == 8) a.Mov(k64, dst, m);
}
void StoreSized(Assembler& a, const Mem& m, Reg src, int size) {
  if (size == 1) a.Mov8(m, src);
  if (size == 2) a.Mov16(m, src);
  if (size == 4) a.Mov(k32, m, src);
  if (size == 8) a.Mov(k64, m, src);
}
// A zero-extended lane in rax repeated over all 64 bits (clobbers rcx).
void RepeatRax(Assembler& a, int size) {
  if (size == 8) return;
  a.MovImm(rcx, size == 1 ? 0x0101010101010101ull : size == 2 ? 0x0001000100010001ull : 0x0000000100000001ull);
  a.Imul(k64, rax, rcx);
}

// --- memory --------------------------------------------------------------------

struct MemForm {
  Op op;
  int size;        // bytes accessed
  uint16_t sse;    // an SSE load (66 prefix) from memory into xmm0, or 0
};
constexpr MemForm kLoads[] = {
    {Op::kV128Load8x8S, 8, 0x3820}, {Op::kV128Load8x8U, 8, 0x3830}, {Op::kV128Load16x4S, 8, 0x3823},
    {Op::kV128Load16x4U, 8, 0x3833}, {Op::kV128Load32x2S, 8, 0x3825}, {Op::kV128Load32x2U, 8, 0x3835},
    {Op::kV128Load8Splat, 1, 0}, {Op::kV128Load16Splat, 2, 0}, {Op::kV128Load32Splat, 4, 0},
    {Op::kV128Load64Splat, 8, 0}, {Op::kV128Load32Zero, 4, 0}, {Op::kV128Load64Zero, 8, 0},
    {Op::kV128Load8Lane, 1, 0}, {Op::kV128Load16Lane, 2, 0}, {Op::kV128Load32Lane, 4, 0},
    {Op::kV128Load64Lane, 8, 0}, {Op::kV128Store8Lane, 1, 0}, {Op::kV128Store16Lane, 2, 0},
    {Op::kV128Store32Lane, 4, 0}, {Op::kV128Store64Lane, 8, 0}, {Op::kV128Load, 16, 0},
    {Op::kV128Store, 16, 0}};

// Bounds are checked by JitEmitter::Address before anything is written, so
// a trapping access leaves the frame as the interpreter leaves it.
bool Memory(JitEmitter& e, const SimdOpcode& s, uint32_t w, const uint32_t* ip) {
  Assembler& a = e.a;
  const MemForm* f = nullptr;
  for (const MemForm& m : kLoads) {
    if (m.op == s.op) f = &m;
  }
  if (f == nullptr) return false;
  Mem at{kJitMemBase};
  switch (s.form) {
    case SimdForm::kLoad:  // dst addr offset
      at = e.Address(ip[3], ip[4], f->size, w);
      if (f->size == 16 || f->sse != 0) {
        a.Sse(f->size == 16 ? 0xf3 : k66, f->size == 16 ? 0x6f : f->sse, xmm0, at);
        StoreV(a, ip[2], xmm0);
        return true;
      }
      LoadSized(a, rax, at, f->size);
      if (s.op == Op::kV128Load32Zero || s.op == Op::kV128Load64Zero) {
        a.Mov(k64, Lane(ip[2], 0), rax);
        a.MovImm32(k64, Lane(ip[2], 8), 0);
        return true;
      }
      RepeatRax(a, f->size);
      StorePair(a, ip[2], rax, rax);
      return true;
    case SimdForm::kStore:  // addr src offset
      at = e.Address(ip[2], ip[4], 16, w);
      LoadV(a, xmm0, ip[3]);
      a.SseStore(0xf3, 0x7f, at, xmm0);
      return true;
    case SimdForm::kLoadLane:  // dst addr vec offset lane
      at = e.Address(ip[3], ip[5], f->size, w);
      LoadSized(a, rcx, at, f->size);
      LoadV(a, xmm0, ip[4]);
      StoreV(a, ip[2], xmm0);
      StoreSized(a, Lane(ip[2], ip[6] * f->size), rcx, f->size);
      return true;
    case SimdForm::kStoreLane:  // addr vec offset lane
      at = e.Address(ip[2], ip[4], f->size, w);
      LoadSized(a, rcx, Lane(ip[3], ip[5] * f->size), f->size);
      StoreSized(a, at, rcx, f->size);
      return true;
    default:
      return false;
  }
}

// --- constants, lanes, select ------------------------------------------------------

int ScalarSize(const SimdOpcode& s) { return 16 / s.lanes; }

bool Lanes(JitEmitter& e, const SimdOpcode& s, uint32_t w, const uint32_t* ip) {
  Assembler& a = e.a;
  switch (s.form) {
    case SimdForm::kConst:  // dst, 16 bytes in four words
      a.MovImm(rax, e.Word64(w + 3));
      a.Mov(k64, Lane(ip[2], 0), rax);
      a.MovImm(rax, e.Word64(w + 5));
      a.Mov(k64, Lane(ip[2], 8), rax);
      return true;
    case SimdForm::kSplat:  // dst scalar
      LoadSized(a, rax, JitSlot(ip[3]), ScalarSize(s));
      RepeatRax(a, ScalarSize(s));
      StorePair(a, ip[2], rax, rax);
      return true;
    case SimdForm::kExtract: {  // dst vec lane
      const int size = ScalarSize(s);
      const Mem lane = Lane(ip[3], ip[4] * size);
      if (s.op == Op::kI8x16ExtractLaneS) {
        a.Movsx8(k32, rax, lane);
      } else if (s.op == Op::kI16x8ExtractLaneS) {
        a.Movsx16(k32, rax, lane);
      } else {
        LoadSized(a, rax, lane, size);
      }
      a.Mov(k64, JitSlot(ip[2]), rax);
      return true;
    }
    case SimdForm::kReplace:  // dst vec scalar lane; the scalar is read first (dst may be its slot)
      a.Mov(k64, rcx, JitSlot(ip[4]));
      LoadV(a, xmm0, ip[3]);
      StoreV(a, ip[2], xmm0);
      StoreSized(a, Lane(ip[2], ip[5] * ScalarSize(s)), rcx, ScalarSize(s));
      return true;
    case SimdForm::kShuffle: {  // dst a b, 16 lane indices in four words
      // One pshufb of each operand, a lane index >= 16 (or < 16) zeroing
      // that byte (index with the top bit set) in the other's.
      uint8_t lanes[16];
      __builtin_memcpy(lanes, ip + 5, 16);
      uint64_t from_a[2] = {0, 0}, from_b[2] = {0, 0};
      for (int i = 0; i < 16; ++i) {
        const uint64_t pa = lanes[i] < 16 ? lanes[i] : 0x80, pb = lanes[i] >= 16 ? lanes[i] - 16u : 0x80;
        from_a[i / 8] |= pa << (8 * (i % 8));
        from_b[i / 8] |= pb << (8 * (i % 8));
      }
      LoadV(a, xmm0, ip[3]);
      LoadV(a, xmm1, ip[4]);
      Const128(a, xmm2, xmm3, from_a[0], from_a[1]);
      a.Sse(k66, 0x3800, xmm0, xmm2);
      Const128(a, xmm2, xmm3, from_b[0], from_b[1]);
      a.Sse(k66, 0x3800, xmm1, xmm2);
      a.Sse(k66, 0xeb, xmm0, xmm1);
      StoreV(a, ip[2], xmm0);
      return true;
    }
    default:
      return false;
  }
}

// --- one SSE instruction --------------------------------------------------------------

// dst = a <op> b (swap: b <op> a), inverted afterwards for the compares
// that are another's negation; imm >= 0 is cmpps/cmppd's predicate.
struct Binary {
  Op op;
  uint8_t prefix;
  uint16_t opcode;
  bool swap;
  bool invert;
  int16_t imm;
};
constexpr bool S = true, N = false;
constexpr Binary kBinaries[] = {
    {Op::kV128And, k66, 0xdb, N, N, -1}, {Op::kV128Or, k66, 0xeb, N, N, -1},
    {Op::kV128Xor, k66, 0xef, N, N, -1}, {Op::kV128Andnot, k66, 0xdf, S, N, -1},  // pandn: ~b & a
    {Op::kI8x16Add, k66, 0xfc, N, N, -1}, {Op::kI16x8Add, k66, 0xfd, N, N, -1},
    {Op::kI32x4Add, k66, 0xfe, N, N, -1}, {Op::kI64x2Add, k66, 0xd4, N, N, -1},
    {Op::kI8x16Sub, k66, 0xf8, N, N, -1}, {Op::kI16x8Sub, k66, 0xf9, N, N, -1},
    {Op::kI32x4Sub, k66, 0xfa, N, N, -1}, {Op::kI64x2Sub, k66, 0xfb, N, N, -1},
    {Op::kI8x16AddSatS, k66, 0xec, N, N, -1}, {Op::kI8x16AddSatU, k66, 0xdc, N, N, -1},
    {Op::kI8x16SubSatS, k66, 0xe8, N, N, -1}, {Op::kI8x16SubSatU, k66, 0xd8, N, N, -1},
    {Op::kI16x8AddSatS, k66, 0xed, N, N, -1}, {Op::kI16x8AddSatU, k66, 0xdd, N, N, -1},
    {Op::kI16x8SubSatS, k66, 0xe9, N, N, -1}, {Op::kI16x8SubSatU, k66, 0xd9, N, N, -1},
    {Op::kI8x16AvgrU, k66, 0xe0, N, N, -1}, {Op::kI16x8AvgrU, k66, 0xe3, N, N, -1},
    {Op::kI16x8Mul, k66, 0xd5, N, N, -1}, {Op::kI32x4Mul, k66, 0x3840, N, N, -1},
    {Op::kI8x16MinS, k66, 0x3838, N, N, -1}, {Op::kI8x16MinU, k66, 0xda, N, N, -1},
    {Op::kI8x16MaxS, k66, 0x383c, N, N, -1}, {Op::kI8x16MaxU, k66, 0xde, N, N, -1},
    {Op::kI16x8MinS, k66, 0xea, N, N, -1}, {Op::kI16x8MinU, k66, 0x383a, N, N, -1},
    {Op::kI16x8MaxS, k66, 0xee, N, N, -1}, {Op::kI16x8MaxU, k66, 0x383e, N, N, -1},
    {Op::kI32x4MinS, k66, 0x3839, N, N, -1}, {Op::kI32x4MinU, k66, 0x383b, N, N, -1},
    {Op::kI32x4MaxS, k66, 0x383d, N, N, -1}, {Op::kI32x4MaxU, k66, 0x383f, N, N, -1},
    {Op::kI8x16NarrowI16x8S, k66, 0x63, N, N, -1}, {Op::kI8x16NarrowI16x8U, k66, 0x67, N, N, -1},
    {Op::kI16x8NarrowI32x4S, k66, 0x6b, N, N, -1}, {Op::kI16x8NarrowI32x4U, k66, 0x382b, N, N, -1},
    {Op::kI32x4DotI16x8S, k66, 0xf5, N, N, -1},
    // Signed compares: eq and gt are instructions; lt swaps, le and ge negate.
    {Op::kI8x16Eq, k66, 0x74, N, N, -1}, {Op::kI8x16Ne, k66, 0x74, N, S, -1},
    {Op::kI8x16GtS, k66, 0x64, N, N, -1}, {Op::kI8x16LtS, k66, 0x64, S, N, -1},
    {Op::kI8x16LeS, k66, 0x64, N, S, -1}, {Op::kI8x16GeS, k66, 0x64, S, S, -1},
    {Op::kI16x8Eq, k66, 0x75, N, N, -1}, {Op::kI16x8Ne, k66, 0x75, N, S, -1},
    {Op::kI16x8GtS, k66, 0x65, N, N, -1}, {Op::kI16x8LtS, k66, 0x65, S, N, -1},
    {Op::kI16x8LeS, k66, 0x65, N, S, -1}, {Op::kI16x8GeS, k66, 0x65, S, S, -1},
    {Op::kI32x4Eq, k66, 0x76, N, N, -1}, {Op::kI32x4Ne, k66, 0x76, N, S, -1},
    {Op::kI32x4GtS, k66, 0x66, N, N, -1}, {Op::kI32x4LtS, k66, 0x66, S, N, -1},
    {Op::kI32x4LeS, k66, 0x66, N, S, -1}, {Op::kI32x4GeS, k66, 0x66, S, S, -1},
    {Op::kI64x2Eq, k66, 0x3829, N, N, -1}, {Op::kI64x2Ne, k66, 0x3829, N, S, -1},
    // Floats: arithmetic; pmin is b < a ? b : a, which minps(b, a) is
    // exactly (NaNs and zeros included), and pmax a < b ? b : a = maxps(b, a).
    {Op::kF32x4Add, 0, 0x58, N, N, -1}, {Op::kF32x4Sub, 0, 0x5c, N, N, -1},
    {Op::kF32x4Mul, 0, 0x59, N, N, -1}, {Op::kF32x4Div, 0, 0x5e, N, N, -1},
    {Op::kF64x2Add, k66, 0x58, N, N, -1}, {Op::kF64x2Sub, k66, 0x5c, N, N, -1},
    {Op::kF64x2Mul, k66, 0x59, N, N, -1}, {Op::kF64x2Div, k66, 0x5e, N, N, -1},
    {Op::kF32x4Pmin, 0, 0x5d, S, N, -1}, {Op::kF32x4Pmax, 0, 0x5f, S, N, -1},
    {Op::kF64x2Pmin, k66, 0x5d, S, N, -1}, {Op::kF64x2Pmax, k66, 0x5f, S, N, -1},
    // cmpps predicates: 0 eq, 1 lt, 2 le, 4 neq (true when unordered, as != is).
    {Op::kF32x4Eq, 0, 0xc2, N, N, 0}, {Op::kF32x4Ne, 0, 0xc2, N, N, 4},
    {Op::kF32x4Lt, 0, 0xc2, N, N, 1}, {Op::kF32x4Gt, 0, 0xc2, S, N, 1},
    {Op::kF32x4Le, 0, 0xc2, N, N, 2}, {Op::kF32x4Ge, 0, 0xc2, S, N, 2},
    {Op::kF64x2Eq, k66, 0xc2, N, N, 0}, {Op::kF64x2Ne, k66, 0xc2, N, N, 4},
    {Op::kF64x2Lt, k66, 0xc2, N, N, 1}, {Op::kF64x2Gt, k66, 0xc2, S, N, 1},
    {Op::kF64x2Le, k66, 0xc2, N, N, 2}, {Op::kF64x2Ge, k66, 0xc2, S, N, 2},
};

// Unsigned compares: a <= b is a == min(a, b), a >= b is a == max(a, b);
// lt and gt are their negations.
struct Unsigned {
  Op op;
  uint16_t min_or_max;
  uint16_t eq;
  bool invert;
};
constexpr Unsigned kUnsigned[] = {
    {Op::kI8x16LeU, 0xda, 0x74, N}, {Op::kI8x16GtU, 0xda, 0x74, S},
    {Op::kI8x16GeU, 0xde, 0x74, N}, {Op::kI8x16LtU, 0xde, 0x74, S},
    {Op::kI16x8LeU, 0x383a, 0x75, N}, {Op::kI16x8GtU, 0x383a, 0x75, S},
    {Op::kI16x8GeU, 0x383e, 0x75, N}, {Op::kI16x8LtU, 0x383e, 0x75, S},
    {Op::kI32x4LeU, 0x383b, 0x76, N}, {Op::kI32x4GtU, 0x383b, 0x76, S},
    {Op::kI32x4GeU, 0x383f, 0x76, N}, {Op::kI32x4LtU, 0x383f, 0x76, S},
};

// dst = <op> a: from an xmm register (imm >= 0: roundps/pd's mode), or
// from the low or high 8 bytes of a's slots.
enum class From : uint8_t { kReg, kLow, kHigh };
struct Unary {
  Op op;
  uint8_t prefix;
  uint16_t opcode;
  From from;
  int16_t imm;
};
constexpr Unary kUnaries[] = {
    {Op::kI8x16Abs, k66, 0x381c, From::kReg, -1}, {Op::kI16x8Abs, k66, 0x381d, From::kReg, -1},
    {Op::kI32x4Abs, k66, 0x381e, From::kReg, -1},
    {Op::kF32x4Sqrt, 0, 0x51, From::kReg, -1}, {Op::kF64x2Sqrt, k66, 0x51, From::kReg, -1},
    // Rounding as interpreter_numerics.h: 8 + the mode (no inexact exception).
    {Op::kF32x4Nearest, k66, 0x3a08, From::kReg, 8}, {Op::kF32x4Floor, k66, 0x3a08, From::kReg, 9},
    {Op::kF32x4Ceil, k66, 0x3a08, From::kReg, 10}, {Op::kF32x4Trunc, k66, 0x3a08, From::kReg, 11},
    {Op::kF64x2Nearest, k66, 0x3a09, From::kReg, 8}, {Op::kF64x2Floor, k66, 0x3a09, From::kReg, 9},
    {Op::kF64x2Ceil, k66, 0x3a09, From::kReg, 10}, {Op::kF64x2Trunc, k66, 0x3a09, From::kReg, 11},
    // The same conversions, lane by lane, as the interpreter's casts.
    {Op::kF32x4ConvertI32x4S, 0, 0x5b, From::kReg, -1},
    {Op::kF32x4DemoteF64x2Zero, k66, 0x5a, From::kReg, -1},
    {Op::kF64x2PromoteLowF32x4, 0, 0x5a, From::kLow, -1},
    {Op::kF64x2ConvertLowI32x4S, 0xf3, 0xe6, From::kLow, -1},
    {Op::kI16x8ExtendLowI8x16S, k66, 0x3820, From::kLow, -1},
    {Op::kI16x8ExtendHighI8x16S, k66, 0x3820, From::kHigh, -1},
    {Op::kI16x8ExtendLowI8x16U, k66, 0x3830, From::kLow, -1},
    {Op::kI16x8ExtendHighI8x16U, k66, 0x3830, From::kHigh, -1},
    {Op::kI32x4ExtendLowI16x8S, k66, 0x3823, From::kLow, -1},
    {Op::kI32x4ExtendHighI16x8S, k66, 0x3823, From::kHigh, -1},
    {Op::kI32x4ExtendLowI16x8U, k66, 0x3833, From::kLow, -1},
    {Op::kI32x4ExtendHighI16x8U, k66, 0x3833, From::kHigh, -1},
    {Op::kI64x2ExtendLowI32x4S, k66, 0x3825, From::kLow, -1},
    {Op::kI64x2ExtendHighI32x4S, k66, 0x3825, From::kHigh, -1},
    {Op::kI64x2ExtendLowI32x4U, k66, 0x3835, From::kLow, -1},
    {Op::kI64x2ExtendHighI32x4U, k66, 0x3835, From::kHigh, -1},
};

// Extended multiplies: both halves widened (pmovsx/zx from the slot), then
// a multiply keeping the low product bits -- the widened product always fits.
struct Extmul {
  Op op;
  uint16_t extend;
  uint16_t mul;
  bool high;
};
constexpr Extmul kExtmuls[] = {
    {Op::kI16x8ExtmulLowI8x16S, 0x3820, 0xd5, N}, {Op::kI16x8ExtmulHighI8x16S, 0x3820, 0xd5, S},
    {Op::kI16x8ExtmulLowI8x16U, 0x3830, 0xd5, N}, {Op::kI16x8ExtmulHighI8x16U, 0x3830, 0xd5, S},
    {Op::kI32x4ExtmulLowI16x8S, 0x3823, 0x3840, N}, {Op::kI32x4ExtmulHighI16x8S, 0x3823, 0x3840, S},
    {Op::kI32x4ExtmulLowI16x8U, 0x3833, 0x3840, N}, {Op::kI32x4ExtmulHighI16x8U, 0x3833, 0x3840, S},
    // pmuldq / pmuludq multiply the low dword of each qword, sign- or zero-extended.
    {Op::kI64x2ExtmulLowI32x4S, 0x3825, 0x3828, N}, {Op::kI64x2ExtmulHighI32x4S, 0x3825, 0x3828, S},
    {Op::kI64x2ExtmulLowI32x4U, 0x3835, 0xf4, N}, {Op::kI64x2ExtmulHighI32x4U, 0x3835, 0xf4, S},
};

bool Tables(Assembler& a, Op op, const uint32_t* ip) {
  for (const Binary& b : kBinaries) {
    if (b.op != op) continue;
    LoadV(a, xmm0, b.swap ? ip[4] : ip[3]);
    LoadV(a, xmm1, b.swap ? ip[3] : ip[4]);
    if (b.imm >= 0) {
      a.SseImm(b.prefix, b.opcode, xmm0, xmm1, static_cast<uint8_t>(b.imm));
    } else {
      a.Sse(b.prefix, b.opcode, xmm0, xmm1);
    }
    if (b.invert) NotV(a, xmm0, xmm1);
    StoreV(a, ip[2], xmm0);
    return true;
  }
  for (const Unsigned& u : kUnsigned) {
    if (u.op != op) continue;
    LoadV(a, xmm0, ip[3]);
    LoadV(a, xmm1, ip[4]);
    a.Sse(k66, u.min_or_max, xmm1, xmm0);
    a.Sse(k66, u.eq, xmm0, xmm1);
    if (u.invert) NotV(a, xmm0, xmm1);
    StoreV(a, ip[2], xmm0);
    return true;
  }
  for (const Unary& u : kUnaries) {
    if (u.op != op) continue;
    if (u.from == From::kReg) {
      LoadV(a, xmm1, ip[3]);
      if (u.imm >= 0) {
        a.SseImm(u.prefix, u.opcode, xmm0, xmm1, static_cast<uint8_t>(u.imm));
      } else {
        a.Sse(u.prefix, u.opcode, xmm0, xmm1);
      }
    } else {
      a.Sse(u.prefix, u.opcode, xmm0, Lane(ip[3], u.from == From::kHigh ? 8 : 0));
    }
    StoreV(a, ip[2], xmm0);
    return true;
  }
  for (const Extmul& m : kExtmuls) {
    if (m.op != op) continue;
    a.Sse(k66, m.extend, xmm0, Lane(ip[3], m.high ? 8 : 0));
    a.Sse(k66, m.extend, xmm1, Lane(ip[4], m.high ? 8 : 0));
    a.Sse(k66, m.mul, xmm0, xmm1);
    StoreV(a, ip[2], xmm0);
    return true;
  }
  return false;
}

// --- sequences ---------------------------------------------------------------------------

// NaN lanes of x to +0 (prefix: 0 for f32 lanes, 66 for f64).
void ZeroNanLanes(Assembler& a, uint8_t prefix, Xmm x, Xmm scratch) {
  CopyV(a, scratch, x);
  a.SseImm(prefix, 0xc2, scratch, scratch, 0);  // cmpeq: all ones unless NaN
  a.Sse(k66, 0xdb, x, scratch);
}

// Unary instructions longer than one SSE instruction: dst a.
bool UnarySequence(Assembler& a, Op op, const uint32_t* ip) {
  const uint32_t dst = ip[2], src = ip[3];
  uint16_t sub = 0;  // neg: 0 - a
  switch (op) {
    case Op::kI8x16Neg: sub = 0xf8; break;
    case Op::kI16x8Neg: sub = 0xf9; break;
    case Op::kI32x4Neg: sub = 0xfa; break;
    case Op::kI64x2Neg: sub = 0xfb; break;
    default: break;
  }
  if (sub != 0) {
    LoadV(a, xmm1, src);
    ZeroV(a, xmm0);
    a.Sse(k66, sub, xmm0, xmm1);
    StoreV(a, dst, xmm0);
    return true;
  }
  switch (op) {
    case Op::kV128Not:
      LoadV(a, xmm0, src);
      NotV(a, xmm0, xmm1);
      break;
    case Op::kF32x4Abs: case Op::kF32x4Neg: case Op::kF64x2Abs: case Op::kF64x2Neg: {
      // Bit operations on the sign, exact on NaNs.
      const uint64_t mask = op == Op::kF32x4Abs   ? 0x7fffffff7fffffffull
                            : op == Op::kF32x4Neg ? 0x8000000080000000ull
                            : op == Op::kF64x2Abs ? 0x7fffffffffffffffull
                                                  : 0x8000000000000000ull;
      LoadV(a, xmm0, src);
      Splat64(a, xmm1, mask);
      a.Sse(k66, op == Op::kF32x4Abs || op == Op::kF64x2Abs ? 0xdb : 0xef, xmm0, xmm1);
      break;
    }
    case Op::kI64x2Abs:
      // (a ^ s) - s with s the sign of each qword (psrad gives the high
      // dword's; pshufd copies it over the low one).
      LoadV(a, xmm0, src);
      CopyV(a, xmm1, xmm0);
      a.SseShiftImm(0x72, 4, xmm1, 31);
      a.SseImm(k66, 0x70, xmm1, xmm1, 0xf5);
      a.Sse(k66, 0xef, xmm0, xmm1);
      a.Sse(k66, 0xfb, xmm0, xmm1);
      break;
    case Op::kI8x16Popcnt:
      // Each nibble's count from a 16-byte table (pshufb), summed.
      LoadV(a, xmm0, src);
      CopyV(a, xmm1, xmm0);
      a.SseShiftImm(0x71, 2, xmm1, 4);
      Splat64(a, xmm3, 0x0f0f0f0f0f0f0f0full);
      a.Sse(k66, 0xdb, xmm0, xmm3);
      a.Sse(k66, 0xdb, xmm1, xmm3);
      Const128(a, xmm2, xmm3, 0x0302020102010100ull, 0x0403030203020201ull);
      CopyV(a, xmm3, xmm2);
      a.Sse(k66, 0x3800, xmm2, xmm0);
      a.Sse(k66, 0x3800, xmm3, xmm1);
      a.Sse(k66, 0xfc, xmm2, xmm3);
      CopyV(a, xmm0, xmm2);
      break;
    case Op::kI16x8ExtaddPairwiseI8x16S:
      // pmaddubsw: unsigned bytes of its destination times signed bytes of
      // its source, adjacent products added (never saturating here).
      LoadV(a, xmm1, src);
      Splat64(a, xmm0, 0x0101010101010101ull);
      a.Sse(k66, 0x3804, xmm0, xmm1);
      break;
    case Op::kI16x8ExtaddPairwiseI8x16U:
      LoadV(a, xmm0, src);
      Splat64(a, xmm1, 0x0101010101010101ull);
      a.Sse(k66, 0x3804, xmm0, xmm1);
      break;
    case Op::kI32x4ExtaddPairwiseI16x8S:
      LoadV(a, xmm0, src);
      Splat64(a, xmm1, 0x0001000100010001ull);
      a.Sse(k66, 0xf5, xmm0, xmm1);  // pmaddwd
      break;
    case Op::kI32x4ExtaddPairwiseI16x8U:
      // Biased to signed (x - 0x8000), added by pmaddwd, unbiased (+0x10000).
      LoadV(a, xmm0, src);
      Splat64(a, xmm1, 0x8000800080008000ull);
      a.Sse(k66, 0xef, xmm0, xmm1);
      Splat64(a, xmm1, 0x0001000100010001ull);
      a.Sse(k66, 0xf5, xmm0, xmm1);
      Splat64(a, xmm1, 0x0001000000010000ull);
      a.Sse(k66, 0xfe, xmm0, xmm1);
      break;
    case Op::kF64x2ConvertLowI32x4U:
      // 2^52 + u is exact in a double's mantissa; subtracting 2^52 leaves u.
      a.Sse(k66, 0x3835, xmm0, Lane(src, 0));
      Splat64(a, xmm1, 0x4330000000000000ull);
      a.Sse(k66, 0xeb, xmm0, xmm1);
      a.Sse(k66, 0x5c, xmm0, xmm1);
      break;
    case Op::kF32x4ConvertI32x4U:
      // hi16 * 65536 and lo16 convert exactly; their sum is rounded once,
      // as the interpreter's cast rounds.
      LoadV(a, xmm0, src);
      CopyV(a, xmm1, xmm0);
      a.SseShiftImm(0x72, 2, xmm1, 16);
      a.SseShiftImm(0x72, 6, xmm0, 16);
      a.SseShiftImm(0x72, 2, xmm0, 16);
      a.Sse(0, 0x5b, xmm0, xmm0);
      a.Sse(0, 0x5b, xmm1, xmm1);
      Splat64(a, xmm2, 0x4780000047800000ull);  // 65536.0f
      a.Sse(0, 0x59, xmm1, xmm2);
      a.Sse(0, 0x58, xmm0, xmm1);
      break;
    case Op::kI32x4TruncSatF32x4S:
      // NaN lanes zeroed first; cvttps2dq gives INT32_MIN for everything
      // out of range, which the lanes >= 2^31 flip to INT32_MAX.
      LoadV(a, xmm0, src);
      ZeroNanLanes(a, 0, xmm0, xmm1);
      Splat64(a, xmm2, 0x4f0000004f000000ull);  // 2^31
      a.SseImm(0, 0xc2, xmm2, xmm0, 2);         // 2^31 <= x
      a.Sse(0xf3, 0x5b, xmm0, xmm0);            // cvttps2dq
      a.Sse(k66, 0xef, xmm0, xmm2);
      break;
    case Op::kI32x4TruncSatF32x4U:
      // Negative and NaN lanes to 0 (maxps keeps its second operand
      // unless the first is greater); then x < 2^31 converts directly, x in
      // [2^31, 2^32) as 2^31 | trunc(x - 2^31) (the subtraction is exact),
      // and x >= 2^32 saturates to all ones.
      LoadV(a, xmm0, src);
      ZeroV(a, xmm1);
      a.Sse(0, 0x5f, xmm0, xmm1);
      Splat64(a, xmm2, 0x4f0000004f000000ull);  // 2^31
      CopyV(a, xmm3, xmm0);
      a.Sse(0, 0x5c, xmm3, xmm2);               // x - 2^31
      CopyV(a, xmm4, xmm2);
      a.SseImm(0, 0xc2, xmm4, xmm0, 2);         // 2^31 <= x
      a.Sse(k66, 0xdb, xmm3, xmm4);
      a.Sse(0xf3, 0x5b, xmm3, xmm3);
      Splat64(a, xmm4, 0x4f8000004f800000ull);  // 2^32
      a.SseImm(0, 0xc2, xmm4, xmm0, 2);         // 2^32 <= x
      a.Sse(0xf3, 0x5b, xmm0, xmm0);
      a.Sse(k66, 0xeb, xmm0, xmm3);
      a.Sse(k66, 0xeb, xmm0, xmm4);
      break;
    case Op::kI32x4TruncSatF64x2SZero:
      // NaN lanes zeroed, the rest clamped above at INT32_MAX; cvttpd2dq
      // gives INT32_MIN below the range and zeroes the upper two lanes.
      LoadV(a, xmm0, src);
      ZeroNanLanes(a, k66, xmm0, xmm1);
      Splat64(a, xmm2, 0x41dfffffffc00000ull);  // 2147483647.0
      a.Sse(k66, 0x5d, xmm0, xmm2);
      a.Sse(k66, 0xe6, xmm0, xmm0);
      break;
    case Op::kI32x4TruncSatF64x2UZero:
      // Clamped to [0, 2^32 - 1] (NaN to 0, as maxpd keeps its second
      // operand), truncated, then 2^52 + x holds x in the low dword.
      LoadV(a, xmm0, src);
      ZeroV(a, xmm1);
      a.Sse(k66, 0x5f, xmm0, xmm1);
      Splat64(a, xmm2, 0x41efffffffe00000ull);  // 4294967295.0
      a.Sse(k66, 0x5d, xmm0, xmm2);
      a.SseImm(k66, 0x3a09, xmm0, xmm0, 11);
      Splat64(a, xmm2, 0x4330000000000000ull);  // 2^52
      a.Sse(k66, 0x58, xmm0, xmm2);
      a.SseImm(0, 0xc6, xmm0, xmm1, 0x88);      // shufps: low dwords, then zeros
      break;
    default:
      return false;
  }
  StoreV(a, dst, xmm0);
  return true;
}

// Float min/max as interpreter_numerics.h's F32Min/F64Min and Max: where
// either lane is NaN, a + b; elsewhere min(a, b) and min(b, a) differ only
// between zeros, where or-ing the bits (and-ing for max) gives -0 (+0).
void FloatMinMax(Assembler& a, Op op, const uint32_t* ip) {
  const bool f64 = op == Op::kF64x2Min || op == Op::kF64x2Max;
  const bool min = op == Op::kF32x4Min || op == Op::kF64x2Min;
  const uint8_t p = f64 ? k66 : 0;
  const uint16_t minmax = min ? 0x5d : 0x5f;
  LoadV(a, xmm0, ip[3]);
  LoadV(a, xmm1, ip[4]);
  CopyV(a, xmm2, xmm0);
  a.Sse(p, minmax, xmm2, xmm1);
  CopyV(a, xmm3, xmm1);
  a.Sse(p, minmax, xmm3, xmm0);
  a.Sse(k66, min ? 0xeb : 0xdb, xmm2, xmm3);
  CopyV(a, xmm3, xmm0);
  a.SseImm(p, 0xc2, xmm3, xmm1, 3);  // unordered
  a.Sse(p, 0x58, xmm0, xmm1);        // a + b
  a.Sse(k66, 0xdb, xmm0, xmm3);
  a.Sse(k66, 0xdf, xmm3, xmm2);      // pandn
  a.Sse(k66, 0xeb, xmm0, xmm3);
  StoreV(a, ip[2], xmm0);
}

// Binary instructions longer than one SSE instruction: dst a b.
bool BinarySequence(Assembler& a, Op op, const uint32_t* ip) {
  const uint32_t dst = ip[2];
  Cond cond;
  switch (op) {
    case Op::kI64x2LtS: cond = kL; break;
    case Op::kI64x2GtS: cond = kG; break;
    case Op::kI64x2LeS: cond = kLE; break;
    case Op::kI64x2GeS: cond = kGE; break;
    default: cond = kO; break;
  }
  if (cond != kO) {
    // pcmpgtq is SSE4.2: two integer compares, each lane 0 or -1.
    for (uint32_t lane = 0; lane < 2; ++lane) {
      a.Mov(k64, rax, Lane(ip[3], lane * 8));
      a.Op(Alu::kCmp, k64, rax, Lane(ip[4], lane * 8));
      a.Setcc(cond, rax);
      a.Movzx8(rax, rax);
      a.Neg(k64, rax);
      if (lane == 0) a.Mov(k64, rdx, rax);
    }
    StorePair(a, dst, rdx, rax);
    return true;
  }
  switch (op) {
    case Op::kF32x4Min: case Op::kF32x4Max: case Op::kF64x2Min: case Op::kF64x2Max:
      FloatMinMax(a, op, ip);
      return true;
    case Op::kI64x2Mul:
      // No 64-bit lane multiply before AVX-512: two imuls.
      a.Mov(k64, rax, Lane(ip[3], 0));
      a.Mov(k64, rcx, Lane(ip[4], 0));
      a.Imul(k64, rax, rcx);
      a.Mov(k64, rdx, Lane(ip[3], 8));
      a.Mov(k64, rcx, Lane(ip[4], 8));
      a.Imul(k64, rdx, rcx);
      StorePair(a, dst, rax, rdx);
      return true;
    case Op::kI8x16Swizzle:
      // As the interpreter: a saturating add of 0x70 sets the top bit of
      // every index >= 16 (pshufb then zeroes the lane), keeping the low four.
      LoadV(a, xmm0, ip[3]);
      LoadV(a, xmm1, ip[4]);
      Splat64(a, xmm2, 0x7070707070707070ull);
      a.Sse(k66, 0xdc, xmm1, xmm2);
      a.Sse(k66, 0x3800, xmm0, xmm1);
      break;
    case Op::kI16x8Q15mulrSatS:
      // pmulhrsw wraps 0x8000 * 0x8000 to 0x8000 where Wasm saturates to 0x7fff.
      LoadV(a, xmm0, ip[3]);
      LoadV(a, xmm1, ip[4]);
      a.Sse(k66, 0x380b, xmm0, xmm1);
      Splat64(a, xmm2, 0x8000800080008000ull);
      a.Sse(k66, 0x75, xmm2, xmm0);
      a.Sse(k66, 0xef, xmm0, xmm2);
      break;
    default:
      return false;
  }
  StoreV(a, dst, xmm0);
  return true;
}

// Shifts by a count in an i32 slot, taken modulo the lane width: dst a count.
bool ShiftLanes(Assembler& a, Op op, const uint32_t* ip) {
  struct Form {
    Op op;
    uint16_t opcode;  // the form shifting by xmm1's low qword
    int bits;
  };
  static constexpr Form kForms[] = {
      {Op::kI16x8Shl, 0xf1, 16}, {Op::kI16x8ShrS, 0xe1, 16}, {Op::kI16x8ShrU, 0xd1, 16},
      {Op::kI32x4Shl, 0xf2, 32}, {Op::kI32x4ShrS, 0xe2, 32}, {Op::kI32x4ShrU, 0xd2, 32},
      {Op::kI64x2Shl, 0xf3, 64}, {Op::kI64x2ShrU, 0xd3, 64}, {Op::kI8x16Shl, 0xf1, 8},
      {Op::kI8x16ShrU, 0xd1, 8}, {Op::kI8x16ShrS, 0, 8}, {Op::kI64x2ShrS, 0, 64}};
  const Form* f = nullptr;
  for (const Form& x : kForms) {
    if (x.op == op) f = &x;
  }
  if (f == nullptr) return false;
  a.Mov(k32, rcx, JitSlot(ip[4]));
  a.OpImm(Alu::kAnd, k32, rcx, f->bits - 1);
  if (op == Op::kI64x2ShrS) {
    // No psraq before AVX-512: two sars.
    a.Mov(k64, rax, Lane(ip[3], 0));
    a.Mov(k64, rdx, Lane(ip[3], 8));
    a.ShiftCl(Shift::kSar, k64, rax);
    a.ShiftCl(Shift::kSar, k64, rdx);
    StorePair(a, ip[2], rax, rdx);
    return true;
  }
  LoadV(a, xmm0, ip[3]);
  if (op == Op::kI8x16ShrS) {
    // Each byte doubled into a word (b << 8 | b), shifted right by 8 + c,
    // packed back: exact, every result fits a signed byte.
    a.OpImm(Alu::kAdd, k32, rcx, 8);
    a.MovdToXmm(k32, xmm2, rcx);
    CopyV(a, xmm1, xmm0);
    a.Sse(k66, 0x60, xmm0, xmm0);
    a.Sse(k66, 0x68, xmm1, xmm1);
    a.Sse(k66, 0xe1, xmm0, xmm2);
    a.Sse(k66, 0xe1, xmm1, xmm2);
    a.Sse(k66, 0x63, xmm0, xmm1);
    StoreV(a, ip[2], xmm0);
    return true;
  }
  a.MovdToXmm(k32, xmm1, rcx);
  a.Sse(k66, f->opcode, xmm0, xmm1);
  if (f->bits == 8) {
    // Shifted as words: clear the bits that crossed into a neighbour byte.
    a.MovImm(rax, 0xff);
    a.ShiftCl(op == Op::kI8x16Shl ? Shift::kShl : Shift::kShr, k32, rax);
    a.Movzx8(rax, rax);
    a.ImulImm(k32, rax, rax, 0x01010101);
    a.MovdToXmm(k32, xmm1, rax);
    a.SseImm(k66, 0x70, xmm1, xmm1, 0);
    a.Sse(k66, 0xdb, xmm0, xmm1);
  }
  StoreV(a, ip[2], xmm0);
  return true;
}

// any_true, all_true, bitmask: dst(i32) a.
bool Test(Assembler& a, Op op, const uint32_t* ip) {
  const uint32_t dst = ip[2], src = ip[3];
  uint16_t eq = 0;  // all_true: no lane equal to zero
  switch (op) {
    case Op::kV128AnyTrue:
      a.Mov(k64, rax, Lane(src, 0));
      a.Op(Alu::kOr, k64, rax, Lane(src, 8));
      a.Setcc(kNE, rax);
      a.Movzx8(rax, rax);
      a.Mov(k64, JitSlot(dst), rax);
      return true;
    case Op::kI8x16AllTrue: eq = 0x74; break;
    case Op::kI16x8AllTrue: eq = 0x75; break;
    case Op::kI32x4AllTrue: eq = 0x76; break;
    case Op::kI64x2AllTrue: eq = 0x3829; break;
    default: break;
  }
  LoadV(a, xmm0, src);
  if (eq != 0) {
    ZeroV(a, xmm1);
    a.Sse(k66, eq, xmm1, xmm0);
    a.SseToGpr(k66, 0xd7, rax, xmm1);
    a.Test(k32, rax, rax);
    a.Setcc(kE, rax);
    a.Movzx8(rax, rax);
  } else if (op == Op::kI8x16Bitmask) {
    a.SseToGpr(k66, 0xd7, rax, xmm0);
  } else if (op == Op::kI16x8Bitmask) {
    a.Sse(k66, 0x63, xmm0, xmm0);  // packsswb keeps each word's sign in a byte
    a.SseToGpr(k66, 0xd7, rax, xmm0);
    a.OpImm(Alu::kAnd, k32, rax, 0xff);
  } else if (op == Op::kI32x4Bitmask) {
    a.SseToGpr(0, 0x50, rax, xmm0);
  } else if (op == Op::kI64x2Bitmask) {
    a.SseToGpr(k66, 0x50, rax, xmm0);
  } else {
    return false;
  }
  a.Mov(k64, JitSlot(dst), rax);
  return true;
}

bool Bitselect(Assembler& a, const uint32_t* ip) {
  // (a & c) | (b & ~c)
  LoadV(a, xmm0, ip[3]);
  LoadV(a, xmm1, ip[4]);
  LoadV(a, xmm2, ip[5]);
  a.Sse(k66, 0xdb, xmm0, xmm2);
  a.Sse(k66, 0xdf, xmm2, xmm1);
  a.Sse(k66, 0xeb, xmm0, xmm2);
  StoreV(a, ip[2], xmm0);
  return true;
}

// The instructions on v128 that are not 0xfd opcodes: globals and select.
uint32_t NotOpcodes(JitEmitter& e, Op op, const uint32_t* ip) {
  Assembler& a = e.a;
  const Mem globals{kJitCtx, static_cast<int32_t>(offsetof(JitContext, globals))};
  switch (op) {
    case Op::kGlobalGet128:  // dst idx
      a.Mov(k64, rax, globals);
      a.Mov(k64, rax, Mem{rax, static_cast<int32_t>(ip[3] * 8)});
      a.Sse(0xf3, 0x6f, xmm0, Mem{rax, static_cast<int32_t>(offsetof(GlobalInst, value))});
      StoreV(a, ip[2], xmm0);
      return 4;
    case Op::kGlobalSet128:  // idx src
      LoadV(a, xmm0, ip[3]);
      a.Mov(k64, rax, globals);
      a.Mov(k64, rax, Mem{rax, static_cast<int32_t>(ip[2] * 8)});
      a.SseStore(0xf3, 0x7f, Mem{rax, static_cast<int32_t>(offsetof(GlobalInst, value))}, xmm0);
      return 4;
    case Op::kSelect128:  // dst a b cond: both read before dst is written
      a.Mov(k64, rax, Lane(ip[3], 0));
      a.Mov(k64, rdx, Lane(ip[3], 8));
      a.Mov(k64, rsi, Lane(ip[4], 0));
      a.Mov(k64, rdi, Lane(ip[4], 8));
      a.Mov(k32, rcx, JitSlot(ip[5]));
      a.Test(k32, rcx, rcx);
      a.Cmov(kE, k64, rax, rsi);
      a.Cmov(kE, k64, rdx, rdi);
      StorePair(a, ip[2], rax, rdx);
      return 6;
    default:
      return 0;
  }
}

// Code words of an instruction of each form (compile/simd_opcodes.h).
uint32_t Words(SimdForm form) {
  switch (form) {
    case SimdForm::kLoad: case SimdForm::kStore: case SimdForm::kExtract: case SimdForm::kBinary:
    case SimdForm::kShift:
      return 5;
    case SimdForm::kLoadLane: case SimdForm::kConst: return 7;
    case SimdForm::kStoreLane: case SimdForm::kReplace: case SimdForm::kTernary: return 6;
    case SimdForm::kShuffle: return 9;
    case SimdForm::kSplat: case SimdForm::kUnary: case SimdForm::kTest: return 4;
    case SimdForm::kNone: break;
  }
  return 0;
}

const SimdOpcode* FindByOp(Op op) {
  for (const SimdOpcode& s : kSimdOpcodes) {
    if (s.op == op) return &s;
  }
  return nullptr;
}

}  // namespace

uint32_t EmitSimd(JitEmitter& e, Op op, uint32_t w, const uint32_t* ip) {
  if (uint32_t n = NotOpcodes(e, op, ip); n != 0) return n;
  const SimdOpcode* s = FindByOp(op);
  if (s == nullptr) return 0;
  Assembler& a = e.a;
  bool done = false;
  switch (s->form) {
    case SimdForm::kLoad: case SimdForm::kStore: case SimdForm::kLoadLane: case SimdForm::kStoreLane:
      done = Memory(e, *s, w, ip);
      break;
    case SimdForm::kConst: case SimdForm::kSplat: case SimdForm::kExtract: case SimdForm::kReplace:
    case SimdForm::kShuffle:
      done = Lanes(e, *s, w, ip);
      break;
    case SimdForm::kUnary:
      done = Tables(a, op, ip) || UnarySequence(a, op, ip);
      break;
    case SimdForm::kBinary:
      done = Tables(a, op, ip) || BinarySequence(a, op, ip);
      break;
    case SimdForm::kTernary:
      done = Bitselect(a, ip);
      break;
    case SimdForm::kShift:
      done = ShiftLanes(a, op, ip);
      break;
    case SimdForm::kTest:
      done = Test(a, op, ip);
      break;
    case SimdForm::kNone:
      break;
  }
  return done ? Words(s->form) : 0;
}

}  // namespace palisade::wasm
