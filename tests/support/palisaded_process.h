// A real palisaded for end-to-end tests: started on 127.0.0.1:0 with a
// config written to its own temporary directory, killed with the test
// (PR_SET_PDEATHSIG) even if the test aborts.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "palisade/v1/palisade.grpc.pb.h"

namespace palisade::testing {

class PalisadedProcess {
 public:
  PalisadedProcess() = default;
  ~PalisadedProcess();
  PalisadedProcess(const PalisadedProcess&) = delete;
  PalisadedProcess& operator=(const PalisadedProcess&) = delete;

  // Writes `config` (protobuf text; "$DIR" stands for the server's
  // directory) and starts palisaded; returns "" or what went wrong. The
  // audit log is $DIR/audit.jsonl unless the config names another.
  // `files` (name -> contents) are written into $DIR first.
  std::string Start(std::string config, const std::map<std::string, std::string>& files = {});
  // Sends `signal` and waits; the exit status (128+N for a signal death).
  int Stop(int signal = 15);

  const std::string& address() const { return address_; }
  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path audit_log() const { return dir_ / "audit.jsonl"; }
  pid_t pid() const { return pid_; }
  // A plaintext channel to the server.
  std::shared_ptr<grpc::Channel> channel();
  // The next line palisaded prints on stdout after "listening on" (e.g.
  // "palisaded: metrics on ..."), or "" at its end.
  std::string NextLine();

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A loopback TCP port nobody listens on right now.
int FreeLoopbackPort();

// GET http://127.0.0.1:PORT/PATH: the body, or "" when nothing answered.
std::string HttpGet(int port, const std::string& path);

// The config text shared by the tests: tenants alice (alice-token) and bob
// (bob-token, 1.5 s timeout), the audit log in $DIR, small caps.
std::string StandardTestConfig();

// gRPC health of the server behind `channel`: 1 = SERVING, 2 = NOT_SERVING,
// -1 if the check itself failed.
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service = "");

// Uploads `bytes` as `token`'s tenant in one chunk; returns the digest ("" and
// a test failure if the upload failed).
std::string UploadAs(v1::Palisade::Stub& stub, const std::string& token, const std::string& bytes);

// Polls GetStats as `token`'s tenant every 10 ms until `done` holds or
// `timeout` passes; returns the last Stats, for the caller to assert on.
v1::Stats WaitForStats(v1::Palisade::Stub& stub, const std::string& token,
                       const std::function<bool(const v1::Stats&)>& done,
                       std::chrono::milliseconds timeout);

// A client context with `authorization: Bearer token` and a deadline.
std::unique_ptr<grpc::ClientContext> AuthedContext(const std::string& token,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace palisade::testing
