// The test modules (tests/wasm/modules/*.wat, assembled at build time into
// PALISADE_TEST_WASM_DIR, which the including test target defines).
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace palisade::testing {

inline std::string TestModulePath(const std::string& name) {
  return std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm";
}

inline std::string TestModuleBytes(const std::string& name) {
  std::ifstream in(TestModulePath(name), std::ios::binary);
  EXPECT_TRUE(in) << "no test module " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace palisade::testing
