#include "vmm/code_check_cache.h"

#include <openssl/evp.h>

#include <array>
#include <deque>
#include <memory>
#include <mutex>
#include <set>

namespace palisade {
namespace {

using Digest = std::array<uint8_t, 32>;

struct Memory {
  std::mutex mu;
  std::set<Digest> passed;
  std::deque<Digest> order;  // oldest first
};

Memory& Remembered() {
  static Memory m;
  return m;
}

bool DigestOf(std::span<const uint8_t> code, const CodeCheckTarget& target, Digest* out) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned len = 0;
  const uint64_t load = target.load_address, helpers = target.helper_entries.size();
  return ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx.get(), &load, sizeof load) == 1 &&
         EVP_DigestUpdate(ctx.get(), &helpers, sizeof helpers) == 1 &&
         EVP_DigestUpdate(ctx.get(), target.helper_entries.data(), helpers * sizeof(uint64_t)) == 1 &&
         EVP_DigestUpdate(ctx.get(), code.data(), code.size()) == 1 &&
         EVP_DigestFinal_ex(ctx.get(), out->data(), &len) == 1 && len == out->size();
}

// OpenSSL loads its configuration and providers on the first digest. The
// CLI and palisaded confine themselves with seccomp before a guest seals
// its first module, and those file opens would be refused then (SIGSYS):
// one digest at start-up, in every binary that can seal, does them first.
const bool kPrimed = [] {
  Digest d;
  const uint8_t none[1] = {0};
  return DigestOf(std::span<const uint8_t>(none, 0), CodeCheckTarget{}, &d);
}();

}  // namespace

absl::Status CheckCompiledCodeOnce(std::span<const uint8_t> code, const CodeCheckTarget& target,
                                   std::span<const uint32_t> boundary_hints) {
  Digest d;
  (void)kPrimed;
  if (!DigestOf(code, target, &d)) return CheckCompiledCode(code, target, boundary_hints);  // no digest: no memory
  Memory& m = Remembered();
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.passed.count(d) != 0) return absl::OkStatus();
  }
  absl::Status s = CheckCompiledCode(code, target, boundary_hints);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(m.mu);
  if (m.passed.insert(d).second) {
    m.order.push_back(d);
    if (m.order.size() > kCheckedCodeMemory) {
      m.passed.erase(m.order.front());
      m.order.pop_front();
    }
  }
  return s;
}

size_t RememberedCodePasses() {
  std::lock_guard<std::mutex> lock(Remembered().mu);
  return Remembered().passed.size();
}

void ForgetCodePasses() {
  Memory& m = Remembered();
  std::lock_guard<std::mutex> lock(m.mu);
  m.passed.clear();
  m.order.clear();
}

}  // namespace palisade
