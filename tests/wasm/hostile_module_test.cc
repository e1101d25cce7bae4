// Hostile modules: every one must end in a clear error, quickly, with
// memory proportional to the module's size, and never crash.
#include <gtest/gtest.h>

#include "tests/wasm/module_builder.h"
#include "wasm/runtime/engine.h"

namespace palisade::wasm::testing {
namespace {

Error Compile(const Bytes& b) {
  CompiledModule* m = nullptr;
  Error e = CompileModule(b.data(), b.size(), &m);
  FreeCompiledModule(m);
  return e;
}

TEST(HostileModule, HugeDeclaredCountsFailWithoutReservingMemory) {
  for (uint8_t section : {1, 2, 3, 4, 5, 6, 7, 9, 10, 11}) {
    Bytes m = Header();
    Bytes payload;
    AppendU32(&payload, 0xffffffffu);  // "four billion entries" in a few bytes
    AppendSection(&m, section, payload);
    Error e = Compile(m);
    EXPECT_FALSE(e.ok()) << "section " << int(section);
    EXPECT_TRUE(e.kind == ErrorKind::kMalformed || e.kind == ErrorKind::kLimit)
        << "section " << int(section) << ": " << e.message;
  }
}

TEST(HostileModule, TooManyLocalsIsAClearError) {
  Bytes locals;
  AppendU32(&locals, 2);               // two runs
  AppendU32(&locals, 0x80000000u);     // of 2^31 i32s each: 2^32 in total
  locals.push_back(0x7f);
  AppendU32(&locals, 0x80000000u);
  locals.push_back(0x7f);
  Error e = Compile(OneFunction({}, locals));
  EXPECT_FALSE(e.ok());
  EXPECT_STREQ(e.message, "too many locals");
  // Past our own limit but within the format: a limit error.
  Bytes some;
  AppendU32(&some, 1);
  AppendU32(&some, 60000);
  some.push_back(0x7e);
  e = Compile(OneFunction({}, some));
  EXPECT_EQ(e.kind, ErrorKind::kLimit);
  EXPECT_STREQ(e.message, "too many locals");
}

TEST(HostileModule, DeepNestingHitsTheNestingLimit) {
  Bytes code;
  for (int i = 0; i < 200000; ++i) code.insert(code.end(), {0x02, 0x40});  // block
  for (int i = 0; i < 200000; ++i) code.push_back(0x0b);
  Error e = Compile(OneFunction(code));
  EXPECT_EQ(e.kind, ErrorKind::kLimit);
  EXPECT_STREQ(e.message, "blocks nested too deeply");
  EXPECT_STREQ(e.section, "code");
  EXPECT_GT(e.offset, 20000u);  // where the 10,001st block opens
}

TEST(HostileModule, DeepOperandStackHitsTheStackLimit) {
  Bytes code;
  for (int i = 0; i < 150000; ++i) code.insert(code.end(), {0x41, 0x00});  // i32.const 0
  Error e = Compile(OneFunction(code));
  EXPECT_EQ(e.kind, ErrorKind::kLimit);
  EXPECT_STREQ(e.message, "operand stack too deep");
}

TEST(HostileModule, LocalSetChainsOverADeepStackStayLinear) {
  // local.get 0 buried under many values, then many local.set 0: each
  // buried reference is copied once, not once per set.
  Bytes locals = {0x01, 0x01, 0x7f};
  Bytes code = {0x20, 0x00};
  for (int i = 0; i < 50000; ++i) code.insert(code.end(), {0x41, 0x01});
  for (int i = 0; i < 50000; ++i) code.insert(code.end(), {0x21, 0x00});  // local.set 0
  code.push_back(0x1a);  // drop
  EXPECT_TRUE(Compile(OneFunction(code, locals)).ok());
}

TEST(HostileModule, OversizedFunctionBodyIsALimitError) {
  Bytes m = Header();
  AppendSection(&m, 1, {0x01, 0x60, 0x00, 0x00});
  AppendSection(&m, 3, {0x01, 0x00});
  Bytes code;
  AppendU32(&code, 1);
  AppendU32(&code, 8u << 20);  // an 8 MiB body (more than the bytes present, too)
  AppendSection(&m, 10, code);
  Error e = Compile(m);
  EXPECT_EQ(e.kind, ErrorKind::kLimit);
}

TEST(HostileModule, EveryTruncationAndByteFlipOfAValidModuleIsHandled) {
  Bytes code = {0x02, 0x40, 0x03, 0x40, 0x41, 0x01, 0x0d, 0x01, 0x0b, 0x0b};
  Bytes valid = OneFunction(code, {0x01, 0x02, 0x7e});
  ASSERT_TRUE(Compile(valid).ok());
  for (size_t n = 0; n < valid.size(); ++n) {
    // 8 bytes (the header alone) and 14 (header and type section) are
    // complete modules; every other prefix is cut mid-section.
    if (n == 8 || n == 14) continue;
    Bytes cut(valid.begin(), valid.begin() + n);
    EXPECT_FALSE(Compile(cut).ok()) << "prefix of " << n << " bytes";
  }
  for (size_t i = 8; i < valid.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes m = valid;
      m[i] ^= static_cast<uint8_t>(1u << bit);
      (void)Compile(m);  // any result but a crash (ASan/UBSan watch this)
    }
  }
}

TEST(HostileModule, GarbageNameSectionDoesNotFailTheModule) {
  Bytes m = OneFunction({});
  Bytes custom = {0x04, 'n', 'a', 'm', 'e', 0x01, 0x7f, 0xff, 0xff};
  AppendSection(&m, 0, custom);
  EXPECT_TRUE(Compile(m).ok());
}

TEST(HostileModule, MalformedAndInvalidErrorsSayWhereAndWhat) {
  Bytes bad_magic = {0x00, 0x61, 0x73, 0x6e, 0x01, 0, 0, 0};
  Error e = Compile(bad_magic);
  EXPECT_EQ(e.kind, ErrorKind::kMalformed);
  EXPECT_STREQ(e.message, "magic header not detected");

  Error mismatch = Compile(OneFunction({0x41, 0x00, 0x42, 0x00, 0x6a}));  // i32 + i64
  EXPECT_EQ(mismatch.kind, ErrorKind::kInvalid);
  EXPECT_STREQ(mismatch.message, "type mismatch");
  EXPECT_STREQ(mismatch.section, "code");
  EXPECT_GT(mismatch.offset, 20u);

  Error opcode = Compile(OneFunction({0xff}));
  EXPECT_EQ(opcode.kind, ErrorKind::kMalformed);
  EXPECT_STREQ(opcode.message, "illegal opcode");
}

}  // namespace
}  // namespace palisade::wasm::testing
