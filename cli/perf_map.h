// Names for compiled Wasm in `perf report`: perf reads symbols for code that
// no file backs from /tmp/perf-PID.map ("START SIZE NAME" a line, hex
// without 0x), the convention V8's --perf-basic-prof and Wasmtime's
// --profile=perfmap follow. In process only: a micro-VM's code lives in
// guest memory, where the host's perf does not sample it by name.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "wasm/compile/compiled_module.h"

namespace palisade::cli {

// /tmp/perf-<this process's pid>.map
std::string PerfMapPath();

// The lines for a module that runs compiled: the entry trampoline, then each
// defined function as "wasm[MODULE]::NAME" (NAME from the `name` section,
// or "func[INDEX]" by Wasm function index), from its entry to the next one's.
// Empty when the module runs interpreted.
std::string PerfMapLines(const wasm::CompiledModule& module, std::string_view module_name);

// Appends PerfMapLines to `path` (created 0644 if absent; a symbolic link
// there is refused, since /tmp is shared).
absl::Status AppendPerfMap(const wasm::CompiledModule& module, std::string_view module_name,
                           const std::string& path);

}  // namespace palisade::cli
