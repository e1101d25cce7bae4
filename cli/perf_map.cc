#include "cli/perf_map.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/unique_fd.h"
#include "wasm/jit/function_jit.h"
#include "wasm/runtime/engine.h"

namespace palisade::cli {

namespace {

// One line a symbol: a name with a newline in it (names are the module's,
// and the file's, to choose) must not start a line of its own.
std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\0') c = '?';
  }
  return out;
}

}  // namespace

std::string PerfMapPath() { return absl::StrCat("/tmp/perf-", ::getpid(), ".map"); }

std::string PerfMapLines(const wasm::CompiledModule& module, std::string_view module_name) {
  if (module.jit_code == nullptr || module.jit == nullptr) return "";
  const wasm::JitModule& jit = *module.jit;
  const std::string label = OneLine(module_name);
  const auto base = reinterpret_cast<uintptr_t>(module.jit_code);
  const size_t defined = jit.entries.size();
  std::string out;
  // Functions follow the trampoline in index order, each with its own
  // out-of-line trap paths, so one ends where the next begins; the last
  // ends at the shared trap exit.
  const uint32_t first = defined > 0 ? jit.entries[0] : jit.exit;
  absl::StrAppendFormat(&out, "%x %x wasm[%s]::<entry trampoline>\n", base + jit.trampoline,
                        first - jit.trampoline, label);
  for (size_t i = 0; i < defined; ++i) {
    const uint32_t start = jit.entries[i];
    const uint32_t end = i + 1 < defined ? jit.entries[i + 1] : jit.exit;
    if (end <= start) continue;
    const uint32_t index = module.module.imported_funcs + static_cast<uint32_t>(i);
    size_t len = 0;
    const char* name = wasm::FunctionNameOf(&module, index, &len);
    const std::string shown = name != nullptr && len > 0 ? OneLine(std::string_view(name, len))
                                                         : absl::StrCat("func[", index, "]");
    absl::StrAppendFormat(&out, "%x %x wasm[%s]::%s\n", base + start, end - start, label, shown);
  }
  if (jit.size > jit.exit) {
    absl::StrAppendFormat(&out, "%x %x wasm[%s]::<trap exit>\n", base + jit.exit, jit.size - jit.exit, label);
  }
  return out;
}

absl::Status AppendPerfMap(const wasm::CompiledModule& module, std::string_view module_name,
                           const std::string& path) {
  const std::string lines = PerfMapLines(module, module_name);
  if (lines.empty()) return absl::OkStatus();
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("perf map ", path, ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < lines.size()) {
    const ssize_t n = ::write(fd.get(), lines.data() + done, lines.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError(absl::StrCat("perf map ", path, ": ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace palisade::cli
