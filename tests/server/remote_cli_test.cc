// `palisade --server ADDR ...` end to end: the CLI binary against a real
// palisaded. Errors and `stats` need no VM; run, invoke and bench do
// (/dev/kvm, else inside QEMU via palisade_server_tests_in_qemu).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/test_modules.h"
#include "tests/support/require_kvm.h"
#include "tests/support/subprocess.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ProcessResult;


std::string Wasm(const std::string& name) { return testing::TestModulePath(name); }

class RemoteCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<testing::PalisadedProcess>();
    ASSERT_EQ(server_->Start(testing::StandardTestConfig()), "");
  }
  static void TearDownTestSuite() { server_.reset(); }

  // palisade --server ADDR --token alice-token ARGS...
  ProcessResult Cli(std::vector<std::string> args, const std::string& input = "",
                    const std::string& token = "alice-token") {
    std::vector<std::string> argv = {PALISADE_CLI_PATH, "--server", server_->address()};
    if (!token.empty()) {
      argv.push_back("--token");
      argv.push_back(token);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, input);
  }

  static std::unique_ptr<testing::PalisadedProcess> server_;
};
std::unique_ptr<testing::PalisadedProcess> RemoteCli::server_;

TEST_F(RemoteCli, StatsAndCredentialErrors) {
  ProcessResult stats = Cli({"stats"});
  EXPECT_EQ(stats.status, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("queue_capacity "));
  ProcessResult bad = Cli({"stats"}, "", "mallory");
  EXPECT_EQ(bad.status, 77);
  EXPECT_THAT(bad.err, HasSubstr("refused the credentials: unknown token"));
  ProcessResult none = Cli({"stats"}, "", "");
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.err, HasSubstr("PALISADE_TOKEN"));
  ProcessResult from_env = testing::RunProcess(
      {PALISADE_CLI_PATH, "--server", server_->address(), "stats"}, "", {"PALISADE_TOKEN=bob-token"});
  EXPECT_EQ(from_env.status, 0) << from_env.err;
}

TEST_F(RemoteCli, UnreachableServersAndOptionsTheServerCannotHonour) {
  // Nobody listens there.
  ProcessResult gone = testing::RunProcess(
      {PALISADE_CLI_PATH, "--server", "unix:/nonexistent/palisade.sock", "--token", "t", "stats"});
  EXPECT_EQ(gone.status, 69);
  EXPECT_THAT(gone.err, HasSubstr("unavailable"));
  ProcessResult dir = Cli({"run", "--dir", "/nonexistent::/data", Wasm("vm_stdio")});
  EXPECT_EQ(dir.status, 2);
  EXPECT_THAT(dir.err, HasSubstr("--dir /nonexistent: not a directory"));
  ProcessResult in_process = Cli({"invoke", "--in-process", Wasm("counter"), "bump"});
  EXPECT_EQ(in_process.status, 2);
  ProcessResult missing = Cli({"run", "/nonexistent.wasm"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot read /nonexistent.wasm"));
  ProcessResult local_bench = testing::RunProcess({PALISADE_CLI_PATH, "bench", "invoke", Wasm("counter"), "bump"});
  EXPECT_EQ(local_bench.status, 2);
  EXPECT_THAT(local_bench.err, HasSubstr("needs --server"));
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// --dir with --server: the host directories go to the server as data, and
// what the program changed comes back (a large file in pieces) and is
// applied here, as a local run would; a trap applies nothing unless
// --partial-results asks for it.
TEST_F(RemoteCli, RunDirSendsDirectoriesAndAppliesTheReturnedChanges) {
  PALISADE_REQUIRE_KVM();
  char tmpl[] = "/tmp/palisade-remote-dir-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path root = tmpl, in = root / "in", out = root / "out";
  std::filesystem::create_directories(in);
  std::filesystem::create_directories(out);
  WriteFile(in / "input.txt", "from the host\n");
  WriteFile(out / "old.txt", "old\n");
  WriteFile(out / "gone.txt", "bye\n");
  WriteFile(out / "keep.txt", "keep\n");
  const std::string ro = in.string() + "::/in", rw = out.string() + "::/out:rw";
  constexpr size_t kBig = 3 << 20;
  ProcessResult r = Cli({"run", "--dir", ro, "--dir", rw, Wasm("dir_changes"), "--", "apply", std::to_string(kBig)});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(ReadFile(out / "copy.txt"), "from the host\n");
  EXPECT_EQ(ReadFile(out / "renamed.txt"), "old\n");
  EXPECT_EQ(ReadFile(out / "sub" / "made.txt"), "made\n");
  EXPECT_EQ(ReadFile(out / "keep.txt"), "keep\n");
  EXPECT_FALSE(std::filesystem::exists(out / "old.txt"));
  EXPECT_FALSE(std::filesystem::exists(out / "gone.txt"));
  const std::string big = ReadFile(out / "big.bin");
  ASSERT_EQ(big.size(), kBig);
  for (size_t i = 0; i < kBig; i += 4093) ASSERT_EQ(static_cast<uint8_t>(big[i]), i * 7 % 251) << i;
  // The next runs send the directory again: within the server's 1 MiB
  // max_receive_bytes only without the big file.
  std::filesystem::remove(out / "big.bin");

  ProcessResult trap = Cli({"run", "--dir", ro, "--dir", rw, Wasm("dir_changes"), "--", "trap"});
  EXPECT_EQ(trap.status, 134) << trap.err;
  EXPECT_FALSE(std::filesystem::exists(out / "partial.txt"));
  ProcessResult partial =
      Cli({"run", "--partial-results", "--dir", ro, "--dir", rw, Wasm("dir_changes"), "--", "trap"});
  EXPECT_EQ(partial.status, 134) << partial.err;
  EXPECT_EQ(ReadFile(out / "partial.txt"), "partial\n");
  std::filesystem::remove_all(root);
}

TEST_F(RemoteCli, RunStreamsOutputTakesStdinAndReturnsTheExitStatus) {
  PALISADE_REQUIRE_KVM();
  ProcessResult echo = Cli({"run", Wasm("vm_stdio")}, "piped to the server\n");
  EXPECT_EQ(echo.status, 0) << echo.err;
  EXPECT_EQ(echo.out, "piped to the server\n");
  ProcessResult args = Cli({"run", Wasm("cli_program"), "--", "one", "two words"});
  EXPECT_EQ(args.status, 3) << args.err;
  EXPECT_THAT(args.out, HasSubstr("one\ntwo words\n"));
  ProcessResult trap = Cli({"run", Wasm("trap_command")});
  EXPECT_EQ(trap.status, 134);
  EXPECT_THAT(trap.err, MatchesRegex("palisade: trap: out of bounds memory access in function [0-9]+.* at offset 0x[0-9a-f]+\n"));
  ProcessResult spin = Cli({"run", "--timeout", "300ms", Wasm("spin_command")});
  EXPECT_EQ(spin.status, 134);
  EXPECT_THAT(spin.err, HasSubstr("timeout"));
  ProcessResult flood = Cli({"run", "--max-output", "64K", Wasm("flood_command")});
  EXPECT_EQ(flood.status, 134);
  EXPECT_THAT(flood.err, HasSubstr("output cap"));
  EXPECT_LE(flood.out.size() + flood.err.size(), 70u << 10);
  std::ofstream(server_->dir() / "junk.wasm") << std::string("\0asm\1\0\0\0\1\5", 10);
  ProcessResult junk = Cli({"run", (server_->dir() / "junk.wasm").string()});
  EXPECT_EQ(junk.status, 2);
  EXPECT_THAT(junk.err, HasSubstr("malformed module"));
}

TEST_F(RemoteCli, InvokeTypesArgumentsByTheServersSignature) {
  PALISADE_REQUIRE_KVM();
  ProcessResult add = Cli({"invoke", Wasm("cli_program"), "add", "7", "-12"});
  EXPECT_EQ(add.status, 0) << add.err;
  EXPECT_EQ(add.out, "-5\n");
  ProcessResult half = Cli({"invoke", Wasm("cli_program"), "half", "2.5"});
  EXPECT_EQ(half.status, 0) << half.err;
  EXPECT_EQ(half.out, "1.25\n0.100000001\n");
  ProcessResult count = Cli({"invoke", Wasm("cli_program"), "add", "1"});
  EXPECT_EQ(count.status, 2);
  EXPECT_THAT(count.err, HasSubstr("add takes 2 argument(s) (i64 i64), got 1"));
  ProcessResult bad = Cli({"invoke", Wasm("cli_program"), "add", "1", "x"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("'x' is not a valid i64"));
  ProcessResult absent = Cli({"invoke", Wasm("cli_program"), "nope"});
  EXPECT_EQ(absent.status, 2);
  EXPECT_THAT(absent.err, HasSubstr("exports no function 'nope'"));
  ProcessResult boom = Cli({"invoke", Wasm("cli_program"), "boom"});
  EXPECT_EQ(boom.status, 134);
  EXPECT_THAT(boom.err, HasSubstr("palisade: trap: unreachable"));
  ProcessResult repeat = Cli({"invoke", "--repeat", "5", Wasm("snapshot_target"), "bump"});
  EXPECT_EQ(repeat.status, 0) << repeat.err;
  EXPECT_EQ(repeat.out, "1043\n");
  EXPECT_THAT(repeat.err, HasSubstr("5 calls to"));
  // Each command's sandbox is gone afterwards.
  ProcessResult stats = Cli({"stats"});
  EXPECT_THAT(stats.out, HasSubstr("sandboxes 0\n"));
}

TEST_F(RemoteCli, BenchInvokeReportsThroughputAndLatency) {
  PALISADE_REQUIRE_KVM();
  ProcessResult bench = Cli({"bench", "invoke", "--concurrency", "2", "--duration", "1s", "--warmup", "200ms",
                             "--json", Wasm("snapshot_target"), "bump"});
  ASSERT_EQ(bench.status, 0) << bench.err;
  EXPECT_THAT(bench.out, HasSubstr("concurrency 2"));
  const std::string json_line = bench.out.substr(bench.out.find('{'));
  nlohmann::json j = nlohmann::json::parse(json_line);
  EXPECT_GT(j["calls"].get<int>(), 0);
  EXPECT_GT(j["calls_per_second"].get<double>(), 0);
  EXPECT_GE(j["p99_ms"].get<double>(), j["p50_ms"].get<double>());
  EXPECT_EQ(j["failed"].get<int>(), 0);
}

}  // namespace
}  // namespace palisade
