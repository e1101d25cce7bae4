// The engine's embedder API: compile a module, build instances that import
// and export functions, tables, memories and globals, call exported
// functions. Used by the spec runner, the CLI (--in-process), the guest, the
// benchmarks and the fuzzers. Everything here is freestanding.
//
// Ownership: a Store owns every instance and every function, table, memory
// and global created in it; they live until the Store is destroyed. A
// CompiledModule must outlive the Store's instances of it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/binary/decoder.h"
#include "wasm/binary/module.h"
#include "wasm/runtime/trap.h"
#include "wasm/support/error.h"
#include "wasm/support/vec.h"

namespace palisade::wasm {

struct CompiledModule;  // opaque: the decoded module plus its compiled code
struct Store;
struct Instance;
struct FuncInst;
struct TableInst;
struct MemoryInst;
struct GlobalInst;

// A Wasm value as the API passes it. References: funcref is a FuncInst*
// (null = 0); externref is an opaque non-zero word chosen by the embedder,
// 0 meaning null.
struct Value {
  ValType type = ValType::kI32;
  uint64_t bits[2] = {0, 0};  // i32/f32 in the low 32 bits; v128 little-endian

  static Value I32(uint32_t v) { Value x; x.type = ValType::kI32; x.bits[0] = v; return x; }
  static Value I64(uint64_t v) { Value x; x.type = ValType::kI64; x.bits[0] = v; return x; }
  static Value F32Bits(uint32_t v) { Value x; x.type = ValType::kF32; x.bits[0] = v; return x; }
  static Value F64Bits(uint64_t v) { Value x; x.type = ValType::kF64; x.bits[0] = v; return x; }
  static Value Ref(ValType t, uint64_t r) { Value x; x.type = t; x.bits[0] = r; return x; }
  uint32_t i32() const { return static_cast<uint32_t>(bits[0]); }
  uint64_t i64() const { return bits[0]; }
};

// --- Compiling -------------------------------------------------------------

// Makes the compiler tier's code executable where it will run (in process:
// vmm/sealed_code.h after the host's code check; in a micro-VM: the seal
// hypercall). Returns the code's address, or null with `*error` set, in
// which case the module keeps to the interpreter.
struct JitModule;
class CodeSealer {
 public:
  virtual const uint8_t* Seal(const JitModule& code, const char** error) = 0;
  // The module that sealed `code` is being freed.
  virtual void Release(const uint8_t* code) = 0;

 protected:
  ~CodeSealer() = default;
};

enum class EngineTier : uint8_t {
  kInterpreter,
  // Compiles the module to x86-64 (docs/COMPILER.md) when the tier can
  // translate all of it and `sealer` is set; otherwise interprets it
  // (CompiledTierStatus says why).
  kCompiler,
};

struct CompileOptions {
  DecodeLimits limits;
  EngineTier tier = EngineTier::kInterpreter;
  CodeSealer* sealer = nullptr;  // with kCompiler
  // Instruments the code for coverage-guided fuzzing: every basic block
  // records the edge it was entered by, and every integer compare its
  // operands, into the store's CoverageMap (SetCoverage). Slower; off by
  // default.
  bool coverage = false;
};

// Decodes, validates and compiles `bytes` (which must outlive the result).
// On success *out owns the module; free it with FreeCompiledModule.
Error CompileModule(const uint8_t* bytes, size_t size, CompiledModule** out,
                    const CompileOptions& options = CompileOptions());
void FreeCompiledModule(CompiledModule* module);
// Whether `module` runs compiled: "" if it does, else why not ("interpreter
// chosen", "an instruction the compiler tier does not translate yet", ...).
const char* CompiledTierStatus(const CompiledModule* module);
const Module& GetModule(const CompiledModule* module);

// --- Stores and limits -----------------------------------------------------

struct StoreLimits {
  uint32_t max_memory_pages = 65536;   // cap on any memory's size (memory.grow fails beyond)
  uint32_t max_table_elements = 10000000;
  uint32_t max_call_depth = 10000;     // Wasm frames; beyond: "call stack exhausted"
  uint32_t value_stack_slots = 1u << 20;  // 8 MiB of 64-bit value slots
};

// Provides linear memory. The host version reserves address space with mmap;
// the guest's hands out guest-physical pages. Grow never moves memory that
// is in use unless it returns the new base.
class MemoryProvider {
 public:
  // Returns the base of `initial_bytes` of zeroed memory that can grow to
  // `max_bytes` (nullptr on failure).
  virtual uint8_t* Allocate(uint64_t initial_bytes, uint64_t max_bytes) = 0;
  // Grows [base, old) to new_bytes, zero-filled. Returns the (possibly new)
  // base, or nullptr when it cannot (memory.grow then returns -1).
  virtual uint8_t* Grow(uint8_t* base, uint64_t old_bytes, uint64_t new_bytes,
                        uint64_t max_bytes) = 0;
  virtual void Release(uint8_t* base, uint64_t bytes, uint64_t max_bytes) = 0;

 protected:
  ~MemoryProvider() = default;
};

// Creates an empty store. Returns nullptr when out of memory.
Store* NewStore(const StoreLimits& limits, MemoryProvider* memory);
void FreeStore(Store* store);

// Fuel: when enabled, every function call and every loop iteration costs one
// unit; running out traps with kFuelExhausted. Disabled by default.
void SetFuel(Store* store, bool enabled, uint64_t units);
uint64_t RemainingFuel(const Store* store);
// Makes the running (or next) Invoke in this store trap with kInterrupted at
// its next call or loop iteration. Safe to call from another thread or a
// signal handler.
void Interrupt(Store* store);
// True while an Interrupt() is waiting to take effect: host functions that
// block (poll_oneoff) check it so a deadline still ends them.
bool InterruptPending(const Store* store);
// Withdraws an Interrupt() that has not taken effect (one that arrived just
// as the call it was meant for returned), so the next call is not cut short.
void ClearInterrupt(Store* store);

// --- Coverage (modules compiled with CompileOptions::coverage) -------------

// The most recent compare at one site (a compare instruction of the module).
struct CmpRecord {
  uint32_t site;  // 0: empty; otherwise the site's id
  uint32_t size;  // 4 or 8 bytes
  uint64_t a;
  uint64_t b;
};

// Where instrumented code records what it did. The embedder owns the
// arrays and clears them between inputs; both sizes must be powers of two.
// Edge counters wrap at 255 (the fuzzer buckets counts anyway). Compares go
// to slot (site mod cmp_slots), the latest one winning.
struct CoverageMap {
  uint8_t* counters = nullptr;
  uint32_t counters_size = 0;
  uint32_t prev = 0;  // the previous block's id, shifted (AFL's edge hash)
  CmpRecord* cmps = nullptr;
  uint32_t cmp_slots = 0;
};
// Instrumented code in this store records into `map` from now on (nullptr:
// nowhere). The map must outlive its use.
void SetCoverage(Store* store, CoverageMap* map);
// A counters_size for `module` (compiled with coverage): a power of two of
// at least 4 KiB that grows with the module's probes, at most `max_size`
// (itself a power of two). Only that prefix of the map is ever written.
uint32_t SuggestedCoverageMapSize(const CompiledModule* module, uint32_t max_size);
// memory.grow requests this store refused because a limit (the module's
// maximum, the store's max_memory_pages, or the provider) forbade them. A
// fuzzer treats one as a crash, as libFuzzer treats a failed malloc.
uint64_t RefusedMemoryGrows(const Store* store);

// --- Snapshots of an instance (palisade fuzz --in-process) ---------------

// An instance's mutable state: memory 0's bytes and size, every global, every
// table's size and elements, which segments were dropped. Restoring puts
// all of it back, so the next call starts where the snapshot was taken
// (the store's fuel and coverage are the embedder's to reset). State
// outside the instance, such as a host function's, is not included.
struct InstanceSnapshot;
InstanceSnapshot* SnapshotInstance(const Instance* instance);  // nullptr: out of memory
void RestoreInstance(Instance* instance, const InstanceSnapshot* snapshot);
void FreeInstanceSnapshot(InstanceSnapshot* snapshot);

// --- Host functions --------------------------------------------------------

// Context handed to a host function: the calling instance's memory (if
// any), so WASI-style functions can read and write it.
struct HostCall {
  Store* store;
  Instance* caller;        // nullptr when called from the embedder directly
  MemoryInst* memory;      // the caller's memory 0, or nullptr
};

// Arguments arrive as raw 64-bit slots in parameter order (i32 in the low
// half, f32/f64 as bits, references as in Value); results are written the
// same way. Return a Trap with kind kNone on success.
using HostFunction = Trap (*)(void* context, HostCall& call, const uint64_t* args,
                              uint64_t* results);

// Creates a host function with the given signature.
FuncInst* NewHostFunction(Store* store, const ValType* params, uint32_t param_count,
                          const ValType* results, uint32_t result_count,
                          HostFunction function, void* context);
TableInst* NewTable(Store* store, const TableType& type, uint64_t init_ref);
MemoryInst* NewMemory(Store* store, const MemoryType& type);
GlobalInst* NewGlobal(Store* store, const GlobalType& type, const Value& value);

// --- Instantiating -----------------------------------------------------------

struct Extern {
  ExternKind kind = ExternKind::kFunc;
  void* object = nullptr;  // FuncInst*, TableInst*, MemoryInst* or GlobalInst*
};

// Instantiates `module` with one Extern per import, in import order.
// kLinkError: an import is missing or has the wrong type ("incompatible
// import type"; the error's message says which). kTrap: initialising a
// segment or running the start function trapped; effects of the segments
// applied before the trap stay visible through imported memories and tables,
// as the spec requires, but no instance is returned.
enum class InstantiateStatus : uint8_t { kOk, kLinkError, kTrap, kOutOfMemory };
struct InstantiateResult {
  InstantiateStatus status = InstantiateStatus::kOk;
  Instance* instance = nullptr;
  Error error;  // kLinkError / kOutOfMemory
  Trap trap;    // kTrap
};
InstantiateResult Instantiate(Store* store, const CompiledModule* module,
                              const Extern* imports, size_t import_count);

// Looks up an export by name; kind and object are set on success.
bool FindExport(const Instance* instance, const char* name, size_t name_len, Extern* out);
size_t ExportCount(const Instance* instance);
// The i-th export's name (not NUL-terminated) and value.
Extern ExportAt(const Instance* instance, size_t i, const char** name, size_t* name_len);

// --- Calling -----------------------------------------------------------------

void GetFuncSignature(const FuncInst* func, const ValType** params, uint32_t* param_count,
                      const ValType** results, uint32_t* result_count);
// Allocates the store's value and call stacks now rather than at its first
// Invoke (which does it otherwise). An embedder that snapshots an instance
// does this first, so calls from the snapshot allocate nothing. False: out
// of memory.
bool ReserveStacks(Store* store);
// Calls `func`. Arguments must match its parameters (checked: a mismatch is
// a kHostError trap). On success results[0..result_count) are written.
Trap Invoke(Store* store, FuncInst* func, const Value* args, size_t arg_count, Value* results,
            size_t result_capacity);

Value GetGlobal(const GlobalInst* global);
GlobalType GetGlobalType(const GlobalInst* global);
bool SetGlobal(GlobalInst* global, const Value& value);  // false: immutable or wrong type

uint8_t* MemoryData(MemoryInst* memory);
uint64_t MemorySize(const MemoryInst* memory);  // bytes
uint32_t TableSize(const TableInst* table);

// Name of a function for trap messages: from the `name` section when the
// module has one; nullptr otherwise.
const char* FunctionNameOf(const CompiledModule* module, uint32_t func_index, size_t* len);

}  // namespace palisade::wasm
