// v128 values across the engine's boundaries: Invoke arguments and results,
// host function slots (two per v128, next to scalars), globals, select.
// Instruction semantics are covered by the spec suite's simd_* files.
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"

namespace palisade::wasm::testing {
namespace {

Value V128(uint64_t lo, uint64_t hi) {
  Value v;
  v.type = ValType::kV128;
  v.bits[0] = lo;
  v.bits[1] = hi;
  return v;
}

class SimdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/simd_calls.wasm", std::ios::binary);
    ASSERT_TRUE(in);
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    Error e = CompileModule(bytes_.data(), bytes_.size(), &module_);
    ASSERT_TRUE(e.ok()) << e.message;
    store_ = NewStore(StoreLimits(), HostMemoryProvider());
    static const ValType kParams[] = {ValType::kI32, ValType::kV128, ValType::kI64};
    static const ValType kResults[] = {ValType::kV128, ValType::kI32};
    // Slots: i32, v128 (lo, hi), i64 -> results v128 (lo, hi), i32.
    FuncInst* swap = NewHostFunction(
        store_, kParams, 3, kResults, 2,
        [](void*, HostCall&, const uint64_t* args, uint64_t* results) {
          results[0] = args[2];
          results[1] = args[1];
          results[2] = static_cast<uint32_t>(args[0]) + args[3];
          return Trap();
        },
        nullptr);
    Extern imp{ExternKind::kFunc, swap};
    InstantiateResult r = Instantiate(store_, module_, &imp, 1);
    ASSERT_EQ(r.status, InstantiateStatus::kOk) << r.error.message;
    instance_ = r.instance;
  }
  ~SimdTest() override {
    FreeStore(store_);
    FreeCompiledModule(module_);
  }

  Trap Call(const char* name, std::vector<Value> args, Value* results, size_t n) {
    Extern e;
    EXPECT_TRUE(FindExport(instance_, name, std::strlen(name), &e));
    return Invoke(store_, static_cast<FuncInst*>(e.object), args.data(), args.size(), results, n);
  }

  std::vector<uint8_t> bytes_;
  CompiledModule* module_ = nullptr;
  Store* store_ = nullptr;
  Instance* instance_ = nullptr;
};

TEST_F(SimdTest, V128TakesTwoSlotsInHostCallsAndInvoke) {
  Value r[2];
  ASSERT_TRUE(Call("through_host", {V128(0x1111, 0x2222)}, r, 2).ok());
  EXPECT_EQ(r[0].type, ValType::kV128);
  EXPECT_EQ(r[0].bits[0], 0x2222u);
  EXPECT_EQ(r[0].bits[1], 0x1111u);
  EXPECT_EQ(r[1].i32(), 16u);  // 7 + 9: the scalars around the v128 kept their places
}

TEST_F(SimdTest, V128GlobalsKeepBothHalves) {
  Value r[1];
  ASSERT_TRUE(Call("add_to_global", {V128(0x0000000100000001ull, 0x0000000100000001ull)}, r, 1).ok());
  EXPECT_EQ(r[0].bits[0], 0x0000000300000002ull);
  EXPECT_EQ(r[0].bits[1], 0x0000000500000004ull);
  Extern g;
  ASSERT_TRUE(FindExport(instance_, "g", 1, &g));
  Value v = GetGlobal(static_cast<GlobalInst*>(g.object));
  EXPECT_EQ(v.bits[1], 0x0000000500000004ull);
}

TEST_F(SimdTest, SelectMovesWholeVectors) {
  Value r[1];
  ASSERT_TRUE(Call("select", {V128(1, 2), V128(3, 4), Value::I32(0)}, r, 1).ok());
  EXPECT_EQ(r[0].bits[0], 3u);
  EXPECT_EQ(r[0].bits[1], 4u);
  ASSERT_TRUE(Call("select", {V128(1, 2), V128(3, 4), Value::I32(1)}, r, 1).ok());
  EXPECT_EQ(r[0].bits[1], 2u);
}

}  // namespace
}  // namespace palisade::wasm::testing
