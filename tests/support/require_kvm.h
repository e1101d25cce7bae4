// For tests whose calls boot micro-VMs: skip only when /dev/kvm does not
// exist, and say so. (A /dev/kvm that exists but cannot be used is a
// failure, not a skip.) ctest runs the same binaries inside QEMU's emulated
// KVM, as the *_in_qemu tests, where it is absent.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#define PALISADE_REQUIRE_KVM()                                                                   \
  do {                                                                                           \
    if (::access("/dev/kvm", F_OK) != 0) {                                                       \
      GTEST_SKIP() << "/dev/kvm is absent on this machine: skipped here (ctest runs this binary " \
                      "inside QEMU as its *_in_qemu test)";                                      \
    }                                                                                            \
  } while (0)
