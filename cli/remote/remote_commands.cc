#include "cli/remote/remote_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/remote/palisade_client.h"
#include "cli/remote/proto_values.h"
#include "cli/remote/remote_dirs.h"
#include "cli/remote/remote_errors.h"
#include "cli/remote/remote_sandbox.h"
#include "common/sha256.h"
#include "cli/trap_line.h"
#include "cli/vm_session.h"
#include "cli/wasm_values.h"
#include "common/duration.h"

namespace palisade::cli {
namespace {

// stdin travels in the request, so it is read whole first, within a cap; a
// terminal is not read at all (the program sees an empty stdin).
constexpr size_t kMaxStdin = 64 << 20;

absl::StatusOr<std::string> ReadStdin() {
  std::string data;
  if (isatty(0)) return data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0) return data;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EBADF) return data;  // no stdin at all
      return absl::InvalidArgumentError(absl::StrCat("reading stdin: ", strerror(errno)));
    }
    if (data.size() + static_cast<size_t>(n) > kMaxStdin) {
      return absl::InvalidArgumentError("stdin is over 64 MiB: too much to send with --server");
    }
    data.append(buf, static_cast<size_t>(n));
  }
}

// The user's limits in API form; 0 leaves a limit to the tenant's default.
absl::StatusOr<v1::Limits> LimitsFrom(const std::string& memory, const std::string& timeout,
                                      uint64_t fuel, uint32_t max_memory_pages,
                                      const std::string& max_output) {
  v1::Limits l;
  if (!memory.empty()) {
    const uint64_t bytes = ParseSize(memory);
    if (bytes == 0) return absl::InvalidArgumentError(absl::StrCat("--memory '", memory, "' is not a size"));
    l.set_memory_bytes(bytes);
  }
  if (!timeout.empty()) {
    absl::Duration d;
    if (!ParseUserDuration(timeout, &d) || d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat("--timeout '", timeout, "' is not a duration (seconds, or e.g. 10s, 500ms)"));
    }
    l.set_timeout_ms(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
  }
  l.set_fuel(fuel);
  l.set_max_memory_pages(max_memory_pages);
  if (!max_output.empty() && max_output != "0") {
    const uint64_t bytes = ParseSize(max_output);
    if (bytes == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--max-output '", max_output, "' is not a size"));
    }
    l.set_max_output_bytes(bytes);
  }
  return l;
}

// The client's own deadline: the server enforces the timeout on the VM;
// this only bounds waiting for a server that stopped answering.
absl::Time DeadlineFor(const v1::Limits& l) {
  if (l.timeout_ms() == 0) return absl::InfiniteFuture();
  return absl::Now() + absl::Milliseconds(l.timeout_ms()) + absl::Seconds(30);
}

int ReportTrap(const v1::Trap& t) {
  return ReportTrapLine(t.kind(), t.function_index(), t.function_name(), t.offset());
}

bool SameResults(const v1::InvokeResponse& a, const v1::InvokeResponse& b) {
  if (a.results_size() != b.results_size()) return false;
  for (int i = 0; i < a.results_size(); ++i) {
    if (a.results(i).SerializeAsString() != b.results(i).SerializeAsString()) return false;
  }
  return true;
}

void WriteAll(int fd, const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed pipe: the output has nowhere to go
    at += static_cast<size_t>(n);
  }
}

}  // namespace

int RunRemote(const RemoteOptions& remote, const RunOptions& o) {
  constexpr const char* kCmd = "palisade run";
  if (o.in_process) {
    std::cerr << kCmd << ": --in-process and --server exclude each other\n";
    return kExitUsage;
  }
  // --dir: read here exactly as a local run reads it, sent as data.
  auto preopens = ParsePreopens(o.dirs);
  if (!preopens.ok()) return ReportRemoteError(kCmd, remote.server, preopens.status());
  auto image = BuildPreopens(*preopens, o.fs_limits);
  if (!image.ok()) return ReportRemoteError(kCmd, remote.server, image.status());
  auto limits = LimitsFrom(o.memory, o.timeout, o.fuel, o.max_memory_pages, o.max_output);
  if (!limits.ok()) return ReportRemoteError(kCmd, remote.server, limits.status());
  auto client = PalisadeClient::Connect(remote);
  if (!client.ok()) return ReportRemoteError(kCmd, remote.server, client.status());
  auto bytes = ReadModuleFile(o.module);
  if (!bytes.ok()) return ReportRemoteError(kCmd, remote.server, bytes.status());
  auto input = ReadStdin();
  if (!input.ok()) return ReportRemoteError(kCmd, remote.server, input.status());
  v1::RunWasiRequest req;
  req.set_module_sha256(Sha256Hex(*bytes));
  for (const std::string& a : o.args) req.add_args(a);
  for (const std::string& e : o.env) req.add_env(e);
  req.set_stdin(*std::move(input));
  *req.mutable_limits() = *limits;
  if (absl::Status s = DirectoriesFromImage(*image, req.mutable_dirs()); !s.ok()) {
    return ReportRemoteError(kCmd, remote.server, s);
  }
  req.set_partial_results(o.partial_results);
  ChangeCollector collected;
  auto done = (*client)->RunStreamed(
      req, *bytes, [](bool is_stderr, const std::string& out) { WriteAll(is_stderr ? 2 : 1, out); },
      DeadlineFor(*limits), [&collected](v1::FileChange piece) { return collected.Add(std::move(piece)); });
  if (!done.ok()) {
    // A module the server refused is named (its validation error says why).
    if (absl::IsInvalidArgument(done.status())) {
      return ReportRemoteError(kCmd, remote.server,
                               absl::InvalidArgumentError(absl::StrCat(o.module, ": ", done.status().message())));
    }
    return ReportRemoteError(kCmd, remote.server, done.status());
  }
  // The server returns changes only when they are to be applied (exit 0,
  // or --partial-results); they reach the host before the outcome is told.
  if (done->changes_too_large()) {
    std::cerr << kCmd << ": --dir: the run's changes exceed the server's max_changes_bytes; nothing was applied\n";
    if (done->exit_code() == 0 && !done->has_trap()) return kExitCommitFailed;
  } else if (auto changes = collected.Take(); !changes.ok()) {
    return ReportRemoteError(kCmd, remote.server, changes.status());
  } else if (absl::Status s = ApplyReturnedChanges(*changes, *preopens); !s.ok()) {
    std::cerr << kCmd << ": " << s.message() << "\n";
    return kExitCommitFailed;
  }
  if (done->has_trap()) return ReportTrap(done->trap());
  if (done->output_truncated()) {
    std::cerr << kCmd << ": " << o.module << " wrote more than the output cap and was stopped\n";
    return kExitTrap;
  }
  return done->exit_code() & 0xff;
}

int InvokeRemote(const RemoteOptions& remote, const InvokeOptions& o) {
  constexpr const char* kCmd = "palisade invoke";
  if (o.in_process) {
    std::cerr << kCmd << ": --in-process and --server exclude each other\n";
    return kExitUsage;
  }
  auto limits = LimitsFrom(o.memory, o.timeout, 0, 0, "");
  if (!limits.ok()) return ReportRemoteError(kCmd, remote.server, limits.status());
  auto client = PalisadeClient::Connect(remote);
  if (!client.ok()) return ReportRemoteError(kCmd, remote.server, client.status());
  auto sandbox = RemoteSandbox::Create(**client, o.module, *limits);
  if (!sandbox.ok()) return ReportRemoteError(kCmd, remote.server, sandbox.status());
  auto request = (*sandbox)->PrepareCall(o.function, o.args);
  if (!request.ok()) return ReportRemoteError(kCmd, remote.server, request.status());

  std::vector<double> micros;
  v1::InvokeResponse first;
  for (uint32_t call = 0; call < o.repeat; ++call) {
    const absl::Time start = absl::Now();
    auto out = (*client)->Invoke(*request, DeadlineFor(*limits));
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    if (!out.ok()) return ReportRemoteError(kCmd, remote.server, out.status());
    if (out->has_trap()) return ReportTrap(out->trap());
    if (out->exited()) return out->exit_code() & 0xff;
    if (call == 0) {
      first = *out;
    } else if (!SameResults(first, *out)) {  // dirty_pages may differ; results must not
      std::cerr << kCmd << ": call " << call + 1 << " returned different results\n";
      return kExitTrap;
    }
  }
  for (const v1::Value& r : first.results()) {
    std::optional<wasm::Value> v = FromProtoValue(r);
    if (!v) {
      std::cerr << kCmd << ": the server sent a result with no type\n";
      return kExitSoftware;
    }
    Print(*v);
  }
  if (o.repeat > 1) {
    std::sort(micros.begin(), micros.end());
    std::fprintf(stderr,
                 "palisade invoke: %u calls to %s, one at a time: median %.1f us, p99 %.1f us, "
                 "min %.1f us\n",
                 o.repeat, remote.server.c_str(), micros[micros.size() / 2],
                 micros[micros.size() * 99 / 100], micros.front());
  }
  return 0;
}

int StatsRemote(const RemoteOptions& remote) {
  auto client = PalisadeClient::Connect(remote);
  if (!client.ok()) return ReportRemoteError("palisade stats", remote.server, client.status());
  auto s = (*client)->GetStats();
  if (!s.ok()) return ReportRemoteError("palisade stats", remote.server, s.status());
  std::printf("modules %llu\nsandboxes %llu\ncalls_total %llu\ncalls_rejected %llu\nworkers %u\n"
              "queue_capacity %u\nqueue_depth %u\nrunning %u\nuptime_ms %lld\n",
              static_cast<unsigned long long>(s->modules()), static_cast<unsigned long long>(s->sandboxes()),
              static_cast<unsigned long long>(s->calls_total()),
              static_cast<unsigned long long>(s->calls_rejected()), s->workers(), s->queue_capacity(),
              s->queue_depth(), s->running(), static_cast<long long>(s->uptime_ms()));
  return 0;
}

}  // namespace palisade::cli
