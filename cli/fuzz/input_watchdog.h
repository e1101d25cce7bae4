// One thread that interrupts the store running the current input once the
// input's time is up: a thread per input would cost more than most inputs.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "wasm/runtime/engine.h"

namespace palisade::cli::fuzz {

class InputWatchdog {
 public:
  InputWatchdog();
  ~InputWatchdog();
  InputWatchdog(const InputWatchdog&) = delete;
  InputWatchdog& operator=(const InputWatchdog&) = delete;

  // Interrupts `store` if Disarm() has not been called within `timeout`.
  void Arm(wasm::Store* store, absl::Duration timeout);
  // Returns whether the deadline fired for the armed store.
  bool Disarm();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  wasm::Store* store_ = nullptr;
  absl::Time deadline_ = absl::InfiniteFuture();
  bool fired_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace palisade::cli::fuzz
