// The guest <-> host ABI: boot info, the mailbox page, the hypercall table and
// the fault report. Shared verbatim by the freestanding guest and the VMM, so it
// uses only <stdint.h> and fixed-layout structs. docs/ABI.md is the prose form;
// bump kAbiVersion on any incompatible change to this file.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ring3_abi.h"  // same folder: found from the guest and the host

namespace palisade::abi {

inline constexpr uint32_t kAbiVersion = PALISADE_ABI_VERSION;

// A hypercall is one `out %eax, %dx` with dx = kHypercallPort and eax = the
// hypercall number; its arguments and results live in the mailbox page.
inline constexpr uint16_t kHypercallPort = 0x500;

enum class Hypercall : uint32_t {
  // Guest is ready for (more) work. args[0] = status of the previous command
  // (0 on the first call, which marks the end of boot). The host answers with
  // the next command in result (a Command) and results[0..2] (its arguments).
  kAwaitCommand = 0,
  // Copies args[1] bytes at guest address args[0] to guest address args[2]
  // (capacity args[3]); result = bytes copied, results[0] = args[4].
  kEcho = 1,
  // Writes args[2] bytes at guest address args[1] to host stream args[0]
  // (a ConsoleStream). result = bytes written.
  kConsoleWrite = 2,
  // The guest took a CPU exception; the FaultReport is in the mailbox payload.
  // Never returns.
  kFault = 3,
  // The guest is done; args[0] is its exit code. Never returns.
  kExit = 4,
  // The guest hit a fatal condition it detected itself. args[0] = AbortReason,
  // args[1]/args[2] = message address/length, args[3..4] = reason-specific
  // figures (for kOutOfMemory: bytes requested, bytes free). Never returns.
  kAbort = 5,
  // --- WASI's view of the outside world (the host side of wasi::WasiSystem) ---
  // Reads at most args[1] bytes of the program's stdin into guest address
  // args[0]. result = bytes read (0 at end of input) or a negative WASI errno.
  kStdinRead = 6,
  // args[0] = WASI clock id, args[1] = 0 for the time, 1 for the resolution.
  // result = 0 and results[0] = nanoseconds, or a negative WASI errno.
  kClockTime = 7,
  // Fills args[1] bytes (at most kMaxRandomBytes) at guest address args[0]
  // with random data. result = 0.
  kRandom = 8,
  // How the program of a kRunWasi command ended (a WasmOutcome in args[0],
  // the exit code or TrapKind in args[1], function index and module offset of
  // a trap in args[2..3], and a text in args[4]/args[5]: the function's name
  // for a trap, the message for a load or link error). result = 0.
  kWasmOutcome = 9,
  // Blocks the guest for args[0] nanoseconds (at most kMaxSleepNanos; the
  // host's deadline still ends it). result = 0.
  kSleep = 10,
  // A kRunWasi in describe mode: the export's signature, args[0] = address
  // of args[1] + args[2] bytes (param types, then result types; ValType
  // bytes). result = 0.
  kWasmSignature = 11,
  // A kRunWasi in invoke mode: args[1] WasmValues at args[0], the results
  // of the call. result = 0.
  kWasmResults = 12,
  // The program called a WASI function its policy denies: args[0]/args[1]
  // = the function's name (at most kMaxPolicyNameBytes). Sent once per
  // function and run; the call itself fails in the guest. result = 0.
  kPolicyDenied = 13,
  // Does nothing but what every hypercall does first: the host drains the
  // outbox (below). The guest calls it when the outbox is full. result = 0.
  kFlush = 14,
  // --- the compiler tier (docs/COMPILER.md, "Sealing") ---
  // Hands the host one module's compiled code: args[1] bytes at guest
  // address args[0], position-independent but for args[3] SealRelocations
  // at args[2] (rel32 calls to the runtime's helpers, which the host takes
  // from the image's symbol table, never from the guest). The host applies
  // them, runs the code check (vmm/code_check.h) and copies the code into
  // the code region (BootInfo::code_region), which the guest maps
  // read+execute and can never write. result = the code's guest address,
  // or kErrTooLarge when the region has no room (the module stays with the
  // interpreter). Code that fails the check ends the sandbox.
  // Optional, for crash reports only: args[4] = the address of the
  // functions' entry offsets in the code (uint32_t, ascending), args[5] =
  // their count in the low 32 bits and the Wasm function index of the first
  // in the high 32 (0: none). A table out of order or past the code ends the
  // sandbox like a bad relocation.
  kSealCode = 15,
  // The code sealed at args[0] is no longer used: its room in the code
  // region may hold other code. result = 0.
  kReleaseCode = 16,
  // --- writable preopened directories (`--dir HOST::GUEST:rw`) ---
  // A kStart run succeeded (exit 0 or _start returned): args[1] bytes at
  // guest address args[0] are the change set of its writable directories
  // (guest-runtime/wasm/wasi/fs_changes.h), sent once, just before the
  // outcome. The host validates it like any guest input and applies it
  // only if the outcome it then receives says the run succeeded.
  // result = 0.
  kFsChanges = 17,
};
inline constexpr uint32_t kHypercallCount = 18;
// What one kFsChanges may hand over: the tree's own bound (1 GiB of file
// bytes and names by default) plus its records.
inline constexpr uint64_t kMaxFsChangesBytes = 1ull << 31;

// One rel32 field of sealed code: the 4 bytes at `offset` become
// target - (load address + offset + 4).
struct SealRelocation {
  uint32_t offset;
  uint32_t reserved;  // 0
  uint64_t target;    // a helper's entry address
};
// What one kSealCode may hand over.
inline constexpr uint64_t kMaxSealRelocations = 1u << 20;
inline constexpr uint64_t kMaxSealFunctions = 1u << 20;

// The outbox: calls whose answer the guest does not need now (console
// output, a Wasm call's results and outcome, a policy denial) are queued in
// shared memory instead of exiting, and the host handles them, in order, at
// the next exit of any kind -- so a warm call ends in one exit, the
// kAwaitCommand that also carries its results. Only the kinds marked
// deferrable below may be queued.
//
// Records lie back to back from OutboxHeader::records; [head, tail) are the
// queued ones. The guest appends a whole record, then publishes it by moving
// tail (one aligned store). The host consumes from head: at a hypercall exit
// it handles every record and sets head = tail = 0 (the guest is in the
// hypercall, not half-way through an append); when it stops the vCPU for any
// other reason (its 50 ms flush tick, a deadline, a crash) it handles the
// published records and sets head = tail, so output is never held back for
// long and never lost.
struct OutboxHeader {
  uint64_t head;  // host-owned: bytes from records already handled
  uint64_t tail;  // guest-owned except as above: bytes published
  uint64_t reserved[2];
};
struct OutboxRecord {
  uint32_t nr;     // an abi::Hypercall that IsDeferrable()
  uint32_t bytes;  // the whole record, header included; a multiple of 8
  uint64_t args[6];
  // Then the record's data: a pointer argument names a guest address inside
  // it (the host checks it like any guest pointer).
};
inline constexpr uint64_t kOutboxBytes = 256 * 1024;  // header included
inline constexpr bool IsDeferrable(uint32_t nr) {
  return nr == static_cast<uint32_t>(Hypercall::kConsoleWrite) ||
         nr == static_cast<uint32_t>(Hypercall::kWasmOutcome) ||
         nr == static_cast<uint32_t>(Hypercall::kWasmSignature) ||
         nr == static_cast<uint32_t>(Hypercall::kWasmResults) ||
         nr == static_cast<uint32_t>(Hypercall::kPolicyDenied) ||
         nr == static_cast<uint32_t>(Hypercall::kReleaseCode);
}
inline constexpr uint64_t kMaxPolicyNameBytes = 64;
inline constexpr uint64_t kMaxWasmValues = 1000;

// A Wasm value crossing the ABI: type is the binary-format ValType byte
// (0x7f i32 ... 0x7b v128); i32/f32 in the low bits of lo.
struct WasmValue {
  uint64_t type;
  uint64_t lo;
  uint64_t hi;
};

// What a kRunWasi does with the instantiated module.
enum class WasiRunMode : uint32_t {
  kStart = 0,     // call _start (a WASI command)
  kDescribe = 1,  // report the signature of the export named by the request
  kInvoke = 2,    // call that export with the request's arguments
  // Compile the request's module and keep it: later requests with an empty
  // module (module_size 0) instantiate that one afresh instead, skipping
  // decoding and compiling. A new kPrepare replaces it.
  kPrepare = 3,
  // Compile and instantiate the request's module, call its `_initialize`
  // export if it has one (a WASI reactor), and keep the instance with the
  // request's args, environment and directories: later kDescribe/kInvoke
  // requests with an empty module call into it. Its memory and globals carry
  // over from call to call, unless the host resets the sandbox to a snapshot
  // taken after this command, which is what the host does. Replaces any kept
  // instance or prepared module.
  kInstantiate = 4,
  // `palisade fuzz`: on the kept instance (a harness instantiated with
  // kFuzzCoverage), copy the request's input into memory from the harness's
  // malloc and call LLVMFuzzerTestOneInput(data, size), recording coverage
  // at coverage_offset. The command's status says how it went when the
  // harness returned: kFuzzReturned, or kFuzzRejected for a return of -1;
  // anything else (trap, exit, memory limit) is reported as a kWasmOutcome
  // and the status is 0. The host resets the sandbox after every input.
  kFuzzOne = 5,
};
inline constexpr int64_t kFuzzReturned = 1;
inline constexpr int64_t kFuzzRejected = 2;
inline constexpr uint64_t kMaxSleepNanos = 1'000'000'000;
inline constexpr uint64_t kMaxRandomBytes = 64 * 1024;
inline constexpr uint64_t kMaxOutcomeTextBytes = 4096;

enum class WasmOutcome : uint64_t {
  kExited = 1,       // _start returned (code 0) or called proc_exit (its code)
  kTrapped = 2,      // args[1] = the engine's TrapKind
  kLoadFailed = 3,   // malformed/invalid module, or a bad run request
  kLinkFailed = 4,   // unknown imports, or instantiation failed
  // kFuzzOne: the harness hit the linear-memory cap: args[1] = 0 when a
  // memory.grow was refused, 1 when its malloc for the input returned NULL.
  kMemoryLimit = 5,
};

enum class ConsoleStream : uint64_t { kStdout = 1, kStderr = 2 };

enum class AbortReason : uint64_t {
  kOutOfMemory = 1,
  kAssertion = 2,
  kCpuUnsupported = 3,  // the CPU lacks a feature the guest needs (SSE4.1)
};

// kSpec: one step of a spec-test file (guest-runtime/wasm/spectest).
enum class SpecOp : uint32_t {
  kReset = 0,        // a new file: fresh store and spectest module
  kValidate = 1,     // compile the module in data (assert_malformed/invalid)
  kInstantiate = 2,  // compile and instantiate it; reply.instance = handle
  kRegister = 3,     // register instance `instance` under the name in data
  kInvoke = 4,       // call export data of `instance` with the values
  kGet = 5,          // read global export data of `instance`
};
struct SpecRequest {
  uint64_t magic;          // kSpecMagic
  SpecOp op;
  uint32_t instance;
  uint32_t data_offset;    // module bytes, or an export / registration name
  uint32_t data_size;
  uint32_t values_offset;  // kInvoke: value_count WasmValues (8-aligned)
  uint32_t value_count;
  uint32_t flags;          // kInstantiate: kEngineCompiler
  uint32_t reserved;
};
inline constexpr uint64_t kSpecMagic = 0x5145524345505350ull;  // "PSPECREQ"
inline constexpr uint32_t kMaxSpecValues = 64;  // arguments or results of one step
struct SpecReply {
  uint32_t status;        // wasm::spectest::SpecStatus
  uint32_t trap;          // wasm::TrapKind when status is kTrap
  uint32_t instance;      // kInstantiate: the new handle
  uint32_t result_count;  // <= kMaxSpecValues
  uint32_t error_kind;    // wasm::ErrorKind of a compile or link error
  uint32_t message_size;  // bytes of message used
  char message[120];
  WasmValue results[kMaxSpecValues];
};

// Commands the host hands out in the answer to kAwaitCommand.
enum class Command : int64_t {
  kShutdown = 0,  // guest calls kExit(args[0])
  // Guest makes args[0] kEcho hypercalls of args[1] bytes each and reports
  // status 0. Used by `palisade check` and the round-trip benchmark.
  kEchoLoop = 1,
  // Guest allocates args[0] bytes for a run request the host will write
  // (freeing the previous buffer); status = their guest address, or negative
  // when it cannot. args[1] = kInputInRequestArea: in BootInfo's request
  // area if it fits (the host then rolls back whatever the guest writes
  // there itself).
  kAllocInput = 2,
  // Guest runs the WasiRunRequest at guest address args[0] (args[1] bytes,
  // inside the kAllocInput buffer), reports a kWasmOutcome, frees what the
  // run allocated and returns status 0; a negative status means the request
  // was unusable. The buffer stays until the next kAllocInput, so warm
  // sandboxes write one request after another into it.
  kRunWasi = 3,
  // Guest performs the SpecRequest at guest address args[0] (args[1] bytes,
  // inside the kAllocInput buffer) on its spec-test session and writes a
  // SpecReply over the start of that buffer (which must hold one); status 0,
  // or negative for an unusable request. `palisade spec --in-vm`.
  kSpec = 4,
  // Test-only guest image commands start here; see guest-runtime/test_guest.
  kFirstTestCommand = 100,
};

inline constexpr uint64_t kInputInRequestArea = 1;

// A WASI command to run, written by the host into guest memory (kAllocInput,
// then kRunWasi). Offsets are from the start of the request; strings are
// NUL-terminated and stored back to back.
struct WasiRunRequest {
  uint64_t magic;             // kWasiRunMagic
  uint32_t module_offset;
  uint32_t module_size;
  uint32_t args_offset;       // argc strings
  uint32_t args_size;
  uint32_t argc;
  uint32_t env_offset;        // envc "KEY=VALUE" strings
  uint32_t env_size;
  uint32_t envc;
  uint32_t max_memory_pages;  // cap on linear memory (64 KiB pages)
  uint32_t fs_offset;         // the preopened directories (wasi/fs_image.h), 8-aligned
  uint64_t fuel;              // 0: unlimited
  uint64_t fs_size;           // 0: no preopens
  WasiRunMode mode;
  uint32_t export_offset;     // kDescribe/kInvoke: the export's name
  uint32_t export_size;
  uint32_t values_offset;     // kInvoke: value_count WasmValues (8-aligned)
  uint32_t value_count;
  uint32_t policy_flags;      // kPolicyRefuseModule, kFuzzCoverage, kEngineCompiler
  uint64_t wasi_denied;       // bit i: WASI function i (wasi/wasi_functions.h) is denied
  // kFuzzOne: the input, and where coverage goes: coverage_counters edge
  // counters (a power of two) then coverage_cmp_slots wasm::CmpRecords (a
  // power of two, 8-aligned), inside the request.
  uint32_t input_offset;
  uint32_t input_size;
  uint32_t coverage_offset;
  uint32_t coverage_counters;
  uint32_t coverage_cmp_slots;
  uint32_t reserved;
};
// A module importing a denied WASI function fails to link (else the call fails).
inline constexpr uint32_t kPolicyRefuseModule = 1;
// kInstantiate: compile the module with coverage probes (palisade fuzz).
inline constexpr uint32_t kFuzzCoverage = 2;
// Compile the module to x86-64 (the compiler tier) where the tier can; else,
// or without the flag, interpret it. Also a SpecRequest flag.
inline constexpr uint32_t kEngineCompiler = 4;
// The host's stdin / stdout / stderr is a terminal: WASI reports that stream
// as a character device (isatty() true), else as a stream of unknown type, as
// a careful host does for pipes and files. Programs decide on it: buffering,
// prompts, bzip2's refusal to write compressed data to a terminal.
inline constexpr uint32_t kStdinTerminal = 8;
inline constexpr uint32_t kStdoutTerminal = 16;
inline constexpr uint32_t kStderrTerminal = 32;
// kStart: hand the writable directories' changes over (kFsChanges) after a
// trap or a non-zero exit too, not only after exit 0 (`--partial-results`,
// RunWasiRequest.partial_results).
inline constexpr uint32_t kPartialResults = 64;
inline constexpr uint64_t kWasiRunMagic = 0x4e55524953415750ull;  // "PWASIRUN"

// Mailbox: one 4 KiB page of guest RAM at BootInfo::mailbox. The guest fills
// abi_version and args, executes the `out`, then reads result/results.
struct Mailbox {
  uint32_t abi_version;
  uint32_t reserved0;
  uint64_t args[6];
  int64_t result;
  uint64_t results[3];
  uint8_t payload[4096 - 8 - 6 * 8 - 8 - 3 * 8];
};
static_assert(sizeof(Mailbox) == 4096);
inline constexpr uint64_t kMailboxPayloadOffset = 8 + 6 * 8 + 8 + 3 * 8;

// Negative results of a hypercall that returned (the host ends the sandbox for
// anything malformed; these are for well-formed requests it declines).
inline constexpr int64_t kErrTooLarge = -1;

// Fixed by the host at boot, read-only to the guest, passed in %rdi.
struct BootInfo {
  uint64_t magic;  // kBootMagic
  uint32_t abi_version;
  uint32_t reserved0;
  uint64_t mem_size;       // bytes of guest-physical address space in use
  uint64_t heap_start;     // [heap_start, heap_end): free RAM for the allocator
  uint64_t heap_end;
  uint64_t stack_top;      // initial %rsp; the page below stack_bottom is a guard
  uint64_t stack_bottom;
  uint64_t exception_stack_top;  // the ring-0 stack (TSS.RSP0), supervisor-only
  uint64_t mailbox;        // guest address of the Mailbox
  uint64_t command_arg_max;  // reserved for future use; 0 today
  uint64_t outbox;         // guest address of the OutboxHeader (kOutboxBytes)
  // Scratch for the Wasm engine's value and call stacks, whose contents are
  // dead between calls: the host never rolls it back (writing it costs no
  // fault after a reset). 0 bytes: the engine takes its stacks from the heap.
  uint64_t scratch;
  uint64_t scratch_bytes;
  // Where kAllocInput with kInputInRequestArea puts a warm sandbox's request
  // buffer: memory the host rewrites itself, never dirty-logged, so what the
  // guest writes there (palisade fuzz's coverage) costs no fault. 0 bytes:
  // on the heap.
  uint64_t request_area;
  uint64_t request_area_bytes;
  // Where kSealCode puts compiled code: read+execute for the guest, never
  // writable. 0 bytes: no compiler tier in this guest (too little memory).
  uint64_t code_region;
  uint64_t code_region_bytes;
};
inline constexpr uint64_t kBootMagic = 0x544f4f4253494c50ull;  // "PLISBOOT"

// Written by the guest exception handler into Mailbox::payload.
struct FaultReport {
  uint64_t vector;
  uint64_t error_code;
  uint64_t rip, cs, rflags, rsp, ss;
  uint64_t cr2, cr3;
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
static_assert(sizeof(FaultReport) <= sizeof(Mailbox::payload));

// Guest-physical layout fixed by the ABI. Everything else (heap, stack,
// mailbox) is described by BootInfo.
inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kSystemBase = PALISADE_ABI_SYSTEM_BASE;  // GDT, IDT, TSS, BootInfo
inline constexpr uint64_t kGdtAddress = PALISADE_ABI_GDT_PAGE;
inline constexpr uint64_t kIdtAddress = PALISADE_ABI_IDT_PAGE;
inline constexpr uint64_t kTssAddress = PALISADE_ABI_TSS_PAGE;
inline constexpr uint64_t kBootInfoAddress = PALISADE_ABI_BOOT_INFO;
inline constexpr uint64_t kSystemEnd = PALISADE_ABI_SYSTEM_END;
inline constexpr uint64_t kImageBase = 0x100000;    // guest ELF load address
static_assert(offsetof(BootInfo, mailbox) == PALISADE_ABI_BOOT_INFO_MAILBOX);
static_assert(kMailboxPayloadOffset == PALISADE_ABI_MAILBOX_PAYLOAD);
static_assert(offsetof(FaultReport, cr2) == PALISADE_ABI_FAULT_CR2);
static_assert(offsetof(FaultReport, r15) == PALISADE_ABI_FAULT_R15);
static_assert(static_cast<uint32_t>(Hypercall::kFault) == PALISADE_ABI_HYPERCALL_FAULT);
static_assert(kHypercallPort == PALISADE_ABI_HYPERCALL_PORT);
static_assert(kAbiVersion == PALISADE_ABI_VERSION);

// Privilege (ring3_abi.h has the selectors and the ring-0 segment's shape).
// the guest runtime and the engine run at CPL 3; ring 0 holds only the
// exception entry stubs, which report the fault and stop.
inline constexpr uint16_t kKernelCodeSelector = PALISADE_ABI_KERNEL_CS;
inline constexpr uint16_t kKernelDataSelector = PALISADE_ABI_KERNEL_DS;
inline constexpr uint16_t kUserDataSelector = PALISADE_ABI_USER_DS;
inline constexpr uint16_t kUserCodeSelector = PALISADE_ABI_USER_CS;
inline constexpr uint16_t kTssSelector = PALISADE_ABI_TSS_SELECTOR;

}  // namespace palisade::abi
