#include "cli/fuzz/input_watchdog.h"

#include "absl/time/clock.h"

namespace palisade::cli::fuzz {

InputWatchdog::InputWatchdog() : thread_([this] { Loop(); }) {}

InputWatchdog::~InputWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void InputWatchdog::Arm(wasm::Store* store, absl::Duration timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  bool earlier = absl::Now() + timeout < deadline_;
  store_ = store;
  deadline_ = absl::Now() + timeout;
  fired_ = false;
  // The thread only needs waking when it sleeps past the new deadline.
  if (earlier) cv_.notify_all();
}

bool InputWatchdog::Disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  store_ = nullptr;
  return fired_;
}

void InputWatchdog::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (store_ == nullptr || deadline_ == absl::InfiniteFuture()) {
      // Idle between inputs, or waiting for the first one: the next Arm()
      // that sets an earlier deadline wakes us.
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      continue;
    }
    absl::Time now = absl::Now();
    if (now >= deadline_) {
      wasm::Interrupt(store_);
      fired_ = true;
      store_ = nullptr;
      continue;
    }
    cv_.wait_for(lock, absl::ToChronoNanoseconds(deadline_ - now));
  }
}

}  // namespace palisade::cli::fuzz
