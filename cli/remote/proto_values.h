// Wasm values between the CLI's text form (cli/wasm_values.h) and the API's
// v1::Value / v1::ValueType.
#pragma once

#include <optional>

#include "palisade/v1/palisade.pb.h"
#include "wasm/runtime/engine.h"

namespace palisade::cli {

// nullopt for types the API cannot carry (references, unspecified).
std::optional<wasm::ValType> FromProtoType(v1::ValueType t);
v1::Value ToProtoValue(const wasm::Value& v);
// nullopt for a value with no type or a v128 of the wrong size.
std::optional<wasm::Value> FromProtoValue(const v1::Value& v);

}  // namespace palisade::cli
