// Validation: each rule a module can break gets its spec wording, the
// section, and the offset of the offending instruction or entry.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/wasm/module_builder.h"
#include "wasm/runtime/engine.h"

namespace palisade::wasm::testing {
namespace {

Error Compile(const Bytes& bytes) {
  CompiledModule* m = nullptr;
  Error e = CompileModule(bytes.data(), bytes.size(), &m);
  FreeCompiledModule(m);
  return e;
}

struct BodyCase {
  const char* what;
  Bytes code;         // body of a [] -> [] function, without the final end
  size_t bad_at;      // index in `code` of the offending byte (code.size(): the end)
  const char* message;
};

TEST(Validator, FunctionBodyErrorsPointAtTheInstruction) {
  const BodyCase cases[] = {
      {"local out of range", {0x20, 0x00, 0x1a}, 0, "unknown local"},
      {"branch past the function", {0x0c, 0x01}, 0, "unknown label"},
      {"value left on the stack", {0x41, 0x00}, 2, "type mismatch"},
      {"call of a missing function", {0x10, 0x05}, 0, "unknown function"},
      {"load without a memory", {0x41, 0x00, 0x28, 0x02, 0x00, 0x1a}, 2, "unknown memory 0"},
      {"global out of range", {0x23, 0x00, 0x1a}, 0, "unknown global"},
      {"i32.add of i32 and i64", {0x41, 0x00, 0x42, 0x00, 0x6a, 0x1a}, 4, "type mismatch"},
      {"if with a result but no else", {0x41, 0x01, 0x04, 0x7f, 0x41, 0x01, 0x0b, 0x1a}, 6,
       "type mismatch"},
      {"select of i32 and i64", {0x41, 0x00, 0x42, 0x00, 0x41, 0x00, 0x1b, 0x1a}, 6,
       "type mismatch"},
      {"table.get without a table", {0x41, 0x00, 0x25, 0x00, 0x1a}, 2, "unknown table"},
      {"memory.init without a data count", {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00,
                                           0x00},
       6, "unknown memory 0"},
      {"br_if leaves the wrong type", {0x41, 0x00, 0x0d, 0x00, 0x41, 0x00}, 6, "type mismatch"},
  };
  for (const BodyCase& c : cases) {
    Bytes m = OneFunction(c.code);
    Error e = Compile(m);
    EXPECT_EQ(e.kind, ErrorKind::kInvalid) << c.what << ": " << e.message;
    EXPECT_STREQ(e.message, c.message) << c.what;
    EXPECT_STREQ(e.section, "code") << c.what;
    size_t code_start = m.size() - 1 - c.code.size();
    EXPECT_EQ(e.offset, code_start + c.bad_at) << c.what;
  }
}

TEST(Validator, UnreachableCodeIsTypedPolymorphically) {
  // unreachable; i32.add; drop: the operands come from the polymorphic stack.
  EXPECT_TRUE(Compile(OneFunction({0x00, 0x6a, 0x1a})).ok());
  // br 0; i64.const 0; i32.add is still checked after the branch.
  Error e = Compile(OneFunction({0x0c, 0x00, 0x42, 0x00, 0x6a, 0x1a}));
  EXPECT_STREQ(e.message, "type mismatch");
}

// Module-level rules: the offset names the entry that breaks them.
TEST(Validator, ModuleErrorsNameTheSectionAndEntry) {
  {
    Bytes m = Header();
    AppendSection(&m, 3, {0x01, 0x07});  // a function of type 7: no types at all
    size_t type_index_at = m.size() - 1;
    AppendSection(&m, 10, {0x01, 0x02, 0x00, 0x0b});
    Error e = Compile(m);
    EXPECT_STREQ(e.message, "unknown type");
    EXPECT_STREQ(e.section, "function");
    EXPECT_EQ(e.offset, type_index_at);
  }
  {
    Bytes m = Header();
    AppendSection(&m, 5, {0x02, 0x00, 0x01, 0x00, 0x01});  // two memories
    Error e = Compile(m);
    EXPECT_STREQ(e.message, "multiple memories");
    EXPECT_EQ(e.offset, m.size() - 2);  // the second one's limits
  }
  {
    Bytes m = Header();
    AppendSection(&m, 5, {0x01, 0x01, 0x02, 0x01});  // min 2 > max 1
    Error e = Compile(m);
    EXPECT_STREQ(e.message, "size minimum must not be greater than maximum");
    EXPECT_EQ(e.offset, m.size() - 3);
  }
  {
    Bytes m = Header();
    AppendSection(&m, 5, {0x01, 0x00, 0x81, 0x80, 0x04});  // 65537 pages
    Error e = Compile(m);
    EXPECT_STREQ(e.message, "memory size must be at most 65536 pages (4GiB)");
  }
  {
    Bytes m = Header();
    AppendSection(&m, 7, {0x01, 0x01, 'f', 0x00, 0x09});  // export "f" = function 9
    Error e = Compile(m);
    EXPECT_STREQ(e.message, "unknown function");
    EXPECT_STREQ(e.section, "export");
    EXPECT_EQ(e.offset, m.size() - 1);
  }
  {
    Bytes m = Header();
    AppendSection(&m, 5, {0x01, 0x00, 0x01});
    AppendSection(&m, 7, {0x02, 0x01, 'm', 0x02, 0x00, 0x01, 'm', 0x02, 0x00});
    Error e = Compile(m);
    EXPECT_STREQ(e.message, "duplicate export name");
    EXPECT_EQ(e.offset, m.size() - 3);  // the second "m"
  }
  {
    Bytes m = Header();
    AppendSection(&m, 1, {0x01, 0x60, 0x01, 0x7f, 0x00});  // [i32] -> []
    AppendSection(&m, 3, {0x01, 0x00});
    AppendSection(&m, 8, {0x00});
    AppendSection(&m, 10, {0x01, 0x02, 0x00, 0x0b});
    Error e = Compile(m);
    EXPECT_STREQ(e.message, "start function");
    EXPECT_STREQ(e.section, "start");
  }
  {
    Bytes m = Header();
    // A mutable global initialised by another global: not constant in 2.0.
    AppendSection(&m, 6, {0x01, 0x7f, 0x01, 0x41, 0x00, 0x1a, 0x0b});
    Error e = Compile(m);
    EXPECT_EQ(e.kind, ErrorKind::kInvalid);
    EXPECT_STREQ(e.section, "global");
  }
}

TEST(Validator, ImmutableGlobalsCannotBeSet) {
  Bytes m = Header();
  AppendSection(&m, 1, {0x01, 0x60, 0x00, 0x00});
  AppendSection(&m, 3, {0x01, 0x00});
  AppendSection(&m, 6, {0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b});  // immutable i32 = 0
  AppendSection(&m, 10, {0x01, 0x06, 0x00, 0x41, 0x01, 0x24, 0x00, 0x0b});
  Error e = Compile(m);
  EXPECT_EQ(e.kind, ErrorKind::kInvalid);
  EXPECT_STREQ(e.message, "global is immutable");
  EXPECT_EQ(e.offset, m.size() - 3);
}

TEST(Validator, AlignmentLargerThanNaturalIsInvalid) {
  Bytes m = Header();
  AppendSection(&m, 1, {0x01, 0x60, 0x00, 0x00});
  AppendSection(&m, 3, {0x01, 0x00});
  AppendSection(&m, 5, {0x01, 0x00, 0x01});
  // i32.const 0; i32.load align=2^3; drop
  AppendSection(&m, 10, {0x01, 0x08, 0x00, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, 0x0b});
  Error e = Compile(m);
  EXPECT_STREQ(e.message, "alignment must not be larger than natural");
  EXPECT_EQ(e.offset, m.size() - 5);
}

}  // namespace
}  // namespace palisade::wasm::testing
