// The runtime objects behind engine.h's opaque handles: function, table,
// memory and global instances, module instances, and the Store that owns
// them all. Internal to the engine (the interpreter reads these directly).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <new>

#include "wasm/compile/compiled_module.h"
#include "wasm/runtime/engine.h"
#include "wasm/support/vec.h"

namespace palisade::wasm {

struct FuncInst {
  uint32_t sig_id = 0;           // store-wide signature identity (call_indirect)
  // A Wasm function: its instance and compiled code.
  Instance* instance = nullptr;
  const CompiledFunction* code = nullptr;
  // A host function.
  HostFunction host = nullptr;
  void* host_context = nullptr;
  // The signature (for host functions, stored in the Store's type pool).
  const ValType* params = nullptr;
  const ValType* results = nullptr;
  uint32_t param_count = 0;
  uint32_t result_count = 0;
  // 64-bit value slots the params and results take (a v128 takes two).
  uint32_t param_slots = 0;
  uint32_t result_slots = 0;
  Vec<ValType> own_types;  // host functions: the signature's storage
};

inline uint32_t ValueSlots(const ValType* types, uint32_t n) {
  uint32_t slots = 0;
  for (uint32_t i = 0; i < n; ++i) slots += types[i] == ValType::kV128 ? 2 : 1;
  return slots;
}

struct TableInst {
  ValType elem = ValType::kFuncRef;
  uint64_t* elems = nullptr;  // references (FuncInst* or extern words); 0 = null
  uint32_t size = 0;
  uint32_t capacity = 0;
  uint32_t max = 0;           // effective maximum (declared max capped by the store)
  bool has_max = false;
  uint32_t declared_max = 0;
};

struct MemoryInst {
  uint8_t* base = nullptr;
  uint64_t size = 0;          // bytes
  uint32_t pages = 0;
  uint32_t max_pages = 0;     // effective maximum
  uint64_t reserved = 0;      // bytes asked of the provider as the maximum
  bool has_max = false;
  uint32_t declared_max = 0;
  MemoryProvider* provider = nullptr;
};

struct GlobalInst {
  uint64_t value[2] = {0, 0};
  GlobalType type;
};

struct Instance {
  const CompiledModule* module = nullptr;
  Vec<FuncInst*> funcs;       // whole index space
  Vec<TableInst*> tables;
  Vec<MemoryInst*> memories;
  Vec<GlobalInst*> globals;
  Vec<uint32_t> sig_ids;      // per type index
  // Element segments' references, evaluated at instantiation: segment i
  // holds elem_refs[elem_begin[i], elem_begin[i + 1]).
  Vec<uint64_t> elem_refs;
  Vec<uint32_t> elem_begin;
  Vec<uint8_t> elem_dropped;  // per element segment
  Vec<uint8_t> data_dropped;  // per data segment
  MemoryInst* memory0 = nullptr;
};

// One activation on the interpreter's call stack: where to resume the caller.
struct CallFrame {
  const uint32_t* ret_ip;  // nullptr: return to the embedder
  uint64_t* fp;
  const CompiledFunction* func;
  Instance* inst;
};

// A signature interned in the store.
struct Signature {
  uint32_t pool_offset = 0;  // in Store::sig_pool: params then results
  uint32_t param_count = 0;
  uint32_t result_count = 0;
  uint32_t hash = 0;
};

struct Store {
  StoreLimits limits;
  MemoryProvider* memory_provider = nullptr;
  // Owned objects, freed with the store.
  Vec<FuncInst*> funcs;
  Vec<TableInst*> tables;
  Vec<MemoryInst*> memories;
  Vec<GlobalInst*> globals;
  Vec<Instance*> instances;
  Vec<Signature> sigs;
  Vec<ValType> sig_pool;
  // The interpreter's stacks, allocated on first use.
  uint64_t* value_stack = nullptr;
  size_t value_stack_slots = 0;
  struct CallFrame* call_stack = nullptr;
  size_t call_stack_frames = 0;
  // The parts of both stacks in use, so a host function that calls back
  // into Wasm (a nested Invoke) continues above the caller's frames.
  uint64_t* value_sp = nullptr;
  struct CallFrame* frame_sp = nullptr;
  // The compiler tier's native-stack floor while compiled code runs (0: none
  // running): calls that nest through the runtime (call_indirect, imports)
  // stop with "call stack exhausted" before they could pass it.
  uintptr_t jit_stack_floor = 0;
  // Fuel and interruption (see SetFuel / Interrupt).
  bool fuel_enabled = false;
  uint64_t fuel = 0;
  volatile int interrupt_requested = 0;
  // Coverage of instrumented modules (nullptr: not recorded).
  CoverageMap* coverage = nullptr;
  uint64_t refused_grows = 0;
};

// Interns a signature; returns its id or UINT32_MAX when out of memory.
uint32_t InternSignature(Store* store, const ValType* params, uint32_t param_count,
                         const ValType* results, uint32_t result_count);

// Allocates a zeroed T owned by the store's list, or nullptr.
template <typename T>
T* NewOwned(Vec<T*>& list) {
  void* p = EngineAlloc(sizeof(T));
  if (p == nullptr) return nullptr;
  T* obj = new (p) T();
  if (!list.push_back(obj)) {
    obj->~T();
    EngineFree(p);
    return nullptr;
  }
  return obj;
}

}  // namespace palisade::wasm
