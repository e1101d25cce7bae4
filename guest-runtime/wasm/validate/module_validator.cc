// Module-level validation (spec 3.4.10). Function bodies are validated by
// the compiler (compile/function_compiler.h).
#include "wasm/validate/module_validator.h"

namespace palisade::wasm {

namespace {

class ModuleValidator {
 public:
  explicit ModuleValidator(const Module& m) : m_(m) {}
  Error Validate();

 private:
  bool Fail(uint32_t offset, const char* section, const char* message) {
    if (error_.ok()) error_ = MakeError(ErrorKind::kInvalid, offset, section, message);
    return false;
  }
  bool Limits(const wasm::Limits& l, uint64_t bound, const char* too_big, const char* section);
  bool Const(const ConstExpr& e, ValType expected, const char* section);

  const Module& m_;
  Error error_;
};

bool ModuleValidator::Limits(const wasm::Limits& l, uint64_t bound, const char* too_big,
                             const char* section) {
  if (l.min > bound || (l.has_max && l.max > bound)) return Fail(l.offset, section, too_big);
  if (l.has_max && l.min > l.max) {
    return Fail(l.offset, section, "size minimum must not be greater than maximum");
  }
  return true;
}

bool ModuleValidator::Const(const ConstExpr& e, ValType expected, const char* section) {
  error_ = CheckConstExpr(m_, e, expected, section);
  return error_.ok();
}

Error ModuleValidator::Validate() {
  const uint32_t ntypes = static_cast<uint32_t>(m_.types.size());
  for (uint32_t i = 0; i < m_.imports.size(); ++i) {
    const Import& imp = m_.imports[i];
    if (imp.kind == ExternKind::kFunc && imp.func_type >= ntypes) {
      Fail(imp.desc_offset, "import", "unknown type");
      return error_;
    }
  }
  for (uint32_t i = 0; i < m_.functions.size(); ++i) {
    if (m_.functions[i].type_index >= ntypes) {
      Fail(m_.functions[i].type_offset, "function", "unknown type");
      return error_;
    }
  }
  for (const TableType& t : m_.tables) {
    if (!Limits(t.limits, 0xffffffffu, "table size must be at most 2^32-1", "table")) return error_;
  }
  if (m_.memories.size() > 1) {
    Fail(m_.memories[1].limits.offset, "memory", "multiple memories");
    return error_;
  }
  for (const MemoryType& mt : m_.memories) {
    if (!Limits(mt.limits, 65536, "memory size must be at most 65536 pages (4GiB)", "memory")) {
      return error_;
    }
  }
  for (const Global& g : m_.global_inits) {
    if (!Const(g.init, g.type.type, "global")) return error_;
  }
  // Export names are unique: sort a copy of their indices by name.
  {
    Vec<uint32_t> order;
    if (!order.resize(m_.exports.size())) {
      return MakeError(ErrorKind::kOutOfMemory, 0, "export", "out of memory");
    }
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    auto less = [&](uint32_t a, uint32_t b) {
      const ByteRange& x = m_.exports[a].name;
      const ByteRange& y = m_.exports[b].name;
      uint32_t n = x.size < y.size ? x.size : y.size;
      int c = __builtin_memcmp(m_.bytes + x.offset, m_.bytes + y.offset, n);
      return c != 0 ? c < 0 : x.size < y.size;
    };
    // Heap sort: O(n log n) whatever the input, no recursion.
    auto sift = [&](uint32_t start, uint32_t end) {
      uint32_t root = start;
      while (2 * root + 1 < end) {
        uint32_t child = 2 * root + 1;
        if (child + 1 < end && less(order[child], order[child + 1])) ++child;
        if (!less(order[root], order[child])) return;
        uint32_t t = order[root];
        order[root] = order[child];
        order[child] = t;
        root = child;
      }
    };
    uint32_t n = static_cast<uint32_t>(order.size());
    for (uint32_t i = n / 2; i > 0; --i) sift(i - 1, n);
    for (uint32_t end = n; end > 1; --end) {
      uint32_t t = order[0];
      order[0] = order[end - 1];
      order[end - 1] = t;
      sift(0, end - 1);
    }
    for (uint32_t i = 1; i < n; ++i) {
      if (!less(order[i - 1], order[i])) {
        // Point at the later of the two, the one that repeats a name.
        uint32_t later = order[i - 1] > order[i] ? order[i - 1] : order[i];
        Fail(m_.exports[later].name.offset, "export", "duplicate export name");
        return error_;
      }
    }
  }
  for (const Export& e : m_.exports) {
    bool ok = true;
    switch (e.kind) {
      case ExternKind::kFunc: ok = e.index < m_.func_types.size() || Fail(e.index_offset, "export", "unknown function"); break;
      case ExternKind::kTable: ok = e.index < m_.tables.size() || Fail(e.index_offset, "export", "unknown table"); break;
      case ExternKind::kMemory: ok = e.index < m_.memories.size() || Fail(e.index_offset, "export", "unknown memory"); break;
      case ExternKind::kGlobal: ok = e.index < m_.globals.size() || Fail(e.index_offset, "export", "unknown global"); break;
    }
    if (!ok) return error_;
  }
  if (m_.has_start) {
    if (m_.start >= m_.func_types.size()) {
      Fail(m_.start_offset, "start", "unknown function");
      return error_;
    }
    const FuncType& ft = m_.FuncTypeOf(m_.start);
    if (ft.param_count != 0 || ft.result_count != 0) {
      Fail(m_.start_offset, "start", "start function");
      return error_;
    }
  }
  for (const ElemSegment& s : m_.elems) {
    if (s.mode == SegmentMode::kActive) {
      if (s.table >= m_.tables.size()) {
        Fail(s.offset.offset, "element", "unknown table");
        return error_;
      }
      if (m_.tables[s.table].elem != s.type) {
        Fail(s.offset.offset, "element", "type mismatch");
        return error_;
      }
      if (!Const(s.offset, ValType::kI32, "element")) return error_;
    }
    for (uint32_t k = 0; k < s.init_count; ++k) {
      if (!Const(m_.elem_inits[s.init_offset + k], s.type, "element")) return error_;
    }
  }
  for (const DataSegment& d : m_.datas) {
    if (d.mode != SegmentMode::kActive) continue;
    if (d.memory >= m_.memories.size()) {
      Fail(d.offset.offset, "data", "unknown memory");
      return error_;
    }
    if (!Const(d.offset, ValType::kI32, "data")) return error_;
  }
  return error_;
}

}  // namespace

Error CheckConstExpr(const Module& m, const ConstExpr& e, ValType expected, const char* section) {
  auto fail = [&](const char* message) {
    return MakeError(ErrorKind::kInvalid, e.offset, section, message);
  };
  ValType got;
  switch (e.op) {
    case ConstExpr::Op::kEmpty:
    case ConstExpr::Op::kTooMany:
      return fail("type mismatch");
    case ConstExpr::Op::kNonConstant:
      return fail("constant expression required");
    case ConstExpr::Op::kRefFunc:
      if (e.index >= m.func_types.size()) return fail("unknown function");
      got = ValType::kFuncRef;
      break;
    case ConstExpr::Op::kGlobalGet:
      // 2.0: only imported globals, and only immutable ones.
      if (e.index >= m.imported_globals) return fail("unknown global");
      if (m.globals[e.index].is_mutable) return fail("constant expression required");
      got = m.globals[e.index].type;
      break;
    default:
      got = e.type;
      break;
  }
  if (got != expected) return fail("type mismatch");
  return Error();
}

Error ValidateModule(const Module& module) {
  ModuleValidator v(module);
  Error e = v.Validate();
  if (!e.ok()) return e;
  return Error();
}

}  // namespace palisade::wasm
