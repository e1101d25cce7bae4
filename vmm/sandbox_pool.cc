#include "vmm/sandbox_pool.h"

#include <utility>

#include "common/status_macros.h"

namespace palisade {

SandboxPool::SandboxPool(std::shared_ptr<const Snapshot> snapshot, SandboxOptions options,
                         size_t max_idle)
    : snapshot_(std::move(snapshot)), options_(options), max_idle_(max_idle) {}

absl::Status SandboxPool::Fill(size_t count) {
  if (count > max_idle_) count = max_idle_;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_.size() >= count) return absl::OkStatus();
    }
    // Made outside the lock: creating a VM takes far longer than handing one out.
    ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox, Sandbox::FromSnapshot(snapshot_, options_));
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.created;
    idle_.push_back(std::move(sandbox));
  }
}

absl::StatusOr<std::unique_ptr<Sandbox>> SandboxPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Sandbox> sandbox = std::move(idle_.back());
      idle_.pop_back();
      ++stats_.reused;
      return sandbox;
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox, Sandbox::FromSnapshot(snapshot_, options_));
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.created;
  return sandbox;
}

void SandboxPool::Release(std::unique_ptr<Sandbox> sandbox, uint64_t* reset_pages) {
  if (reset_pages != nullptr) *reset_pages = 0;
  if (sandbox == nullptr) return;
  // The last caller's sinks may be gone by the next use.
  sandbox->set_console(options_.console);
  sandbox->set_services(options_.services);
  const bool reset = sandbox->snapshot() == snapshot_ && sandbox->Reset().ok();
  if (reset && reset_pages != nullptr) *reset_pages = sandbox->last_reset_pages();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reset && idle_.size() < max_idle_) {
      idle_.push_back(std::move(sandbox));
      return;
    }
    ++stats_.discarded;
  }
  sandbox.reset();  // tearing a VM down takes a while: not under the lock
}

SandboxPool::Stats SandboxPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.idle = idle_.size();
  return s;
}

}  // namespace palisade
