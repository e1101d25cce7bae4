// The parts of the WASI preview1 ABI (wasi_snapshot_preview1) we implement:
// errno values, clock ids, file types and struct layouts, as the witx
// definitions fix them.
#pragma once

#include <stdint.h>

namespace palisade::wasm::wasi {

enum Errno : uint16_t {
  kSuccess = 0,
  kAcces = 2,
  kBadf = 8,
  kExist = 20,
  kFault = 21,
  kFbig = 22,
  kIlseq = 25,
  kIntr = 27,
  kInval = 28,
  kIo = 29,
  kIsdir = 31,
  kMfile = 33,
  kNametoolong = 37,
  kNoent = 44,
  kNospc = 51,
  kNosys = 52,
  kNotdir = 54,
  kNotempty = 55,
  kNotsup = 58,
  kPerm = 63,
  kRofs = 69,
  kSpipe = 70,
  kXdev = 75,
  kNotcapable = 76,
};

enum ClockId : uint32_t { kRealtime = 0, kMonotonic = 1, kProcessCputime = 2, kThreadCputime = 3 };

enum FileType : uint8_t { kUnknownType = 0, kCharacterDevice = 2, kDirectory = 3, kRegularFile = 4 };

// path_open's oflags.
constexpr uint16_t kOflagCreat = 1, kOflagDirectory = 2, kOflagExcl = 4, kOflagTrunc = 8;
// fdflags (path_open, fd_fdstat_get/set_flags): append, and the sync family.
constexpr uint16_t kFdflagAppend = 1, kFdflagsSync = 0x1a;
// fst_flags (the *_filestat_set_times functions).
constexpr uint16_t kFstAtim = 1, kFstAtimNow = 2, kFstMtim = 4, kFstMtimNow = 8;
// fd_seek's whence.
constexpr uint8_t kWhenceSet = 0, kWhenceCur = 1, kWhenceEnd = 2;

// prestat: tag u8 @0 (0 = directory), name_len u32 @4; 8 bytes.
constexpr uint32_t kPrestatSize = 8;
// filestat: dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40,
// mtim @48, ctim @56; 64 bytes.
constexpr uint32_t kFilestatSize = 64;
// dirent: d_next @0, d_ino @8, d_namlen u32 @16, d_type u8 @20; 24 bytes,
// then the name.
constexpr uint32_t kDirentSize = 24;
// poll_oneoff: a subscription is 48 bytes (userdata @0, tag u8 @8, clock
// id u32 @16, timeout u64 @24, precision @32, flags u16 @40); an event 32
// (userdata @0, error u16 @8, type u8 @10, nbytes @16, flags @24).
constexpr uint32_t kSubscriptionSize = 48;
constexpr uint32_t kEventSize = 32;
constexpr uint8_t kEventClock = 0;
constexpr uint16_t kSubclockAbstime = 1;

// fdstat: filetype u8 @0, flags u16 @2, rights_base u64 @8,
// rights_inheriting u64 @16; 24 bytes.
constexpr uint32_t kFdstatSize = 24;
// An iovec / ciovec: buf u32 @0, buf_len u32 @4.
constexpr uint32_t kIovecSize = 8;

// fd_read / fd_write rights, and everything a character device allows.
constexpr uint64_t kRightFdRead = 1ull << 1;
constexpr uint64_t kRightFdWrite = 1ull << 6;
// What a read-only preopen grants: read, seek, tell, readdir, stat, open
// beneath it, and the same for what is opened from it.
constexpr uint64_t kRightsReadOnly = (1ull << 1) | (1ull << 2) | (1ull << 5) | (1ull << 13) |
                                     (1ull << 14) | (1ull << 18) | (1ull << 21);
// A writable preopen grants every file-system right of preview1 (bits 0-28,
// the socket ones excluded): wasi-libc asks path_open only for the rights a
// directory's fd_fdstat_get says it may pass on.
constexpr uint64_t kRightsReadWrite = (1ull << 29) - 1;

}  // namespace palisade::wasm::wasi
