// What `palisade run` and `palisade invoke` share in their micro-VM form:
// parsing --timeout/--memory, reading the module, booting the production
// guest with the process's stdio as its console and GuestServices, and
// wording failures.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "vmm/console.h"
#include "vmm/guest_memory_plan.h"
#include "vmm/guest_services.h"
#include "vmm/sandbox.h"

namespace palisade::cli {

// Loads built-in seccomp policy `policy` ("palisade-cli" on the whole
// process before boot, "vcpu" on the vCPU's thread after it) in the mode
// `flag` names; prints why and returns the exit status if that fails.
std::optional<int> ConfineOrReport(const char* command, const std::string& flag, const char* policy,
                                   bool all_threads);

// "256M", "1G", "65536K", "1048576": bytes, or 0 if malformed.
uint64_t ParseSize(const std::string& text);

class VmSession {
 public:
  // `command` prefixes messages ("palisade run").
  VmSession(const char* command, std::string module) : command_(command), module_(std::move(module)) {}

  struct Options {
    std::string timeout;
    // --memory; empty: sized to the module (vmm/guest_memory_plan.h) under `ceiling`.
    std::string memory;
    MemoryCeiling ceiling;        // the policy's limits.memory_bytes, if any
    bool compiler = true;         // the tier the module will run on (it sizes the need)
    uint64_t request_bytes = 0;   // what the run request carries besides the module
    uint64_t wanted_bytes = 0;    // ModuleNeeds::wanted_bytes (writable directories)
    std::string max_output = "1G";  // total stdout+stderr ("0": no cap)
    bool one_shot = false;        // never snapshotted (SandboxOptions::one_shot)
  };
  // Parses the options, reads the module and boots. On failure prints why
  // and returns the exit status; nullopt on success.
  std::optional<int> Start(const Options& options);

  // After a load that ran out of guest memory: prints what the module needs
  // and the --memory that would give it.
  void ExplainOutOfMemory() const;

  // Prints why a run failed (timeout, crash) and returns the exit status.
  int Failed(const absl::Status& status) const;

  const std::vector<uint8_t>& module() const { return module_bytes_; }
  uint64_t memory_bytes() const { return memory_bytes_; }
  absl::Time deadline() const { return deadline_; }
  Sandbox& sandbox() { return *sandbox_; }
  PosixGuestServices& services() { return services_; }

 private:
  const char* command_;
  std::string module_;
  std::string timeout_text_;
  std::vector<uint8_t> module_bytes_;
  uint64_t memory_bytes_ = 0;
  ModuleNeeds needs_;
  absl::Time deadline_ = absl::InfiniteFuture();
  StdioConsole console_;
  PosixGuestServices services_;
  std::unique_ptr<Sandbox> sandbox_;
};

}  // namespace palisade::cli
