// For end-to-end tests whose calls boot micro-VMs: skip, saying why and
// where they do run, when /dev/kvm does not exist.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#define PALISADE_REQUIRE_KVM()                                                                   \
  do {                                                                                           \
    if (::access("/dev/kvm", F_OK) != 0) {                                                       \
      GTEST_SKIP() << "/dev/kvm is absent: the VM calls are tested inside QEMU "                 \
                      "(palisade_server_tests_in_qemu)";                                         \
    }                                                                                            \
  } while (0)
