// The compiler and interpreter on cases chosen to break their tricks
// (stack entries naming locals, results written into locals, fused
// compares, value moves at branches) and on traps, depth and fuel limits.
#include <thread>

#include "tests/wasm/engine_test_support.h"

namespace palisade::wasm::testing {
namespace {

using I = Value;

TEST_F(EngineTest, PushedLocalKeepsItsValueWhenTheLocalChanges) {
  Load("stack_hazards");
  EXPECT_EQ(CallValue("old_value_survives_set", {I::I32(10), I::I32(3)}), 7u);
  EXPECT_EQ(CallValue("old_value_survives_loop", {I::I32(5)}), 5u);
  EXPECT_EQ(CallValue("old_value_survives_if", {I::I32(1), I::I32(1)}), 101u);
  EXPECT_EQ(CallValue("old_value_survives_if", {I::I32(1), I::I32(0)}), 2u);
}

TEST_F(EngineTest, ResultsWrittenIntoLocalsAndFusedBranches) {
  Load("stack_hazards");
  EXPECT_EQ(CallValue("increment", {I::I32(41)}), 42u);
  EXPECT_EQ(CallValue("less_than_ten", {I::I32(3)}), 7u);
  EXPECT_EQ(CallValue("less_than_ten", {I::I32(10)}), 8u);
  EXPECT_EQ(CallValue("less_than_ten", {I::I32(0xffffffffu)}), 7u);  // signed: -1 < 10
  EXPECT_EQ(CallValue("const_below_block", {I::I32(1)}), 6u);
  EXPECT_EQ(CallValue("const_below_block", {I::I32(0)}), 5u);
  EXPECT_EQ(CallValue("tee_chain", {I::I32(3)}), 18u);
  EXPECT_EQ(CallValue("sum_to", {I::I64(100000)}), 5000050000u);
}

TEST_F(EngineTest, MultipleResultsAndBrTable) {
  Load("stack_hazards");
  std::vector<Value> r;
  ASSERT_TRUE(Call("swap", {I::I32(1), I::I32(2)}, &r).ok());
  EXPECT_EQ(r[0].i32(), 2u);
  EXPECT_EQ(r[1].i32(), 1u);
  EXPECT_EQ(CallValue("table", {I::I32(0)}), 13u);
  EXPECT_EQ(CallValue("table", {I::I32(1)}), 12u);
  EXPECT_EQ(CallValue("table", {I::I32(2)}), 10u);
  EXPECT_EQ(CallValue("table", {I::I32(99)}), 10u);
}

TEST_F(EngineTest, CallsAndIndirectCalls) {
  Load("calls");
  EXPECT_EQ(CallValue("fib", {I::I32(20)}), 6765u);
  EXPECT_EQ(CallValue("call_indirect", {I::I32(0), I::I32(10)}), 55u);
  EXPECT_EQ(CallValue("call_indirect", {I::I32(1), I::I32(21)}), 42u);
  std::vector<Value> r;
  EXPECT_EQ(Call("call_indirect", {I::I32(2), I::I32(0)}, &r).kind, TrapKind::kUninitializedElement);
  EXPECT_EQ(Call("call_indirect", {I::I32(4), I::I32(0)}, &r).kind, TrapKind::kUndefinedElement);
  EXPECT_EQ(Call("call_indirect_wrong_type", {I::I32(0)}, &r).kind,
            TrapKind::kIndirectCallTypeMismatch);
}

TEST_F(EngineTest, IndirectCallIndexInALocalAfterAV128Local) {
  Load("indirect_index");
  EXPECT_EQ(CallValue("pick", {I::I32(0)}), 100u);
  EXPECT_EQ(CallValue("pick", {I::I32(1)}), 12u);  // 7 + lane 1 of the v128
  std::vector<Value> r;
  EXPECT_EQ(Call("pick", {I::I32(2)}, &r).kind, TrapKind::kUndefinedElement);
  EXPECT_EQ(Call("pick", {I::I32(0xfffffffe)}, &r).kind, TrapKind::kUndefinedElement);
}

TEST_F(EngineTest, DeepRecursionTrapsInsteadOfOverflowingTheHostStack) {
  StoreLimits limits;
  limits.max_call_depth = 100000;
  Load("calls", limits);
  std::vector<Value> r;
  Trap t = Call("recurse_forever", {I::I32(0)}, &r);
  EXPECT_EQ(t.kind, TrapKind::kCallStackExhausted);
  // The store stays usable.
  EXPECT_EQ(CallValue("fib", {I::I32(10)}), 55u);
}

TEST_F(EngineTest, FuelStopsAnEndlessLoopDeterministically) {
  Load("calls");
  SetFuel(store_, true, 1000);
  std::vector<Value> r;
  EXPECT_EQ(Call("spin", {}, &r).kind, TrapKind::kFuelExhausted);
  EXPECT_EQ(RemainingFuel(store_), 0u);
  // A loop of 500 iterations costs the same fuel every time.
  SetFuel(store_, true, 10000);
  EXPECT_EQ(CallValue("count", {I::I32(500)}), 500u);
  uint64_t used = 10000 - RemainingFuel(store_);
  SetFuel(store_, true, 10000);
  EXPECT_EQ(CallValue("count", {I::I32(500)}), 500u);
  EXPECT_EQ(10000 - RemainingFuel(store_), used);
  EXPECT_GE(used, 500u);
}

TEST_F(EngineTest, InterruptFromAnotherThreadStopsASpinningFunction) {
  Load("calls");
  std::thread stopper([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Interrupt(store_);
  });
  std::vector<Value> r;
  Trap t = Call("spin", {}, &r);
  stopper.join();
  EXPECT_EQ(t.kind, TrapKind::kInterrupted);
  EXPECT_EQ(CallValue("fib", {I::I32(5)}), 5u);
}

TEST_F(EngineTest, MemoryAccessesAreBoundsChecked) {
  Load("memory");
  EXPECT_EQ(CallValue("load8", {I::I32(16)}), static_cast<uint32_t>('h'));
  EXPECT_EQ(CallValue("load_offset", {I::I32(0)}), 0u);
  std::vector<Value> r;
  Trap t = Call("load_offset", {I::I32(1)}, &r);
  EXPECT_EQ(t.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_GT(t.offset, 0u);
  EXPECT_EQ(Call("load8", {I::I32(65536)}, &r).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(Call("load8", {I::I32(0xffffffffu)}, &r).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(Call("store", {I::I32(65533), I::I32(1)}, &r).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(CallValue("size", {}), 1u);
  EXPECT_EQ(CallValue("grow", {I::I32(1)}), 1u);
  EXPECT_EQ(CallValue("load8", {I::I32(65536)}), 0u);
  EXPECT_EQ(CallValue("grow", {I::I32(3)}), 0xffffffffu);  // past the declared max of 4
  EXPECT_EQ(CallValue("size", {}), 2u);
  EXPECT_EQ(Call("fill", {I::I32(131000), I::I32(1), I::I32(1000)}, &r).kind,
            TrapKind::kMemoryOutOfBounds);
}

TEST_F(EngineTest, DivisionTraps) {
  Load("memory");
  std::vector<Value> r;
  EXPECT_EQ(Call("div", {I::I32(1), I::I32(0)}, &r).kind, TrapKind::kIntegerDivideByZero);
  EXPECT_EQ(Call("div", {I::I32(0x80000000u), I::I32(0xffffffffu)}, &r).kind,
            TrapKind::kIntegerOverflow);
  EXPECT_EQ(CallValue("div", {I::I32(0xfffffff9u), I::I32(2)}), 0xfffffffdu);
}

}  // namespace
}  // namespace palisade::wasm::testing
