// Commands understood only by the test guest image (palisade_test_guest), which
// the VMM tests boot to make the guest misbehave on purpose. Shared by the
// guest and the host tests.
#pragma once

#include <stdint.h>

namespace palisade::test_guest {

enum Command : int64_t {
  kSpin = 100,            // loop forever
  kUd2 = 101,             // #UD
  kReadAddress = 102,     // read a u64 at args[0]
  kWriteCode = 103,       // write into our own .text (W^X: #PF)
  kExecData = 104,        // jump into .data (W^X: #PF, instruction fetch)
  kStackOverflow = 105,   // unbounded recursion into the guard page
  kAllocUntilOom = 106,   // allocate args[0]-byte blocks until the heap is gone
  kBadHypercall = 107,    // args[0] = a BadHypercall variant, args[1] = an address
  kSseSum = 108,          // returns (int)(sum of doubles 0.5..args[0]) via SSE
  kCpuidVendorEbx = 109,  // returns CPUID leaf 0 %ebx
  kPrint = 110,           // prints "hello from the guest\n" to stdout
  kHeapSelfTest = 111,    // allocate/free patterns; returns 0 if consistent
  kHalt = 112,            // executes hlt (CPL 3: #GP)
  kLoadEmptyIdt = 113,    // lidt of an empty IDT, then ud2 (CPL 3: the lidt is #GP)
  kWriteSystemArea = 114,  // write the GDT page (supervisor-only: #PF)
  kJumpToRing0 = 116,     // jump to args[0], the ring-0 stubs (supervisor-only: #PF)
  kOutToPort = 117,       // outb to port args[0] (closed in the TSS bitmap: #GP)
  kDirtyRegisters = 118,  // leaves args[0] in xmm15 and r15, and MXCSR rounding toward zero
  kReadRegisters = 119,   // returns xmm15 | r15 | (MXCSR != 0x1f80): 0 if nothing carried over
  kBootInfoCheck = 115,   // returns 0 if BootInfo matches what the guest sees
  // The code region (vmm/code_region.h):
  kSealCode = 120,        // kSealCode of the hand-made buffer args[0] (a SealVariant); returns its result
  kCallAddress = 121,     // calls args[0] as uint64_t(); returns what it returns
  kWriteAddress = 122,    // writes a byte at args[0]
  kReleaseCode = 123,     // kReleaseCode of args[0], as a plain hypercall; returns its result
};

// Buffers handed to kSealCode: one the check passes, and one breaking each of
// its rules or the hypercall's.
enum SealVariant : uint64_t {
  kSealReturn42 = 0,       // mov eax, 42; ret
  kSealCpuid = 1,          // cpuid; ret: not an allowed instruction
  kSealJumpOutside = 2,    // jmp rel32 to 1 MiB past the buffer, no relocation
  kSealMidInstruction = 3, // jmp into the middle of the next instruction
  kSealRelocNotHelper = 4, // call rel32 relocated to palisade_guest_main
  kSealRelocOutside = 5,   // a relocation past the end of the code
  kSealTooLarge = 6,       // more bytes than the whole region holds
  kSealUndecodable = 7,    // a byte Capstone cannot decode
};

// Malformed hypercalls, each of which the host must refuse and end the sandbox.
enum BadHypercall : uint64_t {
  kUnknownNumber = 0,
  kWrongPort = 1,
  kByteSizedOut = 2,
  kWordSizedOut = 3,
  kInInsteadOfOut = 4,
  kStringIo = 5,
  kWrongAbiVersion = 6,
  kEchoSourceOutside = 7,      // source at args[1]
  kEchoLengthOverflow = 8,     // source + length wraps around
  kEchoDestReadOnly = 9,       // destination in our own .text
  kEchoDestOverflow = 10,      // destination + capacity wraps around
  kConsoleBadStream = 11,
  kConsoleHugeLength = 12,
  kAbortBadReason = 13,
  kEchoSourceInGap = 14,       // source in the unmapped gap below the image
  kEchoDestCodeRegion = 15,    // destination in the code region (read-only to hypercalls)
};

}  // namespace palisade::test_guest
