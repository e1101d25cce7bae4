#include "server/vm_executor.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vmm/guest_memory_plan.h"
#include "vmm/module_needs.h"
#include "vmm/embedded_images.h"

namespace palisade::server {
namespace {

// Sandbox errors in the service's terms.
absl::Status FromSandbox(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInvalidArgument:
      return s;
    case absl::StatusCode::kAborted:
      return absl::InternalError(s.message());  // the guest crashed: our bug, not the caller's
    default:
      return absl::UnavailableError(absl::StrCat("micro-VM: ", s.message()));
  }
}

// `one_shot`: the sandbox runs once and is never snapshotted (SandboxOptions::one_shot).
absl::StatusOr<std::unique_ptr<Sandbox>> BootGuest(uint64_t memory_bytes, ConsoleSink* console,
                                                   GuestServices* services, uint64_t max_output,
                                                   bool one_shot, absl::Time deadline) {
  SandboxOptions o;
  o.image = ProductionGuestImage();
  o.memory_bytes = memory_bytes;
  o.console = console;
  o.services = services;
  o.max_console_bytes = max_output;
  o.one_shot = one_shot;
  auto sandbox = Sandbox::Boot(o, deadline);
  if (!sandbox.ok()) return FromSandbox(sandbox.status());
  return sandbox;
}

// What the caller asked for, or what the module needs under the tenant's
// ceiling; a module that cannot fit is the caller's problem (ResourceExhausted).
// `wanted_bytes`: room for writable directories (ModuleNeeds::wanted_bytes).
absl::StatusOr<uint64_t> GuestMemoryFor(std::span<const uint8_t> module, const CallLimits& limits,
                                        uint64_t request_bytes, uint64_t wanted_bytes = 0) {
  if (!limits.memory_sized_to_module) return limits.memory_bytes;
  ModuleNeeds needs = NeedsOf(module, limits.compiler, request_bytes);
  needs.wanted_bytes = wanted_bytes;
  return ChooseGuestMemory(needs, {limits.memory_bytes, limits.memory_ceiling_name});
}

// A load or link failure reported by the guest is the caller's module's fault.
absl::Status FromOutcome(const WasmOutcomeReport& r) {
  if (r.kind == abi::WasmOutcome::kLoadFailed || r.kind == abi::WasmOutcome::kLinkFailed) {
    return absl::InvalidArgumentError(r.text);
  }
  return absl::OkStatus();
}

WasiRunSpec ProgramSpec(std::span<const uint8_t> module, const std::vector<std::string>& args,
                        const std::vector<std::string>& env, const CallLimits& limits) {
  WasiRunSpec spec;
  spec.module = module;
  spec.args = args;
  spec.env = env;
  spec.max_memory_pages = limits.max_memory_pages;
  spec.fuel = limits.fuel;
  spec.wasi_denied = limits.wasi_denied;
  spec.refuse_denied_imports = limits.refuse_denied_imports;
  spec.compiler = limits.compiler;
  return spec;
}

}  // namespace

void CallControl::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (sandbox_ != nullptr) sandbox_->Cancel();
}

bool CallControl::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

void CallControl::Attach(Sandbox* sandbox) {
  std::lock_guard<std::mutex> lock(mu_);
  sandbox_ = sandbox;
  if (cancelled_) sandbox->Cancel();
}

void CallControl::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  sandbox_ = nullptr;
}

absl::Status ValidateModule(std::span<const uint8_t> module, absl::Time deadline) {
  PosixGuestServices services(-1);
  // Validation compiles for the interpreter; the server's own step, so no
  // tenant ceiling (the upload cap bounds the module).
  ASSIGN_OR_RETURN(const uint64_t memory, ChooseGuestMemory(NeedsOf(module, /*compiler=*/false, 0), {}));
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox,
                   BootGuest(memory, nullptr, &services, 1 << 20, /*one_shot=*/true, deadline));
  WasiRunSpec spec;
  spec.module = module;
  spec.mode = abi::WasiRunMode::kPrepare;
  if (absl::Status s = RunWasiCommand(*sandbox, BuildWasiRunRequest(spec), deadline); !s.ok()) {
    return FromSandbox(s);
  }
  if (!services.outcome()) return absl::InternalError("the guest reported no outcome");
  return FromOutcome(*services.outcome());
}

absl::StatusOr<std::shared_ptr<WarmModule>> CreateWarmModule(
    std::span<const uint8_t> module, const std::vector<std::string>& args,
    const std::vector<std::string>& env, const CallLimits& limits, size_t pool_size,
    absl::Time deadline) {
  PosixGuestServices services(-1);
  services.Restrict(limits.clocks, limits.random);
  ASSIGN_OR_RETURN(const uint64_t memory, GuestMemoryFor(module, limits, StringBytes(args) + StringBytes(env)));
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox,
                   BootGuest(memory, nullptr, &services, limits.max_output_bytes, /*one_shot=*/false, deadline));
  WasiRunSpec spec = ProgramSpec(module, args, env, limits);
  spec.mode = abi::WasiRunMode::kInstantiate;
  if (absl::Status s = RunWasiCommand(*sandbox, BuildWasiRunRequest(spec), deadline); !s.ok()) {
    return FromSandbox(s);
  }
  if (!services.outcome()) return absl::InternalError("the guest reported no outcome");
  RETURN_IF_ERROR(FromOutcome(*services.outcome()));
  if (services.outcome()->kind != abi::WasmOutcome::kExited || services.outcome()->code != 0) {
    return absl::FailedPreconditionError("the module's _initialize or start function failed");
  }
  auto warm = std::make_shared<WarmModule>();
  absl::StatusOr<WarmStart> start = SnapshotForCalls(*sandbox, 64 << 10, deadline);
  if (!start.ok()) return FromSandbox(start.status());
  warm->start = *start;
  warm->limits = limits;
  SandboxOptions o;
  o.max_console_bytes = limits.max_output_bytes;
  warm->pool = std::make_unique<SandboxPool>(warm->start.snapshot, o, pool_size);
  // The sandbox that took the snapshot is the pool's first.
  warm->pool->Release(std::move(sandbox));
  return warm;
}

namespace {

// One warm command on a VM from `warm`'s pool, which gets it back (reset)
// afterwards; what the guest reported is in `services`. The outcome is
// checked: load/link failures are the caller's (InvalidArgument).
absl::Status RunPooled(WarmModule& warm, const WasiRunSpec& spec, absl::Time deadline,
                       CallControl* control, PosixGuestServices& services, uint64_t* dirty_pages) {
  absl::StatusOr<std::unique_ptr<Sandbox>> acquired = warm.pool->Acquire();
  if (!acquired.ok()) return FromSandbox(acquired.status());
  std::unique_ptr<Sandbox> sandbox = *std::move(acquired);
  services.Restrict(warm.limits.clocks, warm.limits.random);
  sandbox->set_services(&services);
  if (control != nullptr) control->Attach(sandbox.get());
  absl::Status run = RunWarmCommand(*sandbox, warm.start, BuildWasiRunRequest(spec), deadline);
  if (control != nullptr) control->Detach();
  sandbox->set_services(nullptr);
  warm.pool->Release(std::move(sandbox), dirty_pages);
  if (!run.ok()) return FromSandbox(run);
  if (!services.outcome()) return absl::InternalError("the guest reported no outcome");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FunctionSignature> DescribeWarm(WarmModule& warm, const std::string& function,
                                               absl::Time deadline, CallControl* control) {
  PosixGuestServices services(-1);
  WasiRunSpec spec;
  spec.mode = abi::WasiRunMode::kDescribe;
  spec.export_name = function;
  RETURN_IF_ERROR(RunPooled(warm, spec, deadline, control, services, nullptr));
  const WasmOutcomeReport& outcome = *services.outcome();
  if (outcome.kind == abi::WasmOutcome::kLinkFailed && outcome.text.starts_with("exports no function")) {
    return absl::NotFoundError(outcome.text);
  }
  RETURN_IF_ERROR(FromOutcome(outcome));
  return FunctionSignature{services.param_types(), services.result_types()};
}

absl::StatusOr<InvokeResult> InvokeWarm(WarmModule& warm, const std::string& function,
                                        std::vector<abi::WasmValue> args, absl::Time deadline,
                                        CallControl* control) {
  PosixGuestServices services(-1);
  WasiRunSpec spec;
  spec.mode = abi::WasiRunMode::kInvoke;
  spec.export_name = function;
  spec.values = std::move(args);
  spec.fuel = warm.limits.fuel;
  InvokeResult result;
  RETURN_IF_ERROR(RunPooled(warm, spec, deadline, control, services, &result.dirty_pages));
  RETURN_IF_ERROR(FromOutcome(*services.outcome()));
  result.results = services.values();
  result.denials = services.denials();
  if (!services.has_results()) result.ended = *services.outcome();  // trapped, or ran proc_exit
  return result;
}

absl::StatusOr<RunResult> RunWasiProgram(std::span<const uint8_t> module,
                                         const std::vector<std::string>& args,
                                         const std::vector<std::string>& env, std::string stdin_bytes,
                                         const RunDirs& dirs, const CallLimits& limits, ConsoleSink* console,
                                         absl::Time deadline, CallControl* control) {
  // A writable tree lives in guest memory, and its change set is a second
  // copy of what it wrote: room for both where the ceiling allows, as
  // `palisade run` asks.
  ASSIGN_OR_RETURN(const uint64_t memory,
                   GuestMemoryFor(module, limits,
                                  StringBytes(args) + StringBytes(env) + stdin_bytes.size() + dirs.image.size(),
                                  dirs.writable ? 2 * dirs.max_tree_bytes : 0));
  PosixGuestServices services = PosixGuestServices::WithInput(std::move(stdin_bytes));
  services.Restrict(limits.clocks, limits.random);
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox,
                   BootGuest(memory, console, &services, limits.max_output_bytes, /*one_shot=*/true, deadline));
  WasiRunSpec spec = ProgramSpec(module, args, env, limits);
  spec.fs_image = dirs.image;
  spec.partial_results = dirs.partial_results;
  if (control != nullptr) control->Attach(sandbox.get());
  absl::Status run = RunWasiCommand(*sandbox, BuildWasiRunRequest(spec), deadline);
  if (control != nullptr) control->Detach();
  RunResult result;
  result.denials = services.denials();
  if (absl::IsResourceExhausted(run) && !sandbox->alive()) {
    // The output cap stopped it: what it wrote so far stands.
    result.output_truncated = true;
    result.outcome.kind = abi::WasmOutcome::kExited;
    result.outcome.code = 134;
    return result;
  }
  if (!run.ok()) return FromSandbox(run);
  if (!services.outcome()) return absl::InternalError("the guest reported no outcome");
  RETURN_IF_ERROR(FromOutcome(*services.outcome()));
  result.outcome = *services.outcome();
  // The guest decides when to hand changes over, but it is not trusted to:
  // a failed run's are dropped unless the caller asked for them.
  const bool succeeded = result.outcome.kind == abi::WasmOutcome::kExited && result.outcome.code == 0;
  if (dirs.writable && (succeeded || dirs.partial_results)) result.fs_changes = services.fs_changes();
  return result;
}

}  // namespace palisade::server
