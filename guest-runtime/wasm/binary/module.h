// A decoded (not yet validated) WebAssembly module: what the section decoder
// produces and the validator/compiler consumes. Names and data bytes are not
// copied; they point into the module's bytes, which must outlive the Module.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/vec.h"

namespace palisade::wasm {

enum class ValType : uint8_t {
  kI32 = 0x7f,
  kI64 = 0x7e,
  kF32 = 0x7d,
  kF64 = 0x7c,
  kV128 = 0x7b,
  kFuncRef = 0x70,
  kExternRef = 0x6f,
};

inline bool IsRefType(ValType t) { return t == ValType::kFuncRef || t == ValType::kExternRef; }

enum class ExternKind : uint8_t { kFunc = 0, kTable = 1, kMemory = 2, kGlobal = 3 };

// A slice of the module's bytes (a name, a data segment's contents).
struct ByteRange {
  uint32_t offset = 0;  // from the start of the module
  uint32_t size = 0;
};

// Function types keep their value types in Module::type_pool:
// params at [pool_offset, +param_count), results right after.
struct FuncType {
  uint32_t pool_offset = 0;
  uint32_t param_count = 0;
  uint32_t result_count = 0;
};

struct Limits {
  uint64_t min = 0;
  uint64_t max = 0;
  bool has_max = false;
  uint32_t offset = 0;  // module offset of the encoding, for errors
};

struct TableType {
  ValType elem = ValType::kFuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::kI32;
  bool is_mutable = false;
};

// A constant expression (spec 3.3.10). WebAssembly 2.0 allows exactly one
// instruction before `end`.
struct ConstExpr {
  enum class Op : uint8_t { kI32Const, kI64Const, kF32Const, kF64Const, kV128Const,
                            kRefNull, kRefFunc, kGlobalGet,
                            // Not a valid constant expression; the validator
                            // reports it (the decoder only checks the format).
                            kEmpty, kTooMany, kNonConstant };
  Op op = Op::kI32Const;
  ValType type = ValType::kI32;  // the expression's result type (kRefNull: the heap type)
  uint64_t bits[2] = {0, 0};     // the constant; v128 uses both, little-endian
  uint32_t index = 0;            // kRefFunc: function index; kGlobalGet: global index
  uint32_t offset = 0;           // module offset of the expression, for errors
};

struct Import {
  ByteRange module;
  ByteRange name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t func_type = 0;  // kFunc: type index
  uint32_t desc_offset = 0;  // module offset of the import's type, for errors
  TableType table;         // kTable
  MemoryType memory;       // kMemory
  GlobalType global;       // kGlobal
};

struct Export {
  ByteRange name;
  ExternKind kind = ExternKind::kFunc;
  uint32_t index = 0;
  uint32_t index_offset = 0;  // module offset of `index`, for errors
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

enum class SegmentMode : uint8_t { kActive, kPassive, kDeclarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::kActive;
  ValType type = ValType::kFuncRef;
  uint32_t table = 0;           // kActive
  ConstExpr offset;             // kActive
  uint32_t init_offset = 0;     // items at Module::elem_inits[init_offset, +init_count)
  uint32_t init_count = 0;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::kActive;  // never kDeclarative
  uint32_t memory = 0;          // kActive
  ConstExpr offset;             // kActive
  ByteRange bytes;
};

// A run of `count` locals of one type, as the code section encodes them.
struct LocalRun {
  uint32_t count = 0;
  ValType type = ValType::kI32;
};

// A function defined in this module (imports are not in Module::functions).
struct Function {
  uint32_t type_index = 0;
  uint32_t type_offset = 0;       // module offset of type_index in the function section
  uint32_t local_run_offset = 0;  // runs at Module::local_runs[offset, +count)
  uint32_t local_run_count = 0;
  uint32_t local_count = 0;       // total declared locals (params not included)
  ByteRange code;                 // the instructions, after the local declarations
  ByteRange body;                 // the whole body, for offsets in traps
};

// Function names from the `name` custom section, sorted by index.
struct FunctionName {
  uint32_t index = 0;
  ByteRange name;
};

struct Module {
  const uint8_t* bytes = nullptr;
  size_t size = 0;

  Vec<FuncType> types;
  Vec<ValType> type_pool;
  Vec<Import> imports;
  // Index spaces hold imports first, then this module's definitions.
  Vec<uint32_t> func_types;  // type index of every function in the index space
  Vec<TableType> tables;
  Vec<MemoryType> memories;
  Vec<GlobalType> globals;
  uint32_t imported_funcs = 0;
  uint32_t imported_tables = 0;
  uint32_t imported_memories = 0;
  uint32_t imported_globals = 0;

  Vec<Function> functions;     // defined functions, index = func index - imported_funcs
  Vec<LocalRun> local_runs;
  Vec<Global> global_inits;    // defined globals, index = global index - imported_globals
  Vec<Export> exports;
  bool has_start = false;
  uint32_t start = 0;
  uint32_t start_offset = 0;  // module offset of `start`, for errors
  Vec<ElemSegment> elems;
  Vec<ConstExpr> elem_inits;
  Vec<DataSegment> datas;
  bool has_data_count = false;
  uint32_t data_count = 0;
  // Functions referenced outside function bodies (exports, element segments,
  // global initialisers): the only ones `ref.func` may name in a body.
  Vec<uint32_t> declared_funcs;  // sorted, unique
  Vec<FunctionName> function_names;
  ByteRange module_name;

  const ValType* Params(const FuncType& t) const { return type_pool.data() + t.pool_offset; }
  const ValType* Results(const FuncType& t) const {
    return type_pool.data() + t.pool_offset + t.param_count;
  }
  const FuncType& FuncTypeOf(uint32_t func_index) const { return types[func_types[func_index]]; }
};

}  // namespace palisade::wasm
