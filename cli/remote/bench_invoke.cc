#include "cli/remote/bench_invoke.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "cli/remote/palisade_client.h"
#include "cli/remote/remote_errors.h"
#include "cli/remote/remote_sandbox.h"
#include "cli/run_command.h"
#include "common/duration.h"

namespace palisade::cli {
namespace {

struct CallerTally {
  std::vector<double> micros;  // calls that ended inside the measured window
  uint64_t trapped = 0;
  std::map<absl::StatusCode, uint64_t> errors;
  absl::Status first_error;
};

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  return sorted[std::min(i, sorted.size() - 1)];
}

// Runs `call` from o.concurrency threads in a closed loop and reports.
// `call` returns true when the call's program trapped or exited.
using Call = std::function<absl::StatusOr<bool>(absl::Time deadline)>;

int RunLoad(const char* kCmd, const RemoteOptions& remote, const BenchInvokeOptions& o,
            absl::Duration duration, absl::Duration warmup, const Call& call) {
  const absl::Time start = absl::Now();
  const absl::Time measure_from = start + warmup;
  const absl::Time measure_to = measure_from + duration;
  std::vector<CallerTally> tallies(o.concurrency);
  std::vector<std::thread> callers;
  callers.reserve(o.concurrency);
  for (uint32_t c = 0; c < o.concurrency; ++c) {
    callers.emplace_back([&, c] {
      CallerTally& t = tallies[c];
      while (absl::Now() < measure_to) {
        const absl::Time begin = absl::Now();
        absl::StatusOr<bool> out = call(begin + absl::Seconds(30));
        const absl::Time end = absl::Now();
        if (begin < measure_from || end > measure_to) continue;  // warm-up or straddling the end
        if (!out.ok()) {
          if (t.first_error.ok()) t.first_error = out.status();
          ++t.errors[out.status().code()];
          continue;
        }
        if (*out) ++t.trapped;
        t.micros.push_back(absl::ToDoubleMicroseconds(end - begin));
      }
    });
  }
  for (std::thread& t : callers) t.join();

  std::vector<double> all;
  uint64_t trapped = 0, failed = 0;
  std::map<absl::StatusCode, uint64_t> errors;
  absl::Status first_error;
  for (const CallerTally& t : tallies) {
    all.insert(all.end(), t.micros.begin(), t.micros.end());
    trapped += t.trapped;
    for (auto [code, n] : t.errors) {
      errors[code] += n;
      failed += n;
    }
    if (first_error.ok()) first_error = t.first_error;
  }
  std::sort(all.begin(), all.end());
  const double seconds = absl::ToDoubleSeconds(duration);
  const double rate = static_cast<double>(all.size()) / seconds;
  std::printf("bench %s on %s: concurrency %u, %.1f s: %zu calls, %.0f calls/s; latency p50 %.3f ms, "
              "p90 %.3f ms, p99 %.3f ms, max %.3f ms; %llu trapped, %llu failed\n",
              o.function.empty() ? "stats" : ((o.sandbox ? "invoke --sandbox " : "invoke ") + o.function).c_str(),
              remote.server.c_str(), o.concurrency, seconds, all.size(), rate,
              Percentile(all, 50) / 1e3, Percentile(all, 90) / 1e3, Percentile(all, 99) / 1e3,
              all.empty() ? 0.0 : all.back() / 1e3, static_cast<unsigned long long>(trapped),
              static_cast<unsigned long long>(failed));
  for (auto [code, n] : errors) {
    std::printf("  %s: %llu\n", absl::StatusCodeToString(code).c_str(), static_cast<unsigned long long>(n));
  }
  if (o.json) {
    nlohmann::json j = {{"function", o.function},  {"concurrency", o.concurrency},
                        {"seconds", seconds},      {"calls", all.size()},
                        {"calls_per_second", rate}, {"p50_ms", Percentile(all, 50) / 1e3},
                        {"p90_ms", Percentile(all, 90) / 1e3}, {"p99_ms", Percentile(all, 99) / 1e3},
                        {"max_ms", all.empty() ? 0.0 : all.back() / 1e3}, {"trapped", trapped},
                        {"failed", failed}};
    std::printf("%s\n", j.dump().c_str());
  }
  std::fflush(stdout);
  if (all.empty() && !first_error.ok()) return ReportRemoteError(kCmd, remote.server, first_error);
  return all.empty() ? kExitSoftware : 0;
}

}  // namespace

int Bench(const RemoteOptions& remote, const BenchInvokeOptions& o) {
  const char* kCmd = o.function.empty() ? "palisade bench stats" : "palisade bench invoke";
  absl::Duration duration, warmup;
  if (!ParseUserDuration(o.duration, &duration) || duration <= absl::ZeroDuration()) {
    std::cerr << kCmd << ": --duration '" << o.duration << "' is not a duration (seconds, or e.g. 10s, 500ms)\n";
    return kExitUsage;
  }
  if (!ParseUserDuration(o.warmup, &warmup) || warmup < absl::ZeroDuration()) {
    std::cerr << kCmd << ": --warmup '" << o.warmup << "' is not a duration (e.g. 1s)\n";
    return kExitUsage;
  }
  if (o.concurrency == 0) {
    std::cerr << kCmd << ": --concurrency must be at least 1\n";
    return kExitUsage;
  }
  auto client = PalisadeClient::Connect(remote);
  if (!client.ok()) return ReportRemoteError(kCmd, remote.server, client.status());
  if (o.function.empty()) {
    return RunLoad(kCmd, remote, o, duration, warmup, [&](absl::Time deadline) -> absl::StatusOr<bool> {
      absl::StatusOr<v1::Stats> s = (*client)->GetStats(deadline);
      if (!s.ok()) return s.status();
      return false;
    });
  }
  // A sandbox for the length of the set-up types the arguments by the
  // export's signature; with --sandbox it is what the load calls.
  auto sandbox = RemoteSandbox::Create(**client, o.module, v1::Limits());
  if (!sandbox.ok()) return ReportRemoteError(kCmd, remote.server, sandbox.status());
  auto request = (*sandbox)->PrepareCall(o.function, o.args);
  if (!request.ok()) return ReportRemoteError(kCmd, remote.server, request.status());
  if (o.sandbox) {
    return RunLoad(kCmd, remote, o, duration, warmup, [&](absl::Time deadline) -> absl::StatusOr<bool> {
      absl::StatusOr<v1::InvokeResponse> out = (*client)->Invoke(*request, deadline);
      if (!out.ok()) return out.status();
      return out->has_trap() || out->exited();
    });
  }
  v1::InvokeModuleRequest by_digest;
  by_digest.set_module_sha256((*sandbox)->info().module_sha256());
  by_digest.set_function(o.function);
  *by_digest.mutable_args() = request->args();
  sandbox->reset();
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadModuleFile(o.module);
  if (!bytes.ok()) return ReportRemoteError(kCmd, remote.server, bytes.status());
  return RunLoad(kCmd, remote, o, duration, warmup, [&](absl::Time deadline) -> absl::StatusOr<bool> {
    absl::StatusOr<v1::InvokeResponse> out = (*client)->InvokeModule(by_digest, *bytes, deadline);
    if (!out.ok()) return out.status();
    return out->has_trap() || out->exited();
  });
}

}  // namespace palisade::cli
