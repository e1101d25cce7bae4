#include "server/module_store.h"

#include "absl/strings/str_cat.h"

namespace palisade::server {

absl::StatusOr<std::shared_ptr<const StoredModule>> ModuleStore::Add(const std::string& tenant,
                                                                     std::string sha256,
                                                                     std::vector<uint8_t> bytes) {
  if (bytes.size() > max_module_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("module of ", bytes.size(), " bytes exceeds the ", max_module_bytes_, "-byte cap"));
  }
  std::lock_guard<std::mutex> lock(mu_);
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
  owners_[tenant].insert(it->first);
  return it->second;
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

size_t ModuleStore::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return modules_.size();
}

}  // namespace palisade::server
