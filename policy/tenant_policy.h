// Tenant policies (proto/palisade/v1/policy.proto; files in policy/*.textproto):
// loading with located errors, and what a policy means for one run — which
// WASI functions are denied, whether clocks, randomness, environment and
// preopens are available, and the limits and quotas.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "palisade/v1/policy.pb.h"

namespace palisade::policy {

struct TenantPolicy {
  v1::Policy proto;
  std::string path;
  uint64_t wasi_denied = 0;           // bit i: WasiFunctionAt(i) is denied
  bool refuse_denied_imports = false; // on_denied: REFUSE_MODULE
  bool clocks = true;                 // clock_time_get / clock_res_get allowed
  bool random = true;                 // random_get allowed
  bool compiler = true;               // engine: the compiler tier (else the interpreter)

  bool Denies(const std::string& wasi_function) const;
  // Names of the denied functions, in WASI function order.
  std::vector<std::string> DeniedFunctions() const;
};

// Errors name the file, line and field: "strict.textproto:7:3: wasi.deny_functions:
// 'clock_tim_get' is not a WASI function palisade implements".
absl::StatusOr<TenantPolicy> LoadTenantPolicy(const std::string& path);
absl::StatusOr<TenantPolicy> ParseTenantPolicy(const std::string& text, const std::string& filename);

}  // namespace palisade::policy
