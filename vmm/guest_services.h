// What a guest running a WASI program may ask of the host beyond its console
// (the kStdinRead, kClockTime, kRandom and kWasmOutcome hypercalls). The
// dispatcher has already checked every guest pointer and length; these only
// do the host-side work. A sandbox without services ends on those calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  // An export's signature (ValType bytes) and a call's results.
  virtual void Signature(std::vector<uint8_t> params, std::vector<uint8_t> results) = 0;
  virtual void Results(std::vector<abi::WasmValue> values) = 0;
  // The program called a WASI function its policy denies (the call failed
  // in the guest); once per function and run. For the audit log.
  virtual void PolicyDenied(std::string function) = 0;
  // A successful run's change set for its writable directories (kFsChanges),
  // unvalidated. Services that hand out no writable directory ignore it.
  virtual void FsChanges(std::vector<uint8_t> bytes) { (void)bytes; }
};

// The process's own stdin, the POSIX clocks and getrandom(2); keeps the last
// outcome reported.
class PosixGuestServices final : public GuestServices {
 public:
  explicit PosixGuestServices(int stdin_fd = 0) : stdin_fd_(stdin_fd) {}
  // Stdin is `input` (then end of file), not a file descriptor: the server
  // hands a call's stdin bytes over this way.
  static PosixGuestServices WithInput(std::string input) {
    PosixGuestServices s(-1);
    s.input_ = std::move(input);
    s.has_input_ = true;
    return s;
  }
  int64_t ReadStdin(uint8_t* buf, size_t cap) override;
  std::optional<uint64_t> Clock(uint32_t id, bool resolution) override;
  bool Random(uint8_t* buf, size_t len) override;
  void Outcome(WasmOutcomeReport report) override { outcome_ = std::move(report); }
  void Signature(std::vector<uint8_t> params, std::vector<uint8_t> results) override {
    params_ = std::move(params);
    results_types_ = std::move(results);
  }
  void Results(std::vector<abi::WasmValue> values) override {
    values_ = std::move(values);
    has_results_ = true;
  }
  void PolicyDenied(std::string function) override { denials_.push_back(std::move(function)); }
  void FsChanges(std::vector<uint8_t> bytes) override { fs_changes_ = std::move(bytes); }
  // The last change set the guest handed over (empty if none).
  const std::vector<uint8_t>& fs_changes() const { return fs_changes_; }
  // Defence in depth behind the guest's own policy check: a guest asking
  // for a denied clock or random bytes anyway gets none.
  void Restrict(bool clocks, bool random) {
    clocks_allowed_ = clocks;
    random_allowed_ = random;
  }
  // WASI functions the program was denied, in the order first called.
  const std::vector<std::string>& denials() const { return denials_; }

  const std::optional<WasmOutcomeReport>& outcome() const { return outcome_; }
  const std::vector<uint8_t>& param_types() const { return params_; }
  const std::vector<uint8_t>& result_types() const { return results_types_; }
  const std::vector<abi::WasmValue>& values() const { return values_; }
  // True once a call returned normally (its results, possibly none, arrived).
  bool has_results() const { return has_results_; }
  void ClearOutcome() {
    denials_.clear();
    outcome_.reset();
    values_.clear();
    has_results_ = false;
    fs_changes_.clear();
  }

 private:
  int stdin_fd_;
  bool has_input_ = false;
  std::string input_;
  size_t input_pos_ = 0;
  std::optional<WasmOutcomeReport> outcome_;
  std::vector<uint8_t> params_, results_types_;
  std::vector<abi::WasmValue> values_;
  bool has_results_ = false;
  std::vector<std::string> denials_;
  std::vector<uint8_t> fs_changes_;
  bool clocks_allowed_ = true, random_allowed_ = true;
};

}  // namespace palisade
