// DecodeModule: the module preamble and every section (spec 5.5).
#include "wasm/binary/const_expr_decoder.h"
#include "wasm/binary/decoder.h"

namespace palisade::wasm {

namespace {

class ModuleDecoder {
 public:
  ModuleDecoder(const uint8_t* bytes, size_t size, Module* m, const DecodeLimits& limits)
      : r_(bytes, size), m_(m), limits_(limits) {}

  Error Decode();

 private:
  // --- small pieces
  bool Fail(Reader& r, ErrorKind kind, const char* message) {
    r.Fail(kind, message);
    return false;
  }
  bool Oom(Reader& r) { return Fail(r, ErrorKind::kOutOfMemory, "out of memory"); }
  // Reads a vector length, bounded by `limit` and by the bytes left (each
  // element takes at least `min_bytes`), so nothing is reserved that the
  // input cannot back.
  bool Count(Reader& r, uint32_t limit, const char* what, uint32_t* n, uint32_t min_bytes = 1) {
    *n = r.U32();
    if (!r.ok()) return false;
    if (*n > limit) {
      char msg[96] = "too many ";
      size_t i = 9;
      for (size_t k = 0; what[k] != '\0' && i + 1 < sizeof(msg); ++k) msg[i++] = what[k];
      msg[i] = '\0';
      return Fail(r, ErrorKind::kLimit, msg);
    }
    if (static_cast<uint64_t>(*n) * min_bytes > r.remaining()) {
      return Fail(r, ErrorKind::kMalformed, "unexpected end of section or function");
    }
    return true;
  }
  bool ValueType(Reader& r, ValType* t);
  bool RefType(Reader& r, ValType* t);
  bool ReadLimits(Reader& r, Limits* l);
  bool ReadTableType(Reader& r, TableType* t);
  bool ReadGlobalType(Reader& r, GlobalType* g);
  bool ReadName(Reader& r, ByteRange* out);

  // --- sections
  bool TypeSection(Reader& r);
  bool ImportSection(Reader& r);
  bool FunctionSection(Reader& r);
  bool TableSection(Reader& r);
  bool MemorySection(Reader& r);
  bool GlobalSection(Reader& r);
  bool ExportSection(Reader& r);
  bool StartSection(Reader& r);
  bool ElementSection(Reader& r);
  bool DataCountSection(Reader& r);
  bool CodeSection(Reader& r);
  bool DataSection(Reader& r);
  bool CustomSection(Reader& r);
  void NameSection(Reader r);
  Error DeclaredFunctions();

  Reader r_;
  Module* m_;
  DecodeLimits limits_;
  uint32_t declared_functions_ = 0;  // function section's count
  bool saw_code_ = false;
  bool saw_data_ = false;
};

bool ModuleDecoder::ValueType(Reader& r, ValType* t) {
  uint8_t b = r.U8();
  if (!r.ok()) return false;
  switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: case 0x70: case 0x6f:
      *t = static_cast<ValType>(b);
      return true;
    default:
      return Fail(r, ErrorKind::kMalformed, "malformed value type");
  }
}

bool ModuleDecoder::RefType(Reader& r, ValType* t) {
  uint8_t b = r.U8();
  if (!r.ok()) return false;
  if (b != 0x70 && b != 0x6f) return Fail(r, ErrorKind::kMalformed, "malformed reference type");
  *t = static_cast<ValType>(b);
  return true;
}

bool ModuleDecoder::ReadLimits(Reader& r, Limits* l) {
  l->offset = r.offset();
  uint8_t flags = r.U8();
  if (!r.ok()) return false;
  if (flags > 1) return Fail(r, ErrorKind::kMalformed, "integer too large");
  l->min = r.U32();
  l->has_max = flags == 1;
  if (l->has_max) l->max = r.U32();
  return r.ok();
}

bool ModuleDecoder::ReadTableType(Reader& r, TableType* t) {
  return RefType(r, &t->elem) && ReadLimits(r, &t->limits);
}

bool ModuleDecoder::ReadGlobalType(Reader& r, GlobalType* g) {
  if (!ValueType(r, &g->type)) return false;
  uint8_t mut = r.U8();
  if (!r.ok()) return false;
  if (mut > 1) return Fail(r, ErrorKind::kMalformed, "malformed mutability");
  g->is_mutable = mut == 1;
  return true;
}

bool ModuleDecoder::ReadName(Reader& r, ByteRange* out) {
  uint32_t len;
  const uint8_t* p = r.Name(&len);
  if (p == nullptr || !r.ok()) return false;
  out->offset = static_cast<uint32_t>(p - m_->bytes);
  out->size = len;
  return true;
}

bool ModuleDecoder::TypeSection(Reader& r) {
  uint32_t n;
  if (!Count(r, limits_.max_types, "types", &n, 3)) return false;
  if (!m_->types.reserve(n)) return Oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t form = r.U8();
    if (!r.ok()) return false;
    if (form != 0x60) return Fail(r, ErrorKind::kMalformed, "integer representation too long");
    FuncType ft;
    ft.pool_offset = static_cast<uint32_t>(m_->type_pool.size());
    if (!Count(r, limits_.max_params, "parameters", &ft.param_count)) return false;
    for (uint32_t k = 0; k < ft.param_count; ++k) {
      ValType t;
      if (!ValueType(r, &t)) return false;
      if (!m_->type_pool.push_back(t)) return Oom(r);
    }
    if (!Count(r, limits_.max_results, "results", &ft.result_count)) return false;
    for (uint32_t k = 0; k < ft.result_count; ++k) {
      ValType t;
      if (!ValueType(r, &t)) return false;
      if (!m_->type_pool.push_back(t)) return Oom(r);
    }
    (void)m_->types.push_back(ft);
  }
  return true;
}

bool ModuleDecoder::ImportSection(Reader& r) {
  uint32_t n;
  if (!Count(r, limits_.max_imports, "imports", &n, 4)) return false;
  if (!m_->imports.reserve(n)) return Oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    Import imp;
    if (!ReadName(r, &imp.module) || !ReadName(r, &imp.name)) return false;
    uint8_t kind = r.U8();
    if (!r.ok()) return false;
    switch (kind) {
      case 0:
        imp.kind = ExternKind::kFunc;
        imp.desc_offset = r.offset();
        imp.func_type = r.U32();
        if (!r.ok()) return false;
        if (m_->func_types.size() >= limits_.max_functions) {
          return Fail(r, ErrorKind::kLimit, "too many functions");
        }
        if (!m_->func_types.push_back(imp.func_type)) return Oom(r);
        ++m_->imported_funcs;
        break;
      case 1:
        imp.kind = ExternKind::kTable;
        if (!ReadTableType(r, &imp.table)) return false;
        if (m_->tables.size() >= limits_.max_tables) return Fail(r, ErrorKind::kLimit, "too many tables");
        if (!m_->tables.push_back(imp.table)) return Oom(r);
        ++m_->imported_tables;
        break;
      case 2:
        imp.kind = ExternKind::kMemory;
        if (!ReadLimits(r, &imp.memory.limits)) return false;
        if (!m_->memories.push_back(imp.memory)) return Oom(r);
        ++m_->imported_memories;
        break;
      case 3:
        imp.kind = ExternKind::kGlobal;
        if (!ReadGlobalType(r, &imp.global)) return false;
        if (m_->globals.size() >= limits_.max_globals) {
          return Fail(r, ErrorKind::kLimit, "too many globals");
        }
        if (!m_->globals.push_back(imp.global)) return Oom(r);
        ++m_->imported_globals;
        break;
      default:
        return Fail(r, ErrorKind::kMalformed, "malformed import kind");
    }
    (void)m_->imports.push_back(imp);
  }
  return true;
}

bool ModuleDecoder::FunctionSection(Reader& r) {
  uint32_t n;
  if (!Count(r, limits_.max_functions, "functions", &n)) return false;
  if (static_cast<uint64_t>(n) + m_->func_types.size() > limits_.max_functions) {
    return Fail(r, ErrorKind::kLimit, "too many functions");
  }
  if (!m_->func_types.reserve(m_->func_types.size() + n) || !m_->functions.reserve(n)) {
    return Oom(r);
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t at = r.offset();
    uint32_t t = r.U32();
    if (!r.ok()) return false;
    (void)m_->func_types.push_back(t);
    Function f;
    f.type_index = t;
    f.type_offset = at;
    (void)m_->functions.push_back(f);
  }
  declared_functions_ = n;
  return true;
}

bool ModuleDecoder::TableSection(Reader& r) {
  uint32_t n;
  if (!Count(r, limits_.max_tables, "tables", &n, 3)) return false;
  if (m_->tables.size() + n > limits_.max_tables) return Fail(r, ErrorKind::kLimit, "too many tables");
  for (uint32_t i = 0; i < n; ++i) {
    TableType t;
    if (!ReadTableType(r, &t)) return false;
    if (!m_->tables.push_back(t)) return Oom(r);
  }
  return true;
}

bool ModuleDecoder::MemorySection(Reader& r) {
  uint32_t n;
  // More than one memory is a validation error in 2.0 ("multiple
  // memories"), so only the bytes bound the count here.
  if (!Count(r, 0xffffffffu, "memories", &n, 2)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    MemoryType t;
    if (!ReadLimits(r, &t.limits)) return false;
    if (!m_->memories.push_back(t)) return Oom(r);
  }
  return true;
}

bool ModuleDecoder::GlobalSection(Reader& r) {
  uint32_t n;
  if (!Count(r, limits_.max_globals, "globals", &n, 3)) return false;
  if (m_->globals.size() + n > limits_.max_globals) {
    return Fail(r, ErrorKind::kLimit, "too many globals");
  }
  if (!m_->global_inits.reserve(n)) return Oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    Global g;
    if (!ReadGlobalType(r, &g.type)) return false;
    g.init = DecodeConstExpr(r);
    if (!r.ok()) return false;
    if (!m_->globals.push_back(g.type) || !m_->global_inits.push_back(g)) return Oom(r);
  }
  return true;
}

bool ModuleDecoder::ExportSection(Reader& r) {
  uint32_t n;
  if (!Count(r, limits_.max_exports, "exports", &n, 3)) return false;
  if (!m_->exports.reserve(n)) return Oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    Export e;
    if (!ReadName(r, &e.name)) return false;
    uint8_t kind = r.U8();
    if (!r.ok()) return false;
    if (kind > 3) return Fail(r, ErrorKind::kMalformed, "malformed export kind");
    e.kind = static_cast<ExternKind>(kind);
    e.index_offset = r.offset();
    e.index = r.U32();
    if (!r.ok()) return false;
    (void)m_->exports.push_back(e);
  }
  return true;
}

bool ModuleDecoder::StartSection(Reader& r) {
  m_->has_start = true;
  m_->start_offset = r.offset();
  m_->start = r.U32();
  return r.ok();
}

bool ModuleDecoder::ElementSection(Reader& r) {
  uint32_t n;
  if (!Count(r, limits_.max_elem_segments, "element segments", &n)) return false;
  if (!m_->elems.reserve(n)) return Oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t flags = r.U32();
    if (!r.ok()) return false;
    if (flags > 7) return Fail(r, ErrorKind::kMalformed, "malformed elements segment kind");
    ElemSegment s;
    // Bit 0: passive or declarative; bit 1: explicit table (active) or
    // declarative (otherwise); bit 2: items are expressions.
    bool not_active = flags & 1;
    bool explicit_or_declarative = flags & 2;
    bool exprs = flags & 4;
    s.mode = !not_active ? SegmentMode::kActive
                         : (explicit_or_declarative ? SegmentMode::kDeclarative : SegmentMode::kPassive);
    if (s.mode == SegmentMode::kActive) {
      if (explicit_or_declarative) {
        s.table = r.U32();
        if (!r.ok()) return false;
      }
      s.offset = DecodeConstExpr(r);
      if (!r.ok()) return false;
    }
    s.type = ValType::kFuncRef;
    if (s.mode != SegmentMode::kActive || explicit_or_declarative) {
      if (exprs) {
        if (!RefType(r, &s.type)) return false;
      } else {
        uint8_t kind = r.U8();
        if (!r.ok()) return false;
        if (kind != 0) return Fail(r, ErrorKind::kMalformed, "malformed element kind");
      }
    }
    uint32_t items;
    if (!Count(r, limits_.max_table_init, "element items", &items)) return false;
    if (m_->elem_inits.size() + items > limits_.max_table_init) {
      return Fail(r, ErrorKind::kLimit, "too many element items");
    }
    s.init_offset = static_cast<uint32_t>(m_->elem_inits.size());
    s.init_count = items;
    if (!m_->elem_inits.reserve(m_->elem_inits.size() + items)) return Oom(r);
    for (uint32_t k = 0; k < items; ++k) {
      ConstExpr e;
      if (exprs) {
        e = DecodeConstExpr(r);
      } else {
        e.offset = r.offset();
        e.op = ConstExpr::Op::kRefFunc;
        e.type = ValType::kFuncRef;
        e.index = r.U32();
      }
      if (!r.ok()) return false;
      (void)m_->elem_inits.push_back(e);
    }
    (void)m_->elems.push_back(s);
  }
  return true;
}

bool ModuleDecoder::DataCountSection(Reader& r) {
  m_->has_data_count = true;
  m_->data_count = r.U32();
  return r.ok();
}

bool ModuleDecoder::CodeSection(Reader& r) {
  saw_code_ = true;
  uint32_t n;
  if (!Count(r, limits_.max_functions, "functions", &n, 2)) return false;
  if (n != declared_functions_) {
    return Fail(r, ErrorKind::kMalformed, "function and code section have inconsistent lengths");
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t size = r.U32();
    if (!r.ok()) return false;
    if (size > limits_.max_function_size) {
      return Fail(r, ErrorKind::kLimit, "function body too large");
    }
    if (size > r.remaining()) return Fail(r, ErrorKind::kMalformed, "unexpected end of section or function");
    uint32_t body_start = r.offset();
    Reader body = r.Sub(size);
    Function& f = m_->functions[i];
    f.body = ByteRange{body_start, size};
    f.local_run_offset = static_cast<uint32_t>(m_->local_runs.size());
    uint32_t runs;
    if (!Count(body, 0xffffffffu, "local declarations", &runs, 2)) {
      r.Fail(body.error().kind, body.error().message);
      return false;
    }
    uint64_t total = 0;
    for (uint32_t k = 0; k < runs; ++k) {
      LocalRun run;
      run.count = body.U32();
      if (!body.ok() || !ValueType(body, &run.type)) break;
      total += run.count;
      if (total > limits_.max_function_locals) {
        body.Fail(total > 0xffffffffu ? ErrorKind::kMalformed : ErrorKind::kLimit, "too many locals");
        break;
      }
      if (run.count > 0 && !m_->local_runs.push_back(run)) return Oom(r);
    }
    if (!body.ok()) {
      // Keep the body's error (offset and message) as the module's.
      Error e = body.error();
      r.Fail(e.kind, e.message);
      return false;
    }
    f.local_run_count = static_cast<uint32_t>(m_->local_runs.size()) - f.local_run_offset;
    f.local_count = static_cast<uint32_t>(total);
    f.code = ByteRange{body.offset(), static_cast<uint32_t>(body.remaining())};
  }
  return true;
}

bool ModuleDecoder::DataSection(Reader& r) {
  saw_data_ = true;
  uint32_t n;
  if (!Count(r, limits_.max_data_segments, "data segments", &n)) return false;
  if (m_->has_data_count && n != m_->data_count) {
    return Fail(r, ErrorKind::kMalformed, "data count and data section have inconsistent lengths");
  }
  if (!m_->datas.reserve(n)) return Oom(r);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t flags = r.U32();
    if (!r.ok()) return false;
    if (flags > 2) return Fail(r, ErrorKind::kMalformed, "malformed data segment kind");
    DataSegment d;
    d.mode = flags == 1 ? SegmentMode::kPassive : SegmentMode::kActive;
    if (flags == 2) {
      d.memory = r.U32();
      if (!r.ok()) return false;
    }
    if (d.mode == SegmentMode::kActive) {
      d.offset = DecodeConstExpr(r);
      if (!r.ok()) return false;
    }
    uint32_t len = r.U32();
    if (!r.ok()) return false;
    d.bytes.offset = r.offset();
    if (r.Bytes(len) == nullptr) return false;
    d.bytes.size = len;
    (void)m_->datas.push_back(d);
  }
  return true;
}

bool ModuleDecoder::CustomSection(Reader& r) {
  ByteRange name;
  if (!ReadName(r, &name)) return false;
  static const char kName[] = "name";
  if (name.size == 4 && __builtin_memcmp(m_->bytes + name.offset, kName, 4) == 0) {
    NameSection(r.Sub(r.remaining()));
  }
  (void)r.Bytes(r.remaining());
  return r.ok();
}

// The name section only feeds trap messages: anything wrong in it drops the
// names and never fails the module (the spec does not validate custom
// sections).
void ModuleDecoder::NameSection(Reader r) {
  Vec<FunctionName> names;
  while (r.ok() && !r.at_end()) {
    uint8_t id = r.U8();
    uint32_t size = r.U32();
    if (!r.ok() || size > r.remaining()) return;
    Reader sub = r.Sub(size);
    if (id == 0) {
      uint32_t len;
      const uint8_t* p = sub.Name(&len);
      if (p != nullptr && sub.ok()) {
        m_->module_name = ByteRange{static_cast<uint32_t>(p - m_->bytes), len};
      }
    } else if (id == 1) {
      uint32_t n = sub.U32();
      if (!sub.ok() || n > sub.remaining()) return;
      for (uint32_t i = 0; i < n; ++i) {
        FunctionName fn;
        fn.index = sub.U32();
        uint32_t len;
        const uint8_t* p = sub.Name(&len);
        if (p == nullptr || !sub.ok()) return;
        if (!names.empty() && names.back().index >= fn.index) return;  // must ascend
        fn.name = ByteRange{static_cast<uint32_t>(p - m_->bytes), len};
        if (!names.push_back(fn)) return;
      }
    }
  }
  if (r.ok()) m_->function_names = static_cast<Vec<FunctionName>&&>(names);
}

Error ModuleDecoder::Decode() {
  m_->bytes = nullptr;
  if (r_.remaining() > limits_.max_module_size) {
    return MakeError(ErrorKind::kLimit, 0, "", "module too large");
  }
  const uint8_t* magic = r_.Bytes(4);
  if (magic == nullptr) return r_.error();
  m_->bytes = magic;
  if (__builtin_memcmp(magic, "\0asm", 4) != 0) {
    return MakeError(ErrorKind::kMalformed, 0, "", "magic header not detected");
  }
  const uint8_t* version = r_.Bytes(4);
  if (version == nullptr) return r_.error();
  if (__builtin_memcmp(version, "\1\0\0\0", 4) != 0) {
    return MakeError(ErrorKind::kMalformed, 4, "", "unknown binary version");
  }
  // Where each known section may appear (the data count section sits
  // between element and code).
  static constexpr uint8_t kOrder[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  static constexpr const char* kNames[13] = {"custom", "type", "import", "function", "table",
                                             "memory", "global", "export", "start", "element",
                                             "code", "data", "datacount"};
  uint8_t last = 0;
  while (!r_.at_end()) {
    uint32_t section_start = r_.offset();
    uint8_t id = r_.U8();
    if (!r_.ok()) return r_.error();
    if (id > 12) return MakeError(ErrorKind::kMalformed, section_start, "", "malformed section id");
    uint32_t size = r_.U32();
    if (!r_.ok()) return r_.error();
    if (size > r_.remaining()) {
      return MakeError(ErrorKind::kMalformed, r_.offset(), kNames[id], "length out of bounds");
    }
    if (id != 0) {
      if (kOrder[id] <= last) {
        return MakeError(ErrorKind::kMalformed, section_start, kNames[id],
                         "unexpected content after last section");
      }
      last = kOrder[id];
    }
    Reader s = r_.Sub(size);
    s.set_section(kNames[id]);
    bool ok = true;
    switch (id) {
      case 0: ok = CustomSection(s); break;
      case 1: ok = TypeSection(s); break;
      case 2: ok = ImportSection(s); break;
      case 3: ok = FunctionSection(s); break;
      case 4: ok = TableSection(s); break;
      case 5: ok = MemorySection(s); break;
      case 6: ok = GlobalSection(s); break;
      case 7: ok = ExportSection(s); break;
      case 8: ok = StartSection(s); break;
      case 9: ok = ElementSection(s); break;
      case 10: ok = CodeSection(s); break;
      case 11: ok = DataSection(s); break;
      case 12: ok = DataCountSection(s); break;
    }
    if (!ok || !s.ok()) return s.error();
    if (!s.at_end()) {
      return MakeError(ErrorKind::kMalformed, s.offset(), kNames[id], "section size mismatch");
    }
  }
  if (!saw_code_ && declared_functions_ > 0) {
    return MakeError(ErrorKind::kMalformed, r_.offset(), "code",
                     "function and code section have inconsistent lengths");
  }
  if (m_->has_data_count && !saw_data_ && m_->data_count > 0) {
    return MakeError(ErrorKind::kMalformed, r_.offset(), "data",
                     "data count and data section have inconsistent lengths");
  }
  return DeclaredFunctions();
}

// The functions `ref.func` may name inside bodies (spec C.refs): those
// referenced from exports, element items and global initialisers.
Error ModuleDecoder::DeclaredFunctions() {
  Vec<uint8_t> seen;
  uint32_t n = static_cast<uint32_t>(m_->func_types.size());
  if (!seen.resize(n)) return MakeError(ErrorKind::kOutOfMemory, 0, "", "out of memory");
  auto mark = [&](const ConstExpr& e) {
    if (e.op == ConstExpr::Op::kRefFunc && e.index < n) seen[e.index] = 1;
  };
  for (const Export& e : m_->exports) {
    if (e.kind == ExternKind::kFunc && e.index < n) seen[e.index] = 1;
  }
  for (const ConstExpr& e : m_->elem_inits) mark(e);
  for (const Global& g : m_->global_inits) mark(g.init);
  for (uint32_t i = 0; i < n; ++i) {
    if (seen[i] && !m_->declared_funcs.push_back(i)) {
      return MakeError(ErrorKind::kOutOfMemory, 0, "", "out of memory");
    }
  }
  return Error();
}

}  // namespace

Error DecodeModule(const uint8_t* bytes, size_t size, Module* out, const DecodeLimits& limits) {
  out->size = size;
  ModuleDecoder d(bytes, size, out, limits);
  Error e = d.Decode();
  out->bytes = bytes;
  return e;
}

}  // namespace palisade::wasm
