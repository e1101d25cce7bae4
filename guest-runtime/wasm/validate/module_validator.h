// Module-level validation (spec 3.4.10): everything except function bodies,
// which the code compiler validates as it translates them (compile/).
#pragma once

#include "wasm/binary/module.h"
#include "wasm/support/error.h"

namespace palisade::wasm {

// Checks type indices, limits, the single memory, global and segment
// initialisers (constant expressions and their types), export names unique,
// start function type, element/data segment targets, ref.func declarations.
Error ValidateModule(const Module& module);

// The type a constant expression produces, after checking it against the
// module (global.get may name only imported, immutable globals in 2.0).
Error CheckConstExpr(const Module& module, const ConstExpr& expr, ValType expected,
                     const char* section);

}  // namespace palisade::wasm
