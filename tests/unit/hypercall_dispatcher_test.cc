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
    auto d = HypercallDispatcher::Create(&*memory_, kMailbox, kMailbox + 4096, &console_, services_);
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
  GuestServices* services_ = nullptr;  // set by fixtures that offer WASI
  std::optional<HypercallDispatcher> dispatcher_;
  std::vector<uint8_t> run_;
};

TEST_F(DispatcherTest, MailboxMustBeWritableGuestMemory) {
  EXPECT_FALSE(HypercallDispatcher::Create(&*memory_, 0x1000, kMailbox + 4096, nullptr).ok());
  EXPECT_FALSE(HypercallDispatcher::Create(&*memory_, 0xfffff000ull << 8, kMailbox + 4096, nullptr).ok());
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

TEST_F(DispatcherTest, ConsoleFloodsEndAtTheLimit) {
  dispatcher_->set_console_limit(10);
  std::memcpy(memory_->HostAddress(0x30000, 8), "abcdefgh", 8);
  auto nr = static_cast<uint32_t>(abi::Hypercall::kConsoleWrite);
  ASSERT_TRUE(Call(nr, {1, 0x30000, 8}).ok());
  EXPECT_THAT(Error(Call(nr, {1, 0x30000, 8})), HasSubstr("limit of 10 bytes"));
  EXPECT_EQ(console_.out, "abcdefgh");  // nothing past the limit got out
}

TEST_F(DispatcherTest, AbortMapsReasonsToStatusCodes) {
  const auto abort = static_cast<uint32_t>(abi::Hypercall::kAbort);
  std::memcpy(memory_->HostAddress(0x30000, 4), "full", 4);
  auto oom = Call(abort, {1, 0x30000, 4, 4096, 100});
  EXPECT_EQ(oom.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(oom.status().message()), HasSubstr("requested 4096 bytes, 100 bytes free"));
  auto assertion = Call(abort, {2, 0x30000, 4});
  EXPECT_EQ(assertion.status().code(), absl::StatusCode::kAborted);
  auto cpu = Call(abort, {3, 0x30000, 4});
  EXPECT_EQ(cpu.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(cpu.status().message()), HasSubstr("cannot run on this CPU: full"));
  EXPECT_THAT(Error(Call(abort, {4, 0x30000, 4})), HasSubstr("unknown abort reason"));
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

// The WASI hypercalls against a recording GuestServices.
class FakeServices final : public GuestServices {
 public:
  int64_t ReadStdin(uint8_t* buf, size_t cap) override {
    size_t n = input.size() < cap ? input.size() : cap;
    std::memcpy(buf, input.data(), n);
    input.erase(0, n);
    return static_cast<int64_t>(n);
  }
  std::optional<uint64_t> Clock(uint32_t id, bool) override {
    return id == 1 ? std::optional<uint64_t>(123456789) : std::nullopt;
  }
  bool Random(uint8_t* buf, size_t len) override {
    ++random_calls;
    std::memset(buf, 0x5a, len);
    return true;
  }
  int random_calls = 0;
  void Outcome(WasmOutcomeReport r) override { outcome = std::move(r); }
  void Signature(std::vector<uint8_t> p, std::vector<uint8_t> r) override {
    params = std::move(p);
    results = std::move(r);
  }
  void Results(std::vector<abi::WasmValue> v) override { values = std::move(v); }
  void PolicyDenied(std::string f) override { denials.push_back(std::move(f)); }
  void FsChanges(std::vector<uint8_t> bytes) override { fs_changes = std::move(bytes); }

  std::vector<uint8_t> fs_changes;
  std::string input;
  std::vector<std::string> denials;
  std::optional<WasmOutcomeReport> outcome;
  std::vector<uint8_t> params, results;
  std::vector<abi::WasmValue> values;
};

class WasiHypercallTest : public DispatcherTest {
 protected:
  void SetUp() override {
    services_ = &fake_;
    DispatcherTest::SetUp();
  }
  uint8_t* Ram(uint64_t gpa, uint64_t len) { return memory_->HostAddress(gpa, len); }
  static uint32_t Nr(abi::Hypercall h) { return static_cast<uint32_t>(h); }
  FakeServices fake_;
};

TEST_F(DispatcherTest, WasiHypercallsNeedServices) {
  EXPECT_THAT(Error(Call(static_cast<uint32_t>(abi::Hypercall::kStdinRead), {0x30000, 16})),
              HasSubstr("not offered"));
  EXPECT_THAT(Error(Call(static_cast<uint32_t>(abi::Hypercall::kRandom), {0x30000, 16})),
              HasSubstr("not offered"));
}

TEST_F(WasiHypercallTest, StdinReadChecksTheDestination) {
  fake_.input = "hello";
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kStdinRead), {0x1000, 16})), HasSubstr("read-only"));
  EXPECT_FALSE(Call(Nr(abi::Hypercall::kStdinRead), {0xfffff0, 4096}).ok());  // runs off RAM
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kStdinRead), {0x30000, 16}).ok());
  EXPECT_EQ(mailbox().result, 5);
  EXPECT_EQ(std::memcmp(Ram(0x30000, 5), "hello", 5), 0);
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kStdinRead), {0x30000, 0x80000}).ok());
  EXPECT_EQ(mailbox().result, 0);  // end of input
  // A huge capacity is cut to the 1 MiB per-call limit, and that must
  // still be the guest's own memory (here it would run past RAM).
  EXPECT_FALSE(Call(Nr(abi::Hypercall::kStdinRead), {0x30000, ~0ull}).ok());
}

TEST_F(WasiHypercallTest, ClockAndRandomCheckTheirArguments) {
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kClockTime), {1, 0}).ok());
  EXPECT_EQ(mailbox().result, 0);
  EXPECT_EQ(mailbox().results[0], 123456789u);
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kClockTime), {7, 0}).ok());
  EXPECT_EQ(mailbox().result, -28);  // EINVAL: no such clock
  EXPECT_FALSE(Call(Nr(abi::Hypercall::kClockTime), {1, 2}).ok());
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kRandom), {0x30000, abi::kMaxRandomBytes + 1})),
              HasSubstr("limit"));
  EXPECT_FALSE(Call(Nr(abi::Hypercall::kRandom), {0x1000, 8}).ok());
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kRandom), {0x30000, 8}).ok());
  EXPECT_EQ(Ram(0x30000, 8)[7], 0x5a);
  // Zero bytes: done, without handing the services a null buffer (the
  // hypercall fuzzer's first find; fuzz/regressions/hypercall_fuzzer/).
  fake_.random_calls = 0;
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kRandom), {0, 0}).ok());
  EXPECT_EQ(mailbox().result, 0);
  EXPECT_EQ(fake_.random_calls, 0);
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kSleep), {abi::kMaxSleepNanos + 1})), HasSubstr("limit"));
  EXPECT_TRUE(Call(Nr(abi::Hypercall::kSleep), {1000}).ok());
}

TEST_F(WasiHypercallTest, OutcomesSignaturesAndResultsAreBounded) {
  std::memcpy(Ram(0x30000, 4), "boom", 4);
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kWasmOutcome), {9, 0, 0, 0, 0x30000, 4})),
              HasSubstr("unknown outcome"));
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kWasmOutcome), {2, 1, 0, 0, 0x30000, 1 << 20})),
              HasSubstr("limit"));
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kWasmOutcome), {2, 1, 3, 0x40, 0x30000, 4}).ok());
  ASSERT_TRUE(fake_.outcome.has_value());
  EXPECT_EQ(fake_.outcome->kind, abi::WasmOutcome::kTrapped);
  EXPECT_EQ(fake_.outcome->func_index, 3u);
  EXPECT_EQ(fake_.outcome->text, "boom");
  EXPECT_FALSE(Call(Nr(abi::Hypercall::kWasmSignature), {0x30000, 5000, 0}).ok());
  const uint8_t types[] = {0x7f, 0x7e, 0x7c};
  std::memcpy(Ram(0x30000, 3), types, 3);
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kWasmSignature), {0x30000, 2, 1}).ok());
  EXPECT_EQ(fake_.params, (std::vector<uint8_t>{0x7f, 0x7e}));
  EXPECT_EQ(fake_.results, (std::vector<uint8_t>{0x7c}));
  EXPECT_FALSE(Call(Nr(abi::Hypercall::kWasmResults), {0x30000, abi::kMaxWasmValues + 1}).ok());
  EXPECT_FALSE(Call(Nr(abi::Hypercall::kWasmResults), {0xfffff0, 2}).ok());
  abi::WasmValue v{0x7f, 42, 0};
  std::memcpy(Ram(0x30000, sizeof v), &v, sizeof v);
  ASSERT_TRUE(Call(Nr(abi::Hypercall::kWasmResults), {0x30000, 1}).ok());
  ASSERT_EQ(fake_.values.size(), 1u);
  EXPECT_EQ(fake_.values[0].lo, 42u);
}

// kFsChanges: the bytes are copied out through the checked read, whatever
// they hold (the host validates them later); bad lengths and addresses end
// the sandbox.
TEST_F(WasiHypercallTest, ChangeSetsAreReadThroughCheckedGuestMemory) {
  const uint32_t nr = Nr(abi::Hypercall::kFsChanges);
  EXPECT_THAT(Error(Call(nr, {0x30000, abi::kMaxFsChangesBytes + 1})), HasSubstr("limit"));
  EXPECT_FALSE(Call(nr, {0xfffff0, 64}).ok());
  EXPECT_FALSE(Call(nr, {~0ull - 8, 64}).ok());
  EXPECT_TRUE(fake_.fs_changes.empty());
  std::memcpy(Ram(0x30000, 5), "bytes", 5);
  ASSERT_TRUE(Call(nr, {0x30000, 5}).ok());
  EXPECT_EQ(std::string(fake_.fs_changes.begin(), fake_.fs_changes.end()), "bytes");
}


// The outbox: calls queued by the guest are handled, in order, before the
// hypercall that ends their wait, and the mailbox answer is untouched.
class OutboxTest : public WasiHypercallTest {
 protected:
  static constexpr uint64_t kOutbox = kMailbox + 4096;
  abi::OutboxHeader& Header() {
    return *reinterpret_cast<abi::OutboxHeader*>(Ram(kOutbox, sizeof(abi::OutboxHeader)));
  }
  // Appends a record as the guest would; returns the guest address of its data.
  uint64_t Queue(abi::Hypercall nr, std::vector<uint64_t> args, std::string_view data = {},
                 int data_arg = -1) {
    abi::OutboxRecord rec{};
    rec.nr = Nr(nr);
    rec.bytes = static_cast<uint32_t>((sizeof(rec) + data.size() + 7) & ~size_t{7});
    for (size_t i = 0; i < args.size(); ++i) rec.args[i] = args[i];
    const uint64_t at = kOutbox + sizeof(abi::OutboxHeader) + Header().tail;
    const uint64_t data_gpa = at + sizeof(rec);
    if (data_arg >= 0) rec.args[data_arg] = data_gpa;
    std::memcpy(Ram(at, sizeof(rec)), &rec, sizeof(rec));
    if (!data.empty()) std::memcpy(Ram(data_gpa, data.size()), data.data(), data.size());
    Header().tail += rec.bytes;
    return data_gpa;
  }
};

TEST_F(OutboxTest, QueuedCallsAreHandledInOrderBeforeTheHypercall) {
  Queue(abi::Hypercall::kConsoleWrite, {1, 0, 6}, "hello ", 1);
  Queue(abi::Hypercall::kConsoleWrite, {2, 0, 4}, "oops", 1);
  Queue(abi::Hypercall::kConsoleWrite, {1, 0, 6}, "world\n", 1);
  abi::WasmValue v{0x7f, 42, 0};
  Queue(abi::Hypercall::kWasmResults, {0, 1},
        std::string_view(reinterpret_cast<const char*>(&v), sizeof v), 0);
  Queue(abi::Hypercall::kWasmOutcome, {1, 0, 0, 0, 0, 0});
  auto r = Call(Nr(abi::Hypercall::kAwaitCommand), {0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, HypercallOutcome::Kind::kAwaitCommand);
  EXPECT_EQ(console_.out, "hello world\n");
  EXPECT_EQ(console_.err, "oops");
  ASSERT_EQ(fake_.values.size(), 1u);
  EXPECT_EQ(fake_.values[0].lo, 42u);
  ASSERT_TRUE(fake_.outcome.has_value());
  EXPECT_EQ(fake_.outcome->kind, abi::WasmOutcome::kExited);
  EXPECT_EQ(dispatcher_->deferred_calls(), 5u);
  // At a hypercall the guest is not appending: the outbox starts over.
  EXPECT_EQ(Header().head, 0u);
  EXPECT_EQ(Header().tail, 0u);
}

TEST_F(OutboxTest, ADrainBetweenHypercallsKeepsTheGuestsPlaceAndTheMailbox) {
  Queue(abi::Hypercall::kConsoleWrite, {1, 0, 3}, "abc", 1);
  mailbox().result = 77;  // an answer the guest has not read yet
  mailbox().results[0] = 78;
  ASSERT_TRUE(dispatcher_->DrainOutbox(/*at_hypercall=*/false).ok());
  EXPECT_EQ(console_.out, "abc");
  const uint64_t tail = Header().tail;
  EXPECT_EQ(Header().head, tail);
  EXPECT_GT(tail, 0u);
  EXPECT_EQ(mailbox().result, 77);
  EXPECT_EQ(mailbox().results[0], 78u);
  // Nothing new: nothing handled twice.
  ASSERT_TRUE(dispatcher_->DrainOutbox(false).ok());
  EXPECT_EQ(console_.out, "abc");
  Queue(abi::Hypercall::kConsoleWrite, {1, 0, 3}, "def", 1);
  ASSERT_TRUE(dispatcher_->DrainOutbox(false).ok());
  EXPECT_EQ(console_.out, "abcdef");
}

TEST_F(OutboxTest, MalformedQueuesAreBadHypercalls) {
  // A call that needs an answer cannot be queued.
  Queue(abi::Hypercall::kStdinRead, {0x30000, 4});
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kFlush), {})), HasSubstr("cannot be queued"));
  Header() = {};
  // Bounds outside the outbox, unaligned, reversed.
  for (auto [head, tail] : {std::pair<uint64_t, uint64_t>{0, abi::kOutboxBytes},
                            {0, 12}, {16, 8}}) {
    Header().head = head;
    Header().tail = tail;
    EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kFlush), {})), HasSubstr("outbox bounds"));
  }
  // A record longer than what was published, or shorter than its header.
  Header() = {};
  Queue(abi::Hypercall::kConsoleWrite, {1, 0, 3}, "abc", 1);
  auto* rec = reinterpret_cast<abi::OutboxRecord*>(Ram(kOutbox + sizeof(abi::OutboxHeader), 64));
  rec->bytes += 8;
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kFlush), {})), HasSubstr("outbox record"));
  rec->bytes = 8;
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kFlush), {})), HasSubstr("outbox record"));
  // A queued call's pointers are checked like any other.
  Header() = {};
  Queue(abi::Hypercall::kConsoleWrite, {1, 0x1ff000000ull, 3});
  EXPECT_THAT(Error(Call(Nr(abi::Hypercall::kFlush), {})), HasSubstr("queued console_write"));
}

}  // namespace
}  // namespace palisade

