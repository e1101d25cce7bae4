// Guest CPU exceptions and stray exits become crash reports: a one-line
// status, every register, and Capstone disassembly around RIP.
#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"
#include "vmm/x86.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::Deadline;
using testing::TestGuestOptions;
namespace tg = test_guest;

struct Crash {
  absl::Status status;
  std::string report;
  std::optional<abi::FaultReport> fault;
  GuestLayout layout;
};

Crash RunToCrash(tg::Command command, uint64_t a0 = 0) {
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  EXPECT_TRUE(sb.ok()) << sb.status();
  if (!sb.ok()) return {sb.status(), "", std::nullopt, {}};
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(command), a0, 0, 0, Deadline());
  EXPECT_FALSE(r.ok()) << "guest survived with status " << *r;
  EXPECT_FALSE((*sb)->alive());
  return {r.status(), (*sb)->crash_report(), (*sb)->fault(), (*sb)->layout()};
}

TEST(Fault, InvalidOpcodeIsReportedWithDisassembly) {
  PALISADE_REQUIRE_KVM();
  Crash c = RunToCrash(tg::kUd2);
  EXPECT_EQ(c.status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("#UD invalid opcode"));
  ASSERT_TRUE(c.fault.has_value());
  EXPECT_EQ(c.fault->vector, 6u);
  std::printf("%s", c.report.c_str());  // for humans reading the test log
  // The report names the function, marks RIP, and shows the instruction.
  EXPECT_THAT(c.report, HasSubstr("Handle"));
  EXPECT_THAT(c.report, HasSubstr("=> "));
  EXPECT_THAT(c.report, HasSubstr("0f 0b"));
  EXPECT_THAT(c.report, HasSubstr("ud2"));
  EXPECT_THAT(c.report, HasSubstr("rip "));
  EXPECT_THAT(c.report, HasSubstr("r15 "));
  // Instructions before RIP are decoded from the function start, so there
  // are lines before the marked one.
  EXPECT_LT(c.report.find("code:\n   "), c.report.find("=> "));
  // The status carries the same report, for callers that only keep statuses.
  auto payload = c.status.GetPayload(kCrashReportPayload);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(*payload), c.report);
}

TEST(Fault, NullPointerReadIsAPageFault) {
  PALISADE_REQUIRE_KVM();
  Crash c = RunToCrash(tg::kReadAddress, 0x10);
  ASSERT_TRUE(c.fault.has_value());
  EXPECT_EQ(c.fault->vector, 14u);
  EXPECT_EQ(c.fault->cr2, 0x10u);
  EXPECT_THAT(std::string(c.status.message()),
              HasSubstr("#PF page fault at rip"));
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("read from 0x10 (not present; null page)"));
}

TEST(Fault, CodeIsNotWritable) {
  PALISADE_REQUIRE_KVM();
  Crash c = RunToCrash(tg::kWriteCode);
  ASSERT_TRUE(c.fault.has_value());
  EXPECT_EQ(c.fault->vector, 14u);
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("write to"));
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("protection violation"));
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("not writable"));
}

TEST(Fault, DataIsNotExecutable) {
  PALISADE_REQUIRE_KVM();
  Crash c = RunToCrash(tg::kExecData);
  ASSERT_TRUE(c.fault.has_value());
  EXPECT_EQ(c.fault->vector, 14u);
  EXPECT_EQ(c.fault->rip, c.fault->cr2);
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("instruction fetch from"));
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("not executable"));
}

TEST(Fault, StackOverflowHitsTheGuardPage) {
  PALISADE_REQUIRE_KVM();
  Crash c = RunToCrash(tg::kStackOverflow);
  ASSERT_TRUE(c.fault.has_value()) << c.status;
  EXPECT_EQ(c.fault->vector, 14u);
  EXPECT_LT(c.fault->cr2, c.layout.stack_bottom);
  EXPECT_GE(c.fault->cr2, c.layout.stack_bottom - 4096);
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("stack guard page: stack overflow"));
  EXPECT_THAT(c.report, HasSubstr("Recurse"));
}

TEST(Fault, PageTablesAreNotMappedInTheGuest) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  const uint64_t pml4 = (*sb)->layout().page_tables;
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kReadAddress), pml4, 0, 0, Deadline());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("page tables, not mapped"));
}

TEST(Fault, MemoryBeyondTheGuestIsNotMapped) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  const uint64_t beyond = (*sb)->layout().mem_size + 0x1000;
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kReadAddress), beyond, 0, 0, Deadline());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("beyond guest memory"));
}

TEST(Fault, TheGuestRunsInRingThree) {
  PALISADE_REQUIRE_KVM();
  Crash c = RunToCrash(tg::kUd2);
  ASSERT_TRUE(c.fault.has_value());
  // The CPU's own exception frame says where the fault came from.
  EXPECT_EQ(c.fault->cs, abi::kUserCodeSelector);
  EXPECT_EQ(c.fault->cs & 3, 3u);
  EXPECT_EQ(c.fault->ss, abi::kUserDataSelector);
}

TEST(Fault, SystemPagesAreSupervisorOnly) {
  PALISADE_REQUIRE_KVM();
  // GDT/IDT/TSS: a read from ring 3 is a protection fault (error 0x5: present, user).
  for (uint64_t address : {abi::kGdtAddress, abi::kIdtAddress, abi::kTssAddress + 4}) {
    Crash c = RunToCrash(tg::kReadAddress, address);
    ASSERT_TRUE(c.fault.has_value()) << c.status;
    EXPECT_EQ(c.fault->vector, 14u);
    EXPECT_EQ(c.fault->cr2, address);
    EXPECT_EQ(c.fault->error_code, x86::kPfPresent | x86::kPfUser);
    EXPECT_THAT(std::string(c.status.message()), HasSubstr("GDT/IDT/TSS, supervisor-only"));
  }
}

TEST(Fault, TheExceptionStackIsSupervisorOnly) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  const uint64_t address = (*sb)->layout().exception_stack_top - 8;
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kReadAddress), address, 0, 0, Deadline());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("ring-0 exception stack"));
  ASSERT_TRUE((*sb)->fault().has_value());
  EXPECT_EQ((*sb)->fault()->error_code, x86::kPfPresent | x86::kPfUser);
}

TEST(Fault, SystemPagesCannotBeWritten) {
  PALISADE_REQUIRE_KVM();
  Crash c = RunToCrash(tg::kWriteSystemArea);
  ASSERT_TRUE(c.fault.has_value()) << c.status;
  EXPECT_EQ(c.fault->vector, 14u);
  EXPECT_EQ(c.fault->error_code, x86::kPfPresent | x86::kPfWrite | x86::kPfUser);
  EXPECT_THAT(std::string(c.status.message()), HasSubstr("write to"));
}

TEST(Fault, RingZeroStubsCannotBeRunOrReadFromRingThree) {
  PALISADE_REQUIRE_KVM();
  const uint64_t stubs = abi::kImageBase;  // the ring-0 segment comes first (guest.ld)
  Crash jump = RunToCrash(tg::kJumpToRing0, stubs);
  ASSERT_TRUE(jump.fault.has_value()) << jump.status;
  EXPECT_EQ(jump.fault->vector, 14u);
  EXPECT_EQ(jump.fault->cr2, stubs);
  EXPECT_EQ(jump.fault->error_code, x86::kPfPresent | x86::kPfUser | x86::kPfFetch);
  EXPECT_THAT(std::string(jump.status.message()), HasSubstr("ring-0 exception stubs"));
  Crash read = RunToCrash(tg::kReadAddress, stubs + 16);
  ASSERT_TRUE(read.fault.has_value()) << read.status;
  EXPECT_EQ(read.fault->error_code, x86::kPfPresent | x86::kPfUser);
}

TEST(Fault, PrivilegedInstructionsAreGeneralProtectionFaults) {
  PALISADE_REQUIRE_KVM();
  for (tg::Command command : {tg::kHalt, tg::kLoadEmptyIdt}) {
    Crash c = RunToCrash(command);
    ASSERT_TRUE(c.fault.has_value()) << c.status;
    EXPECT_EQ(c.fault->vector, 13u) << command;
    EXPECT_EQ(c.fault->error_code, 0u);
    EXPECT_THAT(std::string(c.status.message()), HasSubstr("#GP"));
    EXPECT_THAT(c.report, HasSubstr("Handle"));
  }
}

TEST(Fault, OnlyTheHypercallPortIsOpen) {
  PALISADE_REQUIRE_KVM();
  // The TSS's I/O bitmap closes every other port: #GP in the guest, before
  // the host sees anything.
  for (uint64_t port : {0x4ffull, 0x504ull, 0x3f8ull, 0x80ull}) {
    Crash c = RunToCrash(tg::kOutToPort, port);
    ASSERT_TRUE(c.fault.has_value()) << c.status;
    EXPECT_EQ(c.fault->vector, 13u) << std::hex << port;
  }
}

}  // namespace
}  // namespace palisade
