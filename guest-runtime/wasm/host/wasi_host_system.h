// WASI's outside world on the host: the process's own stdin/stdout/stderr,
// clocks and getrandom. For `palisade run --in-process`.
#pragma once

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
};

}  // namespace palisade::wasm
