// Wasm values between the API (v1::Value) and the guest ABI (abi::WasmValue).
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "guest-runtime/abi/hypercall_abi.h"
#include "palisade/v1/palisade.pb.h"

namespace palisade::server {

absl::StatusOr<abi::WasmValue> FromProto(const v1::Value& v);
// A call's arguments; InvalidArgument past abi::kMaxWasmValues.
absl::StatusOr<std::vector<abi::WasmValue>> FromProto(const google::protobuf::RepeatedPtrField<v1::Value>& values);
// References have no API form: InvalidArgument.
absl::StatusOr<v1::Value> ToProto(const abi::WasmValue& v);

// A binary-format value type byte (0x7f = i32, ...) in API terms.
v1::ValueType ToProtoType(uint8_t binary_type);

}  // namespace palisade::server
