// WASI's file-system functions over the preopened directories' tree
// (`--dir`, fs_tree.h) — reading, listing and stat here, the changes in
// wasi_fs_change_functions.h — plus poll_oneoff on clocks and sched_yield. Same host-function convention as
// wasi_functions.h; the table there lists them.
#pragma once

#include "wasm/runtime/engine.h"
#include "wasm/wasi/wasi_abi.h"
#include "wasm/wasi/wasi_context.h"
#include "wasm/wasi/wasi_memory.h"

namespace palisade::wasm::wasi {

Trap PathOpen(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdPrestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdPrestatDirName(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdReaddir(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdFilestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdAdvise(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathFilestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdTell(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PollOneoff(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap SchedYield(void* c, HostCall& call, const uint64_t* args, uint64_t* results);

// For the stream functions in wasi_functions.cc: reads from and writes to an
// open file at its position (kBadf / kIsdir when fd is not a readable /
// writable file), and seeking.
Errno ReadFile(WasiContext* ctx, uint32_t fd, uint8_t* buf, uint32_t len, uint32_t* got);
Errno WriteFile(WasiContext* ctx, uint32_t fd, const uint8_t* buf, uint32_t len);
Errno SeekFile(WasiContext* ctx, uint32_t fd, int64_t offset, uint8_t whence, uint64_t* pos);
// fdstat of an open file or directory (filetype, fdflags and rights), or kBadf.
Errno FileFdstat(WasiContext* ctx, uint32_t fd, uint8_t* filetype, uint16_t* flags, uint64_t* rights);

// Shared with wasi_fs_change_functions.cc: the path argument at args[i],
// args[i + 1]; the directory node behind fd (kBadf, kNotdir); the time
// stamped on changes (realtime, 0 where the system has no clock).
Errno PathArg(Memory& m, const uint64_t* args, int i, const char** path, uint32_t* len);
Errno DirOf(WasiContext* ctx, uint32_t fd, uint32_t* node);
uint64_t NowNs(WasiContext* ctx);

}  // namespace palisade::wasm::wasi
