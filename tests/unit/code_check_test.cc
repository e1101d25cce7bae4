// The compiled-code check (vmm/code_check.h): code a compiler would emit
// passes; each rule catches a hand-made violation of it, at the right
// offset.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vmm/code_check.h"
#include "vmm/code_check_cache.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kBase = 0x40000000;
constexpr uint64_t kHelper = 0x00105000;  // in the runtime image, below the code

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// `call rel32` at `offset` of the buffer, to absolute `to`.
std::vector<uint8_t> CallTo(uint64_t offset, uint64_t to) {
  const int32_t rel = static_cast<int32_t>(static_cast<int64_t>(to) - static_cast<int64_t>(kBase + offset + 5));
  std::vector<uint8_t> b = {0xe8};
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(static_cast<uint32_t>(rel) >> (8 * i)));
  return b;
}

std::vector<CodeCheckViolation> Check(const std::vector<uint8_t>& code) {
  const uint64_t helpers[] = {kHelper};
  return FindCodeViolations(code, {.load_address = kBase, .helper_entries = helpers});
}

// What a compiled function looks like: a prologue, integer and SSE4.1 work,
// a loop with a conditional branch back, a call to a helper, an indirect
// call through a register, a return.
const std::vector<uint8_t> kFunction = Concat({
    {0x55},                                      // push rbp
    {0x48, 0x89, 0xe5},                          // mov rbp, rsp
    {0x8b, 0x07},                                // mov eax, [rdi]            (offset 4)
    {0x01, 0xf0},                                // add eax, esi              (6)
    {0x0f, 0xaf, 0xc2},                          // imul eax, edx             (8)
    {0x0f, 0x44, 0xc1},                          // cmove eax, ecx            (11)
    {0x66, 0x0f, 0x38, 0x40, 0xc1},              // pmulld xmm0, xmm1 (SSE4.1) (14)
    {0xf2, 0x0f, 0x58, 0xc1},                    // addsd xmm0, xmm1          (19)
    {0xff, 0xc9},                                // dec ecx                   (23)
    {0x75, 0xe9},                                // jne -> offset 4           (25)
    {0xf3, 0x48, 0xa4},                          // rep movsb                 (27)
    {0xf3, 0x0f, 0xb8, 0xc0},                    // popcnt eax, eax           (30)
    {0x0f, 0xbc, 0xc0},                          // bsf eax, eax              (34)
    {0xff, 0xd0},                                // call rax (indirect)       (37)
});

TEST(CodeCheck, WhatACompilerEmitsPasses) {
  std::vector<uint8_t> code = kFunction;
  const std::vector<uint8_t> call = CallTo(code.size(), kHelper);
  code.insert(code.end(), call.begin(), call.end());
  code.push_back(0x5d);  // pop rbp
  code.push_back(0xc3);  // ret
  const auto v = Check(code);
  EXPECT_TRUE(v.empty()) << v[0].offset << ": " << v[0].instruction << ": " << v[0].rule;
  const uint64_t helpers[] = {kHelper};
  EXPECT_TRUE(CheckCompiledCode(code, {.load_address = kBase, .helper_entries = helpers}).ok());
}

// The remembered pass covers exactly what the verdict depends on: the same
// bytes at the same place with the same helpers. Refusals are never kept.
TEST(CodeCheck, AnIdenticalBufferIsPassedOnceAndRefusalsAreNotRemembered) {
  ForgetCodePasses();
  std::vector<uint8_t> code = kFunction;
  code.push_back(0xc3);
  const uint64_t helpers[] = {kHelper};
  const CodeCheckTarget at_base{.load_address = kBase, .helper_entries = helpers};
  ASSERT_TRUE(CheckCompiledCodeOnce(code, at_base).ok());
  EXPECT_EQ(RememberedCodePasses(), 1u);
  ASSERT_TRUE(CheckCompiledCodeOnce(code, at_base).ok());
  EXPECT_EQ(RememberedCodePasses(), 1u);
  // Elsewhere, or with other helpers, it is a new buffer.
  ASSERT_TRUE(CheckCompiledCodeOnce(code, {.load_address = kBase + 64, .helper_entries = helpers}).ok());
  EXPECT_EQ(RememberedCodePasses(), 2u);
  const uint64_t other[] = {kHelper + 16};
  ASSERT_TRUE(CheckCompiledCodeOnce(code, {.load_address = kBase, .helper_entries = other}).ok());
  EXPECT_EQ(RememberedCodePasses(), 3u);
  // One byte changed (cpuid where `dec ecx` was) is checked, and refused, every time.
  std::vector<uint8_t> bad = code;
  bad[23] = 0x0f;
  bad[24] = 0xa2;
  EXPECT_FALSE(CheckCompiledCodeOnce(bad, at_base).ok());
  EXPECT_FALSE(CheckCompiledCodeOnce(bad, at_base).ok());
  EXPECT_EQ(RememberedCodePasses(), 3u);
  ForgetCodePasses();
  EXPECT_EQ(RememberedCodePasses(), 0u);
}

TEST(CodeCheck, UndecodableBytesAreRefused) {
  std::vector<uint8_t> code = kFunction;
  code.push_back(0x06);  // push es: no such instruction in 64-bit mode
  const auto v = Check(code);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v[0].rule, "decodes");
  EXPECT_EQ(v[0].offset, kFunction.size());
  // An instruction cut off by the buffer's end is undecodable too.
  std::vector<uint8_t> cut = {0x90, 0x48, 0x8b};
  ASSERT_FALSE(Check(cut).empty());
  EXPECT_EQ(Check(cut)[0].rule, "decodes");
}

struct Forbidden {
  const char* name;
  std::vector<uint8_t> bytes;
  const char* rule;
};

class CodeCheckRefuses : public ::testing::TestWithParam<Forbidden> {};

TEST_P(CodeCheckRefuses, ItAndSaysWhere) {
  const Forbidden& f = GetParam();
  std::vector<uint8_t> code = Concat({{0x90, 0x90}, f.bytes, {0xc3}});
  const auto v = Check(code);
  ASSERT_FALSE(v.empty()) << f.name << " passed";
  EXPECT_EQ(v[0].offset, 2u) << v[0].instruction;
  EXPECT_EQ(v[0].rule, f.rule) << v[0].instruction;
  const uint64_t helpers[] = {kHelper};
  absl::Status s = CheckCompiledCode(code, {.load_address = kBase, .helper_entries = helpers});
  EXPECT_THAT(std::string(s.message()), HasSubstr("offset 0x2"));
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, CodeCheckRefuses,
    ::testing::Values(
        Forbidden{"syscall", {0x0f, 0x05}, "allowed instruction set"},
        Forbidden{"int3", {0xcc}, "allowed instruction set"},
        Forbidden{"int_0x80", {0xcd, 0x80}, "allowed instruction set"},
        Forbidden{"hlt", {0xf4}, "allowed instruction set"},
        Forbidden{"out_dx_eax", {0xef}, "allowed instruction set"},
        Forbidden{"in_al_imm", {0xe4, 0x60}, "allowed instruction set"},
        Forbidden{"cpuid", {0x0f, 0xa2}, "allowed instruction set"},
        Forbidden{"rdtsc", {0x0f, 0x31}, "allowed instruction set"},
        Forbidden{"wrmsr", {0x0f, 0x30}, "allowed instruction set"},
        Forbidden{"mov_cr3_rax", {0x0f, 0x22, 0xd8}, "allowed instruction set"},
        Forbidden{"ldmxcsr", {0x0f, 0xae, 0x10}, "allowed instruction set"},
        Forbidden{"popfq", {0x9d}, "allowed instruction set"},
        Forbidden{"ud2", {0x0f, 0x0b}, "allowed instruction set"},
        Forbidden{"far_jmp_mem", {0xff, 0x28}, "allowed instruction set"},
        Forbidden{"far_ret", {0xcb}, "allowed instruction set"},
        Forbidden{"iretq", {0x48, 0xcf}, "allowed instruction set"},
        Forbidden{"x87_fld", {0xd9, 0x07}, "allowed instruction set"},
        Forbidden{"mmx_paddb", {0x0f, 0xfc, 0xc1}, "allowed instruction set"},
        Forbidden{"avx_vaddps", {0xc5, 0xf0, 0x58, 0xc2}, "allowed instruction set"},
        Forbidden{"sse42_crc32", {0xf2, 0x0f, 0x38, 0xf1, 0xc1}, "allowed instruction set"},
        Forbidden{"vmcall", {0x0f, 0x01, 0xc1}, "allowed instruction set"},
        Forbidden{"sgdt", {0x0f, 0x01, 0x00}, "allowed instruction set"},
        Forbidden{"mov_ds_ax", {0x8e, 0xd8}, "no segments"},
        Forbidden{"mov_ax_fs", {0x8c, 0xe0}, "no segments"},
        Forbidden{"lfs", {0x0f, 0xb4, 0x07}, "allowed instruction set"},
        Forbidden{"fs_override_load", {0x64, 0x8b, 0x07}, "no segments"},
        Forbidden{"gs_override_store", {0x65, 0x89, 0x07}, "no segments"},
        // jmp +1: into the middle of the next instruction (0x90 0x90 0xc3
        // follow, so +1 from the end lands on... see the test below for
        // boundaries; here the target is outside the buffer).
        Forbidden{"jmp_out_of_buffer", {0xe9, 0x00, 0x10, 0x00, 0x00}, "direct branches stay inside"},
        Forbidden{"call_not_a_helper", {0xe8, 0x00, 0x00, 0x00, 0x80}, "direct branches stay inside"},
        Forbidden{"jcc_out_of_buffer", {0x0f, 0x84, 0x00, 0x01, 0x00, 0x00}, "direct branches stay inside"},
        // Targets inside the buffer, but an operand-size prefix: AMD cuts
        // the target to 16 bits, Intel does not. Whatever length Capstone
        // gives it, the zeros after it decode, and it is refused itself.
        Forbidden{"jmp_operand_size_prefix", {0x66, 0xe9, 0x00, 0x00, 0x00, 0x00}, "direct branches stay inside"},
        Forbidden{"jcc_operand_size_prefix", {0x66, 0x0f, 0x84, 0x00, 0x00, 0x00, 0x00},
                  "direct branches stay inside"}),
    [](const ::testing::TestParamInfo<Forbidden>& info) { return info.param.name; });

TEST(CodeCheck, ABranchIntoTheMiddleOfAnInstructionIsRefused) {
  // jmp +2 lands inside the 5-byte `mov eax, imm32` that follows.
  const std::vector<uint8_t> code = {0xeb, 0x02, 0xb8, 0x90, 0x90, 0x90, 0x90, 0xc3};
  const auto v = Check(code);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].offset, 0u);
  EXPECT_EQ(v[0].rule, "direct branches stay inside");
  // jmp +5 lands on the `ret`: an instruction boundary.
  const std::vector<uint8_t> ok = {0xeb, 0x05, 0xb8, 0x90, 0x90, 0x90, 0x90, 0xc3};
  EXPECT_TRUE(Check(ok).empty());
}

TEST(CodeCheck, EveryViolationIsListedInOrder) {
  const std::vector<uint8_t> code = {0x0f, 0x05, 0x90, 0x0f, 0xa2, 0xe9, 0x00, 0x00, 0x01, 0x00, 0xc3};
  const auto v = Check(code);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].offset, 0u);
  EXPECT_EQ(v[1].offset, 3u);
  EXPECT_EQ(v[2].offset, 5u);
}

// Capstone decodes each distinct instruction once; the same bytes elsewhere
// get the same verdict, and a branch is judged from where it stands.
TEST(CodeCheck, RepeatedBytesAreJudgedAtEveryOffsetAndBranchesFromTheirOwnAddress) {
  // cpuid twice, each refused where it is.
  const std::vector<uint8_t> twice = {0x0f, 0xa2, 0x90, 0x8b, 0x07, 0x0f, 0xa2, 0xc3};
  const auto v = Check(twice);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].offset, 0u);
  EXPECT_EQ(v[1].offset, 5u);
  EXPECT_EQ(v[1].instruction, "cpuid");
  // `jmp +0` lands on the next instruction: inside at offset 0, past the
  // end at offset 3.
  const std::vector<uint8_t> jumps = {0xeb, 0x00, 0x90, 0xeb, 0x00};
  const auto w = Check(jumps);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].offset, 3u);
  EXPECT_EQ(w[0].rule, "direct branches stay inside");
}

// Buffers stitched from instructions, violations, branches and stray bytes,
// many repeated: the check finds the same violations, named the same, with
// and without reusing decodes.
TEST(CodeCheck, ReusingDecodesChangesNoVerdict) {
  const std::vector<std::vector<uint8_t>> pieces = {
      {0x8b, 0x07}, {0x01, 0xf0}, {0x0f, 0xaf, 0xc2}, {0x66, 0x0f, 0x38, 0x40, 0xc1}, {0xf2, 0x0f, 0x58, 0xc1},
      {0x48, 0x8b, 0x47, 0x10}, {0x48, 0x8b, 0x47}, {0x0f, 0xa2}, {0x0f, 0x05}, {0x64, 0x8b, 0x07}, {0xd9, 0x07},
      {0xc5, 0xf0, 0x58, 0xc2}, {0xeb, 0x00}, {0xeb, 0x02}, {0x75, 0xf0}, {0xe8, 0x00, 0x00, 0x00, 0x00},
      {0xe9, 0x00, 0x10, 0x00, 0x00}, {0x90}, {0xc3}, {0xb8, 0x90, 0x90}, {0x06}, {0x41}, {0x66}, {0xf3}};
  std::mt19937 rng(17);
  int violations = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> code;
    while (code.size() < 600) {
      const auto& p = pieces[rng() % pieces.size()];
      code.insert(code.end(), p.begin(), p.end());
      if (rng() % 8 == 0) code.push_back(static_cast<uint8_t>(rng()));
    }
    const uint64_t helpers[] = {kHelper};
    const CodeCheckTarget at{.load_address = kBase, .helper_entries = helpers};
    const auto reused = FindCodeViolations(code, at, 1000, true);
    const auto decoded = FindCodeViolations(code, at, 1000, false);
    ASSERT_EQ(reused.size(), decoded.size()) << "round " << round;
    for (size_t i = 0; i < reused.size(); ++i) {
      EXPECT_EQ(reused[i].offset, decoded[i].offset) << "round " << round;
      EXPECT_EQ(reused[i].rule, decoded[i].rule) << "round " << round;
      EXPECT_EQ(reused[i].instruction, decoded[i].instruction) << "round " << round;
    }
    violations += static_cast<int>(reused.size());
  }
  EXPECT_GT(violations, 300);  // the buffers do break rules, and often
}

TEST(CodeCheck, TheRulesAreExplainedWithWhatIsNotProven) {
  const std::string rules = ExplainCodeCheckRules();
  for (const char* r : {"decodes", "allowed instruction set", "no segments", "direct branches stay inside",
                        "not proven", "indirect"}) {
    EXPECT_THAT(rules, HasSubstr(r));
  }
}

}  // namespace
}  // namespace palisade
