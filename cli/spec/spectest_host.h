// The `spectest` module the spec tests import: print functions, globals,
// a table and a memory, with the values the reference interpreter uses.
#pragma once

#include <map>
#include <string>

#include "wasm/runtime/engine.h"

namespace palisade::spec {

// Creates spectest's exports in `store`, keyed by field name.
std::map<std::string, wasm::Extern> MakeSpectest(wasm::Store* store);

}  // namespace palisade::spec
