// palisade fuzz's coverage probes on the compiler tier: a module compiled
// with CompileOptions::coverage records, call by call, exactly the edge
// counters and compare records the interpreter records for it, so fuzzing
// finds the same paths whichever tier runs the harness.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/compiled_code_sealer.h"
#include "tests/jit/test_modules.h"
#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"
#include "wasm/runtime/store.h"

namespace palisade::wasm {
namespace {

struct Call {
  const char* name;
  std::vector<Value> args;
};

// One tier's run of every call, each on a fresh store, with what it recorded.
struct Recorded {
  std::vector<std::vector<uint8_t>> counters;
  std::vector<std::vector<CmpRecord>> cmps;
  std::vector<uint64_t> results;
};

class CoverageOnBothTiers : public ::testing::Test {
 protected:
  Recorded Run(const std::string& bytes, bool compiler, const std::vector<Call>& calls) {
    CompileOptions o;
    o.coverage = true;
    if (compiler) {
      o.tier = EngineTier::kCompiler;
      o.sealer = &sealer_;
    }
    CompiledModule* module = nullptr;
    Error e = CompileModule(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &module, o);
    EXPECT_TRUE(e.ok()) << e.message;
    if (!e.ok()) return {};
    if (compiler) EXPECT_STREQ(CompiledTierStatus(module), "");
    Recorded r;
    for (const Call& c : calls) {
      std::vector<uint8_t> counters(SuggestedCoverageMapSize(module, 1 << 16), 0);
      std::vector<CmpRecord> cmps(256, CmpRecord{});
      CoverageMap map;
      map.counters = counters.data();
      map.counters_size = static_cast<uint32_t>(counters.size());
      map.cmps = cmps.data();
      map.cmp_slots = static_cast<uint32_t>(cmps.size());
      Store* store = NewStore(StoreLimits(), HostMemoryProvider());
      SetCoverage(store, &map);
      InstantiateResult ir = Instantiate(store, module, nullptr, 0);
      EXPECT_EQ(ir.status, InstantiateStatus::kOk);
      Extern ex;
      EXPECT_TRUE(FindExport(ir.instance, c.name, std::strlen(c.name), &ex)) << c.name;
      Value out[1];
      Trap t = Invoke(store, static_cast<FuncInst*>(ex.object), c.args.data(), c.args.size(), out, 1);
      r.results.push_back(t.ok() ? out[0].bits[0] : 0x7a000000u + static_cast<uint32_t>(t.kind));
      FreeStore(store);
      r.counters.push_back(std::move(counters));
      r.cmps.push_back(std::move(cmps));
    }
    FreeCompiledModule(module);
    return r;
  }

  void Same(const std::string& module, const std::vector<Call>& calls) {
    const std::string bytes = ModuleBytes(module);
    const Recorded interpreted = Run(bytes, false, calls);
    const Recorded compiled = Run(bytes, true, calls);
    ASSERT_EQ(interpreted.counters.size(), calls.size());
    ASSERT_EQ(compiled.counters.size(), calls.size());
    size_t edges = 0, compares = 0;
    for (size_t i = 0; i < calls.size(); ++i) {
      SCOPED_TRACE(calls[i].name);
      EXPECT_EQ(compiled.results[i], interpreted.results[i]);
      EXPECT_EQ(compiled.counters[i], interpreted.counters[i]);
      for (size_t s = 0; s < interpreted.cmps[i].size(); ++s) {
        const CmpRecord &a = compiled.cmps[i][s], &b = interpreted.cmps[i][s];
        EXPECT_TRUE(a.site == b.site && a.size == b.size && a.a == b.a && a.b == b.b)
            << "compare slot " << s << ": compiled {" << a.site << ", " << a.size << ", " << a.a << ", "
            << a.b << "} interpreted {" << b.site << ", " << b.size << ", " << b.a << ", " << b.b << "}";
        compares += b.site != 0;
      }
      for (uint8_t c : interpreted.counters[i]) edges += c != 0;
    }
    // Something was recorded, or the comparison proves nothing.
    EXPECT_GT(edges, calls.size());
    EXPECT_GT(compares, 0u);
  }

  cli::InProcessCodeSealer sealer_;
};

TEST_F(CoverageOnBothTiers, ProbeModuleRecordsTheSame) {
  Same("coverage", {{"magic", {Value::I32(0x5a5a5546)}},
                    {"magic", {Value::I32(7)}},
                    {"less64", {Value::I64(1), Value::I64(2)}},
                    {"less64", {Value::I64(~0ull), Value::I64(2)}},
                    {"sum", {Value::I32(0)}},
                    {"sum", {Value::I32(300)}},  // a loop: counters saturate at 255
                    {"grow", {Value::I32(1)}}});
}

TEST_F(CoverageOnBothTiers, IntegerCoreRecordsTheSame) {
  Same("jit_core", {{"fib", {Value::I32(12)}},
                    {"cmp", {Value::I32(5), Value::I32(0xfffffffbu)}},
                    {"bits", {Value::I64(0x123456789abcdefull), Value::I64(63)}},
                    {"mem_sum", {Value::I32(4000)}},
                    {"table", {Value::I32(2)}},
                    {"div_s", {Value::I32(7), Value::I32(0)}},
                    {"load_at", {Value::I32(100000000)}}});
}

}  // namespace
}  // namespace palisade::wasm
