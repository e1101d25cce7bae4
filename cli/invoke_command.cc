#include "cli/invoke_command.h"

#include <iostream>

#include "cli/run_command.h"
#include "cli/vm_invoke.h"
#include "cli/wasm_loader.h"
#include "cli/wasm_values.h"
#include "wasm/host/wasi_host_system.h"

namespace palisade::cli {

int RunInvoke(const InvokeOptions& o) {
  if (absl::Status s = CheckEngine(o.engine); !s.ok()) {
    std::cerr << "palisade invoke: " << s.message() << "\n";
    return kExitUsage;
  }
  if (absl::Status s = CheckPerfMap(o.perf_map, o.in_process); !s.ok()) {
    std::cerr << "palisade invoke: " << s.message() << "\n";
    return kExitUsage;
  }
  if (!o.in_process) return InvokeInVm(o);
  static wasm::HostWasiSystem system;
  LoadOptions lo;
  lo.args.push_back(o.module);
  lo.engine = o.engine;
  lo.perf_map = o.perf_map;
  auto program = LoadProgram(o.module, &system, lo);
  if (!program.ok()) {
    std::cerr << "palisade invoke: " << program.status().message() << "\n";
    return program.status().code() == absl::StatusCode::kAborted ? kExitTrap : kExitUsage;
  }
  LoadedProgram& p = **program;
  wasm::Extern e;
  if (!wasm::FindExport(p.instance, o.function.data(), o.function.size(), &e) ||
      e.kind != wasm::ExternKind::kFunc) {
    std::cerr << "palisade invoke: " << o.module << " exports no function '" << o.function << "'\n";
    return kExitUsage;
  }
  auto* f = static_cast<wasm::FuncInst*>(e.object);
  const wasm::ValType* params;
  const wasm::ValType* results;
  uint32_t np, nr;
  wasm::GetFuncSignature(f, &params, &np, &results, &nr);
  if (o.args.size() != np) {
    std::cerr << "palisade invoke: " << o.function << " takes " << np << " argument(s) (";
    for (uint32_t i = 0; i < np; ++i) std::cerr << (i ? " " : "") << TypeName(params[i]);
    std::cerr << "), got " << o.args.size() << "\n";
    return kExitUsage;
  }
  std::vector<wasm::Value> args(np);
  for (uint32_t i = 0; i < np; ++i) {
    if (!ParseArg(o.args[i], params[i], &args[i])) {
      std::cerr << "palisade invoke: argument " << i + 1 << " '" << o.args[i] << "' is not a valid "
                << TypeName(params[i]) << "\n";
      return kExitUsage;
    }
  }
  std::vector<wasm::Value> out(nr);
  wasm::Trap trap = wasm::Invoke(p.store.get(), f, args.data(), args.size(), out.data(), out.size());
  if (trap.kind == wasm::TrapKind::kExit) return trap.exit_code & 0xff;
  if (!trap.ok()) {
    std::cerr << "palisade: trap: " << DescribeTrap(p, trap) << "\n";
    return kExitTrap;
  }
  for (const wasm::Value& v : out) Print(v);
  return 0;
}

}  // namespace palisade::cli
