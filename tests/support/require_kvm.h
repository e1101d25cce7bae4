// For tests whose calls boot micro-VMs: skip only where this machine has no
// /dev/kvm at all, and say so. Every backend that exists -- hardware KVM or
// PVM (vmm/kvm_backend.h) -- runs them natively, and one that cannot is a
// failure, not a skip. Without /dev/kvm, ctest runs the same binaries inside
// QEMU's emulated KVM, as the *_in_qemu tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

#include "vmm/kvm_backend.h"

#define PALISADE_REQUIRE_KVM()                                                         \
  do {                                                                                 \
    if (::palisade::KvmBackend backend = ::palisade::DetectKvmBackend();               \
        backend == ::palisade::KvmBackend::kAbsent) {                                  \
      GTEST_SKIP() << ::palisade::KvmBackendProblem(backend)                           \
                   << ": skipped here (ctest runs this binary inside QEMU as its "     \
                      "*_in_qemu test)";                                               \
    }                                                                                  \
  } while (0)

namespace palisade::testing {

// Inside tests/qemu/run-in-qemu.sh's guest, whose KVM is QEMU's emulated
// SVM: everything runs tens of times slower, so tests that measure load
// scale it (fewer calls, longer windows) and keep their assertions.
inline bool KvmIsEmulated() {
  const char* v = std::getenv("PALISADE_IN_QEMU");
  return v != nullptr && v[0] == '1';
}

}  // namespace palisade::testing
