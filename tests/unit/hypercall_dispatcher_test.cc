// The hypercall dispatcher on fabricated exits, without KVM: every malformed
// request is refused with a message, and good ones do what the ABI says.
#include <cstring>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vmm/hypercalls.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
constexpr uint64_t kMailbox = 0x20000;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = GuestMemory::Create(1 << 20);
    ASSERT_TRUE(m.ok());
    memory_.emplace(*std::move(m));
    ASSERT_TRUE(memory_->AddRegion(0x1000, 0x1000, GuestMemory::Access::kReadOnly, "code").ok());
    ASSERT_TRUE(memory_->AddRegion(0x10000, 0xf0000, GuestMemory::Access::kReadWrite, "RAM").ok());
    auto d = HypercallDispatcher::Create(&*memory_, kMailbox, &console_);
    ASSERT_TRUE(d.ok()) << d.status();
    dispatcher_.emplace(*std::move(d));
    run_.resize(4096);
  }

  abi::Mailbox& mailbox() {
    return *reinterpret_cast<abi::Mailbox*>(memory_->HostAddress(kMailbox, 4096));
  }

  absl::StatusOr<HypercallOutcome> Call(uint32_t nr, std::vector<uint64_t> args, uint8_t size = 4,
                                        uint16_t port = abi::kHypercallPort,
                                        uint8_t dir = KVM_EXIT_IO_OUT, uint32_t count = 1) {
    mailbox().abi_version = abi::kAbiVersion;
    for (size_t i = 0; i < 6; ++i) mailbox().args[i] = i < args.size() ? args[i] : 0;
    auto* run = reinterpret_cast<kvm_run*>(run_.data());
    run->exit_reason = KVM_EXIT_IO;
    run->io.direction = dir;
    run->io.size = size;
    run->io.port = port;
    run->io.count = count;
    run->io.data_offset = 1024;
    std::memcpy(run_.data() + 1024, &nr, 4);
    return dispatcher_->Dispatch(*run, run_.size());
  }

  std::string Error(const absl::StatusOr<HypercallOutcome>& r) {
    EXPECT_FALSE(r.ok());
    return r.ok() ? "ok" : std::string(r.status().message());
  }

  std::optional<GuestMemory> memory_;
  CapturingConsole console_;
  std::optional<HypercallDispatcher> dispatcher_;
  std::vector<uint8_t> run_;
};

TEST_F(DispatcherTest, MailboxMustBeWritableGuestMemory) {
  EXPECT_FALSE(HypercallDispatcher::Create(&*memory_, 0x1000, nullptr).ok());
  EXPECT_FALSE(HypercallDispatcher::Create(&*memory_, 0xfffff000ull << 8, nullptr).ok());
}

TEST_F(DispatcherTest, RefusesAnythingButA4ByteOutToThePort) {
  using E = abi::Hypercall;
  auto nr = static_cast<uint32_t>(E::kAwaitCommand);
  EXPECT_THAT(Error(Call(nr, {}, 4, 0x80)), HasSubstr("port I/O to 0x80"));
  EXPECT_THAT(Error(Call(nr, {}, 4, abi::kHypercallPort, KVM_EXIT_IO_IN)), HasSubstr("`in`"));
  EXPECT_THAT(Error(Call(nr, {}, 1)), HasSubstr("1-byte `out`"));
  EXPECT_THAT(Error(Call(nr, {}, 4, abi::kHypercallPort, KVM_EXIT_IO_OUT, 3)), HasSubstr("string I/O"));
  EXPECT_THAT(Error(Call(77, {})), HasSubstr("unknown hypercall number 77"));
  mailbox().abi_version = abi::kAbiVersion + 1;
  auto* run = reinterpret_cast<kvm_run*>(run_.data());
  EXPECT_THAT(Error(dispatcher_->Dispatch(*run, run_.size())), HasSubstr("ABI version"));
}

TEST_F(DispatcherTest, EchoCopiesAndChecksBothRanges) {
  const auto echo = static_cast<uint32_t>(abi::Hypercall::kEcho);
  std::memcpy(memory_->HostAddress(0x30000, 5), "hello", 5);
  auto r = Call(echo, {0x30000, 5, 0x40000, 16, 99});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(mailbox().result, 5);
  EXPECT_EQ(mailbox().results[0], 99u);
  EXPECT_EQ(std::memcmp(memory_->HostAddress(0x40000, 5), "hello", 5), 0);
  // Reading from read-only code is fine; writing there is not.
  EXPECT_TRUE(Call(echo, {0x1000, 8, 0x40000, 8}).ok());
  EXPECT_THAT(Error(Call(echo, {0x30000, 8, 0x1000, 8})), HasSubstr("destination"));
  EXPECT_THAT(Error(Call(echo, {0x30000, 8, 0x40000, 4})), HasSubstr("capacity"));
  EXPECT_THAT(Error(Call(echo, {0xfffffffffffffff0ull, 0x20, 0x40000, 0x20})), HasSubstr("source"));
  EXPECT_THAT(Error(Call(echo, {0x30000, 1 << 20, 0x40000, 1 << 20})), HasSubstr("limit"));
  EXPECT_THAT(Error(Call(echo, {0x30000, 4, 0xffffffffffffff00ull, 0x200})), HasSubstr("destination"));
}

TEST_F(DispatcherTest, ConsoleWriteChecksStreamAndRange) {
  const auto write = static_cast<uint32_t>(abi::Hypercall::kConsoleWrite);
  std::memcpy(memory_->HostAddress(0x30000, 3), "abc", 3);
  ASSERT_TRUE(Call(write, {1, 0x30000, 3}).ok());
  ASSERT_TRUE(Call(write, {2, 0x30000, 2}).ok());
  EXPECT_EQ(console_.out, "abc");
  EXPECT_EQ(console_.err, "ab");
  EXPECT_THAT(Error(Call(write, {0, 0x30000, 3})), HasSubstr("unknown stream 0"));
  EXPECT_THAT(Error(Call(write, {1, 0x5000, 3})), HasSubstr("not guest memory"));
  EXPECT_THAT(Error(Call(write, {1, 0x30000, uint64_t{1} << 40})), HasSubstr("limit"));
}

TEST_F(DispatcherTest, AbortMapsReasonsToStatusCodes) {
  const auto abort = static_cast<uint32_t>(abi::Hypercall::kAbort);
  std::memcpy(memory_->HostAddress(0x30000, 4), "full", 4);
  auto oom = Call(abort, {1, 0x30000, 4, 4096, 100});
  EXPECT_EQ(oom.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(oom.status().message()), HasSubstr("requested 4096 bytes, 100 bytes free"));
  auto assertion = Call(abort, {2, 0x30000, 4});
  EXPECT_EQ(assertion.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(Error(Call(abort, {3, 0x30000, 4})), HasSubstr("unknown abort reason"));
  EXPECT_THAT(Error(Call(abort, {1, 0x30000, 1 << 20})), HasSubstr("limit"));
}

TEST_F(DispatcherTest, ExitFaultAndAwaitStopTheVcpu) {
  auto exit = Call(static_cast<uint32_t>(abi::Hypercall::kExit), {42});
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->kind, HypercallOutcome::Kind::kExit);
  EXPECT_EQ(exit->value, 42);
  abi::FaultReport f{};
  f.vector = 14;
  f.cr2 = 0xdead000;
  std::memcpy(mailbox().payload, &f, sizeof(f));
  auto fault = Call(static_cast<uint32_t>(abi::Hypercall::kFault), {});
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(fault->kind, HypercallOutcome::Kind::kFault);
  EXPECT_EQ(fault->fault.cr2, 0xdead000u);
  auto await = Call(static_cast<uint32_t>(abi::Hypercall::kAwaitCommand), {5});
  ASSERT_TRUE(await.ok());
  EXPECT_EQ(await->kind, HypercallOutcome::Kind::kAwaitCommand);
  EXPECT_EQ(await->value, 5);
  dispatcher_->AnswerAwaitCommand(abi::Command::kEchoLoop, 1, 2, 3);
  EXPECT_EQ(mailbox().result, static_cast<int64_t>(abi::Command::kEchoLoop));
  EXPECT_EQ(mailbox().results[2], 3u);
}

}  // namespace
}  // namespace palisade
