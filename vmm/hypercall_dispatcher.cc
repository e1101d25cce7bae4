#include <cstring>

#include "absl/strings/str_format.h"
#include "vmm/hypercalls.h"

namespace palisade {
namespace {

absl::Status BadExit(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad hypercall: ", why));
}

}  // namespace

absl::StatusOr<HypercallDispatcher> HypercallDispatcher::Create(GuestMemory* memory,
                                                                uint64_t mailbox_gpa,
                                                                ConsoleSink* console,
                                                                GuestServices* services) {
  auto page = memory->Write(mailbox_gpa, sizeof(abi::Mailbox));
  if (!page.ok()) return page.status();
  return HypercallDispatcher(memory, reinterpret_cast<abi::Mailbox*>(page->data()), console,
                             services);
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Dispatch(const kvm_run& run,
                                                               size_t run_size) {
  const auto& io = run.io;
  if (io.port != abi::kHypercallPort) {
    return BadExit(absl::StrFormat("port I/O to %#x; the only port is %#x", io.port,
                                   abi::kHypercallPort));
  }
  if (io.direction != KVM_EXIT_IO_OUT) return BadExit("`in` from the hypercall port");
  if (io.count != 1) return BadExit("string I/O (`rep outs`) to the hypercall port");
  if (io.size != 4) {
    return BadExit(absl::StrFormat("%d-byte `out`; hypercalls are 4-byte `out`", io.size));
  }
  // KVM wrote data_offset itself, but a bad value must still not make us read
  // outside the run area.
  if (io.data_offset > run_size || run_size - io.data_offset < 4) {
    return absl::InternalError("KVM_EXIT_IO data offset outside the run area");
  }
  uint32_t nr;
  std::memcpy(&nr, reinterpret_cast<const uint8_t*>(&run) + io.data_offset, sizeof(nr));

  // One copy of the request: the handler sees a snapshot, not memory a second
  // vCPU could change under it.
  abi::Mailbox req;
  std::memcpy(&req, mailbox_, abi::kMailboxPayloadOffset);
  if (req.abi_version != abi::kAbiVersion) {
    return BadExit(absl::StrFormat("guest speaks ABI version %d, host speaks %d",
                                   req.abi_version, abi::kAbiVersion));
  }
  if (nr >= abi::kHypercallCount) {
    return BadExit(absl::StrFormat("unknown hypercall number %d", nr));
  }
  ++calls_;
  const HypercallInfo& info = HypercallTable(nr);
  auto outcome = (this->*info.handler)(req);
  if (!outcome.ok() && absl::IsInvalidArgument(outcome.status())) {
    return BadExit(absl::StrFormat("%s (nr %d): %s", info.name, nr, outcome.status().message()));
  }
  return outcome;
}

void HypercallDispatcher::AnswerAwaitCommand(abi::Command command, uint64_t a0, uint64_t a1,
                                             uint64_t a2) {
  mailbox_->result = static_cast<int64_t>(command);
  mailbox_->results[0] = a0;
  mailbox_->results[1] = a1;
  mailbox_->results[2] = a2;
}

}  // namespace palisade
