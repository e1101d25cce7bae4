#include "cli/fuzz/libfuzzer_bridge.h"

#include <array>
#include <bit>
#include <cstring>

extern "C" {
int LLVMFuzzerRunDriver(int* argc, char*** argv, int (*callback)(const uint8_t*, size_t));
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b);
void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b);
}

namespace palisade::cli::fuzz {

namespace {

constexpr size_t kCounters = 1 << 16;  // AFL's map size: few collisions for harness-sized code
constexpr size_t kCmpSlots = 256;

// libFuzzer finds this array by its section's start/stop symbols.
__attribute__((section("__libfuzzer_extra_counters"), used)) uint8_t g_counters[kCounters];
std::array<wasm::CmpRecord, kCmpSlots> g_cmps;
std::array<uint64_t, kCounters / 64> g_seen;  // one bit per counter ever non-zero
uint32_t g_edges = 0;

// Marks the non-zero counters in [begin, begin + size) as seen.
void NoteLine(size_t begin, size_t size) {
  for (size_t w = begin / 8; w < (begin + size) / 8; ++w) {
    uint64_t v;
    std::memcpy(&v, g_counters + w * 8, 8);
    if (v == 0) continue;
    for (int b = 0; b < 8; ++b) {
      if (((v >> (b * 8)) & 0xff) == 0) continue;
      size_t i = w * 8 + b;
      uint64_t bit = uint64_t{1} << (i % 64);
      if ((g_seen[i / 64] & bit) == 0) {
        g_seen[i / 64] |= bit;
        ++g_edges;
      }
    }
  }
}

}  // namespace

CoverageArrays LibFuzzerArrays() { return {std::span<uint8_t>(g_counters, kCounters), std::span(g_cmps)}; }

void FeedCompares(bool feed) {
  // libFuzzer's compare hooks are built for CPUs with POPCNT (every x86-64
  // since 2008, but not QEMU's default model): without it they would die
  // of SIGILL, so the mutator goes without compare hints there.
  static const bool kPopcnt = __builtin_cpu_supports("popcnt");
  feed = feed && kPopcnt;
  for (wasm::CmpRecord& r : g_cmps) {
    if (r.site == 0) continue;
    // Compares against zero teach the mutator nothing it does not try anyway.
    if (feed && r.a != r.b && r.a != 0 && r.b != 0) {
      if (r.size == 4) {
        __sanitizer_cov_trace_cmp4(static_cast<uint32_t>(r.a), static_cast<uint32_t>(r.b));
      } else {
        __sanitizer_cov_trace_cmp8(r.a, r.b);
      }
    }
    r = wasm::CmpRecord();
  }
}

uint32_t NoteEdges() {
  // Most of the map is zero after an input: skip it a cache line at a time.
  constexpr size_t kLine = 64;
  for (size_t line = 0; line < kCounters; line += kLine) {
    uint64_t any = 0;
    for (size_t i = 0; i < kLine; i += 8) {
      uint64_t v;
      std::memcpy(&v, g_counters + line + i, 8);
      any |= v;
    }
    if (any != 0) NoteLine(line, kLine);
  }
  return g_edges;
}

int RunLibFuzzer(const std::vector<std::string>& args, int (*callback)(const uint8_t*, size_t)) {
  // libFuzzer keeps argv for its lifetime (and may re-read it): static storage.
  static std::vector<std::string> storage;
  static std::vector<char*> argv;
  storage = args;
  argv.clear();
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(storage.size());
  char** p = argv.data();
  return LLVMFuzzerRunDriver(&argc, &p, callback);
}

}  // namespace palisade::cli::fuzz
