#include "cli/fuzz/fuzz_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>

#include "absl/time/clock.h"
#include "cli/fuzz/crash_files.h"
#include "cli/fuzz/fuzz_jobs.h"
#include "cli/fuzz/fuzz_stats.h"
#include "cli/fuzz/in_process_target.h"
#include "cli/fuzz/libfuzzer_bridge.h"
#include "cli/fuzz/vm_target.h"
#include "cli/run_command.h"
#include "cli/vm_session.h"
#include "common/duration.h"

namespace palisade::cli {

namespace {

using fuzz::FuzzStats;
using fuzz::FuzzTarget;
using fuzz::Outcome;

constexpr int kExitInternal = 70;

absl::StatusOr<std::vector<uint8_t>> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Everything the per-input callback needs (libFuzzer's callback takes no
// context pointer).
struct Session {
  FuzzOptions options;
  std::unique_ptr<FuzzTarget> target;
  FuzzStats* stats = nullptr;
  absl::Time start;
  absl::Time last_status;
  uint64_t last_execs = 0;
  std::set<std::string> reasons;  // distinct crashes seen (--keep-going)
};
Session* g_session = nullptr;

void PrintStatus(Session& s, absl::Time now) {
  uint64_t execs = s.stats->execs.load();
  double seconds = absl::ToDoubleSeconds(now - s.last_status);
  double rate = seconds > 0 ? static_cast<double>(execs - s.last_execs) / seconds : 0;
  std::fprintf(stderr, "palisade fuzz: %s\n",
               fuzz::StatusLine(execs, rate, s.stats->edges.load(), fuzz::CorpusFiles(s.options.corpus),
                                s.stats->crashes.load(), now - s.start).c_str());
  s.last_status = now;
  s.last_execs = execs;
}

int OnCrash(Session& s, std::span<const uint8_t> input, const std::string& reason) {
  bool fresh = s.reasons.insert(reason).second;
  if (fresh) {
    s.stats->crashes.fetch_add(1);
    auto path = fuzz::SaveCrash(s.options.artifacts, input, reason);
    if (!path.ok()) {
      std::fprintf(stderr, "palisade fuzz: %s\n", std::string(path.status().message()).c_str());
      std::_Exit(kExitInternal);
    }
    std::fprintf(stderr, "palisade fuzz: crash: %s\npalisade fuzz: input saved as %s (reason in %s.txt)\n",
                 reason.c_str(), path->c_str(), path->c_str());
  }
  if (!s.options.keep_going) {
    PrintStatus(s, absl::Now());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(kExitFuzzCrash);
  }
  return -1;  // keep crashing inputs out of the corpus
}

int OneInput(const uint8_t* data, size_t size) {
  Session& s = *g_session;
  std::span<const uint8_t> input(data, size);
  auto out = s.target->Run(input);
  if (!out.ok()) {
    std::fprintf(stderr, "palisade fuzz: the sandbox failed (not the harness): %s\n",
                 std::string(out.status().message()).c_str());
    std::_Exit(kExitInternal);
  }
  fuzz::FeedCompares();
  s.stats->edges.store(fuzz::NoteEdges());
  s.stats->execs.fetch_add(1);
  if (absl::Time now = absl::Now(); now - s.last_status >= absl::Seconds(2)) PrintStatus(s, now);
  if (out->kind == Outcome::Kind::kCrash) return OnCrash(s, input, out->reason);
  return out->kind == Outcome::Kind::kRejected ? -1 : 0;
}

absl::StatusOr<std::unique_ptr<FuzzTarget>> MakeTarget(const FuzzOptions& o, std::vector<uint8_t> module,
                                                       const fuzz::HarnessLimits& limits) {
  if (o.in_process) {
    auto t = fuzz::InProcessTarget::Create(std::move(module), limits, fuzz::LibFuzzerArrays());
    if (!t.ok()) return t.status();
    return std::unique_ptr<FuzzTarget>(std::move(*t));
  }
  auto t = fuzz::VmTarget::Create(std::move(module), limits, fuzz::LibFuzzerArrays(), o.memory);
  if (!t.ok()) return t.status();
  return std::unique_ptr<FuzzTarget>(std::move(*t));
}

int ExitFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      return kExitUsage;
    case absl::StatusCode::kUnavailable:
      return kExitNoSandbox;
    default:
      return kExitInternal;
  }
}

int Reproduce(FuzzTarget& target, const FuzzOptions& o) {
  int status = 0;
  for (const std::string& file : o.reproduce) {
    auto input = ReadFile(file);
    if (!input.ok()) {
      std::cerr << "palisade fuzz: " << input.status().message() << "\n";
      return kExitUsage;
    }
    auto out = target.Run(*input);
    fuzz::FeedCompares(/*feed=*/false);
    if (!out.ok()) {
      std::cerr << "palisade fuzz: the sandbox failed (not the harness): " << out.status().message() << "\n";
      return kExitInternal;
    }
    if (out->kind == Outcome::Kind::kCrash) {
      std::cout << file << ": crash: " << out->reason << "\n";
      status = kExitFuzzCrash;
    } else {
      std::cout << file << ": ok" << (out->kind == Outcome::Kind::kRejected ? " (rejected: returned -1)" : "")
                << "\n";
    }
  }
  return status;
}

// libFuzzer's flags for our options; its own -timeout is only a backstop
// for palisade itself hanging (ours ends a slow input first).
std::vector<std::string> LibFuzzerArgs(const FuzzOptions& o, absl::Duration timeout) {
  std::vector<std::string> a = {"palisade-fuzz"};
  a.insert(a.end(), o.corpus.begin(), o.corpus.end());
  int64_t backstop = std::max<int64_t>(10, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(timeout) * 3)) + 5);
  a.push_back("-timeout=" + std::to_string(backstop));
  a.push_back("-max_len=" + std::to_string(o.max_len));
  a.push_back("-artifact_prefix=" + o.artifacts + (o.artifacts.empty() || o.artifacts.back() == '/' ? "" : "/"));
  a.push_back("-print_final_stats=1");
  if (o.runs >= 0) a.push_back("-runs=" + std::to_string(o.runs));
  if (!o.max_time.empty()) {
    absl::Duration d;
    (void)ParseUserDuration(o.max_time, &d);
    a.push_back("-max_total_time=" + std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(d))));
  }
  if (!o.dict.empty()) a.push_back("-dict=" + o.dict);
  int64_t seed = o.seed;
  if (seed != 0 && o.worker > 0) seed += o.worker;
  if (seed != 0) a.push_back("-seed=" + std::to_string(seed));
  if (o.worker >= 0) a.push_back("-reload=1");
  a.insert(a.end(), o.libfuzzer_flags.begin(), o.libfuzzer_flags.end());
  return a;
}

std::optional<std::string> CheckOptions(const FuzzOptions& o, absl::Duration* timeout) {
  if (!ParseUserDuration(o.timeout, timeout) || *timeout <= absl::ZeroDuration()) {
    return "bad --timeout '" + o.timeout + "' (seconds, or e.g. 1s, 250ms)";
  }
  if (o.engine != "compiler" && o.engine != "interpreter") {
    return "--engine takes compiler or interpreter, not '" + o.engine + "'";
  }
  absl::Duration d;
  if (!o.max_time.empty() && (!ParseUserDuration(o.max_time, &d) || d <= absl::ZeroDuration())) {
    return "bad --max-time '" + o.max_time + "' (seconds, or e.g. 60s, 10m)";
  }
  for (const std::string& dir : o.corpus) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) {
      // --jobs N: every job validates the same options at once, so another
      // may have made the directory between the stat and the mkdir.
      if (::mkdir(dir.c_str(), 0755) != 0 &&
          !(errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
        return "cannot create corpus directory " + dir + ": " + std::strerror(errno);
      }
    } else if (!S_ISDIR(st.st_mode)) {
      return dir + " is not a directory (corpus arguments are directories; use --reproduce for files)";
    }
  }
  struct stat st;
  if (::stat(o.artifacts.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return "--artifacts " + o.artifacts + " is not a directory";
  }
  for (const std::string& f : o.libfuzzer_flags) {
    if (f.size() < 2 || f[0] != '-' || f[1] == '-') return "'" + f + "' is not a libFuzzer flag (-name=value)";
  }
  return std::nullopt;
}

}  // namespace

int RunFuzzWorker(const FuzzOptions& o, FuzzStats* stats) {
  absl::Duration timeout;
  if (auto bad = CheckOptions(o, &timeout)) {
    std::cerr << "palisade fuzz: " << *bad << "\n";
    return kExitUsage;
  }
  auto module = ReadFile(o.harness);
  if (!module.ok()) {
    std::cerr << "palisade fuzz: " << module.status().message() << "\n";
    return kExitUsage;
  }
  fuzz::HarnessLimits limits;
  limits.timeout = timeout;
  limits.fuel = o.fuel;
  limits.max_memory_pages = o.max_memory_pages;
  limits.max_input = o.reproduce.empty() ? o.max_len : 0;
  for (const std::string& f : o.reproduce) {
    struct stat st;
    if (::stat(f.c_str(), &st) == 0) limits.max_input = std::max<size_t>(limits.max_input, st.st_size);
  }
  limits.show_output = o.show_output || !o.reproduce.empty();
  limits.compiler = o.engine == "compiler";
  auto target = MakeTarget(o, std::move(*module), limits);
  if (!target.ok()) {
    std::cerr << "palisade fuzz: " << o.harness << ": " << target.status().message() << "\n";
    return ExitFor(target.status());
  }
  // Set-up (boot, snapshot) is done: from here on the process needs little
  // more than KVM_RUN, its memory and the corpus and crash files.
  if (std::optional<int> rc = ConfineOrReport("palisade fuzz", o.seccomp, "palisade-fuzz", true)) return *rc;
  if (!o.reproduce.empty()) return Reproduce(**target, o);

  static Session session;
  session.options = o;
  session.target = std::move(*target);
  session.stats = stats;
  session.start = session.last_status = absl::Now();
  g_session = &session;
  // libFuzzer ends a finished run (-runs, -max_total_time) with exit(0),
  // not by returning: the closing status line is printed on the way out.
  std::atexit([] {
    if (g_session == nullptr) return;
    PrintStatus(*g_session, absl::Now());
    if (std::string r = g_session->target->ResetSummary(); !r.empty()) {
      std::fprintf(stderr, "palisade fuzz: %s\n", r.c_str());
    }
  });
  std::fprintf(stderr, "palisade fuzz: %s in %s, %s, coverage from the engine's edge counters\n",
               o.harness.c_str(),
               o.in_process ? "this process (--in-process)" : "micro-VMs reset to a snapshot per input",
               session.target->Tier().c_str());
  int rc = fuzz::RunLibFuzzer(LibFuzzerArgs(o, timeout), OneInput);
  PrintStatus(session, absl::Now());
  if (std::string r = session.target->ResetSummary(); !r.empty()) std::fprintf(stderr, "palisade fuzz: %s\n", r.c_str());
  g_session = nullptr;
  session.target.reset();
  return rc == 0 ? 0 : kExitInternal;
}

int RunFuzz(const FuzzOptions& options) {
  if (options.jobs > 1 && options.reproduce.empty() && options.worker < 0) return fuzz::RunJobs(options);
  FuzzStats stats;
  return RunFuzzWorker(options, &stats);
}

}  // namespace palisade::cli
