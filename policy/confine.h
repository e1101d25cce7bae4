// Confining palisade's own processes with the built-in seccomp policies
// (policy/seccomp_filter.h): what `palisade run`, `palisade invoke` and
// palisaded call once they are set up.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "policy/seccomp_filter.h"

namespace palisade::policy {

// Enforce, except in sanitizer builds: their runtimes make syscalls at exit
// (LeakSanitizer stops the process with ptrace) that no policy should
// allow, so there violations are logged instead.
SeccompMode DefaultSeccompMode();
// "enforce", "log" or "off"; empty means DefaultSeccompMode().
absl::StatusOr<std::optional<SeccompMode>> SeccompModeFromFlag(const std::string& flag);

// Compiles built-in policy `name`, plus `extra` rules only known at run time
// (they name fds), and loads it on every thread of the process or on the
// calling thread only. nullopt mode: does nothing.
absl::Status Confine(const std::string& name, std::optional<SeccompMode> mode, bool all_threads,
                     const std::vector<v1::SyscallRule>& extra = {});

}  // namespace palisade::policy
