// The spec session inside a micro-VM: each step is a SpecRequest written into
// the guest's input buffer and a kSpec command; the guest's SpecReply is read
// back from the same buffer and checked like any guest data.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/spec/spec_backend.h"
#include "common/status_macros.h"
#include "vmm/embedded_images.h"
#include "vmm/sandbox.h"

namespace palisade::spec {
namespace {

using wasm::spectest::SpecStatus;

// Generous: a step is milliseconds even under QEMU's emulation, but a
// runaway one must not hang the run.
constexpr absl::Duration kStepTimeout = absl::Seconds(60);
constexpr uint64_t kGuestMemory = 1ull << 30;  // untouched pages cost nothing

bool KnownValType(uint64_t t) {
  switch (static_cast<wasm::ValType>(t)) {
    case wasm::ValType::kI32:
    case wasm::ValType::kI64:
    case wasm::ValType::kF32:
    case wasm::ValType::kF64:
    case wasm::ValType::kV128:
    case wasm::ValType::kFuncRef:
    case wasm::ValType::kExternRef:
      return true;
  }
  return false;
}

class InVm final : public SpecBackend {
 public:
  explicit InVm(bool compiler) : compiler_(compiler) {}

  absl::Status Reset() override {
    if (sandbox_ == nullptr || !sandbox_->alive()) {
      if (sandbox_ != nullptr) sealed_before_ += sandbox_->code_region().figures().modules;
      SandboxOptions o;
      o.image = ProductionGuestImage();
      o.memory_bytes = kGuestMemory;
      o.one_shot = true;  // many modules, one VM, never a snapshot
      sandbox_.reset();
      ASSIGN_OR_RETURN(sandbox_, Sandbox::Boot(o, absl::Now() + kStepTimeout));
      capacity_ = 0;
    }
    ASSIGN_OR_RETURN(StepResult r, Step(abi::SpecOp::kReset, 0, {}, {}));
    if (r.status != SpecStatus::kOk) {
      return absl::ResourceExhaustedError("the guest could not create a spec store");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<StepResult> Validate(std::span<const uint8_t> module) override {
    return Step(abi::SpecOp::kValidate, 0, module, {});
  }
  absl::StatusOr<StepResult> Instantiate(std::span<const uint8_t> module) override {
    auto r = Step(abi::SpecOp::kInstantiate, 0, module, {});
    if (r.ok() && r->status != SpecStatus::kCompileError) ++instantiated_;
    return r;
  }
  absl::StatusOr<StepResult> Register(const std::string& name, uint32_t instance) override {
    return Step(abi::SpecOp::kRegister, instance, AsBytes(name), {});
  }
  absl::StatusOr<StepResult> Invoke(uint32_t instance, const std::string& field,
                                    const std::vector<wasm::Value>& args) override {
    return Step(abi::SpecOp::kInvoke, instance, AsBytes(field), args);
  }
  absl::StatusOr<StepResult> Get(uint32_t instance, const std::string& field) override {
    return Step(abi::SpecOp::kGet, instance, AsBytes(field), {});
  }
  // Counted on the host: modules the guest sealed into its code region.
  std::string TierSummary() const override {
    if (!compiler_) return "";
    const uint64_t sealed =
        sealed_before_ + (sandbox_ != nullptr ? sandbox_->code_region().figures().modules : 0);
    return std::to_string(sealed) + " of " + std::to_string(instantiated_) +
           " instantiated modules ran compiled (sealed by the host)";
  }

 private:
  static std::span<const uint8_t> AsBytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }

  absl::StatusOr<StepResult> Step(abi::SpecOp op, uint32_t instance,
                                  std::span<const uint8_t> data,
                                  const std::vector<wasm::Value>& args) {
    if (sandbox_ == nullptr || !sandbox_->alive()) {
      return absl::FailedPreconditionError("the micro-VM stopped earlier in this file");
    }
    if (args.size() > abi::kMaxSpecValues) {
      return absl::InvalidArgumentError("more arguments than a spec request carries");
    }
    abi::SpecRequest req{};
    req.magic = abi::kSpecMagic;
    req.op = op;
    req.instance = instance;
    req.data_offset = sizeof(req);
    req.data_size = static_cast<uint32_t>(data.size());
    req.values_offset = static_cast<uint32_t>((sizeof(req) + data.size() + 7) & ~size_t{7});
    req.value_count = static_cast<uint32_t>(args.size());
    req.flags = compiler_ ? abi::kEngineCompiler : 0;
    std::vector<uint8_t> bytes(req.values_offset + args.size() * sizeof(abi::WasmValue), 0);
    std::memcpy(bytes.data(), &req, sizeof(req));
    if (!data.empty()) std::memcpy(bytes.data() + sizeof(req), data.data(), data.size());
    for (size_t i = 0; i < args.size(); ++i) {
      abi::WasmValue v{static_cast<uint64_t>(args[i].type), args[i].bits[0], args[i].bits[1]};
      std::memcpy(bytes.data() + req.values_offset + i * sizeof(v), &v, sizeof(v));
    }
    RETURN_IF_ERROR(EnsureBuffer(std::max<uint64_t>(bytes.size(), sizeof(abi::SpecReply))));
    RETURN_IF_ERROR(sandbox_->CopyToGuest(buffer_, bytes));
    ASSIGN_OR_RETURN(int64_t status, sandbox_->RunCommand(abi::Command::kSpec, buffer_, bytes.size(),
                                                          0, absl::Now() + kStepTimeout));
    if (status != 0) {
      return absl::InternalError(absl::StrCat("the guest refused a spec request (status ", status, ")"));
    }
    ASSIGN_OR_RETURN(std::span<const uint8_t> raw, sandbox_->memory().Read(buffer_, sizeof(abi::SpecReply)));
    abi::SpecReply reply;
    std::memcpy(&reply, raw.data(), sizeof(reply));
    return Parse(reply);
  }

  // The reply came from the guest: every field is checked before use.
  static absl::StatusOr<StepResult> Parse(const abi::SpecReply& reply) {
    if (reply.status > static_cast<uint32_t>(SpecStatus::kOutOfMemory) ||
        reply.result_count > abi::kMaxSpecValues || reply.message_size > sizeof(reply.message) ||
        reply.error_kind > static_cast<uint32_t>(wasm::ErrorKind::kOutOfMemory) ||
        reply.trap > static_cast<uint32_t>(wasm::TrapKind::kOutOfMemory)) {
      return absl::InternalError("the guest sent a malformed spec reply");
    }
    StepResult r;
    r.status = static_cast<SpecStatus>(reply.status);
    r.error_kind = static_cast<wasm::ErrorKind>(reply.error_kind);
    r.message.assign(reply.message, reply.message_size);
    r.trap = static_cast<wasm::TrapKind>(reply.trap);
    r.instance = reply.instance;
    for (uint32_t i = 0; i < reply.result_count; ++i) {
      if (!KnownValType(reply.results[i].type)) {
        return absl::InternalError("the guest sent a value of unknown type");
      }
      wasm::Value v;
      v.type = static_cast<wasm::ValType>(reply.results[i].type);
      v.bits[0] = reply.results[i].lo;
      v.bits[1] = reply.results[i].hi;
      r.results.push_back(v);
    }
    return r;
  }

  absl::Status EnsureBuffer(uint64_t bytes) {
    if (bytes <= capacity_) return absl::OkStatus();
    const uint64_t want = std::max<uint64_t>(bytes, 64 << 10);
    ASSIGN_OR_RETURN(int64_t addr, sandbox_->RunCommand(abi::Command::kAllocInput, want, 0, 0,
                                                        absl::Now() + kStepTimeout));
    if (addr <= 0) {
      capacity_ = 0;
      return absl::ResourceExhaustedError(absl::StrCat("the guest has no room for ", want, " bytes"));
    }
    buffer_ = static_cast<uint64_t>(addr);
    capacity_ = want;
    return absl::OkStatus();
  }

  const bool compiler_;
  std::unique_ptr<Sandbox> sandbox_;
  uint64_t buffer_ = 0;
  uint64_t capacity_ = 0;
  uint64_t sealed_before_ = 0;  // by sandboxes this backend replaced
  uint64_t instantiated_ = 0;
};

}  // namespace

std::unique_ptr<SpecBackend> VmBackend(bool compiler) { return std::make_unique<InVm>(compiler); }

}  // namespace palisade::spec
