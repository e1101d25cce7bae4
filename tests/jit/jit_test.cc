// The compiler tier end to end in process: a module compiled with
// EngineTier::kCompiler, sealed in process (the host's code check passes
// everything the tier emits), run through the engine's Invoke, and compared
// export by export, argument by argument, with the same module interpreted:
// the same results, the same traps at the same module offsets, fuel running
// out at the same instruction.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/compiled_code_sealer.h"
#include "vmm/code_check.h"
#include "vmm/code_check_workers.h"
#include "tests/jit/test_modules.h"
#include "tests/wasm/module_builder.h"
#include "wasm/compile/compiled_module.h"
#include "wasm/host/host_memory.h"
#include "wasm/jit/function_jit.h"
#include "wasm/jit/jit_context.h"
#include "wasm/runtime/engine.h"
#include "wasm/runtime/interpreter.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {
namespace {

struct Outcome {
  TrapKind kind = TrapKind::kNone;
  uint32_t func = 0, offset = 0;
  uint64_t result = 0;
  uint64_t result_hi = 0;  // a v128 result's high half
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "{trap " << static_cast<int>(o.kind) << " (" << TrapMessage(o.kind) << ") func " << o.func
            << " offset " << o.offset << " result " << o.result << " high " << o.result_hi << "}";
}

class JitVsInterpreter : public ::testing::Test {
 protected:
  virtual const char* ModuleName() const { return "jit_core"; }
  virtual std::string Bytes() const { return ModuleBytes(ModuleName()); }
  void SetUp() override {
    bytes_ = Bytes();
    const auto* data = reinterpret_cast<const uint8_t*>(bytes_.data());
    Error e = CompileModule(data, bytes_.size(), &interpreted_);
    ASSERT_TRUE(e.ok()) << e.message;
    CompileOptions compiler;
    compiler.tier = EngineTier::kCompiler;
    compiler.sealer = &sealer_;
    e = CompileModule(data, bytes_.size(), &compiled_, compiler);
    ASSERT_TRUE(e.ok()) << e.message;
    // Everything here is what the tier translates: nothing may fall back.
    ASSERT_STREQ(CompiledTierStatus(compiled_), "");
  }
  void TearDown() override {
    for (Cached& c : cached_) {
      if (c.store != nullptr) FreeStore(c.store);
    }
    FreeCompiledModule(interpreted_);
    FreeCompiledModule(compiled_);
  }

  FuncInst* Export(Instance* inst, const char* name) {
    Extern e;
    EXPECT_TRUE(FindExport(inst, name, std::strlen(name), &e)) << name;
    return static_cast<FuncInst*>(e.object);
  }

  // Without fuel, each tier keeps one store and instance for the whole test
  // (as the spec runner does across traps): tens of thousands of fresh
  // stores cost minutes under the sanitizers. Both tiers see the same calls
  // in the same order, so their memories stay alike while they agree.
  Outcome Run(CompiledModule* module, const char* name, const std::vector<Value>& args, uint64_t fuel) {
    Cached fresh;
    Cached& c = fuel != 0 ? fresh : cached_[module == compiled_ ? 1 : 0];
    if (c.store == nullptr) {
      c.store = NewStore(StoreLimits(), HostMemoryProvider());
      EXPECT_NE(c.store, nullptr);
      if (fuel != 0) SetFuel(c.store, true, fuel);
      InstantiateResult ir = Instantiate(c.store, module, nullptr, 0);
      EXPECT_EQ(ir.status, InstantiateStatus::kOk);
      c.instance = ir.instance;
    }
    FuncInst* f = Export(c.instance, name);
    Value results[1];
    Trap t = Invoke(c.store, f, args.data(), args.size(), results, 1);
    Outcome o{t.kind, t.func_index, t.offset, 0, 0};
    if (t.ok() && f->result_count == 1) o.result = results[0].bits[0], o.result_hi = results[0].bits[1];
    if (fuel != 0) FreeStore(c.store);
    return o;
  }
  Outcome Interpret(const char* name, const std::vector<Value>& args, uint64_t fuel = 0) {
    return Run(interpreted_, name, args, fuel);
  }
  Outcome Compiled(const char* name, const std::vector<Value>& args, uint64_t fuel = 0) {
    return Run(compiled_, name, args, fuel);
  }

  void Same(const char* name, const std::vector<Value>& args, uint64_t fuel = 0) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Compiled(name, args, fuel), Interpret(name, args, fuel));
  }
  // For results of float arithmetic: a NaN's payload and sign are Wasm's
  // nondeterminism (and the interpreter's C++ compiler may swap a
  // commutative operation's operands), so two NaNs agree; anything else
  // must match to the bit.
  void SameOrBothNan(const char* name, const std::vector<Value>& args, bool f32) {
    SCOPED_TRACE(name);
    Outcome c = Compiled(name, args), i = Interpret(name, args);
    const auto nan = [f32](uint64_t bits) {
      return f32 ? (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0
                 : (bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits & 0x000fffffffffffffull) != 0;
    };
    if (c.kind == TrapKind::kNone && i.kind == TrapKind::kNone && nan(c.result) && nan(i.result)) return;
    EXPECT_EQ(c, i);
  }

  struct Cached {
    Store* store = nullptr;
    Instance* instance = nullptr;
  };
  Cached cached_[2];  // interpreted, compiled

  cli::InProcessCodeSealer sealer_;  // outlives the compiled module
  std::string bytes_;
  CompiledModule* interpreted_ = nullptr;
  CompiledModule* compiled_ = nullptr;
};

TEST_F(JitVsInterpreter, ResultsAgree) {
  for (uint32_t n : {0u, 1u, 2u, 10u, 20u}) Same("fib", {Value::I32(n)});
  for (uint32_t n : {16u, 100u, 4000u}) Same("mem_sum", {Value::I32(n)});
  for (uint64_t a : {0ull, 1ull, 0x8000000000000000ull, 0x123456789abcdefull, ~0ull}) {
    for (uint64_t b : {0ull, 1ull, 63ull, 64ull, 0xf0ull}) Same("bits", {Value::I64(a), Value::I64(b)});
  }
  for (uint32_t a : {0u, 1u, 5u, 0xfffffffbu, 0x80000000u}) {
    for (uint32_t b : {0u, 3u, 0xffffffffu}) Same("cmp", {Value::I32(a), Value::I32(b)});
  }
  for (uint32_t i : {0u, 1u, 2u, 3u, 1000u}) Same("table", {Value::I32(i)});
  Same("div_by_7", {Value::I32(0xffffff00u)});
  for (uint32_t v : {0u, 7u, 255u}) Same("memory_ops", {Value::I32(v)});
  Same("indirect", {Value::I32(15), Value::I32(1)});  // fib through the table
  // 9,000 deep through the table: within the 10,000-frame depth, in both.
  Same("indirect", {Value::I32(9000), Value::I32(4)});
  Same("deep", {Value::I32(500)});
  Same("spin", {Value::I32(100000)});
  for (uint32_t n : {1u, 2u, 5u, 40u}) Same("carried", {Value::I32(n)});
}

TEST_F(JitVsInterpreter, TrapsAgreeOnKindFunctionAndOffset) {
  const auto expect_trap = [&](const char* name, const std::vector<Value>& args, TrapKind kind) {
    SCOPED_TRACE(name);
    const Outcome c = Compiled(name, args), i = Interpret(name, args);
    EXPECT_EQ(c.kind, kind) << c;
    EXPECT_EQ(c, i);
  };
  expect_trap("div_s", {Value::I32(1), Value::I32(0)}, TrapKind::kIntegerDivideByZero);
  expect_trap("div_s", {Value::I32(0x80000000u), Value::I32(0xffffffffu)}, TrapKind::kIntegerOverflow);
  Same("div_s", {Value::I32(7), Value::I32(0xffffffffu)});
  Same("div_s", {Value::I32(0xfffffff9u), Value::I32(2)});
  expect_trap("rem_s", {Value::I64(5), Value::I64(0)}, TrapKind::kIntegerDivideByZero);
  Same("rem_s", {Value::I64(0x8000000000000000ull), Value::I64(~0ull)});  // 0, no trap
  Same("rem_s", {Value::I64(~0ull - 6), Value::I64(4)});
  expect_trap("div_u", {Value::I64(5), Value::I64(0)}, TrapKind::kIntegerDivideByZero);
  Same("div_u", {Value::I64(~0ull), Value::I64(3)});
  expect_trap("load_at", {Value::I32(65536 - 19)}, TrapKind::kMemoryOutOfBounds);
  expect_trap("load_at", {Value::I32(0xfffffff0u)}, TrapKind::kMemoryOutOfBounds);
  Same("load_at", {Value::I32(65536 - 20)});
  expect_trap("trap", {}, TrapKind::kUnreachable);
  expect_trap("deep", {Value::I32(1000000)}, TrapKind::kCallStackExhausted);
  // Through the table: an empty slot, one past the end, another type.
  expect_trap("indirect", {Value::I32(1), Value::I32(2)}, TrapKind::kUninitializedElement);
  expect_trap("indirect", {Value::I32(1), Value::I32(5)}, TrapKind::kUndefinedElement);
  expect_trap("indirect", {Value::I32(1), Value::I32(3)}, TrapKind::kIndirectCallTypeMismatch);
  // Recursion through the table nests through the runtime in the compiled
  // tier: it must end in the same trap, not in a native stack overflow
  // (where in the chain it is noticed may differ).
  EXPECT_EQ(Compiled("indirect", {Value::I32(0), Value::I32(0)}).kind, TrapKind::kCallStackExhausted);
  EXPECT_EQ(Interpret("indirect", {Value::I32(0), Value::I32(0)}).kind, TrapKind::kCallStackExhausted);
}

TEST_F(JitVsInterpreter, FuelRunsOutAtTheSameInstruction) {
  for (uint64_t fuel : {1ull, 50ull, 20000ull}) {
    SCOPED_TRACE(fuel);
    const Outcome c = Compiled("spin", {Value::I32(100000)}, fuel);
    EXPECT_EQ(c.kind, TrapKind::kFuelExhausted) << c;
    EXPECT_EQ(c, Interpret("spin", {Value::I32(100000)}, fuel));
  }
  Same("spin", {Value::I32(1000)}, 5000);  // enough: both finish
}

// Special values: zeros of both signs, denormals, infinities, NaNs (quiet,
// signalling, with payloads, negative), halves for rounding, powers of two
// at the conversions' edges.
const uint32_t kF32Bits[] = {0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x3f800000, 0xbf800000,
                             0x3fc00000, 0x40200000, 0xbfc00000, 0x7f800000, 0xff800000, 0x7fc00000,
                             0xffc00000, 0x7fa00001, 0x7fc12345, 0x4f000000, 0xcf000000, 0x5f000000,
                             0x4f800000, 0x7f7fffff, 0x3effffff, 0xcf000001};
const uint64_t kF64Bits[] = {0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x3ff0000000000000,
                             0xbff0000000000000, 0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000,
                             0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0xfff8000000000000,
                             0x7ff4000000000001, 0x7ff8000000012345, 0x41e0000000000000, 0xc1e0000000000000,
                             0x43e0000000000000, 0x43f0000000000000, 0xc3e0000000000000, 0x7fefffffffffffff,
                             0x3fdfffffffffffff, 0x41efffffffe00000, 0xc3e0000000000001};

class JitFloatVsInterpreter : public JitVsInterpreter {
 protected:
  const char* ModuleName() const override { return "jit_float"; }
};

TEST_F(JitFloatVsInterpreter, EveryOperationAgreesToTheBit) {
  for (uint32_t a : kF32Bits) {
    for (uint32_t b : kF32Bits) {
      for (uint32_t op = 0; op < 4; ++op) SameOrBothNan("f32_arith", {Value::I32(a), Value::I32(b), Value::I32(op)}, true);
      for (const char* f : {"f32_min", "f32_max"}) SameOrBothNan(f, {Value::I32(a), Value::I32(b)}, true);
      Same("f32_cmp", {Value::I32(a), Value::I32(b)});
    }
    // abs, neg and copysign (0, 1, 7) are bit operations, exact even on NaNs.
    for (uint32_t op : {0u, 1u, 7u}) Same("f32_unary", {Value::I32(a), Value::I32(op)});
    for (uint32_t op = 2; op < 7; ++op) SameOrBothNan("f32_unary", {Value::I32(a), Value::I32(op)}, true);
    Same("trunc_f32_s", {Value::I32(a)});
    Same("trunc_f32_u64", {Value::I32(a)});
  }
  for (uint64_t a : kF64Bits) {
    for (uint64_t b : kF64Bits) {
      for (uint32_t op = 0; op < 4; ++op) SameOrBothNan("f64_arith", {Value::I64(a), Value::I64(b), Value::I32(op)}, false);
      for (const char* f : {"f64_min", "f64_max", "fused"}) SameOrBothNan(f, {Value::I64(a), Value::I64(b)}, false);
      Same("f64_cmp", {Value::I64(a), Value::I64(b)});
    }
    for (uint32_t op : {0u, 1u, 7u}) Same("f64_unary", {Value::I64(a), Value::I32(op)});
    for (uint32_t op = 2; op < 7; ++op) SameOrBothNan("f64_unary", {Value::I64(a), Value::I32(op)}, false);
    for (const char* f : {"convert", "widths", "trunc_f64_u", "sat"}) Same(f, {Value::I64(a)});
  }
  for (uint64_t v : {0ull, 1ull, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x8000000000000000ull,
                     0xffffffffffffffffull, 0x7fffffffffffffffull, 0x20000000000001ull, 0x8000000000000401ull}) {
    Same("convert", {Value::I64(v)});
  }
}

TEST_F(JitFloatVsInterpreter, ConversionTrapsAgree) {
  for (uint32_t a : {0x7fc00000u, 0x4f000000u, 0xcf000001u, 0x7f800000u}) {
    SCOPED_TRACE(a);
    const Outcome c = Compiled("trunc_f32_s", {Value::I32(a)});
    EXPECT_NE(c.kind, TrapKind::kNone);
    EXPECT_EQ(c, Interpret("trunc_f32_s", {Value::I32(a)}));
  }
}

class JitSimdVsInterpreter : public JitVsInterpreter {
 protected:
  const char* ModuleName() const override { return "jit_simd"; }

  struct Signature {
    std::string name;
    std::vector<ValType> params;
  };
  // Every function export of the module with its parameter types.
  std::vector<Signature> Exports() {
    std::vector<Signature> out;
    Store* store = NewStore(StoreLimits(), HostMemoryProvider());
    InstantiateResult ir = Instantiate(store, interpreted_, nullptr, 0);
    EXPECT_EQ(ir.status, InstantiateStatus::kOk);
    for (const wasm::Export& e : interpreted_->module.exports) {
      if (e.kind != ExternKind::kFunc) continue;
      std::string name = bytes_.substr(e.name.offset, e.name.size);
      FuncInst* f = Export(ir.instance, name.c_str());
      out.push_back({name, std::vector<ValType>(f->params, f->params + f->param_count)});
    }
    FreeStore(store);
    return out;
  }

  // Float lanes of a result from arithmetic (lane width in bits, 0: none):
  // there two NaNs agree, whatever their payloads (Wasm's nondeterminism).
  static int NanLanes(const std::string& name) {
    const bool f32 = name.rfind("f32x4.", 0) == 0, f64 = name.rfind("f64x2.", 0) == 0;
    if (!f32 && !f64) return 0;
    for (const char* exact : {"abs", "neg", "pmin", "pmax", "eq", "ne", "lt", "gt", "le", "ge", "splat",
                              "extract", "replace", "convert_i32x4", "convert_low"}) {
      if (name.find(std::string(".") + exact) != std::string::npos) return 0;
    }
    return f32 ? 32 : 64;
  }
  static bool BothNan(uint64_t x, uint64_t y, int bits) {
    const auto nan = [bits](uint64_t v) {
      return bits == 32 ? (v & 0x7f800000u) == 0x7f800000u && (v & 0x007fffffu) != 0
                        : (v & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (v & 0x000fffffffffffffull) != 0;
    };
    return nan(x) && nan(y);
  }
  void Compare(const std::string& name, const std::vector<Value>& args) {
    Outcome c = Compiled(name.c_str(), args), i = Interpret(name.c_str(), args);
    const int bits = NanLanes(name);
    if (bits != 0 && c.kind == TrapKind::kNone && i.kind == TrapKind::kNone) {
      uint64_t cv[2] = {c.result, c.result_hi}, iv[2] = {i.result, i.result_hi};
      for (int half = 0; half < 2; ++half) {
        for (int shift = 0; shift < 64; shift += bits) {
          const uint64_t mask = bits == 64 ? ~0ull : 0xffffffffull << shift;
          if (BothNan((cv[half] & mask) >> shift, (iv[half] & mask) >> shift, bits)) {
            cv[half] &= ~mask, iv[half] &= ~mask;
          }
        }
      }
      c.result = cv[0], c.result_hi = cv[1], i.result = iv[0], i.result_hi = iv[1];
    }
    ++compared_;
    EXPECT_EQ(c, i) << name << " " << Describe(args);
  }
  static std::string Describe(const std::vector<Value>& args) {
    std::string s;
    char buf[64];
    for (const Value& v : args) {
      std::snprintf(buf, sizeof buf, "%016llx:%016llx ", static_cast<unsigned long long>(v.bits[1]),
                    static_cast<unsigned long long>(v.bits[0]));
      s += buf;
    }
    return s;
  }
  size_t compared_ = 0;
};

Value V128(uint64_t lo, uint64_t hi) {
  Value v;
  v.type = ValType::kV128;
  v.bits[0] = lo, v.bits[1] = hi;
  return v;
}

// Lanes at every width's edges, float specials in both float shapes,
// swizzle indices in and out of range.
const Value kV128s[] = {
    V128(0, 0), V128(~0ull, ~0ull),
    V128(0x0706050403020100, 0x0f0e0d0c0b0a0908),
    V128(0x8080808080808080, 0x7f7f7f7f7f7f7f7f),
    V128(0x8000800080008000, 0x7fff7fff00010000),
    V128(0x800000007fffffff, 0xffffffff00000001),
    V128(0x8000000000000000, 0x7fffffffffffffff),
    V128(0x800000007fc00000, 0x3fc000007f800000),  // f32: NaN, -0, inf, 1.5
    V128(0xcf0000014f000000, 0xbf8000004f800000),  // f32: 2^31, < -2^31, 2^32, -1
    V128(0x000000017fa00001, 0xff80000040200000),  // f32: sNaN, denormal, 2.5, -inf
    V128(0x7ff8000000012345, 0xc1e0000000000000),  // f64: NaN with payload, -2^31
    V128(0x41efffffffe00000, 0xbff8000000000000),  // f64: 2^32 - 1, -1.5
    V128(0x8000000000000000, 0x7ff4000000000001),  // f64: -0, sNaN
    V128(0x4effffff4f32d05e, 0xcf0000004f7fffff),  // f32: 3e9, 2^31 - 128, 2^32 - 256, -2^31
    V128(0x41f0000000000000, 0xc1e0000000200000),  // f64: 2^32, -2^31 - 1
    V128(0x41e65a0bc0000000, 0x41dfffffffe00000),  // f64: 3e9, 2^31 - 0.5
    V128(0xff807f701f100f00, 0x11f002010e8f0503),  // swizzle: 0, 15, 16, 31, 0x70, 0x7f, 0x80, 0xff, ...
    V128(0x0123456789abcdef, 0xfedcba9876543210),
    V128(0xfffefdfc80818283, 0x017f7e7d40c0ff00),
};
// Shift counts below, at and past every lane width; lane values for splat and replace.
const uint32_t kI32s[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0x80, 0xff, 0x7fff, 0x8000,
                          0xffff, 0x80000000u, 0xffffffffu, 0x12345678};
const uint64_t kI64s[] = {0, 1, ~0ull, 0x8000000000000000ull, 0x0123456789abcdefull};
// Addresses at both ends of the one-page memory and past it.
const uint32_t kAddresses[] = {0, 1, 15, 100, 65536 - 19, 65536 - 16, 65536 - 15, 65536 - 8, 65536 - 7,
                               65536 - 4, 65536 - 3, 65536 - 2, 65536 - 1, 65536, 0x7fffffffu,
                               0xfffffff0u, 0xffffffffu};

TEST_F(JitSimdVsInterpreter, EveryInstructionAgreesToTheBitAndTrapsAlike) {
  const std::vector<Signature> exports = Exports();
  ASSERT_GT(exports.size(), 250u);
  for (const Signature& e : exports) {
    SCOPED_TRACE(e.name);
    const bool memory = e.name.rfind("v128.load", 0) == 0 || e.name.rfind("v128.store", 0) == 0;
    // The values each parameter takes.
    std::vector<std::vector<Value>> grids;
    for (size_t p = 0; p < e.params.size(); ++p) {
      std::vector<Value> g;
      switch (e.params[p]) {
        case ValType::kV128:
          // Three v128 operands (bitselect): fewer of each.
          for (size_t i = 0; i < std::size(kV128s); i += e.params.size() > 2 ? 3 : 1) g.push_back(kV128s[i]);
          break;
        case ValType::kI32:
          if (memory && p == 0) {
            for (uint32_t a : kAddresses) g.push_back(Value::I32(a));
          } else {
            for (uint32_t v : kI32s) g.push_back(Value::I32(v));
          }
          break;
        case ValType::kI64:
          for (uint64_t v : kI64s) g.push_back(Value::I64(v));
          break;
        case ValType::kF32:
          for (uint32_t v : kF32Bits) g.push_back(Value::F32Bits(v));
          break;
        case ValType::kF64:
          for (uint64_t v : kF64Bits) g.push_back(Value::F64Bits(v));
          break;
        default:
          FAIL() << "parameter type";
      }
      grids.push_back(g);
    }
    // Every combination.
    std::vector<size_t> at(grids.size(), 0);
    for (;;) {
      std::vector<Value> args;
      for (size_t p = 0; p < grids.size(); ++p) args.push_back(grids[p][at[p]]);
      Compare(e.name, args);
      size_t p = 0;
      while (p < at.size() && ++at[p] == grids[p].size()) at[p++] = 0;
      if (p == at.size()) break;
    }
  }
  EXPECT_GT(compared_, 45000u);
}

TEST_F(JitSimdVsInterpreter, LoopsOverMemoryAgreeAndTrapAtTheEnd) {
  for (uint32_t n : {0u, 16u, 100u, 65536u}) Same("sum_bytes", {Value::I32(n)});
  const Outcome c = Compiled("sum_bytes", {Value::I32(65537)});
  EXPECT_EQ(c.kind, TrapKind::kMemoryOutOfBounds) << c;
  EXPECT_EQ(c, Interpret("sum_bytes", {Value::I32(65537)}));
}

// A module whose x86-64 is large enough for the host's check to split it
// among its workers at the functions' entries: thousands of functions, each
// mixing its argument and calling the one before it, so direct calls cross
// every cut. The check passes it in stretches, and it runs as interpreted.
constexpr uint32_t kChainFunctions = 5000;
constexpr int kChainRounds = 6;

uint32_t RoundConstant(int r) { return 0x9e3779b1u + static_cast<uint32_t>(r) * 0x01000193u; }

std::string ChainModule() {
  using testing::AppendS64;
  using testing::AppendU32;
  testing::Bytes m = testing::Header(), types, funcs, exports, code;
  AppendU32(&types, 1);
  types.insert(types.end(), {0x60, 0x01, 0x7f, 0x01, 0x7f});  // (func (param i32) (result i32))
  AppendU32(&funcs, kChainFunctions);
  funcs.insert(funcs.end(), kChainFunctions, 0x00);
  const uint32_t exported[] = {0, kChainFunctions / 2, kChainFunctions - 1};
  AppendU32(&exports, std::size(exported));
  for (uint32_t f : exported) {
    const std::string name = std::string(1, 'f').append(std::to_string(f));
    AppendU32(&exports, name.size());
    exports.insert(exports.end(), name.begin(), name.end());
    exports.push_back(0x00);
    AppendU32(&exports, f);
  }
  AppendU32(&code, kChainFunctions);
  for (uint32_t i = 0; i < kChainFunctions; ++i) {
    testing::Bytes body = {0x00};  // no locals
    for (int r = 0; r < kChainRounds; ++r) {
      // x = (x + i + r) * c; x ^= rotl(x, 13)
      body.insert(body.end(), {0x20, 0x00, 0x41});
      AppendS64(&body, static_cast<int32_t>(i + r));
      body.insert(body.end(), {0x6a, 0x41});
      AppendS64(&body, static_cast<int32_t>(RoundConstant(r)));
      body.insert(body.end(), {0x6c, 0x22, 0x00, 0x20, 0x00, 0x41, 0x0d, 0x77, 0x73, 0x21, 0x00});
    }
    body.insert(body.end(), {0x20, 0x00});
    if (i > 0) {
      body.push_back(0x10);
      AppendU32(&body, i - 1);
    }
    body.push_back(0x0b);
    AppendU32(&code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  testing::AppendSection(&m, 1, types);
  testing::AppendSection(&m, 3, funcs);
  testing::AppendSection(&m, 7, exports);
  testing::AppendSection(&m, 10, code);
  return std::string(m.begin(), m.end());
}

// f(x) = (f - 1)(mix_f(x)), down to function 0.
uint32_t Chain(uint32_t f, uint32_t x) {
  for (uint32_t i = f + 1; i-- > 0;) {
    for (int r = 0; r < kChainRounds; ++r) {
      x = (x + i + static_cast<uint32_t>(r)) * RoundConstant(r);
      x ^= (x << 13) | (x >> 19);
    }
  }
  return x;
}

class JitLargeModule : public JitVsInterpreter {
 protected:
  std::string Bytes() const override { return ChainModule(); }
  void SetUp() override {
    ASSERT_TRUE(StartCodeCheckWorkers(3).ok());
    split_before_ = CodeChecksSplit();
    JitVsInterpreter::SetUp();
  }
  uint64_t split_before_ = 0;
};

TEST_F(JitLargeModule, IsCheckedInStretchesOnTheWorkersAndRunsAsInterpreted) {
  ASSERT_GE(compiled_->jit->size, 2 * kCodeCheckPiece);
  EXPECT_EQ(CodeChecksSplit(), split_before_ + 1);
  for (uint32_t f : {0u, kChainFunctions / 2, kChainFunctions - 1}) {
    const std::string name = std::string(1, 'f').append(std::to_string(f));
    for (uint32_t x : {0u, 1u, 0xdeadbeefu}) {
      const Outcome c = Compiled(name.c_str(), {Value::I32(x)});
      EXPECT_EQ(c, Interpret(name.c_str(), {Value::I32(x)}));
      EXPECT_EQ(static_cast<uint32_t>(c.result), Chain(f, x)) << name << "(" << x << ")";
    }
  }
}

}  // namespace
}  // namespace palisade::wasm
