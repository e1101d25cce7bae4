// perf's JIT map for compiled Wasm (cli/perf_map.h): one line a function,
// named by the `name` section or by Wasm index, covering exactly the sealed
// code; appended, never written through a planted link.
#include "cli/perf_map.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/compiled_code_sealer.h"
#include "tests/jit/test_modules.h"
#include "wasm/compile/compiled_module.h"
#include "wasm/jit/function_jit.h"
#include "wasm/runtime/engine.h"

namespace palisade::cli {
namespace {

struct Line {
  uint64_t start = 0, size = 0;
  std::string name;
};

std::vector<Line> Parse(const std::string& text) {
  std::vector<Line> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    Line x;
    std::istringstream f(l);
    f >> std::hex >> x.start >> x.size;
    f.get();  // the space before the name
    std::getline(f, x.name);
    EXPECT_FALSE(f.fail()) << l;
    out.push_back(x);
  }
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class PerfMap : public ::testing::Test {
 protected:
  void Compile(wasm::EngineTier tier) {
    bytes_ = wasm::ModuleBytes("perf_map_named");
    wasm::CompileOptions o;
    o.tier = tier;
    o.sealer = &sealer_;
    wasm::Error e = wasm::CompileModule(reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size(), &m_, o);
    ASSERT_TRUE(e.ok()) << e.message;
  }
  void TearDown() override {
    if (m_ != nullptr) wasm::FreeCompiledModule(m_);
    std::filesystem::remove_all(dir_);
  }
  std::string TempDir() {
    char t[] = "/tmp/perf_map_test.XXXXXX";
    EXPECT_NE(::mkdtemp(t), nullptr);
    dir_ = t;
    return dir_;
  }

  InProcessCodeSealer sealer_;
  std::string bytes_;
  wasm::CompiledModule* m_ = nullptr;
  std::string dir_;
};

TEST_F(PerfMap, NamesEveryCompiledFunctionByItsWasmIndexAndCoversTheCodeExactly) {
  Compile(wasm::EngineTier::kCompiler);
  ASSERT_STREQ(wasm::CompiledTierStatus(m_), "");
  const std::vector<Line> lines = Parse(PerfMapLines(*m_, "m.wasm"));
  // The trampoline, three defined functions (index 0 is the import), the exit.
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].name, "wasm[m.wasm]::<entry trampoline>");
  EXPECT_EQ(lines[1].name, "wasm[m.wasm]::fib");
  EXPECT_EQ(lines[2].name, "wasm[m.wasm]::func[2]");
  EXPECT_EQ(lines[3].name, "wasm[m.wasm]::loop_sum");
  EXPECT_EQ(lines[4].name, "wasm[m.wasm]::<trap exit>");
  const auto base = reinterpret_cast<uint64_t>(m_->jit_code);
  EXPECT_EQ(lines[0].start, base + m_->jit->trampoline);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(lines[i + 1].start, base + m_->jit->entries[i]) << i;
  // Back to back, none empty, from the trampoline to the end of the code.
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_GT(lines[i].size, 0u) << lines[i].name;
    if (i + 1 < lines.size()) {
      EXPECT_EQ(lines[i].start + lines[i].size, lines[i + 1].start) << lines[i].name;
    }
  }
  EXPECT_EQ(lines.front().start, base);
  EXPECT_EQ(lines.back().start + lines.back().size, base + m_->jit->size);
}

TEST_F(PerfMap, ALabelWithANewlineStaysOnOneLine) {
  Compile(wasm::EngineTier::kCompiler);
  const std::vector<Line> lines = Parse(PerfMapLines(*m_, "evil\nname.wasm"));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[1].name, "wasm[evil?name.wasm]::fib");
}

TEST_F(PerfMap, AnInterpretedModuleHasNoLinesAndWritesNoFile) {
  Compile(wasm::EngineTier::kInterpreter);
  EXPECT_EQ(PerfMapLines(*m_, "m.wasm"), "");
  const std::string path = TempDir() + "/perf-1.map";
  ASSERT_TRUE(AppendPerfMap(*m_, "m.wasm", path).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(PerfMap, AppendsAndRefusesALinkPlantedAtThePath) {
  Compile(wasm::EngineTier::kCompiler);
  const std::string dir = TempDir(), path = dir + "/perf-1.map";
  ASSERT_TRUE(AppendPerfMap(*m_, "a.wasm", path).ok());
  ASSERT_TRUE(AppendPerfMap(*m_, "b.wasm", path).ok());
  const std::string text = ReadAll(path);
  EXPECT_EQ(text, PerfMapLines(*m_, "a.wasm") + PerfMapLines(*m_, "b.wasm"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0133, 0u) << std::oct << st.st_mode;  // at most rw-r--r--

  const std::string victim = dir + "/victim", link = dir + "/perf-2.map";
  { std::ofstream(victim) << "keep"; }
  ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
  const absl::Status s = AppendPerfMap(*m_, "c.wasm", link);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(link), std::string::npos) << s.message();
  EXPECT_EQ(ReadAll(victim), "keep");
}

TEST(PerfMapPath, IsTmpPerfPidMap) {
  EXPECT_EQ(PerfMapPath(), "/tmp/perf-" + std::to_string(::getpid()) + ".map");
}

}  // namespace
}  // namespace palisade::cli
