// palisaded --metrics: the exposition itself, and Debian's real Prometheus
// scraping it and answering a query about it through its HTTP API.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::AuthedContext;

constexpr char kPrometheus[] = "/usr/bin/prometheus";

// The value of the first sample line of `text` that starts with `series`.
double Sample(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size()));
    at += series.size();
  }
  return -1;
}

// Starts palisaded with metrics on `port`, makes five InvokeModule calls and
// one refused call as alice.
void Exercise(testing::PalisadedProcess& server, int port) {
  ASSERT_EQ(server.Start(testing::StandardTestConfig() + "metrics_listen: \"127.0.0.1:" + std::to_string(port) +
                         "\"\n"),
            "");
  EXPECT_THAT(server.NextLine(), HasSubstr("metrics on 127.0.0.1:" + std::to_string(port)));
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::InvokeModuleRequest bump;
  bump.set_module_sha256(testing::UploadAs(*stub, "alice-token", testing::TestModuleBytes("counter")));
  bump.set_function("bump");
  for (int i = 0; i < 5; ++i) {
    v1::InvokeResponse out;
    ASSERT_TRUE(stub->InvokeModule(AuthedContext("alice-token").get(), bump, &out).ok());
  }
  v1::Stats stats;
  EXPECT_FALSE(stub->GetStats(AuthedContext("nobody-token").get(), {}, &stats).ok());
}

TEST(Metrics, CallsVmsPoolsAuditAndQueueAreExposedByPrometheusConventions) {
  PALISADE_REQUIRE_KVM();
  testing::PalisadedProcess server;
  const int port = testing::FreeLoopbackPort();
  Exercise(server, port);
  const std::string text = testing::HttpGet(port, "/metrics");
  EXPECT_EQ(Sample(text, "palisade_calls_total{code=\"OK\",method=\"InvokeModule\",tenant=\"alice\"} "), 5) << text;
  EXPECT_EQ(Sample(text, "palisade_calls_total{code=\"UNAUTHENTICATED\",method=\"GetStats\",tenant=\"-\"} "), 1);
  EXPECT_EQ(Sample(text, "palisade_call_duration_seconds_count{method=\"InvokeModule\",tenant=\"alice\"} "), 5);
  EXPECT_EQ(Sample(text, "palisade_module_pools "), 1);
  EXPECT_GE(Sample(text, "palisade_vm_resets_total "), 5);
  EXPECT_GE(Sample(text, "palisade_vm_reset_pages_total "), 5);
  EXPECT_GE(Sample(text, "palisade_vm_exits_total "), 5);
  EXPECT_GE(Sample(text, "palisade_vm_boots_total{kind=\"fresh\"} "), 1);
  EXPECT_GT(Sample(text, "palisade_audit_writes_total "), 5);
  EXPECT_EQ(Sample(text, "palisade_audit_write_failures_total "), 0);
  EXPECT_EQ(Sample(text, "palisade_worker_queue_depth "), 0);
  EXPECT_THAT(text, HasSubstr("# TYPE palisade_call_duration_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("# TYPE palisade_calls_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE palisade_worker_queue_depth gauge"));
}

TEST(Metrics, PrometheusScrapesPalisadedAndAnswersAQueryAboutIt) {
  PALISADE_REQUIRE_KVM();
  if (access(kPrometheus, X_OK) != 0) GTEST_SKIP() << "no " << kPrometheus << " (bash scripts/dev.sh deps installs it)";
  testing::PalisadedProcess server;
  const int port = testing::FreeLoopbackPort();
  Exercise(server, port);

  const fs::path dir = fs::path(::testing::TempDir()) / ("prometheus-" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    std::ofstream conf(dir / "prometheus.yml");
    conf << "global:\n  scrape_interval: 1s\n"
         << "scrape_configs:\n  - job_name: palisaded\n    static_configs:\n"
         << "      - targets: ['127.0.0.1:" << port << "']\n";
  }
  const int web = testing::FreeLoopbackPort();
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string config = "--config.file=" + (dir / "prometheus.yml").string();
    const std::string storage = "--storage.tsdb.path=" + (dir / "data").string();
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(web);
    freopen((dir / "prometheus.log").c_str(), "w", stderr);
    execl(kPrometheus, kPrometheus, config.c_str(), storage.c_str(), listen.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Prometheus' own answer: the sum of alice's InvokeModule calls.
  const std::string query = "/api/v1/query?query=sum(palisade_calls_total%7Bmethod%3D%22InvokeModule%22%7D)";
  std::string answer;
  double value = -1;
  for (int i = 0; i < 300 && value != 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    answer = testing::HttpGet(web, query);
    nlohmann::json j = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("status", "") == "success" && !j["data"]["result"].empty()) {
      value = std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
    }
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(value, 5) << "Prometheus answered: " << answer << " (log: " << (dir / "prometheus.log") << ")";
}

}  // namespace
}  // namespace palisade
