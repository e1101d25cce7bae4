// How many warm sandboxes fit on a machine: makes N sandboxes from one
// snapshot of snapshot_target, runs one call in each and resets it (the state
// a pool keeps them in), then reports the process's RSS and PSS and the
// machine's MemAvailable before and after, in total and per sandbox.
// PSS counts each shared clean page once across its sharers; the kernel's
// own per-VM memory (vCPU, nested page tables) shows only in MemAvailable.
// Run: build/bench/palisade_sandbox_density [COUNT] (needs /dev/kvm).
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "vmm/embedded_images.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox.h"
#include "vmm/wasi_runner.h"

namespace palisade {
namespace {

// A "Key:   123 kB" field of a /proc file, in KiB; -1 if absent.
long ProcKib(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

struct Reading {
  long rss, pss, available;
};
Reading Read() {
  return {ProcKib("/proc/self/status", "VmRSS"), ProcKib("/proc/self/smaps_rollup", "Pss"),
          ProcKib("/proc/meminfo", "MemAvailable")};
}

int Main(int argc, char** argv) {
  const long count = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1000;
  if (count <= 0) {
    std::fprintf(stderr, "usage: palisade_sandbox_density [COUNT]\n");
    return 2;
  }
  // Two fds per sandbox (VM, vCPU).
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/snapshot_target.wasm", std::ios::binary);
  std::vector<uint8_t> module{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  PosixGuestServices services(-1);
  SandboxOptions o;
  o.image = ProductionGuestImage();
  o.memory_bytes = 64ull << 20;
  o.services = &services;
  auto first = Sandbox::Boot(o);
  if (!first.ok()) {
    std::fprintf(stderr, "boot: %s\n", std::string(first.status().message()).c_str());
    return 1;
  }
  WasiRunSpec spec;
  spec.module = module;
  spec.mode = abi::WasiRunMode::kInstantiate;
  if (!RunWasiCommand(**first, BuildWasiRunRequest(spec)).ok()) return 1;
  auto warm = SnapshotForCalls(**first);
  if (!warm.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", std::string(warm.status().message()).c_str());
    return 1;
  }
  WasiRunSpec call;
  call.mode = abi::WasiRunMode::kInvoke;
  call.export_name = "bump";
  const std::vector<uint8_t> request = BuildWasiRunRequest(call);

  const Reading before = Read();
  std::vector<std::unique_ptr<Sandbox>> sandboxes;
  uint64_t dirtied = 0;
  for (long i = 0; i < count; ++i) {
    auto sb = Sandbox::FromSnapshot(warm->snapshot, o);
    if (!sb.ok()) {
      std::fprintf(stderr, "sandbox %ld: %s\n", i, std::string(sb.status().message()).c_str());
      return 1;
    }
    services.ClearOutcome();
    if (!RunWarmCommand(**sb, *warm, request).ok() || services.values().size() != 1 ||
        services.values()[0].lo != 1043) {
      std::fprintf(stderr, "sandbox %ld: the warm call failed\n", i);
      return 1;
    }
    if (!(*sb)->Reset().ok()) return 1;
    dirtied += (*sb)->last_reset_pages();
    sandboxes.push_back(std::move(*sb));
  }
  const Reading after = Read();
  const double n = static_cast<double>(count);
  std::printf("%ld warm sandboxes of one module (64 MiB guests), each after one call and a reset\n",
              count);
  std::printf("  pages dirtied by a call (dropped by its reset): %.1f\n", dirtied / n);
  std::printf("  process RSS:   %8ld KiB -> %8ld KiB  (%.1f KiB per sandbox)\n", before.rss,
              after.rss, (after.rss - before.rss) / n);
  std::printf("  process PSS:   %8ld KiB -> %8ld KiB  (%.1f KiB per sandbox)\n", before.pss,
              after.pss, (after.pss - before.pss) / n);
  std::printf("  MemAvailable:  %8ld KiB -> %8ld KiB  (%.1f KiB per sandbox, kernel memory included)\n",
              before.available, after.available, (before.available - after.available) / n);
  return 0;
}

}  // namespace
}  // namespace palisade

int main(int argc, char** argv) { return palisade::Main(argc, argv); }
