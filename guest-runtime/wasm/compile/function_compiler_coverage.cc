// The coverage probes of CompileOptions::coverage (compile/ops.h): what
// `palisade fuzz` feeds its fuzzing engine. Ids are derived from the probe's
// position in the module, so the same module always gets the same ids and a
// saved corpus keeps meaning the same edges.
#include "wasm/compile/function_compiler.h"

namespace palisade::wasm {

namespace {

// Spreads consecutive numbers over 32 bits (murmur3's finaliser), so that
// AFL's (id ^ prev_id >> 1) edge hash rarely collides.
uint32_t Spread(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

bool Is64(Op op) {
  return (op >= Op::kI64Eq && op <= Op::kI64GeU) || (op >= Op::kI64EqImm && op <= Op::kI64GeUImm);
}

}  // namespace

bool FunctionCompiler::EmitBlockProbe() {
  if (!coverage_ || !live()) return true;
  if (!Emit1(Op::kCovEdge, Spread(++probes_))) return false;
  // A probe at a branch target must stay where the label points.
  ForgetLast();
  return true;
}

bool FunctionCompiler::EmitCompareProbe(Op op, uint32_t a, uint64_t b, bool imm) {
  if (!coverage_ || !live()) return true;
  uint32_t site = ++probes_;
  if (!Is64(op)) return Emit3(imm ? Op::kCovCmp32Imm : Op::kCovCmp32, site, a, static_cast<uint32_t>(b));
  if (!imm) return Emit3(Op::kCovCmp64, site, a, static_cast<uint32_t>(b));
  return Emit4(Op::kCovCmp64Imm, site, a, static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32));
}

}  // namespace palisade::wasm
