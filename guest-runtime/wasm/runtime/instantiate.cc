// Instantiation (spec 4.5.4): check imports against the module's import
// types, allocate the module's functions, tables, memories and globals,
// evaluate initialisers, apply active segments in order, run the start
// function.
#include "wasm/runtime/interpreter.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {

namespace {

InstantiateResult LinkError(const char* message) {
  InstantiateResult r;
  r.status = InstantiateStatus::kLinkError;
  r.error = MakeError(ErrorKind::kInvalid, 0, "import", message);
  return r;
}

InstantiateResult OutOfMemory() {
  InstantiateResult r;
  r.status = InstantiateStatus::kOutOfMemory;
  r.error = MakeError(ErrorKind::kOutOfMemory, 0, "", "out of memory");
  return r;
}

// Import matching of limits (spec 4.5.2): the provided object must be at
// least as large as the import's minimum and, if the import has a maximum,
// have a maximum no larger.
bool LimitsMatch(uint64_t size, bool has_max, uint64_t max, const Limits& want) {
  if (size < want.min) return false;
  if (!want.has_max) return true;
  return has_max && max <= want.max;
}

bool SameTypes(const ValType* a, const ValType* b, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

uint64_t EvalConst(const Instance* inst, const ConstExpr& e) {
  switch (e.op) {
    case ConstExpr::Op::kRefFunc:
      return reinterpret_cast<uintptr_t>(inst->funcs[e.index]);
    case ConstExpr::Op::kGlobalGet:
      return inst->globals[e.index]->value[0];
    case ConstExpr::Op::kRefNull:
      return 0;
    default:
      return e.bits[0];
  }
}

}  // namespace

InstantiateResult Instantiate(Store* store, const CompiledModule* cm, const Extern* imports,
                              size_t import_count) {
  const Module& m = cm->module;
  if (import_count != m.imports.size()) return LinkError("wrong number of imports");

  // Check every import before creating anything.
  for (size_t i = 0; i < import_count; ++i) {
    const Import& imp = m.imports[i];
    const Extern& ext = imports[i];
    if (ext.kind != imp.kind || ext.object == nullptr) return LinkError("incompatible import type");
    switch (imp.kind) {
      case ExternKind::kFunc: {
        const FuncType& ft = m.types[imp.func_type];
        const FuncInst* f = static_cast<const FuncInst*>(ext.object);
        if (f->param_count != ft.param_count || f->result_count != ft.result_count ||
            !SameTypes(f->params, m.Params(ft), ft.param_count) ||
            !SameTypes(f->results, m.Results(ft), ft.result_count)) {
          return LinkError("incompatible import type");
        }
        break;
      }
      case ExternKind::kTable: {
        const TableInst* t = static_cast<const TableInst*>(ext.object);
        if (t->elem != imp.table.elem ||
            !LimitsMatch(t->size, t->has_max, t->declared_max, imp.table.limits)) {
          return LinkError("incompatible import type");
        }
        break;
      }
      case ExternKind::kMemory: {
        const MemoryInst* mem = static_cast<const MemoryInst*>(ext.object);
        if (!LimitsMatch(mem->pages, mem->has_max, mem->declared_max, imp.memory.limits)) {
          return LinkError("incompatible import type");
        }
        break;
      }
      case ExternKind::kGlobal: {
        const GlobalInst* g = static_cast<const GlobalInst*>(ext.object);
        if (g->type.type != imp.global.type || g->type.is_mutable != imp.global.is_mutable) {
          return LinkError("incompatible import type");
        }
        break;
      }
    }
  }

  Instance* inst = NewOwned(store->instances);
  if (inst == nullptr) return OutOfMemory();
  inst->module = cm;
  if (!inst->funcs.reserve(m.func_types.size()) || !inst->tables.reserve(m.tables.size()) ||
      !inst->memories.reserve(m.memories.size()) || !inst->globals.reserve(m.globals.size()) ||
      !inst->sig_ids.resize(m.types.size()) || !inst->elem_dropped.resize(m.elems.size()) ||
      !inst->data_dropped.resize(m.datas.size()) || !inst->elem_begin.resize(m.elems.size() + 1)) {
    return OutOfMemory();
  }
  for (uint32_t i = 0; i < m.types.size(); ++i) {
    const FuncType& ft = m.types[i];
    uint32_t id = InternSignature(store, m.Params(ft), ft.param_count, m.Results(ft), ft.result_count);
    if (id == UINT32_MAX) return OutOfMemory();
    inst->sig_ids[i] = id;
  }
  for (size_t i = 0; i < import_count; ++i) {
    void* o = imports[i].object;
    switch (imports[i].kind) {
      case ExternKind::kFunc: (void)inst->funcs.push_back(static_cast<FuncInst*>(o)); break;
      case ExternKind::kTable: (void)inst->tables.push_back(static_cast<TableInst*>(o)); break;
      case ExternKind::kMemory: (void)inst->memories.push_back(static_cast<MemoryInst*>(o)); break;
      case ExternKind::kGlobal: (void)inst->globals.push_back(static_cast<GlobalInst*>(o)); break;
    }
  }
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    FuncInst* f = NewOwned(store->funcs);
    if (f == nullptr) return OutOfMemory();
    const FuncType& ft = m.types[m.functions[i].type_index];
    f->sig_id = inst->sig_ids[m.functions[i].type_index];
    f->instance = inst;
    f->code = &cm->functions[i];
    f->params = m.Params(ft);
    f->results = m.Results(ft);
    f->param_count = ft.param_count;
    f->result_count = ft.result_count;
    f->param_slots = ValueSlots(f->params, ft.param_count);
    f->result_slots = ValueSlots(f->results, ft.result_count);
    (void)inst->funcs.push_back(f);
  }
  for (uint32_t i = m.imported_tables; i < m.tables.size(); ++i) {
    TableInst* t = NewTable(store, m.tables[i], 0);
    if (t == nullptr) return OutOfMemory();
    (void)inst->tables.push_back(t);
  }
  for (uint32_t i = m.imported_memories; i < m.memories.size(); ++i) {
    MemoryInst* mem = NewMemory(store, m.memories[i]);
    if (mem == nullptr) return OutOfMemory();
    (void)inst->memories.push_back(mem);
  }
  inst->memory0 = inst->memories.empty() ? nullptr : inst->memories[0];
  for (uint32_t i = 0; i < m.global_inits.size(); ++i) {
    const Global& g = m.global_inits[i];
    Value v;
    v.type = g.type.type;
    v.bits[0] = EvalConst(inst, g.init);
    v.bits[1] = g.init.op == ConstExpr::Op::kV128Const ? g.init.bits[1] : 0;
    GlobalInst* gi = NewGlobal(store, g.type, v);
    if (gi == nullptr) return OutOfMemory();
    (void)inst->globals.push_back(gi);
  }
  // Element segments' references.
  if (!inst->elem_refs.reserve(m.elem_inits.size())) return OutOfMemory();
  for (uint32_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& seg = m.elems[i];
    inst->elem_begin[i] = static_cast<uint32_t>(inst->elem_refs.size());
    for (uint32_t k = 0; k < seg.init_count; ++k) {
      (void)inst->elem_refs.push_back(EvalConst(inst, m.elem_inits[seg.init_offset + k]));
    }
    if (seg.mode == SegmentMode::kDeclarative) inst->elem_dropped[i] = 1;
  }
  inst->elem_begin[m.elems.size()] = static_cast<uint32_t>(inst->elem_refs.size());

  InstantiateResult result;
  auto trap_at = [&](TrapKind kind) {
    result.status = InstantiateStatus::kTrap;
    result.trap.kind = kind;
    return result;
  };
  // Active segments, in order; each is dropped once applied.
  for (uint32_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& seg = m.elems[i];
    if (seg.mode != SegmentMode::kActive) continue;
    TableInst* t = inst->tables[seg.table];
    uint64_t d = static_cast<uint32_t>(EvalConst(inst, seg.offset));
    uint64_t n = seg.init_count;
    if (d + n > t->size) return trap_at(TrapKind::kTableOutOfBounds);
    for (uint64_t k = 0; k < n; ++k) t->elems[d + k] = inst->elem_refs[inst->elem_begin[i] + k];
    inst->elem_dropped[i] = 1;
  }
  for (uint32_t i = 0; i < m.datas.size(); ++i) {
    const DataSegment& seg = m.datas[i];
    if (seg.mode != SegmentMode::kActive) continue;
    MemoryInst* mem = inst->memories[seg.memory];
    uint64_t d = static_cast<uint32_t>(EvalConst(inst, seg.offset));
    uint64_t n = seg.bytes.size;
    if (d + n > mem->size) return trap_at(TrapKind::kMemoryOutOfBounds);
    __builtin_memcpy(mem->base + d, m.bytes + seg.bytes.offset, n);
    inst->data_dropped[i] = 1;
  }
  if (m.has_start) {
    Trap t = Invoke(store, inst->funcs[m.start], nullptr, 0, nullptr, 0);
    if (!t.ok()) {
      result.status = InstantiateStatus::kTrap;
      result.trap = t;
      return result;
    }
  }
  result.instance = inst;
  return result;
}

}  // namespace palisade::wasm
