// The SIMD part of FunctionCompiler: validates and emits every 0xfd
// instruction from the table in compile/simd_opcodes.h.
#include "wasm/compile/function_compiler.h"
#include "wasm/compile/simd_opcodes.h"

namespace palisade::wasm {

namespace {

const SimdOpcode* FindSimdOpcode(uint32_t code) {
  size_t lo = 0, hi = sizeof(kSimdOpcodes) / sizeof(kSimdOpcodes[0]);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kSimdOpcodes[mid].code < code) lo = mid + 1; else hi = mid;
  }
  if (lo == sizeof(kSimdOpcodes) / sizeof(kSimdOpcodes[0]) || kSimdOpcodes[lo].code != code) {
    return nullptr;
  }
  return &kSimdOpcodes[lo];
}

constexpr ValType kI32 = ValType::kI32;
constexpr ValType kV128 = ValType::kV128;

}  // namespace

bool FunctionCompiler::CompileSimd() {
  uint32_t code = r_.U32();
  if (!r_.ok()) return false;
  const SimdOpcode* s = FindSimdOpcode(code);
  if (s == nullptr) return Fail(ErrorKind::kMalformed, "illegal opcode");
  uint32_t offset = 0, lane = 0;
  auto memarg = [&]() {
    uint32_t align = r_.U32();
    offset = r_.U32();
    if (!r_.ok()) return false;
    if (m_.memories.empty()) return Invalid("unknown memory 0");
    if (align > s->natural_log2) return Invalid("alignment must not be larger than natural");
    return true;
  };
  auto lane_index = [&](uint32_t limit) {
    lane = r_.U8();
    if (!r_.ok()) return false;
    if (lane >= limit) return Invalid("invalid lane index");
    return true;
  };
  // Pops operands (types in push order), pushes the result, and emits
  // op with [dst] slots... extra words.
  Entry e[3];
  uint32_t slots[3] = {0, 0, 0};
  auto pop = [&](const ValType* types, uint32_t n) {
    for (uint32_t i = n; i > 0; --i) {
      if (!Pop(types[i - 1], &e[i - 1])) return false;
    }
    if (!live()) return true;
    for (uint32_t i = 0; i < n; ++i) {
      if (!SlotOf(e[i], &slots[i])) return false;
    }
    return true;
  };
  uint32_t w[9];
  uint32_t dst = 0;
  switch (s->form) {
    case SimdForm::kNone:
      return Fail(ErrorKind::kMalformed, "illegal opcode");
    case SimdForm::kLoad: {
      static constexpr ValType t[] = {kI32};
      if (!memarg() || !pop(t, 1) || !PushTemp(kV128, &dst)) return false;
      w[0] = dst, w[1] = slots[0], w[2] = offset;
      if (!live()) return true;
      if (!Emit(s->op, w, 3)) return false;
      break;
    }
    case SimdForm::kStore: {
      static constexpr ValType t[] = {kI32, kV128};
      if (!memarg() || !pop(t, 2)) return false;
      w[0] = slots[0], w[1] = slots[1], w[2] = offset;
      return Emit(s->op, w, 3);
    }
    case SimdForm::kLoadLane: {
      static constexpr ValType t[] = {kI32, kV128};
      if (!memarg() || !lane_index(s->lanes) || !pop(t, 2) || !PushTemp(kV128, &dst)) return false;
      w[0] = dst, w[1] = slots[0], w[2] = slots[1], w[3] = offset, w[4] = lane;
      if (!live()) return true;
      if (!Emit(s->op, w, 5)) return false;
      break;
    }
    case SimdForm::kStoreLane: {
      static constexpr ValType t[] = {kI32, kV128};
      if (!memarg() || !lane_index(s->lanes) || !pop(t, 2)) return false;
      w[0] = slots[0], w[1] = slots[1], w[2] = offset, w[3] = lane;
      return Emit(s->op, w, 4);
    }
    case SimdForm::kConst: {
      uint8_t bytes[16];
      for (uint8_t& b : bytes) b = r_.U8();
      if (!r_.ok() || !PushTemp(kV128, &dst)) return false;
      w[0] = dst;
      __builtin_memcpy(w + 1, bytes, 16);
      if (!live()) return true;
      if (!Emit(s->op, w, 5)) return false;
      break;
    }
    case SimdForm::kShuffle: {
      uint8_t lanes[16];
      for (uint8_t& l : lanes) {
        l = r_.U8();
        if (!r_.ok()) return false;
        if (l >= 32) return Invalid("invalid lane index");
      }
      static constexpr ValType t[] = {kV128, kV128};
      if (!pop(t, 2) || !PushTemp(kV128, &dst)) return false;
      w[0] = dst, w[1] = slots[0], w[2] = slots[1];
      __builtin_memcpy(w + 3, lanes, 16);
      if (!live()) return true;
      if (!Emit(s->op, w, 7)) return false;
      break;
    }
    case SimdForm::kSplat: {
      ValType t[] = {s->scalar};
      if (!pop(t, 1) || !PushTemp(kV128, &dst)) return false;
      w[0] = dst, w[1] = slots[0];
      if (!live()) return true;
      if (!Emit(s->op, w, 2)) return false;
      break;
    }
    case SimdForm::kExtract: {
      static constexpr ValType t[] = {kV128};
      if (!lane_index(s->lanes) || !pop(t, 1) || !PushTemp(s->scalar, &dst)) return false;
      w[0] = dst, w[1] = slots[0], w[2] = lane;
      if (!live()) return true;
      if (!Emit(s->op, w, 3)) return false;
      break;
    }
    case SimdForm::kReplace: {
      ValType t[] = {kV128, s->scalar};
      if (!lane_index(s->lanes) || !pop(t, 2) || !PushTemp(kV128, &dst)) return false;
      w[0] = dst, w[1] = slots[0], w[2] = slots[1], w[3] = lane;
      if (!live()) return true;
      if (!Emit(s->op, w, 4)) return false;
      break;
    }
    case SimdForm::kUnary:
    case SimdForm::kBinary:
    case SimdForm::kTernary:
    case SimdForm::kTest:
    case SimdForm::kShift: {
      static constexpr ValType vvv[] = {kV128, kV128, kV128};
      static constexpr ValType vi[] = {kV128, kI32};
      uint32_t n = s->form == SimdForm::kBinary ? 2 : s->form == SimdForm::kTernary ? 3
                 : s->form == SimdForm::kShift ? 2 : 1;
      const ValType* t = s->form == SimdForm::kShift ? vi : vvv;
      ValType out = s->form == SimdForm::kTest ? kI32 : kV128;
      if (!pop(t, n) || !PushTemp(out, &dst)) return false;
      w[0] = dst;
      for (uint32_t i = 0; i < n; ++i) w[1 + i] = slots[i];
      if (!live()) return true;
      if (!Emit(s->op, w, n + 1)) return false;
      break;
    }
  }
  last_dst_word_ = last_instr_ + 2;
  return true;
}

}  // namespace palisade::wasm
