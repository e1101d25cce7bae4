// Instantiation and linking: several instances sharing a memory, a table
// and a global; host functions; import type checks; segment and start
// function traps.
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"

namespace palisade::wasm::testing {
namespace {

using I = Value;

// Owns the compiled modules and one store; instances live in the store.
class LinkerTest : public ::testing::Test {
 protected:
  ~LinkerTest() override {
    FreeStore(store_);
    for (CompiledModule* m : modules_) FreeCompiledModule(m);
  }

  void SetUp() override {
    store_ = NewStore(StoreLimits(), HostMemoryProvider());
    ASSERT_NE(store_, nullptr);
  }

  const CompiledModule* Compile(const std::string& name) {
    std::ifstream in(std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
    EXPECT_TRUE(in) << "missing test module " << name;
    auto bytes = std::make_unique<std::vector<uint8_t>>(std::istreambuf_iterator<char>(in),
                                                        std::istreambuf_iterator<char>());
    CompiledModule* m = nullptr;
    Error e = CompileModule(bytes->data(), bytes->size(), &m);
    EXPECT_TRUE(e.ok()) << name << ": " << e.message;
    sources_.push_back(std::move(bytes));  // the module refers to its bytes
    modules_.push_back(m);
    return m;
  }

  Instance* InstantiateOk(const std::string& name, std::vector<Extern> imports = {}) {
    InstantiateResult r = Instantiate(store_, Compile(name), imports.data(), imports.size());
    EXPECT_EQ(r.status, InstantiateStatus::kOk) << name << ": " << r.error.message;
    return r.instance;
  }

  static Extern Export(Instance* instance, const char* name) {
    Extern e;
    EXPECT_TRUE(FindExport(instance, name, std::strlen(name), &e)) << name;
    return e;
  }

  uint32_t CallI32(Instance* instance, const char* name, std::vector<Value> args = {}) {
    Value result;
    Trap t = Invoke(store_, static_cast<FuncInst*>(Export(instance, name).object), args.data(),
                    args.size(), &result, 1);
    EXPECT_TRUE(t.ok()) << name << ": " << TrapMessage(t.kind);
    return result.i32();
  }

  // Imports for link_consumer: the provider's four exports and host.add.
  std::vector<Extern> ConsumerImports(Instance* provider) {
    static const ValType kParams[] = {ValType::kI32, ValType::kI32};
    static const ValType kResults[] = {ValType::kI32};
    FuncInst* add = NewHostFunction(
        store_, kParams, 2, kResults, 1,
        [](void*, HostCall&, const uint64_t* args, uint64_t* results) {
          results[0] = static_cast<uint32_t>(args[0] + args[1]);
          return Trap();
        },
        nullptr);
    return {Export(provider, "mem"), Export(provider, "tab"), Export(provider, "counter"),
            Export(provider, "answer"), Extern{ExternKind::kFunc, add}};
  }

  Store* store_ = nullptr;
  std::vector<CompiledModule*> modules_;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> sources_;
};

TEST_F(LinkerTest, InstancesShareMemoryTableAndGlobal) {
  Instance* provider = InstantiateOk("link_provider");
  Instance* consumer = InstantiateOk("link_consumer", ConsumerImports(provider));
  ASSERT_NE(consumer, nullptr);

  // The consumer's data segment landed in the provider's memory...
  EXPECT_EQ(CallI32(provider, "load8", {I::I32(100)}), static_cast<uint32_t>('h'));
  EXPECT_EQ(CallI32(provider, "load8", {I::I32(101)}), static_cast<uint32_t>('i'));
  // ...its element segment in the provider's table, next to the provider's own.
  EXPECT_EQ(CallI32(provider, "call_slot", {I::I32(0)}), 42u);
  EXPECT_EQ(CallI32(provider, "call_slot", {I::I32(1)}), 7u);
  // The start function ran once and updated the shared global.
  auto* counter = static_cast<GlobalInst*>(Export(provider, "counter").object);
  EXPECT_EQ(GetGlobal(counter).i32(), 11u);
  // Calls cross instances and the host: answer (42) + counter (11).
  EXPECT_EQ(CallI32(consumer, "sum"), 53u);
  ASSERT_TRUE(SetGlobal(counter, I::I32(100)));
  EXPECT_EQ(CallI32(consumer, "sum"), 142u);
}

TEST_F(LinkerTest, GrowingASharedMemoryIsSeenByEveryInstanceAndStopsAtItsMaximum) {
  Instance* provider = InstantiateOk("link_provider");
  Instance* consumer = InstantiateOk("link_consumer", ConsumerImports(provider));
  EXPECT_EQ(CallI32(consumer, "grow"), 1u);  // old size in pages
  EXPECT_EQ(CallI32(provider, "pages"), 2u);
  EXPECT_EQ(MemorySize(static_cast<MemoryInst*>(Export(provider, "mem").object)), 2u * 65536);
  EXPECT_EQ(CallI32(consumer, "grow"), 0xffffffffu);  // the provider declared max 2
}

TEST_F(LinkerTest, IncompatibleImportsAreLinkErrorsThatNameTheImport) {
  Instance* provider = InstantiateOk("link_provider");
  struct Case {
    const char* module;
    const char* export_name;
  };
  for (const Case& c : {Case{"link_wants_bigger_memory", "mem"},
                        Case{"link_wants_immutable_global", "counter"},
                        Case{"link_wants_other_signature", "answer"}}) {
    Extern e = Export(provider, c.export_name);
    InstantiateResult r = Instantiate(store_, Compile(c.module), &e, 1);
    EXPECT_EQ(r.status, InstantiateStatus::kLinkError) << c.module;
    EXPECT_EQ(r.instance, nullptr);
    EXPECT_NE(std::strstr(r.error.message, "incompatible import type"), nullptr)
        << c.module << ": " << r.error.message;
  }
  // An extern of the wrong kind (a function where a memory is expected).
  Extern func = Export(provider, "answer");
  InstantiateResult r = Instantiate(store_, Compile("link_wants_bigger_memory"), &func, 1);
  EXPECT_EQ(r.status, InstantiateStatus::kLinkError);
}

TEST_F(LinkerTest, MissingImportsAreLinkErrorsNotCrashes) {
  InstantiateResult r = Instantiate(store_, Compile("link_consumer"), nullptr, 0);
  EXPECT_EQ(r.status, InstantiateStatus::kLinkError);
  EXPECT_NE(r.error.message[0], '\0');
  Extern null_object{ExternKind::kMemory, nullptr};
  r = Instantiate(store_, Compile("link_wants_bigger_memory"), &null_object, 1);
  EXPECT_EQ(r.status, InstantiateStatus::kLinkError);
}

TEST_F(LinkerTest, ASegmentTrapLeavesEarlierSegmentsVisibleButNoInstance) {
  Instance* provider = InstantiateOk("link_provider");
  Extern mem = Export(provider, "mem");
  InstantiateResult r = Instantiate(store_, Compile("link_segment_trap"), &mem, 1);
  EXPECT_EQ(r.status, InstantiateStatus::kTrap);
  EXPECT_EQ(r.trap.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(r.instance, nullptr);
  EXPECT_EQ(CallI32(provider, "load8", {I::I32(0)}), static_cast<uint32_t>('o'));
  EXPECT_EQ(CallI32(provider, "load8", {I::I32(1)}), static_cast<uint32_t>('k'));
  EXPECT_EQ(CallI32(provider, "load8", {I::I32(65535)}), 0u);  // nothing partial
}

TEST_F(LinkerTest, AStartFunctionTrapIsReportedWithItsFunction) {
  InstantiateResult r = Instantiate(store_, Compile("link_start_trap"), nullptr, 0);
  EXPECT_EQ(r.status, InstantiateStatus::kTrap);
  EXPECT_EQ(r.trap.kind, TrapKind::kUnreachable);
  EXPECT_EQ(r.trap.func_index, 0u);
  EXPECT_GT(r.trap.offset, 0u);
}

TEST_F(LinkerTest, AFailingHostFunctionTrapsTheCallerWithItsDetail) {
  static const ValType kResults[] = {ValType::kI32};
  FuncInst* failing = NewHostFunction(
      store_, nullptr, 0, kResults, 1,
      [](void*, HostCall&, const uint64_t*, uint64_t*) {
        Trap t;
        t.kind = TrapKind::kHostError;
        t.detail = "host says no";
        return t;
      },
      nullptr);
  Instance* provider = InstantiateOk("link_provider");
  std::vector<Extern> imports = ConsumerImports(provider);
  imports[3] = Extern{ExternKind::kFunc, failing};  // in place of p.answer
  Instance* consumer = InstantiateOk("link_consumer", imports);
  Value result;
  Trap t = Invoke(store_, static_cast<FuncInst*>(Export(consumer, "sum").object), nullptr, 0,
                  &result, 1);
  EXPECT_EQ(t.kind, TrapKind::kHostError);
  EXPECT_STREQ(t.detail, "host says no");
}

TEST_F(LinkerTest, InvokeChecksArgumentsAgainstTheSignature) {
  Instance* provider = InstantiateOk("link_provider");
  auto* load8 = static_cast<FuncInst*>(Export(provider, "load8").object);
  Value result;
  Value wrong_type = I::I64(0);
  EXPECT_EQ(Invoke(store_, load8, &wrong_type, 1, &result, 1).kind, TrapKind::kHostError);
  EXPECT_EQ(Invoke(store_, load8, nullptr, 0, &result, 1).kind, TrapKind::kHostError);
}

}  // namespace
}  // namespace palisade::wasm::testing
