// The numeric instruction families at the edges the spec pins down: integer
// division and remainder (including the immediate forms for constant
// divisors), shift and rotate counts, bit counts, sign extension, float
// min/max/nearest/sign ops, NaN propagation, and every kind of conversion.
#include "tests/wasm/engine_test_support.h"

namespace palisade::wasm::testing {
namespace {

using I = Value;

class NumericTest : public EngineTest {
 protected:
  void SetUp() override { Load("numeric"); }

  TrapKind TrapOf(const char* name, std::vector<Value> args) {
    std::vector<Value> r;
    return Call(name, std::move(args), &r).kind;
  }
  static bool IsNan32(uint64_t b) { return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu); }
  static bool IsNan64(uint64_t b) {
    return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (b & 0xfffffffffffffull);
  }
};

constexpr uint32_t kI32Min = 0x80000000u;
constexpr uint64_t kI64Min = 0x8000000000000000ull;
constexpr uint64_t kAllOnes = ~0ull;

TEST_F(NumericTest, DivisionTruncatesAndTrapsOnlyWhereTheSpecSays) {
  EXPECT_EQ(CallValue("i32.div_s", {I::I32(0xfffffff9u), I::I32(2)}), 0xfffffffdu);  // -7/2 = -3
  EXPECT_EQ(CallValue("i32.div_s_7", {I::I32(0xfffffff1u)}), 0xfffffffeu);           // -15/7 = -2
  EXPECT_EQ(CallValue("i32.div_s_-7", {I::I32(15)}), 0xfffffffeu);
  EXPECT_EQ(CallValue("i32.div_s_-1", {I::I32(5)}), 0xfffffffbu);
  EXPECT_EQ(TrapOf("i32.div_s_-1", {I::I32(kI32Min)}), TrapKind::kIntegerOverflow);
  EXPECT_EQ(TrapOf("i32.div_u_0", {I::I32(1)}), TrapKind::kIntegerDivideByZero);
  EXPECT_EQ(CallValue("i32.rem_s_-1", {I::I32(kI32Min)}), 0u);  // no overflow for rem
  EXPECT_EQ(CallValue("i32.rem_s_-7", {I::I32(0xfffffff1u)}), 0xffffffffu);  // sign of dividend
  EXPECT_EQ(CallValue("i32.rem_u_7", {I::I32(0xffffffffu)}), 3u);
  EXPECT_EQ(TrapOf("i64.div_s_-1", {I::I64(kI64Min)}), TrapKind::kIntegerOverflow);
  EXPECT_EQ(CallValue("i64.rem_s_-1", {I::I64(kI64Min)}), 0u);
  EXPECT_EQ(CallValue("i64.div_u_7", {I::I64(kAllOnes)}), 2635249153387078802ull);
  EXPECT_EQ(TrapOf("i64.rem_s", {I::I64(1), I::I64(0)}), TrapKind::kIntegerDivideByZero);
  EXPECT_EQ(CallValue("i64.rem_s", {I::I64(kI64Min), I::I64(kAllOnes)}), 0u);
}

TEST_F(NumericTest, ShiftAndRotateCountsAreTakenModuloTheWidth) {
  EXPECT_EQ(CallValue("i32.shl_33", {I::I32(1)}), 2u);
  EXPECT_EQ(CallValue("i32.shr_s_33", {I::I32(kI32Min)}), 0xc0000000u);
  EXPECT_EQ(CallValue("i32.rotl_33", {I::I32(0x80000001u)}), 3u);
  EXPECT_EQ(CallValue("i32.rotr", {I::I32(1), I::I32(0xffffffffu)}), 2u);
  EXPECT_EQ(CallValue("i64.shr_u_65", {I::I64(kI64Min)}), 0x4000000000000000ull);
  EXPECT_EQ(CallValue("i64.rotr_65", {I::I64(1)}), kI64Min);
}

TEST_F(NumericTest, BitCountsAndSignExtension) {
  EXPECT_EQ(CallValue("i32.clz", {I::I32(0)}), 32u);
  EXPECT_EQ(CallValue("i32.clz", {I::I32(0xffffffffu)}), 0u);
  EXPECT_EQ(CallValue("i32.clz", {I::I32(0x00010000u)}), 15u);
  EXPECT_EQ(CallValue("i32.ctz", {I::I32(0)}), 32u);
  EXPECT_EQ(CallValue("i32.ctz", {I::I32(0x00010000u)}), 16u);
  EXPECT_EQ(CallValue("i32.popcnt", {I::I32(0x0f0fu)}), 8u);
  EXPECT_EQ(CallValue("i32.popcnt", {I::I32(0xffffffffu)}), 32u);
  EXPECT_EQ(CallValue("i64.clz", {I::I64(0)}), 64u);
  EXPECT_EQ(CallValue("i64.clz", {I::I64(1)}), 63u);
  EXPECT_EQ(CallValue("i64.ctz", {I::I64(0)}), 64u);
  EXPECT_EQ(CallValue("i64.popcnt", {I::I64(kAllOnes)}), 64u);
  EXPECT_EQ(CallValue("i32.extend8_s", {I::I32(0x80)}), 0xffffff80u);
  EXPECT_EQ(CallValue("i32.extend8_s", {I::I32(0x17f)}), 0x7fu);
  EXPECT_EQ(CallValue("i32.extend16_s", {I::I32(0x8000)}), 0xffff8000u);
  EXPECT_EQ(CallValue("i64.extend32_s", {I::I64(0x80000000u)}), 0xffffffff80000000ull);
  EXPECT_EQ(CallValue("i64.extend_i32_s", {I::I32(0xffffffffu)}), kAllOnes);
  EXPECT_EQ(CallValue("i64.extend_i32_u", {I::I32(0xffffffffu)}), 0xffffffffull);
  EXPECT_EQ(CallValue("i32.wrap_i64", {I::I64(0x123456789ull)}), 0x23456789u);
}

TEST_F(NumericTest, MinMaxOrderSignedZerosAndPropagateNans) {
  const Value pz = I::F32Bits(0), nz = I::F32Bits(0x80000000u), one = I::F32Bits(0x3f800000u);
  EXPECT_EQ(CallValue("f32.min", {nz, pz}), 0x80000000u);
  EXPECT_EQ(CallValue("f32.min", {pz, nz}), 0x80000000u);
  EXPECT_EQ(CallValue("f32.max", {nz, pz}), 0u);
  EXPECT_EQ(CallValue("f32.max", {pz, nz}), 0u);
  EXPECT_TRUE(IsNan32(CallValue("f32.min", {I::F32Bits(0x7fc00000u), one})));
  EXPECT_TRUE(IsNan32(CallValue("f32.max", {one, I::F32Bits(0xffc00000u)})));
  EXPECT_EQ(CallValue("f64.min", {I::F64Bits(kI64Min), I::F64Bits(0)}), kI64Min);
  EXPECT_EQ(CallValue("f64.max", {I::F64Bits(kI64Min), I::F64Bits(0)}), 0u);
  EXPECT_TRUE(IsNan64(CallValue("f64.max", {I::F64Bits(0x3ff0000000000000ull),
                                            I::F64Bits(0x7ff8000000000000ull)})));
}

TEST_F(NumericTest, NearestRoundsHalfToEvenAndKeepsTheSign) {
  EXPECT_EQ(CallValue("f32.nearest", {I::F32Bits(0x3f000000u)}), 0u);            // 0.5 -> +0
  EXPECT_EQ(CallValue("f32.nearest", {I::F32Bits(0x3fc00000u)}), 0x40000000u);   // 1.5 -> 2
  EXPECT_EQ(CallValue("f32.nearest", {I::F32Bits(0x40200000u)}), 0x40000000u);   // 2.5 -> 2
  EXPECT_EQ(CallValue("f32.nearest", {I::F32Bits(0xbf000000u)}), 0x80000000u);   // -0.5 -> -0
  EXPECT_EQ(CallValue("f64.nearest", {I::F64Bits(0xbff8000000000000ull)}),        // -1.5 -> -2
            0xc000000000000000ull);
  EXPECT_EQ(CallValue("f64.nearest", {I::F64Bits(0x4330000000000001ull)}),        // 2^52 + 1
            0x4330000000000001ull);
}

TEST_F(NumericTest, SignOpsTouchOnlyTheSignBitEvenOfNans) {
  EXPECT_EQ(CallValue("f32.abs", {I::F32Bits(0xffc00001u)}), 0x7fc00001u);
  EXPECT_EQ(CallValue("f64.neg", {I::F64Bits(0x7ff8000000000001ull)}), 0xfff8000000000001ull);
  EXPECT_EQ(CallValue("f64.copysign", {I::F64Bits(0x3ff0000000000000ull), I::F64Bits(kI64Min)}),
            0xbff0000000000000ull);
  EXPECT_EQ(CallValue("f64.copysign", {I::F64Bits(0x7ff4000000000000ull), I::F64Bits(kI64Min)}),
            0xfff4000000000000ull);
}

TEST_F(NumericTest, ArithmeticOnNansGivesQuietNans) {
  uint64_t sum = CallValue("f64.add", {I::F64Bits(0x3ff0000000000000ull),
                                       I::F64Bits(0x7ff4000000000000ull)});  // 1 + sNaN
  EXPECT_TRUE(IsNan64(sum));
  EXPECT_NE(sum & 0x0008000000000000ull, 0u) << "not an arithmetic (quiet) NaN";
  EXPECT_TRUE(IsNan64(CallValue("f64.sqrt", {I::F64Bits(0xbff0000000000000ull)})));  // sqrt(-1)
  EXPECT_EQ(CallValue("f64.sqrt", {I::F64Bits(kI64Min)}), kI64Min);                  // sqrt(-0)
  EXPECT_EQ(CallValue("f64.sqrt", {I::F64Bits(0x4010000000000000ull)}), 0x4000000000000000ull);
}

TEST_F(NumericTest, TruncationTrapsOnNanAndOutOfRange) {
  EXPECT_EQ(TrapOf("i32.trunc_f32_s", {I::F32Bits(0x7fc00000u)}), TrapKind::kInvalidConversion);
  EXPECT_EQ(TrapOf("i32.trunc_f32_s", {I::F32Bits(0x4f000000u)}), TrapKind::kIntegerOverflow);  // 2^31
  EXPECT_EQ(TrapOf("i32.trunc_f32_s", {I::F32Bits(0xcf000001u)}), TrapKind::kIntegerOverflow);
  EXPECT_EQ(CallValue("i32.trunc_f32_s", {I::F32Bits(0xcf000000u)}), kI32Min);   // -2^31 fits
  EXPECT_EQ(CallValue("i32.trunc_f32_s", {I::F32Bits(0xbff33333u)}), 0xffffffffu);  // -1.9
  EXPECT_EQ(TrapOf("i64.trunc_f64_u", {I::F64Bits(0xbff0000000000000ull)}),       // -1
            TrapKind::kIntegerOverflow);
  EXPECT_EQ(CallValue("i64.trunc_f64_u", {I::F64Bits(0xbfeccccccccccccdull)}), 0u);  // -0.9
  EXPECT_EQ(TrapOf("i64.trunc_f64_u", {I::F64Bits(0x43f0000000000000ull)}),       // 2^64
            TrapKind::kIntegerOverflow);
  EXPECT_EQ(CallValue("i64.trunc_f64_u", {I::F64Bits(0x43efffffffffffffull)}), 0xfffffffffffff800ull);
}

TEST_F(NumericTest, SaturatingTruncationClampsAndMapsNanToZero) {
  EXPECT_EQ(CallValue("i32.trunc_sat_f32_s", {I::F32Bits(0x7fc00000u)}), 0u);
  EXPECT_EQ(CallValue("i32.trunc_sat_f32_s", {I::F32Bits(0x7f800000u)}), 0x7fffffffu);
  EXPECT_EQ(CallValue("i32.trunc_sat_f32_s", {I::F32Bits(0xff800000u)}), kI32Min);
  EXPECT_EQ(CallValue("i32.trunc_sat_f32_s", {I::F32Bits(0x501502f9u)}), 0x7fffffffu);  // 1e10
  EXPECT_EQ(CallValue("i64.trunc_sat_f64_u", {I::F64Bits(0xc014000000000000ull)}), 0u);  // -5
  EXPECT_EQ(CallValue("i64.trunc_sat_f64_u", {I::F64Bits(0x46293e5939a08ceaull)}), kAllOnes);  // 1e30
  EXPECT_EQ(CallValue("i64.trunc_sat_f64_u", {I::F64Bits(0x7ff8000000000000ull)}), 0u);
}

TEST_F(NumericTest, ConversionsRoundToNearestEven) {
  // 1 + 2^-24 is halfway between two floats: it rounds to the even one, 1.0.
  EXPECT_EQ(CallValue("f32.demote_f64", {I::F64Bits(0x3ff0000010000000ull)}), 0x3f800000u);
  EXPECT_EQ(CallValue("f32.demote_f64", {I::F64Bits(0x7e37e43c8800759cull)}), 0x7f800000u);  // 1e300
  EXPECT_TRUE(IsNan32(CallValue("f32.demote_f64", {I::F64Bits(0x7ff8000000000000ull)})));
  EXPECT_EQ(CallValue("f64.promote_f32", {I::F32Bits(0x3f800001u)}), 0x3ff0000020000000ull);
  EXPECT_EQ(CallValue("f32.convert_i64_u", {I::I64(kAllOnes)}), 0x5f800000u);  // 2^64
  EXPECT_EQ(CallValue("f32.convert_i64_u", {I::I64(16777217)}), 0x4b800000u);  // 2^24 + 1 -> 2^24
  EXPECT_EQ(CallValue("f32.convert_i64_u", {I::I64(16777219)}), 0x4b800002u);  // -> 2^24 + 4
  EXPECT_EQ(CallValue("f64.convert_i64_s", {I::I64(kAllOnes)}), 0xbff0000000000000ull);
  EXPECT_EQ(CallValue("f64.convert_i64_s", {I::I64(9007199254740993ull)}), 0x4340000000000000ull);
  // A signalling NaN's bits survive a reinterpret (no float register quiets it).
  EXPECT_EQ(CallValue("i32.reinterpret_f32", {I::F32Bits(0x7fa00001u)}), 0x7fa00001u);
}

}  // namespace
}  // namespace palisade::wasm::testing
