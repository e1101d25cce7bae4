// Loads the test modules (tests/wasm/modules/*.wat, assembled at build
// time) into a fresh store, and calls their exports.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"

namespace palisade::wasm::testing {

class EngineTest : public ::testing::Test {
 protected:
  ~EngineTest() override {
    FreeStore(store_);
    FreeCompiledModule(module_);
  }

  // Compiles and instantiates tests/wasm/modules/<name>.wat (no imports).
  void Load(const std::string& name, StoreLimits limits = StoreLimits(),
            const CompileOptions& options = CompileOptions()) {
    std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
    ASSERT_TRUE(in) << "missing test module " << name;
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    Error e = CompileModule(bytes_.data(), bytes_.size(), &module_, options);
    ASSERT_TRUE(e.ok()) << e.message << " at " << e.offset;
    store_ = NewStore(limits, HostMemoryProvider());
    ASSERT_NE(store_, nullptr);
    InstantiateResult r = Instantiate(store_, module_, nullptr, 0);
    ASSERT_EQ(r.status, InstantiateStatus::kOk);
    instance_ = r.instance;
  }

  FuncInst* Func(const char* name) {
    Extern e;
    EXPECT_TRUE(FindExport(instance_, name, std::char_traits<char>::length(name), &e)) << name;
    EXPECT_EQ(e.kind, ExternKind::kFunc);
    return static_cast<FuncInst*>(e.object);
  }

  Trap Call(const char* name, std::vector<Value> args, std::vector<Value>* results) {
    results->assign(8, Value());
    return Invoke(store_, Func(name), args.data(), args.size(), results->data(), results->size());
  }

  // Calls an export that returns one i32 (or i64), expecting no trap.
  uint64_t CallValue(const char* name, std::vector<Value> args) {
    std::vector<Value> results;
    Trap t = Call(name, std::move(args), &results);
    EXPECT_TRUE(t.ok()) << name << ": " << TrapMessage(t.kind);
    return results[0].bits[0];
  }

  std::vector<uint8_t> bytes_;
  CompiledModule* module_ = nullptr;
  Store* store_ = nullptr;
  Instance* instance_ = nullptr;
};

}  // namespace palisade::wasm::testing
