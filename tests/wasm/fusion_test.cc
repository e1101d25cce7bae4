// The compiler's fused instructions (compile/ops.h) must behave exactly like
// the Wasm pairs they replace: address wrap-around, bounds, trap offsets,
// operand order and float rounding.
#include <cstring>

#include "tests/wasm/engine_test_support.h"

namespace palisade::wasm::testing {
namespace {

using I = Value;

class FusionTest : public EngineTest {
 protected:
  void SetUp() override { Load("fusion"); }

  uint64_t F64Bits(double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
  }
  Value F64(double d) { return I::F64Bits(F64Bits(d)); }

  // The opcode at a trap's reported offset: the instruction that trapped.
  uint8_t OpcodeAt(const Trap& t) { return t.offset < bytes_.size() ? bytes_[t.offset] : 0; }
};

TEST_F(FusionTest, LoadOfAnAddWrapsTheAddressBeforeTheOffset) {
  EXPECT_EQ(CallValue("load_add_imm", {I::I32(0xfffffffcu)}), 0x08070605u);  // (x + 8) mod 2^32 = 4
  EXPECT_EQ(CallValue("load_add_imm_offset", {I::I32(0xfffffff8u)}), 0u);     // 0 + 65528
  std::vector<Value> r;
  Trap t = Call("load_add_imm", {I::I32(65528)}, &r);
  EXPECT_EQ(t.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(OpcodeAt(t), 0x28);  // i32.load, not the add
  t = Call("load_add_imm_offset", {I::I32(0)}, &r);
  EXPECT_EQ(t.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(OpcodeAt(t), 0x29);
}

TEST_F(FusionTest, ConstantAddressesAreBoundsChecked) {
  std::vector<Value> r;
  Trap t = Call("load_at_end", {}, &r);
  EXPECT_EQ(t.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(OpcodeAt(t), 0x29);
  // 0xffffffff + 1 does not fit the constant-address form: the general
  // load must still see the 33-bit effective address.
  EXPECT_EQ(Call("load_at_huge", {}, &r).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(CallValue("store_at", {I::I32(0xdeadbeefu)}), 0xdeadbeefu);
  EXPECT_EQ(Call("store_at_end", {I::I64(1)}, &r).kind, TrapKind::kMemoryOutOfBounds);
}

TEST_F(FusionTest, OperationsOnALoadKeepOperandOrderAndTrapAtTheLoad) {
  std::vector<Value> r;
  ASSERT_TRUE(Call("store_f64", {I::I32(200), F64(2.25)}, &r).ok());
  EXPECT_EQ(CallValue("add_load", {F64(1.5), I::I32(200)}), F64Bits(3.75));
  EXPECT_EQ(CallValue("load_sub", {F64(1.0), I::I32(200)}), F64Bits(1.25));
  EXPECT_EQ(CallValue("sub_load", {F64(1.0), I::I32(200)}), F64Bits(-1.25));
  EXPECT_EQ(CallValue("i32_add_load", {I::I32(10), I::I32(0)}), 10u + 0x04030201u);
  Trap t = Call("add_load", {F64(1.0), I::I32(65530)}, &r);
  EXPECT_EQ(t.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(OpcodeAt(t), 0x2b);  // f64.load
}

// a = 1 + 2^-52: a * a = 1 + 2^-51 + 2^-104 rounds to 1 + 2^-51, so with a
// separate rounding a * a - (1 + 2^-51) is exactly 0; a fused multiply-add
// would give 2^-104.
TEST_F(FusionTest, MultiplyThenAddRoundsTwice) {
  Value a = I::F64Bits(0x3ff0000000000001ull);
  Value c = I::F64Bits(0x3ff0000000000002ull);
  Value minus_c = I::F64Bits(0xbff0000000000002ull);
  EXPECT_EQ(CallValue("mul_add", {a, a, minus_c}), 0u);
  EXPECT_EQ(CallValue("add_mul", {a, a, minus_c}), 0u);
  EXPECT_EQ(CallValue("mul_sub", {a, a, c}), 0u);
  EXPECT_EQ(CallValue("sub_mul", {a, a, c}), 0u);
  Value af = I::F32Bits(0x3f800001u);
  EXPECT_EQ(CallValue("mul_add_f32", {af, af, I::F32Bits(0xbf800002u)}), 0u);
  // And the operation is the right one: 2 * 3 + 4, 4 - 2 * 3.
  EXPECT_EQ(CallValue("mul_add", {F64(2), F64(3), F64(4)}), F64Bits(10));
  EXPECT_EQ(CallValue("mul_sub", {F64(2), F64(3), F64(4)}), F64Bits(2));
  EXPECT_EQ(CallValue("sub_mul", {F64(2), F64(3), F64(4)}), F64Bits(-2));
}

TEST_F(FusionTest, FloatConstantOperands) {
  EXPECT_EQ(CallValue("const_minus", {F64(1.0)}), F64Bits(0.5));
  EXPECT_EQ(CallValue("minus_const", {F64(1.0)}), F64Bits(-0.5));
  EXPECT_EQ(CallValue("div_zero", {I::F32Bits(0x3f800000u)}), 0x7f800000u);
  EXPECT_EQ(CallValue("div_zero", {I::F32Bits(0xbf800000u)}), 0xff800000u);
}

TEST_F(FusionTest, PairedLocalCopiesRunInOrder) {
  std::vector<Value> r;
  ASSERT_TRUE(Call("rotate", {I::I32(1), I::I32(2), I::I32(3)}, &r).ok());
  EXPECT_EQ(r[0].i32(), 2u);
  EXPECT_EQ(r[1].i32(), 3u);
  EXPECT_EQ(r[2].i32(), 1u);
}

}  // namespace
}  // namespace palisade::wasm::testing
