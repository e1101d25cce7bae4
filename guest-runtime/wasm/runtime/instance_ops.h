// The internal instructions that act on an instance's tables, memory and
// segments rather than on values alone: one definition each, shared by the
// interpreter (which inlines them into its dispatch) and the compiler tier
// (which calls them through jit_runtime.cc). Each takes the instruction's
// words (`ip`, handler first, as in compile/ops.h) and its frame, and
// returns kNone or the trap it raises.
#pragma once

#include <stdint.h>

#include "wasm/compile/compiled_module.h"
#include "wasm/runtime/interpreter.h"
#include "wasm/runtime/store.h"
#include "wasm/runtime/trap.h"

namespace palisade::wasm::instance_ops {

inline uint32_t U32(const uint64_t* fp, const uint32_t* ip, int k) { return static_cast<uint32_t>(fp[ip[k]]); }

inline TrapKind TableGet(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  TableInst* t = inst->tables.data()[ip[3]];
  const uint32_t i = U32(fp, ip, 4);
  if (i >= t->size) return TrapKind::kTableOutOfBounds;
  fp[ip[2]] = t->elems[i];
  return TrapKind::kNone;
}
inline TrapKind TableSet(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  TableInst* t = inst->tables.data()[ip[2]];
  const uint32_t i = U32(fp, ip, 3);
  if (i >= t->size) return TrapKind::kTableOutOfBounds;
  t->elems[i] = fp[ip[4]];
  return TrapKind::kNone;
}
inline TrapKind TableSize(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  fp[ip[2]] = inst->tables.data()[ip[3]]->size;
  return TrapKind::kNone;
}
inline TrapKind TableGrow(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  TableInst* t = inst->tables.data()[ip[3]];
  fp[ip[2]] = static_cast<uint32_t>(GrowTable(t, U32(fp, ip, 5), fp[ip[4]]));
  return TrapKind::kNone;
}
inline TrapKind TableFill(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  TableInst* t = inst->tables.data()[ip[2]];
  const uint64_t i = U32(fp, ip, 3), n = U32(fp, ip, 5);
  const uint64_t v = fp[ip[4]];
  if (i + n > t->size) return TrapKind::kTableOutOfBounds;
  for (uint64_t k = 0; k < n; ++k) t->elems[i + k] = v;
  return TrapKind::kNone;
}
inline TrapKind TableCopy(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  TableInst* dt = inst->tables.data()[ip[2]];
  TableInst* st = inst->tables.data()[ip[3]];
  const uint64_t d = U32(fp, ip, 4), s = U32(fp, ip, 5), n = U32(fp, ip, 6);
  if (d + n > dt->size || s + n > st->size) return TrapKind::kTableOutOfBounds;
  __builtin_memmove(dt->elems + d, st->elems + s, n * sizeof(uint64_t));
  return TrapKind::kNone;
}
inline TrapKind TableInit(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  TableInst* t = inst->tables.data()[ip[2]];
  const uint32_t seg = ip[3];
  const uint64_t d = U32(fp, ip, 4), s = U32(fp, ip, 5), n = U32(fp, ip, 6);
  const uint64_t seg_size =
      inst->elem_dropped.data()[seg] ? 0 : inst->elem_begin.data()[seg + 1] - inst->elem_begin.data()[seg];
  if (s + n > seg_size || d + n > t->size) return TrapKind::kTableOutOfBounds;
  const uint64_t* src = inst->elem_refs.data() + inst->elem_begin.data()[seg] + s;
  for (uint64_t k = 0; k < n; ++k) t->elems[d + k] = src[k];
  return TrapKind::kNone;
}
inline TrapKind ElemDrop(Instance* inst, uint64_t*, const uint32_t* ip) {
  inst->elem_dropped.data()[ip[2]] = 1;
  return TrapKind::kNone;
}
inline TrapKind MemoryFill(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  MemoryInst* m = inst->memory0;
  const uint64_t d = U32(fp, ip, 2), n = U32(fp, ip, 4);
  if (d + n > m->size) return TrapKind::kMemoryOutOfBounds;
  __builtin_memset(m->base + d, static_cast<int>(U32(fp, ip, 3) & 0xff), n);
  return TrapKind::kNone;
}
inline TrapKind MemoryCopy(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  MemoryInst* m = inst->memory0;
  const uint64_t d = U32(fp, ip, 2), s = U32(fp, ip, 3), n = U32(fp, ip, 4);
  if (d + n > m->size || s + n > m->size) return TrapKind::kMemoryOutOfBounds;
  __builtin_memmove(m->base + d, m->base + s, n);
  return TrapKind::kNone;
}
inline TrapKind MemoryInit(Instance* inst, uint64_t* fp, const uint32_t* ip) {
  MemoryInst* m = inst->memory0;
  const uint32_t seg = ip[2];
  const uint64_t d = U32(fp, ip, 3), s = U32(fp, ip, 4), n = U32(fp, ip, 5);
  const CompiledModule* module = inst->module;
  const DataSegment& ds = module->module.datas[seg];
  const uint64_t seg_size = inst->data_dropped.data()[seg] ? 0 : ds.bytes.size;
  if (s + n > seg_size || d + n > m->size) return TrapKind::kMemoryOutOfBounds;
  __builtin_memcpy(m->base + d, module->module.bytes + ds.bytes.offset + s, n);
  return TrapKind::kNone;
}
inline TrapKind DataDrop(Instance* inst, uint64_t*, const uint32_t* ip) {
  inst->data_dropped.data()[ip[2]] = 1;
  return TrapKind::kNone;
}

}  // namespace palisade::wasm::instance_ops
