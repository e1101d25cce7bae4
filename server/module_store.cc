#include "server/module_store.h"

#include "absl/strings/str_cat.h"

namespace palisade::server {

absl::StatusOr<std::shared_ptr<const StoredModule>> ModuleStore::Add(const std::string& tenant,
                                                                     std::string sha256,
                                                                     std::vector<uint8_t> bytes,
                                                                     uint64_t tenant_quota) {
  if (bytes.size() > max_module_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("module of ", bytes.size(), " bytes exceeds the ", max_module_bytes_, "-byte cap"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string>& mine = owners_[tenant];
  const bool held = mine.count(sha256) != 0;
  uint64_t& charged = tenant_bytes_[tenant];
  if (!held && charged + bytes.size() > tenant_quota) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "tenant ", tenant, " holds ", charged, " bytes of modules; this one's ", bytes.size(),
        " would pass its ", tenant_quota, "-byte store quota (DeleteModule frees room)"));
  }
  auto it = modules_.find(sha256);
  if (it == modules_.end()) {
    if (total_bytes_ + bytes.size() > max_total_bytes_) {
      return absl::ResourceExhaustedError("the module store is full");
    }
    total_bytes_ += bytes.size();
    auto m = std::make_shared<StoredModule>();
    m->sha256 = sha256;
    m->bytes = std::move(bytes);
    it = modules_.emplace(std::move(sha256), std::move(m)).first;
  }
  if (!held) {
    mine.insert(it->first);
    charged += it->second->bytes.size();
  }
  return it->second;
}

absl::Status ModuleStore::Remove(const std::string& tenant, const std::string& sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  auto owner = owners_.find(tenant);
  auto it = modules_.find(sha256);
  if (owner == owners_.end() || owner->second.erase(sha256) == 0 || it == modules_.end()) {
    return absl::NotFoundError("no module " + sha256);
  }
  const uint64_t size = it->second->bytes.size();
  tenant_bytes_[tenant] -= size;
  for (const auto& [name, digests] : owners_) {
    if (digests.count(sha256) != 0) return absl::OkStatus();
  }
  total_bytes_ -= size;
  modules_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const StoredModule>> ModuleStore::Get(const std::string& tenant,
                                                                     const std::string& sha256) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto owner = owners_.find(tenant);
  auto it = modules_.find(sha256);
  if (owner == owners_.end() || !owner->second.count(sha256) || it == modules_.end()) {
    return absl::NotFoundError("no module " + sha256 + " (upload it first)");
  }
  return it->second;
}

bool ModuleStore::Contains(const std::string& sha256) const {
  std::lock_guard<std::mutex> lock(mu_);
  return modules_.count(sha256) != 0;
}

size_t ModuleStore::count_of(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = owners_.find(tenant);
  return it == owners_.end() ? 0 : it->second.size();
}

uint64_t ModuleStore::bytes_of(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tenant_bytes_.find(tenant);
  return it == tenant_bytes_.end() ? 0 : it->second;
}

uint64_t ModuleStore::total_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_bytes_;
}

size_t ModuleStore::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return modules_.size();
}

}  // namespace palisade::server
