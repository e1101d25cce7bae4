// The Store: creation and destruction of everything a Store owns, signature
// interning, fuel and interruption.
#include "wasm/runtime/store.h"

namespace palisade::wasm {

namespace {

template <typename T>
void FreeOwned(Vec<T*>& list) {
  for (T* obj : list) {
    obj->~T();
    EngineFree(obj);
  }
  list.clear();
}

uint32_t HashSignature(const ValType* params, uint32_t np, const ValType* results, uint32_t nr) {
  uint32_t h = 2166136261u ^ np ^ (nr << 16);
  for (uint32_t i = 0; i < np; ++i) h = (h ^ static_cast<uint8_t>(params[i])) * 16777619u;
  h = (h ^ 0xff) * 16777619u;
  for (uint32_t i = 0; i < nr; ++i) h = (h ^ static_cast<uint8_t>(results[i])) * 16777619u;
  return h;
}

}  // namespace

Store* NewStore(const StoreLimits& limits, MemoryProvider* memory) {
  void* p = EngineAlloc(sizeof(Store));
  if (p == nullptr) return nullptr;
  Store* s = new (p) Store();
  s->limits = limits;
  s->memory_provider = memory;
  return s;
}

void FreeStore(Store* s) {
  if (s == nullptr) return;
  for (MemoryInst* m : s->memories) {
    if (m->base != nullptr) m->provider->Release(m->base, m->size, m->reserved);
  }
  for (TableInst* t : s->tables) EngineFree(t->elems);
  FreeOwned(s->memories);
  FreeOwned(s->tables);
  FreeOwned(s->funcs);
  FreeOwned(s->globals);
  FreeOwned(s->instances);
  EngineFreeStack(StackKind::kValues, s->value_stack);
  EngineFreeStack(StackKind::kFrames, s->call_stack);
  s->~Store();
  EngineFree(s);
}

uint32_t InternSignature(Store* s, const ValType* params, uint32_t np, const ValType* results,
                         uint32_t nr) {
  uint32_t h = HashSignature(params, np, results, nr);
  for (uint32_t i = 0; i < s->sigs.size(); ++i) {
    const Signature& sig = s->sigs[i];
    if (sig.hash != h || sig.param_count != np || sig.result_count != nr) continue;
    const ValType* pool = s->sig_pool.data() + sig.pool_offset;
    bool same = true;
    for (uint32_t k = 0; k < np && same; ++k) same = pool[k] == params[k];
    for (uint32_t k = 0; k < nr && same; ++k) same = pool[np + k] == results[k];
    if (same) return i;
  }
  Signature sig;
  sig.pool_offset = static_cast<uint32_t>(s->sig_pool.size());
  sig.param_count = np;
  sig.result_count = nr;
  sig.hash = h;
  if (!s->sig_pool.append(params, np) || !s->sig_pool.append(results, nr) ||
      !s->sigs.push_back(sig)) {
    return UINT32_MAX;
  }
  return static_cast<uint32_t>(s->sigs.size() - 1);
}

void SetFuel(Store* s, bool enabled, uint64_t units) {
  s->fuel_enabled = enabled;
  s->fuel = units;
}

uint64_t RemainingFuel(const Store* s) { return s->fuel; }

void Interrupt(Store* s) { s->interrupt_requested = 1; }
bool InterruptPending(const Store* s) { return s->interrupt_requested != 0; }
void ClearInterrupt(Store* s) { s->interrupt_requested = 0; }

void SetCoverage(Store* s, CoverageMap* map) { s->coverage = map; }
uint64_t RefusedMemoryGrows(const Store* s) { return s->refused_grows; }

FuncInst* NewHostFunction(Store* s, const ValType* params, uint32_t np, const ValType* results,
                          uint32_t nr, HostFunction function, void* context) {
  uint32_t sig = InternSignature(s, params, np, results, nr);
  if (sig == UINT32_MAX) return nullptr;
  FuncInst* f = NewOwned(s->funcs);
  if (f == nullptr) return nullptr;
  f->sig_id = sig;
  f->host = function;
  f->host_context = context;
  if (!f->own_types.append(params, np) || !f->own_types.append(results, nr)) return nullptr;
  f->params = f->own_types.data();
  f->results = f->own_types.data() + np;
  f->param_count = np;
  f->result_count = nr;
  f->param_slots = ValueSlots(params, np);
  f->result_slots = ValueSlots(results, nr);
  return f;
}

TableInst* NewTable(Store* s, const TableType& type, uint64_t init_ref) {
  uint64_t limit = s->limits.max_table_elements;
  uint64_t max = type.limits.has_max && type.limits.max < limit ? type.limits.max : limit;
  if (type.limits.min > max) return nullptr;
  TableInst* t = NewOwned(s->tables);
  if (t == nullptr) return nullptr;
  t->elem = type.elem;
  t->max = static_cast<uint32_t>(max);
  t->has_max = type.limits.has_max;
  t->declared_max = static_cast<uint32_t>(type.limits.max);
  uint32_t n = static_cast<uint32_t>(type.limits.min);
  if (n > 0) {
    t->elems = static_cast<uint64_t*>(EngineAlloc(sizeof(uint64_t) * n));
    if (t->elems == nullptr) return nullptr;
    t->capacity = n;
    for (uint32_t i = 0; i < n; ++i) t->elems[i] = init_ref;
  }
  t->size = n;
  return t;
}

MemoryInst* NewMemory(Store* s, const MemoryType& type) {
  uint64_t limit = s->limits.max_memory_pages;
  if (limit > 65536) limit = 65536;
  uint64_t max = type.limits.has_max && type.limits.max < limit ? type.limits.max : limit;
  if (type.limits.min > max) return nullptr;
  MemoryInst* m = NewOwned(s->memories);
  if (m == nullptr) return nullptr;
  m->provider = s->memory_provider;
  m->pages = static_cast<uint32_t>(type.limits.min);
  m->size = type.limits.min * 65536;
  m->max_pages = static_cast<uint32_t>(max);
  m->reserved = max * 65536;
  m->has_max = type.limits.has_max;
  m->declared_max = static_cast<uint32_t>(type.limits.max);
  m->base = m->provider->Allocate(m->size, m->reserved);
  if (m->base == nullptr) {
    m->size = 0;
    return nullptr;
  }
  return m;
}

GlobalInst* NewGlobal(Store* s, const GlobalType& type, const Value& value) {
  GlobalInst* g = NewOwned(s->globals);
  if (g == nullptr) return nullptr;
  g->type = type;
  g->value[0] = value.bits[0];
  g->value[1] = value.bits[1];
  return g;
}

}  // namespace palisade::wasm
