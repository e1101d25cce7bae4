#include "vmm/code_check_workers.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace palisade {
namespace {

// One ForEachOnCodeCheckWorkers call: whoever takes an index runs it.
struct Job {
  const std::function<void(size_t)>* task = nullptr;  // the caller's; valid until done == n
  size_t n = 0;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex mu;
  std::condition_variable finished;

  // Runs indices until none are left.
  void Work() {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      (*task)(i);
      if (done.fetch_add(1) + 1 == n) {
        std::lock_guard<std::mutex> l(mu);
        finished.notify_all();
      }
    }
  }
};

class Workers {
 public:
  // Never destroyed: the workers are detached and wait on its members
  // until the process ends (joining them at exit could hang in a forked
  // child, where they do not exist).
  static Workers& Get() {
    static const bool registered = [] {
      current_.store(std::make_unique<Workers>().release());
      ::pthread_atfork([] { Get().mu_.lock(); }, [] { Get().mu_.unlock(); }, AfterForkInChild);
      return true;
    }();
    (void)registered;
    return *current_.load();
  }

  absl::Status Start(size_t count) {
    std::unique_lock<std::mutex> l(mu_);
    count = std::min(count, kMaxCodeCheckWorkers);
    while (workers_.size() < count) {
      auto w = std::make_shared<Worker>();
      try {
        std::thread([this, w] { Loop(*w); }).detach();
      } catch (const std::system_error& e) {
        return absl::ResourceExhaustedError(absl::StrCat("starting the code check's workers: ", e.what()));
      }
      workers_.push_back(std::move(w));
    }
    // Back only once every worker has its malloc arena: a thread's first
    // allocation may read /sys (glibc sizes its arena limit from the CPUs
    // online), which the filter a caller installs next would refuse.
    stepped_.wait(l, [&] {
      return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->ready; });
    });
    return absl::OkStatus();
  }

  size_t Count() {
    std::lock_guard<std::mutex> l(mu_);
    return workers_.size();
  }

  absl::Status OnEach(const std::function<absl::Status()>& step) {
    std::lock_guard<std::mutex> one_at_a_time(on_each_mu_);
    std::unique_lock<std::mutex> l(mu_);
    for (std::shared_ptr<Worker>& w : workers_) {
      w->step = &step;
      w->step_done = false;
    }
    wake_.notify_all();
    stepped_.wait(l, [&] {
      return std::all_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->step_done; });
    });
    absl::Status first;
    for (std::shared_ptr<Worker>& w : workers_) {
      if (first.ok()) first = w->step_result;
      w->step = nullptr;
    }
    return first;
  }

  void ForEach(size_t n, const std::function<void(size_t)>& task) {
    auto job = std::make_shared<Job>();
    job->task = &task;
    job->n = n;
    bool shared = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!workers_.empty() && n > 1) {
        jobs_.push_back(job);
        shared = true;
      }
    }
    if (shared) wake_.notify_all();
    job->Work();
    if (shared) {
      {
        std::unique_lock<std::mutex> l(job->mu);
        job->finished.wait(l, [&] { return job->done.load() == n; });
      }
      std::lock_guard<std::mutex> l(mu_);
      jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), job), jobs_.end());
    }
  }

 private:
  struct Worker {
    bool ready = false;  // has allocated once
    const std::function<absl::Status()>* step = nullptr;  // ConfineCodeCheckWorkers'
    bool step_done = true;
    absl::Status step_result;
  };

  void Loop(Worker& me) {
    {
      std::vector<uint64_t> first(64);
      volatile uint64_t* kept = first.data();  // the allocation is the point: not optimized away
      kept[0] = 1;
    }
    std::unique_lock<std::mutex> l(mu_);
    me.ready = true;
    stepped_.notify_all();
    for (;;) {
      wake_.wait(l, [&] { return !me.step_done || HasWork(); });
      if (!me.step_done) {
        const std::function<absl::Status()>* step = me.step;
        l.unlock();
        absl::Status s = (*step)();
        l.lock();
        me.step_result = std::move(s);
        me.step_done = true;
        stepped_.notify_all();
        continue;
      }
      std::shared_ptr<Job> job = jobs_.front();
      l.unlock();
      job->Work();
      l.lock();  // HasWork drops the job, now that every index is taken
    }
  }

  // Only the forking thread lives on in a child. Its copy of the workers'
  // condition variables still counts the parent's waiting workers, and
  // would wait for them forever: the child starts over with a fresh set,
  // and the copy is left alone (destroying it with waiters is undefined).
  static void AfterForkInChild() {
    auto fresh = std::make_unique<Workers>();
    fresh->before_fork_ = current_.load();  // still reachable: leak checkers keep quiet
    current_.store(fresh.release());
  }

  bool HasWork() {
    while (!jobs_.empty() && jobs_.front()->next.load() >= jobs_.front()->n) jobs_.pop_front();
    return !jobs_.empty();
  }

  std::mutex on_each_mu_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable stepped_;
  std::deque<std::shared_ptr<Job>> jobs_;
  std::vector<std::shared_ptr<Worker>> workers_;
  Workers* before_fork_ = nullptr;
  static std::atomic<Workers*> current_;
};

std::atomic<Workers*> Workers::current_{nullptr};

}  // namespace

absl::Status StartCodeCheckWorkers(size_t count) { return Workers::Get().Start(count); }

size_t CodeCheckWorkersForThisMachine() {
  size_t n = 0;
  if (const char* want = std::getenv("PALISADE_CHECK_WORKERS"); want != nullptr && absl::SimpleAtoi(want, &n)) {
    return std::min(n, kMaxCodeCheckWorkers);
  }
  const unsigned cores = std::thread::hardware_concurrency();
  return cores <= 1 ? 0 : std::min<size_t>(cores - 1, kMaxCodeCheckWorkers);
}

size_t CodeCheckWorkerCount() { return Workers::Get().Count(); }

absl::Status ConfineCodeCheckWorkers(const std::function<absl::Status()>& step) {
  return Workers::Get().OnEach(step);
}

void ForEachOnCodeCheckWorkers(size_t n, const std::function<void(size_t)>& task) {
  Workers::Get().ForEach(n, task);
}

}  // namespace palisade
