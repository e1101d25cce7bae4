// palisaded: the gRPC service over the micro-VMs.
//   palisaded --listen ADDR --config FILE
// ADDR is host:port (port 0 picks a free one) or unix:/path. On start it
// prints "palisaded: listening on ADDR" (the port actually bound); SIGTERM or
// SIGINT drains: health turns NOT_SERVING, new calls are refused, in-flight
// ones get drain_seconds to finish.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <google/protobuf/stubs/logging.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "guest-runtime/abi/hypercall_abi.h"
#include "policy/audit_log.h"
#include "policy/confine.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/service.h"
#include "vmm/code_check_workers.h"
#include "vmm/kvm.h"

namespace {

constexpr char kLivenessService[] = "palisade.v1.Liveness";

// Protobuf logs a line for every request whose string fields are not UTF-8:
// the client's choice, so unbounded it would let anyone fill the server's
// log. At most one line a second, with a count of those left out.
void RateLimitedProtobufLog(google::protobuf::LogLevel level, const char*, int, const std::string& message) {
  static std::mutex mu;
  static std::chrono::steady_clock::time_point last;
  static uint64_t left_out = 0;
  std::lock_guard<std::mutex> lock(mu);
  const auto now = std::chrono::steady_clock::now();
  if (level < google::protobuf::LOGLEVEL_FATAL && now - last < std::chrono::seconds(1)) {
    ++left_out;
    return;
  }
  last = now;
  std::fprintf(stderr, "palisaded: protobuf: %s", message.c_str());
  if (left_out != 0) std::fprintf(stderr, " (%llu similar lines left out)", static_cast<unsigned long long>(left_out));
  std::fprintf(stderr, "\n");
  left_out = 0;
}

// Rotating the audit log creates and renames files, which the palisaded
// policy otherwise refuses: allowed here relative to the log's directory fd
// only, so no other path can be created or renamed.
std::vector<palisade::v1::SyscallRule> AuditRotationRules(const palisade::policy::AuditLog* audit,
                                                         const palisade::v1::ServerConfig& config) {
  if (audit == nullptr || config.audit_rotate_bytes() == 0 || audit->directory_fd() < 0) return {};
  const auto dir = static_cast<uint64_t>(audit->directory_fd());
  std::vector<palisade::v1::SyscallRule> rules(2);
  rules[0].set_syscall("openat");
  rules[0].set_why("audit log rotation: a new log file, in the log's directory only");
  palisade::v1::ArgCondition* in_dir = rules[0].add_when();
  in_dir->set_arg(0);
  in_dir->set_value(dir);
  rules[1].set_syscall("renameat2");
  rules[1].set_why("audit log rotation: the full file to its numbered name, within the log's directory");
  for (uint32_t arg : {0u, 2u}) {
    palisade::v1::ArgCondition* c = rules[1].add_when();
    c->set_arg(arg);
    c->set_value(dir);
  }
  return rules;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<grpc::ServerCredentials> Credentials(const palisade::v1::TlsConfig& tls) {
  if (tls.cert_file().empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca_file().empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                   : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back({ReadFile(tls.key_file()), ReadFile(tls.cert_file())});
  if (!tls.client_ca_file().empty()) options.pem_root_certs = ReadFile(tls.client_ca_file());
  return grpc::SslServerCredentials(options);
}

int Main(int argc, char** argv) {
  CLI::App app{"palisaded: Wasm in micro-VMs, over gRPC"};
  app.set_version_flag("--version", absl::StrCat("palisaded ", PALISADE_VERSION, " (guest ABI ",
                                                 palisade::abi::kAbiVersion, ")"));
  std::string listen, config_path;
  app.add_option("--listen", listen, "host:port or unix:/path (overrides the config's listen)");
  app.add_option("--config", config_path, "server config, protobuf text format")->required();
  std::string seccomp;
  app.add_option("--seccomp", seccomp, "enforce, log or off (overrides the config's seccomp)");
  std::string metrics;
  app.add_option("--metrics", metrics,
                 "host:port for Prometheus metrics at /metrics (overrides the config's metrics_listen)");
  std::string replica;
  app.add_option("--replica", replica,
                 "this replica's name in sandbox ids, which balancers route on (overrides the config's replica)");
  CLI11_PARSE(app, argc, argv);

  std::map<std::string, palisade::policy::TenantPolicy> policies;
  auto config = palisade::server::LoadConfig(config_path, &policies);
  if (!config.ok()) {
    std::cerr << "palisaded: " << config.status().message() << "\n";
    return 2;
  }
  if (!listen.empty()) config->set_listen(listen);
  if (!replica.empty()) {
    if (!palisade::server::IsReplicaName(replica)) {
      std::cerr << "palisaded: --replica: letters, digits and '-', at most 40\n";
      return 2;
    }
    config->set_replica(replica);
  }
  if (config->listen().empty()) {
    std::cerr << "palisaded: no address to listen on (--listen or listen in the config)\n";
    return 2;
  }
  auto seccomp_mode = palisade::policy::SeccompModeFromFlag(seccomp.empty() ? config->seccomp() : seccomp);
  if (!seccomp_mode.ok()) {
    std::cerr << "palisaded: " << seccomp_mode.status().message() << "\n";
    return 2;
  }
  std::unique_ptr<palisade::policy::AuditLog> audit;
  if (!config->audit_log().empty()) {
    auto opened = palisade::policy::AuditLog::Open(
        config->audit_log(), {.fsync = config->audit_fsync(), .rotate_bytes = config->audit_rotate_bytes()});
    if (!opened.ok()) {
      std::cerr << "palisaded: " << opened.status().message() << "\n";
      return 2;
    }
    audit = *std::move(opened);
  }

  google::protobuf::SetLogHandler(&RateLimitedProtobufLog);
  // A file-size limit must end an audit write with EFBIG (a decision the log
  // could not record, handled like a full disk), not kill the server.
  signal(SIGXFSZ, SIG_IGN);
  // Signals are taken by a thread of our own (sigwait), not a handler.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  palisade::server::PalisadeService service(*config, audit.get(), std::move(policies));
  if (!metrics.empty()) config->set_metrics_listen(metrics);
  std::unique_ptr<palisade::server::Metrics> exporter;
  if (!config->metrics_listen().empty()) {
    auto served = palisade::server::Metrics::Serve(config->metrics_listen(), service);
    if (!served.ok()) {
      std::cerr << "palisaded: " << served.status().message() << "\n";
      return 1;
    }
    exporter = *std::move(served);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (exporter != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(exporter->InterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  int port = 0;
  builder.AddListeningPort(config->listen(), Credentials(config->tls()), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config->max_receive_bytes()));
  // gRPC would share the port with another server already on it (each
  // getting some of the calls): a second palisaded on a port must fail.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::cerr << "palisaded: cannot listen on " << config->listen() << "\n";
    return 1;
  }
  std::string bound = config->listen();
  if (!absl::StartsWith(bound, "unix:") && port > 0) {
    bound = bound.substr(0, bound.rfind(':') + 1) + std::to_string(port);
  }
  // The compiled-code check's threads, started like every other before the
  // filter; without them each check runs on one thread.
  (void)palisade::StartCodeCheckWorkers(palisade::CodeCheckWorkersForThisMachine());
  // Set up: from here on every thread, and every thread started later,
  // may make only the syscalls policy/seccomp/palisaded.textproto allows.
  if (absl::Status s = palisade::policy::Confine("palisaded", *seccomp_mode, /*all_threads=*/true,
                                                 AuditRotationRules(audit.get(), *config));
      !s.ok()) {
    std::cerr << "palisaded: " << s.message() << " (--seccomp off to run unconfined)\n";
    return 1;
  }
  // Said once at start rather than only in every failing call's status: a
  // server on a machine without usable KVM can still answer stats and health.
  if (auto kvm = palisade::Kvm::Shared(); !kvm.ok()) {
    std::cerr << "palisaded: warning: no micro-VMs on this machine: " << kvm.status().message()
              << "; uploads, sandboxes and runs will fail until it has them\n";
  }
  // Health follows the audit log: NOT_SERVING while decisions cannot be
  // recorded (audit_failure DENY refuses the calls), SERVING once a line is
  // written again. The start record is the log's first line of this run.
  std::atomic<bool> stopping{false};
  service.AuditStart();
  // "palisade.v1.Liveness" says only that the process answers (Kubernetes'
  // liveness probe): a failing audit log makes the server unready, and
  // restarting it would not mend the disk.
  server->GetHealthCheckService()->SetServingStatus(kLivenessService, true);
  service.SetAuditHealthHook([&server, &stopping, &config](bool recording) {
    if (stopping.load()) return;
    const bool serving = recording || config->audit_failure() == palisade::v1::ALLOW_AND_COUNT;
    for (const char* name : {"", "palisade.v1.Palisade"}) {
      server->GetHealthCheckService()->SetServingStatus(name, serving);
    }
  });
  std::cout << "palisaded: listening on " << bound << std::endl;
  if (exporter != nullptr) {  // after the line above, which scripts read first
    const std::string host = config->metrics_listen().substr(0, config->metrics_listen().rfind(':'));
    std::cout << "palisaded: metrics on " << host << ":" << exporter->port() << std::endl;
  }

  int sig = 0;
  sigwait(&stop, &sig);
  std::cout << "palisaded: draining (signal " << sig << ")" << std::endl;
  stopping.store(true);
  server->GetHealthCheckService()->SetServingStatus(false);
  const bool idle = service.Drain(absl::Seconds(config->drain_seconds()));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  std::cout << "palisaded: stopped" << (idle ? "" : " (calls still running were cancelled)")
            << std::endl;
  if (audit != nullptr) {
    // The chain head, to anchor elsewhere: a log cut short after this point
    // no longer ends with it.
    std::cout << "palisaded: audit log head " << audit->head() << " (seq " << audit->seq() << ")"
              << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
