#include "cli/vm_run.h"

#include "cli/commit_thread.h"
#include "cli/policy_options.h"
#include "cli/trap_line.h"
#include "cli/vm_session.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "vmm/guest_services.h"
#include "vmm/module_needs.h"
#include "vmm/sandbox.h"
#include "vmm/wasi_runner.h"
#include "wasm/runtime/trap.h"

namespace palisade::cli {

int RunInVm(const RunOptions& o) {
  auto preopens = ParsePreopens(o.dirs);
  if (!preopens.ok()) {
    std::cerr << "palisade run: " << preopens.status().message() << "\n";
    return kExitUsage;
  }
  auto image = BuildPreopens(*preopens, o.fs_limits);
  if (!image.ok()) {
    std::cerr << "palisade run: " << image.status().message() << "\n";
    return kExitUsage;
  }
  const bool writable = AnyWritable(*preopens);
  // Started before any filter (glibc sets up threads with calls palisade-cli
  // refuses); the process filter reaches it too, the vcpu filter never does.
  std::optional<CommitThread> commit;
  if (writable) commit.emplace(*preopens);
  if (std::optional<int> rc =
          ConfineOrReport("palisade run", o.seccomp, writable ? "palisade-cli-rw" : "palisade-cli", true)) {
    return *rc;
  }
  VmSession vm("palisade run", o.module);
  VmSession::Options start;
  start.timeout = o.timeout;
  start.memory = o.memory;
  start.ceiling = {o.memory_ceiling, o.memory_ceiling_name};
  start.compiler = o.engine == "compiler";
  start.request_bytes = image->size() + StringBytes(o.args) + StringBytes(o.env);
  start.max_output = o.max_output;
  start.one_shot = true;
  // A writable tree lives in guest memory, and its change set is a second
  // copy of what it wrote: room for both, where the ceiling allows.
  if (writable) start.wanted_bytes = 2 * o.fs_limits.max_tree_bytes;
  if (std::optional<int> rc = vm.Start(start)) return *rc;
  WasiRunSpec spec;
  spec.module = vm.module();
  spec.args = {o.module};
  spec.args.insert(spec.args.end(), o.args.begin(), o.args.end());
  spec.env = o.env;
  spec.max_memory_pages = o.max_memory_pages;
  spec.fuel = o.fuel;
  spec.fs_image = *image;
  spec.wasi_denied = o.wasi_denied;
  spec.refuse_denied_imports = o.refuse_denied_imports;
  spec.compiler = o.engine == "compiler";
  spec.partial_results = o.partial_results;
  for (int fd = 0; fd < 3; ++fd) spec.stdio_terminals[fd] = ::isatty(fd) == 1;
  vm.services().Restrict(o.clocks, o.random);
  std::vector<uint8_t> request = BuildWasiRunRequest(spec);
  if (request.size() >= vm.memory_bytes() / 2) {
    std::cerr << "palisade run: " << o.module << " (" << vm.module().size()
              << " bytes) does not fit in a " << (vm.memory_bytes() >> 20) << " MiB guest; raise --memory\n";
    return kExitUsage;
  }
  // From here this thread only runs the vCPU and serves its hypercalls.
  if (std::optional<int> rc = ConfineOrReport("palisade run", o.seccomp, "vcpu", false)) return *rc;
  absl::Status run = RunWasiCommand(vm.sandbox(), request, vm.deadline());
  ReportDenials(o, vm.services().denials());
  if (absl::IsResourceExhausted(run) && vm.sandbox().alive()) {
    std::cerr << "palisade run: " << run.message() << "; raise --memory\n";
    return kExitUsage;
  }
  if (!run.ok()) return vm.Failed(run);
  if (!vm.services().outcome().has_value()) {
    std::cerr << "palisade run: the guest reported no outcome\n";
    return kExitTrap;
  }
  (void)vm.sandbox().Shutdown(0, absl::Now() + absl::Seconds(5));
  const WasmOutcomeReport& r = *vm.services().outcome();
  const bool ended = r.kind == abi::WasmOutcome::kExited || r.kind == abi::WasmOutcome::kTrapped;
  if (ended && KeepsChanges(o, r.kind == abi::WasmOutcome::kExited, r.code, false) && commit.has_value()) {
    // Only a run that succeeded (or, with --partial-results, any that ended
    // in the guest) changes the host's directories; a timeout never reaches
    // here.
    if (absl::Status s = commit->Apply(vm.services().fs_changes()); !s.ok()) {
      std::cerr << "palisade run: " << s.message() << "\n";
      return kExitCommitFailed;
    }
  }
  if (r.kind == abi::WasmOutcome::kExited) return static_cast<int>(r.code & 0xff);
  const int rc = ReportFailedOutcome("palisade run", o.module, r);
  if (r.kind == abi::WasmOutcome::kLoadFailed && r.text.rfind("out of memory", 0) == 0) vm.ExplainOutOfMemory();
  return rc;
}

int ReportFailedOutcome(const char* command, const std::string& module, const WasmOutcomeReport& r) {
  switch (r.kind) {
    case abi::WasmOutcome::kExited:
      return -1;
    case abi::WasmOutcome::kTrapped: {
      const char* what = r.code >= 0 && r.code < 256
                             ? wasm::TrapMessage(static_cast<wasm::TrapKind>(r.code))
                             : "unknown trap";
      return ReportTrapLine(what, r.func_index, r.text, r.offset);
    }
    case abi::WasmOutcome::kLoadFailed:
    case abi::WasmOutcome::kLinkFailed:
      std::cerr << command << ": " << module << ": " << r.text << "\n";
      return kExitUsage;
    case abi::WasmOutcome::kMemoryLimit:  // only palisade fuzz asks for it
      std::cerr << command << ": " << module << ": hit its memory limit\n";
      return kExitTrap;
  }
  return kExitTrap;
}

}  // namespace palisade::cli
