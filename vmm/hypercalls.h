// The host side of the hypercall ABI (guest-runtime/abi/hypercall_abi.h,
// docs/ABI.md). Dispatch() takes a KVM_EXIT_IO exit, checks that it is exactly
// a hypercall (port, direction, width, count), reads the mailbox and runs the
// handler from the table in hypercall_table.cc. Everything the guest wrote is
// hostile: a malformed call is an error that ends the sandbox, never a crash.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/code_region.h"
#include "vmm/console.h"
#include "vmm/guest_memory.h"
#include "vmm/guest_services.h"

namespace palisade {

struct HypercallOutcome {
  enum class Kind { kResume, kAwaitCommand, kExit, kFault };
  Kind kind = Kind::kResume;
  int64_t value = 0;  // kAwaitCommand: the previous command's status; kExit: the code
  abi::FaultReport fault{};
};

// Limits on what one hypercall may move.
inline constexpr uint64_t kMaxEchoBytes = 64 * 1024;
inline constexpr uint64_t kMaxConsoleWriteBytes = 1 << 20;
inline constexpr uint64_t kMaxAbortMessageBytes = 4096;
inline constexpr uint64_t kMaxStdinReadBytes = 1 << 20;

// The hypercall number of a KVM_EXIT_IO exit (~0u if the exit has none).
uint32_t ExitHypercallNumber(const kvm_run& run, size_t run_size);

// Hypercalls whose handler may wait (for stdin, or a sleep): the 50 ms flush
// tick must not interrupt them.
inline bool MayBlock(uint32_t nr) {
  return nr == static_cast<uint32_t>(abi::Hypercall::kStdinRead) ||
         nr == static_cast<uint32_t>(abi::Hypercall::kSleep);
}

class HypercallDispatcher {
 public:
  // `mailbox_gpa` must be a read-write page of `memory`, and the outbox
  // (abi::kOutboxBytes at `outbox_gpa`, abi::OutboxHeader first) read-write
  // memory too (both checked here).
  static absl::StatusOr<HypercallDispatcher> Create(GuestMemory* memory, uint64_t mailbox_gpa,
                                                    uint64_t outbox_gpa, ConsoleSink* console,
                                                    GuestServices* services = nullptr);

  // Handles the calls queued in the outbox, in order (abi::OutboxHeader says
  // when). `at_hypercall`: the guest is stopped in a hypercall, so the outbox
  // is emptied (head = tail = 0); otherwise only what it published so far is
  // handled. A malformed record is a bad hypercall.
  absl::Status DrainOutbox(bool at_hypercall);
  // Queued calls handled so far.
  uint64_t deferred_calls() const { return deferred_calls_; }

  // `run`/`run_size`: the vCPU's kvm_run area after a KVM_EXIT_IO exit.
  absl::StatusOr<HypercallOutcome> Dispatch(const kvm_run& run, size_t run_size);

  // Fills in the answer to the kAwaitCommand the guest is blocked in.
  void AnswerAwaitCommand(abi::Command command, uint64_t a0, uint64_t a1, uint64_t a2);

  uint64_t calls() const { return calls_; }
  bool has_console() const { return console_ != nullptr; }
  void set_console(ConsoleSink* console) { console_ = console; }
  void set_services(GuestServices* services) { services_ = services; }
  // Where kSealCode puts code (nullptr: nowhere; every seal is refused).
  void set_code_region(CodeRegion* region) { code_region_ = region; }
  // Starts a new console budget (a reset sandbox serves a new call).
  void ResetConsoleCount() { console_bytes_ = 0; }
  // Caps the bytes console_write may move in total (0: no cap); past it the
  // sandbox ends with ResourceExhausted, so a flooding guest cannot fill a
  // disk or a log.
  void set_console_limit(uint64_t bytes) { console_limit_ = bytes; }

  // Handlers, one per hypercall number (see hypercall_table.cc).
  using Handler = absl::StatusOr<HypercallOutcome> (HypercallDispatcher::*)(const abi::Mailbox&);
  absl::StatusOr<HypercallOutcome> AwaitCommand(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> Echo(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> ConsoleWrite(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> Fault(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> Exit(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> Abort(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> StdinRead(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> ClockTime(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> Random(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> WasmOutcome(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> Sleep(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> WasmSignature(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> WasmResults(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> PolicyDenied(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> Flush(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> SealCode(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> ReleaseCode(const abi::Mailbox& req);
  absl::StatusOr<HypercallOutcome> FsChanges(const abi::Mailbox& req);

 private:
  HypercallDispatcher(GuestMemory* memory, abi::Mailbox* mailbox, ConsoleSink* console,
                      GuestServices* services)
      : memory_(memory), mailbox_(mailbox), console_(console), services_(services) {}
  absl::Status NeedServices(const char* what) const;

  GuestMemory* memory_;
  abi::Mailbox* mailbox_;  // host view of the guest's mailbox page
  uint8_t* outbox_ = nullptr;  // host view of the outbox
  uint64_t deferred_calls_ = 0;
  ConsoleSink* console_;
  GuestServices* services_;  // nullptr: WASI hypercalls end the sandbox
  CodeRegion* code_region_ = nullptr;
  uint64_t calls_ = 0;
  uint64_t console_limit_ = 0;
  uint64_t console_bytes_ = 0;
};

struct HypercallInfo {
  const char* name;
  HypercallDispatcher::Handler handler;
};
// The hypercall table, indexed by abi::Hypercall.
const HypercallInfo& HypercallTable(uint32_t nr);

}  // namespace palisade
