#include "vmm/sealed_code.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "vmm/code_check.h"

namespace palisade {

absl::StatusOr<SealedCode> SealedCode::Seal(size_t size, std::span<const uint64_t> helpers,
                                            const std::function<bool(uint64_t, uint8_t*)>& write) {
  if (size == 0) return absl::InvalidArgumentError("no compiled code to seal");
  const size_t mapped = (size + 4095) & ~size_t{4095};
  // Near the first helper: every helper lives in this binary's text.
  const uint64_t near = helpers.empty() ? reinterpret_cast<uint64_t>(&SealedCode::Seal) : helpers[0];
  auto m = Mapping::CreateNear(mapped, PROT_READ | PROT_WRITE, near, 1ull << 31, "compiled code");
  if (!m.ok()) return m.status();
  const uint64_t at = reinterpret_cast<uint64_t>(m->data());
  if (!write(at, m->data())) return absl::InternalError("the compiled code could not be placed (a helper out of reach)");
  if (absl::Status s = CheckCompiledCode(std::span<const uint8_t>(m->data(), size),
                                         {.load_address = at, .helper_entries = helpers});
      !s.ok()) {
    return s;
  }
  if (::mprotect(m->data(), mapped, PROT_READ | PROT_EXEC) != 0) {
    return absl::InternalError(absl::StrCat("sealing compiled code: ", std::strerror(errno)));
  }
  return SealedCode(*std::move(m), size);
}

}  // namespace palisade
