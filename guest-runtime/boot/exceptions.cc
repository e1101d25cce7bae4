// Turns a CPU exception into a FaultReport for the host (vector, error code,
// RIP, CR2 and every general register) and ends the guest with kFault.
#include <stdint.h>

#include "abi/hypercall_abi.h"
#include "lib/hypercall.h"
#include "lib/string.h"

namespace {

// Matches the push order in isr.S, lowest address first.
struct ExceptionFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

}  // namespace

extern "C" [[noreturn]] void palisade_exception(const ExceptionFrame* f) {
  using palisade::abi::FaultReport;
  FaultReport report{};
  report.vector = f->vector;
  report.error_code = f->error_code;
  report.rip = f->rip;
  report.cs = f->cs;
  report.rflags = f->rflags;
  report.rsp = f->rsp;
  report.ss = f->ss;
  asm volatile("mov %%cr2, %0" : "=r"(report.cr2));
  asm volatile("mov %%cr3, %0" : "=r"(report.cr3));
  report.rax = f->rax;
  report.rbx = f->rbx;
  report.rcx = f->rcx;
  report.rdx = f->rdx;
  report.rsi = f->rsi;
  report.rdi = f->rdi;
  report.rbp = f->rbp;
  report.r8 = f->r8;
  report.r9 = f->r9;
  report.r10 = f->r10;
  report.r11 = f->r11;
  report.r12 = f->r12;
  report.r13 = f->r13;
  report.r14 = f->r14;
  report.r15 = f->r15;
  memcpy(palisade::guest::mailbox().payload, &report, sizeof(report));
  palisade::guest::Hypercall(palisade::abi::Hypercall::kFault);
  for (;;) asm volatile("hlt");
}
