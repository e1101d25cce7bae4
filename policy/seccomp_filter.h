// Seccomp filters for palisade's own processes, compiled with libseccomp
// from reviewable policy files (proto/palisade/v1/seccomp.proto;
// policy/seccomp/*.textproto, built into the binaries).
//   palisaded        all threads of the server, once it is listening
//   palisade-cli     `palisade run` / `invoke`, before the micro-VM boots
//   vcpu             the thread that runs a vCPU, once the VM is booted:
//                    KVM_RUN (checked on the ioctl's argument) and little else
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "palisade/v1/seccomp.pb.h"

namespace palisade::policy {

enum class SeccompMode {
  kEnforce,  // a syscall outside the policy kills the process (SIGSYS)
  kLog,      // it is allowed and logged by the kernel (audit / dmesg): for development
};

class SeccompFilter {
 public:
  static absl::StatusOr<SeccompFilter> Compile(const v1::SeccompPolicy& policy, SeccompMode mode);

  // Sets no_new_privs and loads the filter on every thread of the process
  // (SECCOMP_FILTER_FLAG_TSYNC) / on the calling thread only. Threads
  // created afterwards inherit it from their creator.
  absl::Status InstallOnAllThreads() const;
  absl::Status InstallOnThisThread() const;
  // The compiled classic-BPF program (struct sock_filter array).
  absl::StatusOr<std::string> ExportBpf() const;

  struct ContextDeleter {
    void operator()(void* ctx) const;
  };

 private:
  explicit SeccompFilter(std::unique_ptr<void, ContextDeleter> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<void, ContextDeleter> ctx_;
};

// The built-in policies by name ("palisaded", "palisade-cli", "vcpu").
std::vector<std::string> BuiltinSeccompPolicyNames();
absl::StatusOr<v1::SeccompPolicy> BuiltinSeccompPolicy(const std::string& name);
// A built-in name or a file path. Errors name the file, line and field.
absl::StatusOr<v1::SeccompPolicy> LoadSeccompPolicy(const std::string& name_or_path);
absl::StatusOr<v1::SeccompPolicy> ParseSeccompPolicy(const std::string& text, const std::string& filename);

// The policy as a reviewer reads it: one line per rule, conditions spelled
// out, numbers resolved (syscall numbers for x86-64, ioctl values).
std::string ExplainSeccompPolicy(const v1::SeccompPolicy& policy);

// "--seccomp" values: "enforce", "log", "off".
absl::StatusOr<std::optional<SeccompMode>> ParseSeccompMode(const std::string& text);

}  // namespace palisade::policy
