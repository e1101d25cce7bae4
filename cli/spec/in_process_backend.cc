// The spec session in this process, on the host's mmap-backed linear memory.
#include "cli/compiled_code_sealer.h"
#include "cli/spec/spec_backend.h"
#include "wasm/host/host_memory.h"

namespace palisade::spec {
namespace {

using wasm::spectest::SpecResult;
using wasm::spectest::SpecStatus;

StepResult Convert(const SpecResult& r) {
  StepResult s;
  s.status = r.status;
  s.error_kind = r.error.kind;
  s.message = r.error.message;
  s.trap = r.trap;
  s.instance = r.instance;
  s.results.assign(r.results, r.results + r.result_count);
  return s;
}

class InProcess final : public SpecBackend {
 public:
  InProcess(bool coverage_probes, bool compiler) {
    if (compiler) session_.UseCompiler(&sealer_);
    if (!coverage_probes) return;
    counters_.resize(1 << 16);
    cmps_.resize(256);
    map_.counters = counters_.data();
    map_.counters_size = static_cast<uint32_t>(counters_.size());
    map_.cmps = cmps_.data();
    map_.cmp_slots = static_cast<uint32_t>(cmps_.size());
    session_.EnableCoverage(&map_);
  }
  absl::Status Reset() override {
    if (!session_.Reset(wasm::HostMemoryProvider())) {
      return absl::ResourceExhaustedError("out of memory creating the spec store");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<StepResult> Validate(std::span<const uint8_t> module) override {
    return Convert(session_.Validate(module.data(), module.size()));
  }
  absl::StatusOr<StepResult> Instantiate(std::span<const uint8_t> module) override {
    return Convert(session_.Instantiate(module.data(), module.size()));
  }
  absl::StatusOr<StepResult> Register(const std::string& name, uint32_t instance) override {
    StepResult s;
    if (!session_.Register(name.data(), name.size(), instance)) s.status = SpecStatus::kNoInstance;
    return s;
  }
  absl::StatusOr<StepResult> Invoke(uint32_t instance, const std::string& field,
                                    const std::vector<wasm::Value>& args) override {
    return Convert(session_.Invoke(instance, field.data(), field.size(), args.data(),
                                   static_cast<uint32_t>(args.size())));
  }
  absl::StatusOr<StepResult> Get(uint32_t instance, const std::string& field) override {
    return Convert(session_.Get(instance, field.data(), field.size()));
  }
  std::string TierSummary() const override {
    return std::to_string(session_.compiled_modules()) + " of " + std::to_string(session_.instantiated_modules()) +
           " instantiated modules ran compiled";
  }

 private:
  cli::InProcessCodeSealer sealer_;  // before the session, whose modules it holds
  std::vector<uint8_t> counters_;
  std::vector<wasm::CmpRecord> cmps_;
  wasm::CoverageMap map_;
  wasm::spectest::SpecSession session_;  // after the map it records into
};

}  // namespace

std::unique_ptr<SpecBackend> InProcessBackend(bool coverage_probes, bool compiler) {
  return std::make_unique<InProcess>(coverage_probes, compiler);
}

}  // namespace palisade::spec
