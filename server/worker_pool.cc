#include "server/worker_pool.h"

namespace palisade::server {

WorkerPool::WorkerPool(size_t workers, size_t queue_capacity) : capacity_(queue_capacity) {
  if (workers == 0) workers = 1;
  threads_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool WorkerPool::TrySubmit(const std::string& owner, std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queued_ >= capacity_) {
      ++rejected_;
      return false;
    }
    auto& mine = queues_[owner];
    if (mine.empty()) turns_.push_back(owner);
    mine.push_back(std::move(job));
    ++queued_;
  }
  work_cv_.notify_one();
  return true;
}

bool WorkerPool::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queued_ == 0 && running_ == 0; });
}

void WorkerPool::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || queued_ > 0; });
      if (queued_ == 0) return;  // stopping, and everything queued has run
      // The owner whose turn it is gives one job and goes to the back.
      const std::string owner = std::move(turns_.front());
      turns_.pop_front();
      auto it = queues_.find(owner);
      job = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) {
        queues_.erase(it);
      } else {
        turns_.push_back(owner);
      }
      --queued_;
      ++running_;
    }
    job();
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      if (queued_ == 0 && running_ == 0) idle_cv_.notify_all();
    }
  }
}

size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_;
}
size_t WorkerPool::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}
uint64_t WorkerPool::rejected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejected_;
}

}  // namespace palisade::server
