// The parts of the WASI preview1 ABI (wasi_snapshot_preview1) we implement:
// errno values, clock ids, file types and struct layouts, as the witx
// definitions fix them.
#pragma once

#include <stdint.h>

namespace palisade::wasm::wasi {

enum Errno : uint16_t {
  kSuccess = 0,
  kBadf = 8,
  kFault = 21,
  kInval = 28,
  kIo = 29,
  kNosys = 52,
  kSpipe = 70,
};

enum ClockId : uint32_t { kRealtime = 0, kMonotonic = 1, kProcessCputime = 2, kThreadCputime = 3 };

enum FileType : uint8_t { kCharacterDevice = 2 };

// fdstat: filetype u8 @0, flags u16 @2, rights_base u64 @8,
// rights_inheriting u64 @16; 24 bytes.
constexpr uint32_t kFdstatSize = 24;
// An iovec / ciovec: buf u32 @0, buf_len u32 @4.
constexpr uint32_t kIovecSize = 8;

// fd_read / fd_write rights, and everything a character device allows.
constexpr uint64_t kRightFdRead = 1ull << 1;
constexpr uint64_t kRightFdWrite = 1ull << 6;

}  // namespace palisade::wasm::wasi
