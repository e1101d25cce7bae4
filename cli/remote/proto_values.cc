#include "cli/remote/proto_values.h"

#include <cstring>

namespace palisade::cli {

std::optional<wasm::ValType> FromProtoType(v1::ValueType t) {
  switch (t) {
    case v1::VALUE_TYPE_I32: return wasm::ValType::kI32;
    case v1::VALUE_TYPE_I64: return wasm::ValType::kI64;
    case v1::VALUE_TYPE_F32: return wasm::ValType::kF32;
    case v1::VALUE_TYPE_F64: return wasm::ValType::kF64;
    case v1::VALUE_TYPE_V128: return wasm::ValType::kV128;
    default: return std::nullopt;
  }
}

v1::Value ToProtoValue(const wasm::Value& v) {
  v1::Value out;
  switch (v.type) {
    case wasm::ValType::kI32: out.set_i32(static_cast<int32_t>(static_cast<uint32_t>(v.bits[0]))); break;
    case wasm::ValType::kI64: out.set_i64(static_cast<int64_t>(v.bits[0])); break;
    case wasm::ValType::kF32: out.set_f32_bits(static_cast<uint32_t>(v.bits[0])); break;
    case wasm::ValType::kF64: out.set_f64_bits(v.bits[0]); break;
    case wasm::ValType::kV128: {
      char bytes[16];
      std::memcpy(bytes, &v.bits[0], 8);
      std::memcpy(bytes + 8, &v.bits[1], 8);
      out.set_v128(std::string(bytes, 16));
      break;
    }
    default: break;  // references: left unset, which the server refuses
  }
  return out;
}

std::optional<wasm::Value> FromProtoValue(const v1::Value& p) {
  wasm::Value v{};
  switch (p.value_case()) {
    case v1::Value::kI32:
      v.type = wasm::ValType::kI32;
      v.bits[0] = static_cast<uint32_t>(p.i32());
      return v;
    case v1::Value::kI64:
      v.type = wasm::ValType::kI64;
      v.bits[0] = static_cast<uint64_t>(p.i64());
      return v;
    case v1::Value::kF32Bits:
      v.type = wasm::ValType::kF32;
      v.bits[0] = p.f32_bits();
      return v;
    case v1::Value::kF64Bits:
      v.type = wasm::ValType::kF64;
      v.bits[0] = p.f64_bits();
      return v;
    case v1::Value::kV128:
      if (p.v128().size() != 16) return std::nullopt;
      v.type = wasm::ValType::kV128;
      std::memcpy(&v.bits[0], p.v128().data(), 8);
      std::memcpy(&v.bits[1], p.v128().data() + 8, 8);
      return v;
    case v1::Value::VALUE_NOT_SET: break;
  }
  return std::nullopt;
}

}  // namespace palisade::cli
