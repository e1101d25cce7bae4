// The worker pool's queue: bounded (a full queue refuses at once) and fair
// between owners (tenants): work is taken round-robin across the owners that
// have some, so one owner's backlog does not stand in front of another's call.
#include "server/worker_pool.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace palisade::server {
namespace {

// One worker, held busy until released, so the queue's order is the test's.
class HeldPool {
 public:
  HeldPool() : pool_(1, 64) {
    EXPECT_TRUE(pool_.TrySubmit("hold", [this] {
      std::unique_lock<std::mutex> lock(mu_);
      started_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    }));
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return started_; });  // the worker is busy from here on
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  bool Submit(const std::string& owner, const std::string& name) {
    return pool_.TrySubmit(owner, [this, name] {
      std::lock_guard<std::mutex> lock(mu_);
      order_.push_back(name);
    });
  }
  std::vector<std::string> Order() {
    EXPECT_TRUE(pool_.WaitIdle(std::chrono::seconds(10)));
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }
  WorkerPool& pool() { return pool_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool released_ = false;
  std::vector<std::string> order_;
  WorkerPool pool_;  // last: its workers go first
};

TEST(WorkerPool, OwnersTakeTurnsSoABacklogDoesNotStarveAQuietOwner) {
  HeldPool p;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.Submit("flood", "f" + std::to_string(i)));
  ASSERT_TRUE(p.Submit("quiet", "q0"));
  ASSERT_TRUE(p.Submit("flood", "f5"));
  ASSERT_TRUE(p.Submit("quiet", "q1"));
  EXPECT_EQ(p.pool().queued(), 8u);
  p.Release();
  EXPECT_EQ(p.Order(), (std::vector<std::string>{"f0", "q0", "f1", "q1", "f2", "f3", "f4", "f5"}));
}

TEST(WorkerPool, AFullQueueRefusesWhoeverAsks) {
  WorkerPool pool(1, 2);
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  ASSERT_TRUE(pool.TrySubmit("a", [&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return released; });
  }));
  // The worker may not have taken the first job yet: fill up to the cap.
  int accepted = 0;
  for (int i = 0; i < 3; ++i) accepted += pool.TrySubmit(i % 2 ? "b" : "c", [] {}) ? 1 : 0;
  EXPECT_GE(accepted, 1);
  EXPECT_LE(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySubmit("d", [] {}));
  EXPECT_GE(pool.rejected(), 1u);
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  cv.notify_all();
  EXPECT_TRUE(pool.WaitIdle(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace palisade::server
