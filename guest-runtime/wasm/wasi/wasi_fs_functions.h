// WASI's file-system functions over a read-only FsImage (`--dir`), plus
// poll_oneoff on clocks and sched_yield. Same host-function convention as
// wasi_functions.h; the table there lists them.
#pragma once

#include "wasm/runtime/engine.h"
#include "wasm/wasi/wasi_abi.h"
#include "wasm/wasi/wasi_context.h"

namespace palisade::wasm::wasi {

Trap PathOpen(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdPrestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdPrestatDirName(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdReaddir(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdFilestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathFilestatGet(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdTell(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PollOneoff(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap SchedYield(void* c, HostCall& call, const uint64_t* args, uint64_t* results);

// For the stream functions in wasi_functions.cc: reads from an open file
// (kBadf / kIsdir when fd is not a readable file), and seeking.
Errno ReadFile(WasiContext* ctx, uint32_t fd, uint8_t* buf, uint32_t len, uint32_t* got);
Errno SeekFile(WasiContext* ctx, uint32_t fd, int64_t offset, uint8_t whence, uint64_t* pos);
// fdstat of an open file or directory (filetype and rights), or kBadf.
Errno FileFdstat(WasiContext* ctx, uint32_t fd, uint8_t* filetype, uint64_t* rights);

}  // namespace palisade::wasm::wasi
