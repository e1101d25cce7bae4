#include "vmm/sandbox.h"
#include "vmm/vm_counters.h"

#include <signal.h>

#include <array>
#include <bit>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "vmm/crash_report.h"
#include "vmm/image_audit.h"
#include "vmm/long_mode.h"
#include "vmm/page_tables.h"
#include "vmm/x86.h"

namespace palisade {
namespace {

constexpr uint32_t kSlotSystem = 0;
constexpr uint32_t kSlotPageTables = 1;
constexpr uint32_t kSlotImage = 2;
constexpr uint32_t kSlotRam = 3;
constexpr uint32_t kSlotIo = 4;
constexpr uint32_t kSlotHeap = 5;
constexpr uint32_t kSlotCode = 6;

// The machine's KVM backend, looked up once per process.
KvmBackend Backend() {
  static const KvmBackend backend = DetectKvmBackend();
  return backend;
}

// Parsing and auditing the image are per image and process, not per boot:
// the embedded image never changes, and warm boots should pay for neither.
absl::StatusOr<std::shared_ptr<const ElfImage>> LoadedImage(std::span<const uint8_t> bytes, bool audit) {
  struct Entry {
    std::shared_ptr<const ElfImage> image;
    std::optional<absl::Status> audit;  // set once audited
  };
  static std::mutex mu;
  static std::map<std::pair<const uint8_t*, size_t>, Entry> cache;
  std::lock_guard<std::mutex> lock(mu);
  const auto key = std::make_pair(bytes.data(), bytes.size());
  Entry uncached;
  Entry* entry = &uncached;
  if (auto it = cache.find(key); it != cache.end()) {
    entry = &it->second;
  } else {
    ASSIGN_OR_RETURN(ElfImage image,
                     ElfImage::Parse(bytes, GuestImageWindow()));
    uncached.image = std::make_shared<const ElfImage>(std::move(image));
    if (cache.size() < 64) entry = &cache.emplace(key, std::move(uncached)).first->second;
  }
  if (audit && !AuditedAtBuild(bytes)) {
    if (!entry->audit) entry->audit = AuditGuestImage(*entry->image, bytes);
    RETURN_IF_ERROR(*entry->audit);
  }
  return entry->image;
}

// Everything the guest's code touches at CPL 3 is a user page; the
// descriptor tables, the ring-0 stubs and their stack are supervisor-only, so
// ring 3 can neither read nor run them (PVM enforces U/S too: PVM.md).
std::vector<PageRange> PageRanges(const GuestLayout& l, const ElfImage& image) {
  using enum PagePermission;
  using enum PagePrivilege;
  std::vector<PageRange> r;
  r.push_back({abi::kGdtAddress, abi::kBootInfoAddress, kRead, kSupervisor});
  r.push_back({abi::kBootInfoAddress, l.system_end, kRead, kUser});
  for (const ElfSegment& s : image.segments()) {
    uint64_t end = (s.vaddr + s.memsz + 4095) & ~uint64_t{4095};
    r.push_back({s.vaddr, end,
                 s.executable ? kReadExecute
                 : s.writable ? kReadWrite
                              : kRead,
                 s.supervisor ? kSupervisor : kUser});
  }
  // Guard pages are simply absent: below each stack and at address 0.
  r.push_back({l.exception_stack_bottom, l.exception_stack_top, kReadWrite, kSupervisor});
  r.push_back({l.stack_bottom, l.stack_top, kReadWrite, kUser});
  if (l.code_region_bytes == 0) {
    r.push_back({l.mailbox, l.mem_size, kReadWrite, kUser});
    return r;
  }
  r.push_back({l.mailbox, l.code_region, kReadWrite, kUser});
  r.push_back({l.code_region, l.code_region + l.code_region_bytes, kReadExecute, kUser});
  r.push_back({l.heap_begin, l.mem_size, kReadWrite, kUser});
  return r;
}

abi::FaultReport ReportFromRegs(const kvm_regs& regs, const kvm_sregs& sregs) {
  abi::FaultReport f{};
  f.vector = ~uint64_t{0};
  f.rip = regs.rip;
  f.rflags = regs.rflags;
  f.rsp = regs.rsp;
  f.cs = sregs.cs.selector;
  f.ss = sregs.ss.selector;
  f.cr2 = sregs.cr2;
  f.cr3 = sregs.cr3;
  f.rax = regs.rax;
  f.rbx = regs.rbx;
  f.rcx = regs.rcx;
  f.rdx = regs.rdx;
  f.rsi = regs.rsi;
  f.rdi = regs.rdi;
  f.rbp = regs.rbp;
  f.r8 = regs.r8;
  f.r9 = regs.r9;
  f.r10 = regs.r10;
  f.r11 = regs.r11;
  f.r12 = regs.r12;
  f.r13 = regs.r13;
  f.r14 = regs.r14;
  f.r15 = regs.r15;
  return f;
}

struct Machine {
  Vm vm;
  Vcpu vcpu;
  bool manual_dirty_protect = false;
};

// Pages a reset keeps writable instead of write-protecting them again: each
// write-protection fault is a VM exit (tens of microseconds on PVM), and a
// page that every call writes (the harness's stack, a global) would pay one
// per call. A page dirtied by two resets in a row stays writable and is
// copied back at every reset, written or not (a fraction of a microsecond);
// the set is bounded and relearned now and then.
constexpr uint64_t kMaxHotPages = 64;
constexpr uint64_t kRelearnEveryResets = 1024;

struct Slot {
  uint32_t id;
  uint64_t begin, end;
  bool read_only;
  // Snapshot views log the guest's writes here so Reset() can drop them.
  bool logged;
};

// The page tables get a writable slot: with AMD nested paging (as emulated by
// QEMU) the CPU's own page-table walk is checked as a write, so tables in a
// read-only slot make every walk exit. They are safe from the guest anyway:
// its page tables do not map them, and their A/D bits are preset, so nothing
// ever writes them and they need no dirty log.
// The stack, mailbox, outbox and engine scratch are not logged either
// (guest_layout.h says why): a warm call writes them without a single fault.
// The code region is read-only to the guest; only the host writes it, and
// its own record of those writes is what a reset rolls back.
std::vector<Slot> Slots(const GuestLayout& layout) {
  const uint64_t io_end = layout.code_region_bytes != 0 ? layout.code_region : layout.heap_begin;
  std::vector<Slot> slots = {
      {kSlotSystem, abi::kSystemBase, layout.system_end, true, false},
      {kSlotPageTables, layout.page_tables, layout.page_tables_end, false, false},
      {kSlotImage, layout.image_begin, layout.ram_begin, true, false},
      {kSlotRam, layout.ram_begin, layout.stack_bottom, false, true},
      {kSlotIo, layout.stack_bottom, io_end, false, false},
      {kSlotHeap, layout.heap_begin, layout.mem_size, false, true},
  };
  if (layout.code_region_bytes != 0) {
    slots.push_back({kSlotCode, layout.code_region, layout.heap_begin, true, false});
  }
  return slots;
}

// The VM with its memory slots and its one vCPU (CPUID set, registers not).
// Snapshot views log dirty pages in their writable slots, so Reset() knows
// what to drop.
absl::StatusOr<Machine> CreateMachine(const std::shared_ptr<const Kvm>& kvm,
                                      const GuestLayout& layout, GuestMemory& memory,
                                      bool log_dirty) {
  ASSIGN_OR_RETURN(Vm vm, Vm::Create(kvm));
  bool manual_dirty_protect = false;
  if (log_dirty) {
    ASSIGN_OR_RETURN(manual_dirty_protect, vm.EnableManualDirtyProtect());
  }
  for (const Slot& slot : Slots(layout)) {
    RETURN_IF_ERROR(vm.SetMemorySlot(slot.id, slot.begin, slot.end - slot.begin,
                                     memory.host_base() + slot.begin, slot.read_only,
                                     log_dirty && slot.logged));
  }
  // Where kvmtool and Firecracker put it; guests larger than this leave it
  // out (only pre-2010 Intel CPUs without unrestricted guest need it).
  constexpr uint64_t kTssAddress = 0xfffbd000;
  if (layout.mem_size <= kTssAddress) RETURN_IF_ERROR(vm.SetTssAddress(kTssAddress));
  ASSIGN_OR_RETURN(Vcpu vcpu, vm.CreateVcpu(0));
  RETURN_IF_ERROR(vcpu.SetCpuid(*kvm->supported_cpuid()));
  return Machine{std::move(vm), std::move(vcpu), manual_dirty_protect};
}

}  // namespace

struct Sandbox::Parts {
  std::shared_ptr<const ElfImage> image;
  GuestLayout layout;
  GuestMemory memory;
  Vm vm;
  Vcpu vcpu;
  ConsoleSink* console;
  CodeRegion code_region;
};

Sandbox::Sandbox(Parts parts)
    : image_(std::move(parts.image)),
      layout_(parts.layout),
      memory_(std::move(parts.memory)),
      vm_(std::move(parts.vm)),
      vcpu_(std::move(parts.vcpu)),
      code_region_(std::move(parts.code_region)) {}

Sandbox::~Sandbox() = default;

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Assemble(Parts parts,
                                                           const SandboxOptions& options) {
  auto sandbox = std::make_unique<Sandbox>(std::move(parts));
  ASSIGN_OR_RETURN(HypercallDispatcher dispatcher,
                   HypercallDispatcher::Create(&sandbox->memory_, sandbox->layout_.mailbox,
                                               sandbox->layout_.outbox, options.console,
                                               options.services));
  sandbox->dispatcher_.emplace(std::move(dispatcher));
  sandbox->dispatcher_->set_code_region(&sandbox->code_region_);
  sandbox->dispatcher_->set_console_limit(options.max_console_bytes);
  return sandbox;
}

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Boot(const SandboxOptions& options,
                                                       absl::Time deadline) {
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::shared_ptr<const Kvm> kvm, Kvm::Shared());
  ASSIGN_OR_RETURN(std::shared_ptr<const ElfImage> image, LoadedImage(options.image, options.audit_image));
  ASSIGN_OR_RETURN(GuestLayout layout,
                   PlanLayout(options.memory_bytes, options.stack_bytes,
                              options.code_region_bytes == kDefaultCodeRegion
                                  ? DefaultCodeRegionBytes(options.memory_bytes)
                                  : options.code_region_bytes,
                              *image));
  ASSIGN_OR_RETURN(GuestMemory memory,
                   GuestMemory::Create(layout.mem_size, options.one_shot
                                                            ? GuestMemory::Backing::kOneShot
                                                            : GuestMemory::Backing::kSnapshottable));

  // The page tables follow the system area and must end below the image;
  // that bounds how many table pages there may be.
  const size_t max_table_pages = (layout.image_begin - layout.page_tables) / x86::kPage4K;
  ASSIGN_OR_RETURN(PageTables tables, BuildPageTables(PageRanges(layout, *image),
                                                      layout.page_tables, max_table_pages));
  layout.page_tables_end = layout.page_tables + tables.pages.size() * x86::kPage4K;
  std::memcpy(memory.HostAddress(layout.page_tables, tables.pages.size() * x86::kPage4K),
              tables.pages.data(), tables.pages.size() * x86::kPage4K);
  const ElfSegment* ring0 = image->ring0_segment();
  if (ring0 == nullptr || ring0->memsz < PALISADE_ABI_ISR_COUNT * PALISADE_ABI_ISR_STRIDE) {
    return absl::InvalidArgumentError(
        "the guest image has no ring-0 segment with its exception stubs (see guest.ld)");
  }
  WriteDescriptorTables(memory, layout, ring0->vaddr);
  abi::BootInfo info{};
  info.magic = abi::kBootMagic;
  info.abi_version = abi::kAbiVersion;
  info.mem_size = layout.mem_size;
  info.heap_start = layout.heap_begin;
  info.heap_end = layout.heap_end;
  info.stack_top = layout.stack_top;
  info.stack_bottom = layout.stack_bottom;
  info.exception_stack_top = layout.exception_stack_top;
  info.mailbox = layout.mailbox;
  info.outbox = layout.outbox;
  info.scratch = layout.scratch;
  info.scratch_bytes = layout.scratch_bytes;
  info.request_area = layout.request_area;
  info.request_area_bytes = layout.request_area_bytes;
  info.code_region = layout.code_region;
  info.code_region_bytes = layout.code_region_bytes;
  std::memcpy(memory.HostAddress(layout.boot_info, sizeof(info)), &info, sizeof(info));
  image->LoadInto(memory);

  // What hypercalls may name. The page tables are deliberately absent: no
  // guest pointer may refer to them.
  using Access = GuestMemory::Access;
  RETURN_IF_ERROR(memory.AddRegion(abi::kSystemBase, layout.system_end - abi::kSystemBase,
                                   Access::kReadOnly, "the system area"));
  RETURN_IF_ERROR(memory.AddRegion(layout.image_begin, layout.ram_begin - layout.image_begin,
                                   Access::kReadOnly, "the image's code"));
  // The code region is read-only to hypercalls too: no call may have the
  // host write into it for the guest.
  if (layout.code_region_bytes == 0) {
    RETURN_IF_ERROR(memory.AddRegion(layout.ram_begin, layout.mem_size - layout.ram_begin,
                                     Access::kReadWrite, "RAM"));
  } else {
    RETURN_IF_ERROR(memory.AddRegion(layout.ram_begin, layout.code_region - layout.ram_begin,
                                     Access::kReadWrite, "RAM"));
    RETURN_IF_ERROR(memory.AddRegion(layout.code_region, layout.code_region_bytes,
                                     Access::kReadOnly, "the compiled-code region"));
    RETURN_IF_ERROR(memory.AddRegion(layout.heap_begin, layout.mem_size - layout.heap_begin,
                                     Access::kReadWrite, "the heap"));
  }

  ASSIGN_OR_RETURN(Machine machine, CreateMachine(kvm, layout, memory, /*log_dirty=*/false));
  Vcpu& vcpu = machine.vcpu;
  ASSIGN_OR_RETURN(kvm_sregs reset, vcpu.GetSregs());
  RETURN_IF_ERROR(vcpu.SetSregs(LongModeSregs(reset, layout, Backend())));
  kvm_regs regs{};
  regs.rip = image->entry();
  regs.rsp = layout.stack_top;
  regs.rdi = layout.boot_info;
  regs.rflags = x86::kRflagsReserved1;  // IF = 0, IOPL = 0: only the TSS bitmap opens ports
  RETURN_IF_ERROR(vcpu.SetRegs(regs));

  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox,
                   Assemble(Parts{image, layout, std::move(memory), std::move(machine.vm),
                                  std::move(machine.vcpu), options.console,
                                  CodeRegion(layout.code_region, layout.code_region_bytes,
                                             layout.code_region_bytes != 0 ? ImageJitHelpers(*image)
                                                                           : std::vector<uint64_t>{})},
                            options));

  const absl::Time setup_done = absl::Now();
  ASSIGN_OR_RETURN(HypercallOutcome ready, sandbox->RunUntilStop(deadline));
  if (ready.kind != HypercallOutcome::Kind::kAwaitCommand) {
    sandbox->alive_ = false;
    return absl::AbortedError(
        absl::StrFormat("guest exited with code %d during boot", ready.value));
  }
  const absl::Time end = absl::Now();
  sandbox->timings_ = BootTimings{setup_done - start, end - setup_done, end - start};
  VmCounters::Add(ProcessVmCounters().boots);
  return sandbox;
}

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::FromSnapshot(
    std::shared_ptr<const Snapshot> snapshot, const SandboxOptions& options) {
  if (snapshot == nullptr) return absl::InvalidArgumentError("no snapshot");
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::shared_ptr<const Kvm> kvm, Kvm::Shared());
  const GuestLayout& layout = snapshot->layout;
  ASSIGN_OR_RETURN(GuestMemory memory,
                   GuestMemory::MapSnapshot(snapshot->memfd.get(), layout.mem_size));
  for (const GuestMemory::Region& r : snapshot->regions) {
    RETURN_IF_ERROR(memory.AddRegion(r.gpa, r.size, r.access, r.name));
  }
  ASSIGN_OR_RETURN(Machine machine, CreateMachine(kvm, layout, memory, /*log_dirty=*/true));
  RETURN_IF_ERROR(machine.vcpu.RestoreState(snapshot->vcpu));
  ASSIGN_OR_RETURN(std::unique_ptr<Sandbox> sandbox,
                   Assemble(Parts{snapshot->image, layout, std::move(memory),
                                  std::move(machine.vm), std::move(machine.vcpu), options.console,
                                  snapshot->code_region},
                            options));
  sandbox->snapshot_ = std::move(snapshot);
  sandbox->manual_dirty_protect_ = machine.manual_dirty_protect;
  sandbox->awaiting_command_ = true;
  sandbox->dirty_bitmap_.assign(sandbox->memory_.bitmap_words(), 0);
  const absl::Duration total = absl::Now() - start;
  sandbox->timings_ = BootTimings{total, absl::ZeroDuration(), total};
  VmCounters::Add(ProcessVmCounters().snapshot_starts);
  return sandbox;
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Sandbox::TakeSnapshot() {
  if (!alive_ || !awaiting_command_) {
    return absl::FailedPreconditionError(
        "a snapshot needs a live sandbox waiting for a command");
  }
  if (snapshot_ != nullptr) {
    return absl::FailedPreconditionError("this sandbox already runs on a snapshot");
  }
  if (!memory_.can_freeze()) {
    return absl::FailedPreconditionError("a one-shot sandbox (SandboxOptions::one_shot) cannot be snapshotted");
  }
  RETURN_IF_ERROR(vcpu_.CompletePendingExit());
  auto snapshot = std::make_shared<Snapshot>();
  ASSIGN_OR_RETURN(snapshot->vcpu, vcpu_.SaveState());
  // KVM on AMD reports TR as busy whatever was loaded; restore what Boot chose.
  snapshot->vcpu.sregs.tr.type = TrType(Backend());
  ASSIGN_OR_RETURN(snapshot->memfd, memory_.Freeze());
  snapshot->layout = layout_;
  snapshot->regions = memory_.regions();
  snapshot->image = image_;
  snapshot->code_region = code_region_;
  ASSIGN_OR_RETURN(manual_dirty_protect_, vm_.EnableManualDirtyProtect());
  for (const Slot& slot : Slots(layout_)) {
    if (!slot.logged) continue;
    RETURN_IF_ERROR(vm_.SetMemorySlot(slot.id, slot.begin, slot.end - slot.begin,
                                      memory_.host_base() + slot.begin, false, true));
  }
  dirty_bitmap_.assign(memory_.bitmap_words(), 0);
  snapshot_ = snapshot;
  return snapshot;
}

absl::Status Sandbox::Reset() {
  if (snapshot_ == nullptr) return absl::FailedPreconditionError("sandbox has no snapshot");
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (running_) return absl::FailedPreconditionError("cannot reset a running sandbox");
  }
  // A guest that finished cleanly waits in its serve loop, which keeps no
  // state in registers across the wait (guest-runtime/lib/serve_loop.S): the
  // vCPU needs no restore, only memory does. After a crash, deadline or
  // cancel the vCPU is anywhere and gets the snapshot's state back.
  const bool rewind_memory_only = alive_ && awaiting_command_;
  alive_ = false;  // until the reset is complete
  awaiting_command_ = false;
  if (!rewind_memory_only) RETURN_IF_ERROR(vcpu_.CompletePendingExit());
  std::fill(dirty_bitmap_.begin(), dirty_bitmap_.end(), 0);
  for (const Slot& slot : Slots(layout_)) {
    if (!slot.logged) continue;
    const uint64_t first = slot.begin / x86::kPage4K;
    const uint64_t pages = (slot.end - slot.begin) / x86::kPage4K;
    slot_bitmap_.assign((pages + 63) / 64, 0);
    RETURN_IF_ERROR(vm_.GetDirtyLog(slot.id, slot_bitmap_));
    if (manual_dirty_protect_) RETURN_IF_ERROR(ProtectColdPages(slot.id, pages));
    for (size_t w = 0; w < slot_bitmap_.size(); ++w) {
      for (uint64_t bits = slot_bitmap_[w]; bits != 0; bits &= bits - 1) {
        const uint64_t page = first + w * 64 + std::countr_zero(bits);
        dirty_bitmap_[page / 64] |= uint64_t{1} << (page % 64);
      }
    }
  }
  memory_.TakeHostWrites(dirty_bitmap_);
  ASSIGN_OR_RETURN(last_reset_pages_, memory_.DiscardPages(dirty_bitmap_));
  VmCounters::Add(ProcessVmCounters().resets);
  VmCounters::Add(ProcessVmCounters().pages_reset, last_reset_pages_);
  if (!rewind_memory_only) RETURN_IF_ERROR(vcpu_.RestoreState(snapshot_->vcpu));
  code_region_ = snapshot_->code_region;  // its bytes came back with the memory
  last_reset_restored_vcpu_ = !rewind_memory_only;
  fault_.reset();
  crash_report_.clear();
  cancelled_.store(false);
  dispatcher_->ResetConsoleCount();
  alive_ = true;
  awaiting_command_ = true;
  return absl::OkStatus();
}

absl::Status Sandbox::ProtectColdPages(uint32_t slot, uint64_t pages) {
  std::vector<uint64_t>& last = last_dirty_[slot];
  last.resize(slot_bitmap_.size(), 0);
  uint64_t hot = 0;
  for (size_t w = 0; w < slot_bitmap_.size(); ++w) {
    if (const uint64_t both = slot_bitmap_[w] & last[w]; both != 0) hot += std::popcount(both);
  }
  const bool relearn = hot > kMaxHotPages || ++resets_since_relearn_[slot] >= kRelearnEveryResets;
  if (relearn) resets_since_relearn_[slot] = 0;
  clear_bitmap_.resize(slot_bitmap_.size());
  bool any = false;
  for (size_t w = 0; w < slot_bitmap_.size(); ++w) {
    clear_bitmap_[w] = relearn ? slot_bitmap_[w] : slot_bitmap_[w] & ~last[w];
    any |= clear_bitmap_[w] != 0;
  }
  last = slot_bitmap_;
  if (relearn) std::fill(last.begin(), last.end(), 0);
  return any ? vm_.ClearDirtyLog(slot, 0, pages, clear_bitmap_) : absl::OkStatus();
}

void Sandbox::set_console(ConsoleSink* console) { dispatcher_->set_console(console); }
void Sandbox::set_services(GuestServices* services) { dispatcher_->set_services(services); }

absl::StatusOr<int64_t> Sandbox::RunCommand(abi::Command command, uint64_t a0, uint64_t a1,
                                            uint64_t a2, absl::Time deadline) {
  if (!alive_) return absl::FailedPreconditionError("sandbox has already stopped");
  dispatcher_->AnswerAwaitCommand(command, a0, a1, a2);
  ASSIGN_OR_RETURN(HypercallOutcome out, RunUntilStop(deadline));
  if (out.kind == HypercallOutcome::Kind::kExit) {
    alive_ = false;
    return absl::AbortedError(absl::StrFormat(
        "guest exited with code %d instead of finishing command %d", out.value,
        static_cast<int64_t>(command)));
  }
  return out.value;
}

absl::Status Sandbox::RollBackAtReset(uint64_t gpa, uint64_t len) {
  return memory_.Write(gpa, len).status();  // records the range as the host's
}

absl::Status Sandbox::CopyToGuest(uint64_t gpa, std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(std::span<uint8_t> dst, memory_.Write(gpa, bytes.size()));
  if (!bytes.empty()) std::memcpy(dst.data(), bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Sandbox::Shutdown(int64_t code, absl::Time deadline) {
  if (!alive_) return absl::FailedPreconditionError("sandbox has already stopped");
  dispatcher_->AnswerAwaitCommand(abi::Command::kShutdown, static_cast<uint64_t>(code), 0, 0);
  ASSIGN_OR_RETURN(HypercallOutcome out, RunUntilStop(deadline));
  alive_ = false;
  if (out.kind != HypercallOutcome::Kind::kExit) {
    return absl::AbortedError("guest asked for another command after shutdown");
  }
  return out.value;
}

void Sandbox::Cancel() {
  cancelled_.store(true);
  std::lock_guard<std::mutex> lock(run_mu_);
  if (running_) {
    __atomic_store_n(&vcpu_.run()->immediate_exit, 1, __ATOMIC_SEQ_CST);
    pthread_kill(running_thread_, Vcpu::KickSignal());
  }
}

absl::StatusOr<HypercallOutcome> Sandbox::RunUntilStop(absl::Time deadline) {
  Vcpu::InstallKickHandler();
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    running_ = true;
    running_thread_ = pthread_self();
  }
  vcpu_.ClearKick();
  absl::StatusOr<HypercallOutcome> result;
  if (absl::Status armed = watchdog_.Arm(deadline, FlushTick()); !armed.ok()) {
    result = armed;
  } else {
    result = RunLoop(deadline);
    watchdog_.Disarm();
  }
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    running_ = false;
  }
  // Whatever stopped the guest, what it queued before is passed on: output
  // printed just before a crash or a deadline is not lost. (A clean stop at
  // a hypercall drained it already.)
  if (absl::Status drained = dispatcher_->DrainOutbox(/*at_hypercall=*/false);
      !drained.ok() && result.ok()) {
    result = drained;
  }
  if (!result.ok()) alive_ = false;
  awaiting_command_ = result.ok() && result->kind == HypercallOutcome::Kind::kAwaitCommand;
  return result;
}

absl::Duration Sandbox::FlushTick() const {
  return dispatcher_->has_console() ? kOutboxFlushTick : absl::InfiniteDuration();
}

absl::StatusOr<HypercallOutcome> Sandbox::RunLoop(absl::Time deadline) {
  // The timer signal for an already-past deadline is asynchronous; without
  // this check a short run could finish before it lands.
  if (absl::Now() >= deadline) {
    return absl::DeadlineExceededError("sandbox deadline exceeded before the guest ran");
  }
  // A caller whose own deadline cancels the call (gRPC does) races the
  // watchdog, and gRPC's timer may fire a little before absl::Now() reaches
  // the same deadline: a deadline passed, or about to, is the truer reason.
  const auto cancelled = [deadline] {
    if (absl::Now() >= deadline - kCancelAtDeadline) {
      return absl::DeadlineExceededError("sandbox deadline exceeded (the call was cancelled at its deadline)");
    }
    return absl::CancelledError("sandbox cancelled");
  };
  for (;;) {
    if (cancelled_.load()) return cancelled();
    ASSIGN_OR_RETURN(Vcpu::RunResult rr, vcpu_.Run());
    if (rr == Vcpu::RunResult::kInterrupted) {
      if (absl::Now() >= deadline) {
        auto regs = vcpu_.GetRegs();
        return absl::DeadlineExceededError(absl::StrFormat(
            "sandbox deadline exceeded; the guest was stopped at rip %s",
            regs.ok() ? absl::StrFormat("%#x", regs->rip) : std::string("(unknown)")));
      }
      if (cancelled_.load()) return cancelled();
      // The flush tick (or a stray signal): pass on what the guest queued so
      // far, and let it run on.
      vcpu_.ClearKick();
      RETURN_IF_ERROR(dispatcher_->DrainOutbox(/*at_hypercall=*/false));
      RETURN_IF_ERROR(watchdog_.Arm(deadline, FlushTick()));
      continue;
    }
    ++exits_;
    const kvm_run& run = *vcpu_.run();
    switch (run.exit_reason) {
      case KVM_EXIT_IO: {
        // A hypercall that waits (stdin, sleep) must not be cut short by the
        // flush tick; the outbox is drained before it anyway.
        const bool may_block = MayBlock(ExitHypercallNumber(run, vcpu_.run_size()));
        if (may_block) RETURN_IF_ERROR(watchdog_.Arm(deadline));
        auto outcome = dispatcher_->Dispatch(run, vcpu_.run_size());
        if (may_block) RETURN_IF_ERROR(watchdog_.Arm(deadline, FlushTick()));
        if (!outcome.ok()) return outcome.status();
        switch (outcome->kind) {
          case HypercallOutcome::Kind::kResume:
            // The deadline's signal only kicks KVM_RUN; one that arrived
            // while a hypercall blocked (stdin, sleep) is caught here.
            if (absl::Now() >= deadline) {
              return absl::DeadlineExceededError(
                  "sandbox deadline exceeded during a hypercall");
            }
            continue;
          case HypercallOutcome::Kind::kFault:
            return Crash(absl::StatusCode::kAborted,
                         DescribeFault(outcome->fault, image_.get(), RegionHint(outcome->fault.cr2), &code_region_),
                         outcome->fault);
          default:
            return *outcome;
        }
      }
      case KVM_EXIT_MMIO: {
        const uint64_t gpa = run.mmio.phys_addr;
        const bool in_memory = memory_.Read(gpa, 1).ok();
        return CrashFromVcpu(absl::StrFormat(
            "guest %s %d bytes at guest-physical %#x, which is %s", run.mmio.is_write ? "wrote" : "read",
            run.mmio.len, gpa, in_memory ? "read-only memory" : "not guest memory"));
      }
      case KVM_EXIT_HLT:
        return CrashFromVcpu("guest executed hlt (it has no interrupts to wait for)");
      case KVM_EXIT_SHUTDOWN:
        return CrashFromVcpu("guest triple-faulted (CPU shutdown)");
      case KVM_EXIT_FAIL_ENTRY:
        return CrashFromVcpu(absl::StrFormat(
            "KVM could not enter the guest (hardware reason %#x)",
            run.fail_entry.hardware_entry_failure_reason));
      case KVM_EXIT_INTERNAL_ERROR:
        return CrashFromVcpu(absl::StrFormat("KVM internal error (suberror %d)",
                                             run.internal.suberror));
      default:
        return CrashFromVcpu(absl::StrFormat("unexpected KVM exit reason %d", run.exit_reason));
    }
  }
}

absl::Status Sandbox::Crash(absl::StatusCode code, const std::string& summary,
                            const abi::FaultReport& report) {
  alive_ = false;
  fault_ = report;
  crash_report_ = FormatCrashReport(report, memory_, image_.get(), summary, &code_region_);
  absl::Status status(code, absl::StrCat("guest crashed: ", summary));
  status.SetPayload(kCrashReportPayload, absl::Cord(crash_report_));
  return status;
}

absl::Status Sandbox::CrashFromVcpu(const std::string& what) {
  auto regs = vcpu_.GetRegs();
  auto sregs = vcpu_.GetSregs();
  if (!regs.ok() || !sregs.ok()) {
    alive_ = false;
    return absl::AbortedError(absl::StrCat("guest crashed: ", what));
  }
  const ElfSymbol* fn = image_->FindFunction(regs->rip);
  std::string summary =
      fn != nullptr ? absl::StrFormat("%s at rip %#x <%s+%#x>", what, regs->rip, fn->name,
                                      regs->rip - fn->address)
                    : absl::StrFormat("%s at rip %#x", what, regs->rip);
  return Crash(absl::StatusCode::kAborted, summary, ReportFromRegs(*regs, *sregs));
}

const char* Sandbox::RegionHint(uint64_t a) const {
  const GuestLayout& l = layout_;
  if (a < abi::kSystemBase) return "null page";
  if (a >= l.stack_bottom - x86::kPage4K && a < l.stack_bottom) return "stack guard page: stack overflow";
  if (a >= l.exception_stack_bottom - x86::kPage4K && a < l.exception_stack_bottom) {
    return "exception stack guard page";
  }
  if (a >= l.exception_stack_bottom && a < l.exception_stack_top) {
    return "the ring-0 exception stack, supervisor-only";
  }
  if (a >= abi::kSystemBase && a < abi::kBootInfoAddress) {
    return "GDT/IDT/TSS, supervisor-only and read-only";
  }
  if (a >= abi::kBootInfoAddress && a < l.system_end) return "boot info, read-only";
  if (a >= l.page_tables && a < l.page_tables_end) return "page tables, not mapped";
  if (const ElfSegment* ring0 = image_->ring0_segment();
      ring0 != nullptr && a >= ring0->vaddr && a < ring0->vaddr + ring0->memsz) {
    return "ring-0 exception stubs, supervisor-only";
  }
  if (a >= l.image_begin && a < l.ram_begin) return "image code/rodata, not writable";
  if (a >= l.ram_begin && a < l.image_end) return "image data, not executable";
  if (a >= l.mem_size) return "beyond guest memory";
  if (l.code_region_bytes != 0 && a >= l.code_region && a < l.code_region + l.code_region_bytes) {
    return "the compiled-code region, read+execute only";
  }
  if (a >= l.mailbox) return "heap";
  return nullptr;
}

}  // namespace palisade
