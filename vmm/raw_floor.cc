#include "vmm/raw_floor.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/errno_status.h"
#include "common/status_macros.h"
#include "vmm/kvm.h"
#include "vmm/kvm_uapi.h"
#include "vmm/long_mode.h"
#include "vmm/x86.h"

namespace palisade {
namespace {

// Guest-physical = guest-virtual, one page each. Page 0 stays unmapped.
constexpr uint64_t kMemBytes = 1 << 20;
constexpr uint64_t kPml4 = 0x1000;
constexpr uint64_t kPdpt = 0x2000;
constexpr uint64_t kPd = 0x3000;
constexpr uint64_t kPt = 0x4000;
constexpr uint64_t kGdt = 0x5000;
constexpr uint64_t kTss = 0x6000;
constexpr uint64_t kCode = 0x7000;
constexpr uint64_t kStack = 0x8000;

// Linux's selectors, which PVM expects of a 64-bit user process.
constexpr uint16_t kKernelCs = 0x10;
constexpr uint16_t kUserDs = 0x2b;
constexpr uint16_t kUserCs = 0x33;
constexpr uint16_t kTssSelector = 0x40;
constexpr int kGdtEntries = kTssSelector / 8 + 2;  // a 64-bit TSS descriptor takes two

// "Accessed" is preset so the CPU never writes the read-only GDT.
constexpr uint64_t kKernelCodeDesc = 0x00af9b000000ffffull;  // P, DPL 0, exec/read, L, G
constexpr uint64_t kUserDataDesc = 0x00cff3000000ffffull;    // P, DPL 3, read/write, D/B, G
constexpr uint64_t kUserCodeDesc = 0x00affb000000ffffull;    // P, DPL 3, exec/read, L, G
constexpr uint8_t kTssBusy64 = 0xb;  // TR is loaded directly, never by ltr: already busy

constexpr uint16_t kPort = 0x500;
constexpr uint32_t kPortBytes = 4;  // `out %eax,%dx`
// The bitmap ends at the port's last byte (ports past the TSS limit count as
// closed) plus the all-ones byte the CPU may read beyond it.
constexpr uint32_t kTssHeaderBytes = 104;
constexpr uint32_t kIomapBaseOffset = 102;
constexpr uint32_t kIoBitmapBytes = (kPort + kPortBytes + 7) / 8 + 1;
constexpr uint32_t kTssLimit = kTssHeaderBytes + kIoBitmapBytes - 1;

// mov $0x500,%edx; 1: out %eax,%dx; jmp 1b
constexpr uint8_t kGuestCode[] = {0xba, 0x00, 0x05, 0x00, 0x00, 0xef, 0xeb, 0xfd};

// What a new vCPU has (xAPIC enabled, bootstrap processor). SET_SREGS sets
// it too, and the floor should change nothing it does not need to.
constexpr uint64_t kApicBaseReset = 0xfee00000 | (1 << 11) | (1 << 8);

template <typename T>
void Put(uint8_t* memory, uint64_t gpa, const T& value) {
  std::memcpy(memory + gpa, &value, sizeof(value));
}

void WriteGuest(uint8_t* memory) {
  using namespace x86;
  // U/S = 1 on every upper level, so the leaf entries alone decide what ring 3 reaches.
  constexpr uint64_t kTable = kPtePresent | kPteWritable | kPteUser;
  Put(memory, kPml4, kPdpt | kTable);
  Put(memory, kPdpt, kPd | kTable);
  Put(memory, kPd, kPt | kTable);
  auto map = [&](uint64_t gpa, uint64_t flags) {
    Put(memory, kPt + gpa / kPage4K * 8, gpa | kPtePresent | flags);
  };
  map(kGdt, kPteNx);  // supervisor-only and read-only: hidden from the guest
  map(kTss, kPteNx);
  map(kCode, kPteUser);  // read-only, executable
  map(kStack, kPteUser | kPteWritable | kPteNx);

  uint64_t gdt[kGdtEntries] = {};
  // Unused (no IDT, no exceptions), but it is where an exception from ring 3 would go.
  gdt[kKernelCs / 8] = kKernelCodeDesc;
  gdt[kUserDs / 8] = kUserDataDesc;
  gdt[kUserCs / 8] = kUserCodeDesc;
  gdt[kTssSelector / 8] = (kTssLimit & 0xffff) | ((kTss & 0xffffff) << 16) |
                          (uint64_t{kTssBusy64} << 40) | (1ull << 47) |
                          ((uint64_t{kTssLimit} >> 16 & 0xf) << 48) | ((kTss >> 24 & 0xff) << 56);
  gdt[kTssSelector / 8 + 1] = kTss >> 32;
  Put(memory, kGdt, gdt);

  // RSP0 stays 0: without an IDT nothing ever switches to ring 0.
  Put(memory, kTss + kIomapBaseOffset, static_cast<uint16_t>(kTssHeaderBytes));
  uint8_t* bitmap = memory + kTss + kTssHeaderBytes;
  std::memset(bitmap, 0xff, kIoBitmapBytes);
  for (uint32_t port = kPort; port < kPort + kPortBytes; ++port) {
    bitmap[port / 8] &= static_cast<uint8_t>(~(1u << (port % 8)));
  }

  Put(memory, kCode, kGuestCode);
}

kvm_segment FlatSegment(uint16_t selector, bool code) {
  kvm_segment s{};
  s.limit = 0xffffffff;
  s.selector = selector;
  s.type = code ? 0xb : 0x3;  // accessed exec/read code, accessed read/write data
  s.present = 1;
  s.dpl = selector & 3;
  s.db = code ? 0 : 1;
  s.s = 1;
  s.l = code ? 1 : 0;
  s.g = 1;
  return s;
}

kvm_sregs Cpl3LongMode() {
  kvm_sregs s{};
  s.cs = FlatSegment(kUserCs, /*code=*/true);
  s.ss = FlatSegment(kUserDs, /*code=*/false);
  // Null data selectors, as a 64-bit user process has them (PVM expects it).
  s.ds = s.es = s.fs = s.gs = s.ss;
  s.ds.selector = s.es.selector = s.fs.selector = s.gs.selector = 0;
  s.ldt.type = 0x2;
  s.ldt.limit = 0xffff;
  s.ldt.unusable = 1;
  s.tr.base = kTss;
  s.tr.limit = kTssLimit;
  s.tr.selector = kTssSelector;
  s.tr.type = TrType(DetectKvmBackend());  // as ours: long_mode.h says why
  s.tr.present = 1;
  s.gdt.base = kGdt;
  s.gdt.limit = kGdtEntries * 8 - 1;
  s.idt.limit = 0;
  s.cr0 = x86::kCr0Pe | x86::kCr0Mp | x86::kCr0Et | x86::kCr0Ne | x86::kCr0Wp | x86::kCr0Pg;
  s.cr3 = kPml4;
  s.cr4 = x86::kCr4Pae | x86::kCr4Osfxsr | x86::kCr4Osxmmexcpt;
  s.efer = x86::kEferLme | x86::kEferLma | x86::kEferNxe;
  s.apic_base = kApicBaseReset;
  return s;
}

std::string ExitReasonName(uint32_t reason) {
  switch (reason) {
    case KVM_EXIT_UNKNOWN: return "KVM_EXIT_UNKNOWN";
    case KVM_EXIT_EXCEPTION: return "KVM_EXIT_EXCEPTION";
    case KVM_EXIT_IO: return "KVM_EXIT_IO";
    case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
    case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
    case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN (triple fault)";
    case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
    case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
    default: return absl::StrFormat("KVM exit reason %u", reason);
  }
}

// The upper middle of an even count: a floor is compared, not averaged.
absl::Duration Median(std::vector<absl::Duration>& samples) {
  auto middle = samples.begin() + samples.size() / 2;
  std::nth_element(samples.begin(), middle, samples.end());
  return *middle;
}

}  // namespace

absl::StatusOr<RawFloorVm> RawFloorVm::Create(const Kvm& kvm) {
  RawFloorVm vm;
  ASSIGN_OR_RETURN(vm.memory_, Mapping::Create(kMemBytes, PROT_READ | PROT_WRITE,
                                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                                               0, "the raw floor's guest memory"));
  WriteGuest(vm.memory_.data());

  int fd;
  do {
    fd = ::ioctl(kvm.fd(), KVM_CREATE_VM, 0);
  } while (fd < 0 && errno == EINTR);  // it can fail so under signal load
  if (fd < 0) return ErrnoError(errno, "KVM_CREATE_VM");
  vm.vm_.reset(fd);

  kvm_userspace_memory_region region{};
  region.memory_size = kMemBytes;
  region.userspace_addr = reinterpret_cast<uint64_t>(vm.memory_.data());
  if (::ioctl(vm.vm_.get(), KVM_SET_USER_MEMORY_REGION, &region) != 0) {
    return ErrnoError(errno, "KVM_SET_USER_MEMORY_REGION");
  }
  vm.vcpu_.reset(::ioctl(vm.vm_.get(), KVM_CREATE_VCPU, 0));
  if (!vm.vcpu_.valid()) return ErrnoError(errno, "KVM_CREATE_VCPU");
  ASSIGN_OR_RETURN(vm.run_, Mapping::Create(kvm.vcpu_mmap_size(), PROT_READ | PROT_WRITE,
                                            MAP_SHARED, vm.vcpu_.get(), 0,
                                            "the raw floor's vCPU run area"));
  // Palisade's vCPUs get it too; left out, the floor would be cheaper than any real VM.
  if (::ioctl(vm.vcpu_.get(), kKvmSetCpuid2, kvm.supported_cpuid()) != 0) {
    return ErrnoError(errno, "KVM_SET_CPUID2");
  }
  const kvm_sregs sregs = Cpl3LongMode();
  if (::ioctl(vm.vcpu_.get(), KVM_SET_SREGS, &sregs) != 0) {
    return ErrnoError(errno, "KVM_SET_SREGS");
  }
  kvm_regs regs{};
  regs.rip = kCode;
  regs.rsp = kStack + x86::kPage4K;
  regs.rflags = x86::kRflagsReserved1;  // IF = 0, IOPL = 0: only the TSS bitmap opens the port
  if (::ioctl(vm.vcpu_.get(), KVM_SET_REGS, &regs) != 0) {
    return ErrnoError(errno, "KVM_SET_REGS");
  }
  return vm;
}

absl::Status RawFloorVm::RunToExit() {
  int r;
  do {
    r = ::ioctl(vcpu_.get(), KVM_RUN, 0);
  } while (r != 0 && errno == EINTR);  // a signal for someone else: the guest did not exit
  if (r != 0) return ErrnoError(errno, "KVM_RUN");

  const auto& run = *reinterpret_cast<const kvm_run*>(run_.data());
  if (run.exit_reason == KVM_EXIT_IO && run.io.direction == KVM_EXIT_IO_OUT &&
      run.io.port == kPort && run.io.size == kPortBytes) {
    return absl::OkStatus();
  }
  std::string what = ExitReasonName(run.exit_reason);
  if (run.exit_reason == KVM_EXIT_IO) {
    absl::StrAppendFormat(&what, " (%s port %#x, %d bytes)",
                          run.io.direction == KVM_EXIT_IO_OUT ? "out to" : "in from",
                          run.io.port, run.io.size);
  } else if (run.exit_reason == KVM_EXIT_INTERNAL_ERROR) {
    absl::StrAppendFormat(&what, " (suberror %u)", run.internal.suberror);
  }
  return absl::InternalError(absl::StrFormat(
      "raw floor guest: %s, expected KVM_EXIT_IO out to port %#x, %u bytes", what, kPort,
      kPortBytes));
}

absl::StatusOr<RawFloors> MeasureRawFloors(const Kvm& kvm, int boots, int exits) {
  if (boots < 1 || exits < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("raw floor: need at least one boot and one exit, got %d and %d", boots,
                        exits));
  }
  RawFloors floors;
  // absl::Now(), as Sandbox's BootTimings, so the two are measured alike.
  std::vector<absl::Duration> samples;
  samples.reserve(boots);
  for (int i = 0; i < boots; ++i) {
    const absl::Time start = absl::Now();
    ASSIGN_OR_RETURN(RawFloorVm vm, RawFloorVm::Create(kvm));
    RETURN_IF_ERROR(vm.RunToExit());
    samples.push_back(absl::Now() - start);
  }  // the teardown is not part of a boot
  floors.create_and_first_run = Median(samples);

  ASSIGN_OR_RETURN(RawFloorVm vm, RawFloorVm::Create(kvm));
  // The first entry also builds KVM's view of the guest: it is a boot, not a round trip.
  RETURN_IF_ERROR(vm.RunToExit());
  samples.clear();
  samples.reserve(exits);
  for (int i = 0; i < exits; ++i) {
    const absl::Time start = absl::Now();
    RETURN_IF_ERROR(vm.RunToExit());
    samples.push_back(absl::Now() - start);
  }
  floors.exit_round_trip = Median(samples);
  return floors;
}

}  // namespace palisade
