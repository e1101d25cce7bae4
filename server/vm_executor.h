// What the service asks of micro-VMs, in its own terms: check a module,
// make a warm sandbox (instantiate + snapshot + pool), call an export on it,
// run a WASI command in a fresh VM. Errors carry the gRPC-ready code:
// InvalidArgument for bad modules and arguments, DeadlineExceeded,
// Cancelled, ResourceExhausted for output floods, Unavailable when no
// micro-VM can start, Internal when a guest crashed.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vmm/console.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox.h"
#include "vmm/sandbox_pool.h"
#include "vmm/wasi_runner.h"

namespace palisade::server {

struct CallLimits {
  // With memory_sized_to_module, the tenant's ceiling: the guest gets what
  // the module needs (vmm/guest_memory_plan.h) up to it; else exactly this.
  uint64_t memory_bytes = 256ull << 20;
  bool memory_sized_to_module = false;
  std::string memory_ceiling_name;  // for messages: "tenant 't' (limits.memory_bytes)"
  uint32_t max_memory_pages = 16384;
  absl::Duration timeout = absl::Seconds(10);
  uint64_t fuel = 0;
  uint64_t max_output_bytes = 16ull << 20;
  uint64_t max_changes_bytes = 16ull << 20;  // file contents a run may return (v1::Limits)
  // From the tenant's policy (policy/tenant_policy.h).
  uint64_t wasi_denied = 0;
  bool refuse_denied_imports = false;
  bool clocks = true, random = true;
  bool compiler = true;  // the compiler tier (policy engine), else the interpreter
};

// Lets a cancelled RPC stop the sandbox running it, from any thread.
class CallControl {
 public:
  void Cancel();
  bool cancelled() const;
  // While attached, Cancel() reaches `sandbox` (at once if already cancelled).
  void Attach(Sandbox* sandbox);
  void Detach();

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  Sandbox* sandbox_ = nullptr;
};

// Decodes and validates `module` inside a micro-VM (never in this process).
absl::Status ValidateModule(std::span<const uint8_t> module, absl::Time deadline);

// A module instantiated once and snapshotted, with a pool of warm VMs.
struct WarmModule {
  WarmStart start;
  std::unique_ptr<SandboxPool> pool;
  CallLimits limits;
};

absl::StatusOr<std::shared_ptr<WarmModule>> CreateWarmModule(
    std::span<const uint8_t> module, const std::vector<std::string>& args,
    const std::vector<std::string>& env, const CallLimits& limits, size_t pool_size,
    absl::Time deadline);

// An export's signature as the guest reports it (binary-format type bytes).
struct FunctionSignature {
  std::vector<uint8_t> params, results;
};

// Asks a warm VM of `warm` for the signature of `function`; NotFound when
// the module exports no such function.
absl::StatusOr<FunctionSignature> DescribeWarm(WarmModule& warm, const std::string& function,
                                               absl::Time deadline, CallControl* control);

struct InvokeResult {
  std::vector<abi::WasmValue> results;
  std::optional<WasmOutcomeReport> ended;  // a trap or proc_exit instead of a return
  uint64_t dirty_pages = 0;
  std::vector<std::string> denials;  // WASI functions the policy denied during the call
};

absl::StatusOr<InvokeResult> InvokeWarm(WarmModule& warm, const std::string& function,
                                        std::vector<abi::WasmValue> args, absl::Time deadline,
                                        CallControl* control);

// A run's preopened directories (server/request_dirs.h builds the image).
struct RunDirs {
  std::vector<uint8_t> image;   // empty: none
  bool writable = false;        // some are: the guest gets room for their tree and change set
  uint64_t max_tree_bytes = 0;  // what that tree may grow to (the image's header says it too)
  bool partial_results = false; // changes also after a trap or a non-zero exit
};

struct RunResult {
  WasmOutcomeReport outcome;
  bool output_truncated = false;
  std::vector<std::string> denials;  // WASI functions the policy denied
  // The writable directories' change set as the guest handed it over
  // (unvalidated: server/run_changes.h), kept only when the run exited 0 or
  // RunDirs::partial_results asked for it. Empty otherwise.
  std::vector<uint8_t> fs_changes;
};

// Runs a WASI command in a fresh micro-VM; its output goes to `console` as
// it is written.
absl::StatusOr<RunResult> RunWasiProgram(std::span<const uint8_t> module,
                                         const std::vector<std::string>& args,
                                         const std::vector<std::string>& env, std::string stdin_bytes,
                                         const RunDirs& dirs, const CallLimits& limits, ConsoleSink* console,
                                         absl::Time deadline, CallControl* control);

}  // namespace palisade::server
