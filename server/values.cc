#include "server/values.h"

#include <cstring>

namespace palisade::server {
namespace {
// Binary-format ValType bytes.
constexpr uint64_t kI32 = 0x7f, kI64 = 0x7e, kF32 = 0x7d, kF64 = 0x7c, kV128 = 0x7b, kFuncref = 0x70,
                   kExternref = 0x6f;
}  // namespace

absl::StatusOr<abi::WasmValue> FromProto(const v1::Value& v) {
  switch (v.value_case()) {
    case v1::Value::kI32: return abi::WasmValue{kI32, static_cast<uint32_t>(v.i32()), 0};
    case v1::Value::kI64: return abi::WasmValue{kI64, static_cast<uint64_t>(v.i64()), 0};
    case v1::Value::kF32Bits: return abi::WasmValue{kF32, v.f32_bits(), 0};
    case v1::Value::kF64Bits: return abi::WasmValue{kF64, v.f64_bits(), 0};
    case v1::Value::kV128: {
      if (v.v128().size() != 16) return absl::InvalidArgumentError("a v128 value is 16 bytes");
      abi::WasmValue w{kV128, 0, 0};
      std::memcpy(&w.lo, v.v128().data(), 8);
      std::memcpy(&w.hi, v.v128().data() + 8, 8);
      return w;
    }
    case v1::Value::VALUE_NOT_SET: break;
  }
  return absl::InvalidArgumentError("a value with no type (set i32, i64, f32_bits, f64_bits or v128)");
}

absl::StatusOr<std::vector<abi::WasmValue>> FromProto(const google::protobuf::RepeatedPtrField<v1::Value>& values) {
  if (values.size() > static_cast<int>(abi::kMaxWasmValues)) return absl::InvalidArgumentError("too many arguments");
  std::vector<abi::WasmValue> out;
  out.reserve(values.size());
  for (const v1::Value& v : values) {
    auto w = FromProto(v);
    if (!w.ok()) return w.status();
    out.push_back(*w);
  }
  return out;
}

absl::StatusOr<v1::Value> ToProto(const abi::WasmValue& w) {
  v1::Value v;
  switch (w.type) {
    case kI32: v.set_i32(static_cast<int32_t>(static_cast<uint32_t>(w.lo))); break;
    case kI64: v.set_i64(static_cast<int64_t>(w.lo)); break;
    case kF32: v.set_f32_bits(static_cast<uint32_t>(w.lo)); break;
    case kF64: v.set_f64_bits(w.lo); break;
    case kV128: {
      char bytes[16];
      std::memcpy(bytes, &w.lo, 8);
      std::memcpy(bytes + 8, &w.hi, 8);
      v.set_v128(std::string(bytes, 16));
      break;
    }
    default:
      return absl::InvalidArgumentError("the function returns a reference, which the API cannot carry");
  }
  return v;
}

v1::ValueType ToProtoType(uint8_t t) {
  switch (t) {
    case kI32: return v1::VALUE_TYPE_I32;
    case kI64: return v1::VALUE_TYPE_I64;
    case kF32: return v1::VALUE_TYPE_F32;
    case kF64: return v1::VALUE_TYPE_F64;
    case kV128: return v1::VALUE_TYPE_V128;
    case kFuncref: return v1::VALUE_TYPE_FUNCREF;
    case kExternref: return v1::VALUE_TYPE_EXTERNREF;
    default: return v1::VALUE_TYPE_UNSPECIFIED;
  }
}

}  // namespace palisade::server
