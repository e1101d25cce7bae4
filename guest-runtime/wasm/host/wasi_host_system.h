// WASI's outside world on the host: the process's own stdin/stdout/stderr,
// clocks and getrandom. For `palisade run --in-process`.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "wasm/wasi/wasi_system.h"

namespace palisade::wasm {

class HostWasiSystem final : public wasi::WasiSystem {
 public:
  int64_t Write(uint32_t fd, const uint8_t* data, size_t len) override;
  int64_t Read(uint32_t fd, uint8_t* data, size_t len) override;
  bool ClockTime(uint32_t id, uint64_t* ns) override;
  bool ClockResolution(uint32_t id, uint64_t* ns) override;
  bool Random(uint8_t* data, size_t len) override;
  void Sleep(uint64_t ns) override;
  bool IsTerminal(uint32_t fd) override;
  void Denied(const char* function, size_t len) override { denied_.emplace_back(function, len); }

  // Makes a Read() blocked on input give up with EINTR, from any thread: a
  // deadline calls it beside wasm::Interrupt(), which cannot reach a program
  // waiting in the host for stdin.
  void Interrupt() { interrupted_.store(true); }

 private:
  friend void InterruptHostReads(HostWasiSystem* system);
  friend void SealHostStreams(HostWasiSystem* system, bool discard_output);
  bool sealed_ = false;          // stdin is empty (no reads of the process's)
  bool discard_output_ = false;  // writes succeed without going anywhere
  friend const std::vector<std::string>& DeniedCalls(const HostWasiSystem* system);
  std::atomic<bool> interrupted_{false};
  std::vector<std::string> denied_;
};

// The same as system->Interrupt(), callable from code built with RTTI (the
// CLI): the engine is built without it, so UBSan's vptr check on a member
// call from there would need type information that does not exist.
void InterruptHostReads(HostWasiSystem* system);
// The WASI functions the program was denied by its policy, first call each.
const std::vector<std::string>& DeniedCalls(const HostWasiSystem* system);
// For programs that must not touch this process's stdin (palisade fuzz runs
// thousands of inputs a second): reads see end of input; with
// `discard_output`, writes succeed but go nowhere.
void SealHostStreams(HostWasiSystem* system, bool discard_output);

}  // namespace palisade::wasm
