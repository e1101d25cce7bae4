#include "vmm/guest_memory_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/guest_layout.h"

namespace palisade {
namespace {

constexpr uint64_t kWasmPage = 64 * 1024;
constexpr uint64_t k2M = 2ull << 20;

uint64_t PerCodeByte(const ModuleNeeds& n) {
  return n.compiler ? kCompilerBytesPerCodeByte : kInterpreterBytesPerCodeByte;
}

// Saturating, so a hostile footprint (2^32 pages, 2^63 bytes) says "too
// much" rather than wrapping into a small number.
uint64_t Add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t Mul(uint64_t a, uint64_t b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

std::string MiB(uint64_t bytes) {
  if (bytes == UINT64_MAX) return "more than the VMM allows";
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

uint64_t GuestMemoryNeed(const ModuleNeeds& n) {
  // The module arrives in the run request and the engine keeps a copy of
  // what is not code (its data segments, names, custom sections).
  const uint64_t rest = n.module_bytes > n.code_bytes ? n.module_bytes - n.code_bytes : 0;
  uint64_t need = kGuestBaseBytes;
  need = Add(need, Mul(n.code_bytes, PerCodeByte(n)));
  need = Add(need, Mul(rest, 2));
  need = Add(need, Mul(n.initial_memory_pages, kWasmPage));
  need = Add(need, n.request_bytes);
  return need;
}

std::string DescribeNeed(const ModuleNeeds& n) {
  return absl::StrCat("about ", MiB(GuestMemoryNeed(n)), " (", MiB(n.code_bytes), " of code at ",
                      PerCodeByte(n), " bytes a byte for the ", n.compiler ? "compiler" : "interpreter",
                      " tier, ", MiB(Mul(n.initial_memory_pages, kWasmPage)),
                      " of initial linear memory, ", MiB(kGuestBaseBytes), " for the guest itself)");
}

absl::StatusOr<uint64_t> ChooseGuestMemory(const ModuleNeeds& needs, const MemoryCeiling& ceiling) {
  const uint64_t need = GuestMemoryNeed(needs);
  const uint64_t cap = ceiling.bytes == 0 ? kMaxGuestMemory : std::min(ceiling.bytes, kMaxGuestMemory);
  const std::string who = ceiling.bytes == 0 || ceiling.bytes > kMaxGuestMemory
                              ? absl::StrCat("the VMM's limit of ", kMaxGuestMemory >> 30, " GiB")
                              : absl::StrCat(ceiling.name, ", ", MiB(ceiling.bytes));
  if (need > cap) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the module needs ", DescribeNeed(needs), " of guest memory, more than ", who));
  }
  // Headroom for what the program allocates once running; whole 2 MiB so
  // one-shot memory is all huge pages.
  uint64_t chosen = std::max(kDefaultGuestMemory, Add(Add(need, need / 8), needs.wanted_bytes));
  chosen = Add(chosen, k2M - 1) / k2M * k2M;
  return std::min(chosen, cap / 4096 * 4096);
}

}  // namespace palisade
