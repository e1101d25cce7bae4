// The hypercall table: one handler per abi::Hypercall, in number order.
// Each handler checks every guest-supplied pointer, length and enum before
// use; an InvalidArgument error ends the sandbox as a bad hypercall.
#include <time.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "vmm/hypercalls.h"

namespace palisade {
namespace {

using Kind = HypercallOutcome::Kind;

constexpr HypercallInfo kTable[abi::kHypercallCount] = {
    {"await_command", &HypercallDispatcher::AwaitCommand},
    {"echo", &HypercallDispatcher::Echo},
    {"console_write", &HypercallDispatcher::ConsoleWrite},
    {"fault", &HypercallDispatcher::Fault},
    {"exit", &HypercallDispatcher::Exit},
    {"abort", &HypercallDispatcher::Abort},
    {"stdin_read", &HypercallDispatcher::StdinRead},
    {"clock_time", &HypercallDispatcher::ClockTime},
    {"random", &HypercallDispatcher::Random},
    {"wasm_outcome", &HypercallDispatcher::WasmOutcome},
    {"sleep", &HypercallDispatcher::Sleep},
    {"wasm_signature", &HypercallDispatcher::WasmSignature},
    {"wasm_results", &HypercallDispatcher::WasmResults},
    {"policy_denied", &HypercallDispatcher::PolicyDenied},
    {"flush", &HypercallDispatcher::Flush},
    {"seal_code", &HypercallDispatcher::SealCode},
    {"release_code", &HypercallDispatcher::ReleaseCode},
    {"fs_changes", &HypercallDispatcher::FsChanges},
};

}  // namespace

const HypercallInfo& HypercallTable(uint32_t nr) { return kTable[nr]; }

absl::StatusOr<HypercallOutcome> HypercallDispatcher::AwaitCommand(const abi::Mailbox& req) {
  return HypercallOutcome{Kind::kAwaitCommand, static_cast<int64_t>(req.args[0]), {}};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Flush(const abi::Mailbox&) {
  mailbox_->result = 0;  // Dispatch() has drained the outbox already
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Echo(const abi::Mailbox& req) {
  const uint64_t src = req.args[0], len = req.args[1], dst = req.args[2], cap = req.args[3];
  if (len > kMaxEchoBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("length %d exceeds the %d-byte limit", len, kMaxEchoBytes));
  }
  if (len > cap) {
    return absl::InvalidArgumentError(
        absl::StrFormat("length %d exceeds the destination capacity %d", len, cap));
  }
  auto in = memory_->Read(src, len);
  if (!in.ok()) return absl::InvalidArgumentError(absl::StrCat("source: ", in.status().message()));
  auto out = memory_->Write(dst, cap);
  if (!out.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("destination: ", out.status().message()));
  }
  if (len != 0) std::memmove(out->data(), in->data(), len);
  mailbox_->result = static_cast<int64_t>(len);
  mailbox_->results[0] = req.args[4];
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::ConsoleWrite(const abi::Mailbox& req) {
  const auto stream = static_cast<abi::ConsoleStream>(req.args[0]);
  if (stream != abi::ConsoleStream::kStdout && stream != abi::ConsoleStream::kStderr) {
    return absl::InvalidArgumentError(absl::StrFormat("unknown stream %d", req.args[0]));
  }
  if (req.args[2] > kMaxConsoleWriteBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "length %d exceeds the %d-byte limit", req.args[2], kMaxConsoleWriteBytes));
  }
  auto bytes = memory_->Read(req.args[1], req.args[2]);
  if (!bytes.ok()) return bytes.status();
  console_bytes_ += bytes->size();
  if (console_limit_ != 0 && console_bytes_ > console_limit_) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("console output exceeded its limit of %d bytes", console_limit_));
  }
  if (console_ != nullptr) {
    console_->Write(stream, std::string_view(reinterpret_cast<const char*>(bytes->data()),
                                             bytes->size()));
  }
  mailbox_->result = static_cast<int64_t>(bytes->size());
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Fault(const abi::Mailbox&) {
  HypercallOutcome outcome{Kind::kFault, 0, {}};
  std::memcpy(&outcome.fault, mailbox_->payload, sizeof(outcome.fault));
  return outcome;
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Exit(const abi::Mailbox& req) {
  return HypercallOutcome{Kind::kExit, static_cast<int64_t>(req.args[0]), {}};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Abort(const abi::Mailbox& req) {
  const auto reason = static_cast<abi::AbortReason>(req.args[0]);
  if (reason != abi::AbortReason::kOutOfMemory && reason != abi::AbortReason::kAssertion &&
      reason != abi::AbortReason::kCpuUnsupported) {
    return absl::InvalidArgumentError(absl::StrFormat("unknown abort reason %d", req.args[0]));
  }
  if (req.args[2] > kMaxAbortMessageBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "message length %d exceeds the %d-byte limit", req.args[2], kMaxAbortMessageBytes));
  }
  auto text = memory_->Read(req.args[1], req.args[2]);
  if (!text.ok()) return text.status();
  std::string message(reinterpret_cast<const char*>(text->data()), text->size());
  if (reason == abi::AbortReason::kOutOfMemory) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "guest out of memory: %s (requested %d bytes, %d bytes free)", message, req.args[3],
        req.args[4]));
  }
  if (reason == abi::AbortReason::kCpuUnsupported) {
    return absl::FailedPreconditionError(absl::StrCat("the guest cannot run on this CPU: ", message));
  }
  return absl::AbortedError(absl::StrCat("guest aborted: ", message));
}

absl::Status HypercallDispatcher::NeedServices(const char* what) const {
  if (services_ != nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " is not offered to this sandbox"));
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::StdinRead(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("stdin"));
  const uint64_t cap = req.args[1] < kMaxStdinReadBytes ? req.args[1] : kMaxStdinReadBytes;
  auto out = memory_->Write(req.args[0], cap);
  if (!out.ok()) return out.status();
  mailbox_->result = cap == 0 ? 0 : services_->ReadStdin(out->data(), out->size());
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::ClockTime(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("the clock"));
  if (req.args[1] > 1) {
    return absl::InvalidArgumentError(absl::StrFormat("unknown clock query %d", req.args[1]));
  }
  constexpr int64_t kWasiEinval = 28;
  std::optional<uint64_t> ns =
      req.args[0] > UINT32_MAX ? std::nullopt
                               : services_->Clock(static_cast<uint32_t>(req.args[0]), req.args[1] == 1);
  mailbox_->result = ns.has_value() ? 0 : -kWasiEinval;
  mailbox_->results[0] = ns.value_or(0);
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Random(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("randomness"));
  if (req.args[1] > abi::kMaxRandomBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "length %d exceeds the %d-byte limit", req.args[1], abi::kMaxRandomBytes));
  }
  auto out = memory_->Write(req.args[0], req.args[1]);
  if (!out.ok()) return out.status();
  // Zero bytes asked: nothing to do (and no null buffer for the services;
  // found by fuzz/hypercall_fuzzer).
  if (out->size() > 0 && !services_->Random(out->data(), out->size())) {
    return absl::UnavailableError("the host could not produce random bytes");
  }
  mailbox_->result = 0;
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::WasmOutcome(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("a Wasm outcome"));
  const auto kind = static_cast<abi::WasmOutcome>(req.args[0]);
  if (kind != abi::WasmOutcome::kExited && kind != abi::WasmOutcome::kTrapped &&
      kind != abi::WasmOutcome::kLoadFailed && kind != abi::WasmOutcome::kLinkFailed &&
      kind != abi::WasmOutcome::kMemoryLimit) {
    return absl::InvalidArgumentError(absl::StrFormat("unknown outcome %d", req.args[0]));
  }
  if (req.args[5] > abi::kMaxOutcomeTextBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "text length %d exceeds the %d-byte limit", req.args[5], abi::kMaxOutcomeTextBytes));
  }
  auto text = memory_->Read(req.args[4], req.args[5]);
  if (!text.ok()) return text.status();
  WasmOutcomeReport report;
  report.kind = kind;
  report.code = static_cast<int64_t>(req.args[1]);
  report.func_index = static_cast<uint32_t>(req.args[2]);
  report.offset = static_cast<uint32_t>(req.args[3]);
  report.text.assign(reinterpret_cast<const char*>(text->data()), text->size());
  services_->Outcome(std::move(report));
  mailbox_->result = 0;
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::Sleep(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("sleeping"));
  if (req.args[0] > abi::kMaxSleepNanos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "sleep of %d ns exceeds the %d ns limit", req.args[0], abi::kMaxSleepNanos));
  }
  // A deadline's signal interrupts the sleep (EINTR) and then KVM_RUN.
  timespec ts{static_cast<time_t>(req.args[0] / 1000000000),
              static_cast<long>(req.args[0] % 1000000000)};
  nanosleep(&ts, nullptr);
  mailbox_->result = 0;
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::WasmSignature(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("a signature"));
  const uint64_t np = req.args[1], nr = req.args[2];
  if (np > abi::kMaxWasmValues || nr > abi::kMaxWasmValues) {
    return absl::InvalidArgumentError(absl::StrFormat("signature of %d + %d types", np, nr));
  }
  auto types = memory_->Read(req.args[0], np + nr);
  if (!types.ok()) return types.status();
  services_->Signature(std::vector<uint8_t>(types->begin(), types->begin() + np),
                       std::vector<uint8_t>(types->begin() + np, types->end()));
  mailbox_->result = 0;
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::WasmResults(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("results"));
  const uint64_t n = req.args[1];
  if (n > abi::kMaxWasmValues) {
    return absl::InvalidArgumentError(absl::StrFormat("%d results exceed the limit", n));
  }
  auto bytes = memory_->Read(req.args[0], n * sizeof(abi::WasmValue));
  if (!bytes.ok()) return bytes.status();
  std::vector<abi::WasmValue> values(n);
  if (n > 0) std::memcpy(values.data(), bytes->data(), bytes->size());
  services_->Results(std::move(values));
  mailbox_->result = 0;
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::PolicyDenied(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("a policy denial"));
  if (req.args[1] == 0 || req.args[1] > abi::kMaxPolicyNameBytes) {
    return absl::InvalidArgumentError(absl::StrFormat("policy denial name of %d bytes", req.args[1]));
  }
  auto name = memory_->Read(req.args[0], req.args[1]);
  if (!name.ok()) return name.status();
  services_->PolicyDenied(std::string(name->begin(), name->end()));
  mailbox_->result = 0;
  return HypercallOutcome{};
}

absl::StatusOr<HypercallOutcome> HypercallDispatcher::FsChanges(const abi::Mailbox& req) {
  RETURN_IF_ERROR(NeedServices("a change set"));
  if (req.args[1] > abi::kMaxFsChangesBytes) {
    return absl::InvalidArgumentError(absl::StrFormat("change set of %d bytes exceeds the limit", req.args[1]));
  }
  auto bytes = memory_->Read(req.args[0], req.args[1]);
  if (!bytes.ok()) return bytes.status();
  // Copied out as is; cli/fs_commit.h validates it before anything happens.
  services_->FsChanges(std::vector<uint8_t>(bytes->begin(), bytes->end()));
  mailbox_->result = 0;
  return HypercallOutcome{};
}

}  // namespace palisade
