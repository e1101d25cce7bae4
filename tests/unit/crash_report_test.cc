#include "vmm/crash_report.h"

#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace palisade
