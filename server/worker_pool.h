// The threads that run micro-VMs, never gRPC's own: a fixed set of workers
// and a bounded queue. A full queue refuses work at once (the caller answers
// RESOURCE_EXHAUSTED) instead of letting memory grow without limit.
//
// Work is queued per owner (a tenant) and workers take it round-robin across
// the owners that have some: a tenant with 32 calls queued does not make
// another tenant's one call wait behind all 32, only behind one of them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace palisade::server {

class WorkerPool {
 public:
  WorkerPool(size_t workers, size_t queue_capacity);
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False (and `job` dropped) when the queue is full or the pool stopping.
  [[nodiscard]] bool TrySubmit(const std::string& owner, std::function<void()> job);

  // Waits until nothing is queued or running, or `timeout` passes; true if idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

  size_t workers() const { return threads_.size(); }
  size_t capacity() const { return capacity_; }
  size_t queued() const;
  size_t running() const;
  uint64_t rejected() const;

 private:
  void Work();

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::map<std::string, std::deque<std::function<void()>>> queues_;  // by owner
  std::deque<std::string> turns_;  // owners with queued work, in the order they are served
  size_t queued_ = 0;
  size_t running_ = 0;
  uint64_t rejected_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace palisade::server
