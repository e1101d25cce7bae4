#include "tests/support/palisaded_process.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include "common/sha256.h"

namespace palisade::testing {
namespace fs = std::filesystem;

std::string PalisadedProcess::Start(std::string config, const std::map<std::string, std::string>& files) {
  static int serial = 0;
  dir_ = fs::temp_directory_path() /
         ("palisaded-test-" + std::to_string(getpid()) + "-" + std::to_string(serial++));
  fs::create_directories(dir_);
  for (size_t at; (at = config.find("$DIR")) != std::string::npos;) config.replace(at, 4, dir_.string());
  if (config.find("audit_log:") == std::string::npos) {
    config += "\naudit_log: \"" + audit_log().string() + "\"\n";
  }
  std::ofstream(dir_ / "config.textproto") << config;
  for (const auto& [name, contents] : files) std::ofstream(dir_ / name) << contents;
  int out[2];
  if (pipe(out) != 0) return "pipe failed";
  const std::string config_path = (dir_ / "config.textproto").string();
  std::vector<std::string> argv_s = {PALISADED_PATH, "--listen", "127.0.0.1:0", "--config", config_path};
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) return "fork failed";
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test
    dup2(out[1], 1);
    close(out[0]);
    execv(PALISADED_PATH, argv.data());
    _exit(127);
  }
  close(out[1]);
  out_ = fdopen(out[0], "r");
  char line[512] = {};
  if (fgets(line, sizeof line, out_) == nullptr) return "palisaded printed nothing (see its stderr)";
  std::string l(line);
  const size_t on = l.find("listening on ");
  if (on == std::string::npos) return "unexpected first line: " + l;
  address_ = l.substr(on + 13);
  address_.erase(address_.find_last_not_of("\n") + 1);
  return "";
}

int PalisadedProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (out_ != nullptr) fclose(out_);
  out_ = nullptr;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

PalisadedProcess::~PalisadedProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_ != nullptr) fclose(out_);
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::shared_ptr<grpc::Channel> PalisadedProcess::channel() {
  if (channel_ == nullptr) channel_ = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  return channel_;
}

std::string StandardTestConfig() {
  return "max_receive_bytes: 1048576\n"
         "max_module_bytes: 524288\n"
         "max_sandboxes_per_tenant: 3\n"
         "tenants { name: \"alice\" token_sha256: \"" +
         Sha256Hex(std::string_view("alice-token")) +
         "\" }\n"
         "tenants { name: \"bob\" token_sha256: \"" +
         Sha256Hex(std::string_view("bob-token")) + "\" limits { timeout_ms: 1500 } }\n";
}

std::string PalisadedProcess::NextLine() {
  char line[512] = {};
  if (out_ == nullptr || fgets(line, sizeof line, out_) == nullptr) return "";
  std::string s = line;
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  // HealthCheckRequest { string service = 1; }, by hand.
  std::string encoded;
  if (!service.empty()) encoded = std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
  grpc::Slice body(encoded);
  grpc::ByteBuffer request(&body, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  if (!done.get_future().get().ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : -1;
}

std::string UploadAs(v1::Palisade::Stub& stub, const std::string& token, const std::string& bytes) {
  v1::ModuleInfo info;
  auto ctx = AuthedContext(token);
  auto writer = stub.UploadModule(ctx.get(), &info);
  v1::UploadModuleRequest r;
  r.set_chunk(bytes);
  writer->Write(r);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  return info.sha256();
}

v1::Stats WaitForStats(v1::Palisade::Stub& stub, const std::string& token,
                       const std::function<bool(const v1::Stats&)>& done,
                       std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  v1::Stats stats;
  for (;;) {
    grpc::Status s = stub.GetStats(AuthedContext(token).get(), {}, &stats);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok() || done(stats) || std::chrono::steady_clock::now() >= end) return stats;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::unique_ptr<grpc::ClientContext> AuthedContext(const std::string& token, std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

}  // namespace palisade::testing
