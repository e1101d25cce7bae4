// Values in wast2json's JSON form: parsing arguments and matching results
// (including nan:canonical and nan:arithmetic).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "wasm/runtime/engine.h"

namespace palisade::spec {

// An argument or expected value. Integers and float bits arrive as
// unsigned decimal strings; externref N maps to the opaque word N + 1 so
// that it never collides with null (0).
absl::StatusOr<wasm::Value> ParseValue(const nlohmann::json& j);

// True if `actual` is what `expected` (a JSON value, possibly a NaN
// pattern) describes.
bool Matches(const nlohmann::json& expected, const wasm::Value& actual);

// "i32:42", "f32:0x7fc00000", ... for failure messages.
std::string Describe(const wasm::Value& v);

}  // namespace palisade::spec
