// Fixes for <linux/kvm.h> in C++. Debian 12's kernel headers declare flexible
// array members with __DECLARE_FLEX_ARRAY, which in C++ adds an empty struct:
// kvm_cpuid2 becomes 12 bytes instead of 8 and its entries move to offset 12.
// Every ioctl number computed from such a struct is then wrong (KVM answers
// EINVAL), so we declare the C layout ourselves and derive the numbers from it.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>

namespace palisade {

// The C layout of struct kvm_cpuid2: 8-byte header, entries right after it.
struct KvmCpuid2Header {
  uint32_t nent;
  uint32_t padding;
};
static_assert(sizeof(KvmCpuid2Header) == 8);

inline constexpr unsigned long kKvmGetSupportedCpuid = _IOWR(KVMIO, 0x05, KvmCpuid2Header);
inline constexpr unsigned long kKvmSetCpuid2 = _IOW(KVMIO, 0x90, KvmCpuid2Header);

inline kvm_cpuid_entry2* CpuidEntries(KvmCpuid2Header* header) {
  return reinterpret_cast<kvm_cpuid_entry2*>(header + 1);
}
inline const kvm_cpuid_entry2* CpuidEntries(const KvmCpuid2Header* header) {
  return reinterpret_cast<const kvm_cpuid_entry2*>(header + 1);
}

// struct kvm_xsave has the same flexible-array problem (4100 bytes in C++,
// 4096 in C). 4096 bytes is what KVM_GET_XSAVE moves unless the process
// asked for dynamic XSAVE features (AMX), which we never do.
struct KvmXsave {
  uint32_t region[1024];
};
static_assert(sizeof(KvmXsave) == 4096);

inline constexpr unsigned long kKvmGetXsave = _IOR(KVMIO, 0xa4, KvmXsave);
inline constexpr unsigned long kKvmSetXsave = _IOW(KVMIO, 0xa5, KvmXsave);

}  // namespace palisade
