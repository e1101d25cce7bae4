// WASI preview1 against a fake outside world: arguments, streams, exit,
// and guest pointers that point anywhere.
#include <algorithm>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/fs_image_builder.h"
#include "wasm/host/host_memory.h"
#include "wasm/runtime/engine.h"
#include "wasm/wasi/wasi_abi.h"
#include "wasm/wasi/wasi_linker.h"

namespace palisade::wasm::testing {
namespace {

class FakeSystem final : public wasi::WasiSystem {
 public:
  int64_t Write(uint32_t fd, const uint8_t* d, size_t n) override {
    (fd == 1 ? out : err).append(reinterpret_cast<const char*>(d), n);
    return static_cast<int64_t>(n);
  }
  int64_t Read(uint32_t, uint8_t* d, size_t n) override {
    size_t k = std::min(n, in.size());
    std::copy(in.begin(), in.begin() + k, d);
    in.erase(0, k);
    return static_cast<int64_t>(k);
  }
  bool ClockTime(uint32_t id, uint64_t* ns) override { *ns = 42; return id <= 1; }
  bool ClockResolution(uint32_t, uint64_t* ns) override { *ns = 1; return true; }
  bool Random(uint8_t* d, size_t n) override {
    for (size_t i = 0; i < n; ++i) d[i] = 0xab;
    return true;
  }
  void Sleep(uint64_t ns) override { slept += ns; }
  bool IsTerminal(uint32_t fd) override { return fd < 3 && terminal[fd]; }
  uint64_t slept = 0;
  bool terminal[3] = {};
  std::string out, err, in;
};

std::vector<uint8_t> ReadModule(const char* name) {
  std::ifstream f(std::string(PALISADE_TEST_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

class WasiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = ReadModule("wasi_calls");
    ASSERT_TRUE(CompileModule(bytes_.data(), bytes_.size(), &module_).ok());
    store_ = NewStore(StoreLimits(), HostMemoryProvider());
    ASSERT_TRUE(ctx_.AddArg("prog", 4));
    ASSERT_TRUE(ctx_.AddArg("--flag", 6));
    ASSERT_TRUE(ctx_.AddEnv("A=1", 3));
    Vec<Extern> externs;
    ASSERT_TRUE(wasi::ResolveWasiImports(store_, module_, &ctx_, &externs).ok());
    InstantiateResult r = Instantiate(store_, module_, externs.data(), externs.size());
    ASSERT_EQ(r.status, InstantiateStatus::kOk);
    instance_ = r.instance;
  }
  void TearDown() override {
    FreeStore(store_);
    FreeCompiledModule(module_);
  }
  Trap Call(const char* name, std::vector<Value> args, std::vector<Value>* results) {
    Extern e;
    EXPECT_TRUE(FindExport(instance_, name, strlen(name), &e)) << name;
    results->assign(4, Value());
    return Invoke(store_, static_cast<FuncInst*>(e.object), args.data(), args.size(),
                  results->data(), results->size());
  }
  uint32_t Value32(const char* name, std::vector<Value> args) {
    std::vector<Value> r;
    Trap t = Call(name, std::move(args), &r);
    EXPECT_TRUE(t.ok()) << name << ": " << TrapMessage(t.kind);
    return r[0].i32();
  }

  FakeSystem system_;
  wasi::WasiContext ctx_{&system_};
  std::vector<uint8_t> bytes_;
  CompiledModule* module_ = nullptr;
  Store* store_ = nullptr;
  Instance* instance_ = nullptr;
};

using I = Value;

TEST_F(WasiTest, WritesReachTheStreams) {
  EXPECT_EQ(Value32("write", {I::I32(1), I::I32(100), I::I32(6)}), wasi::kSuccess);
  EXPECT_EQ(Value32("transferred", {}), 6u);
  EXPECT_EQ(Value32("write", {I::I32(2), I::I32(100), I::I32(5)}), wasi::kSuccess);
  EXPECT_EQ(system_.out, "hello\n");
  EXPECT_EQ(system_.err, "hello");
}

TEST_F(WasiTest, ReadsFillGuestMemory) {
  system_.in = "abc";
  EXPECT_EQ(Value32("read", {I::I32(0), I::I32(200), I::I32(10)}), wasi::kSuccess);
  EXPECT_EQ(Value32("transferred", {}), 3u);
  EXPECT_EQ(Value32("load8", {I::I32(202)}), static_cast<uint32_t>('c'));
}

TEST_F(WasiTest, PointersOutsideMemoryAreEfaultNotACrash) {
  EXPECT_EQ(Value32("write", {I::I32(1), I::I32(65530), I::I32(100)}), wasi::kFault);
  EXPECT_EQ(Value32("write", {I::I32(1), I::I32(0xfffffff0u), I::I32(0x20)}), wasi::kFault);
  EXPECT_EQ(Value32("read", {I::I32(0), I::I32(65535), I::I32(2)}), wasi::kFault);
  // Four billion iovecs: refused before anything is read.
  EXPECT_EQ(Value32("write_iovecs", {I::I32(0x7fffffff), I::I32(8)}), wasi::kFault);
  EXPECT_EQ(Value32("write_iovecs", {I::I32(1), I::I32(65534)}), wasi::kFault);
  EXPECT_EQ(Value32("args_get", {I::I32(65534), I::I32(0)}), wasi::kFault);
  EXPECT_EQ(Value32("random", {I::I32(65000), I::I32(1000)}), wasi::kFault);
  EXPECT_TRUE(system_.out.empty());
}

TEST_F(WasiTest, ArgsAndEnvironment) {
  std::vector<Value> r;
  ASSERT_TRUE(Call("args_sizes", {}, &r).ok());
  EXPECT_EQ(r[0].i32(), wasi::kSuccess);
  EXPECT_EQ(r[1].i32(), 2u);                       // argc
  EXPECT_EQ(r[2].i32(), 5u + 7u);                  // "prog\0--flag\0"
  ASSERT_TRUE(Call("environ_sizes", {}, &r).ok());
  EXPECT_EQ(r[1].i32(), 1u);
  EXPECT_EQ(r[2].i32(), 4u);
  EXPECT_EQ(Value32("args_get", {I::I32(300), I::I32(400)}), wasi::kSuccess);
  EXPECT_EQ(Value32("load32", {I::I32(300)}), 400u);
  EXPECT_EQ(Value32("load32", {I::I32(304)}), 405u);
  EXPECT_EQ(Value32("load8", {I::I32(405)}), static_cast<uint32_t>('-'));
}

TEST_F(WasiTest, ProcExitEndsTheRunWithItsCode) {
  std::vector<Value> r;
  Trap t = Call("exit", {I::I32(7)}, &r);
  EXPECT_EQ(t.kind, TrapKind::kExit);
  EXPECT_EQ(t.exit_code, 7);
}

TEST_F(WasiTest, ClosedAndUnknownDescriptorsAreEbadf) {
  EXPECT_EQ(Value32("write", {I::I32(9), I::I32(100), I::I32(1)}), wasi::kBadf);
  EXPECT_EQ(Value32("close", {I::I32(2)}), wasi::kSuccess);
  EXPECT_EQ(Value32("write", {I::I32(2), I::I32(100), I::I32(1)}), wasi::kBadf);
  EXPECT_EQ(Value32("close", {I::I32(2)}), wasi::kBadf);
}

// isatty() in wasi-libc is "a character device that cannot seek": only a
// stream that is a terminal on the host may look like one, or programs
// line-buffer into pipes and bzip2 refuses to write to a file.
TEST_F(WasiTest, StreamsAreCharacterDevicesOnlyWhenTheHostsAreTerminals) {
  system_.terminal[1] = true;
  for (uint32_t fd : {0u, 1u, 2u}) {
    ASSERT_EQ(Value32("fdstat", {I::I32(fd), I::I32(600)}), wasi::kSuccess);
    EXPECT_EQ(Value32("load8", {I::I32(600)}), fd == 1 ? wasi::kCharacterDevice : wasi::kUnknownType) << fd;
    EXPECT_EQ(Value32("load32", {I::I32(616)}), 0u) << "no inheriting rights on a stream";
  }
}

TEST_F(WasiTest, UnimplementedFunctionsSayEnosys) {
  EXPECT_EQ(Value32("unimplemented", {}), wasi::kNosys);
  EXPECT_EQ(Value32("open_on_stream", {}), wasi::kBadf);
  EXPECT_EQ(Value32("random", {I::I32(500), I::I32(4)}), wasi::kSuccess);
  EXPECT_EQ(Value32("load32", {I::I32(500)}), 0xababababu);
}

TEST(WasiLinker, UnknownImportsAreListedInTheError) {
  std::vector<uint8_t> bytes = ReadModule("unknown_import");
  CompiledModule* m = nullptr;
  ASSERT_TRUE(CompileModule(bytes.data(), bytes.size(), &m).ok());
  Store* s = NewStore(StoreLimits(), HostMemoryProvider());
  FakeSystem sys;
  wasi::WasiContext ctx(&sys);
  Vec<Extern> externs;
  Error e = wasi::ResolveWasiImports(s, m, &ctx, &externs);
  EXPECT_FALSE(e.ok());
  EXPECT_NE(std::string(e.message).find("env.mystery"), std::string::npos) << e.message;
  EXPECT_NE(std::string(e.message).find("other.thing"), std::string::npos) << e.message;
  FreeStore(s);
  FreeCompiledModule(m);
}

}  // namespace
}  // namespace palisade::wasm::testing

namespace palisade::wasm::testing {
namespace {

// fs_cat.wat against a directory image built by the CLI's builder: reads a
// file beneath the preopen, and is refused "..", absolute paths and writes.
TEST(WasiFs, ReadsBeneathThePreopenAndNothingElse) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("palisade_wasi_fs_" + std::to_string(::getpid()));
  fs::create_directories(root / "sub");
  std::ofstream(root / "sub" / "b.txt") << "nested file\n";
  auto image = cli::BuildFsImage({{root.string(), "/data"}});
  fs::remove_all(root);
  ASSERT_TRUE(image.ok()) << image.status();
  wasi::FsImage fsimg;
  ASSERT_TRUE(fsimg.Init(image->data(), image->size()));

  FakeSystem system;
  wasi::WasiContext ctx(&system);
  ASSERT_TRUE(ctx.SetFs(&fsimg));
  std::vector<uint8_t> bytes = ReadModule("fs_cat");
  CompiledModule* module = nullptr;
  ASSERT_TRUE(CompileModule(bytes.data(), bytes.size(), &module).ok());
  Store* store = NewStore(StoreLimits(), HostMemoryProvider());
  Vec<Extern> externs;
  ASSERT_TRUE(wasi::ResolveWasiImports(store, module, &ctx, &externs).ok());
  InstantiateResult r = Instantiate(store, module, externs.data(), externs.size());
  ASSERT_EQ(r.status, InstantiateStatus::kOk);
  Extern start;
  ASSERT_TRUE(FindExport(r.instance, "_start", 6, &start));
  Trap t = Invoke(store, static_cast<FuncInst*>(start.object), nullptr, 0, nullptr, 0);
  EXPECT_EQ(t.kind, TrapKind::kExit);
  EXPECT_EQ(t.exit_code, 0) << "step " << t.exit_code << " of fs_cat.wat failed";
  EXPECT_EQ(system.out, "nested file\n");
  FreeStore(store);
  FreeCompiledModule(module);
}

}  // namespace
}  // namespace palisade::wasm::testing
