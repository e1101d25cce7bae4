// The section-header walk that sizes a micro-VM: it finds the code and data
// sections and the first memory (defined or imported), and on damaged bytes
// answers with what it read before the damage instead of failing.
#include "wasm/binary/footprint.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/wasm/module_builder.h"

namespace palisade::wasm {
namespace {

using testing::Bytes;
using testing::Header;

void Section(Bytes& m, uint8_t id, const Bytes& payload) { testing::AppendSection(&m, id, payload); }

ModuleFootprint Measure(const Bytes& m) { return MeasureFootprint(m.data(), m.size()); }

TEST(Footprint, FindsCodeDataAndTheDefinedMemory) {
  Bytes m = Header();
  Section(m, 1, {0x01, 0x60, 0x00, 0x00});     // type: () -> ()
  Section(m, 5, {0x01, 0x01, 0x11, 0xe4, 0x00});  // memory: min 17, max 100
  Section(m, 10, Bytes(300, 0x00));           // code: 300 bytes of payload
  Section(m, 11, Bytes(9, 0x00));             // data
  Section(m, 0, {0x04, 'n', 'a', 'm', 'e'});    // custom
  const ModuleFootprint f = Measure(m);
  EXPECT_TRUE(f.well_formed);
  EXPECT_EQ(f.module_bytes, m.size());
  EXPECT_EQ(f.code_bytes, 300u);
  EXPECT_EQ(f.data_bytes, 9u);
  EXPECT_EQ(f.initial_memory_pages, 17u);
}

TEST(Footprint, ReadsAnImportedMemoryPastOtherImports) {
  Bytes m = Header();
  Section(m, 2, {0x03,
                 0x01, 'e', 0x01, 'f', 0x00, 0x00,                    // a function
                 0x01, 'e', 0x01, 't', 0x01, 0x70, 0x00, 0x02,        // a table, min 2
                 0x03, 'e', 'n', 'v', 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, 0x80, 0x02});  // memory, min 256
  EXPECT_EQ(Measure(m).initial_memory_pages, 256u);
  EXPECT_TRUE(Measure(m).well_formed);
}

TEST(Footprint, ReadsMemory64Limits) {
  Bytes m = Header();
  Section(m, 5, {0x01, 0x05, 0x81, 0x80, 0x04, 0x80, 0x80, 0x08});  // memory64, min 65537, max 131072
  EXPECT_EQ(Measure(m).initial_memory_pages, 65537u);
}

TEST(Footprint, DamagedBytesGiveWhatWasReadBeforeTheDamage) {
  Bytes m = Header();
  Section(m, 5, {0x01, 0x00, 0x03});
  Section(m, 10, Bytes(200, 0x00));
  Bytes cut(m.begin(), m.end() - 50);  // the code section runs past the end
  const ModuleFootprint f = Measure(cut);
  EXPECT_FALSE(f.well_formed);
  EXPECT_EQ(f.initial_memory_pages, 3u);
  EXPECT_EQ(f.code_bytes, 0u);

  EXPECT_FALSE(Measure({}).well_formed);
  EXPECT_FALSE(Measure({'\x7f', 'E', 'L', 'F', 0, 0, 0, 0}).well_formed);
  Bytes huge_count = Header();
  Section(huge_count, 2, {0xff, 0xff, 0xff, 0xff, 0x0f});  // 2^32-1 imports, none there
  EXPECT_EQ(Measure(huge_count).initial_memory_pages, 0u);
  Bytes bad_leb = Header();
  bad_leb.insert(bad_leb.end(), {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  EXPECT_FALSE(Measure(bad_leb).well_formed);
}

}  // namespace
}  // namespace palisade::wasm
