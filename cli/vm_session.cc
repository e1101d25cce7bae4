#include "cli/vm_session.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/time/clock.h"
#include "cli/run_command.h"
#include "common/duration.h"
#include "policy/confine.h"
#include "vmm/code_check_workers.h"
#include "vmm/embedded_images.h"
#include "vmm/guest_layout.h"
#include "vmm/module_needs.h"

namespace palisade::cli {

std::optional<int> ConfineOrReport(const char* command, const std::string& flag, const char* policy,
                                   bool all_threads) {
  auto mode = policy::SeccompModeFromFlag(flag);
  if (!mode.ok()) {
    std::cerr << command << ": " << mode.status().message() << "\n";
    return kExitUsage;
  }
  absl::Status s = policy::Confine(policy, *mode, all_threads);
  // The code check's workers decode what the guest hands this thread: they
  // get its filter too (all_threads already covered them).
  if (s.ok() && !all_threads) s = ConfineCodeCheckWorkers([&] { return policy::Confine(policy, *mode, false); });
  if (!s.ok()) {
    std::cerr << command << ": cannot confine this process: " << s.message() << " (--seccomp off to run anyway)\n";
    return kExitNoSandbox;
  }
  return std::nullopt;
}

uint64_t ParseSize(const std::string& text) {
  if (text.empty()) return 0;
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (i == 0) return 0;
  uint64_t unit = 1;
  if (i < text.size()) {
    switch (text[i]) {
      case 'K': case 'k': unit = 1ull << 10; break;
      case 'M': case 'm': unit = 1ull << 20; break;
      case 'G': case 'g': unit = 1ull << 30; break;
      default: return 0;
    }
    if (i + 1 != text.size() && !(i + 2 == text.size() && (text[i + 1] == 'B' || text[i + 1] == 'b'))) {
      return 0;
    }
  }
  if (v > UINT64_MAX / unit) return 0;
  return v * unit;
}

std::optional<int> VmSession::Start(const Options& o) {
  absl::Duration d = absl::InfiniteDuration();
  if (!o.timeout.empty() && (!ParseUserDuration(o.timeout, &d) || d <= absl::ZeroDuration())) {
    std::cerr << command_ << ": bad --timeout '" << o.timeout << "' (seconds, or e.g. 10s, 500ms)\n";
    return kExitUsage;
  }
  timeout_text_ = absl::FormatDuration(d);
  if (!o.memory.empty()) {
    memory_bytes_ = ParseSize(o.memory);
    constexpr uint64_t kMinMemory = 8ull << 20;
    if (memory_bytes_ < kMinMemory || memory_bytes_ > kMaxGuestMemory || memory_bytes_ % 4096 != 0) {
      std::cerr << command_ << ": bad --memory '" << o.memory
                << "' (a size from 8M to 64G, e.g. 256M or 1G)\n";
      return kExitUsage;
    }
  }
  const uint64_t output_cap = o.max_output == "0" ? 0 : ParseSize(o.max_output);
  if (o.max_output != "0" && output_cap == 0) {
    std::cerr << command_ << ": bad --max-output '" << o.max_output << "' (e.g. 1G, or 0 for no cap)\n";
    return kExitUsage;
  }
  std::ifstream in(module_, std::ios::binary);
  if (!in) {
    std::cerr << command_ << ": cannot read " << module_ << "\n";
    return kExitUsage;
  }
  module_bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  needs_ = NeedsOf(module_bytes_, o.compiler, o.request_bytes);
  needs_.wanted_bytes = o.wanted_bytes;
  if (o.memory.empty()) {
    absl::StatusOr<uint64_t> chosen = ChooseGuestMemory(needs_, o.ceiling);
    if (!chosen.ok()) {
      std::cerr << command_ << ": " << module_ << ": " << chosen.status().message() << "\n";
      return kExitUsage;
    }
    memory_bytes_ = *chosen;
  }
  deadline_ = d == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + d;
  SandboxOptions options;
  options.image = ProductionGuestImage();
  options.memory_bytes = memory_bytes_;
  options.console = &console_;
  options.services = &services_;
  options.max_console_bytes = output_cap;
  options.one_shot = o.one_shot;
  auto sandbox = Sandbox::Boot(options, deadline_);
  if (!sandbox.ok()) {
    if (absl::IsDeadlineExceeded(sandbox.status())) return Failed(sandbox.status());
    std::cerr << command_ << ": cannot start a micro-VM: " << sandbox.status().message()
              << " (--in-process runs without one, for trusted code only)\n";
    return kExitNoSandbox;
  }
  sandbox_ = std::move(*sandbox);
  return std::nullopt;
}

void VmSession::ExplainOutOfMemory() const {
  // What the guest would have had without --memory (and with no ceiling).
  const absl::StatusOr<uint64_t> chosen = ChooseGuestMemory(needs_, {});
  std::cerr << command_ << ": the guest had " << (memory_bytes_ >> 20) << " MiB; this module needs "
            << DescribeNeed(needs_);
  if (chosen.ok()) std::cerr << ": try --memory " << (*chosen >> 20) << "M";
  std::cerr << "\n";
}

int VmSession::Failed(const absl::Status& status) const {
  if (absl::IsDeadlineExceeded(status)) {
    std::cerr << "palisade: timeout: " << module_ << " ran past " << timeout_text_ << "\n";
  } else if (absl::IsResourceExhausted(status)) {
    std::cerr << command_ << ": " << module_ << ": " << status.message() << "\n";
  } else {
    std::cerr << command_ << ": the sandbox failed: " << status.message() << "\n";
  }
  return kExitTrap;
}

}  // namespace palisade::cli
