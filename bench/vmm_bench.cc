// Micro-VM costs: cold boot to "guest ready" and one hypercall round trip,
// each beside the raw KVM floor measured in the same run (a bare
// KVM_CREATE_VM + 1 MiB slot + vCPU + first KVM_RUN, and a bare VM exit, of a
// CPL 3 guest set up the way ours is: vmm/raw_floor.h), so the figures mean
// something on any machine and backend. Run: build/bench/palisade_vmm_bench
// (needs /dev/kvm).
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <benchmark/benchmark.h>

#include "vmm/embedded_images.h"
#include "vmm/kvm.h"
#include "vmm/raw_floor.h"
#include "absl/time/clock.h"
#include "guest-runtime/test-guest/test_commands.h"
#include "vmm/sandbox.h"

namespace palisade {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<const Kvm> KvmOrSkip(benchmark::State& state) {
  auto kvm = Kvm::Shared();
  if (!kvm.ok()) {
    state.SkipWithError(std::string(kvm.status().message()).c_str());
    return nullptr;
  }
  return *kvm;
}

// Floor: what any KVM-based VMM pays before its guest runs one instruction,
// for a bare CPL 3 guest like ours (vmm/raw_floor.h).
void BM_RawKvmCreateAndFirstRun(benchmark::State& state) {
  auto kvm = KvmOrSkip(state);
  if (kvm == nullptr) return;
  for (auto _ : state) {
    auto start = Clock::now();
    auto vm = RawFloorVm::Create(*kvm);
    absl::Status ran = vm.ok() ? vm->RunToExit() : vm.status();
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (!ran.ok()) {
      state.SkipWithError(std::string(ran.message()).c_str());
      return;
    }
  }
}
BENCHMARK(BM_RawKvmCreateAndFirstRun)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Floor: one CPL 3 `out` -> host -> guest round trip with no work on either side.
void BM_RawVmExit(benchmark::State& state) {
  auto kvm = KvmOrSkip(state);
  if (kvm == nullptr) return;
  auto vm = RawFloorVm::Create(*kvm);
  absl::Status ran = vm.ok() ? vm->RunToExit() : vm.status();
  if (!ran.ok()) {
    state.SkipWithError(std::string(ran.message()).c_str());
    return;
  }
  for (auto _ : state) {
    if (absl::Status s = vm->RunToExit(); !s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
}
BENCHMARK(BM_RawVmExit)->Unit(benchmark::kMicrosecond);

// Ours: VM, memory, page tables, image, vCPU state, and the guest's own boot
// up to its first kAwaitCommand. Teardown is not timed.
void BM_ColdBootToReady(benchmark::State& state) {
  if (KvmOrSkip(state) == nullptr) return;
  SandboxOptions options;
  options.image = ProductionGuestImage();
  options.memory_bytes = static_cast<uint64_t>(state.range(0)) << 20;
  for (auto _ : state) {
    auto start = Clock::now();
    auto sandbox = Sandbox::Boot(options);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (!sandbox.ok()) {
      state.SkipWithError(std::string(sandbox.status().message()).c_str());
      return;
    }
  }
}
BENCHMARK(BM_ColdBootToReady)->Arg(16)->Arg(256)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Ours: one kEcho hypercall, guest -> dispatcher -> guest. The guest makes
// 1,000 calls per iteration (one command); the per-call figure is the
// `us_per_call` counter, i.e. iteration time / 1,001 (the command's own
// kAwaitCommand exit included).
void BM_HypercallRoundTrip(benchmark::State& state) {
  if (KvmOrSkip(state) == nullptr) return;
  SandboxOptions options;
  options.image = ProductionGuestImage();
  auto sandbox = Sandbox::Boot(options);
  if (!sandbox.ok()) {
    state.SkipWithError(std::string(sandbox.status().message()).c_str());
    return;
  }
  constexpr uint64_t kBatch = 1000;
  const uint64_t bytes = static_cast<uint64_t>(state.range(0));
  double seconds = 0;
  uint64_t calls = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    auto r = (*sandbox)->RunCommand(abi::Command::kEchoLoop, kBatch, bytes);
    if (!r.ok() || *r != 0) {
      state.SkipWithError("echo loop failed");
      return;
    }
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    calls += kBatch + 1;
  }
  state.counters["us_per_call"] = calls == 0 ? 0 : seconds * 1e6 / static_cast<double>(calls);
}
BENCHMARK(BM_HypercallRoundTrip)->Arg(0)->Arg(1024)->Unit(benchmark::kMicrosecond);

// Ours: how long after its deadline a guest spinning in a tight loop is back
// in the host (watchdog timer -> signal -> immediate_exit -> KVM_RUN returns).
// Boot is not timed; the reported time is the overshoot alone.
void BM_DeadlineOvershoot(benchmark::State& state) {
  if (KvmOrSkip(state) == nullptr) return;
  SandboxOptions options;
  options.image = TestGuestImage();
  options.audit_image = false;  // the test guest tries privileged things on purpose
  for (auto _ : state) {
    auto sandbox = Sandbox::Boot(options);
    if (!sandbox.ok()) {
      state.SkipWithError(std::string(sandbox.status().message()).c_str());
      return;
    }
    const absl::Time deadline = absl::Now() + absl::Milliseconds(5);
    auto r = (*sandbox)->RunCommand(static_cast<abi::Command>(test_guest::kSpin), 0, 0,
                                    0, deadline);
    const absl::Duration overshoot = absl::Now() - deadline;
    if (r.status().code() != absl::StatusCode::kDeadlineExceeded) {
      state.SkipWithError("spinning guest was not stopped by its deadline");
      return;
    }
    state.SetIterationTime(absl::ToDoubleSeconds(overshoot));
  }
}
BENCHMARK(BM_DeadlineOvershoot)->UseManualTime()->Iterations(50)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace palisade

BENCHMARK_MAIN();
