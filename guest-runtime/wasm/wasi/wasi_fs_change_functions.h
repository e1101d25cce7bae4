// WASI's functions that change the preopened directories' tree (fs_tree.h):
// directories, unlink, rename, sizes, times, sync, fdflags; and the link
// functions, which the tree (it has no links) refuses. Same host-function
// convention as wasi_functions.h; the table there lists them. On a
// read-only root every change fails kRofs.
#pragma once

#include "wasm/runtime/engine.h"

namespace palisade::wasm::wasi {

Trap FdSync(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdFilestatSetSize(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdAllocate(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdFilestatSetTimes(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap FdFdstatSetFlags(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathCreateDirectory(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathRemoveDirectory(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathUnlinkFile(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathRename(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathFilestatSetTimes(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathSymlink(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathLink(void* c, HostCall& call, const uint64_t* args, uint64_t* results);
Trap PathReadlink(void* c, HostCall& call, const uint64_t* args, uint64_t* results);

}  // namespace palisade::wasm::wasi
