// The compiler tier's assembler: every form it emits decodes, with Capstone,
// to exactly the instruction meant (registers r8-r15 and the byte-register,
// rsp/r12 and rbp/r13 encoding corners included); labels and relocations
// land where they should.
#include <capstone/capstone.h>

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wasm/jit/x64_assembler.h"

namespace palisade::wasm::x64 {
namespace {

// "mnemonic operands" for each instruction, joined by "; ".
std::string Disassemble(const uint8_t* code, size_t size, uint64_t address = 0x1000) {
  csh h;
  EXPECT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_OK);
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(h, code, size, address, 0, &insn);
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!out.empty()) out += "; ";
    out += std::string(insn[i].mnemonic) + (insn[i].op_str[0] ? " " : "") + insn[i].op_str;
    used += insn[i].size;
  }
  if (used != size) out += " <undecoded bytes>";
  cs_free(insn, n);
  cs_close(&h);
  return out;
}

struct Case {
  const char* expected;
  std::function<void(Assembler&)> emit;
};

TEST(X64Assembler, EveryFormDecodesToWhatWasMeant) {
  const Case cases[] = {
      {"mov eax, ecx", [](Assembler& a) { a.Mov(k32, rax, rcx); }},
      {"mov r15, rax", [](Assembler& a) { a.Mov(k64, r15, rax); }},
      {"mov r9d, dword ptr [rbx + 0x10]", [](Assembler& a) { a.Mov(k32, r9, Mem{rbx, 16}); }},
      {"mov rax, qword ptr [rsp + 8]", [](Assembler& a) { a.Mov(k64, rax, Mem{rsp, 8}); }},
      {"mov rax, qword ptr [r12]", [](Assembler& a) { a.Mov(k64, rax, Mem{r12, 0}); }},
      {"mov rax, qword ptr [rbp]", [](Assembler& a) { a.Mov(k64, rax, Mem{rbp, 0}); }},
      {"mov rax, qword ptr [r13]", [](Assembler& a) { a.Mov(k64, rax, Mem{r13, 0}); }},
      {"mov qword ptr [rbx + 0x1000], r11", [](Assembler& a) { a.Mov(k64, Mem{rbx, 0x1000}, r11); }},
      {"mov eax, dword ptr [r15 + rcx]", [](Assembler& a) { a.Mov(k32, rax, Mem{r15, 0, rcx}); }},
      {"mov eax, dword ptr [r15 + r12*8 - 4]", [](Assembler& a) { a.Mov(k32, rax, Mem{r15, -4, r12, 8}); }},
      {"mov eax, 0x2a", [](Assembler& a) { a.MovImm(rax, 42); }},
      {"mov r10d, 0xffffffff", [](Assembler& a) { a.MovImm(r10, 0xffffffffu); }},
      {"mov rcx, -1", [](Assembler& a) { a.MovImm(rcx, ~0ull); }},
      {"movabs r8, 0x123456789a", [](Assembler& a) { a.MovImm(r8, 0x123456789aull); }},
      {"mov dword ptr [rbx + 8], 7", [](Assembler& a) { a.MovImm32(k32, Mem{rbx, 8}, 7); }},
      {"mov qword ptr [rbx + 8], -1", [](Assembler& a) { a.MovImm32(k64, Mem{rbx, 8}, -1); }},
      {"movzx eax, byte ptr [r15 + rcx]", [](Assembler& a) { a.Movzx8(rax, Mem{r15, 0, rcx}); }},
      {"movzx eax, word ptr [rdi + 2]", [](Assembler& a) { a.Movzx16(rax, Mem{rdi, 2}); }},
      {"movsx rax, byte ptr [rdi]", [](Assembler& a) { a.Movsx8(k64, rax, Mem{rdi, 0}); }},
      {"movsx eax, word ptr [rdi]", [](Assembler& a) { a.Movsx16(k32, rax, Mem{rdi, 0}); }},
      {"movsxd rax, dword ptr [rdi]", [](Assembler& a) { a.Movsxd(rax, Mem{rdi, 0}); }},
      {"movsxd r9, ecx", [](Assembler& a) { a.Movsxd(r9, rcx); }},
      {"movzx eax, sil", [](Assembler& a) { a.Movzx8(rax, rsi); }},
      {"movsx rax, dil", [](Assembler& a) { a.Movsx8(k64, rax, rdi); }},
      {"movsx r8d, r9w", [](Assembler& a) { a.Movsx16(k32, r8, r9); }},
      {"mov byte ptr [r15 + rax], sil", [](Assembler& a) { a.Mov8(Mem{r15, 0, rax}, rsi); }},
      {"mov word ptr [r15 + rax], cx", [](Assembler& a) { a.Mov16(Mem{r15, 0, rax}, rcx); }},
      {"lea eax, [rcx + rdx]", [](Assembler& a) { a.Lea(k32, rax, Mem{rcx, 0, rdx}); }},
      {"add eax, ecx", [](Assembler& a) { a.Op(Alu::kAdd, k32, rax, rcx); }},
      {"sub r8, r9", [](Assembler& a) { a.Op(Alu::kSub, k64, r8, r9); }},
      {"xor eax, eax", [](Assembler& a) { a.Op(Alu::kXor, k32, rax, rax); }},
      {"cmp rax, qword ptr [rbx + 0x18]", [](Assembler& a) { a.Op(Alu::kCmp, k64, rax, Mem{rbx, 0x18}); }},
      {"and dword ptr [rbx], ecx", [](Assembler& a) { a.Op(Alu::kAnd, k32, Mem{rbx, 0}, rcx); }},
      {"add eax, 1", [](Assembler& a) { a.OpImm(Alu::kAdd, k32, rax, 1); }},
      {"cmp r11, 0x1000", [](Assembler& a) { a.OpImm(Alu::kCmp, k64, r11, 0x1000); }},
      {"or dword ptr [rbx + 4], 0x80", [](Assembler& a) { a.OpImm(Alu::kOr, k32, Mem{rbx, 4}, 0x80); }},
      {"test eax, eax", [](Assembler& a) { a.Test(k32, rax, rax); }},
      {"imul eax, ecx", [](Assembler& a) { a.Imul(k32, rax, rcx); }},
      {"imul r8, r9, 0x64", [](Assembler& a) { a.ImulImm(k64, r8, r9, 100); }},
      {"imul eax, ecx, 0x10000", [](Assembler& a) { a.ImulImm(k32, rax, rcx, 0x10000); }},
      {"div ecx", [](Assembler& a) { a.Div(k32, rcx); }},
      {"idiv r10", [](Assembler& a) { a.Idiv(k64, r10); }},
      {"cdq", [](Assembler& a) { a.Cdq(k32); }},
      {"cqo", [](Assembler& a) { a.Cdq(k64); }},
      {"neg eax", [](Assembler& a) { a.Neg(k32, rax); }},
      {"not r12", [](Assembler& a) { a.Not(k64, r12); }},
      {"shl eax, cl", [](Assembler& a) { a.ShiftCl(Shift::kShl, k32, rax); }},
      {"sar r9, cl", [](Assembler& a) { a.ShiftCl(Shift::kSar, k64, r9); }},
      {"ror eax, 3", [](Assembler& a) { a.ShiftImm(Shift::kRor, k32, rax, 3); }},
      {"shr rdx, 0x3f", [](Assembler& a) { a.ShiftImm(Shift::kShr, k64, rdx, 63); }},
      {"sete al", [](Assembler& a) { a.Setcc(kE, rax); }},
      {"setl sil", [](Assembler& a) { a.Setcc(kL, rsi); }},
      {"setb r10b", [](Assembler& a) { a.Setcc(kB, r10); }},
      {"cmovne eax, ecx", [](Assembler& a) { a.Cmov(kNE, k32, rax, rcx); }},
      {"cmovg r8, r9", [](Assembler& a) { a.Cmov(kG, k64, r8, r9); }},
      {"bsf eax, ecx", [](Assembler& a) { a.Bsf(k32, rax, rcx); }},
      {"bsr rax, rcx", [](Assembler& a) { a.Bsr(k64, rax, rcx); }},
      {"popcnt r8d, r9d", [](Assembler& a) { a.Popcnt(k32, r8, r9); }},
      {"popcnt rax, rcx", [](Assembler& a) { a.Popcnt(k64, rax, rcx); }},
      {"push rbx; push r15; pop r15; pop rbx",
       [](Assembler& a) { a.Push(rbx), a.Push(r15), a.Pop(r15), a.Pop(rbx); }},
      {"jmp rax; call r11; ret", [](Assembler& a) { a.JmpReg(rax), a.CallReg(r11), a.Ret(); }},
      {"addss xmm0, xmm1", [](Assembler& a) { a.Sse(0xf3, 0x58, xmm0, xmm1); }},
      {"mulsd xmm9, xmm2", [](Assembler& a) { a.Sse(0xf2, 0x59, xmm9, xmm2); }},
      {"movsd xmm0, qword ptr [rbx + 0x20]", [](Assembler& a) { a.Sse(0xf2, 0x10, xmm0, Mem{rbx, 0x20}); }},
      {"movss dword ptr [rbx + 0x20], xmm15", [](Assembler& a) { a.SseStore(0xf3, 0x11, Mem{rbx, 0x20}, xmm15); }},
      {"movdqu xmmword ptr [r15 + rax], xmm3", [](Assembler& a) { a.SseStore(0xf3, 0x7f, Mem{r15, 0, rax}, xmm3); }},
      {"pmulld xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x3840, xmm0, xmm1); }},
      {"pshufb xmm10, xmm11", [](Assembler& a) { a.Sse(0x66, 0x3800, xmm10, xmm11); }},
      {"roundss xmm0, xmm1, 9", [](Assembler& a) { a.SseImm(0x66, 0x3a0a, xmm0, xmm1, 9); }},
      {"pshufd xmm1, xmm2, 0x1b", [](Assembler& a) { a.SseImm(0x66, 0x70, xmm1, xmm2, 0x1b); }},
      {"ucomisd xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x2e, xmm0, xmm1); }},
      // The SIMD family's forms (function_jit_simd.cc).
      {"movdqu xmm2, xmmword ptr [rbx + 0x18]", [](Assembler& a) { a.Sse(0xf3, 0x6f, xmm2, Mem{rbx, 0x18}); }},
      {"pmovsxbw xmm0, qword ptr [r15 + rax]", [](Assembler& a) { a.Sse(0x66, 0x3820, xmm0, Mem{r15, 0, rax}); }},
      {"pmovzxdq xmm1, qword ptr [rbx + 8]", [](Assembler& a) { a.Sse(0x66, 0x3835, xmm1, Mem{rbx, 8}); }},
      {"cvtps2pd xmm0, qword ptr [rbx + 0x10]", [](Assembler& a) { a.Sse(0, 0x5a, xmm0, Mem{rbx, 0x10}); }},
      {"cvtdq2pd xmm0, qword ptr [rbx]", [](Assembler& a) { a.Sse(0xf3, 0xe6, xmm0, Mem{rbx, 0}); }},
      {"cvtpd2ps xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x5a, xmm0, xmm1); }},
      {"cvtdq2ps xmm3, xmm0", [](Assembler& a) { a.Sse(0, 0x5b, xmm3, xmm0); }},
      {"cmpneqps xmm0, xmm1", [](Assembler& a) { a.SseImm(0, 0xc2, xmm0, xmm1, 4); }},
      {"cmplepd xmm0, xmm1", [](Assembler& a) { a.SseImm(0x66, 0xc2, xmm0, xmm1, 2); }},
      {"roundps xmm0, xmm0, 0xa", [](Assembler& a) { a.SseImm(0x66, 0x3a08, xmm0, xmm0, 10); }},
      {"roundpd xmm0, xmm0, 8", [](Assembler& a) { a.SseImm(0x66, 0x3a09, xmm0, xmm0, 8); }},
      {"pabsb xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x381c, xmm0, xmm1); }},
      {"pmaddubsw xmm1, xmm0", [](Assembler& a) { a.Sse(0x66, 0x3804, xmm1, xmm0); }},
      {"pmulhrsw xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x380b, xmm0, xmm1); }},
      {"pcmpeqq xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x3829, xmm0, xmm1); }},
      {"pmuldq xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x3828, xmm0, xmm1); }},
      {"packusdw xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0x382b, xmm0, xmm1); }},
      {"punpcklqdq xmm2, xmm2", [](Assembler& a) { a.Sse(0x66, 0x6c, xmm2, xmm2); }},
      {"pandn xmm2, xmm1", [](Assembler& a) { a.Sse(0x66, 0xdf, xmm2, xmm1); }},
      {"psraw xmm0, xmm1", [](Assembler& a) { a.Sse(0x66, 0xe1, xmm0, xmm1); }},
      {"pmovmskb eax, xmm1", [](Assembler& a) { a.SseToGpr(0x66, 0xd7, rax, xmm1); }},
      {"movmskps ecx, xmm9", [](Assembler& a) { a.SseToGpr(0, 0x50, rcx, xmm9); }},
      {"movmskpd r8d, xmm0", [](Assembler& a) { a.SseToGpr(0x66, 0x50, r8, xmm0); }},
      {"psrlw xmm0, 4", [](Assembler& a) { a.SseShiftImm(0x71, 2, xmm0, 4); }},
      {"psrad xmm10, 0x1f", [](Assembler& a) { a.SseShiftImm(0x72, 4, xmm10, 31); }},
      {"psrldq xmm1, 8", [](Assembler& a) { a.SseShiftImm(0x73, 3, xmm1, 8); }},
      {"movd xmm0, eax", [](Assembler& a) { a.MovdToXmm(k32, xmm0, rax); }},
      {"movq xmm8, r9", [](Assembler& a) { a.MovdToXmm(k64, xmm8, r9); }},
      {"movd eax, xmm0", [](Assembler& a) { a.MovdFromXmm(k32, rax, xmm0); }},
      {"movq r10, xmm12", [](Assembler& a) { a.MovdFromXmm(k64, r10, xmm12); }},
      {"cvtsi2sd xmm0, rax", [](Assembler& a) { a.CvtIntToFloat(0xf2, k64, xmm0, rax); }},
      {"cvtsi2ss xmm1, ecx", [](Assembler& a) { a.CvtIntToFloat(0xf3, k32, xmm1, rcx); }},
      {"cvttsd2si rax, xmm0", [](Assembler& a) { a.CvttFloatToInt(0xf2, k64, rax, xmm0); }},
      {"cvttss2si r8d, xmm3", [](Assembler& a) { a.CvttFloatToInt(0xf3, k32, r8, xmm3); }},
  };
  for (const Case& c : cases) {
    Assembler a;
    c.emit(a);
    ASSERT_FALSE(a.failed());
    EXPECT_EQ(Disassemble(a.data(), a.size()), c.expected);
  }
}

TEST(X64Assembler, LabelsBoundBeforeAndAfterTheirUses) {
  Assembler a;
  Label top, out;
  a.Bind(&top);                 // 0x1000
  a.OpImm(Alu::kSub, k32, rcx, 1);  // 3 bytes
  a.Jcc(kE, &out);              // forward, 6 bytes
  a.Jmp(&top);                  // backward, 5 bytes
  a.Jcc(kNE, &out);             // a second use of the same forward label
  a.Bind(&out);
  a.Ret();
  ASSERT_FALSE(a.failed());
  EXPECT_EQ(Disassemble(a.data(), a.size()),
            "sub ecx, 1; je 0x1014; jmp 0x1000; jne 0x1014; ret");
}

TEST(X64Assembler, HelperCallsAreRelocatedForWhereTheCodeWillRun) {
  Assembler a;
  a.Push(rbx);
  a.CallAbsolute(0x105000);
  a.Pop(rbx);
  a.Ret();
  ASSERT_EQ(a.relocations().size(), 1u);
  std::vector<uint8_t> placed(a.data(), a.data() + a.size());
  ASSERT_TRUE(a.Relocate(0x40000000, placed.data()));
  EXPECT_EQ(Disassemble(placed.data(), placed.size(), 0x40000000), "push rbx; call 0x105000; pop rbx; ret");
  // Out of reach of a rel32: refused, not truncated.
  EXPECT_FALSE(a.Relocate(0x7f0000000000ull, placed.data()));
}

}  // namespace
}  // namespace palisade::wasm::x64
