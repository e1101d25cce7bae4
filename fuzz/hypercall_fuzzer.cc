// The host's hypercall handler on hostile exits: the fuzzer supplies the
// exit (port, size, direction, hypercall number), the mailbox (ABI version,
// arguments) and guest RAM. Every request must be refused or served without
// the host touching memory outside the guest's.
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "vmm/hypercalls.h"

namespace palisade {
namespace {



constexpr uint64_t kRamBase = 0x10000, kRamSize = 0x40000, kMailbox = 0x20000;

class FuzzServices final : public GuestServices {
 public:
  int64_t ReadStdin(uint8_t* buf, size_t cap) override {
    const size_t n = cap < 7 ? cap : 7;
    std::memset(buf, 'x', n);
    return static_cast<int64_t>(n);
  }
  std::optional<uint64_t> Clock(uint32_t id, bool) override {
    return id < 4 ? std::optional<uint64_t>(42) : std::nullopt;
  }
  bool Random(uint8_t* buf, size_t len) override {
    std::memset(buf, 0x5a, len);
    return true;
  }
  void Outcome(WasmOutcomeReport) override {}
  void Signature(std::vector<uint8_t>, std::vector<uint8_t>) override {}
  void Results(std::vector<abi::WasmValue>) override {}
  void PolicyDenied(std::string) override {}
};

class NullConsole final : public ConsoleSink {
 public:
  void Write(abi::ConsoleStream, std::string_view) override {}
};

}  // namespace
}  // namespace palisade

using palisade::abi::kAbiVersion;
using palisade::abi::kHypercallPort;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace palisade;
  // Layout of the input: 16 bytes of exit, 64 of mailbox words, then RAM.
  if (size < 16 + 64) return 0;
  static std::optional<GuestMemory> memory = [] {
    auto m = GuestMemory::Create(1 << 20);
    std::optional<GuestMemory> g(*std::move(m));
    (void)g->AddRegion(0x1000, 0x1000, GuestMemory::Access::kReadOnly, "code");
    (void)g->AddRegion(kRamBase, kRamSize, GuestMemory::Access::kReadWrite, "RAM");
    return g;
  }();
  static NullConsole console;
  static FuzzServices services;
  uint8_t* ram = memory->HostAddress(kRamBase, kRamSize);
  std::memset(ram, 0, kRamSize);
  const size_t ram_bytes = std::min<size_t>(size - 80, kRamSize - (kMailbox - kRamBase) - 4096);
  auto& mailbox = *reinterpret_cast<palisade::abi::Mailbox*>(memory->HostAddress(kMailbox, 4096));
  std::memcpy(&mailbox, data + 16, 64);  // abi_version, reserved, args[0..5], result
  if (data[0] & 1) mailbox.abi_version = kAbiVersion;
  std::memcpy(ram + (kMailbox - kRamBase) + 4096, data + 80, ram_bytes);
  auto dispatcher = HypercallDispatcher::Create(&*memory, kMailbox, kMailbox + 4096, &console, data[0] & 2 ? &services : nullptr);
  if (!dispatcher.ok()) return 0;
  std::vector<uint8_t> run(4096);
  auto* r = reinterpret_cast<kvm_run*>(run.data());
  r->exit_reason = KVM_EXIT_IO;
  r->io.direction = data[1] & 1 ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
  r->io.size = data[2];
  std::memcpy(&r->io.port, data + 3, 2);
  if (data[0] & 4) r->io.port = kHypercallPort;
  r->io.count = data[5];
  uint32_t offset;
  std::memcpy(&offset, data + 6, 4);
  r->io.data_offset = offset % 8192;  // may point past the run area: must be refused
  uint32_t nr;
  std::memcpy(&nr, data + 10, 4);
  if (r->io.data_offset + 4 <= run.size()) std::memcpy(run.data() + r->io.data_offset, &nr, 4);
  (void)dispatcher->Dispatch(*r, run.size());
  return 0;
}
