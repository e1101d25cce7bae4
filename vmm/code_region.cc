#include "vmm/code_region.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "common/status_macros.h"
#include "vmm/code_check_cache.h"

namespace palisade {
namespace {

// Sealed blocks start on cache lines: no two modules share one.
constexpr uint64_t kBlockAlign = 64;
constexpr uint8_t kInt3 = 0xcc;

}  // namespace

std::vector<uint64_t> ImageJitHelpers(const ElfImage& image) {
  std::vector<uint64_t> helpers;
  for (const ElfSymbol& s : image.functions()) {
    if (absl::StartsWith(s.name, "PalisadeJit")) helpers.push_back(s.address);
  }
  std::sort(helpers.begin(), helpers.end());
  return helpers;
}

CodeRegion::CodeRegion(uint64_t gpa, uint64_t bytes, std::vector<uint64_t> helpers)
    : gpa_(gpa), bytes_(bytes) {
  std::sort(helpers.begin(), helpers.end());
  helpers_ = std::make_shared<const std::vector<uint64_t>>(std::move(helpers));
}

uint64_t CodeRegion::bytes_in_use() const {
  uint64_t n = 0;
  for (const auto& [offset, block] : blocks_) n += block.bytes;
  return n;
}

std::optional<CodeRegion::Block> CodeRegion::BlockAt(uint64_t address) const {
  if (!Contains(address)) return std::nullopt;
  auto it = blocks_.upper_bound(address - gpa_);
  if (it == blocks_.begin()) return std::nullopt;
  --it;
  const uint64_t in_block = address - gpa_ - it->first;
  if (in_block >= it->second.bytes) return std::nullopt;
  Block b{gpa_ + it->first, it->second.bytes, std::nullopt, 0};
  if (const auto& entries = it->second.entries; entries != nullptr && !entries->empty()) {
    const auto e = std::upper_bound(entries->begin(), entries->end(), in_block);
    if (e != entries->begin()) {
      b.function = it->second.first_function + static_cast<uint32_t>(e - entries->begin() - 1);
      b.function_gpa = b.gpa + *(e - 1);
    }
  }
  return b;
}

absl::StatusOr<uint64_t> CodeRegion::Seal(GuestMemory& memory, std::span<const uint8_t> code,
                                          std::span<const abi::SealRelocation> relocations,
                                          std::span<const uint32_t> entries, uint32_t first_function) {
  if (code.empty()) return absl::InvalidArgumentError("seal_code: no code");
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i] >= code.size() || (i > 0 && entries[i] < entries[i - 1])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "seal_code: function entry %d (offset %d) is out of order or past the %d bytes of code", i,
          entries[i], code.size()));
    }
  }
  if (entries.size() > UINT32_MAX - uint64_t{first_function}) {
    return absl::InvalidArgumentError("seal_code: function indices past 2^32");
  }
  const uint64_t need = (code.size() + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
  // First fit between the blocks in use.
  uint64_t at = 0;
  bool found = false;
  for (const auto& [offset, block] : blocks_) {
    if (offset - at >= need) {
      found = true;
      break;
    }
    at = offset + block.bytes;
  }
  if (!found && (at > bytes_ || bytes_ - at < need)) return uint64_t{0};
  const uint64_t load = gpa_ + at;

  std::vector<uint8_t> placed(code.begin(), code.end());
  for (const abi::SealRelocation& r : relocations) {
    if (r.reserved != 0 || r.offset > placed.size() || placed.size() - r.offset < 4) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "seal_code: relocation at offset %d is outside the %d bytes of code", r.offset,
          placed.size()));
    }
    if (!std::binary_search(helpers_->begin(), helpers_->end(), r.target)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "seal_code: relocation at offset %d targets 0x%x, which is no runtime helper of the image",
          r.offset, r.target));
    }
    // Helpers and the region both lie below 4 GiB, well within rel32 reach.
    const int64_t rel = static_cast<int64_t>(r.target) - static_cast<int64_t>(load + r.offset + 4);
    if (rel < INT32_MIN || rel > INT32_MAX) {
      return absl::InvalidArgumentError("seal_code: a helper is out of rel32 reach");
    }
    const int32_t v = static_cast<int32_t>(rel);
    std::memcpy(placed.data() + r.offset, &v, sizeof v);
  }

  const auto start = std::chrono::steady_clock::now();
  const absl::Status checked =
      CheckCompiledCodeOnce(placed, CodeCheckTarget{.load_address = load, .helper_entries = *helpers_}, entries);
  figures_.check_ns += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
  RETURN_IF_ERROR(checked);

  std::memcpy(memory.HostAddress(load, placed.size()), placed.data(), placed.size());
  // The block's tail past the code traps like released room does, whatever
  // was there before, should anything ever jump past the end.
  if (need > placed.size()) {
    std::memset(memory.HostAddress(load + placed.size(), need - placed.size()), kInt3, need - placed.size());
  }
  blocks_.emplace(at, Sealed{need, first_function,
                             entries.empty() ? nullptr
                                             : std::make_shared<const std::vector<uint32_t>>(
                                                   entries.begin(), entries.end())});
  ++figures_.modules;
  figures_.bytes += placed.size();
  return load;
}

absl::Status CodeRegion::Release(GuestMemory& memory, uint64_t gpa) {
  const auto it = gpa >= gpa_ ? blocks_.find(gpa - gpa_) : blocks_.end();
  if (it == blocks_.end()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("release_code: 0x%x is not the start of sealed code", gpa));
  }
  std::memset(memory.HostAddress(gpa, it->second.bytes), kInt3, it->second.bytes);
  blocks_.erase(it);
  return absl::OkStatus();
}

}  // namespace palisade
