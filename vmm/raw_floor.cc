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
#include "guest-runtime/abi/hypercall_abi.h"
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

constexpr uint16_t kPort = abi::kHypercallPort;
constexpr uint32_t kPortBytes = 4;  // `out %eax,%dx`

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

  // The same GDT and TSS as our guest's (long_mode.h). RSP0 stays 0: without
  // an IDT nothing ever switches to ring 0.
  const std::vector<uint8_t> gdt = GdtBytes(kTss), tss = TssBytes(0);
  std::memcpy(memory + kGdt, gdt.data(), gdt.size());
  std::memcpy(memory + kTss, tss.data(), tss.size());

  Put(memory, kCode, kGuestCode);
}

kvm_sregs Cpl3LongMode() {
  kvm_sregs base{};
  base.apic_base = kApicBaseReset;
  return Cpl3Sregs(base, kGdt, kTss, /*idt=*/0, /*idt_limit=*/0, kPml4, DetectKvmBackend());
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
