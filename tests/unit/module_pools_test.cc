// InvokeModule's pools (server/module_pools.h), without VMs: the maker
// stands in for booting and snapshotting a module.
#include "server/module_pools.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/clock.h"

namespace palisade::server {
namespace {

ModulePools::Maker Counting(std::atomic<int>* calls, absl::Duration takes = absl::ZeroDuration()) {
  return [calls, takes]() -> absl::StatusOr<std::shared_ptr<WarmModule>> {
    calls->fetch_add(1);
    absl::SleepFor(takes);
    return std::make_shared<WarmModule>();
  };
}

TEST(ModulePools, ConcurrentFirstCallsMakeOnePoolAndShareIt) {
  ModulePools pools(4, absl::Hours(1));
  std::atomic<int> made{0};
  std::vector<std::future<std::shared_ptr<WarmModule>>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      auto r = pools.Get("alice", "m1", Counting(&made, absl::Milliseconds(50)));
      return r.ok() ? *r : nullptr;
    }));
  }
  std::shared_ptr<WarmModule> first = calls[0].get();
  ASSERT_NE(first, nullptr);
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_EQ(calls[i].get(), first);
  EXPECT_EQ(made.load(), 1);
  EXPECT_EQ(pools.pools(), 1u);
  EXPECT_EQ(pools.made(), 1u);
}

TEST(ModulePools, AFailureIsSharedByItsWaitersButNotRemembered) {
  ModulePools pools(4, absl::Hours(1));
  std::atomic<int> tries{0};
  auto failing = [&]() -> absl::StatusOr<std::shared_ptr<WarmModule>> {
    tries.fetch_add(1);
    return absl::InvalidArgumentError("start function trapped");
  };
  auto r = pools.Get("alice", "m1", failing);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pools.pools(), 0u);
  std::atomic<int> made{0};
  bool fresh = false;
  ASSERT_TRUE(pools.Get("alice", "m1", Counting(&made), &fresh).ok());
  EXPECT_TRUE(fresh);
  EXPECT_EQ(tries.load(), 1);
  EXPECT_EQ(made.load(), 1);
}

TEST(ModulePools, ATenantAtItsBoundGivesUpItsLeastRecentlyUsedIdlePool) {
  ModulePools pools(2, absl::Hours(1));
  std::atomic<int> made{0};
  ASSERT_TRUE(pools.Get("alice", "m1", Counting(&made)).ok());
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_TRUE(pools.Get("alice", "m2", Counting(&made)).ok());
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_TRUE(pools.Get("alice", "m1", Counting(&made)).ok());  // m2 is now the older
  // Another tenant's pools do not count against alice's bound.
  ASSERT_TRUE(pools.Get("bob", "m1", Counting(&made)).ok());
  ASSERT_TRUE(pools.Get("alice", "m3", Counting(&made)).ok());
  EXPECT_EQ(pools.pools_of("alice"), 2u);
  EXPECT_EQ(pools.evicted(), 1u);
  const int before = made.load();
  ASSERT_TRUE(pools.Get("alice", "m1", Counting(&made)).ok());  // kept
  EXPECT_EQ(made.load(), before);
  ASSERT_TRUE(pools.Get("alice", "m2", Counting(&made)).ok());  // was dropped: made again
  EXPECT_EQ(made.load(), before + 1);
}

TEST(ModulePools, PoolsInUseAreNeverDroppedAndTheBoundThenRefuses) {
  ModulePools pools(1, absl::Milliseconds(1));
  std::atomic<int> made{0};
  auto held = pools.Get("alice", "m1", Counting(&made));  // a call still running on it
  ASSERT_TRUE(held.ok());
  absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(pools.EvictIdle(absl::Now()), 0u);
  auto r = pools.Get("alice", "m2", Counting(&made));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("max_module_pools_per_tenant"), std::string_view::npos);
  held = absl::UnknownError("the call is done");  // lets go of the pool
  EXPECT_EQ(pools.EvictIdle(absl::Now()), 1u);
  EXPECT_EQ(pools.pools(), 0u);
}

TEST(ModulePools, TheSweeperDropsIdlePoolsOnItsOwn) {
  ModulePools pools(4, absl::Milliseconds(40));
  std::atomic<int> made{0};
  ASSERT_TRUE(pools.Get("alice", "m1", Counting(&made)).ok());
  EXPECT_EQ(pools.pools(), 1u);
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (pools.pools() != 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(pools.pools(), 0u);
  EXPECT_EQ(pools.evicted(), 1u);
}

}  // namespace
}  // namespace palisade::server
