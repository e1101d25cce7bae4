#include "cli/policy_options.h"

#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli/vm_session.h"
#include "common/duration.h"
#include "policy/tenant_policy.h"

namespace palisade::cli {

absl::Status ApplyPolicy(RunOptions* o) {
  if (o->policy.empty()) return absl::OkStatus();
  absl::StatusOr<policy::TenantPolicy> p = policy::LoadTenantPolicy(o->policy);
  if (!p.ok()) return p.status();
  const v1::Policy& pp = p->proto;
  const std::string who = absl::StrCat("policy '", pp.name(), "' (", o->policy, ")");
  if (!o->env.empty() && !pp.wasi().environment()) {
    return absl::PermissionDeniedError(who + " does not pass environment variables: drop --env");
  }
  if (!o->dirs.empty() && !pp.wasi().preopens()) {
    return absl::PermissionDeniedError(who + " allows no preopened directories: drop --dir");
  }
  for (const std::string& d : o->dirs) {
    absl::StatusOr<Preopen> p = ParsePreopen(d);
    if (p.ok() && p->writable && !pp.wasi().writable_preopens()) {
      return absl::PermissionDeniedError(
          absl::StrCat(who, " allows no writable directories (wasi.writable_preopens): drop :rw from --dir ", d));
    }
  }
  if (pp.wasi().max_written_bytes() != 0) o->fs_limits.max_tree_bytes = pp.wasi().max_written_bytes();
  if (pp.wasi().max_written_entries() != 0) o->fs_limits.max_tree_entries = pp.wasi().max_written_entries();
  if (pp.max_module_bytes() != 0) {
    struct stat st;
    if (::stat(o->module.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > pp.max_module_bytes()) {
      return absl::PermissionDeniedError(absl::StrCat(o->module, " is ", st.st_size, " bytes; ", who,
                                                      " allows modules of at most ", pp.max_module_bytes()));
    }
  }
  // The policy's limits are ceilings; where the command line is silent they
  // are the values.
  const v1::Limits& l = pp.limits();
  if (l.timeout_ms() != 0) {
    absl::Duration asked;
    const absl::Duration cap = absl::Milliseconds(l.timeout_ms());
    if (o->timeout.empty() || !ParseUserDuration(o->timeout, &asked) || asked > cap) {
      o->timeout = absl::FormatDuration(cap);
    }
  }
  // Guest memory the user did not choose is sized to the module, under
  // the policy's ceiling (vmm/guest_memory_plan.h).
  if (l.memory_bytes() != 0) {
    if (!o->memory.empty() && ParseSize(o->memory) > l.memory_bytes()) o->memory = std::to_string(l.memory_bytes());
    o->memory_ceiling = l.memory_bytes();
    o->memory_ceiling_name = who + " (limits.memory_bytes)";
  }
  if (l.max_memory_pages() != 0) o->max_memory_pages = std::min(o->max_memory_pages, l.max_memory_pages());
  if (l.fuel() != 0) o->fuel = o->fuel == 0 ? l.fuel() : std::min(o->fuel, l.fuel());
  if (l.max_output_bytes() != 0 &&
      (o->max_output.empty() || o->max_output == "0" || ParseSize(o->max_output) > l.max_output_bytes())) {
    o->max_output = std::to_string(l.max_output_bytes());
  }
  o->policy_name = pp.name();
  o->wasi_denied = p->wasi_denied;
  o->refuse_denied_imports = p->refuse_denied_imports;
  o->clocks = p->clocks;
  o->random = p->random;
  if (!p->compiler) o->engine = "interpreter";  // a ceiling like the rest: never compiled
  return absl::OkStatus();
}

void ReportDenials(const RunOptions& o, const std::vector<std::string>& functions) {
  for (const std::string& f : functions) {
    std::cerr << "palisade: policy '" << o.policy_name << "' denied " << f << " (the call failed with ENOTCAPABLE)\n";
  }
}

}  // namespace palisade::cli
