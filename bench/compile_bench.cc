// The compiler tier's compile speed and a large module's time to its first
// instruction, in process and in a micro-VM, with the code check's share
// (issue 17's figures). The module is PALISADE_BIG_MODULE (bench/compile/
// run.sh makes a 1 MB one); every figure says MB of code section per second.
// Run: PALISADE_BIG_MODULE=big.wasm build/bench/palisade_compile_bench
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/time/clock.h"
#include "cli/compiled_code_sealer.h"
#include "vmm/code_check.h"
#include "vmm/code_check_cache.h"
#include "vmm/code_check_workers.h"
#include "vmm/embedded_images.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox.h"
#include "vmm/wasi_runner.h"
#include "wasm/host/host_memory.h"
#include "wasm/jit/function_jit.h"
#include "wasm/jit/jit_context.h"
#include "wasm/runtime/engine.h"

namespace palisade {
namespace {

struct BigModule {
  std::vector<uint8_t> bytes;
  uint64_t code_bytes = 0;  // the code section's payload
};

// Size of section 10 (code), from the module's own section headers.
uint64_t CodeSectionBytes(const std::vector<uint8_t>& m) {
  size_t at = 8;
  const auto leb = [&](size_t* p) {
    uint64_t v = 0;
    for (int shift = 0; *p < m.size(); shift += 7) {
      const uint8_t b = m[(*p)++];
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    return v;
  };
  while (at < m.size()) {
    const uint8_t id = m[at++];
    const uint64_t size = leb(&at);
    if (id == 10) return size;
    at += size;
  }
  return 0;
}

const BigModule& Module() {
  static const BigModule big = [] {
    BigModule b;
    const char* path = std::getenv("PALISADE_BIG_MODULE");
    if (path == nullptr) return b;
    std::ifstream in(path, std::ios::binary);
    b.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    b.code_bytes = CodeSectionBytes(b.bytes);
    return b;
  }();
  return big;
}

bool Have(benchmark::State& state) {
  if (!Module().bytes.empty()) return true;
  state.SkipWithError("set PALISADE_BIG_MODULE to a .wasm (bench/compile/run.sh makes one)");
  return false;
}

void CodeRate(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Module().code_bytes));
  state.counters["code_MB"] = static_cast<double>(Module().code_bytes) / 1e6;
}

// cli::InProcessCodeSealer, timed: the seal is the code check (in full:
// each iteration forgets the passes it remembers) plus a copy and an
// mprotect.
class TimedSealer final : public wasm::CodeSealer {
 public:
  const uint8_t* Seal(const wasm::JitModule& code, const char** error) override {
    const absl::Time start = absl::Now();
    const uint8_t* sealed = inner_.Seal(code, error);
    seal_ += absl::Now() - start;
    generated_ += code.code.size();
    return sealed;
  }
  void Release(const uint8_t* code) override { inner_.Release(code); }
  double seal_ms(int64_t iterations) const {
    return absl::ToDoubleMilliseconds(seal_) / static_cast<double>(iterations);
  }
  double generated_mb(int64_t iterations) const {
    return static_cast<double>(generated_) / 1e6 / static_cast<double>(iterations);
  }

 private:
  cli::InProcessCodeSealer inner_;
  absl::Duration seal_;
  uint64_t generated_ = 0;
};

wasm::CompiledModule* Compile(wasm::EngineTier tier, wasm::CodeSealer* sealer) {
  wasm::CompileOptions o;
  o.tier = tier;
  o.sealer = sealer;
  wasm::CompiledModule* m = nullptr;
  wasm::Error e = wasm::CompileModule(Module().bytes.data(), Module().bytes.size(), &m, o);
  if (!e.ok()) return nullptr;
  return m;
}

// Decode, validate and the interpreter's code: what every module costs.
void BM_CompileInterpreterTier(benchmark::State& state) {
  if (!Have(state)) return;
  for (auto _ : state) {
    wasm::CompiledModule* m = Compile(wasm::EngineTier::kInterpreter, nullptr);
    if (m == nullptr) return state.SkipWithError("the module does not compile");
    wasm::FreeCompiledModule(m);
  }
  CodeRate(state);
}
BENCHMARK(BM_CompileInterpreterTier)->Unit(benchmark::kMillisecond);

// The same plus x86-64 for every function, the check and the seal
// (seal_ms: the check in full, a copy and an mprotect).
void BM_CompileCompilerTier(benchmark::State& state) {
  if (!Have(state)) return;
  TimedSealer sealer;
  const uint64_t split_before = CodeChecksSplit();
  for (auto _ : state) {
    ForgetCodePasses();
    wasm::CompiledModule* m = Compile(wasm::EngineTier::kCompiler, &sealer);
    if (m == nullptr || wasm::CompiledTierStatus(m)[0] != '\0') {
      return state.SkipWithError("the module does not run compiled");
    }
    wasm::FreeCompiledModule(m);
  }
  CodeRate(state);
  state.counters["seal_ms"] = sealer.seal_ms(state.iterations());
  state.counters["x86_MB"] = sealer.generated_mb(state.iterations());
  state.counters["split"] = static_cast<double>(CodeChecksSplit() - split_before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_CompileCompilerTier)->Unit(benchmark::kMillisecond);

// From the module's bytes to its first instruction's result, in process:
// compile (compiler tier), instantiate, call the export `first`.
void BM_FirstInstructionInProcess(benchmark::State& state) {
  if (!Have(state)) return;
  TimedSealer sealer;
  for (auto _ : state) {
    ForgetCodePasses();
    wasm::CompiledModule* m = Compile(wasm::EngineTier::kCompiler, &sealer);
    if (m == nullptr) return state.SkipWithError("the module does not compile");
    wasm::Store* store = wasm::NewStore(wasm::StoreLimits(), wasm::HostMemoryProvider());
    wasm::Vec<wasm::Extern> none;
    wasm::InstantiateResult r = wasm::Instantiate(store, m, nullptr, 0);
    wasm::Extern e;
    if (r.status != wasm::InstantiateStatus::kOk || !wasm::FindExport(r.instance, "first", 5, &e)) {
      return state.SkipWithError("the module needs imports or exports no `first`");
    }
    wasm::Value out[1];
    benchmark::DoNotOptimize(wasm::Invoke(store, static_cast<wasm::FuncInst*>(e.object), nullptr, 0, out, 1));
    wasm::FreeStore(store);
    wasm::FreeCompiledModule(m);
  }
  CodeRate(state);
  state.counters["seal_ms"] = sealer.seal_ms(state.iterations());
}
BENCHMARK(BM_FirstInstructionInProcess)->Unit(benchmark::kMillisecond);

// The same in a fresh micro-VM: boot, copy the request in, compile in the
// guest, seal through the host (its check timed by the host itself),
// instantiate, call `first`. Args: 1 compiler / 0 interpreter; 1 the host
// checks the code in full every time / 0 it remembers an identical pass
// (vmm/code_check_cache.h: the module run again).
void BM_FirstInstructionMicroVm(benchmark::State& state) {
  if (!Have(state)) return;
  const bool compiler = state.range(0) != 0, cold = state.range(1) != 0;
  WasiRunSpec spec;
  spec.module = Module().bytes;
  spec.mode = abi::WasiRunMode::kInvoke;
  spec.export_name = "first";
  spec.compiler = compiler;
  const std::vector<uint8_t> request = BuildWasiRunRequest(spec);
  double check_ns = 0, sealed = 0;
  for (auto _ : state) {
    if (cold) ForgetCodePasses();
    PosixGuestServices services(-1);
    SandboxOptions o;
    o.image = ProductionGuestImage();
    o.memory_bytes = 256ull << 20;
    o.services = &services;
    auto sb = Sandbox::Boot(o);
    if (!sb.ok()) return state.SkipWithError(std::string(sb.status().message()).c_str());
    absl::Status s = RunWasiCommand(**sb, request);
    if (!s.ok() || !services.has_results()) return state.SkipWithError("the call in the micro-VM failed");
    check_ns += static_cast<double>((*sb)->code_region().figures().check_ns);
    sealed += static_cast<double>((*sb)->code_region().figures().bytes);
  }
  CodeRate(state);
  state.counters["host_check_ms"] = check_ns / 1e6 / static_cast<double>(state.iterations());
  state.counters["sealed_MB"] = sealed / 1e6 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_FirstInstructionMicroVm)
    ->Args({1, 1})
    ->Args({1, 0})
    ->Args({0, 0})
    ->ArgNames({"compiler", "cold_check"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace palisade

// The code check's workers, as the CLI and palisaded start them (one fewer
// than the cores, or PALISADE_CHECK_WORKERS of them: 0 checks on one
// thread, as before they existed).
int main(int argc, char** argv) {
  const size_t workers = palisade::CodeCheckWorkersForThisMachine();
  if (workers > 0 && !palisade::StartCodeCheckWorkers(workers).ok()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("check_workers", std::to_string(palisade::CodeCheckWorkerCount()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
