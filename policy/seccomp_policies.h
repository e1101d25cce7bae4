// The seccomp policy files of policy/seccomp/, built into the binaries at
// build time (the generated seccomp_policies.cc), so an installed palisade
// confines itself without finding files on disk.
#pragma once

#include <span>

namespace palisade::policy {

struct EmbeddedSeccompPolicy {
  const char* name;  // the file's name without .textproto
  const char* text;
};

std::span<const EmbeddedSeccompPolicy> EmbeddedSeccompPolicies();

}  // namespace palisade::policy
