// The compiler tier end to end in process: a module compiled by
// JitCompileModule, placed and checked by SealedCode (the host's code
// check passes everything the tier emits), run through the entry
// trampoline, and compared export by export, argument by argument, with
// the interpreter: the same results, the same traps at the same module
// offsets, fuel running out at the same instruction.
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vmm/sealed_code.h"
#include "wasm/compile/compiled_module.h"
#include "wasm/host/host_memory.h"
#include "wasm/jit/function_jit.h"
#include "wasm/jit/jit_context.h"
#include "wasm/runtime/engine.h"
#include "wasm/runtime/interpreter.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {
namespace {

std::string ModuleBytes(const std::string& name) {
  std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Outcome {
  TrapKind kind = TrapKind::kNone;
  uint32_t func = 0, offset = 0;
  uint64_t result = 0;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "{trap " << static_cast<int>(o.kind) << " (" << TrapMessage(o.kind) << ") func " << o.func
            << " offset " << o.offset << " result " << o.result << "}";
}

class JitVsInterpreter : public ::testing::Test {
 protected:
  virtual const char* ModuleName() const { return "jit_core"; }
  void SetUp() override {
    bytes_ = ModuleBytes(ModuleName());
    Error e = CompileModule(reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size(), &module_);
    ASSERT_TRUE(e.ok()) << e.message;
    ASSERT_TRUE(JitCompileModule(*module_, InterpreterHandlers(), &jit_));
    ASSERT_STREQ(jit_.not_compiled, "") << "function " << jit_.not_compiled_function << ", op "
                                        << jit_.not_compiled_op;
    size_t n = 0;
    const JitHelper* table = JitHelpers(&n);
    for (size_t i = 0; i < n; ++i) helpers_.push_back(reinterpret_cast<uint64_t>(table[i].address));
    auto sealed = SealedCode::Seal(jit_.code.size(), helpers_, [&](uint64_t at, uint8_t* dst) {
      std::memcpy(dst, jit_.code.data(), jit_.code.size());
      for (const x64::Relocation& r : jit_.relocations) {
        const int64_t rel = static_cast<int64_t>(r.target) - static_cast<int64_t>(at + r.offset + 4);
        if (rel < INT32_MIN || rel > INT32_MAX) return false;
        const int32_t v = static_cast<int32_t>(rel);
        std::memcpy(dst + r.offset, &v, 4);
      }
      return true;
    });
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    sealed_ = std::make_unique<SealedCode>(*std::move(sealed));
  }
  void TearDown() override {
    if (module_ != nullptr) FreeCompiledModule(module_);
  }

  // A fresh store and instance for each run, so neither tier sees the
  // other's memory or globals.
  struct Run {
    Store* store = nullptr;
    Instance* instance = nullptr;
    ~Run() {
      if (store != nullptr) FreeStore(store);
    }
  };
  void Start(Run* r, uint64_t fuel) {
    r->store = NewStore(StoreLimits(), HostMemoryProvider());
    ASSERT_NE(r->store, nullptr);
    if (fuel != 0) SetFuel(r->store, true, fuel);
    InstantiateResult ir = Instantiate(r->store, module_, nullptr, 0);
    ASSERT_EQ(ir.status, InstantiateStatus::kOk);
    r->instance = ir.instance;
    ASSERT_TRUE(ReserveStacks(r->store));
  }
  FuncInst* Export(Instance* inst, const char* name) {
    Extern e;
    EXPECT_TRUE(FindExport(inst, name, std::strlen(name), &e)) << name;
    return static_cast<FuncInst*>(e.object);
  }

  Outcome Interpret(const char* name, const std::vector<Value>& args, uint64_t fuel = 0) {
    Run r;
    Start(&r, fuel);
    FuncInst* f = Export(r.instance, name);
    Value results[1];
    Trap t = Invoke(r.store, f, args.data(), args.size(), results, 1);
    Outcome o{t.kind, t.func_index, t.offset, 0};
    if (t.ok() && f->result_count == 1) o.result = results[0].bits[0];
    return o;
  }

  Outcome Compiled(const char* name, const std::vector<Value>& args, uint64_t fuel = 0) {
    Run r;
    Start(&r, fuel);
    FuncInst* f = Export(r.instance, name);
    Store* s = r.store;
    uint64_t* fp = s->value_sp;
    for (size_t i = 0; i < args.size(); ++i) fp[i] = args[i].bits[0];
    JitContext ctx;
    ctx.store = s;
    ctx.memory = r.instance->memory0;
    ctx.globals = r.instance->globals.data();
    ctx.stack_end = s->value_stack + s->value_stack_slots;
    ctx.depth = 1;
    ctx.depth_limit = static_cast<uint32_t>(s->call_stack_frames);
    const uint32_t defined = f->code - module_->functions.data();
    auto enter = reinterpret_cast<JitEnter>(const_cast<uint8_t*>(sealed_->base()) + jit_.trampoline);
    const uint32_t kind = enter(&ctx, fp, sealed_->base() + jit_.entries[defined]);
    if (s->fuel_enabled && ctx.budget > 0) s->fuel += static_cast<uint64_t>(ctx.budget);
    Outcome o;
    o.kind = static_cast<TrapKind>(kind);
    if (kind != 0) {
      const CompiledFunction& tf = module_->functions[ctx.trap_func];
      o.func = tf.func_index;
      o.offset = WasmOffsetOf(*module_, tf, ctx.trap_word);
    } else if (f->result_count == 1) {
      o.result = f->results[0] == ValType::kI32 ? static_cast<uint32_t>(fp[0]) : fp[0];
    }
    return o;
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

  std::string bytes_;
  CompiledModule* module_ = nullptr;
  JitModule jit_;
  std::unique_ptr<SealedCode> sealed_;
  std::vector<uint64_t> helpers_;
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
  Same("deep", {Value::I32(500)});
  Same("spin", {Value::I32(100000)});
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

}  // namespace
}  // namespace palisade::wasm
