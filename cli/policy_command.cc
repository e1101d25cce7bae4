#include "cli/policy_command.h"

#include <fstream>
#include <iostream>

#include "absl/strings/str_join.h"
#include "cli/run_command.h"
#include "policy/seccomp_filter.h"
#include "policy/tenant_policy.h"
#include "vmm/code_check.h"
#include "vmm/image_audit.h"

namespace palisade::cli {
namespace {

int ExplainTenant(const std::string& path) {
  auto p = policy::LoadTenantPolicy(path);
  if (!p.ok()) {
    std::cerr << "palisade policy explain: " << p.status().message() << "\n";
    return kExitUsage;
  }
  const v1::Policy& pp = p->proto;
  const v1::Limits& l = pp.limits();
  auto or_default = [](uint64_t v) { return v == 0 ? std::string("(server default)") : std::to_string(v); };
  std::cout << "tenant policy '" << pp.name() << "'" << (pp.description().empty() ? "" : ": " + pp.description())
            << "\n  WASI functions denied: "
            << (p->wasi_denied == 0 ? "none" : absl::StrJoin(p->DeniedFunctions(), ", "))
            << "\n  a denied import: "
            << (p->refuse_denied_imports ? "the module is refused" : "the call fails with ENOTCAPABLE")
            << "\n  environment passed: " << (pp.wasi().environment() ? "yes" : "no")
            << "\n  preopened directories: " << (pp.wasi().preopens() ? "allowed" : "no")
            << (pp.wasi().preopens() && pp.wasi().writable_preopens() ? ", writable allowed" : "")
            << "\n  engine: "
            << (p->compiler ? "the compiler tier (x86-64, checked by the host before it runs)" : "the interpreter")
            << "\n  guest memory bytes: " << or_default(l.memory_bytes())
            << "\n  linear memory pages: " << or_default(l.max_memory_pages())
            << "\n  timeout ms: " << or_default(l.timeout_ms()) << "\n  fuel: " << or_default(l.fuel())
            << "\n  output bytes: " << or_default(l.max_output_bytes())
            << "\n  module bytes: " << or_default(pp.max_module_bytes())
            << "\n  stored module bytes: " << or_default(pp.max_store_bytes())
            << "\n  sandboxes: " << or_default(pp.max_sandboxes())
            << "\n  calls in flight: " << or_default(pp.max_calls_in_flight())
            << "\n  calls per second: " << (pp.calls_per_second() == 0 ? "unlimited" : std::to_string(pp.calls_per_second()))
            << "\n";
  return 0;
}

}  // namespace

int RunPolicyExplain(const PolicyCommandOptions& o) {
  if (o.tenant) {
    if (o.policies.empty()) {
      std::cerr << "palisade policy explain --tenant: name a policy file\n";
      return kExitUsage;
    }
    for (const std::string& f : o.policies) {
      if (int rc = ExplainTenant(f); rc != 0) return rc;
    }
    return 0;
  }
  const std::vector<std::string> names = o.policies.empty() ? policy::BuiltinSeccompPolicyNames() : o.policies;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "image") {  // the guest image audit's rules (vmm/image_audit.h)
      std::cout << (i ? "\n" : "") << ExplainImageAuditRules();
      continue;
    }
    if (names[i] == "code") {  // the compiled-code check's rules (vmm/code_check.h)
      std::cout << (i ? "\n" : "") << ExplainCodeCheckRules();
      continue;
    }
    auto p = policy::LoadSeccompPolicy(names[i]);
    if (!p.ok()) {
      std::cerr << "palisade policy explain: " << p.status().message() << "\n";
      return kExitUsage;
    }
    std::cout << (i ? "\n" : "") << policy::ExplainSeccompPolicy(*p);
  }
  return 0;
}

int RunPolicyExportBpf(const PolicyCommandOptions& o) {
  auto mode = policy::ParseSeccompMode(o.mode);
  if (!mode.ok() || !*mode) {
    std::cerr << "palisade policy export-bpf: --mode takes enforce or log\n";
    return kExitUsage;
  }
  auto p = policy::LoadSeccompPolicy(o.policies.at(0));
  if (!p.ok()) {
    std::cerr << "palisade policy export-bpf: " << p.status().message() << "\n";
    return kExitUsage;
  }
  auto filter = policy::SeccompFilter::Compile(*p, **mode);
  absl::StatusOr<std::string> bpf = filter.ok() ? filter->ExportBpf() : filter.status();
  if (!bpf.ok()) {
    std::cerr << "palisade policy export-bpf: " << bpf.status().message() << "\n";
    return 70;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  if (!out.write(bpf->data(), static_cast<std::streamsize>(bpf->size()))) {
    std::cerr << "palisade policy export-bpf: cannot write " << o.output << "\n";
    return kExitUsage;
  }
  std::cerr << "palisade policy export-bpf: " << p->name() << ": " << bpf->size() / 8
            << " BPF instructions written to " << o.output << "\n";
  return 0;
}

}  // namespace palisade::cli
