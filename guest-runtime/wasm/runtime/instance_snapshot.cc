// SnapshotInstance / RestoreInstance: what lets `palisade fuzz --in-process`
// start every input from the harness's initialised state without paying for
// a new instance (a fresh linear memory costs mmap, munmap and a page
// fault per page touched; a restore is one copy of the memory).
#include <new>

#include "wasm/runtime/engine.h"
#include "wasm/runtime/store.h"
#include "wasm/support/alloc.h"

namespace palisade::wasm {

struct InstanceSnapshot {
  uint8_t* memory = nullptr;  // memory 0's bytes (memory_size of them)
  uint64_t memory_size = 0;
  uint32_t memory_pages = 0;
  Vec<uint64_t> globals;       // two words per global
  Vec<uint32_t> table_sizes;
  Vec<uint64_t> table_elems;   // every table's elements, back to back
  Vec<uint8_t> data_dropped;
  Vec<uint8_t> elem_dropped;

  ~InstanceSnapshot() { EngineFree(memory); }
};

InstanceSnapshot* SnapshotInstance(const Instance* inst) {
  void* p = EngineAlloc(sizeof(InstanceSnapshot));
  if (p == nullptr) return nullptr;
  auto* s = new (p) InstanceSnapshot();
  bool ok = true;
  if (MemoryInst* m = inst->memory0; m != nullptr && m->size > 0) {
    s->memory = static_cast<uint8_t*>(EngineAlloc(m->size));
    ok = s->memory != nullptr;
    if (ok) {
      __builtin_memcpy(s->memory, m->base, m->size);
      s->memory_size = m->size;
      s->memory_pages = m->pages;
    }
  }
  for (size_t i = 0; ok && i < inst->globals.size(); ++i) {
    ok = s->globals.push_back(inst->globals[i]->value[0]) && s->globals.push_back(inst->globals[i]->value[1]);
  }
  for (size_t i = 0; ok && i < inst->tables.size(); ++i) {
    const TableInst* t = inst->tables[i];
    ok = s->table_sizes.push_back(t->size) && (t->size == 0 || s->table_elems.append(t->elems, t->size));
  }
  for (size_t i = 0; ok && i < inst->data_dropped.size(); ++i) ok = s->data_dropped.push_back(inst->data_dropped[i]);
  for (size_t i = 0; ok && i < inst->elem_dropped.size(); ++i) ok = s->elem_dropped.push_back(inst->elem_dropped[i]);
  if (!ok) {
    FreeInstanceSnapshot(s);
    return nullptr;
  }
  return s;
}

void RestoreInstance(Instance* inst, const InstanceSnapshot* s) {
  if (MemoryInst* m = inst->memory0; m != nullptr) {
    // Memory only grows, so the snapshot's bytes are a prefix; what grew
    // since must read as zero again when it is grown anew.
    if (m->size > s->memory_size) __builtin_memset(m->base + s->memory_size, 0, m->size - s->memory_size);
    m->size = s->memory_size;
    m->pages = s->memory_pages;
    if (s->memory_size > 0) __builtin_memcpy(m->base, s->memory, s->memory_size);
  }
  for (size_t i = 0; i < inst->globals.size(); ++i) {
    inst->globals[i]->value[0] = s->globals[2 * i];
    inst->globals[i]->value[1] = s->globals[2 * i + 1];
  }
  size_t at = 0;
  for (size_t i = 0; i < inst->tables.size(); ++i) {
    TableInst* t = inst->tables[i];
    // Tables only grow too, and capacity never shrinks: the old elements fit.
    t->size = s->table_sizes[i];
    if (t->size > 0) __builtin_memcpy(t->elems, s->table_elems.data() + at, sizeof(uint64_t) * t->size);
    at += t->size;
  }
  for (size_t i = 0; i < inst->data_dropped.size(); ++i) inst->data_dropped[i] = s->data_dropped[i];
  for (size_t i = 0; i < inst->elem_dropped.size(); ++i) inst->elem_dropped[i] = s->elem_dropped[i];
}

void FreeInstanceSnapshot(InstanceSnapshot* s) {
  if (s == nullptr) return;
  s->~InstanceSnapshot();
  EngineFree(s);
}

}  // namespace palisade::wasm
