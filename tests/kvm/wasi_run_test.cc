// WASI programs in the production guest: the engine inside the micro-VM,
// its I/O forwarded by hypercalls, outcomes reported back, hostile run
// requests refused.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/fs_image_builder.h"
#include "tests/kvm/kvm_test_support.h"
#include "vmm/guest_services.h"
#include "vmm/wasi_runner.h"
#include "wasm/runtime/trap.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using testing::Deadline;

std::vector<uint8_t> Module(const std::string& name) { return testing::TestModule(name); }

class WasiRunTest : public ::testing::Test {
 protected:
  void Boot(int stdin_fd = -1, uint64_t max_console_bytes = 0) {
    services_ = std::make_unique<PosixGuestServices>(stdin_fd);
    SandboxOptions o;
    o.max_console_bytes = max_console_bytes;
    o.image = ProductionGuestImage();
    o.memory_bytes = 64ull << 20;
    o.console = &console_;
    o.services = services_.get();
    auto sb = Sandbox::Boot(o, Deadline());
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandbox_ = std::move(*sb);
  }

  absl::Status Run(const std::vector<uint8_t>& module, std::vector<std::string> args = {"prog"},
                   absl::Time deadline = Deadline(), std::span<const uint8_t> fs_image = {}) {
    WasiRunSpec spec;
    spec.module = module;
    spec.fs_image = fs_image;
    spec.args = std::move(args);
    spec.env = {"GREETING=hi"};
    services_->ClearOutcome();
    return RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), deadline);
  }

  const WasmOutcomeReport& Outcome() {
    static const WasmOutcomeReport kNone{};
    EXPECT_TRUE(services_->outcome().has_value());
    return services_->outcome().has_value() ? *services_->outcome() : kNone;
  }

  CapturingConsole console_;
  std::unique_ptr<PosixGuestServices> services_;
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(WasiRunTest, ArgumentsReachTheProgramAndItsExitCodeComesBack) {
  PALISADE_REQUIRE_KVM();
  Boot();
  ASSERT_TRUE(Run(Module("cli_program"), {"prog", "one", "two words"}).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kExited);
  EXPECT_EQ(Outcome().code, 3);
  EXPECT_THAT(console_.out, HasSubstr("one\ntwo words\n"));
  // The same sandbox runs another program afterwards: the first freed everything.
  console_.out.clear();
  ASSERT_TRUE(Run(Module("cli_program"), {"prog", "again"}).ok());
  EXPECT_THAT(console_.out, HasSubstr("again\n"));
}

TEST_F(WasiRunTest, StdinClockAndRandomComeFromTheHost) {
  PALISADE_REQUIRE_KVM();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string input = "line one\nline two\n";
  ASSERT_EQ(write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  close(fds[1]);
  Boot(fds[0]);
  ASSERT_TRUE(Run(Module("vm_stdio")).ok());
  close(fds[0]);
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kExited);
  EXPECT_EQ(Outcome().code, 0) << "clock or random_get failed inside the guest";
  EXPECT_EQ(console_.out, input);
}

// Streams are batched: stdin is read ahead in 64 KiB pieces and writes up
// to 64 KiB queue in the outbox, so copying 1 MiB through a program that
// reads and writes 4 KiB at a time costs a few dozen exits, not one or two
// per 4 KiB (about 320 before), and every byte arrives in order.
TEST_F(WasiRunTest, StreamingStdinToStdoutTakesFewExits) {
  PALISADE_REQUIRE_KVM();
  std::string input(1 << 20, '\0');
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + (i * 7919) % 26);
  char path[] = "/tmp/palisade_stdin_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  ASSERT_EQ(write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  Boot(fd);
  const uint64_t before = sandbox_->exits();
  ASSERT_TRUE(Run(Module("vm_stdio")).ok());
  close(fd);
  EXPECT_EQ(Outcome().code, 0);
  EXPECT_TRUE(console_.out == input) << "the copy differs (" << console_.out.size() << " bytes)";
  EXPECT_LT(sandbox_->exits() - before, 64u);
}

TEST_F(WasiRunTest, TrapsReportKindFunctionAndOffset) {
  PALISADE_REQUIRE_KVM();
  Boot();
  ASSERT_TRUE(Run(Module("trap_command")).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kTrapped);
  EXPECT_EQ(Outcome().code, static_cast<int64_t>(wasm::TrapKind::kMemoryOutOfBounds));
  EXPECT_EQ(Outcome().func_index, 0u);  // $poke
  EXPECT_GT(Outcome().offset, 0u);
}

TEST_F(WasiRunTest, BadModulesAndUnknownImportsAreReportedNotFatal) {
  PALISADE_REQUIRE_KVM();
  Boot();
  std::vector<uint8_t> truncated = Module("cli_program");
  truncated.resize(20);
  ASSERT_TRUE(Run(truncated).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLoadFailed);
  EXPECT_THAT(Outcome().text, HasSubstr("malformed module"));
  ASSERT_TRUE(Run(Module("unknown_import")).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLinkFailed);
  EXPECT_THAT(Outcome().text, HasSubstr("env.mystery"));
  ASSERT_TRUE(Run(Module("memory")).ok());  // no _start
  EXPECT_THAT(Outcome().text, HasSubstr("_start"));
  EXPECT_TRUE(sandbox_->alive());
}

TEST_F(WasiRunTest, HostileRunRequestsAreRefused) {
  PALISADE_REQUIRE_KVM();
  Boot();
  WasiRunSpec spec;
  std::vector<uint8_t> module = Module("cli_program");
  spec.module = module;
  spec.args = {"prog"};
  std::vector<uint8_t> req = BuildWasiRunRequest(spec);
  std::vector<uint8_t> bad_magic = req;
  bad_magic[0] ^= 0xff;
  EXPECT_FALSE(RunWasiCommand(*sandbox_, bad_magic, Deadline()).ok());
  std::vector<uint8_t> bad_offset = req;
  bad_offset[offsetof(abi::WasiRunRequest, module_size)] = 0xff;  // past the end
  bad_offset[offsetof(abi::WasiRunRequest, module_size) + 3] = 0x7f;
  EXPECT_FALSE(RunWasiCommand(*sandbox_, bad_offset, Deadline()).ok());
  std::vector<uint8_t> unterminated = req;
  abi::WasiRunRequest header;
  std::memcpy(&header, req.data(), sizeof header);
  unterminated[header.args_offset + header.args_size - 1] = 'x';  // argv[0] loses its NUL
  services_->ClearOutcome();
  ASSERT_TRUE(RunWasiCommand(*sandbox_, unterminated, Deadline()).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLoadFailed);
  // A kRunWasi for an address the guest never handed out.
  auto r = sandbox_->RunCommand(abi::Command::kRunWasi, 0x200000, req.size(), 0, Deadline());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LT(*r, 0);
  // After all that, a good request still runs.
  ASSERT_TRUE(RunWasiCommand(*sandbox_, req, Deadline()).ok());
  EXPECT_EQ(Outcome().code, 3);
}

TEST_F(WasiRunTest, PreopenedDirectoriesAreReadOnlyAndConfined) {
  PALISADE_REQUIRE_KVM();
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("palisade_vm_fs_" + std::to_string(::getpid()));
  fs::create_directories(root / "sub");
  std::ofstream(root / "sub" / "b.txt") << "nested file\n";
  auto image = cli::BuildFsImage({{root.string(), "/data"}});
  fs::remove_all(root);
  ASSERT_TRUE(image.ok()) << image.status();
  Boot();
  ASSERT_TRUE(Run(Module("fs_cat"), {"prog"}, Deadline(), *image).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kExited);
  EXPECT_EQ(Outcome().code, 0) << "step " << Outcome().code << " of fs_cat.wat failed";
  EXPECT_EQ(console_.out, "nested file\n");
  // A corrupted image is refused by the guest, which stays usable.
  std::vector<uint8_t> bad = *image;
  bad[0] ^= 1;
  ASSERT_TRUE(Run(Module("fs_cat"), {"prog"}, Deadline(), bad).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLoadFailed);
}

TEST_F(WasiRunTest, ExportsAreDescribedThenCalledOnFreshInstances) {
  PALISADE_REQUIRE_KVM();
  Boot();
  std::vector<uint8_t> module = Module("cli_program");
  WasiRunSpec spec;
  spec.module = module;
  spec.args = {"prog"};
  spec.mode = abi::WasiRunMode::kDescribe;
  spec.export_name = "add";
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  EXPECT_EQ(services_->param_types(), (std::vector<uint8_t>{0x7e, 0x7e}));
  EXPECT_EQ(services_->result_types(), (std::vector<uint8_t>{0x7e}));

  spec.mode = abi::WasiRunMode::kInvoke;
  spec.values = {{0x7e, 7, 0}, {0x7e, static_cast<uint64_t>(-12), 0}};
  services_->ClearOutcome();
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  ASSERT_EQ(services_->values().size(), 1u);
  EXPECT_EQ(services_->values()[0].lo, static_cast<uint64_t>(-5));

  // Arguments that do not match the signature are refused by the guest.
  spec.values = {{0x7f, 7, 0}, {0x7e, 1, 0}};
  services_->ClearOutcome();
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLoadFailed);
  spec.export_name = "no_such_export";
  services_->ClearOutcome();
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLinkFailed);

  // State never carries over: each call instantiates afresh, here from a
  // module compiled once (kPrepare; later requests carry no module).
  std::vector<uint8_t> counter = Module("counter");
  spec.module = counter;
  spec.mode = abi::WasiRunMode::kPrepare;
  services_->ClearOutcome();
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kExited);
  spec.module = {};
  spec.mode = abi::WasiRunMode::kInvoke;
  spec.export_name = "bump";
  spec.values.clear();
  for (int i = 0; i < 3; ++i) {
    services_->ClearOutcome();
    ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
    ASSERT_EQ(services_->values().size(), 1u);
    EXPECT_EQ(services_->values()[0].lo, 1u) << "call " << i;
  }
}

TEST_F(WasiRunTest, AnOutputFloodEndsAtTheCap) {
  PALISADE_REQUIRE_KVM();
  Boot(-1, 64 << 10);
  absl::Status s = Run(Module("flood_command"));
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_LE(console_.out.size(), 64u << 10);
  EXPECT_FALSE(sandbox_->alive());
}

TEST_F(WasiRunTest, AProgramBlockedOnStdinStillEndsAtTheDeadline) {
  PALISADE_REQUIRE_KVM();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);  // the write end stays open: reads block
  Boot(fds[0]);
  absl::Status s = Run(Module("vm_stdio"), {"prog"}, absl::Now() + absl::Seconds(2));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  close(fds[0]);
  close(fds[1]);
}

TEST_F(WasiRunTest, APreparedModuleIsReplacedAndBadOnesAreReported) {
  PALISADE_REQUIRE_KVM();
  Boot();
  WasiRunSpec spec;
  std::vector<uint8_t> bad = Module("counter");
  bad.resize(12);
  spec.module = bad;
  spec.args = {"prog"};
  spec.mode = abi::WasiRunMode::kPrepare;
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLoadFailed);
  // Nothing is prepared now: an empty module is just an empty (invalid) module.
  spec.module = {};
  spec.mode = abi::WasiRunMode::kStart;
  services_->ClearOutcome();
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  EXPECT_EQ(Outcome().kind, abi::WasmOutcome::kLoadFailed);
  // Prepare a command, then run it twice from the kept module.
  std::vector<uint8_t> program = Module("cli_program");
  spec.module = program;
  spec.mode = abi::WasiRunMode::kPrepare;
  ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
  spec.module = {};
  spec.mode = abi::WasiRunMode::kStart;
  spec.args = {"prog", "kept"};
  for (int i = 0; i < 2; ++i) {
    services_->ClearOutcome();
    ASSERT_TRUE(RunWasiCommand(*sandbox_, BuildWasiRunRequest(spec), Deadline()).ok());
    EXPECT_EQ(Outcome().code, 3);
  }
  EXPECT_EQ(console_.out, "kept\nkept\n");
}

// Output is queued in the guest and reaches the console at the next exit --
// or, for a program that computes on without one, at the host's flush tick.
// The console cancels the run as soon as the line arrives: without the tick
// it would arrive only at the deadline, and the run would end there instead.
TEST_F(WasiRunTest, QueuedOutputStreamsOutWhileTheProgramComputes) {
  PALISADE_REQUIRE_KVM();
  class CancelOnOutput final : public ConsoleSink {
   public:
    void Write(abi::ConsoleStream, std::string_view bytes) override {
      out.append(bytes);
      if (sandbox != nullptr) sandbox->Cancel();
    }
    std::string out;
    Sandbox* sandbox = nullptr;
  } console;
  Boot();
  sandbox_->set_console(&console);
  console.sandbox = sandbox_.get();
  absl::Status s = Run(Module("print_then_spin"), {"prog"}, absl::Now() + absl::Seconds(60));
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_EQ(console.out, "working\n");
}

// Output queued just before the guest is stopped from outside is not lost.
TEST_F(WasiRunTest, QueuedOutputSurvivesTheDeadline) {
  PALISADE_REQUIRE_KVM();
  Boot();
  absl::Status s = Run(Module("print_then_spin"), {"prog"}, absl::Now() + absl::Seconds(1));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_EQ(console_.out, "working\n");
}

TEST_F(WasiRunTest, ARunawayProgramEndsAtTheDeadline) {
  PALISADE_REQUIRE_KVM();
  Boot();
  absl::Status s = Run(Module("spin_command"), {"prog"}, absl::Now() + absl::Seconds(2));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
}

}  // namespace
}  // namespace palisade
