// x86-64 architectural constants the VMM needs to put a vCPU straight into
// long mode: control-register bits, EFER, page-table entry bits and segment
// descriptors. Values are from the Intel SDM / AMD APM, vol. 3.
#pragma once

#include <cstdint>

namespace palisade::x86 {

inline constexpr uint64_t kCr0Pe = 1ull << 0;   // protected mode
inline constexpr uint64_t kCr0Mp = 1ull << 1;   // monitor coprocessor (SSE)
inline constexpr uint64_t kCr0Et = 1ull << 4;
inline constexpr uint64_t kCr0Ne = 1ull << 5;   // native FPU errors
inline constexpr uint64_t kCr0Wp = 1ull << 16;  // ring 0 honours read-only pages
inline constexpr uint64_t kCr0Pg = 1ull << 31;

inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kCr4Osfxsr = 1ull << 9;      // SSE enabled
inline constexpr uint64_t kCr4Osxmmexcpt = 1ull << 10;  // SSE exceptions as #XM

inline constexpr uint64_t kEferLme = 1ull << 8;
inline constexpr uint64_t kEferLma = 1ull << 10;
inline constexpr uint64_t kEferNxe = 1ull << 11;

inline constexpr uint64_t kPtePresent = 1ull << 0;
inline constexpr uint64_t kPteWritable = 1ull << 1;
inline constexpr uint64_t kPteUser = 1ull << 2;  // U/S: CPL 3 may access
inline constexpr uint64_t kPteAccessed = 1ull << 5;
inline constexpr uint64_t kPteDirty = 1ull << 6;
inline constexpr uint64_t kPteLarge = 1ull << 7;  // 2 MiB page in a PD entry
inline constexpr uint64_t kPteNx = 1ull << 63;
inline constexpr uint64_t kPteAddrMask = 0x000ffffffffff000ull;

inline constexpr uint64_t kRflagsReserved1 = 1ull << 1;

// Page-fault error code bits.
inline constexpr uint64_t kPfPresent = 1ull << 0;
inline constexpr uint64_t kPfWrite = 1ull << 1;
inline constexpr uint64_t kPfUser = 1ull << 2;  // the access came from CPL 3
inline constexpr uint64_t kPfFetch = 1ull << 4;

inline constexpr uint64_t kPage4K = 4096;
inline constexpr uint64_t kPage2M = 2ull << 20;

// Names of CPU exception vectors 0-31, for reports.
const char* ExceptionName(uint64_t vector);
const char* ExceptionMnemonic(uint64_t vector);

}  // namespace palisade::x86
