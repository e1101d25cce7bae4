// What WASI needs from the world outside the sandbox. The host implements
// it with POSIX calls (host/wasi_host_system.h); the guest will implement it
// with hypercalls. Everything here is already bounds-checked by the caller.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace palisade::wasm::wasi {

class WasiSystem {
 public:
  // Bytes written / read (0 at end of input), or a negative WASI errno.
  virtual int64_t Write(uint32_t fd, const uint8_t* data, size_t len) = 0;
  virtual int64_t Read(uint32_t fd, uint8_t* data, size_t len) = 0;
  // Nanoseconds on clock `id`; false for a clock the system lacks.
  virtual bool ClockTime(uint32_t id, uint64_t* ns) = 0;
  virtual bool ClockResolution(uint32_t id, uint64_t* ns) = 0;
  // Fills `len` bytes with cryptographically secure random data.
  virtual bool Random(uint8_t* data, size_t len) = 0;
  // Blocks for about `ns` nanoseconds (poll_oneoff on a clock).
  virtual void Sleep(uint64_t ns) = 0;
  // Whether standard stream `fd` (0-2) is a terminal on the host.
  virtual bool IsTerminal(uint32_t fd) {
    (void)fd;
    return false;
  }
  // The program called `function`, which its policy denies (reported once
  // per function and program; the call itself fails).
  virtual void Denied(const char* function, size_t len) {
    (void)function;
    (void)len;
  }

 protected:
  ~WasiSystem() = default;
};

}  // namespace palisade::wasm::wasi
