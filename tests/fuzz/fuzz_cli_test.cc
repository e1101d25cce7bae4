// `palisade fuzz` end to end: the real binary on harnesses built from C
// (examples/fuzz, tests/fuzz/harnesses). In process everywhere; the *InVm*
// tests boot micro-VMs (inside QEMU where /dev/kvm is absent, as
// palisade_fuzz_tests_in_qemu).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/require_kvm.h"
#include "tests/support/subprocess.h"

namespace palisade::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Harness(const std::string& name) { return std::string(PALISADE_FUZZ_HARNESS_DIR) + "/" + name + ".wasm"; }

class FuzzCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "palisade-fuzz-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProcessResult Fuzz(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(300)) {
    args.insert(args.begin(), {PALISADE_CLI_PATH, "fuzz", "--artifacts", dir_.string()});
    return RunProcess(args, "", {}, timeout);
  }

  std::string Write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

  // crash-<sha1> files (not their .txt reasons) in the artifacts directory.
  std::vector<fs::path> Crashes() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string n = e.path().filename().string();
      if (n.starts_with("crash-") && !n.ends_with(".txt")) out.push_back(e.path());
    }
    return out;
  }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  size_t CountFiles(const fs::path& d) const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(d), fs::directory_iterator()));
  }

  // Each way an input can fail, replayed: one line per input, in order.
  void ExpectEveryFailureKind(const std::vector<std::string>& mode) {
    std::vector<std::string> args = mode;
    for (const char* in : {"L", "a", "M", "X", "T", "b"}) {
      args.insert(args.end(), {"--reproduce", Write(std::string("input-") + in, std::string(in) + "...")});
    }
    args.insert(args.end(), {"--timeout", "300ms", Harness("misbehaving")});
    ProcessResult r = Fuzz(args);
    EXPECT_EQ(r.status, 1) << r.err;
    std::vector<std::string> lines;
    std::istringstream out(r.out);
    for (std::string line; std::getline(out, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 6u) << r.out << r.err;
    EXPECT_THAT(lines[0], HasSubstr("input-L: crash: timeout: the input ran past 300ms"));
    EXPECT_THAT(lines[1], HasSubstr("input-a: ok"));  // a timeout leaves nothing behind
    EXPECT_THAT(lines[2], HasSubstr("input-M: crash: memory limit"));
    EXPECT_THAT(lines[3], HasSubstr("input-X: crash: exit: the harness called exit(3)"));
    EXPECT_THAT(lines[4], HasSubstr("input-T: crash: trap: unreachable"));
    EXPECT_THAT(lines[5], HasSubstr("input-b: ok"));
  }

  // stateful.c traps on any state an earlier input left; 64 pages (4 MiB)
  // hold its initial heap and one input's leaked MiB, not four.
  void ExpectNoInputSeesAnother(const std::vector<std::string>& mode, const char* runs) {
    std::vector<std::string> args = mode;
    args.insert(args.end(), {"--seed", "3", "--runs", runs, "--max-memory-pages", "64", Harness("stateful")});
    ProcessResult r = Fuzz(args);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(Crashes().empty()) << r.err;
    // Replaying several inputs resets between them too.
    std::vector<std::string> replay_args = mode;
    replay_args.insert(replay_args.end(), {"--max-memory-pages", "64", "--reproduce", Write("one", "x"),
                                           "--reproduce", Write("two", "y"), Harness("stateful")});
    ProcessResult replay = Fuzz(replay_args);
    EXPECT_EQ(replay.status, 0) << replay.out << replay.err;
  }

  fs::path dir_;
};

TEST_F(FuzzCliTest, FindsTheBugBehindAFourByteMagicNumber) {
  ProcessResult r = Fuzz({"--in-process", "--seed", "1", "--runs", "1000000", Harness("magic")});
  ASSERT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("palisade fuzz: crash: trap: unreachable"));
  std::vector<fs::path> crashes = Crashes();
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(Read(crashes[0]).substr(0, 4), "FUZZ");
  EXPECT_THAT(Read(crashes[0].string() + ".txt"), HasSubstr("trap: unreachable in function"));

  ProcessResult again = Fuzz({"--in-process", "--reproduce", crashes[0].string(), Harness("magic")});
  EXPECT_EQ(again.status, 1);
  EXPECT_THAT(again.out, HasSubstr(": crash: trap: unreachable"));
}

TEST_F(FuzzCliTest, FindsTheOverflowInTheTlvParser) {
  ProcessResult r = Fuzz({"--in-process", "--seed", "1", "--runs", "3000000", Harness("tlv")});
  ASSERT_EQ(r.status, 1) << r.err;
  ASSERT_EQ(Crashes().size(), 1u);
  // The overrun replaces the function pointer: the indirect call traps.
  EXPECT_THAT(Read(Crashes()[0].string() + ".txt"), HasSubstr("trap:"));
}

TEST_F(FuzzCliTest, ACleanHarnessRunsItsBudgetAndGrowsTheCorpus) {
  fs::path corpus = dir_ / "corpus";
  ProcessResult r = Fuzz({"--in-process", "--seed", "7", "--runs", "5000", Harness("clean"), corpus.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Crashes().empty());
  EXPECT_GT(CountFiles(corpus), 2u);  // inputs with new coverage were kept
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(#\d+ \| \d+ exec/s \| \d+ edges \| corpus \d+ \| 0 crashes)"))) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("mixed input")));  // the harness's output is discarded

  // A second run starts from what the first one kept.
  ProcessResult again = Fuzz({"--in-process", "--runs", "10", Harness("clean"), corpus.string()});
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("files found in " + corpus.string()));
}

TEST_F(FuzzCliTest, EachWayAnInputFailsIsACrashWithItsReason) { ExpectEveryFailureKind({"--in-process"}); }

TEST_F(FuzzCliTest, NoInputSeesAnEarlierInputsState) { ExpectNoInputSeesAnother({"--in-process"}, "3000"); }

TEST_F(FuzzCliTest, KeepGoingSavesEachDistinctCrash) {
  fs::path seeds = dir_ / "seeds";
  fs::create_directory(seeds);
  std::ofstream(seeds / "t1") << "T1";
  std::ofstream(seeds / "t2") << "T2";  // the same crash again: not saved twice
  std::ofstream(seeds / "x") << "X";
  std::ofstream(seeds / "ok") << "ok";
  // --runs 0: only the seed corpus (fuzzing on would soon find 'L' and 'M' too).
  ProcessResult r = Fuzz({"--in-process", "--keep-going", "--runs", "0", Harness("misbehaving"), seeds.string()});
  EXPECT_EQ(r.status, 0) << r.err;  // ran its budget
  std::vector<fs::path> crashes = Crashes();
  ASSERT_EQ(crashes.size(), 2u) << r.err;
  std::string reasons = Read(crashes[0].string() + ".txt") + Read(crashes[1].string() + ".txt");
  EXPECT_THAT(reasons, HasSubstr("trap: unreachable"));
  EXPECT_THAT(reasons, HasSubstr("exit: the harness called exit(3)"));
}

TEST_F(FuzzCliTest, UnusableHarnessesAndOptionsAreRefusedWithAReason) {
  ProcessResult r = Fuzz({"--in-process", std::string(PALISADE_TEST_WASM_DIR) + "/vm_stdio.wasm"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("does not export LLVMFuzzerTestOneInput"));
  r = Fuzz({"--in-process", Write("junk.wasm", "not wasm at all")});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("malformed module"));
  r = Fuzz({"--in-process", Harness("clean"), Write("a-file", "x")});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("is not a directory"));
  r = Fuzz({"--in-process", "--timeout", "soon", Harness("clean")});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("bad --timeout"));
  r = Fuzz({"--in-process", "--libfuzzer", "runs=5", Harness("clean")});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("is not a libFuzzer flag"));
}

TEST_F(FuzzCliTest, JobsShareOneCorpus) {
  fs::path corpus = dir_ / "shared";
  ProcessResult r = Fuzz({"--in-process", "--jobs", "2", "--seed", "3", "--runs", "3000", Harness("clean"),
                          corpus.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("2 jobs |"));
  EXPECT_TRUE(fs::exists(dir_ / "fuzz-0.log"));
  EXPECT_TRUE(fs::exists(dir_ / "fuzz-1.log"));
  EXPECT_GT(CountFiles(corpus), 2u);
}

// --- in micro-VMs -------------------------------------------------------------

TEST_F(FuzzCliTest, InVmFindsTheMagicNumberWithADictionary) {
  PALISADE_REQUIRE_KVM();
  std::string dict = Write("magic.dict", "kw=\"FUZZ\"\n");
  ProcessResult r = Fuzz({"--seed", "1", "--runs", "5000", "--dict", dict, Harness("magic")});
  ASSERT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("micro-VMs reset to a snapshot per input"));
  ASSERT_EQ(Crashes().size(), 1u);
  EXPECT_THAT(Read(Crashes()[0].string() + ".txt"), HasSubstr("trap: unreachable"));
  ProcessResult again = Fuzz({"--reproduce", Crashes()[0].string(), Harness("magic")});
  EXPECT_EQ(again.status, 1) << again.err;
}

TEST_F(FuzzCliTest, InVmEachWayAnInputFailsIsACrashWithItsReason) {
  PALISADE_REQUIRE_KVM();
  ExpectEveryFailureKind({});
}

TEST_F(FuzzCliTest, InVmACleanHarnessRunsItsBudgetAndGrowsTheCorpus) {
  PALISADE_REQUIRE_KVM();
  fs::path corpus = dir_ / "corpus";
  ProcessResult r = Fuzz({"--seed", "7", "--runs", "400", Harness("clean"), corpus.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(Crashes().empty());
  EXPECT_GT(CountFiles(corpus), 1u);
}

TEST_F(FuzzCliTest, InVmNoInputSeesAnEarlierInputsState) {
  PALISADE_REQUIRE_KVM();
  ExpectNoInputSeesAnother({}, "300");
}

TEST_F(FuzzCliTest, InVmUnusableHarnessesAreRefusedWithAReason) {
  PALISADE_REQUIRE_KVM();
  ProcessResult r = Fuzz({std::string(PALISADE_TEST_WASM_DIR) + "/vm_stdio.wasm"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("does not export LLVMFuzzerTestOneInput"));
}

}  // namespace
}  // namespace palisade::testing
