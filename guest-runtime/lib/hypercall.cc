#include "lib/hypercall.h"

#include "lib/string.h"

namespace palisade::guest {
namespace {
abi::Mailbox* g_mailbox = nullptr;
}

void HypercallInit(abi::Mailbox* mailbox) { g_mailbox = mailbox; }

abi::Mailbox& mailbox() { return *g_mailbox; }

int64_t Hypercall(abi::Hypercall nr, uint64_t a0, uint64_t a1, uint64_t a2,
                  uint64_t a3, uint64_t a4, uint64_t a5) {
  abi::Mailbox* mb = g_mailbox;
  mb->abi_version = abi::kAbiVersion;
  mb->args[0] = a0;
  mb->args[1] = a1;
  mb->args[2] = a2;
  mb->args[3] = a3;
  mb->args[4] = a4;
  mb->args[5] = a5;
  // The "memory" clobber orders the mailbox stores before the exit and the
  // host's answer before our loads.
  asm volatile("outl %0, %1"
               :
               : "a"(static_cast<uint32_t>(nr)), "Nd"(abi::kHypercallPort)
               : "memory");
  return mb->result;
}

void Exit(int64_t code) {
  Hypercall(abi::Hypercall::kExit, static_cast<uint64_t>(code));
  for (;;) asm volatile("ud2");  // not reached: the host never resumes
}

void Abort(abi::AbortReason reason, const char* message, uint64_t figure0,
           uint64_t figure1) {
  Hypercall(abi::Hypercall::kAbort, static_cast<uint64_t>(reason),
            reinterpret_cast<uint64_t>(message), strlen(message), figure0,
            figure1);
  for (;;) asm volatile("ud2");  // not reached: the host never resumes
}

void Print(const char* text, abi::ConsoleStream stream) {
  Hypercall(abi::Hypercall::kConsoleWrite, static_cast<uint64_t>(stream),
            reinterpret_cast<uint64_t>(text), strlen(text));
}

}  // namespace palisade::guest

extern "C" [[noreturn]] void palisade_guest_exit(int code) {
  palisade::guest::Exit(code);
}
