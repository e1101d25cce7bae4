#include "cli/run_command.h"

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "cli/fs_commit.h"
#include "cli/fs_image_builder.h"
#include "cli/policy_options.h"
#include "cli/vm_run.h"
#include "cli/wasm_loader.h"
#include "common/duration.h"
#include "wasm/host/wasi_host_system.h"
#include "wasm/wasi/fs_changes.h"

namespace palisade::cli {

namespace {

// Interrupts the store once the deadline passes, unless cancelled first.
class Deadline {
 public:
  Deadline(wasm::Store* store, wasm::HostWasiSystem* system, absl::Duration d)
      : store_(store) {
    thread_ = std::thread([this, system, d] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [this] { return done_; })) {
        fired_ = true;
        wasm::Interrupt(store_);
        wasm::InterruptHostReads(system);  // a program blocked reading stdin
      }
    });
  }
  ~Deadline() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool fired() {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

 private:
  wasm::Store* store_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace

bool KeepsChanges(const RunOptions& o, bool exited, int64_t exit_code, bool timed_out) {
  if (timed_out) return false;
  return (exited && exit_code == 0) || o.partial_results;
}

int RunRun(const RunOptions& options) {
  RunOptions o = options;
  if (absl::Status s = ApplyPolicy(&o); !s.ok()) {
    std::cerr << "palisade run: " << s.message() << "\n";
    return kExitUsage;
  }
  if (absl::Status s = CheckEngine(o.engine); !s.ok()) {
    std::cerr << "palisade run: " << s.message() << "\n";
    return kExitUsage;
  }
  if (absl::Status s = CheckPerfMap(o.perf_map, o.in_process); !s.ok()) {
    std::cerr << "palisade run: " << s.message() << "\n";
    return kExitUsage;
  }
  if (!o.in_process) return RunInVm(o);
  absl::Duration timeout = absl::InfiniteDuration();
  if (!o.timeout.empty() && (!ParseUserDuration(o.timeout, &timeout) || timeout <= absl::ZeroDuration())) {
    std::cerr << "palisade run: bad --timeout '" << o.timeout << "' (seconds, or e.g. 10s, 500ms)\n";
    return kExitUsage;
  }
  static wasm::HostWasiSystem system;
  LoadOptions lo;
  lo.max_memory_pages = o.max_memory_pages;
  lo.args.push_back(o.module);
  lo.args.insert(lo.args.end(), o.args.begin(), o.args.end());
  lo.env = o.env;
  lo.policy = {o.wasi_denied, o.refuse_denied_imports};
  lo.engine = o.engine;
  lo.perf_map = o.perf_map;
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
  lo.fs_image = std::move(*image);
  auto program = LoadProgram(o.module, &system, lo);
  if (!program.ok()) {
    std::cerr << "palisade run: " << program.status().message() << "\n";
    return program.status().code() == absl::StatusCode::kAborted ? kExitTrap : kExitUsage;
  }
  LoadedProgram& p = **program;
  wasm::Extern start;
  if (!wasm::FindExport(p.instance, "_start", 6, &start) || start.kind != wasm::ExternKind::kFunc) {
    std::cerr << "palisade run: " << o.module << " exports no _start function (not a WASI command)\n";
    return kExitUsage;
  }
  if (o.fuel > 0) wasm::SetFuel(p.store.get(), true, o.fuel);
  wasm::Trap trap;
  bool timed_out = false;
  {
    std::unique_ptr<Deadline> deadline;
    if (timeout != absl::InfiniteDuration()) deadline = std::make_unique<Deadline>(p.store.get(), &system, timeout);
    trap = wasm::Invoke(p.store.get(), static_cast<wasm::FuncInst*>(start.object), nullptr, 0,
                        nullptr, 0);
    // A program whose stdin was cut off by the deadline may still exit on
    // its own: it ran past its time all the same, as in the micro-VM.
    timed_out = deadline != nullptr && deadline->fired();
  }
  ReportDenials(o, wasm::DeniedCalls(&system));
  const bool exited = trap.ok() || trap.kind == wasm::TrapKind::kExit;
  const bool keep = KeepsChanges(o, exited, trap.ok() ? 0 : trap.exit_code, timed_out) &&
                    trap.kind != wasm::TrapKind::kInterrupted;
  if (keep && AnyWritable(*preopens)) {
    // Only a run that succeeded (or any that ended on its own, with
    // --partial-results) changes the host's directories.
    wasm::Vec<uint8_t> changes;
    if (!wasm::wasi::ExportFsChanges(*p.wasi->tree(), &changes)) {
      std::cerr << "palisade run: --dir: out of memory collecting the run's changes; nothing was applied\n";
      return kExitCommitFailed;
    }
    absl::Status applied = ApplyFsChanges(std::vector<uint8_t>(changes.begin(), changes.end()), *preopens);
    if (!applied.ok()) {
      std::cerr << "palisade run: " << applied.message() << "\n";
      return kExitCommitFailed;
    }
  }
  if (!timed_out && trap.ok()) return 0;
  if (!timed_out && trap.kind == wasm::TrapKind::kExit) return trap.exit_code & 0xff;
  if (timed_out || trap.kind == wasm::TrapKind::kInterrupted) {
    std::cerr << "palisade: timeout: " << o.module << " ran past " << absl::FormatDuration(timeout) << "\n";
    return kExitTrap;
  }
  std::cerr << "palisade: trap: " << DescribeTrap(p, trap) << "\n";
  return kExitTrap;
}

}  // namespace palisade::cli
