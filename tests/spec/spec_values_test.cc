// JSON values of wast2json: parsing, and matching results including the
// NaN patterns.
#include "cli/spec/spec_values.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace palisade::spec {
namespace {

using nlohmann::json;
using wasm::Value;

json V(const char* type, const char* value) { return json{{"type", type}, {"value", value}}; }

TEST(SpecValues, IntegersArriveAsUnsignedDecimalBits) {
  auto v = ParseValue(V("i32", "4294967295"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->i32(), 0xffffffffu);
  auto w = ParseValue(V("i64", "18446744073709551615"));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->i64(), ~0ull);
  EXPECT_FALSE(ParseValue(V("i32", "12x")).ok());
  EXPECT_FALSE(ParseValue(V("i32", "")).ok());
  EXPECT_FALSE(ParseValue(V("i128", "1")).ok());
  EXPECT_FALSE(ParseValue(json{{"value", "1"}}).ok());
}

TEST(SpecValues, CanonicalAndArithmeticNans) {
  EXPECT_TRUE(Matches(V("f32", "nan:canonical"), Value::F32Bits(0x7fc00000)));
  EXPECT_TRUE(Matches(V("f32", "nan:canonical"), Value::F32Bits(0xffc00000)));
  EXPECT_FALSE(Matches(V("f32", "nan:canonical"), Value::F32Bits(0x7fc00001)));
  EXPECT_TRUE(Matches(V("f32", "nan:arithmetic"), Value::F32Bits(0x7fc00001)));
  EXPECT_FALSE(Matches(V("f32", "nan:arithmetic"), Value::F32Bits(0x7f800001)));  // signalling
  EXPECT_FALSE(Matches(V("f32", "nan:arithmetic"), Value::F32Bits(0x7f800000)));  // infinity
  EXPECT_TRUE(Matches(V("f64", "nan:canonical"), Value::F64Bits(0x7ff8000000000000ull)));
  EXPECT_FALSE(Matches(V("f64", "nan:canonical"), Value::F64Bits(0x7ff8000000000001ull)));
  EXPECT_TRUE(Matches(V("f64", "nan:arithmetic"), Value::F64Bits(0xfff8000000000001ull)));
  EXPECT_FALSE(Matches(V("f64", "nan:arithmetic"), Value::F64Bits(0x7ff0000000000001ull)));
}

TEST(SpecValues, FloatsCompareByBitsAndTypesMustAgree) {
  EXPECT_TRUE(Matches(V("f32", "2147483648"), Value::F32Bits(0x80000000)));  // -0
  EXPECT_FALSE(Matches(V("f32", "0"), Value::F32Bits(0x80000000)));
  EXPECT_FALSE(Matches(V("i32", "0"), Value::I64(0)));
}

TEST(SpecValues, ReferencesNeverConfuseNullWithExternZero) {
  auto null = ParseValue(V("externref", "null"));
  auto zero = ParseValue(V("externref", "0"));
  ASSERT_TRUE(null.ok() && zero.ok());
  EXPECT_EQ(null->bits[0], 0u);
  EXPECT_NE(zero->bits[0], 0u);
  EXPECT_TRUE(Matches(V("externref", "0"), *zero));
  EXPECT_FALSE(Matches(V("externref", "null"), *zero));
  EXPECT_TRUE(Matches(json{{"type", "funcref"}}, Value::Ref(wasm::ValType::kFuncRef, 1234)));
  EXPECT_FALSE(Matches(V("funcref", "null"), Value::Ref(wasm::ValType::kFuncRef, 1234)));
}

json V128(const char* lane, std::vector<std::string> lanes) {
  return json{{"type", "v128"}, {"lane_type", lane}, {"value", lanes}};
}

TEST(SpecValues, V128LanesAreLittleEndian) {
  auto v = ParseValue(V128("i32", {"1", "2", "3", "4294967295"}));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->bits[0], 0x0000000200000001ull);
  EXPECT_EQ(v->bits[1], 0xffffffff00000003ull);
  auto b = ParseValue(V128("i8", {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
                                  "13", "14", "15", "255"}));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->bits[0], 0x0807060504030201ull);
  EXPECT_EQ(b->bits[1], 0xff0f0e0d0c0b0a09ull);
  EXPECT_TRUE(Matches(V128("i16", {"1", "0", "2", "0", "3", "0", "65535", "65535"}), *v));
  EXPECT_FALSE(Matches(V128("i64", {"1", "0"}), *v));
  EXPECT_FALSE(ParseValue(V128("i32", {"1", "2", "3"})).ok());  // wrong lane count
  EXPECT_FALSE(ParseValue(json{{"type", "v128"}, {"value", {"1"}}}).ok());
}

TEST(SpecValues, V128FloatLanesMayBeNanPatterns) {
  Value v;
  v.type = wasm::ValType::kV128;
  v.bits[0] = 0x3f8000007fc00000ull;  // lane 0 canonical NaN, lane 1 = 1.0
  v.bits[1] = 0x7fc0000100000000ull;  // lane 2 = 0, lane 3 arithmetic NaN
  EXPECT_TRUE(Matches(V128("f32", {"nan:canonical", "1065353216", "0", "nan:arithmetic"}), v));
  EXPECT_FALSE(Matches(V128("f32", {"nan:canonical", "1065353216", "0", "nan:canonical"}), v));
  EXPECT_FALSE(Matches(V128("i32", {"nan:canonical", "1065353216", "0", "0"}), v));
}

}  // namespace
}  // namespace palisade::spec
