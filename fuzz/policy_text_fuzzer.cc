// Policy and config text from the fuzzer: tenant policies, seccomp
// policies (compiled, too, when they parse), server configs and audit logs
// must be accepted or refused with an error, never crash.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "policy/audit_verify.h"
#include "policy/seccomp_filter.h"
#include "policy/tenant_policy.h"
#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)palisade::policy::ParseTenantPolicy(text, "fuzz.textproto");
  if (auto s = palisade::policy::ParseSeccompPolicy(text, "fuzz.textproto"); s.ok()) {
    (void)palisade::policy::ExplainSeccompPolicy(*s);
    (void)palisade::policy::SeccompFilter::Compile(*s, palisade::policy::SeccompMode::kEnforce);
  }
  (void)palisade::server::ParseConfig(text, "/nonexistent/fuzz.textproto");
  std::istringstream log(text);
  (void)palisade::policy::VerifyAuditLog(log);
  return 0;
}
