// For tests whose calls boot micro-VMs: skip only where this machine has no
// KVM that micro-VMs can use -- /dev/kvm absent, or PVM's /dev/kvm
// (vmm/kvm_backend.h) -- and say so. (A hardware /dev/kvm that cannot be used
// is a failure, not a skip.) ctest then runs the same binaries inside QEMU's
// emulated KVM, as the *_in_qemu tests.
#pragma once

#include <gtest/gtest.h>

#include "vmm/kvm_backend.h"

#define PALISADE_REQUIRE_KVM()                                                         \
  do {                                                                                 \
    if (::palisade::KvmBackend backend = ::palisade::DetectKvmBackend();               \
        backend != ::palisade::KvmBackend::kHardware) {                                \
      GTEST_SKIP() << ::palisade::KvmBackendProblem(backend)                           \
                   << ": skipped here (ctest runs this binary inside QEMU as its "     \
                      "*_in_qemu test)";                                               \
    }                                                                                  \
  } while (0)
