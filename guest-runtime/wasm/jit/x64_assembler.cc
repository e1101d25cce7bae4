#include "wasm/jit/x64_assembler.h"

namespace palisade::wasm::x64 {
namespace {

bool FitsInt8(int64_t v) { return v >= -128 && v <= 127; }
bool FitsInt32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

int32_t ReadInt32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return static_cast<int32_t>(v);
}

void WriteInt32(uint8_t* p, int32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * i));
}

}  // namespace

void Assembler::Byte(uint8_t b) {
  if (!code_.push_back(b)) failed_ = true;
}

void Assembler::Int32(int32_t v) {
  for (int i = 0; i < 4; ++i) Byte(static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * i)));
}

void Assembler::Imm8Or32(int32_t imm) {
  if (FitsInt8(imm)) {
    Byte(static_cast<uint8_t>(static_cast<int8_t>(imm)));
  } else {
    Int32(imm);
  }
}

void Assembler::Rex(bool w, uint8_t reg, uint8_t index, uint8_t base, bool force) {
  const uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0);
  if (rex != 0x40 || force) Byte(rex);
}

void Assembler::ModRmReg(uint8_t reg, uint8_t rm) { Byte(static_cast<uint8_t>(0xc0 | (reg & 7) << 3 | (rm & 7))); }

void Assembler::ModRmMem(uint8_t reg, const Mem& m) {
  const bool sib = m.index != rsp || (m.base & 7) == 4;
  // rbp and r13 as a base have no disp-less form (that encoding means rip).
  const uint8_t mod = m.disp == 0 && (m.base & 7) != 5 ? 0 : FitsInt8(m.disp) ? 1 : 2;
  Byte(static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | (sib ? 4 : (m.base & 7))));
  if (sib) {
    const uint8_t ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
    Byte(static_cast<uint8_t>(ss << 6 | (m.index & 7) << 3 | (m.base & 7)));
  }
  if (mod == 1) Byte(static_cast<uint8_t>(static_cast<int8_t>(m.disp)));
  if (mod == 2) Int32(m.disp);
}

void Assembler::EmitRR(uint8_t prefix, bool w, const uint8_t* op, int op_len, uint8_t reg, uint8_t rm,
                       bool byte_regs) {
  if (prefix != 0) Byte(prefix);
  // spl, bpl, sil and dil exist only with a REX prefix (without, 4-7 are ah-bh).
  Rex(w, reg, 0, rm, byte_regs && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8)));
  for (int i = 0; i < op_len; ++i) Byte(op[i]);
  ModRmReg(reg, rm);
}

void Assembler::EmitRM(uint8_t prefix, bool w, const uint8_t* op, int op_len, uint8_t reg, const Mem& m,
                       bool byte_regs) {
  if (prefix != 0) Byte(prefix);
  Rex(w, reg, m.index, m.base, byte_regs && reg >= 4 && reg < 8);
  for (int i = 0; i < op_len; ++i) Byte(op[i]);
  ModRmMem(reg, m);
}

// Integer moves and arithmetic.

void Assembler::Mov(Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x89};
  EmitRR(0, w, op, 1, src, dst);
}
void Assembler::Mov(Width w, Reg dst, const Mem& src) {
  const uint8_t op[] = {0x8b};
  EmitRM(0, w, op, 1, dst, src);
}
void Assembler::Mov(Width w, const Mem& dst, Reg src) {
  const uint8_t op[] = {0x89};
  EmitRM(0, w, op, 1, src, dst);
}

void Assembler::MovImm(Reg dst, uint64_t imm) {
  if (imm <= 0xffffffffu) {  // mov r32, imm32 zero-extends
    Rex(false, 0, 0, dst);
    Byte(static_cast<uint8_t>(0xb8 + (dst & 7)));
    Int32(static_cast<int32_t>(static_cast<uint32_t>(imm)));
  } else if (FitsInt32(static_cast<int64_t>(imm))) {
    Rex(true, 0, 0, dst);
    Byte(0xc7);
    ModRmReg(0, dst);
    Int32(static_cast<int32_t>(imm));
  } else {
    Rex(true, 0, 0, dst);
    Byte(static_cast<uint8_t>(0xb8 + (dst & 7)));
    Int32(static_cast<int32_t>(static_cast<uint32_t>(imm)));
    Int32(static_cast<int32_t>(static_cast<uint32_t>(imm >> 32)));
  }
}

void Assembler::MovImm32(Width w, const Mem& dst, int32_t imm) {
  const uint8_t op[] = {0xc7};
  EmitRM(0, w, op, 1, 0, dst);
  Int32(imm);
}

void Assembler::Movzx8(Reg dst, const Mem& src) {
  const uint8_t op[] = {0x0f, 0xb6};
  EmitRM(0, false, op, 2, dst, src);
}
void Assembler::Movzx16(Reg dst, const Mem& src) {
  const uint8_t op[] = {0x0f, 0xb7};
  EmitRM(0, false, op, 2, dst, src);
}
void Assembler::Movsx8(Width w, Reg dst, const Mem& src) {
  const uint8_t op[] = {0x0f, 0xbe};
  EmitRM(0, w, op, 2, dst, src);
}
void Assembler::Movsx16(Width w, Reg dst, const Mem& src) {
  const uint8_t op[] = {0x0f, 0xbf};
  EmitRM(0, w, op, 2, dst, src);
}
void Assembler::Movsxd(Reg dst, const Mem& src) {
  const uint8_t op[] = {0x63};
  EmitRM(0, true, op, 1, dst, src);
}
void Assembler::Movsxd(Reg dst, Reg src) {
  const uint8_t op[] = {0x63};
  EmitRR(0, true, op, 1, dst, src);
}
void Assembler::Movzx8(Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, 0xb6};
  EmitRR(0, false, op, 2, dst, src, /*byte_regs=*/true);
}
void Assembler::Movsx8(Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, 0xbe};
  EmitRR(0, w, op, 2, dst, src, /*byte_regs=*/true);
}
void Assembler::Movsx16(Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, 0xbf};
  EmitRR(0, w, op, 2, dst, src);
}
void Assembler::Mov8(const Mem& dst, Reg src) {
  const uint8_t op[] = {0x88};
  EmitRM(0, false, op, 1, src, dst, /*byte_regs=*/true);
}
void Assembler::Mov16(const Mem& dst, Reg src) {
  const uint8_t op[] = {0x89};
  EmitRM(0x66, false, op, 1, src, dst);
}
void Assembler::Lea(Width w, Reg dst, const Mem& src) {
  const uint8_t op[] = {0x8d};
  EmitRM(0, w, op, 1, dst, src);
}

void Assembler::Op(Alu alu, Width w, Reg dst, Reg src) {
  const uint8_t op[] = {static_cast<uint8_t>(static_cast<uint8_t>(alu) * 8 + 1)};
  EmitRR(0, w, op, 1, src, dst);
}
void Assembler::Op(Alu alu, Width w, Reg dst, const Mem& src) {
  const uint8_t op[] = {static_cast<uint8_t>(static_cast<uint8_t>(alu) * 8 + 3)};
  EmitRM(0, w, op, 1, dst, src);
}
void Assembler::Op(Alu alu, Width w, const Mem& dst, Reg src) {
  const uint8_t op[] = {static_cast<uint8_t>(static_cast<uint8_t>(alu) * 8 + 1)};
  EmitRM(0, w, op, 1, src, dst);
}
void Assembler::OpImm(Alu alu, Width w, Reg dst, int32_t imm) {
  const uint8_t op[] = {static_cast<uint8_t>(FitsInt8(imm) ? 0x83 : 0x81)};
  EmitRR(0, w, op, 1, static_cast<uint8_t>(alu), dst);
  Imm8Or32(imm);
}
void Assembler::OpImm(Alu alu, Width w, const Mem& dst, int32_t imm) {
  const uint8_t op[] = {static_cast<uint8_t>(FitsInt8(imm) ? 0x83 : 0x81)};
  EmitRM(0, w, op, 1, static_cast<uint8_t>(alu), dst);
  Imm8Or32(imm);
}
void Assembler::Test(Width w, Reg a, Reg b) {
  const uint8_t op[] = {0x85};
  EmitRR(0, w, op, 1, b, a);
}
void Assembler::Imul(Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, 0xaf};
  EmitRR(0, w, op, 2, dst, src);
}
void Assembler::ImulImm(Width w, Reg dst, Reg src, int32_t imm) {
  const uint8_t op[] = {static_cast<uint8_t>(FitsInt8(imm) ? 0x6b : 0x69)};
  EmitRR(0, w, op, 1, dst, src);
  Imm8Or32(imm);
}
void Assembler::Div(Width w, Reg divisor) {
  const uint8_t op[] = {0xf7};
  EmitRR(0, w, op, 1, 6, divisor);
}
void Assembler::Idiv(Width w, Reg divisor) {
  const uint8_t op[] = {0xf7};
  EmitRR(0, w, op, 1, 7, divisor);
}
void Assembler::Cdq(Width w) {
  Rex(w, 0, 0, 0);
  Byte(0x99);
}
void Assembler::Neg(Width w, Reg r) {
  const uint8_t op[] = {0xf7};
  EmitRR(0, w, op, 1, 3, r);
}
void Assembler::Not(Width w, Reg r) {
  const uint8_t op[] = {0xf7};
  EmitRR(0, w, op, 1, 2, r);
}
void Assembler::ShiftCl(Shift s, Width w, Reg r) {
  const uint8_t op[] = {0xd3};
  EmitRR(0, w, op, 1, static_cast<uint8_t>(s), r);
}
void Assembler::ShiftImm(Shift s, Width w, Reg r, uint8_t imm) {
  const uint8_t op[] = {0xc1};
  EmitRR(0, w, op, 1, static_cast<uint8_t>(s), r);
  Byte(imm);
}
void Assembler::Setcc(Cond c, Reg r) {
  const uint8_t op[] = {0x0f, static_cast<uint8_t>(0x90 + c)};
  EmitRR(0, false, op, 2, 0, r, /*byte_regs=*/true);
}
void Assembler::Cmov(Cond c, Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, static_cast<uint8_t>(0x40 + c)};
  EmitRR(0, w, op, 2, dst, src);
}
void Assembler::Bsf(Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, 0xbc};
  EmitRR(0, w, op, 2, dst, src);
}
void Assembler::Bsr(Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, 0xbd};
  EmitRR(0, w, op, 2, dst, src);
}
void Assembler::Popcnt(Width w, Reg dst, Reg src) {
  const uint8_t op[] = {0x0f, 0xb8};
  EmitRR(0xf3, w, op, 2, dst, src);
}
void Assembler::Push(Reg r) {
  Rex(false, 0, 0, r);
  Byte(static_cast<uint8_t>(0x50 + (r & 7)));
}
void Assembler::Pop(Reg r) {
  Rex(false, 0, 0, r);
  Byte(static_cast<uint8_t>(0x58 + (r & 7)));
}

// Control flow.

void Assembler::LinkRel32(Label* l) {
  const int32_t at = static_cast<int32_t>(code_.size());
  if (l->pos >= 0) {
    Int32(l->pos - (at + 4));
  } else {
    Int32(l->last_use);  // the chain of uses, through the rel32 fields themselves
    l->last_use = at;
  }
}

void Assembler::Bind(Label* l) {
  l->pos = static_cast<int32_t>(code_.size());
  if (failed_) return;
  for (int32_t use = l->last_use; use >= 0;) {
    const int32_t next = ReadInt32(code_.data() + use);
    WriteInt32(code_.data() + use, l->pos - (use + 4));
    use = next;
  }
  l->last_use = -1;
}

void Assembler::Jmp(Label* l) {
  Byte(0xe9);
  LinkRel32(l);
}
void Assembler::Jcc(Cond c, Label* l) {
  Byte(0x0f);
  Byte(static_cast<uint8_t>(0x80 + c));
  LinkRel32(l);
}
void Assembler::JmpReg(Reg r) {
  const uint8_t op[] = {0xff};
  EmitRR(0, false, op, 1, 4, r);
}
void Assembler::CallReg(Reg r) {
  const uint8_t op[] = {0xff};
  EmitRR(0, false, op, 1, 2, r);
}
void Assembler::CallAbsolute(uint64_t target) {
  Byte(0xe8);
  if (!relocs_.push_back({static_cast<uint32_t>(code_.size()), target})) failed_ = true;
  Int32(0);
}
void Assembler::CallLabel(Label* l) {
  Byte(0xe8);
  LinkRel32(l);
}
void Assembler::Ret() { Byte(0xc3); }

bool Assembler::Relocate(uint64_t load_address, uint8_t* code) const {
  for (const Relocation& r : relocs_) {
    const int64_t rel = static_cast<int64_t>(r.target - (load_address + r.offset + 4));
    if (!FitsInt32(rel)) return false;
    WriteInt32(code + r.offset, static_cast<int32_t>(rel));
  }
  return true;
}

// SSE.

namespace {
int SseOpBytes(uint16_t op, uint8_t* out) {
  out[0] = 0x0f;
  if (op > 0xff) {
    out[1] = static_cast<uint8_t>(op >> 8);
    out[2] = static_cast<uint8_t>(op);
    return 3;
  }
  out[1] = static_cast<uint8_t>(op);
  return 2;
}
}  // namespace

void Assembler::Sse(uint8_t prefix, uint16_t op, Xmm dst, Xmm src) {
  uint8_t bytes[3];
  EmitRR(prefix, false, bytes, SseOpBytes(op, bytes), dst, src);
}
void Assembler::Sse(uint8_t prefix, uint16_t op, Xmm dst, const Mem& src) {
  uint8_t bytes[3];
  EmitRM(prefix, false, bytes, SseOpBytes(op, bytes), dst, src);
}
void Assembler::SseImm(uint8_t prefix, uint16_t op, Xmm dst, Xmm src, uint8_t imm) {
  Sse(prefix, op, dst, src);
  Byte(imm);
}
void Assembler::SseStore(uint8_t prefix, uint16_t op, const Mem& dst, Xmm src) {
  uint8_t bytes[3];
  EmitRM(prefix, false, bytes, SseOpBytes(op, bytes), src, dst);
}
void Assembler::SseToGpr(uint8_t prefix, uint16_t op, Reg dst, Xmm src) {
  uint8_t bytes[3];
  EmitRR(prefix, false, bytes, SseOpBytes(op, bytes), dst, src);
}
void Assembler::SseShiftImm(uint8_t op, uint8_t ext, Xmm x, uint8_t imm) {
  const uint8_t bytes[] = {0x0f, op};
  EmitRR(0x66, false, bytes, 2, ext, x);
  Byte(imm);
}
void Assembler::MovdToXmm(Width w, Xmm dst, Reg src) {
  const uint8_t op[] = {0x0f, 0x6e};
  EmitRR(0x66, w, op, 2, dst, src);
}
void Assembler::MovdFromXmm(Width w, Reg dst, Xmm src) {
  const uint8_t op[] = {0x0f, 0x7e};
  EmitRR(0x66, w, op, 2, src, dst);
}
void Assembler::CvtIntToFloat(uint8_t prefix, Width w, Xmm dst, Reg src) {
  const uint8_t op[] = {0x0f, 0x2a};
  EmitRR(prefix, w, op, 2, dst, src);
}
void Assembler::CvttFloatToInt(uint8_t prefix, Width w, Reg dst, Xmm src) {
  const uint8_t op[] = {0x0f, 0x2c};
  EmitRR(prefix, w, op, 2, dst, src);
}

}  // namespace palisade::wasm::x64
