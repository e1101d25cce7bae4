// Warm calls from a snapshot: a trivial export invoked on a sandbox and the
// reset that follows it (the figure `palisade invoke --repeat` and the
// service's warm path pay per call), a reset after a call that dirtied many
// pages, and making a sandbox from a snapshot (a pool refill).
// Run: build/bench/palisade_snapshot_bench (needs /dev/kvm).
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "vmm/embedded_images.h"
#include "vmm/kvm.h"
#include "vmm/raw_floor.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox.h"
#include "vmm/wasi_runner.h"
#include "wasm/runtime/engine.h"

namespace palisade {
namespace {

struct Warm {
  PosixGuestServices services{-1};
  std::unique_ptr<Sandbox> sandbox;
  WarmStart start;
};

// Boots, instantiates snapshot_target (tests/wasm/modules) and snapshots.
bool MakeWarm(benchmark::State& state, Warm* w) {
  std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/snapshot_target.wasm", std::ios::binary);
  std::vector<uint8_t> module{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  SandboxOptions o;
  o.image = ProductionGuestImage();
  o.memory_bytes = 64ull << 20;
  o.services = &w->services;
  auto sb = Sandbox::Boot(o);
  if (!sb.ok()) {
    state.SkipWithError(std::string(sb.status().message()).c_str());
    return false;
  }
  w->sandbox = std::move(*sb);
  WasiRunSpec spec;
  spec.module = module;
  spec.mode = abi::WasiRunMode::kInstantiate;
  absl::Status s = RunWasiCommand(*w->sandbox, BuildWasiRunRequest(spec));
  if (!s.ok() || !w->services.outcome() || w->services.outcome()->kind != abi::WasmOutcome::kExited) {
    state.SkipWithError("instantiating snapshot_target failed");
    return false;
  }
  auto warm = SnapshotForCalls(*w->sandbox);
  if (!warm.ok()) {
    state.SkipWithError(std::string(warm.status().message()).c_str());
    return false;
  }
  w->start = *warm;
  return true;
}

std::vector<uint8_t> InvokeRequest(const char* name, std::vector<abi::WasmValue> args = {}) {
  WasiRunSpec spec;
  spec.mode = abi::WasiRunMode::kInvoke;
  spec.export_name = name;
  spec.values = std::move(args);
  return BuildWasiRunRequest(spec);
}

// The floor for a warm call: one bare CPL 3 exit round trip, measured in the
// same run (a warm call is one exit; vmm/raw_floor.h).
void BM_RawVmExit(benchmark::State& state) {
  auto kvm = Kvm::Shared();
  if (!kvm.ok()) {
    state.SkipWithError(std::string(kvm.status().message()).c_str());
    return;
  }
  auto vm = RawFloorVm::Create(**kvm);
  absl::Status ran = vm.ok() ? vm->RunToExit() : vm.status();
  for (auto _ : state) {
    if (ran.ok()) ran = vm->RunToExit();
    if (!ran.ok()) {
      state.SkipWithError(std::string(ran.message()).c_str());
      return;
    }
  }
}
BENCHMARK(BM_RawVmExit)->Unit(benchmark::kMicrosecond);

// One warm call of `bump` (memory and a global mutated) plus the reset.
void BM_WarmInvokeAndReset(benchmark::State& state) {
  Warm w;
  if (!MakeWarm(state, &w)) return;
  const std::vector<uint8_t> request = InvokeRequest("bump");
  uint64_t pages = 0;
  const uint64_t exits_before = w.sandbox->exits();
  for (auto _ : state) {
    if (!RunWarmCommand(*w.sandbox, w.start, request).ok() || !w.sandbox->Reset().ok()) {
      state.SkipWithError("warm call failed");
      return;
    }
    pages += w.sandbox->last_reset_pages();
  }
  state.counters["dirty_pages"] =
      benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kAvgIterations);
  state.counters["exits"] = benchmark::Counter(
      static_cast<double>(w.sandbox->exits() - exits_before), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_WarmInvokeAndReset)->Unit(benchmark::kMicrosecond);

// The reset alone, after a call that grew linear memory to range(0) Wasm
// pages (16 guest pages each): the cost follows the pages dirtied.
void BM_ResetAfterDirtying(benchmark::State& state) {
  Warm w;
  if (!MakeWarm(state, &w)) return;
  const std::vector<uint8_t> request = InvokeRequest(
      "dirty", {abi::WasmValue{static_cast<uint64_t>(wasm::ValType::kI32),
                               static_cast<uint64_t>(state.range(0)), 0}});
  uint64_t pages = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (!RunWarmCommand(*w.sandbox, w.start, request).ok()) {
      state.SkipWithError("warm call failed");
      return;
    }
    state.ResumeTiming();
    if (!w.sandbox->Reset().ok()) {
      state.SkipWithError("reset failed");
      return;
    }
    pages += w.sandbox->last_reset_pages();
  }
  state.counters["dirty_pages"] =
      benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_ResetAfterDirtying)->Arg(2)->Arg(16)->Arg(64)->Unit(benchmark::kMicrosecond);

// A new sandbox from the snapshot: VM, slots, vCPU, restored state.
void BM_SandboxFromSnapshot(benchmark::State& state) {
  Warm w;
  if (!MakeWarm(state, &w)) return;
  SandboxOptions o;
  o.services = &w.services;
  for (auto _ : state) {
    auto sb = Sandbox::FromSnapshot(w.start.snapshot, o);
    if (!sb.ok()) {
      state.SkipWithError(std::string(sb.status().message()).c_str());
      return;
    }
    state.PauseTiming();
    sb->reset();  // teardown is not what a pool refill waits for
    state.ResumeTiming();
  }
}
BENCHMARK(BM_SandboxFromSnapshot)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace palisade

BENCHMARK_MAIN();
