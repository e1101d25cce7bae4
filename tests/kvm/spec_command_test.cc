// The guest's kSpec command (`palisade spec --in-vm`): hostile requests are
// refused without harming the guest, and a good one is answered in place.
#include <cstring>
#include <vector>

#include "tests/kvm/kvm_test_support.h"

namespace palisade {
namespace {

using testing::Deadline;

class SpecCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!MicroVmsUsable()) return;  // each test skips itself, saying why
    SandboxOptions o;
    o.image = ProductionGuestImage();
    o.memory_bytes = 64ull << 20;
    auto sb = Sandbox::Boot(o, Deadline());
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandbox_ = std::move(*sb);
    auto addr = sandbox_->RunCommand(abi::Command::kAllocInput, kBuffer, 0, 0, Deadline());
    ASSERT_TRUE(addr.ok() && *addr > 0);
    buffer_ = static_cast<uint64_t>(*addr);
  }

  // Sends `req` (+ `data`) and returns the command's status.
  int64_t Send(abi::SpecRequest req, const std::vector<uint8_t>& data = {},
               uint64_t claimed_size = 0) {
    std::vector<uint8_t> bytes(sizeof(req) + data.size());
    std::memcpy(bytes.data(), &req, sizeof(req));
    if (!data.empty()) std::memcpy(bytes.data() + sizeof(req), data.data(), data.size());
    EXPECT_TRUE(sandbox_->CopyToGuest(buffer_, bytes).ok());
    auto r = sandbox_->RunCommand(abi::Command::kSpec, buffer_,
                                  claimed_size != 0 ? claimed_size : bytes.size(), 0, Deadline());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : 0;
  }

  abi::SpecReply Reply() {
    abi::SpecReply reply;
    auto raw = sandbox_->memory().Read(buffer_, sizeof(reply));
    EXPECT_TRUE(raw.ok());
    std::memcpy(&reply, raw->data(), sizeof(reply));
    return reply;
  }

  static abi::SpecRequest Request(abi::SpecOp op) {
    abi::SpecRequest r{};
    r.magic = abi::kSpecMagic;
    r.op = op;
    r.data_offset = sizeof(r);
    r.values_offset = sizeof(r);
    return r;
  }

  static constexpr uint64_t kBuffer = 64 << 10;
  std::unique_ptr<Sandbox> sandbox_;
  uint64_t buffer_ = 0;
};

TEST_F(SpecCommandTest, HostileRequestsAreRefusedAndTheGuestCarriesOn) {
  PALISADE_REQUIRE_KVM();
  abi::SpecRequest bad_magic = Request(abi::SpecOp::kReset);
  bad_magic.magic = 1;
  EXPECT_LT(Send(bad_magic), 0);
  abi::SpecRequest outside = Request(abi::SpecOp::kValidate);
  outside.data_size = 0xfffffff0;
  EXPECT_LT(Send(outside), 0);
  abi::SpecRequest too_many = Request(abi::SpecOp::kInvoke);
  too_many.value_count = 1000;
  EXPECT_LT(Send(too_many), 0);
  abi::SpecRequest bad_op = Request(static_cast<abi::SpecOp>(99));
  EXPECT_LT(Send(bad_op), 0);
  // Claims more bytes than the buffer holds.
  EXPECT_LT(Send(Request(abi::SpecOp::kReset), {}, kBuffer + 4096), 0);
  // Actions on instances that do not exist are answered, not fatal.
  ASSERT_EQ(Send(Request(abi::SpecOp::kReset)), 0);
  abi::SpecRequest invoke = Request(abi::SpecOp::kInvoke);
  invoke.instance = 12345;
  ASSERT_EQ(Send(invoke), 0);
  EXPECT_EQ(Reply().status, 4u);  // kNoInstance
  EXPECT_TRUE(sandbox_->alive());
}

TEST_F(SpecCommandTest, AModuleIsValidatedAndInstantiatedInPlace) {
  PALISADE_REQUIRE_KVM();
  ASSERT_EQ(Send(Request(abi::SpecOp::kReset)), 0);
  // (module (func (export "f") (result i32) i32.const 42))
  const std::vector<uint8_t> module = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05,
                                       0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07,
                                       0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04,
                                       0x00, 0x41, 0x2a, 0x0b};
  abi::SpecRequest inst = Request(abi::SpecOp::kInstantiate);
  inst.data_size = static_cast<uint32_t>(module.size());
  inst.values_offset = static_cast<uint32_t>((sizeof(inst) + module.size() + 7) & ~size_t{7});
  std::vector<uint8_t> padded = module;
  padded.resize(inst.values_offset - sizeof(inst), 0);
  ASSERT_EQ(Send(inst, padded), 0);
  ASSERT_EQ(Reply().status, 0u) << std::string(Reply().message, Reply().message_size);
  const uint32_t handle = Reply().instance;

  abi::SpecRequest call = Request(abi::SpecOp::kInvoke);
  call.instance = handle;
  call.data_size = 1;
  call.values_offset = sizeof(call) + 8;
  ASSERT_EQ(Send(call, {'f', 0, 0, 0, 0, 0, 0, 0}), 0);
  const abi::SpecReply reply = Reply();
  ASSERT_EQ(reply.status, 0u);
  ASSERT_EQ(reply.result_count, 1u);
  EXPECT_EQ(reply.results[0].lo, 42u);

  std::vector<uint8_t> broken = module;
  broken.resize(12);
  abi::SpecRequest validate = Request(abi::SpecOp::kValidate);
  validate.data_size = static_cast<uint32_t>(broken.size());
  validate.values_offset = sizeof(validate) + 16;
  broken.resize(16, 0);
  ASSERT_EQ(Send(validate, broken), 0);
  EXPECT_EQ(Reply().status, 1u);  // kCompileError
  EXPECT_GT(Reply().message_size, 0u);
}

}  // namespace
}  // namespace palisade
