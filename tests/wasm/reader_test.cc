// LEB128 and friends, with the exact length/range rules of the spec's
// binary-leb128.wast and utf8-*.wast.
#include "wasm/binary/reader.h"

#include <cstring>
#include <deque>
#include <initializer_list>
#include <vector>

#include <gtest/gtest.h>

namespace palisade::wasm {
namespace {

// Test input whose bytes outlive any temporary (a Reader only points at them).
struct Bytes {
  const std::vector<uint8_t>* v;
  Bytes(std::initializer_list<int> b) {
    static std::deque<std::vector<uint8_t>> pool;
    pool.emplace_back();
    for (int x : b) pool.back().push_back(static_cast<uint8_t>(x));
    v = &pool.back();
  }
  Reader reader() const { return Reader(v->data(), v->size()); }
};

TEST(WasmReader, UnsignedLeb) {
  auto r = Bytes{0xe5, 0x8e, 0x26}.reader();
  EXPECT_EQ(r.U32(), 624485u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  auto max = Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}.reader();
  EXPECT_EQ(max.U32(), 0xffffffffu);
  // Padded zero is fine as long as it fits in 5 bytes.
  auto padded = Bytes{0x80, 0x80, 0x80, 0x80, 0x00}.reader();
  EXPECT_EQ(padded.U32(), 0u);
  EXPECT_TRUE(padded.ok());
}

TEST(WasmReader, UnsignedLebTooLongOrTooLarge) {
  auto too_long = Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}.reader();
  too_long.U32();
  EXPECT_STREQ(too_long.error().message, "integer representation too long");
  auto too_large = Bytes{0xff, 0xff, 0xff, 0xff, 0x1f}.reader();
  too_large.U32();
  EXPECT_STREQ(too_large.error().message, "integer too large");
  auto u64 = Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}.reader();
  EXPECT_EQ(u64.U64(), ~uint64_t{0});
  auto u64_bad = Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}.reader();
  u64_bad.U64();
  EXPECT_STREQ(u64_bad.error().message, "integer too large");
}

TEST(WasmReader, SignedLeb) {
  EXPECT_EQ((Bytes{0x7f}.reader().S32()), -1);
  EXPECT_EQ((Bytes{0xc0, 0xbb, 0x78}.reader().S32()), -123456);
  EXPECT_EQ((Bytes{0xff, 0xff, 0xff, 0xff, 0x07}.reader().S32()), 0x7fffffff);
  EXPECT_EQ((Bytes{0x80, 0x80, 0x80, 0x80, 0x78}.reader().S32()), INT32_MIN);
  EXPECT_EQ((Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}.reader().S64()),
            INT64_MIN);
  EXPECT_EQ((Bytes{0x40}.reader().S33()), -64);
  EXPECT_EQ((Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}.reader().S33()), 0xffffffffll);
}

TEST(WasmReader, SignedLebUnusedBitsMustExtendTheSign) {
  for (auto bytes : {Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}, Bytes{0x80, 0x80, 0x80, 0x80, 0x70},
                     Bytes{0xff, 0xff, 0xff, 0xff, 0x4f}}) {
    auto r = bytes.reader();
    r.S32();
    EXPECT_STREQ(r.error().message, "integer too large");
  }
  auto r = Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}.reader();
  EXPECT_EQ(r.S64(), 0);
  auto bad = Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x41}.reader();
  bad.S64();
  EXPECT_STREQ(bad.error().message, "integer too large");
}

TEST(WasmReader, EndOfInputIsAnErrorWithOffset) {
  auto r = Bytes{0x01, 0x80}.reader();
  EXPECT_EQ(r.U8(), 1);
  r.U32();
  EXPECT_FALSE(r.ok());
  EXPECT_STREQ(r.error().message, "unexpected end");
  EXPECT_EQ(r.error().kind, ErrorKind::kMalformed);
  // The first error sticks.
  r.U8();
  EXPECT_EQ(r.error().offset, 2u);
}

TEST(WasmReader, FloatsAreLittleEndianBits) {
  auto r = Bytes{0x00, 0x00, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}.reader();
  EXPECT_EQ(r.F32Bits(), 0x3f800000u);
  EXPECT_EQ(r.F64Bits(), 0x3ff0000000000000ull);
}

TEST(WasmReader, NamesMustBeValidUtf8) {
  auto ok = Bytes{3, 'a', 0xc3, 0xa9}.reader();
  uint32_t len;
  EXPECT_NE(ok.Name(&len), nullptr);
  EXPECT_EQ(len, 3u);
  for (auto bad : {Bytes{2, 0xc0, 0x80},          // overlong NUL
                   Bytes{3, 0xed, 0xa0, 0x80},    // surrogate
                   Bytes{4, 0xf4, 0x90, 0x80, 0x80},  // above U+10FFFF
                   Bytes{1, 0x80},                // stray continuation
                   Bytes{2, 0xe2, 0x82}}) {       // truncated
    auto r = bad.reader();
    r.Name(&len);
    EXPECT_STREQ(r.error().message, "malformed UTF-8 encoding");
  }
  auto short_name = Bytes{5, 'a'}.reader();
  short_name.Name(&len);
  EXPECT_STREQ(short_name.error().message, "unexpected end");
}

TEST(WasmReader, SubReaderKeepsModuleOffsets) {
  auto r = Bytes{0xaa, 0xbb, 0x01, 0x02, 0x03}.reader();
  r.U8();
  Reader sub = r.Sub(3);
  EXPECT_EQ(sub.offset(), 1u);
  EXPECT_EQ(sub.U8(), 0xbb);
  EXPECT_EQ(r.U8(), 0x03);
  Reader over = r.Sub(10);
  EXPECT_TRUE(over.at_end());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace palisade::wasm
