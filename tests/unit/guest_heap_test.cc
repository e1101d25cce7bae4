// The guest heap (guest-runtime/lib/heap.cc), built for the host: random
// allocations, frees and in-place grows against a model of what each block
// holds, so no block ever overlaps another or loses its bytes; growable
// blocks from AllocateLow grow in place while ordinary allocations come
// from the top; and everything coalesces back.
#include "lib/heap.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "lib/hypercall.h"

namespace palisade::guest {

// The heap's only call out: a bad free. Here it fails the test loudly.
void Abort(abi::AbortReason, const char* message, uint64_t, uint64_t) {
  ADD_FAILURE() << "heap abort: " << message;
  std::abort();
}

namespace {

class GuestHeapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    arena_.resize(kArena + 64);
    ASSERT_TRUE(heap_.Init(reinterpret_cast<uintptr_t>(arena_.data()),
                           reinterpret_cast<uintptr_t>(arena_.data()) + kArena));
  }
  static constexpr size_t kArena = 8 << 20;
  std::vector<uint8_t> arena_;
  Heap heap_;
};

TEST_F(GuestHeapTest, RandomTrafficNeverOverlapsOrLosesBytes) {
  std::mt19937_64 rng(17);
  struct Block { size_t size; uint8_t fill; };
  std::map<uint8_t*, Block> live;
  const size_t start_free = heap_.free_bytes();
  auto check = [&](uint8_t* p, const Block& b) {
    for (size_t i = 0; i < b.size; ++i) ASSERT_EQ(p[i], b.fill) << "block at " << static_cast<void*>(p);
  };
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 4);
    if (op <= 1 || live.empty()) {
      const size_t size = rng() % 3 == 0 ? rng() % 65536 : rng() % 200;
      auto* p = static_cast<uint8_t*>(op == 0 ? heap_.Allocate(size) : heap_.AllocateLow(size));
      if (p == nullptr) continue;
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
      const uint8_t fill = static_cast<uint8_t>(rng());
      std::memset(p, fill, size);
      auto after = live.lower_bound(p);
      if (after != live.end()) ASSERT_LE(p + size, after->first) << "overlaps the next block";
      if (after != live.begin()) {
        auto before = std::prev(after);
        ASSERT_LE(before->first + before->second.size, p) << "overlaps the previous block";
      }
      live[p] = {size, fill};
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      check(it->first, it->second);
      if (op == 2) {
        heap_.Free(it->first);
        live.erase(it);
      } else {
        const size_t bigger = it->second.size + rng() % 100000;
        if (heap_.GrowInPlace(it->first, bigger)) {
          auto next = std::next(it);
          if (next != live.end()) ASSERT_LE(it->first + bigger, next->first) << "grew over the next block";
          std::memset(it->first + it->second.size, it->second.fill, bigger - it->second.size);
          it->second.size = bigger;
        }
      }
    }
  }
  for (auto& [p, b] : live) {
    check(p, b);
    heap_.Free(p);
  }
  EXPECT_EQ(heap_.free_bytes(), start_free);
  void* all = heap_.Allocate(start_free - 16);
  EXPECT_NE(all, nullptr) << "everything coalesced back into one block";
}

TEST_F(GuestHeapTest, ALowBlockGrowsInPlaceWhileOthersComeFromTheTop) {
  auto* memory = static_cast<uint8_t*>(heap_.AllocateLow(64 << 10));
  ASSERT_NE(memory, nullptr);
  std::vector<void*> others;
  for (int i = 0; i < 100; ++i) others.push_back(heap_.Allocate(1000));
  size_t size = 64 << 10;
  while (size < (6 << 20)) {
    size += 64 << 10;
    ASSERT_TRUE(heap_.GrowInPlace(memory, size)) << "at " << size;
  }
  for (void* o : others) EXPECT_GT(static_cast<uint8_t*>(o), memory + size);
  EXPECT_FALSE(heap_.GrowInPlace(memory, kArena)) << "more than there is";
  EXPECT_FALSE(heap_.GrowInPlace(others.back(), 2000)) << "the block above it is in use";
  for (void* o : others) heap_.Free(o);
  heap_.Free(memory);
}

}  // namespace
}  // namespace palisade::guest
