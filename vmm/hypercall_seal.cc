// The compiler tier's hypercalls (abi::Hypercall::kSealCode, kReleaseCode):
// the guest's compiled code crosses into the code region only through here,
// and only after vmm/code_check.h passed it (vmm/code_region.h).
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "vmm/hypercalls.h"

namespace palisade {

absl::StatusOr<HypercallOutcome> HypercallDispatcher::SealCode(const abi::Mailbox& req) {
  const uint64_t code_gpa = req.args[0], code_bytes = req.args[1];
  const uint64_t relocs_gpa = req.args[2], relocs = req.args[3];
  const uint64_t entries_gpa = req.args[4], functions = req.args[5] & 0xffffffffu;
  const auto first_function = static_cast<uint32_t>(req.args[5] >> 32);
  const uint64_t room = code_region_ != nullptr ? code_region_->bytes() : 0;
  if (code_bytes == 0) return absl::InvalidArgumentError("no code to seal");
  if (relocs > abi::kMaxSealRelocations) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d relocations; at most %d may be sealed at once", relocs, abi::kMaxSealRelocations));
  }
  if (functions > abi::kMaxSealFunctions) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d function entries; at most %d may be named at once", functions, abi::kMaxSealFunctions));
  }
  if (code_bytes > room) {
    mailbox_->result = abi::kErrTooLarge;
    return HypercallOutcome{};
  }
  auto code = memory_->Read(code_gpa, code_bytes);
  if (!code.ok()) return code.status();
  auto reloc_bytes = memory_->Read(relocs_gpa, relocs * sizeof(abi::SealRelocation));
  if (!reloc_bytes.ok()) return reloc_bytes.status();
  // Copied out: guest memory is no place to keep what is being checked.
  std::vector<abi::SealRelocation> table(relocs);
  if (relocs != 0) std::memcpy(table.data(), reloc_bytes->data(), reloc_bytes->size());
  std::vector<uint32_t> entries(functions);
  if (functions != 0) {
    auto entry_bytes = memory_->Read(entries_gpa, functions * sizeof(uint32_t));
    if (!entry_bytes.ok()) return entry_bytes.status();
    std::memcpy(entries.data(), entry_bytes->data(), entry_bytes->size());
  }
  auto sealed = code_region_->Seal(*memory_, *code, table, entries, first_function);
  if (!sealed.ok()) {
    if (absl::IsInvalidArgument(sealed.status())) return sealed.status();
    return absl::Status(sealed.status().code(),
                        absl::StrCat("the guest's compiled code failed the host's check: ",
                                     sealed.status().message()));
  }
  mailbox_->result = *sealed != 0 ? static_cast<int64_t>(*sealed) : abi::kErrTooLarge;
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::ReleaseCode(const abi::Mailbox& req) {
  if (code_region_ == nullptr) return absl::InvalidArgumentError("no code region");
  if (absl::Status s = code_region_->Release(*memory_, req.args[0]); !s.ok()) return s;
  mailbox_->result = 0;
  return HypercallOutcome{};
}

}  // namespace palisade
