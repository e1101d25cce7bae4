// A fleet behind a real balancer: three palisaded replicas behind Debian's
// nginx with the shipped deploy/nginx files, `palisade bench invoke`
// (InvokeModule) through it, and one replica killed with SIGKILL mid-run.
// No idempotent call may fail; a call for a sandbox on the dead replica
// fails saying which replica did not answer; every replica's audit log
// verifies afterwards.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/remote/palisade_client.h"
#include "common/sandbox_id.h"
#include "common/sha256.h"
#include "policy/audit_verify.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kNginx[] = "/usr/sbin/nginx";

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// nginx in the foreground, with the repository's deploy/nginx files and
// upstreams for `replicas` (name -> host:port); stopped with the object.
class Nginx {
 public:
  std::string Start(const std::vector<std::pair<std::string, std::string>>& replicas) {
    dir_ = fs::path(::testing::TempDir()) / ("nginx-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    port_ = testing::FreeLoopbackPort();
    std::ofstream conf(dir_ / "nginx.conf");
    conf << "daemon off;\nworker_processes 1;\npid " << (dir_ / "nginx.pid").string() << ";\n"
         << "error_log " << (dir_ / "error.log").string() << " warn;\n"
         << "events { worker_connections 1024; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << (dir_ / "body").string() << ";\n"
         << "  upstream palisade_all {\n";
    for (const auto& [name, address] : replicas) conf << "    server " << address << " max_fails=1 fail_timeout=5s;\n";
    conf << "    keepalive 32;\n  }\n";
    for (const auto& [name, address] : replicas) {
      conf << "  upstream palisade_replica_" << name << " { server " << address << "; }\n";
    }
    conf << "  include " PALISADE_SOURCE_DIR "/deploy/nginx/palisade-map.conf;\n"
         << "  server {\n    listen 127.0.0.1:" << port_ << " http2;\n"
         << "    include " PALISADE_SOURCE_DIR "/deploy/nginx/palisade-grpc.conf;\n  }\n}\n";
    conf.close();
    pid_ = fork();
    if (pid_ == 0) {
      const std::string c = (dir_ / "nginx.conf").string(), e = (dir_ / "error.log").string();
      execl(kNginx, kNginx, "-c", c.c_str(), "-e", e.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 500 && !Accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return Accepts(port_) ? "" : "nginx did not start: see " + (dir_ / "error.log").string();
  }
  ~Nginx() {
    if (pid_ > 0) {
      kill(pid_, SIGQUIT);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  fs::path dir_;
  int port_ = -1;
  pid_t pid_ = -1;
};

TEST(Fleet, ThreeReplicasBehindNginxLoseNoIdempotentCallWhenOneIsKilled) {
  PALISADE_REQUIRE_KVM();
  if (access(kNginx, X_OK) != 0) GTEST_SKIP() << "no " << kNginx << " (bash scripts/dev.sh deps installs it)";
  std::vector<std::unique_ptr<testing::PalisadedProcess>> replicas;
  std::vector<std::pair<std::string, std::string>> upstreams;
  for (int i = 1; i <= 3; ++i) {
    auto p = std::make_unique<testing::PalisadedProcess>();
    const std::string name = "r" + std::to_string(i);
    ASSERT_EQ(p->Start(testing::StandardTestConfig() + "replica: \"" + name + "\"\n"), "");
    upstreams.emplace_back(name, p->address());
    replicas.push_back(std::move(p));
  }
  Nginx nginx;
  ASSERT_EQ(nginx.Start(upstreams), "");

  // A sandbox made through the balancer; its replica is the one to kill.
  auto client = cli::PalisadeClient::Connect({.server = nginx.address(), .token = "alice-token"});
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string counter = testing::TestModuleBytes("counter");
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(counter.data()), counter.size());
  v1::CreateSandboxRequest create;
  create.set_module_sha256(Sha256Hex(counter));
  auto sandbox = (*client)->CreateSandbox(create, bytes);
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  const std::string victim = *SandboxReplica(sandbox->id());
  ASSERT_THAT(victim, ::testing::MatchesRegex("r[123]"));
  v1::InvokeRequest bump;
  bump.set_sandbox_id(sandbox->id());
  bump.set_function("bump");
  ASSERT_TRUE((*client)->Invoke(bump).ok());

  auto bench = std::async(std::launch::async, [&] {
    return testing::RunProcess({PALISADE_CLI_PATH, "--server", nginx.address(), "bench", "invoke", "--concurrency",
                                "4", "--duration", "4s", "--warmup", "500ms", "--json",
                                testing::TestModulePath("counter"), "bump"},
                               "", {"PALISADE_TOKEN=alice-token"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  const int index = victim[1] - '1';
  EXPECT_EQ(replicas[index]->Stop(SIGKILL), 128 + SIGKILL);
  testing::ProcessResult r = bench.get();
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const nlohmann::json figures = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(figures["failed"], 0) << r.out;
  EXPECT_GT(figures["calls"].get<int>(), 100) << r.out;
  std::printf("%s", r.out.c_str());

  // The dead replica's sandbox: a clear error naming it. A new sandbox
  // lands on a live replica and works.
  auto gone = (*client)->Invoke(bump);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kUnavailable) << gone.status();
  EXPECT_THAT(std::string(gone.status().message()), HasSubstr("lives on replica '" + victim + "'"));
  auto fresh = (*client)->CreateSandbox(create, bytes);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(*SandboxReplica(fresh->id()), victim);
  bump.set_sandbox_id(fresh->id());
  auto out = (*client)->Invoke(bump);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->results(0).i32(), 1);
  EXPECT_TRUE((*client)->DestroySandbox(fresh->id()).ok());

  for (auto& p : replicas) {
    std::ifstream in(p->audit_log());
    const policy::AuditVerdict v = policy::VerifyAuditLog(in);
    EXPECT_TRUE(v.ok) << p->audit_log() << ": " << v.reason << " at line " << v.bad_line;
  }
}

}  // namespace
}  // namespace palisade
