#include "cli/vm_run.h"

#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "absl/time/clock.h"
#include "vmm/embedded_images.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox.h"
#include "vmm/wasi_runner.h"
#include "wasm/runtime/trap.h"

namespace palisade::cli {

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

int RunInVm(const RunOptions& o) {
  absl::Duration timeout = absl::InfiniteDuration();
  if (!o.timeout.empty() &&
      (!absl::ParseDuration(o.timeout, &timeout) || timeout <= absl::ZeroDuration())) {
    std::cerr << "palisade run: bad --timeout '" << o.timeout << "' (use e.g. 10s, 500ms)\n";
    return kExitUsage;
  }
  const uint64_t memory = ParseSize(o.memory);
  constexpr uint64_t kMinMemory = 8ull << 20, kMaxMemory = 64ull << 30;
  if (memory < kMinMemory || memory > kMaxMemory || memory % 4096 != 0) {
    std::cerr << "palisade run: bad --memory '" << o.memory
              << "' (a size from 8M to 64G, e.g. 256M or 1G)\n";
    return kExitUsage;
  }
  std::ifstream in(o.module, std::ios::binary);
  if (!in) {
    std::cerr << "palisade run: cannot read " << o.module << "\n";
    return kExitUsage;
  }
  std::vector<uint8_t> module((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args{o.module};
  args.insert(args.end(), o.args.begin(), o.args.end());
  WasiRunSpec spec;
  spec.module = module;
  spec.args = args;
  spec.env = o.env;
  spec.max_memory_pages = o.max_memory_pages;
  spec.fuel = o.fuel;
  auto image = BuildPreopens(o.dirs);
  if (!image.ok()) {
    std::cerr << "palisade run: " << image.status().message() << "\n";
    return kExitUsage;
  }
  spec.fs_image = *image;
  std::vector<uint8_t> request = BuildWasiRunRequest(spec);
  if (request.size() >= memory / 2) {
    std::cerr << "palisade run: " << o.module << " (" << module.size()
              << " bytes) does not fit in a " << o.memory << " guest; raise --memory\n";
    return kExitUsage;
  }

  StdioConsole console;
  PosixGuestServices services;
  SandboxOptions options;
  options.image = ProductionGuestImage();
  options.memory_bytes = memory;
  options.console = &console;
  options.services = &services;
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  auto fail = [&](const absl::Status& s) {
    if (absl::IsDeadlineExceeded(s)) {
      std::cerr << "palisade: timeout: " << o.module << " ran past " << o.timeout << "\n";
    } else {
      std::cerr << "palisade run: the sandbox failed: " << s.message() << "\n";
    }
    return kExitTrap;
  };
  auto sandbox = Sandbox::Boot(options, deadline);
  if (!sandbox.ok()) {
    if (absl::IsDeadlineExceeded(sandbox.status())) return fail(sandbox.status());
    std::cerr << "palisade run: cannot start a micro-VM: " << sandbox.status().message()
              << " (--in-process runs without one, for trusted code only)\n";
    return kExitNoSandbox;
  }
  absl::Status run = RunWasiCommand(**sandbox, request, deadline);
  if (absl::IsResourceExhausted(run)) {
    std::cerr << "palisade run: " << run.message() << "; raise --memory\n";
    return kExitUsage;
  }
  if (!run.ok()) return fail(run);
  if (!services.outcome().has_value()) {
    std::cerr << "palisade run: the guest reported no outcome\n";
    return kExitTrap;
  }
  (void)(*sandbox)->Shutdown(0, absl::Now() + absl::Seconds(5));
  const WasmOutcomeReport& r = *services.outcome();
  switch (r.kind) {
    case abi::WasmOutcome::kExited:
      return static_cast<int>(r.code & 0xff);
    case abi::WasmOutcome::kTrapped: {
      const char* what = r.code >= 0 && r.code < 256
                             ? wasm::TrapMessage(static_cast<wasm::TrapKind>(r.code))
                             : "unknown trap";
      std::cerr << "palisade: trap: " << what
                << " in function " << r.func_index;
      if (!r.text.empty()) std::cerr << " (" << r.text << ")";
      char off[32];
      std::snprintf(off, sizeof off, "0x%x", r.offset);
      std::cerr << " at offset " << off << "\n";
      return kExitTrap;
    }
    case abi::WasmOutcome::kLoadFailed:
    case abi::WasmOutcome::kLinkFailed:
      std::cerr << "palisade run: " << o.module << ": " << r.text << "\n";
      return kExitUsage;
  }
  return kExitTrap;
}

}  // namespace palisade::cli
