// WASI's outside world for the fuzz targets: output swallowed, no input, a
// clock that never moves, "random" bytes that never change, sleeps that do
// not sleep -- so a run depends on its input alone.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wasm/wasi/wasi_system.h"

namespace palisade::fuzz {

class NullWasiSystem final : public wasm::wasi::WasiSystem {
 public:
  int64_t Write(uint32_t, const uint8_t*, size_t len) override { return static_cast<int64_t>(len); }
  int64_t Read(uint32_t, uint8_t*, size_t) override { return 0; }
  bool ClockTime(uint32_t, uint64_t* ns) override {
    *ns = 1;
    return true;
  }
  bool ClockResolution(uint32_t, uint64_t* ns) override {
    *ns = 1;
    return true;
  }
  bool Random(uint8_t* data, size_t len) override {
    for (size_t i = 0; i < len; ++i) data[i] = static_cast<uint8_t>(i);
    return true;
  }
  void Sleep(uint64_t) override {}
};

}  // namespace palisade::fuzz
