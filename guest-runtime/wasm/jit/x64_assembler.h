// An x86-64 assembler for the compiler tier: the instructions the compiled
// code check (vmm/code_check.h) allows -- general-purpose integer, CMOV and
// SSE to SSE4.1 -- and nothing else, so the compiler cannot emit what the
// host would refuse. Freestanding like the rest of the engine: the buffer is
// a Vec, and running out of memory marks the assembler failed instead of
// throwing (callers check failed() once, at the end).
//
// Branches are rel32 to Labels, patched when the label is bound. Calls to
// the runtime's helpers are rel32 to absolute addresses, known only once the
// code's final address is: they are recorded as relocations and applied by
// Relocate().
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/vec.h"

namespace palisade::wasm::x64 {

enum Reg : uint8_t { rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15 };
enum Xmm : uint8_t { xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7,
                     xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15 };

// Condition codes, numbered as the CPU's.
enum Cond : uint8_t { kO, kNO, kB, kAE, kE, kNE, kBE, kA, kS, kNS, kP, kNP, kL, kGE, kLE, kG };
inline Cond Negate(Cond c) { return static_cast<Cond>(c ^ 1); }

// [base + index*scale + disp]. No index: index == rsp (the encoding's "none").
struct Mem {
  Reg base;
  int32_t disp = 0;
  Reg index = rsp;
  uint8_t scale = 1;  // 1, 2, 4 or 8
};

enum class Alu : uint8_t { kAdd = 0, kOr = 1, kAdc = 2, kSbb = 3, kAnd = 4, kSub = 5, kXor = 6, kCmp = 7 };
enum class Shift : uint8_t { kRol = 0, kRor = 1, kShl = 4, kShr = 5, kSar = 7 };
// Operand width of an integer instruction.
enum Width : uint8_t { k32 = 0, k64 = 1 };

// A branch target. Unbound labels collect their uses; Bind patches them.
struct Label {
  int32_t pos = -1;        // offset once bound
  int32_t last_use = -1;   // offset of the newest rel32 awaiting it (a chain through the rel32s)
};

struct Relocation {
  uint32_t offset;  // of a rel32 that must reach `target`
  uint64_t target;
};

class Assembler {
 public:
  size_t size() const { return code_.size(); }
  const uint8_t* data() const { return code_.data(); }
  bool failed() const { return failed_; }
  const Vec<Relocation>& relocations() const { return relocs_; }

  // Integer moves and arithmetic.
  void Mov(Width w, Reg dst, Reg src);
  void Mov(Width w, Reg dst, const Mem& src);
  void Mov(Width w, const Mem& dst, Reg src);
  void MovImm(Reg dst, uint64_t imm);  // the shortest of mov r32, imm32 / mov r64, simm32 / movabs
  void MovImm32(Width w, const Mem& dst, int32_t imm);  // 64: sign-extended
  void Movzx8(Reg dst, const Mem& src);
  void Movzx16(Reg dst, const Mem& src);
  void Movsx8(Width w, Reg dst, const Mem& src);
  void Movsx16(Width w, Reg dst, const Mem& src);
  void Movsxd(Reg dst, const Mem& src);
  void Movsxd(Reg dst, Reg src);
  void Movzx8(Reg dst, Reg src);   // of the low byte
  void Movsx8(Width w, Reg dst, Reg src);
  void Movsx16(Width w, Reg dst, Reg src);
  void Mov8(const Mem& dst, Reg src);
  void Mov16(const Mem& dst, Reg src);
  void Lea(Width w, Reg dst, const Mem& src);
  void Op(Alu op, Width w, Reg dst, Reg src);
  void Op(Alu op, Width w, Reg dst, const Mem& src);
  void Op(Alu op, Width w, const Mem& dst, Reg src);
  void OpImm(Alu op, Width w, Reg dst, int32_t imm);
  void OpImm(Alu op, Width w, const Mem& dst, int32_t imm);
  void Test(Width w, Reg a, Reg b);
  void Imul(Width w, Reg dst, Reg src);
  void ImulImm(Width w, Reg dst, Reg src, int32_t imm);
  void Div(Width w, Reg divisor);   // unsigned rdx:rax / divisor
  void Idiv(Width w, Reg divisor);  // signed
  void Cdq(Width w);                // cdq / cqo: sign of rax into rdx
  void Neg(Width w, Reg r);
  void Not(Width w, Reg r);
  void ShiftCl(Shift op, Width w, Reg r);
  void ShiftImm(Shift op, Width w, Reg r, uint8_t imm);
  void Setcc(Cond c, Reg r);  // the low byte
  void Cmov(Cond c, Width w, Reg dst, Reg src);
  void Bsf(Width w, Reg dst, Reg src);
  void Bsr(Width w, Reg dst, Reg src);
  void Popcnt(Width w, Reg dst, Reg src);
  void Push(Reg r);
  void Pop(Reg r);

  // Control flow.
  void Bind(Label* l);
  void Jmp(Label* l);
  void Jcc(Cond c, Label* l);
  void JmpReg(Reg r);
  void CallReg(Reg r);
  void CallAbsolute(uint64_t target);  // rel32, relocated
  void CallLabel(Label* l);
  void Ret();
  // Patches every relocation for code that will start at `load_address`;
  // false if a target is out of rel32 reach.
  [[nodiscard]] bool Relocate(uint64_t load_address, uint8_t* code) const;

  // SSE. `prefix`: 0, 0x66, 0xf2 or 0xf3; `op`: the bytes after 0x0f
  // (one, or 0x38/0x3a and one more).
  void Sse(uint8_t prefix, uint16_t op, Xmm dst, Xmm src);
  void Sse(uint8_t prefix, uint16_t op, Xmm dst, const Mem& src);
  void SseImm(uint8_t prefix, uint16_t op, Xmm dst, Xmm src, uint8_t imm);
  void SseStore(uint8_t prefix, uint16_t op, const Mem& dst, Xmm src);  // movss/movsd/movdqu stores
  // A 32-bit register from an xmm one: pmovmskb (66 d7), movmskps (50), movmskpd (66 50).
  void SseToGpr(uint8_t prefix, uint16_t op, Reg dst, Xmm src);
  // The 66 0f 71/72/73 group, shifts by an immediate: `ext` is the ModRM reg
  // field (2 psrl, 4 psra, 6 psll; 3 psrldq, 7 pslldq).
  void SseShiftImm(uint8_t op, uint8_t ext, Xmm x, uint8_t imm);
  void MovdToXmm(Width w, Xmm dst, Reg src);    // movd/movq xmm, r
  void MovdFromXmm(Width w, Reg dst, Xmm src);  // movd/movq r, xmm
  // cvtsi2ss/sd (w: source width), cvtt*2si (w: destination width).
  void CvtIntToFloat(uint8_t prefix, Width w, Xmm dst, Reg src);
  void CvttFloatToInt(uint8_t prefix, Width w, Reg dst, Xmm src);

 private:
  void Byte(uint8_t b);
  void Int32(int32_t v);
  // The immediate of an 0x83/0x6b-or-0x81/0x69 form, as the opcode chose.
  void Imm8Or32(int32_t imm);
  void Rex(bool w, uint8_t reg, uint8_t index, uint8_t base, bool force = false);
  void ModRmReg(uint8_t reg, uint8_t rm);
  void ModRmMem(uint8_t reg, const Mem& m);
  // The legacy-prefix / REX / opcode / ModRM sequence of most instructions.
  void EmitRR(uint8_t prefix, bool w, const uint8_t* op, int op_len, uint8_t reg, uint8_t rm, bool byte_regs = false);
  void EmitRM(uint8_t prefix, bool w, const uint8_t* op, int op_len, uint8_t reg, const Mem& m,
              bool byte_regs = false);
  void LinkRel32(Label* l);

  Vec<uint8_t> code_;
  Vec<Relocation> relocs_;
  bool failed_ = false;
};

}  // namespace palisade::wasm::x64
