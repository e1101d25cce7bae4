#include "vmm/sealed_code.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "vmm/code_check_cache.h"
#include "vmm/mapping.h"

namespace palisade {
namespace {

// Address space for compiled code, reserved (PROT_NONE) once within 1.5 GiB
// of this binary's text, so every byte of it is within rel32 reach (2 GiB)
// of every helper there.
// Pages are mapped in for a module and back to PROT_NONE when it goes.
class CodeArena {
 public:
  static constexpr size_t kBytes = 256ull << 20;

  static CodeArena& Get() {
    static CodeArena arena;
    return arena;
  }

  absl::StatusOr<uint8_t*> Take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!reservation_.ok()) return reservation_.status();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second < bytes) continue;
      const size_t at = it->first, left = it->second - bytes;
      free_.erase(it);
      if (left != 0) free_[at + bytes] = left;
      uint8_t* p = reservation_->data() + at;
      if (::mprotect(p, bytes, PROT_READ | PROT_WRITE) != 0) {
        const int err = errno;
        Release(at, bytes);
        return absl::ResourceExhaustedError(absl::StrCat("mapping compiled code: ", std::strerror(err)));
      }
      return p;
    }
    return absl::ResourceExhaustedError(
        absl::StrCat("the compiled-code arena (", kBytes >> 20, " MiB) is full"));
  }

  void Give(uint8_t* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    // Fresh zero pages, inaccessible again: nothing of the old code stays.
    ::mmap(p, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    Release(static_cast<size_t>(p - reservation_->data()), bytes);
  }

 private:
  CodeArena()
      : reservation_(Mapping::CreateNear(kBytes, PROT_NONE, reinterpret_cast<uint64_t>(&CodeArena::Get),
                                         3ull << 29, "the compiled-code arena")) {
    if (reservation_.ok()) free_[0] = kBytes;
  }
  // Back into the free list, merged with its neighbours.
  void Release(size_t at, size_t bytes) {
    auto next = free_.lower_bound(at);
    if (next != free_.end() && at + bytes == next->first) {
      bytes += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == at) {
        prev->second += bytes;
        return;
      }
    }
    free_[at] = bytes;
  }

  std::mutex mu_;
  absl::StatusOr<Mapping> reservation_;
  std::map<size_t, size_t> free_;  // offset -> bytes
};

}  // namespace

absl::StatusOr<SealedCode> SealedCode::Seal(size_t size, std::span<const uint64_t> helpers,
                                            const std::function<bool(uint64_t, uint8_t*)>& write,
                                            std::span<const uint32_t> functions) {
  if (size == 0) return absl::InvalidArgumentError("no compiled code to seal");
  const size_t mapped = (size + 4095) & ~size_t{4095};
  auto p = CodeArena::Get().Take(mapped);
  if (!p.ok()) return p.status();
  SealedCode code(*p, mapped, size);  // gives the pages back on any failure below
  const uint64_t at = reinterpret_cast<uint64_t>(*p);
  if (!write(at, *p)) return absl::InternalError("the compiled code could not be placed (a helper out of reach)");
  if (absl::Status s = CheckCompiledCodeOnce(std::span<const uint8_t>(*p, size),
                                         {.load_address = at, .helper_entries = helpers}, functions);
      !s.ok()) {
    return s;
  }
  if (::mprotect(*p, mapped, PROT_READ | PROT_EXEC) != 0) {
    return absl::InternalError(absl::StrCat("sealing compiled code: ", std::strerror(errno)));
  }
  return code;
}

SealedCode& SealedCode::operator=(SealedCode&& o) noexcept {
  if (this != &o) {
    if (base_ != nullptr) CodeArena::Get().Give(base_, mapped_);
    base_ = std::exchange(o.base_, nullptr);
    mapped_ = std::exchange(o.mapped_, 0);
    size_ = o.size_;
  }
  return *this;
}

SealedCode::~SealedCode() {
  if (base_ != nullptr) CodeArena::Get().Give(base_, mapped_);
}

}  // namespace palisade
