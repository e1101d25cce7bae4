// The engine side of running the WebAssembly spec tests: one store with the
// `spectest` host module, the instances a .wast file creates (by handle),
// the names they are registered under for imports, and the actions the
// tests perform on them. Freestanding, so the same code answers
// `palisade spec --in-process` and `--in-vm` (the guest drives it from
// SpecRequests): the two can only differ in transport.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/runtime/engine.h"
#include "wasm/runtime/trap.h"
#include "wasm/support/error.h"
#include "wasm/support/vec.h"

namespace palisade::wasm::spectest {

enum class SpecStatus : uint32_t {
  kOk = 0,
  kCompileError = 1,  // malformed or invalid: `error` says which and why
  kLinkError = 2,     // unknown import or import type mismatch (`error`)
  kTrap = 3,          // the start function or the action trapped (`trap`)
  kNoInstance = 4,    // no instance with that handle
  kNoExport = 5,      // no export of that name, or not of the needed kind
  kBadArguments = 6,  // arguments do not match the function's signature
  kOutOfMemory = 7,
};

inline constexpr uint32_t kMaxSpecResults = 64;  // the spec tests use up to 17

struct SpecResult {
  SpecStatus status = SpecStatus::kOk;
  Error error;                 // kCompileError / kLinkError
  TrapKind trap = TrapKind::kNone;
  uint32_t instance = 0;       // Instantiate: the new instance's handle
  uint32_t result_count = 0;
  Value results[kMaxSpecResults];
};

class SpecSession {
 public:
  SpecSession() = default;
  SpecSession(const SpecSession&) = delete;
  SpecSession& operator=(const SpecSession&) = delete;
  ~SpecSession() { Clear(); }

  // Starts afresh (a new .wast file): a new store and spectest module.
  bool Reset(MemoryProvider* memory);
  // Compiles every later module with coverage probes recording into `map`
  // (palisade spec --coverage-probes): the whole suite then checks that
  // instrumented code computes exactly what plain code does.
  void EnableCoverage(CoverageMap* map) { coverage_ = map; }
  // Instantiates later modules with the compiler tier where it can compile
  // them, sealed by `sealer` (palisade spec --engine compiler).
  void UseCompiler(CodeSealer* sealer) { sealer_ = sealer; }
  // Modules instantiated so far, and how many of those run compiled.
  uint32_t instantiated_modules() const { return instantiated_; }
  uint32_t compiled_modules() const { return compiled_; }
  void Clear();

  // Compiles only (assert_malformed, assert_invalid).
  SpecResult Validate(const uint8_t* bytes, size_t size);
  // Compiles and instantiates, resolving imports among `spectest` and the
  // registered instances. The bytes are copied.
  SpecResult Instantiate(const uint8_t* bytes, size_t size);
  // Makes instance `handle`'s exports importable as module `name`.
  bool Register(const char* name, size_t name_size, uint32_t handle);
  SpecResult Invoke(uint32_t handle, const char* field, size_t field_size, const Value* args,
                    uint32_t arg_count);
  SpecResult Get(uint32_t handle, const char* field, size_t field_size);

 private:
  CoverageMap* coverage_ = nullptr;
  CodeSealer* sealer_ = nullptr;
  uint32_t instantiated_ = 0, compiled_ = 0;
  struct Loaded {
    uint8_t* bytes = nullptr;
    CompiledModule* module = nullptr;
  };
  struct Named {
    char* name = nullptr;
    size_t size = 0;
    void* object = nullptr;  // Instance* (registered) or the spectest Extern's object
    ExternKind kind = ExternKind::kFunc;
  };
  bool AddSpectest();
  bool Resolve(const CompiledModule* module, Vec<Extern>* externs, Error* error);
  // `to_run`: the module will be instantiated (so the compiler tier is worth its time).
  SpecResult Load(const uint8_t* bytes, size_t size, Loaded* out, bool to_run);

  Store* store_ = nullptr;
  Vec<Loaded> modules_;       // instances point into them: freed after the store
  Vec<Instance*> instances_;  // by handle
  Vec<Named> spectest_;       // the spectest module's fields
  Vec<Named> registered_;     // registered instances by module name
};

}  // namespace palisade::wasm::spectest
