// One WASI program's view of the world: its arguments, environment and
// standard streams, and the system that carries out its I/O.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/vec.h"
#include "wasm/wasi/wasi_system.h"

namespace palisade::wasm::wasi {

class WasiContext {
 public:
  explicit WasiContext(WasiSystem* system) : system_(system) {}

  // Adds one argument / one "KEY=VALUE" environment entry. False when out
  // of memory.
  [[nodiscard]] bool AddArg(const char* s, size_t len) { return Add(&args_, &arg_ends_, s, len); }
  [[nodiscard]] bool AddEnv(const char* s, size_t len) { return Add(&env_, &env_ends_, s, len); }

  WasiSystem* system() const { return system_; }
  // Strings are stored back to back, each NUL-terminated; ends[i] is one
  // past string i's NUL.
  const Vec<char>& args() const { return args_; }
  const Vec<uint32_t>& arg_ends() const { return arg_ends_; }
  const Vec<char>& env() const { return env_; }
  const Vec<uint32_t>& env_ends() const { return env_ends_; }

  // Standard streams 0-2 exist until closed; there are no other files yet.
  bool IsOpen(uint32_t fd) const { return fd < 3 && !closed_[fd]; }
  void Close(uint32_t fd) { closed_[fd] = true; }

 private:
  static bool Add(Vec<char>* blob, Vec<uint32_t>* ends, const char* s, size_t len) {
    if (!blob->append(s, len) || !blob->push_back('\0')) return false;
    return ends->push_back(static_cast<uint32_t>(blob->size()));
  }

  WasiSystem* system_;
  Vec<char> args_;
  Vec<uint32_t> arg_ends_;
  Vec<char> env_;
  Vec<uint32_t> env_ends_;
  bool closed_[3] = {false, false, false};
};

}  // namespace palisade::wasm::wasi
