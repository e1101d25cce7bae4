// Warm sandboxes for InvokeModule, one pool per (tenant, module, limits):
// made on first use, shared by every call for that key, reset to the
// snapshot after each call (WarmModule does that), dropped once idle for
// `idle` and, when a tenant would exceed its bound, its least recently used
// idle pool makes room. Nothing here knows gRPC or the audit log.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/vm_executor.h"

namespace palisade::server {

class ModulePools {
 public:
  using Maker = std::function<absl::StatusOr<std::shared_ptr<WarmModule>>()>;

  // `max_per_tenant`: pools a tenant may hold at once. `idle`: how long an
  // unused pool stays (a sweeper thread drops older ones).
  ModulePools(uint32_t max_per_tenant, absl::Duration idle);
  ~ModulePools();
  ModulePools(const ModulePools&) = delete;
  ModulePools& operator=(const ModulePools&) = delete;

  // The pool for `key` of `tenant`, made by `make` when there is none. One
  // call makes it; others for the same key wait for that one (and share its
  // error if it fails: the next call tries again). RESOURCE_EXHAUSTED when
  // the tenant is at its bound and every one of its pools is in use.
  // `made` (may be null) says whether this call made it.
  absl::StatusOr<std::shared_ptr<WarmModule>> Get(const std::string& tenant, const std::string& key,
                                                  const Maker& make, bool* made = nullptr);

  // Drops pools unused since before `now - idle` that no call holds; returns
  // how many (the sweeper calls it; tests may).
  size_t EvictIdle(absl::Time now);

  size_t pools() const;                           // all tenants'
  size_t pools_of(const std::string& tenant) const;
  uint64_t made() const;                          // pools made since start
  uint64_t evicted() const;                       // pools dropped (idle or for room)

 private:
  using Result = absl::StatusOr<std::shared_ptr<WarmModule>>;
  struct Entry {
    std::string tenant;
    std::shared_future<Result> ready;
    absl::Time last_used;
    uint64_t generation = 0;  // tells a remade entry from the one a maker put in
  };
  // Under mu_: true if a pool of `tenant` could be dropped to make room.
  bool MakeRoomLocked(const std::string& tenant);
  size_t PoolsOfLocked(const std::string& tenant) const;
  static bool InUse(const Entry& e);

  const uint32_t max_per_tenant_;
  const absl::Duration idle_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by tenant + key
  uint64_t made_ = 0, evicted_ = 0, generations_ = 0;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread sweeper_;  // last: started once everything else is
};

}  // namespace palisade::server
