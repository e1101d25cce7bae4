#include "server/config.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sandbox_id.h"
#include "common/sha256.h"
#include "common/text_proto.h"

namespace palisade::server {
namespace {

absl::Status Check(const v1::ServerConfig& c, const std::string& filename) {
  std::vector<std::string> problems;
  std::set<std::string> names, hashes;
  for (int i = 0; i < c.tenants_size(); ++i) {
    const v1::Tenant& t = c.tenants(i);
    const std::string where = absl::StrCat(filename, ": tenants[", i, "]");
    if (t.name().empty()) problems.push_back(where + ".name is empty");
    if (!names.insert(t.name()).second) problems.push_back(where + ".name '" + t.name() + "' repeats");
    if (!IsSha256Hex(t.token_sha256())) {
      problems.push_back(where + ".token_sha256 is not 64 lowercase hex digits (printf %s TOKEN | sha256sum)");
    } else if (!hashes.insert(t.token_sha256()).second) {
      problems.push_back(where + ".token_sha256 is another tenant's");
    }
  }
  if (c.tenants_size() == 0) problems.push_back(filename + ": no tenants: nobody could call the server");
  const v1::TlsConfig& tls = c.tls();
  if (tls.cert_file().empty() != tls.key_file().empty()) {
    problems.push_back(filename + ": tls needs both cert_file and key_file");
  }
  if (!tls.client_ca_file().empty() && tls.cert_file().empty()) {
    problems.push_back(filename + ": tls.client_ca_file (mTLS) needs cert_file and key_file");
  }
  for (const std::string* f : {&tls.cert_file(), &tls.key_file(), &tls.client_ca_file()}) {
    if (!f->empty() && ::access(f->c_str(), R_OK) != 0) problems.push_back(filename + ": cannot read " + *f);
  }
  if (!IsReplicaName(c.replica())) {
    problems.push_back(filename + ": replica: letters, digits and '-', at most 40 (it goes into sandbox ids)");
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return absl::OkStatus();
}

}  // namespace

bool IsReplicaName(std::string_view name) {
  // Whatever makes a sandbox id that reads back as this name.
  return name.empty() || SandboxReplica(absl::StrCat("sb-", std::string(name), "-", std::string(24, '0'))) == name;
}

void ApplyDefaults(v1::ServerConfig* c) {
  if (c->workers() == 0) c->set_workers(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  if (c->queue_capacity() == 0) c->set_queue_capacity(64 * c->workers());
  if (c->max_module_bytes() == 0) c->set_max_module_bytes(64ull << 20);
  if (c->max_store_bytes() == 0) c->set_max_store_bytes(1ull << 30);
  if (c->max_receive_bytes() == 0) c->set_max_receive_bytes(16ull << 20);
  if (c->max_sandboxes_per_tenant() == 0) c->set_max_sandboxes_per_tenant(64);
  if (c->max_store_bytes_per_tenant() == 0) c->set_max_store_bytes_per_tenant(c->max_store_bytes() / 4);
  if (c->pool_size() == 0) c->set_pool_size(2);
  if (c->drain_seconds() == 0) c->set_drain_seconds(10);
  if (c->max_module_pools_per_tenant() == 0) c->set_max_module_pools_per_tenant(16);
  if (c->module_pool_idle_seconds() == 0) c->set_module_pool_idle_seconds(300);
  v1::Limits* d = c->mutable_default_limits();
  if (d->memory_bytes() == 0) d->set_memory_bytes(256ull << 20);
  if (d->max_memory_pages() == 0) d->set_max_memory_pages(16384);  // 1 GiB
  if (d->timeout_ms() == 0) d->set_timeout_ms(10000);
  if (d->max_output_bytes() == 0) d->set_max_output_bytes(16ull << 20);
  if (d->max_changes_bytes() == 0) d->set_max_changes_bytes(16ull << 20);
  // A tenant's unset limits are the defaults.
  for (v1::Tenant& t : *c->mutable_tenants()) {
    v1::Limits* l = t.mutable_limits();
    if (l->memory_bytes() == 0) l->set_memory_bytes(d->memory_bytes());
    if (l->max_memory_pages() == 0) l->set_max_memory_pages(d->max_memory_pages());
    if (l->timeout_ms() == 0) l->set_timeout_ms(d->timeout_ms());
    if (l->fuel() == 0) l->set_fuel(d->fuel());
    if (l->max_output_bytes() == 0) l->set_max_output_bytes(d->max_output_bytes());
    if (l->max_changes_bytes() == 0) l->set_max_changes_bytes(d->max_changes_bytes());
  }
}

absl::StatusOr<v1::ServerConfig> ParseConfig(const std::string& text, const std::string& filename,
                                             std::map<std::string, policy::TenantPolicy>* policies) {
  v1::ServerConfig config;
  TextProtoFile file;
  file.filename = filename;
  if (absl::Status s = ParseTextProto(text, &config, &file); !s.ok()) return s;
  if (!config.tenants_file().empty()) {
    std::filesystem::path path = config.tenants_file();
    if (path.is_relative()) path = std::filesystem::path(filename).parent_path() / path;
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat(filename, ": tenants_file: cannot read ", path.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    v1::TenantList more;
    TextProtoFile list_file;
    list_file.filename = path.string();
    if (absl::Status s = ParseTextProto(ss.str(), &more, &list_file); !s.ok()) return s;
    for (v1::Tenant& t : *more.mutable_tenants()) *config.add_tenants() = std::move(t);
  }
  if (absl::Status s = Check(config, filename); !s.ok()) return s;
  // Tenant policies: loaded now, so that a bad one stops the server at start.
  const std::filesystem::path dir = std::filesystem::path(filename).parent_path();
  std::vector<std::string> problems;
  for (int i = 0; i < config.tenants_size(); ++i) {
    v1::Tenant* t = config.mutable_tenants(i);
    if (t->policy_file().empty()) continue;
    const std::string where = file.Where(config, {{"tenants", i}, {"policy_file", 0}});
    std::filesystem::path path = t->policy_file();
    if (path.is_relative()) path = dir / path;
    if (t->has_limits()) {
      problems.push_back(where + ": tenants[" + std::to_string(i) +
                         "]: set limits in the policy file or here, not both");
      continue;
    }
    absl::StatusOr<policy::TenantPolicy> p = policy::LoadTenantPolicy(path.string());
    if (!p.ok()) {
      problems.push_back(absl::StrCat(where, ": tenants[", i, "].policy_file: ", p.status().message()));
      continue;
    }
    t->set_policy_file(path.string());
    *t->mutable_limits() = p->proto.limits();
    if (policies != nullptr) policies->emplace(t->name(), *std::move(p));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  ApplyDefaults(&config);
  return config;
}

absl::StatusOr<v1::ServerConfig> LoadConfig(const std::string& path,
                                            std::map<std::string, policy::TenantPolicy>* policies) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path, policies);
}

}  // namespace palisade::server
