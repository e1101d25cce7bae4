// The compiler-tier tests' modules: tests/wasm/modules, built by the build
// into PALISADE_TEST_WASM_DIR.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

namespace palisade::wasm {

inline std::string ModuleBytes(const std::string& name) {
  std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace palisade::wasm
