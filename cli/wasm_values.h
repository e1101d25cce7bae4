// Typed Wasm values on the command line: parsing arguments for an export's
// parameter types and printing results so they read back exactly.
#pragma once

#include <string>

#include "wasm/runtime/engine.h"

namespace palisade::cli {

// Parses `text` as a value of type `t`: integers in decimal (signed or
// unsigned) or 0x hex, floats in any strtod form (inf, nan, hex floats).
bool ParseArg(const std::string& text, wasm::ValType t, wasm::Value* out);
const char* TypeName(wasm::ValType t);
// One line: integers signed, floats with enough digits to round-trip.
void Print(const wasm::Value& v);

}  // namespace palisade::cli
