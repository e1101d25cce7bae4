// A micro-VM running one guest image: boot straight into long mode, serve its
// hypercalls, hand it commands, enforce deadlines. Any guest misbehaviour
// (CPU fault, bad hypercall, stray memory access, deadline) ends the sandbox
// with a clear absl::Status and, for crashes, a crash report; the host
// process is never harmed.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/code_region.h"
#include "vmm/console.h"
#include "vmm/elf_image.h"
#include "vmm/guest_layout.h"
#include "vmm/guest_memory.h"
#include "vmm/hypercalls.h"
#include "vmm/snapshot.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"
#include "vmm/watchdog.h"

namespace palisade {

// Crash statuses carry the full crash report (registers, disassembly) as a
// payload under this URL, so it survives even a failed Boot().
inline constexpr char kCrashReportPayload[] = "palisade.dev/crash-report";

// Output the guest queues in its outbox reaches the console at its next exit,
// and at the latest this long after it was queued, so it streams live.
inline constexpr absl::Duration kOutboxFlushTick = absl::Milliseconds(50);
// A cancellation this close to a run's deadline counts as the deadline
// (Sandbox::RunLoop): gRPC cancels a call when its deadline passes, by a
// timer that may fire slightly before absl::Now() reaches it.
inline constexpr absl::Duration kCancelAtDeadline = absl::Milliseconds(20);

inline constexpr uint64_t kDefaultCodeRegion = ~uint64_t{0};

struct SandboxOptions {
  std::span<const uint8_t> image;        // the guest ELF (must outlive Boot())
  uint64_t memory_bytes = 16ull << 20;   // guest-physical memory, multiple of 4 KiB
  // Guest stack (a guard page sits below it). Compiled code's frames take
  // 16 bytes a call on it, up to the engine's call depth; untouched pages
  // cost nothing.
  uint64_t stack_bytes = 1ull << 20;
  // Room for compiled code (guest_layout.h); kDefaultCodeRegion: an eighth
  // of memory, within limits; 0: none (modules are interpreted).
  uint64_t code_region_bytes = kDefaultCodeRegion;
  ConsoleSink* console = nullptr;        // guest console output; nullptr = discard
  GuestServices* services = nullptr;     // stdin, clocks, randomness, Wasm outcomes
  uint64_t max_console_bytes = 0;        // total console output allowed; 0 = no cap
  // Disassemble the image and refuse to boot it if it holds instructions
  // the audit does not allow (vmm/image_audit.h). Only test images that
  // misbehave on purpose turn this off.
  bool audit_image = true;
  // A sandbox that will never be snapshotted (one run, then gone): its
  // memory is GuestMemory::Backing::kOneShot, which first-touches far faster
  // on PVM; TakeSnapshot() refuses it.
  bool one_shot = false;
};

struct BootTimings {
  absl::Duration setup;     // VM, memory, page tables, vCPU state
  absl::Duration to_ready;  // first KVM_RUN until the guest's first kAwaitCommand
  absl::Duration total;
};

class Sandbox {
 public:
  // Boots the image until the guest announces it is ready.
  static absl::StatusOr<std::unique_ptr<Sandbox>> Boot(const SandboxOptions& options,
                                                       absl::Time deadline = absl::InfiniteFuture());

  // A sandbox that starts where `snapshot` stopped, waiting for a command.
  // `options` supplies the console, services and console cap; its image and
  // sizes are ignored (the snapshot's are used).
  static absl::StatusOr<std::unique_ptr<Sandbox>> FromSnapshot(
      std::shared_ptr<const Snapshot> snapshot, const SandboxOptions& options);

  // Freezes this sandbox, which must be waiting for a command, into a
  // snapshot and makes this sandbox the snapshot's first user: it keeps
  // running on a copy-on-write view and Reset() returns it there.
  absl::StatusOr<std::shared_ptr<const Snapshot>> TakeSnapshot();

  // Returns the sandbox to its snapshot (even after a crash, a deadline or a
  // cancel): drops the pages the guest or the host wrote since the snapshot
  // or the last reset (KVM's dirty log, plus the host's own record) and
  // restores the vCPU. An error leaves the sandbox stopped; discard it.
  absl::Status Reset();
  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  // Pages the last Reset() dropped, and whether it had to restore the vCPU
  // (only after a crash, deadline or cancel: a guest that finished cleanly
  // is rewound by memory alone).
  uint64_t last_reset_pages() const { return last_reset_pages_; }
  bool last_reset_restored_vcpu() const { return last_reset_restored_vcpu_; }

  // Rebinds where output goes and who answers WASI hypercalls (a pooled
  // sandbox serves a different caller each time).
  void set_console(ConsoleSink* console);
  void set_services(GuestServices* services);

  // Hands the guest one command and runs it until the guest asks for the next;
  // returns the status the guest reported for it.
  absl::StatusOr<int64_t> RunCommand(abi::Command command, uint64_t a0 = 0, uint64_t a1 = 0,
                                     uint64_t a2 = 0, absl::Time deadline = absl::InfiniteFuture());

  // Tells the guest to exit with `code`; returns the code it exited with.
  absl::StatusOr<int64_t> Shutdown(int64_t code, absl::Time deadline = absl::InfiniteFuture());

  // Stops a running command from any thread; it returns CancelledError.
  void Cancel();

  bool alive() const { return alive_; }
  // Set when the guest crashed (CPU exception or a stray exit).
  const std::optional<abi::FaultReport>& fault() const { return fault_; }
  const std::string& crash_report() const { return crash_report_; }
  const GuestLayout& layout() const { return layout_; }
  const BootTimings& timings() const { return timings_; }
  uint64_t exits() const { return exits_; }
  uint64_t hypercalls() const { return dispatcher_->calls(); }
  // Calls the guest queued in its outbox instead of exiting (abi::OutboxHeader).
  uint64_t queued_calls() const { return dispatcher_->deferred_calls(); }
  const GuestMemory& memory() const { return memory_; }
  const CodeRegion& code_region() const { return code_region_; }
  // Copies host bytes into guest RAM (checked like any guest address).
  absl::Status CopyToGuest(uint64_t gpa, std::span<const uint8_t> bytes);
  // Makes the next Reset() roll [gpa, gpa + len) back although no dirty log
  // saw it change: for what the guest writes in memory that is not logged
  // (the request area).
  absl::Status RollBackAtReset(uint64_t gpa, uint64_t len);

  struct Parts;  // construction helper (sandbox.cc)
  explicit Sandbox(Parts parts);
  ~Sandbox();

 private:
  // The sandbox around its parts, with its hypercall dispatcher.
  static absl::StatusOr<std::unique_ptr<Sandbox>> Assemble(Parts parts,
                                                           const SandboxOptions& options);
  // Runs the vCPU until the guest waits for a command or exits.
  absl::StatusOr<HypercallOutcome> RunUntilStop(absl::Time deadline);
  absl::StatusOr<HypercallOutcome> RunLoop(absl::Time deadline);
  // How often a running guest is stopped to pass on its queued output.
  absl::Duration FlushTick() const;
  absl::Status Crash(absl::StatusCode code, const std::string& summary,
                     const abi::FaultReport& report);
  absl::Status CrashFromVcpu(const std::string& what);
  const char* RegionHint(uint64_t address) const;
  // Write-protects again the pages of slot_bitmap_ that the last reset did
  // not also see dirty; the others stay writable and reported dirty.
  absl::Status ProtectColdPages(uint32_t slot, uint64_t pages);


  std::shared_ptr<const ElfImage> image_;
  GuestLayout layout_;
  GuestMemory memory_;
  Vm vm_;
  Vcpu vcpu_;
  std::optional<HypercallDispatcher> dispatcher_;
  CodeRegion code_region_;
  Watchdog watchdog_;
  BootTimings timings_;
  bool alive_ = true;
  bool awaiting_command_ = false;  // the guest is blocked in kAwaitCommand
  std::shared_ptr<const Snapshot> snapshot_;
  uint64_t last_reset_pages_ = 0;
  bool last_reset_restored_vcpu_ = false;
  std::vector<uint64_t> dirty_bitmap_;  // scratch for Reset(): all of memory
  std::vector<uint64_t> slot_bitmap_;   // scratch for Reset(): one slot
  // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is on: Reset() write-protects only the
  // pages it does not keep hot (ProtectColdPages, sandbox.cc).
  bool manual_dirty_protect_ = false;
  std::map<uint32_t, std::vector<uint64_t>> last_dirty_;  // per logged slot
  std::map<uint32_t, uint64_t> resets_since_relearn_;
  std::vector<uint64_t> clear_bitmap_;
  uint64_t exits_ = 0;
  std::optional<abi::FaultReport> fault_;
  std::string crash_report_;

  std::mutex run_mu_;  // guards running_/running_thread_ against Cancel()
  bool running_ = false;
  pthread_t running_thread_{};
  std::atomic<bool> cancelled_{false};
};

}  // namespace palisade
