// The rest of the embedder API (engine.h): exports, calls, globals, memory.
#include "wasm/runtime/interpreter.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {

namespace {

bool EnsureStacks(Store* s) {
  if (s->value_stack != nullptr) return true;
  size_t slots = s->limits.value_stack_slots;
  size_t frames = static_cast<size_t>(s->limits.max_call_depth) + 1;
  s->value_stack = static_cast<uint64_t*>(EngineAllocStack(StackKind::kValues, slots * sizeof(uint64_t)));
  s->call_stack = static_cast<CallFrame*>(EngineAllocStack(StackKind::kFrames, frames * sizeof(CallFrame)));
  if (s->value_stack == nullptr || s->call_stack == nullptr) {
    EngineFreeStack(StackKind::kValues, s->value_stack);
    EngineFreeStack(StackKind::kFrames, s->call_stack);
    s->value_stack = nullptr;
    s->call_stack = nullptr;
    return false;
  }
  s->value_stack_slots = slots;
  s->call_stack_frames = frames;
  s->value_sp = s->value_stack;
  s->frame_sp = s->call_stack;
  return true;
}

bool NameEquals(const Module& m, const ByteRange& r, const char* name, size_t len) {
  if (r.size != len) return false;
  const uint8_t* p = m.bytes + r.offset;
  for (size_t i = 0; i < len; ++i) {
    if (p[i] != static_cast<uint8_t>(name[i])) return false;
  }
  return true;
}

}  // namespace

bool ReserveStacks(Store* store) { return EnsureStacks(store); }

namespace {

Extern ExportOf(const Instance* inst, const Export& e) {
  Extern x;
  x.kind = e.kind;
  switch (e.kind) {
    case ExternKind::kFunc: x.object = inst->funcs[e.index]; break;
    case ExternKind::kTable: x.object = inst->tables[e.index]; break;
    case ExternKind::kMemory: x.object = inst->memories[e.index]; break;
    case ExternKind::kGlobal: x.object = inst->globals[e.index]; break;
  }
  return x;
}

}  // namespace

bool FindExport(const Instance* inst, const char* name, size_t len, Extern* out) {
  const Module& m = inst->module->module;
  for (const Export& e : m.exports) {
    if (NameEquals(m, e.name, name, len)) {
      *out = ExportOf(inst, e);
      return true;
    }
  }
  return false;
}

size_t ExportCount(const Instance* inst) { return inst->module->module.exports.size(); }

Extern ExportAt(const Instance* inst, size_t i, const char** name, size_t* len) {
  const Module& m = inst->module->module;
  const Export& e = m.exports[i];
  *name = reinterpret_cast<const char*>(m.bytes + e.name.offset);
  *len = e.name.size;
  return ExportOf(inst, e);
}

void GetFuncSignature(const FuncInst* f, const ValType** params, uint32_t* param_count,
                      const ValType** results, uint32_t* result_count) {
  *params = f->params;
  *param_count = f->param_count;
  *results = f->results;
  *result_count = f->result_count;
}

Trap Invoke(Store* s, FuncInst* f, const Value* args, size_t arg_count, Value* results,
            size_t result_capacity) {
  Trap t;
  if (arg_count != f->param_count || result_capacity < f->result_count) {
    t.kind = TrapKind::kHostError;
    t.detail = "wrong number of arguments or results";
    return t;
  }
  for (size_t i = 0; i < arg_count; ++i) {
    if (args[i].type != f->params[i]) {
      t.kind = TrapKind::kHostError;
      t.detail = "argument type mismatch";
      return t;
    }
  }
  if (!EnsureStacks(s)) {
    t.kind = TrapKind::kOutOfMemory;
    return t;
  }
  uint64_t* base = s->value_sp;
  size_t need = f->param_slots > f->result_slots ? f->param_slots : f->result_slots;
  if (base + need + f->result_slots > s->value_stack + s->value_stack_slots) {
    t.kind = TrapKind::kCallStackExhausted;
    return t;
  }
  // Values go in slots in order; a v128 takes two (low half first).
  for (size_t i = 0, slot = 0; i < arg_count; ++i) {
    base[slot++] = args[i].bits[0];
    if (args[i].type == ValType::kV128) base[slot++] = args[i].bits[1];
  }
  if (f->host != nullptr) {
    uint64_t* res = base + need;
    HostCall call{s, nullptr, nullptr};
    uint64_t* saved = s->value_sp;
    s->value_sp = res + f->result_slots;
    t = f->host(f->host_context, call, base, res);
    s->value_sp = saved;
    for (uint32_t i = 0; t.ok() && i < f->result_slots; ++i) base[i] = res[i];
  } else {
    t = Execute(s, f, base);
  }
  if (!t.ok()) return t;
  for (uint32_t i = 0, slot = 0; i < f->result_count; ++i) {
    ValType type = f->results[i];
    results[i] = Value();
    results[i].type = type;
    results[i].bits[0] =
        type == ValType::kI32 || type == ValType::kF32 ? static_cast<uint32_t>(base[slot]) : base[slot];
    ++slot;
    if (type == ValType::kV128) results[i].bits[1] = base[slot++];
  }
  return t;
}

Value GetGlobal(const GlobalInst* g) {
  Value v;
  v.type = g->type.type;
  v.bits[0] = g->value[0];
  v.bits[1] = g->value[1];
  if (v.type == ValType::kI32 || v.type == ValType::kF32) v.bits[0] &= 0xffffffffu;
  return v;
}

GlobalType GetGlobalType(const GlobalInst* g) { return g->type; }

bool SetGlobal(GlobalInst* g, const Value& v) {
  if (!g->type.is_mutable || v.type != g->type.type) return false;
  g->value[0] = v.bits[0];
  g->value[1] = v.bits[1];
  return true;
}

uint8_t* MemoryData(MemoryInst* m) { return m->base; }
uint64_t MemorySize(const MemoryInst* m) { return m->size; }
uint32_t TableSize(const TableInst* t) { return t->size; }

}  // namespace palisade::wasm
