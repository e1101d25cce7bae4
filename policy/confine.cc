#include "policy/confine.h"

#include "absl/strings/str_cat.h"

namespace palisade::policy {

SeccompMode DefaultSeccompMode() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return SeccompMode::kLog;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return SeccompMode::kLog;
#else
  return SeccompMode::kEnforce;
#endif
#else
  return SeccompMode::kEnforce;
#endif
}

absl::StatusOr<std::optional<SeccompMode>> SeccompModeFromFlag(const std::string& flag) {
  if (flag.empty()) return std::optional<SeccompMode>(DefaultSeccompMode());
  return ParseSeccompMode(flag);
}

absl::Status Confine(const std::string& name, std::optional<SeccompMode> mode, bool all_threads,
                     const std::vector<v1::SyscallRule>& extra) {
  if (!mode) return absl::OkStatus();
  absl::StatusOr<v1::SeccompPolicy> policy = BuiltinSeccompPolicy(name);
  if (!policy.ok()) return policy.status();
  for (const v1::SyscallRule& rule : extra) *policy->add_allow() = rule;
  absl::StatusOr<SeccompFilter> filter = SeccompFilter::Compile(*policy, *mode);
  if (!filter.ok()) return filter.status();
  absl::Status s = all_threads ? filter->InstallOnAllThreads() : filter->InstallOnThisThread();
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat("seccomp policy '", name, "': ", s.message()));
  return absl::OkStatus();
}

}  // namespace palisade::policy
