#include "guest-runtime/test-guest/test_commands.h"
#include "tests/kvm/kvm_test_support.h"

namespace palisade {
namespace {

using testing::Deadline;
using testing::TestGuestOptions;
namespace tg = test_guest;

TEST(Hypercall, EchoRoundTripsWithoutPayload) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  const uint64_t before = (*sb)->hypercalls();
  auto r = (*sb)->RunCommand(abi::Command::kEchoLoop, 100, 0, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 0);
  // 100 echoes plus the kAwaitCommand that reported the result: one exit each.
  EXPECT_EQ((*sb)->hypercalls() - before, 101u);
}

TEST(Hypercall, EchoCopiesPayloadsBothWays) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  for (uint64_t bytes : {1u, 17u, 256u, 2048u}) {
    auto r = (*sb)->RunCommand(abi::Command::kEchoLoop, 5, bytes, 0, Deadline());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, 0) << bytes << " bytes";
  }
}

TEST(Hypercall, GuestRejectsOversizedEchoItself) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto r = (*sb)->RunCommand(abi::Command::kEchoLoop, 1, 1 << 20, 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, -2);  // kStatusBadArgument from the guest; nothing reached the host
}

struct BadCase {
  const char* name;
  tg::BadHypercall variant;
  uint64_t address;
  const char* expect;  // substring of the error
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class MalformedHypercall : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedHypercall, EndsTheSandboxWithAClearError) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  const BadCase& c = GetParam();
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kBadHypercall), c.variant, c.address,
                             0, Deadline());
  ASSERT_FALSE(r.ok()) << "guest got status " << *r;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("bad hypercall"));
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr(c.expect));
  EXPECT_FALSE((*sb)->alive());
  EXPECT_EQ((*sb)->RunCommand(abi::Command::kEchoLoop, 1, 0, 0, Deadline()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

INSTANTIATE_TEST_SUITE_P(
    EveryCase, MalformedHypercall,
    ::testing::Values(
        BadCase{"UnknownNumber", tg::kUnknownNumber, 0, "unknown hypercall number 999"},
        // 0x501 is one of the four ports `out %eax` to 0x500 needs open;
        // others never reach the host (fault_test: OnlyTheHypercallPortIsOpen).
        BadCase{"WrongPort", tg::kWrongPort, 0, "port I/O to 0x501"},
        BadCase{"ByteSizedOut", tg::kByteSizedOut, 0, "1-byte `out`"},
        BadCase{"WordSizedOut", tg::kWordSizedOut, 0, "2-byte `out`"},
        BadCase{"InInsteadOfOut", tg::kInInsteadOfOut, 0, "`in` from the hypercall port"},
        // KVM may hand `rep outsb` over one byte at a time, so this is
        // refused either as string I/O or as a 1-byte `out`.
        BadCase{"StringIo", tg::kStringIo, 0, "out`"},
        BadCase{"WrongAbiVersion", tg::kWrongAbiVersion, 0, "ABI version 77"},
        BadCase{"EchoSourceOutside", tg::kEchoSourceOutside, 0x7fff0000, "source: guest range [0x7fff0000, +0x10) is not guest memory"},
        BadCase{"EchoSourceAtTopOfAddressSpace", tg::kEchoSourceOutside, 0xfffffffffffffff8ull, "is not guest memory"},
        BadCase{"EchoLengthOverLimit", tg::kEchoLengthOverflow, 0, "exceeds the 65536-byte limit"},
        BadCase{"EchoDestReadOnly", tg::kEchoDestReadOnly, 0, "lies in the image's code, which is read-only"},
        BadCase{"EchoDestWraps", tg::kEchoDestOverflow, 0, "destination: guest range"},
        BadCase{"ConsoleBadStream", tg::kConsoleBadStream, 0, "unknown stream 7"},
        BadCase{"ConsoleHugeLength", tg::kConsoleHugeLength, 0, "exceeds the 1048576-byte limit"},
        BadCase{"AbortBadReason", tg::kAbortBadReason, 0, "unknown abort reason 12345"},
        BadCase{"EchoSourceInGap", tg::kEchoSourceInGap, 0, "is not guest memory"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      return std::string(info.param.name);
    });

TEST(Hypercall, EchoSourceRunningPastTheEndOfRamIsRefused) {
  PALISADE_REQUIRE_KVM();
  auto sb = Sandbox::Boot(TestGuestOptions(), Deadline());
  ASSERT_TRUE(sb.ok()) << sb.status();
  // 16 bytes starting 8 bytes before the end of guest memory.
  const uint64_t addr = (*sb)->layout().mem_size - 8;
  auto r = (*sb)->RunCommand(static_cast<abi::Command>(tg::kBadHypercall), tg::kEchoSourceOutside,
                             addr, 0, Deadline());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("runs past the end of RAM"));
}

}  // namespace
}  // namespace palisade
