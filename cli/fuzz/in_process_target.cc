#include "cli/fuzz/in_process_target.h"

#include <cstdio>
#include <cstring>

#include "cli/fuzz/harness_abi.h"
#include "wasm/host/host_memory.h"
#include "wasm/wasi/wasi_linker.h"

namespace palisade::cli::fuzz {

InProcessTarget::InProcessTarget(const HarnessLimits& limits, CoverageArrays coverage)
    : limits_(limits), coverage_(coverage) {
  map_.counters = coverage.counters.data();
  map_.counters_size = static_cast<uint32_t>(coverage.counters.size());
  map_.cmps = coverage.cmps.data();
  map_.cmp_slots = static_cast<uint32_t>(coverage.cmps.size());
}

absl::StatusOr<std::unique_ptr<InProcessTarget>> InProcessTarget::Create(
    std::vector<uint8_t> module, const HarnessLimits& limits, CoverageArrays coverage) {
  std::unique_ptr<InProcessTarget> t(new InProcessTarget(limits, coverage));
  t->bytes_ = std::move(module);
  wasm::CompileOptions options;
  options.coverage = true;
  if (limits.compiler) {
    options.tier = wasm::EngineTier::kCompiler;
    options.sealer = &t->sealer_;
  }
  wasm::CompiledModule* cm = nullptr;
  wasm::Error e = wasm::CompileModule(t->bytes_.data(), t->bytes_.size(), &cm, options);
  t->module_.reset(cm);
  if (!e.ok()) return absl::InvalidArgumentError(DescribeCompileError(e));
  t->map_.counters_size = wasm::SuggestedCoverageMapSize(cm, t->map_.counters_size);
  wasm::SealHostStreams(&t->system_, !limits.show_output);
  if (absl::Status s = t->Instantiate(); !s.ok()) return s;
  return t;
}

absl::Status InProcessTarget::Instantiate() {
  wasi_ = std::make_unique<wasm::wasi::WasiContext>(&system_);
  if (!wasi_->AddArg("harness", 7)) return absl::ResourceExhaustedError("out of memory");
  wasm::StoreLimits sl;
  sl.max_memory_pages = limits_.max_memory_pages;
  sl.value_stack_slots = 1u << 17;  // 1 MiB: harnesses recurse less than programs
  sl.max_call_depth = 4000;
  store_.reset(wasm::NewStore(sl, wasm::HostMemoryProvider()));
  if (store_ == nullptr) return absl::ResourceExhaustedError("out of memory");
  wasm::Vec<wasm::Extern> externs;
  wasm::Error e = wasm::wasi::ResolveWasiImports(store_.get(), module_.get(), wasi_.get(), &externs);
  if (!e.ok()) return absl::FailedPreconditionError(std::string("the harness's imports: ") + e.message);
  wasm::InstantiateResult r = wasm::Instantiate(store_.get(), module_.get(), externs.data(), externs.size());
  if (r.status == wasm::InstantiateStatus::kTrap) {
    return absl::FailedPreconditionError("the harness trapped while instantiating: " + Describe(r.trap));
  }
  if (r.status != wasm::InstantiateStatus::kOk) {
    return absl::FailedPreconditionError(std::string("the harness cannot be instantiated: ") + r.error.message);
  }
  instance_ = r.instance;
  auto exports = FindHarnessExports(instance_);
  if (!exports.ok()) return exports.status();
  test_ = exports->test;
  malloc_ = exports->malloc;
  memory_ = exports->memory;
  if (exports->initialize != nullptr) {
    watchdog_.Arm(store_.get(), limits_.timeout * 10);
    wasm::Trap t = wasm::Invoke(store_.get(), exports->initialize, nullptr, 0, nullptr, 0);
    bool late = watchdog_.Disarm();
    if (late || !t.ok()) {
      return absl::FailedPreconditionError(
          "the harness's _initialize failed: " +
          (late ? std::string("it ran past ten times the per-input timeout") : Describe(t)));
    }
  }
  snapshot_.reset(wasm::SnapshotInstance(instance_));
  if (snapshot_ == nullptr) return absl::ResourceExhaustedError("out of memory for the harness's snapshot");
  return absl::OkStatus();
}

std::string InProcessTarget::Describe(const wasm::Trap& trap) const {
  return DescribeTrap(module_.get(), trap);
}

absl::StatusOr<Outcome> InProcessTarget::Run(std::span<const uint8_t> input) {
  wasm::RestoreInstance(instance_, snapshot_.get());
  wasm::Store* store = store_.get();
  const uint64_t refused = wasm::RefusedMemoryGrows(store);
  map_.prev = 0;
  wasm::SetCoverage(store, &map_);
  wasm::SetFuel(store, limits_.fuel > 0, limits_.fuel);

  Outcome out;
  watchdog_.Arm(store, limits_.timeout);
  wasm::Value arg = wasm::Value::I32(static_cast<uint32_t>(input.size()));
  wasm::Value ptr;
  wasm::Trap t = wasm::Invoke(store, malloc_, &arg, 1, &ptr, 1);
  if (t.ok()) {
    uint64_t at = ptr.i32();
    uint64_t size = wasm::MemorySize(memory_);
    if (at == 0 && !input.empty()) {
      watchdog_.Disarm();
      wasm::ClearInterrupt(store);
      out.kind = Outcome::Kind::kCrash;
      out.reason = "memory limit: the harness's malloc(" + std::to_string(input.size()) +
                   ") for the input returned NULL";
      return out;
    }
    if (at + input.size() > size) {
      watchdog_.Disarm();
      wasm::ClearInterrupt(store);
      return absl::FailedPreconditionError("the harness's malloc returned memory outside its memory");
    }
    if (!input.empty()) std::memcpy(wasm::MemoryData(memory_) + at, input.data(), input.size());
    wasm::Value args[2] = {wasm::Value::I32(static_cast<uint32_t>(at)),
                           wasm::Value::I32(static_cast<uint32_t>(input.size()))};
    wasm::Value result;
    t = wasm::Invoke(store, test_, args, 2, &result, 1);
    if (t.ok() && static_cast<int32_t>(result.i32()) == -1) out.kind = Outcome::Kind::kRejected;
  }
  bool late = watchdog_.Disarm();
  wasm::ClearInterrupt(store);
  if (late || t.kind == wasm::TrapKind::kInterrupted) {
    out.kind = Outcome::Kind::kCrash;
    out.reason = "timeout: the input ran past " + absl::FormatDuration(limits_.timeout);
  } else if (t.kind == wasm::TrapKind::kExit) {
    out.kind = Outcome::Kind::kCrash;
    out.reason = "exit: the harness called exit(" + std::to_string(t.exit_code) + ")";
  } else if (!t.ok()) {
    out.kind = Outcome::Kind::kCrash;
    out.reason = "trap: " + Describe(t);
  } else if (wasm::RefusedMemoryGrows(store) != refused) {
    out.kind = Outcome::Kind::kCrash;
    out.reason = "memory limit: the harness asked for more than " +
                 std::to_string(limits_.max_memory_pages) + " pages of linear memory";
  }
  return out;
}

std::string InProcessTarget::Tier() const {
  if (!limits_.compiler) return "interpreted (--engine interpreter)";
  const char* why = wasm::CompiledTierStatus(module_.get());
  return why[0] == '\0' ? "compiled" : std::string("interpreted: ") + why;
}

}  // namespace palisade::cli::fuzz
