// Warm sandboxes of one snapshot, ready to serve. Acquire() hands out an idle
// sandbox (or makes one from the snapshot when none is idle); Release()
// resets it to the snapshot and keeps it for the next caller, so a call pays
// neither a boot nor a VM creation, only the reset of what the last call
// dirtied. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot.h"

namespace palisade {

class SandboxPool {
 public:
  // `options` gives every sandbox its console, services and console cap (a
  // caller rebinds console and services after Acquire()). At most `max_idle`
  // sandboxes are kept idle; more are destroyed on Release().
  SandboxPool(std::shared_ptr<const Snapshot> snapshot, SandboxOptions options, size_t max_idle);

  // Makes sandboxes until `count` (at most max_idle) are idle.
  absl::Status Fill(size_t count);

  absl::StatusOr<std::unique_ptr<Sandbox>> Acquire();

  // Resets `sandbox` (whatever state its last call left) and keeps it; one
  // that cannot be reset, or one too many, is destroyed.
  // `reset_pages`, if given, receives the pages the reset dropped (0 if the
  // sandbox was discarded instead).
  void Release(std::unique_ptr<Sandbox> sandbox, uint64_t* reset_pages = nullptr);

  struct Stats {
    uint64_t created = 0;    // made from the snapshot
    uint64_t reused = 0;     // handed out from the idle list
    uint64_t discarded = 0;  // destroyed on Release (reset failed or pool full)
    size_t idle = 0;
  };
  Stats stats() const;

 private:
  const std::shared_ptr<const Snapshot> snapshot_;
  const SandboxOptions options_;
  const size_t max_idle_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Sandbox>> idle_;
  Stats stats_;
};

}  // namespace palisade
