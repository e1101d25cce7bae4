// Uploaded modules, content-addressed by SHA-256 and stored once however
// many tenants upload them; a tenant sees only the digests it uploaded.
// Caps: bytes per module, bytes for the whole store, and each tenant's
// quota. A tenant is charged the whole size of every module it holds, even
// when another tenant holds the same bytes: what it pays must not depend on
// (or reveal) what others uploaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace palisade::server {

struct StoredModule {
  std::string sha256;
  std::vector<uint8_t> bytes;
};

class ModuleStore {
 public:
  ModuleStore(uint64_t max_module_bytes, uint64_t max_total_bytes)
      : max_module_bytes_(max_module_bytes), max_total_bytes_(max_total_bytes) {}

  // Records that `tenant` holds the (already validated) module; returns it.
  // RESOURCE_EXHAUSTED if it would take the tenant past `tenant_quota` bytes
  // (checked under the store's lock, so concurrent uploads cannot overshoot).
  absl::StatusOr<std::shared_ptr<const StoredModule>> Add(const std::string& tenant,
                                                          std::string sha256,
                                                          std::vector<uint8_t> bytes,
                                                          uint64_t tenant_quota);
  // Drops `tenant`'s hold; the bytes go once nobody holds them (a sandbox
  // made from them keeps its own reference). NOT_FOUND like Get.
  absl::Status Remove(const std::string& tenant, const std::string& sha256);
  // NOT_FOUND unless `tenant` uploaded it: digests of other tenants' modules
  // are not even confirmed to exist.
  absl::StatusOr<std::shared_ptr<const StoredModule>> Get(const std::string& tenant,
                                                          const std::string& sha256) const;
  // True if the bytes are stored already (an upload can skip validation).
  bool Contains(const std::string& sha256) const;

  uint64_t max_module_bytes() const { return max_module_bytes_; }
  size_t count() const;
  uint64_t total_bytes() const;
  // Modules `tenant` uploaded.
  size_t count_of(const std::string& tenant) const;
  // Bytes of the modules `tenant` holds: what its quota measures.
  uint64_t bytes_of(const std::string& tenant) const;

 private:
  const uint64_t max_module_bytes_;
  const uint64_t max_total_bytes_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const StoredModule>> modules_;
  std::map<std::string, std::set<std::string>> owners_;  // tenant -> digests
  std::map<std::string, uint64_t> tenant_bytes_;         // tenant -> bytes it holds
  uint64_t total_bytes_ = 0;
};

}  // namespace palisade::server
