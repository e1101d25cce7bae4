// Guest side of the hypercall ABI (abi/hypercall_abi.h): fill the mailbox,
// one `out` to the hypercall port, read the answer. One VM exit per call.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "abi/hypercall_abi.h"

namespace palisade::guest {

void HypercallInit(abi::Mailbox* mailbox);
abi::Mailbox& mailbox();

int64_t Hypercall(abi::Hypercall nr, uint64_t a0 = 0, uint64_t a1 = 0,
                  uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                  uint64_t a5 = 0);

[[noreturn]] void Exit(int64_t code);
[[noreturn]] void Abort(abi::AbortReason reason, const char* message,
                        uint64_t figure0 = 0, uint64_t figure1 = 0);

// Writes a NUL-terminated string to the host's stdout or stderr stream.
void Print(const char* text,
           abi::ConsoleStream stream = abi::ConsoleStream::kStdout);

}  // namespace palisade::guest
