#include "cli/vm_invoke.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <vector>

#include "absl/time/clock.h"
#include "cli/run_command.h"
#include "cli/vm_run.h"
#include "cli/vm_session.h"
#include "cli/wasm_values.h"
#include "vmm/guest_services.h"
#include "vmm/kvm_backend.h"
#include "vmm/sandbox.h"
#include "vmm/wasi_runner.h"
#include "wasm/runtime/trap.h"

namespace palisade::cli {
namespace {

bool SameValues(const std::vector<abi::WasmValue>& a, const std::vector<abi::WasmValue>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const abi::WasmValue& x, const abi::WasmValue& y) {
           return x.type == y.type && x.lo == y.lo && x.hi == y.hi;
         });
}

}  // namespace

int InvokeInVm(const InvokeOptions& o) {
  if (o.repeat == 0) {
    std::cerr << "palisade invoke: --repeat must be at least 1\n";
    return kExitUsage;
  }
  if (std::optional<int> rc = ConfineOrReport("palisade invoke", o.seccomp, "palisade-cli", true)) return *rc;
  VmSession vm("palisade invoke", o.module);
  VmSession::Options start;
  start.timeout = o.timeout;
  start.memory = o.memory;
  start.compiler = o.engine == "compiler";
  if (std::optional<int> rc = vm.Start(start)) return *rc;
  PosixGuestServices& services = vm.services();
  // Reports a failed run; returns the exit status, or -1 if the run worked.
  auto check = [&](const absl::Status& s) -> int {
    if (!s.ok()) return vm.Failed(s);
    return ReportFailedOutcome("palisade invoke", o.module, *services.outcome());
  };

  // Instantiate once (running _initialize if the module has it), then
  // snapshot: every call starts from that state, and a reset after each call
  // undoes whatever it changed.
  WasiRunSpec spec;
  spec.module = vm.module();
  spec.args = {o.module};
  spec.mode = abi::WasiRunMode::kInstantiate;
  spec.compiler = o.engine == "compiler";
  services.ClearOutcome();
  if (int rc = check(RunWasiCommand(vm.sandbox(), BuildWasiRunRequest(spec), vm.deadline())); rc >= 0) {
    return rc;
  }
  if (services.outcome()->code != 0) return static_cast<int>(services.outcome()->code & 0xff);
  absl::StatusOr<WarmStart> warm = SnapshotForCalls(vm.sandbox(), 64 << 10, vm.deadline());
  if (!warm.ok()) return vm.Failed(warm.status());
  spec.module = {};
  spec.args.clear();
  spec.mode = abi::WasiRunMode::kDescribe;
  spec.export_name = o.function;
  services.ClearOutcome();
  if (int rc = check(RunWarmCommand(vm.sandbox(), *warm, BuildWasiRunRequest(spec), vm.deadline()));
      rc >= 0) {
    return rc;
  }
  if (absl::Status s = vm.sandbox().Reset(); !s.ok()) return vm.Failed(s);
  const std::vector<uint8_t> params = services.param_types();
  if (o.args.size() != params.size()) {
    std::cerr << "palisade invoke: " << o.function << " takes " << params.size() << " argument(s) (";
    for (size_t i = 0; i < params.size(); ++i) {
      std::cerr << (i ? " " : "") << TypeName(static_cast<wasm::ValType>(params[i]));
    }
    std::cerr << "), got " << o.args.size() << "\n";
    return kExitUsage;
  }
  spec.mode = abi::WasiRunMode::kInvoke;
  for (size_t i = 0; i < params.size(); ++i) {
    wasm::Value v;
    auto type = static_cast<wasm::ValType>(params[i]);
    if (!ParseArg(o.args[i], type, &v)) {
      std::cerr << "palisade invoke: argument " << i + 1 << " '" << o.args[i] << "' is not a valid "
                << TypeName(type) << "\n";
      return kExitUsage;
    }
    spec.values.push_back(abi::WasmValue{params[i], v.bits[0], v.bits[1]});
  }
  const std::vector<uint8_t> request = BuildWasiRunRequest(spec);

  std::vector<abi::WasmValue> first;
  std::vector<double> micros;
  uint64_t reset_pages = 0;
  const uint64_t exits_before = vm.sandbox().exits();
  for (uint32_t call = 0; call < o.repeat; ++call) {
    services.ClearOutcome();
    const absl::Time start = absl::Now();
    absl::Status s = RunWarmCommand(vm.sandbox(), *warm, request, vm.deadline());
    if (s.ok()) s = vm.sandbox().Reset();
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    reset_pages += vm.sandbox().last_reset_pages();
    if (int rc = check(s); rc >= 0) return rc;
    if (services.outcome()->code != 0) return static_cast<int>(services.outcome()->code & 0xff);
    if (call == 0) {
      first = services.values();
    } else if (!SameValues(first, services.values())) {
      std::cerr << "palisade invoke: call " << call + 1 << " returned different results\n";
      return kExitTrap;
    }
  }
  const uint64_t calls_exits = vm.sandbox().exits() - exits_before;
  (void)vm.sandbox().Shutdown(0, absl::Now() + absl::Seconds(5));
  for (const abi::WasmValue& r : first) {
    wasm::Value v;
    v.type = static_cast<wasm::ValType>(r.type);
    v.bits[0] = r.lo;
    v.bits[1] = r.hi;
    Print(v);
  }
  if (o.repeat > 1) {
    std::sort(micros.begin(), micros.end());
    std::fprintf(stderr,
                 "palisade invoke: %u calls from one snapshot, reset after each: median %.1f us, "
                 "p99 %.1f us, min %.1f us; per call %.2f VM exits and %.1f dirty pages rolled "
                 "back (%s)\n",
                 o.repeat, micros[micros.size() / 2], micros[micros.size() * 99 / 100],
                 micros.front(), static_cast<double>(calls_exits) / o.repeat,
                 static_cast<double>(reset_pages) / o.repeat,
                 KvmBackendName(DetectKvmBackend()).c_str());
  }
  return 0;
}

}  // namespace palisade::cli
