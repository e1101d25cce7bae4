// What another process holds, read from /proc (and KVM's debugfs): its open
// fds by what they point to, its memfd mappings, its memory, the VMs the
// kernel has of it. For leak checks on a palisaded the test started; every
// read is a snapshot and a process that is gone reads as holding nothing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palisade::testing {

// readlink of each /proc/PID/fd/N, sorted: "socket:[123]",
// "anon_inode:kvm-vm", "/memfd:palisade-guest (deleted)", "/dev/kvm", ...
std::vector<std::string> OpenFdTargets(pid_t pid);

// How many of `targets` contain `part`.
size_t CountContaining(const std::vector<std::string>& targets, std::string_view part);

// The lines of /proc/PID/maps that map a memfd: a memfd can outlive its fd
// in a mapping, so a closed fd alone does not show guest memory is gone.
std::vector<std::string> MemfdMappings(pid_t pid);

// A "Vm..." field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); 0 if absent.
uint64_t StatusKib(pid_t pid, const std::string& field);

// Whether /proc/PID exists (a reaped process no longer does).
bool ProcessExists(pid_t pid);

// The ids of PID's threads (/proc/PID/task).
std::vector<pid_t> ThreadIds(pid_t pid);

// The VMs KVM itself still has that any of `tids` made: KVM names a VM's
// /sys/kernel/debug/kvm/TID-FD directory after the thread that created it
// (a worker thread, in palisaded), and keeps it until the kernel destroys
// the VM, whoever holds it. nullopt where that debugfs cannot be read.
std::optional<std::vector<std::string>> KvmDebugfsVms(const std::vector<pid_t>& tids);

}  // namespace palisade::testing
