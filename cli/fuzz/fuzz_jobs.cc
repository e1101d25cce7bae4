#include "cli/fuzz/fuzz_jobs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "absl/time/clock.h"
#include "cli/run_command.h"

namespace palisade::cli::fuzz {

namespace {

constexpr int kExitInternal = 70;

// The workers' counters, in memory the parent and the children share.
class SharedStats {
 public:
  explicit SharedStats(uint32_t n) : n_(n) {
    size_ = sizeof(FuzzStats) * n;
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    stats_ = static_cast<FuzzStats*>(p);
    for (uint32_t i = 0; i < n; ++i) new (&stats_[i]) FuzzStats();
  }
  ~SharedStats() {
    if (stats_ != nullptr) ::munmap(stats_, size_);
  }
  SharedStats(const SharedStats&) = delete;
  SharedStats& operator=(const SharedStats&) = delete;
  bool ok() const { return stats_ != nullptr; }
  FuzzStats& operator[](uint32_t i) { return stats_[i]; }
  uint32_t size() const { return n_; }

 private:
  uint32_t n_;
  size_t size_ = 0;
  FuzzStats* stats_ = nullptr;
};

std::string Dir(const std::string& d) { return d.empty() || d.back() == '/' ? d : d + "/"; }

}  // namespace

int RunJobs(const FuzzOptions& options) {
  FuzzOptions base = options;
  if (base.corpus.empty()) {
    // The workers share what they find through a directory.
    char tmpl[] = "/tmp/palisade-fuzz-corpus-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "palisade fuzz: cannot make a corpus directory: %s\n", std::strerror(errno));
      return kExitInternal;
    }
    base.corpus.push_back(tmpl);
    std::fprintf(stderr, "palisade fuzz: no corpus directory given; the %u jobs share %s\n", options.jobs, tmpl);
  }
  SharedStats stats(options.jobs);
  if (!stats.ok()) {
    std::fprintf(stderr, "palisade fuzz: cannot map shared counters: %s\n", std::strerror(errno));
    return kExitInternal;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> pids;
  for (uint32_t i = 0; i < options.jobs; ++i) {
    pid_t pid = ::fork();
    if (pid < 0) {
      std::fprintf(stderr, "palisade fuzz: fork: %s\n", std::strerror(errno));
      for (pid_t p : pids) ::kill(p, SIGTERM);
      for (pid_t p : pids) ::waitpid(p, nullptr, 0);
      return kExitInternal;
    }
    if (pid == 0) {
      std::string log = Dir(base.artifacts) + "fuzz-" + std::to_string(i) + ".log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) std::_Exit(kExitInternal);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
      FuzzOptions w = base;
      w.worker = static_cast<int>(i);
      std::_Exit(RunFuzzWorker(w, &stats[i]));
    }
    pids.push_back(pid);
  }
  std::fprintf(stderr, "palisade fuzz: %u jobs started; their logs: %sfuzz-<N>.log\n", options.jobs,
               Dir(base.artifacts).c_str());

  const absl::Time start = absl::Now();
  absl::Time last = start;
  uint64_t last_execs = 0;
  int result = 0;
  size_t running = pids.size();
  std::vector<bool> done(pids.size(), false);
  while (running > 0) {
    ::usleep(100 * 1000);
    for (size_t i = 0; i < pids.size(); ++i) {
      if (done[i]) continue;
      int status = 0;
      pid_t r = ::waitpid(pids[i], &status, WNOHANG);
      if (r != pids[i]) continue;
      done[i] = true;
      --running;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitInternal;
      if (code == kExitFuzzCrash) {
        result = kExitFuzzCrash;
        std::fprintf(stderr, "palisade fuzz: job %zu found a crash (see %sfuzz-%zu.log)\n", i,
                     Dir(base.artifacts).c_str(), i);
        if (!options.keep_going) {
          for (size_t j = 0; j < pids.size(); ++j) {
            if (!done[j]) ::kill(pids[j], SIGTERM);
          }
        }
      } else if (code != 0) {
        if (result == 0) result = code;
        std::fprintf(stderr, "palisade fuzz: job %zu failed with status %d (see %sfuzz-%zu.log)\n", i, code,
                     Dir(base.artifacts).c_str(), i);
      }
    }
    absl::Time now = absl::Now();
    if (now - last >= absl::Seconds(2) || running == 0) {
      uint64_t execs = 0, crashes = 0, edges = 0;
      for (uint32_t i = 0; i < stats.size(); ++i) {
        execs += stats[i].execs.load();
        crashes += stats[i].crashes.load();
        edges = std::max<uint64_t>(edges, stats[i].edges.load());
      }
      double rate = static_cast<double>(execs - last_execs) / absl::ToDoubleSeconds(now - last);
      std::fprintf(stderr, "palisade fuzz: %u jobs | %s\n", options.jobs,
                   StatusLine(execs, rate, edges, CorpusFiles(base.corpus), crashes, now - start).c_str());
      last = now;
      last_execs = execs;
    }
  }
  return result;
}

}  // namespace palisade::cli::fuzz
