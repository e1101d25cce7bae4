#include "vmm/crash_report.h"

#include <cstring>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "vmm/code_region.h"
#include "vmm/disassembler.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;

TEST(Disassembler, DecodesX86_64) {
  auto d = Disassembler::Create();
  ASSERT_TRUE(d.ok()) << d.status();
  const uint8_t code[] = {0x48, 0x89, 0xe5, 0x0f, 0x0b, 0xc3};  // mov rbp,rsp; ud2; ret
  auto insns = d->Disassemble(code, 0x1000, 10);
  ASSERT_EQ(insns.size(), 3u);
  EXPECT_EQ(insns[0].text, "mov rbp, rsp");
  EXPECT_EQ(insns[0].hex, "48 89 e5");
  EXPECT_EQ(insns[1].address, 0x1003u);
  EXPECT_EQ(insns[1].text, "ud2");
  EXPECT_EQ(insns[2].text, "ret");
}

TEST(CrashReport, ShowsRegistersAndCodeAtRip) {
  auto m = GuestMemory::Create(1 << 20);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->AddRegion(0x1000, 0x1000, GuestMemory::Access::kReadOnly, "code").ok());
  const uint8_t code[] = {0x90, 0x90, 0x0f, 0x0b, 0xc3};
  std::memcpy(m->HostAddress(0x1000, sizeof(code)), code, sizeof(code));
  abi::FaultReport f{};
  f.vector = 6;
  f.rip = 0x1002;
  f.rax = 0x1234;
  std::string summary = DescribeFault(f, nullptr, nullptr);
  EXPECT_EQ(summary, "#UD invalid opcode at rip 0x1002");
  std::string report = FormatCrashReport(f, *m, nullptr, summary);
  EXPECT_THAT(report, HasSubstr("rax 0000000000001234"));
  EXPECT_THAT(report, HasSubstr("=> 0x1002"));
  EXPECT_THAT(report, HasSubstr("ud2"));
}

TEST(CrashReport, DescribesPageFaults) {
  abi::FaultReport f{};
  f.vector = 14;
  f.rip = 0x100;
  f.cr2 = 0x2000;
  f.error_code = 0x3;  // present + write
  EXPECT_EQ(DescribeFault(f, nullptr, "hint"),
            "#PF page fault at rip 0x100: write to 0x2000 (protection violation; hint)");
  f.error_code = 0x10;
  EXPECT_THAT(DescribeFault(f, nullptr, nullptr), HasSubstr("instruction fetch from 0x2000 (not present)"));
}

TEST(CrashReport, UnreadableRipIsSaidNotCrashedOn) {
  auto m = GuestMemory::Create(1 << 20);
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(DisassembleAround(*m, nullptr, 0xdeadbeef000, 4, 4), HasSubstr("not readable"));
}

// Compiled code sealed into a code region of guest memory, as kSealCode
// puts it there.
class SealedCodeReport : public ::testing::Test {
 protected:
  static constexpr uint64_t kRegion = 0x40000, kRegionBytes = 0x10000;
  void SetUp() override {
    auto m = GuestMemory::Create(1 << 20);
    ASSERT_TRUE(m.ok());
    memory_.emplace(std::move(*m));
    ASSERT_TRUE(memory_->AddRegion(kRegion, kRegionBytes, GuestMemory::Access::kReadOnly, "code region").ok());
  }
  std::optional<GuestMemory> memory_;
  CodeRegion region_{kRegion, kRegionBytes, {}};
};

// A fault in compiled Wasm names the block of sealed code it is in, and the
// lines before rip are decoded from the block's start, where the code check
// decoded it from.
TEST_F(SealedCodeReport, NamesTheBlockAndDecodesItFromItsStart) {
  const uint8_t first[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};  // mov eax, 42; ret
  // movabs rax, 0x9090909090909090 (whose immediate decodes as nops from any
  // other start); mov rax, [0]; ret
  const uint8_t second[] = {0x48, 0xb8, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                            0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0xc3};
  auto a = region_.Seal(*memory_, first, {});
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = region_.Seal(*memory_, second, {});
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_NE(*a, *b);

  abi::FaultReport f{};
  f.vector = 14;
  f.rip = *b + 10;
  f.cr2 = 0;
  f.error_code = 0x4;  // user read, not present
  const std::string summary = DescribeFault(f, nullptr, "null page", &region_);
  EXPECT_THAT(summary, HasSubstr(absl::StrFormat("at rip %#x <compiled Wasm %#x+0xa>", f.rip, *b))) << summary;
  const std::string report = FormatCrashReport(f, *memory_, nullptr, summary, &region_);
  EXPECT_THAT(report, HasSubstr(absl::StrFormat("   %#x <compiled+0>", *b))) << report;
  EXPECT_THAT(report, HasSubstr("movabs rax, 0x9090909090909090")) << report;
  EXPECT_THAT(report, HasSubstr(absl::StrFormat("=> %#x <compiled+0xa>", f.rip))) << report;
  EXPECT_THAT(report, ::testing::Not(HasSubstr("nop"))) << report;
  // The block's tail past the code traps.
  EXPECT_THAT(report, ::testing::ContainsRegex(absl::StrFormat("%#x <compiled\\+0x13> +cc +int3", f.rip + 9)))
      << report;

  // Room given back: named as the region's, never as another block's.
  ASSERT_TRUE(region_.Release(*memory_, *b).ok());
  EXPECT_THAT(DescribeFault(f, nullptr, nullptr, &region_), HasSubstr("<code region, no sealed code there>"));
  // Outside the region: as before.
  f.rip = 0x1000;
  EXPECT_EQ(DescribeFault(f, nullptr, nullptr, &region_).find("compiled"), std::string::npos);
}

// With the function entries the guest hands over (kSealCode args[4..5]), a
// fault names the Wasm function and the offset in it.
TEST_F(SealedCodeReport, NamesTheWasmFunctionWhenTheEntriesCameWithTheCode) {
  // Two functions: mov eax, 42; ret | mov rax, [0]; ret
  const uint8_t code[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0xc3};
  const uint32_t entries[] = {0, 6};
  auto at = region_.Seal(*memory_, code, {}, entries, /*first_function=*/3);
  ASSERT_TRUE(at.ok()) << at.status();
  abi::FaultReport f{};
  f.vector = 14;
  f.rip = *at + 6;
  f.error_code = 0x4;
  EXPECT_THAT(DescribeFault(f, nullptr, nullptr, &region_),
              HasSubstr(absl::StrFormat("at rip %#x <compiled Wasm function 4+0, sealed at %#x>", f.rip, *at)));
  const std::string report = FormatCrashReport(f, *memory_, nullptr, "x", &region_);
  EXPECT_THAT(report, HasSubstr(absl::StrFormat("%#x <func 3+0x5>", *at + 5))) << report;  // the ret before
  EXPECT_THAT(report, HasSubstr(absl::StrFormat("=> %#x <func 4+0>", f.rip))) << report;
  f.rip = *at + 2;
  EXPECT_THAT(DescribeFault(f, nullptr, nullptr, &region_), HasSubstr("<compiled Wasm function 3+0x2,"));

  // A table out of order, or past the code, is refused like a bad relocation.
  const uint32_t backwards[] = {6, 0}, past[] = {0, 15};
  auto bad = region_.Seal(*memory_, code, {}, backwards, 0);
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_THAT(bad.status().message(), HasSubstr("out of order or past the 15 bytes of code"));
  bad = region_.Seal(*memory_, code, {}, past, 0);
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  bad = region_.Seal(*memory_, code, {}, entries, UINT32_MAX);
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_EQ(region_.figures().modules, 1u);
}

}  // namespace
}  // namespace palisade
