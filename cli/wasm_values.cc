#include "cli/wasm_values.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace palisade::cli {

bool ParseArg(const std::string& text, wasm::ValType t, wasm::Value* out) {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  switch (t) {
    case wasm::ValType::kI32:
    case wasm::ValType::kI64: {
      bool neg = s[0] == '-';
      uint64_t v = neg ? static_cast<uint64_t>(std::strtoll(s, &end, 0)) : std::strtoull(s, &end, 0);
      if (text.empty() || *end != '\0' || errno != 0) return false;
      if (t == wasm::ValType::kI32) {
        int64_t sv = static_cast<int64_t>(v);
        if (neg ? sv < INT32_MIN : v > UINT32_MAX) return false;
        *out = wasm::Value::I32(static_cast<uint32_t>(v));
      } else {
        *out = wasm::Value::I64(v);
      }
      return true;
    }
    case wasm::ValType::kF32: {
      float f = std::strtof(s, &end);
      if (text.empty() || *end != '\0') return false;
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      *out = wasm::Value::F32Bits(bits);
      return true;
    }
    case wasm::ValType::kF64: {
      double d = std::strtod(s, &end);
      if (text.empty() || *end != '\0') return false;
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      *out = wasm::Value::F64Bits(bits);
      return true;
    }
    default:
      return false;
  }
}

const char* TypeName(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::kI32: return "i32";
    case wasm::ValType::kI64: return "i64";
    case wasm::ValType::kF32: return "f32";
    case wasm::ValType::kF64: return "f64";
    case wasm::ValType::kV128: return "v128";
    case wasm::ValType::kFuncRef: return "funcref";
    case wasm::ValType::kExternRef: return "externref";
  }
  return "?";
}

void Print(const wasm::Value& v) {
  switch (v.type) {
    case wasm::ValType::kI32: std::printf("%" PRId32 "\n", static_cast<int32_t>(v.i32())); break;
    case wasm::ValType::kI64: std::printf("%" PRId64 "\n", static_cast<int64_t>(v.i64())); break;
    case wasm::ValType::kF32: {
      uint32_t b = v.i32();
      float f;
      std::memcpy(&f, &b, 4);
      std::printf("%.9g\n", static_cast<double>(f));
      break;
    }
    case wasm::ValType::kF64: {
      uint64_t b = v.i64();
      double d;
      std::memcpy(&d, &b, 8);
      std::printf("%.17g\n", d);
      break;
    }
    default:
      std::printf("%s:%s\n", TypeName(v.type), v.bits[0] == 0 ? "null" : "ref");
      break;
  }
}

}  // namespace palisade::cli
