// Shared setup for tests that boot real micro-VMs.
#pragma once

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "vmm/console.h"
#include "vmm/embedded_images.h"
#include "vmm/sandbox.h"
#include "tests/support/require_kvm.h"


namespace palisade::testing {

// Generous: under QEMU's software emulation a boot takes ~100x longer.
inline absl::Time Deadline(absl::Duration d = absl::Seconds(60)) { return absl::Now() + d; }

// A module from tests/wasm/modules, compiled by the build.
inline std::vector<uint8_t> TestModule(const std::string& name) {
  std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  EXPECT_TRUE(in) << "missing test module " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline SandboxOptions TestGuestOptions(ConsoleSink* console = nullptr) {
  SandboxOptions o;
  o.image = TestGuestImage();
  // The test guest wrecks its own CPU state on command (mov to cr0, empty
  // IDTs, ...), which the image audit rightly refuses.
  o.audit_image = false;
  o.memory_bytes = 8ull << 20;
  o.stack_bytes = 64ull << 10;
  o.console = console;
  return o;
}

}  // namespace palisade::testing
