// What this process's micro-VMs have done, counted for palisaded's metrics:
// boots (fresh, and from a snapshot), VM exits, snapshot resets and the
// pages those resets dropped. Relaxed atomics: one add per event.
#pragma once

#include <atomic>
#include <cstdint>

namespace palisade {

struct VmCounters {
  std::atomic<uint64_t> boots{0};            // Sandbox::Boot: image loaded, guest ready
  std::atomic<uint64_t> snapshot_starts{0};  // Sandbox::FromSnapshot
  std::atomic<uint64_t> exits{0};            // KVM_RUN returned with an exit
  std::atomic<uint64_t> resets{0};           // Sandbox::Reset
  std::atomic<uint64_t> pages_reset{0};      // dropped by those resets

  static void Add(std::atomic<uint64_t>& counter, uint64_t n = 1) { counter.fetch_add(n, std::memory_order_relaxed); }
};

VmCounters& ProcessVmCounters();

}  // namespace palisade
