// palisaded's configuration: protobuf text format (proto/palisade/v1/
// config.proto), parsed with errors that name the file, line and column,
// then checked and completed with defaults.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "palisade/v1/config.pb.h"
#include "policy/tenant_policy.h"

namespace palisade::server {

// Tenants' policy files are loaded too (relative to the config's directory)
// and returned in `policies` by tenant name; a tenant with a policy gets its
// limits from it.
absl::StatusOr<v1::ServerConfig> ParseConfig(const std::string& text, const std::string& filename,
                                             std::map<std::string, policy::TenantPolicy>* policies = nullptr);
absl::StatusOr<v1::ServerConfig> LoadConfig(const std::string& path,
                                            std::map<std::string, policy::TenantPolicy>* policies = nullptr);

// What `replica` (and --replica) may be: it goes into sandbox ids and a
// header balancers route on.
bool IsReplicaName(std::string_view name);

// The defaults config.proto documents, for fields left at 0.
void ApplyDefaults(v1::ServerConfig* config);

}  // namespace palisade::server
