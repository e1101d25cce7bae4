// The "raw floor": what KVM itself costs on this machine, measured with a
// guest that has none of Palisade's machinery (no image, no layout, no
// hypercall dispatcher). Benchmarks and `palisade check` print their figures
// beside it ("boot 900 us vs raw floor 750 us"), measured the same way in the
// same run, so the numbers mean something on hardware KVM and on PVM alike.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"
#include "vmm/mapping.h"

namespace palisade {

class Kvm;

// A bare CPL 3 long-mode guest: one anonymous memory slot, host-built page
// tables, GDT/TSS (I/O bitmap opening port 0x500..0x503) and the guest code
// `mov $0x500,%edx; 1: out %eax,%dx; jmp 1b` at CPL 3.
class RawFloorVm {
 public:
  // KVM_CREATE_VM, 1 MiB slot, KVM_CREATE_VCPU, mmap of the run area,
  // KVM_SET_CPUID2 (kvm.supported_cpuid()), SET_SREGS, SET_REGS. Does not run.
  static absl::StatusOr<RawFloorVm> Create(const Kvm& kvm);

  // One KVM_RUN; OK only if it returned KVM_EXIT_IO, direction out, port
  // 0x500, size 4. Otherwise an error naming the exit reason (and for
  // KVM_EXIT_INTERNAL_ERROR its suberror).
  absl::Status RunToExit();

 private:
  RawFloorVm() = default;

  // Declared so that the vCPU and its run area go before the VM, and the VM
  // before the memory it maps.
  Mapping memory_;
  UniqueFd vm_;
  UniqueFd vcpu_;
  Mapping run_;
};

struct RawFloors {
  absl::Duration create_and_first_run;
  absl::Duration exit_round_trip;
};

// Medians: `boots` times (Create + first RunToExit, timed together), and one
// VM's `exits` round trips (each RunToExit after the first).
absl::StatusOr<RawFloors> MeasureRawFloors(const Kvm& kvm, int boots, int exits);

}  // namespace palisade
