#include "cli/fuzz/vm_target.h"

#include <algorithm>
#include <cstring>

#include "absl/time/clock.h"
#include "cli/vm_session.h"
#include "vmm/embedded_images.h"
#include "wasm/runtime/trap.h"

namespace palisade::cli::fuzz {
namespace {

// Eight bytes at a time: the arrays are 8-aligned and mostly zero.
bool AnyNonZero(std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    if (word != 0) return true;
  }
  for (; i < bytes.size(); ++i) {
    if (bytes[i] != 0) return true;
  }
  return false;
}

}  // namespace

namespace {

constexpr uint64_t Align8(uint64_t x) { return (x + 7) & ~uint64_t{7}; }

// How long setting up (boot, compile, _initialize) may take.
constexpr absl::Duration kSetupTime = absl::Seconds(60);

}  // namespace

VmTarget::VmTarget(const HarnessLimits& limits, CoverageArrays coverage) : limits_(limits), coverage_(coverage) {}

VmTarget::~VmTarget() {
  if (sandbox_ != nullptr && sandbox_->alive()) (void)sandbox_->Shutdown(0, absl::Now() + absl::Seconds(2));
}

absl::StatusOr<std::unique_ptr<VmTarget>> VmTarget::Create(std::vector<uint8_t> module, const HarnessLimits& limits,
                                                           CoverageArrays coverage, const std::string& memory) {
  uint64_t bytes = ParseSize(memory);
  if (bytes < (8ull << 20) || bytes > (64ull << 30) || bytes % 4096 != 0) {
    return absl::InvalidArgumentError("bad --memory '" + memory + "' (a size from 8M to 64G, e.g. 256M)");
  }
  std::unique_ptr<VmTarget> t(new VmTarget(limits, coverage));
  t->module_ = std::move(module);
  if (absl::Status s = t->Boot(bytes); !s.ok()) return s;
  return t;
}

std::string VmTarget::DescribeOutcome(const WasmOutcomeReport& r) const {
  switch (r.kind) {
    case abi::WasmOutcome::kExited:
      return "exit: the harness called exit(" + std::to_string(r.code) + ")";
    case abi::WasmOutcome::kTrapped: {
      std::string s = "trap: ";
      s += r.code >= 0 && r.code < 256 ? wasm::TrapMessage(static_cast<wasm::TrapKind>(r.code)) : "unknown trap";
      s += " in function " + std::to_string(r.func_index);
      if (!r.text.empty()) s += " (" + r.text + ")";
      char off[32];
      std::snprintf(off, sizeof off, " at offset 0x%x", r.offset);
      return s + off;
    }
    case abi::WasmOutcome::kMemoryLimit:
      return r.code == 1 ? "memory limit: the harness's malloc for the input returned NULL"
                         : "memory limit: the harness asked for more than " +
                               std::to_string(limits_.max_memory_pages) + " pages of linear memory";
    case abi::WasmOutcome::kLoadFailed:
    case abi::WasmOutcome::kLinkFailed:
      return r.text;
  }
  return "unknown outcome";
}

absl::Status VmTarget::Boot(uint64_t memory_bytes) {
  const absl::Time deadline = absl::Now() + kSetupTime;
  SandboxOptions options;
  options.image = ProductionGuestImage();
  options.memory_bytes = memory_bytes;
  if (limits_.show_output) console_ = std::make_unique<StdioConsole>();
  options.console = console_.get();
  options.services = &services_;
  auto sandbox = Sandbox::Boot(options, deadline);
  if (!sandbox.ok()) {
    return absl::UnavailableError("cannot start a micro-VM: " + std::string(sandbox.status().message()) +
                                  " (--in-process runs without one)");
  }
  sandbox_ = std::move(*sandbox);

  WasiRunSpec spec;
  spec.module = module_;
  spec.args = {"harness"};
  spec.mode = abi::WasiRunMode::kInstantiate;
  spec.max_memory_pages = limits_.max_memory_pages;
  spec.coverage = true;
  spec.compiler = limits_.compiler;
  services_.ClearOutcome();
  if (absl::Status s = RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), deadline); !s.ok()) {
    return absl::FailedPreconditionError("setting the harness up failed: " + std::string(s.message()));
  }
  const WasmOutcomeReport& r = *services_.outcome();
  if (r.kind == abi::WasmOutcome::kLoadFailed) return absl::InvalidArgumentError(r.text);
  if (r.kind != abi::WasmOutcome::kExited || r.code != 0) {
    return absl::FailedPreconditionError("the harness's initialisation failed: " + DescribeOutcome(r));
  }
  // The request buffer holds a header, the largest input, then the
  // coverage arrays (which stay zero in the snapshot).
  input_offset_ = Align8(sizeof(abi::WasiRunRequest));
  coverage_offset_ = Align8(input_offset_ + std::max<uint64_t>(limits_.max_input, 1));
  const uint64_t capacity =
      coverage_offset_ + coverage_.counters.size() + coverage_.cmps.size() * sizeof(wasm::CmpRecord);
  auto warm = SnapshotForCalls(*sandbox_, capacity, deadline);
  if (!warm.ok()) return absl::FailedPreconditionError("snapshotting the harness failed: " + std::string(warm.status().message()));
  warm_ = *warm;

  if (absl::Status s = CheckExport("LLVMFuzzerTestOneInput", {0x7f, 0x7f}, {0x7f},
                                   "int LLVMFuzzerTestOneInput(const uint8_t*, size_t)");
      !s.ok()) {
    return s;
  }
  return CheckExport("malloc", {0x7f}, {0x7f}, "void* malloc(size_t)");
}

absl::Status VmTarget::CheckExport(const char* name, std::vector<uint8_t> params, std::vector<uint8_t> results,
                                   const char* shape) {
  WasiRunSpec spec;
  spec.mode = abi::WasiRunMode::kDescribe;
  spec.export_name = name;
  services_.ClearOutcome();
  absl::Status s = RunWarmCommand(*sandbox_, warm_, BuildWasiRunRequest(spec), absl::Now() + kSetupTime);
  if (s.ok()) s = sandbox_->Reset();
  if (!s.ok()) return absl::FailedPreconditionError("asking for " + std::string(name) + " failed: " + std::string(s.message()));
  const WasmOutcomeReport& r = *services_.outcome();
  if (r.kind == abi::WasmOutcome::kLinkFailed) {
    return absl::InvalidArgumentError("the harness does not export " + std::string(name) +
                                      " (link with -Wl,--export=" + name + ")");
  }
  if (services_.param_types() != params || services_.result_types() != results) {
    return absl::InvalidArgumentError("the harness's " + std::string(name) + " must be " + shape);
  }
  return absl::OkStatus();
}

absl::StatusOr<Outcome> VmTarget::Run(std::span<const uint8_t> input) {
  if (input.size() > limits_.max_input) {
    return absl::InvalidArgumentError("input of " + std::to_string(input.size()) + " bytes exceeds the " +
                                      std::to_string(limits_.max_input) + " the sandbox was set up for");
  }
  abi::WasiRunRequest req{};
  req.magic = abi::kWasiRunMagic;
  req.mode = abi::WasiRunMode::kFuzzOne;
  req.max_memory_pages = limits_.max_memory_pages;
  req.fuel = limits_.fuel;
  req.input_offset = static_cast<uint32_t>(input_offset_);
  req.input_size = static_cast<uint32_t>(input.size());
  req.coverage_offset = static_cast<uint32_t>(coverage_offset_);
  req.coverage_counters = static_cast<uint32_t>(coverage_.counters.size());
  req.coverage_cmp_slots = static_cast<uint32_t>(coverage_.cmps.size());
  absl::Status s = sandbox_->CopyToGuest(
      warm_.request_addr, std::span(reinterpret_cast<const uint8_t*>(&req), sizeof req));
  if (s.ok() && !input.empty()) s = sandbox_->CopyToGuest(warm_.request_addr + input_offset_, input);
  if (!s.ok()) return s;

  services_.ClearOutcome();
  absl::StatusOr<int64_t> status =
      sandbox_->RunCommand(abi::Command::kRunWasi, warm_.request_addr, warm_.request_capacity, 0,
                           absl::Now() + limits_.timeout);
  Outcome out;
  if (!status.ok()) {
    if (!absl::IsDeadlineExceeded(status.status())) return status.status();
    out.kind = Outcome::Kind::kCrash;
    out.reason = "timeout: the input ran past " + absl::FormatDuration(limits_.timeout);
  } else if (*status == abi::kFuzzRejected) {
    out.kind = Outcome::Kind::kRejected;
  } else if (*status != abi::kFuzzReturned) {
    if (*status != 0 || !services_.outcome().has_value()) {
      return absl::InternalError("the guest refused the fuzz request (status " + std::to_string(*status) + ")");
    }
    const WasmOutcomeReport& r = *services_.outcome();
    if (r.kind == abi::WasmOutcome::kLoadFailed || r.kind == abi::WasmOutcome::kLinkFailed) {
      return absl::FailedPreconditionError(r.text);
    }
    out.kind = Outcome::Kind::kCrash;
    out.reason = DescribeOutcome(r);
  }
  // The coverage the guest recorded, into the arrays the fuzzing engine reads.
  const uint64_t cov = warm_.request_addr + coverage_offset_;
  auto counters = sandbox_->memory().Read(cov, coverage_.counters.size());
  auto cmps = sandbox_->memory().Read(cov + coverage_.counters.size(), coverage_.cmps.size_bytes());
  if (!counters.ok() || !cmps.ok()) return absl::InternalError("the coverage arrays are outside guest memory");
  std::memcpy(coverage_.counters.data(), counters->data(), counters->size());
  std::memcpy(static_cast<void*>(coverage_.cmps.data()), cmps->data(), cmps->size());
  // The request area is not dirty-logged (writing coverage costs no fault):
  // the reset restores the pages of the arrays that the input wrote, because
  // the host says so (an untouched page still reads as zero).
  auto arrays = sandbox_->memory().Read(cov, counters->size() + cmps->size());
  if (!arrays.ok()) return arrays.status();
  for (uint64_t at = 0; at < arrays->size(); at += 4096) {
    const uint64_t len = std::min<uint64_t>(4096, arrays->size() - at);
    if (AnyNonZero(arrays->subspan(at, len))) {
      if (absl::Status r = sandbox_->RollBackAtReset(cov + at, len); !r.ok()) return r;
    }
  }
  if (absl::Status r = sandbox_->Reset(); !r.ok()) return r;
  if (inputs_ == 0) first_exits_ = sandbox_->exits() - 1;  // this input's exit counts
  ++inputs_;
  reset_pages_ += sandbox_->last_reset_pages();
  return out;
}

std::string VmTarget::Tier() const {
  if (!limits_.compiler) return "interpreted (--engine interpreter)";
  // The host knows: compiled code is what the guest had it seal.
  return sandbox_->code_region().figures().modules != 0
             ? "compiled (checked and sealed by the host)"
             : "interpreted (the compiler tier cannot translate this harness yet)";
}

std::string VmTarget::ResetSummary() const {
  if (inputs_ == 0) return "";
  char buf[192];
  std::snprintf(buf, sizeof buf,
                "%llu inputs, each from the snapshot: per input %.2f VM exits and %.1f dirty pages "
                "rolled back",
                static_cast<unsigned long long>(inputs_),
                static_cast<double>(sandbox_->exits() - first_exits_) / inputs_,
                static_cast<double>(reset_pages_) / inputs_);
  return buf;
}

}  // namespace palisade::cli::fuzz
