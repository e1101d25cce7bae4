// Host side of the guest's kAllocInput/kRunWasi commands: lays out a
// WasiRunRequest and has a booted production guest run it. The program's
// output and outcome arrive through the sandbox's ConsoleSink and
// GuestServices while it runs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "vmm/sandbox.h"

namespace palisade {

struct WasiRunSpec {
  std::span<const uint8_t> module;
  std::vector<std::string> args;  // argv, including argv[0]
  std::vector<std::string> env;   // "KEY=VALUE"
  uint32_t max_memory_pages = 65536;
  uint64_t fuel = 0;              // 0: unlimited
  std::span<const uint8_t> fs_image;  // preopened directories, or empty
  abi::WasiRunMode mode = abi::WasiRunMode::kStart;
  std::string export_name;            // kDescribe / kInvoke
  std::vector<abi::WasmValue> values; // kInvoke: the arguments
  uint64_t wasi_denied = 0;           // policy: bit i denies WASI function i
  bool refuse_denied_imports = false; // policy: such imports fail to link
  bool coverage = false;              // kInstantiate: compile with coverage probes (fuzzing)
  bool compiler = false;              // the compiler tier where it can (abi::kEngineCompiler)
  bool stdio_terminals[3] = {};       // the host's fd 0/1/2 is a terminal (abi::kStdinTerminal...)
  bool partial_results = false;       // changes handed over after a failed run too (abi::kPartialResults)
};

// The request's bytes (header, module, argv, environment).
std::vector<uint8_t> BuildWasiRunRequest(const WasiRunSpec& spec);

// Copies `request` into the guest and runs it. OK means the guest reported
// an outcome (see GuestServices::Outcome); ResourceExhausted means the guest
// had no room for the request; other errors end the sandbox (crash,
// deadline, cancellation).
absl::Status RunWasiCommand(Sandbox& sandbox, std::span<const uint8_t> request,
                            absl::Time deadline = absl::InfiniteFuture());

// Warm calls: a module instantiated once (mode kInstantiate), a request buffer
// reserved in the guest, then the sandbox frozen into a snapshot. Every call
// writes its request into that buffer and starts from the snapshot's state;
// Sandbox::Reset() between calls undoes whatever a call changed.
struct WarmStart {
  std::shared_ptr<const Snapshot> snapshot;
  uint64_t request_addr = 0;      // guest address of the reserved buffer
  uint64_t request_capacity = 0;  // its size; larger requests are refused
};

// On a sandbox that has just instantiated a module (RunWasiCommand with mode
// kInstantiate, outcome kExited 0): reserves the request buffer and snapshots.
absl::StatusOr<WarmStart> SnapshotForCalls(Sandbox& sandbox, uint64_t request_capacity = 64 << 10,
                                           absl::Time deadline = absl::InfiniteFuture());

// Runs one request (kDescribe or kInvoke with an empty module) on a sandbox
// at the snapshot's state (fresh from it, or reset since its last call).
absl::Status RunWarmCommand(Sandbox& sandbox, const WarmStart& warm,
                            std::span<const uint8_t> request,
                            absl::Time deadline = absl::InfiniteFuture());

}  // namespace palisade
