#include <cstring>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "vmm/hypercalls.h"

namespace palisade {
namespace {

absl::Status BadExit(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad hypercall: ", why));
}

}  // namespace

uint32_t ExitHypercallNumber(const kvm_run& run, size_t run_size) {
  const auto& io = run.io;
  if (io.size != 4 || io.data_offset > run_size || run_size - io.data_offset < 4) return ~0u;
  uint32_t nr;
  std::memcpy(&nr, reinterpret_cast<const uint8_t*>(&run) + io.data_offset, sizeof(nr));
  return nr;
}

absl::StatusOr<HypercallDispatcher> HypercallDispatcher::Create(GuestMemory* memory,
                                                                uint64_t mailbox_gpa,
                                                                uint64_t outbox_gpa,
                                                                ConsoleSink* console,
                                                                GuestServices* services) {
  auto page = memory->Write(mailbox_gpa, sizeof(abi::Mailbox));
  if (!page.ok()) return page.status();
  auto outbox = memory->Write(outbox_gpa, abi::kOutboxBytes);
  if (!outbox.ok()) return outbox.status();
  HypercallDispatcher d(memory, reinterpret_cast<abi::Mailbox*>(page->data()), console, services);
  d.outbox_ = outbox->data();
  return d;
}

absl::Status HypercallDispatcher::DrainOutbox(bool at_hypercall) {
  if (outbox_ == nullptr) return absl::OkStatus();
  auto* header = reinterpret_cast<volatile abi::OutboxHeader*>(outbox_);
  const uint64_t head = header->head, tail = header->tail;
  constexpr uint64_t kCapacity = abi::kOutboxBytes - sizeof(abi::OutboxHeader);
  if (head > tail || tail > kCapacity || head % 8 != 0 || tail % 8 != 0) {
    return BadExit(absl::StrFormat("outbox bounds [%d, %d) outside its %d bytes", head, tail,
                                   kCapacity));
  }
  // The handlers answer through the mailbox; a queued call has no one to
  // answer, and the guest may be waiting for the answer of a real one.
  const int64_t result = mailbox_->result;
  uint64_t results[3];
  std::memcpy(results, mailbox_->results, sizeof(results));
  const uint8_t* records = outbox_ + sizeof(abi::OutboxHeader);
  for (uint64_t at = head; at < tail;) {
    abi::OutboxRecord rec;
    if (tail - at < sizeof(rec)) return BadExit("outbox record cut short");
    std::memcpy(&rec, records + at, sizeof(rec));
    if (rec.bytes < sizeof(rec) || rec.bytes % 8 != 0 || rec.bytes > tail - at) {
      return BadExit(absl::StrFormat("outbox record of %d bytes at %d", rec.bytes, at));
    }
    if (rec.nr >= abi::kHypercallCount || !abi::IsDeferrable(rec.nr)) {
      return BadExit(absl::StrFormat("hypercall %d cannot be queued in the outbox", rec.nr));
    }
    abi::Mailbox req;
    req.abi_version = abi::kAbiVersion;
    std::memcpy(req.args, rec.args, sizeof(req.args));
    const HypercallInfo& info = HypercallTable(rec.nr);
    ++deferred_calls_;
    auto outcome = (this->*info.handler)(req);
    if (!outcome.ok()) {
      if (absl::IsInvalidArgument(outcome.status())) {
        return BadExit(absl::StrFormat("queued %s: %s", info.name, outcome.status().message()));
      }
      return outcome.status();
    }
    at += rec.bytes;
  }
  mailbox_->result = result;
  std::memcpy(mailbox_->results, results, sizeof(results));
  header->head = at_hypercall ? 0 : tail;
  if (at_hypercall) header->tail = 0;
  return absl::OkStatus();
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
  RETURN_IF_ERROR(DrainOutbox(/*at_hypercall=*/true));
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
