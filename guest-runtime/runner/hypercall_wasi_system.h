// WASI's outside world from inside the guest: every call is a hypercall to
// the host (abi/hypercall_abi.h), which owns the real streams, clocks and
// random source.
#pragma once

#include "wasm/wasi/wasi_system.h"

namespace palisade::guest {

class HypercallWasiSystem final : public wasm::wasi::WasiSystem {
 public:
  int64_t Write(uint32_t fd, const uint8_t* data, size_t len) override;
  int64_t Read(uint32_t fd, uint8_t* data, size_t len) override;
  bool ClockTime(uint32_t id, uint64_t* ns) override;
  bool ClockResolution(uint32_t id, uint64_t* ns) override;
  bool Random(uint8_t* data, size_t len) override;
  void Sleep(uint64_t ns) override;
  void Denied(const char* function, size_t len) override;
  bool IsTerminal(uint32_t fd) override { return fd < 3 && (terminals_ & (1u << fd)) != 0; }

  // Bit fd set: the host's stream fd is a terminal (from the run request).
  void set_terminals(uint32_t bits) { terminals_ = bits; }

 private:
  uint32_t terminals_ = 0;
  // Stdin is read ahead in pieces this big, so a program reading 16 KiB at
  // a time exits once per piece, not once per read. The host's read returns
  // what is there, so an interactive stdin never waits for a whole piece.
  static constexpr size_t kReadAhead = 64 * 1024;
  uint8_t ahead_[kReadAhead];
  size_t ahead_pos_ = 0;
  size_t ahead_len_ = 0;
};

}  // namespace palisade::guest
