#include "cli/check_command.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/time/clock.h"
#include "vmm/embedded_images.h"
#include "vmm/kvm.h"
#include "vmm/kvm_backend.h"
#include "vmm/raw_floor.h"
#include "vmm/sandbox.h"

namespace palisade::cli {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Fail(const char* stage, const absl::Status& status) {
  std::fprintf(stderr, "check: %s failed: %s\n", stage, std::string(status.message()).c_str());
  if (auto report = status.GetPayload(kCrashReportPayload); report.has_value()) {
    std::fprintf(stderr, "%s", std::string(*report).c_str());
  }
  return 1;
}

}  // namespace

int RunCheck(const CheckOptions& options) {
  const KvmBackend backend = DetectKvmBackend();
  std::printf("backend: %s\n", KvmBackendName(backend).c_str());
  if (backend == KvmBackend::kAbsent) {
    return Fail("finding KVM", absl::UnavailableError(KvmBackendProblem(backend)));
  }
  auto kvm = Kvm::Shared();
  if (!kvm.ok()) return Fail("opening KVM", kvm.status());
  std::printf("kvm: /dev/kvm is usable (API version %d, %zu-byte vCPU run area)\n",
              KVM_API_VERSION, (*kvm)->vcpu_mmap_size());

  SandboxOptions sandbox_options;
  sandbox_options.image = ProductionGuestImage();
  sandbox_options.memory_bytes = options.memory_mib << 20;

  std::vector<double> boot_us, setup_us, guest_us, call_us;
  for (int i = 0; i < options.runs; ++i) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    auto sandbox = Sandbox::Boot(sandbox_options, deadline);
    if (!sandbox.ok()) return Fail("booting a micro-VM", sandbox.status());
    const BootTimings& t = (*sandbox)->timings();
    boot_us.push_back(absl::ToDoubleMicroseconds(t.total));
    setup_us.push_back(absl::ToDoubleMicroseconds(t.setup));
    guest_us.push_back(absl::ToDoubleMicroseconds(t.to_ready));

    // One call with a payload proves the data path; the timed loop then uses
    // empty echoes, i.e. the bare exit + dispatch + re-entry cost.
    auto echoed = (*sandbox)->RunCommand(abi::Command::kEchoLoop, 1, 256, 0, deadline);
    if (!echoed.ok()) return Fail("the hypercall round trip", echoed.status());
    if (*echoed != 0) {
      std::fprintf(stderr, "check: the guest saw a wrong echo (status %lld)\n",
                   static_cast<long long>(*echoed));
      return 1;
    }
    const absl::Time start = absl::Now();
    auto looped = (*sandbox)->RunCommand(abi::Command::kEchoLoop,
                                         static_cast<uint64_t>(options.calls_per_run), 0, 0,
                                         deadline);
    const absl::Duration took = absl::Now() - start;
    if (!looped.ok()) return Fail("the hypercall loop", looped.status());
    // calls_per_run echoes plus the command's own kAwaitCommand exit.
    call_us.push_back(absl::ToDoubleMicroseconds(took) / (options.calls_per_run + 1));
    auto code = (*sandbox)->Shutdown(0, deadline);
    if (!code.ok()) return Fail("shutting the guest down", code.status());
  }
  // KVM's own cost on this machine, the same way: a bare CPL 3 guest.
  auto floors = MeasureRawFloors(**kvm, options.runs, options.calls_per_run);
  if (!floors.ok()) return Fail("measuring the raw KVM floor", floors.status());
  const double floor_boot = absl::ToDoubleMicroseconds(floors->create_and_first_run);
  const double floor_exit = absl::ToDoubleMicroseconds(floors->exit_round_trip);
  std::printf("boot: %.0f us (median of %d cold boots: %.0f us VMM setup, %.0f us guest to ready; "
              "%.2fx the raw floor of %.0f us)\n",
              Median(boot_us), options.runs, Median(setup_us), Median(guest_us),
              Median(boot_us) / floor_boot, floor_boot);
  std::printf("hypercall: %.1f us (median round trip over %d x %d calls; %.2fx one raw exit of "
              "%.1f us)\n",
              Median(call_us), options.runs, options.calls_per_run, Median(call_us) / floor_exit,
              floor_exit);
  std::printf("check: ok\n");
  return 0;
}

}  // namespace palisade::cli
