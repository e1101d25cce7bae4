#include "vmm/x86.h"

namespace palisade::x86 {
namespace {
struct VectorName {
  const char* mnemonic;
  const char* name;
};
constexpr VectorName kVectors[32] = {
    {"#DE", "divide error"},
    {"#DB", "debug"},
    {"NMI", "non-maskable interrupt"},
    {"#BP", "breakpoint"},
    {"#OF", "overflow"},
    {"#BR", "bound range exceeded"},
    {"#UD", "invalid opcode"},
    {"#NM", "device not available"},
    {"#DF", "double fault"},
    {"#CSO", "coprocessor segment overrun"},
    {"#TS", "invalid TSS"},
    {"#NP", "segment not present"},
    {"#SS", "stack-segment fault"},
    {"#GP", "general protection fault"},
    {"#PF", "page fault"},
    {"#15", "reserved vector 15"},
    {"#MF", "x87 floating-point error"},
    {"#AC", "alignment check"},
    {"#MC", "machine check"},
    {"#XM", "SIMD floating-point exception"},
    {"#VE", "virtualization exception"},
    {"#CP", "control protection"},
    {"#22", "reserved vector 22"},
    {"#23", "reserved vector 23"},
    {"#24", "reserved vector 24"},
    {"#25", "reserved vector 25"},
    {"#26", "reserved vector 26"},
    {"#27", "reserved vector 27"},
    {"#HV", "hypervisor injection"},
    {"#VC", "VMM communication"},
    {"#SX", "security exception"},
    {"#31", "reserved vector 31"},
};
}  // namespace

const char* ExceptionName(uint64_t vector) {
  return vector < 32 ? kVectors[vector].name : "not a CPU exception";
}
const char* ExceptionMnemonic(uint64_t vector) {
  return vector < 32 ? kVectors[vector].mnemonic : "#??";
}

}  // namespace palisade::x86
