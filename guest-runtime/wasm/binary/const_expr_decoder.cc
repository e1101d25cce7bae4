#include "wasm/binary/const_expr_decoder.h"

namespace palisade::wasm {

ConstExpr DecodeConstExpr(Reader& r) {
  ConstExpr e;
  e.offset = r.offset();
  uint32_t constants = 0;
  bool non_constant = false;
  // Bounded by the section: every iteration consumes at least one byte.
  while (r.ok()) {
    if (r.at_end()) {
      r.Fail(ErrorKind::kMalformed, "unexpected end of section or function");
      break;
    }
    uint8_t op = r.U8();
    switch (op) {
      case 0x0b:  // end
        if (non_constant) e.op = ConstExpr::Op::kNonConstant;
        else if (constants == 0) e.op = ConstExpr::Op::kEmpty;
        else if (constants > 1) e.op = ConstExpr::Op::kTooMany;
        return e;
      case 0x41:
        e.op = ConstExpr::Op::kI32Const;
        e.type = ValType::kI32;
        e.bits[0] = static_cast<uint32_t>(r.S32());
        ++constants;
        break;
      case 0x42:
        e.op = ConstExpr::Op::kI64Const;
        e.type = ValType::kI64;
        e.bits[0] = static_cast<uint64_t>(r.S64());
        ++constants;
        break;
      case 0x43:
        e.op = ConstExpr::Op::kF32Const;
        e.type = ValType::kF32;
        e.bits[0] = r.F32Bits();
        ++constants;
        break;
      case 0x44:
        e.op = ConstExpr::Op::kF64Const;
        e.type = ValType::kF64;
        e.bits[0] = r.F64Bits();
        ++constants;
        break;
      case 0xd0: {
        uint8_t t = r.U8();
        if (r.ok() && t != 0x70 && t != 0x6f) {
          r.Fail(ErrorKind::kMalformed, "malformed reference type");
        }
        e.op = ConstExpr::Op::kRefNull;
        e.type = static_cast<ValType>(t);
        ++constants;
        break;
      }
      case 0xd2:
        e.op = ConstExpr::Op::kRefFunc;
        e.type = ValType::kFuncRef;
        e.index = r.U32();
        ++constants;
        break;
      case 0x23:
        e.op = ConstExpr::Op::kGlobalGet;
        e.index = r.U32();
        ++constants;
        break;
      case 0xfd: {  // v128.const
        uint32_t sub = r.U32();
        if (!r.ok()) break;
        if (sub != 12) {
          non_constant = true;
          r.Fail(ErrorKind::kMalformed, "illegal opcode");
          break;
        }
        const uint8_t* p = r.Bytes(16);
        if (p == nullptr) break;
        e.op = ConstExpr::Op::kV128Const;
        e.type = ValType::kV128;
        __builtin_memcpy(e.bits, p, 16);
        ++constants;
        break;
      }
      // Instructions that are valid elsewhere but not constant: skip their
      // immediates so the expression's end can still be found.
      case 0x01: case 0x1a: case 0x1b: case 0x0f: case 0x00:
        non_constant = true;
        break;
      case 0x10: case 0x0c: case 0x0d: case 0x20: case 0x21: case 0x22: case 0x24:
      case 0x25: case 0x26:
        (void)r.U32();
        non_constant = true;
        break;
      case 0x3f: case 0x40:
        (void)r.U8();
        non_constant = true;
        break;
      default:
        if (op >= 0x45 && op <= 0xc4) {
          non_constant = true;
        } else if (op >= 0x28 && op <= 0x3e) {
          (void)r.U32();
          (void)r.U32();
          non_constant = true;
        } else {
          r.Fail(ErrorKind::kMalformed, "illegal opcode");
        }
        break;
    }
  }
  return e;
}

}  // namespace palisade::wasm
