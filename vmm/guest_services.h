// What a guest running a WASI program may ask of the host beyond its console
// (the kStdinRead, kClockTime, kRandom and kWasmOutcome hypercalls). The
// dispatcher has already checked every guest pointer and length; these only
// do the host-side work. A sandbox without services ends on those calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "guest-runtime/abi/hypercall_abi.h"

namespace palisade {

struct WasmOutcomeReport {
  abi::WasmOutcome kind = abi::WasmOutcome::kExited;
  int64_t code = 0;          // exit code, or the engine's TrapKind
  uint32_t func_index = 0;   // kTrapped
  uint32_t offset = 0;       // kTrapped: module offset
  std::string text;          // function name (kTrapped) or error message
};

class GuestServices {
 public:
  virtual ~GuestServices() = default;
  // Bytes read into buf (0 at end of input) or a negative WASI errno.
  virtual int64_t ReadStdin(uint8_t* buf, size_t cap) = 0;
  // Nanoseconds on WASI clock `id` (its resolution if `resolution`), or
  // nullopt for a clock the host does not offer.
  virtual std::optional<uint64_t> Clock(uint32_t id, bool resolution) = 0;
  // False if the host cannot produce random bytes (the sandbox then ends).
  virtual bool Random(uint8_t* buf, size_t len) = 0;
  virtual void Outcome(WasmOutcomeReport report) = 0;
};

// The process's own stdin, the POSIX clocks and getrandom(2); keeps the last
// outcome reported.
class PosixGuestServices final : public GuestServices {
 public:
  explicit PosixGuestServices(int stdin_fd = 0) : stdin_fd_(stdin_fd) {}
  int64_t ReadStdin(uint8_t* buf, size_t cap) override;
  std::optional<uint64_t> Clock(uint32_t id, bool resolution) override;
  bool Random(uint8_t* buf, size_t len) override;
  void Outcome(WasmOutcomeReport report) override { outcome_ = std::move(report); }

  const std::optional<WasmOutcomeReport>& outcome() const { return outcome_; }
  void ClearOutcome() { outcome_.reset(); }

 private:
  int stdin_fd_;
  std::optional<WasmOutcomeReport> outcome_;
};

}  // namespace palisade
