// The coverage probes `palisade fuzz` relies on (CompileOptions::coverage):
// edges are recorded per path and deterministically, compares report their
// operands, instrumented code computes exactly what plain code does, and
// refused memory.grow requests are counted.
#include <algorithm>
#include <array>
#include <vector>

#include "tests/wasm/engine_test_support.h"

namespace palisade::wasm::testing {
namespace {

using I = Value;

class CoverageTest : public EngineTest {
 protected:
  void SetUp() override {
    CompileOptions options;
    options.coverage = true;
    Load("coverage", StoreLimits(), options);
    map_.counters = counters_.data();
    map_.counters_size = counters_.size();
    map_.cmps = cmps_.data();
    map_.cmp_slots = cmps_.size();
    SetCoverage(store_, &map_);
  }

  void Clear() {
    counters_.fill(0);
    cmps_.fill(CmpRecord());
    map_.prev = 0;
  }

  // The indices of the counters one call sets, and the counters themselves.
  std::vector<uint32_t> Edges() const {
    std::vector<uint32_t> e;
    for (uint32_t i = 0; i < counters_.size(); ++i) {
      if (counters_[i] != 0) e.push_back(i);
    }
    return e;
  }

  std::vector<CmpRecord> Compares() const {
    std::vector<CmpRecord> r;
    for (const CmpRecord& c : cmps_) {
      if (c.site != 0) r.push_back(c);
    }
    return r;
  }

  std::array<uint8_t, 1 << 16> counters_{};
  std::array<CmpRecord, 64> cmps_{};
  CoverageMap map_;
};

TEST_F(CoverageTest, EachPathHasItsOwnEdgesAndTheSameInputTheSameOnes) {
  Clear();
  EXPECT_EQ(CallValue("magic", {I::I32(7)}), 0u);
  std::vector<uint32_t> miss = Edges();
  Clear();
  EXPECT_EQ(CallValue("magic", {I::I32(0x5a5a5546)}), 1u);
  std::vector<uint32_t> hit = Edges();
  ASSERT_FALSE(miss.empty());
  ASSERT_FALSE(hit.empty());
  EXPECT_NE(miss, hit);
  Clear();
  EXPECT_EQ(CallValue("magic", {I::I32(8)}), 0u);
  EXPECT_EQ(Edges(), miss);
}

TEST_F(CoverageTest, ComparesReportTheirOperands) {
  Clear();
  CallValue("magic", {I::I32(0x11223344)});
  std::vector<CmpRecord> r = Compares();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].size, 4u);
  EXPECT_EQ(r[0].a, 0x11223344u);
  EXPECT_EQ(r[0].b, 0x5a5a5546u);

  Clear();
  EXPECT_EQ(CallValue("less64", {I::I64(5), I::I64(0x123456789abcull)}), 1u);
  r = Compares();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].size, 8u);
  EXPECT_EQ(r[0].a, 5u);
  EXPECT_EQ(r[0].b, 0x123456789abcull);
}

TEST_F(CoverageTest, LoopCountsGrowWithIterationsAndSaturate) {
  Clear();
  EXPECT_EQ(CallValue("sum", {I::I32(3)}), 3u);
  uint8_t few = *std::max_element(counters_.begin(), counters_.end());
  Clear();
  EXPECT_EQ(CallValue("sum", {I::I32(1000)}), 499500u);
  uint8_t many = *std::max_element(counters_.begin(), counters_.end());
  EXPECT_EQ(few, 3);    // the loop's back-edge, taken three times
  EXPECT_EQ(many, 255); // saturates instead of wrapping to a small count
}

TEST_F(CoverageTest, InstrumentedCodeComputesWhatPlainCodeDoes) {
  SetCoverage(store_, nullptr);  // probes must also run with nowhere to record
  EXPECT_EQ(CallValue("sum", {I::I32(100)}), 4950u);
  EXPECT_EQ(CallValue("less64", {I::I64(9), I::I64(2)}), 0u);
  EXPECT_EQ(CallValue("magic", {I::I32(0x5a5a5546)}), 1u);
}

TEST_F(CoverageTest, ASmallModuleGetsASmallMapAndStaysInIt) {
  uint32_t size = SuggestedCoverageMapSize(module_, counters_.size());
  EXPECT_EQ(size, 4096u);  // a handful of probes: the minimum, one page
  EXPECT_EQ(SuggestedCoverageMapSize(module_, 1024), 1024u);  // never above the caller's maximum
  map_.counters_size = size;
  Clear();
  CallValue("sum", {I::I32(50)});
  CallValue("magic", {I::I32(1)});
  CallValue("less64", {I::I64(1), I::I64(2)});
  ASSERT_FALSE(Edges().empty());
  EXPECT_LT(Edges().back(), size);
}

TEST_F(CoverageTest, RefusedMemoryGrowsAreCounted) {
  EXPECT_EQ(RefusedMemoryGrows(store_), 0u);
  EXPECT_EQ(CallValue("grow", {I::I32(1)}), 1u);  // 1 -> 2 pages: the maximum
  EXPECT_EQ(RefusedMemoryGrows(store_), 0u);
  EXPECT_EQ(static_cast<int32_t>(CallValue("grow", {I::I32(1)})), -1);
  EXPECT_EQ(RefusedMemoryGrows(store_), 1u);
  EXPECT_EQ(CallValue("grow", {I::I32(0)}), 2u);  // asking for nothing is not refused
  EXPECT_EQ(RefusedMemoryGrows(store_), 1u);
}

}  // namespace
}  // namespace palisade::wasm::testing
