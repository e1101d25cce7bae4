// Shared by the chaos tests (tests/server/chaos_*_test.cc): the audit log
// read back, small waits, and a raw gRPC client that can put any bytes on
// the wire with any metadata.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "palisade/v1/palisade.grpc.pb.h"
#include "policy/audit_verify.h"
#include "tests/support/palisaded_process.h"

namespace palisade::testing {

policy::AuditVerdict VerifyLog(const std::filesystem::path& log);

// The log's records as JSON (lines that do not parse are left out: the
// verifier is what judges the file).
std::vector<nlohmann::json> LogEvents(const std::filesystem::path& log);

// alice's context, tagged with `request_id` (x-request-id) for the log.
std::unique_ptr<grpc::ClientContext> TaggedContext(const std::string& request_id,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A sandbox of alice's module `module`; its id ("" and a test failure if not made).
std::string CreateSandboxOf(v1::Palisade::Stub& stub, const std::string& module);

// Invocations started on `sandboxes`, all told: a call counts from when a
// worker takes it up.
uint64_t Invocations(v1::Palisade::Stub& stub, const std::vector<std::string>& sandboxes);

// Asks until `done` holds or `timeout` passes; whether it held.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// `lines`, each on its own indented line, for failure messages.
std::string Joined(const std::vector<std::string>& lines);

// Waits for a fixed number of callbacks, whichever threads they come on.
class Countdown {
 public:
  explicit Countdown(size_t n) : left_(n) {}
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--left_ == 0) cv_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return left_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t left_;
};

// What a broken or hostile client can put on the wire: any bytes as the
// messages of any method, with any metadata.
struct RawCall {
  std::string what;
  std::string method;
  std::vector<std::string> messages;  // a unary call sends exactly messages[0]
  bool streaming = false;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::set<grpc::StatusCode> want;
  // gRPC ends the whole connection of a call whose metadata is over its
  // limit, failing the other calls on it too: such a call gets one of its own.
  bool own_connection = false;
};

// Runs `calls` all at once; their statuses, in order. A call still running
// after `timeout` fails the test (its status is then DEADLINE_EXCEEDED from
// its own deadline, which is `timeout`).
std::vector<grpc::Status> RunRawCalls(PalisadedProcess& server, const std::vector<RawCall>& calls,
                                      std::chrono::milliseconds timeout);

}  // namespace palisade::testing
