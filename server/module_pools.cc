#include "server/module_pools.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace palisade::server {

ModulePools::ModulePools(uint32_t max_per_tenant, absl::Duration idle)
    : max_per_tenant_(max_per_tenant), idle_(idle) {
  // Wakes a few times per idle period, so a pool goes at most a quarter
  // period late.
  sweeper_ = std::thread([this] {
    const auto period = absl::ToChronoMilliseconds(std::max(idle_ / 4, absl::Milliseconds(10)));
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_cv_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      EvictIdle(absl::Now());
      lock.lock();
    }
  });
}

ModulePools::~ModulePools() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  sweeper_.join();
}

bool ModulePools::InUse(const Entry& e) {
  if (e.ready.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return true;  // being made
  const Result& r = e.ready.get();
  // The entry's own copy is one owner; any other is a call.
  return r.ok() && r->use_count() > 1;
}

bool ModulePools::MakeRoomLocked(const std::string& tenant) {
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.tenant != tenant || InUse(it->second)) continue;
    if (victim == entries_.end() || it->second.last_used < victim->second.last_used) victim = it;
  }
  if (victim == entries_.end()) return false;
  entries_.erase(victim);
  ++evicted_;
  return true;
}

absl::StatusOr<std::shared_ptr<WarmModule>> ModulePools::Get(const std::string& tenant, const std::string& key,
                                                             const Maker& make, bool* made) {
  const std::string full = absl::StrCat(tenant, "\n", key);
  if (made != nullptr) *made = false;
  std::promise<Result> promise;
  uint64_t generation = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (auto it = entries_.find(full); it != entries_.end()) {
      it->second.last_used = absl::Now();
      std::shared_future<Result> ready = it->second.ready;
      lock.unlock();
      return ready.get();  // made by another call, or being made
    }
    if (PoolsOfLocked(tenant) >= max_per_tenant_ && !MakeRoomLocked(tenant)) {
      return absl::ResourceExhaustedError(absl::StrCat("tenant ", tenant, " already has ", max_per_tenant_,
                                                       " module pools, all in use (max_module_pools_per_tenant)"));
    }
    generation = ++generations_;
    entries_.emplace(full, Entry{tenant, promise.get_future().share(), absl::Now(), generation});
  }
  Result r = make();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(full);
    const bool ours = it != entries_.end() && it->second.generation == generation;
    if (!r.ok()) {
      if (ours) entries_.erase(it);  // the next call tries again
    } else {
      ++made_;
      if (ours) it->second.last_used = absl::Now();
    }
  }
  promise.set_value(r);
  if (made != nullptr) *made = r.ok();
  return r;
}

size_t ModulePools::EvictIdle(absl::Time now) {
  std::vector<Result> dropped;  // destroyed outside the lock: VMs take a while to free
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.last_used >= idle_ && !InUse(it->second)) {
      dropped.push_back(it->second.ready.get());
      it = entries_.erase(it);
      ++evicted_;
    } else {
      ++it;
    }
  }
  return dropped.size();
}

size_t ModulePools::PoolsOfLocked(const std::string& tenant) const {
  size_t n = 0;
  for (const auto& [k, e] : entries_) n += e.tenant == tenant;
  return n;
}

size_t ModulePools::pools() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}
size_t ModulePools::pools_of(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  return PoolsOfLocked(tenant);
}
uint64_t ModulePools::made() const {
  std::lock_guard<std::mutex> lock(mu_);
  return made_;
}
uint64_t ModulePools::evicted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evicted_;
}

}  // namespace palisade::server
