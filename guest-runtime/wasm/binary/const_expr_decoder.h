// Decodes a constant expression (global initialisers, segment offsets and
// element items) up to and including its `end`.
#pragma once

#include "wasm/binary/module.h"
#include "wasm/binary/reader.h"

namespace palisade::wasm {

// Reads one constant expression. Format errors go to the reader; an
// expression that is well-formed but not a single constant instruction is
// returned as kEmpty / kTooMany / kNonConstant for the validator to reject.
ConstExpr DecodeConstExpr(Reader& r);

}  // namespace palisade::wasm
