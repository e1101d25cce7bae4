// The guest image audit: the production guest passes; images with a
// forbidden instruction — the test guest, which wrecks its CPU on purpose,
// and production images patched with an MSR write or a port other than the
// hypercall port — are refused, naming the instruction and where it is.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/elf_image.h"
#include "vmm/embedded_images.h"
#include "vmm/image_audit.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;

const ElfLoadWindow kWindow = GuestImageWindow();

// The file offset of the first occurrence of `needle` in the executable segment.
size_t FindInText(const ElfImage& image, const std::vector<uint8_t>& file, std::vector<uint8_t> needle) {
  for (const ElfSegment& s : image.segments()) {
    if (!s.executable || s.supervisor) continue;
    auto begin = file.begin() + static_cast<long>(s.offset);
    auto it = std::search(begin, begin + static_cast<long>(s.filesz), needle.begin(), needle.end());
    if (it != begin + static_cast<long>(s.filesz)) return static_cast<size_t>(it - file.begin());
  }
  return 0;
}

// A copy of the production guest and the file offset of its first
// hypercall's port load, to patch: GCC emits `mov edx, 0x500` (ba 00 05 00
// 00), clang `mov dx, 0x500` (66 ba 00 05).
struct PatchableGuest {
  std::vector<uint8_t> file;
  std::optional<ElfImage> image;
  size_t port_load = 0;
  size_t port_load_size = 0;  // bytes of the instruction
  size_t port_imm = 0;        // file offset of the port's low byte
};

PatchableGuest ProductionCopy() {
  PatchableGuest g;
  std::span<const uint8_t> original = ProductionGuestImage();
  g.file.assign(original.begin(), original.end());
  auto image = ElfImage::Parse(g.file, kWindow);
  EXPECT_TRUE(image.ok()) << image.status();
  if (!image.ok()) return g;
  g.image = *std::move(image);
  g.port_load = FindInText(*g.image, g.file, {0xba, 0x00, 0x05, 0x00, 0x00});
  g.port_load_size = 5;
  g.port_imm = g.port_load + 1;
  if (g.port_load == 0) {
    g.port_load = FindInText(*g.image, g.file, {0x66, 0xba, 0x00, 0x05});
    g.port_load_size = 4;
    g.port_imm = g.port_load + 2;
  }
  EXPECT_NE(g.port_load, 0u);
  return g;
}

TEST(ImageAudit, TheProductionGuestPasses) {
  std::span<const uint8_t> bytes = ProductionGuestImage();
  auto image = ElfImage::Parse(bytes, kWindow);
  ASSERT_TRUE(image.ok()) << image.status();
  const auto start = std::chrono::steady_clock::now();
  std::vector<ImageAuditViolation> v = FindImageAuditViolations(*image, bytes);
  const auto took = std::chrono::steady_clock::now() - start;
  for (const ImageAuditViolation& x : v) ADD_FAILURE() << x.instruction << " in " << x.function << ": " << x.reason;
  EXPECT_TRUE(AuditGuestImage(*image, bytes).ok());
  std::printf("audit of the production guest (%zu bytes): %.1f ms\n", bytes.size(),
              std::chrono::duration<double, std::milli>(took).count());
}

TEST(ImageAudit, TheTestGuestIsRefused) {
  std::span<const uint8_t> bytes = TestGuestImage();
  auto image = ElfImage::Parse(bytes, kWindow);
  ASSERT_TRUE(image.ok()) << image.status();
  absl::Status s = AuditGuestImage(*image, bytes);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("refusing to boot"));
  EXPECT_THAT(std::string(s.message()), ::testing::ContainsRegex("`[a-z]+[^`]*` at 0x[0-9a-f]+"));
}

TEST(ImageAudit, AnMsrWriteIsRefusedWithItsAddressAndFunction) {
  PatchableGuest g = ProductionCopy();
  ASSERT_TRUE(g.image && g.port_load != 0);
  // Overwrite the port load with `wrmsr` and nops.
  const uint8_t patch[] = {0x0f, 0x30, 0x90, 0x90, 0x90};
  std::memcpy(g.file.data() + g.port_load, patch, g.port_load_size);
  std::vector<ImageAuditViolation> v = FindImageAuditViolations(*g.image, g.file);
  ASSERT_GE(v.size(), 1u);
  EXPECT_EQ(v[0].instruction, "wrmsr");
  EXPECT_EQ(v[0].reason, "MSR access");
  EXPECT_THAT(v[0].function, ::testing::StartsWith("palisade"));
  // ...and the `out` it guarded no longer has the port set: refused too.
  EXPECT_TRUE(std::any_of(v.begin(), v.end(), [](const ImageAuditViolation& x) {
    return x.instruction == "out dx, eax" && x.reason.find("hypercall port") != std::string::npos;
  }));
}

TEST(ImageAudit, PortIoToAnotherPortIsRefused) {
  PatchableGuest g = ProductionCopy();
  ASSERT_TRUE(g.image && g.port_load != 0);
  g.file[g.port_imm] = 0x01;  // mov (e)dx, 0x501
  absl::Status s = AuditGuestImage(*g.image, g.file);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("`out dx, eax`"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("not the hypercall port"));
}

// Ring 0 (the exception stubs) runs in KVM's emulator on PVM, which has no
// SSE: an SSE instruction there is refused even though ring 3 may use it.
TEST(ImageAudit, SseInRingZeroIsRefused) {
  PatchableGuest g = ProductionCopy();
  ASSERT_TRUE(g.image);
  const ElfSegment* ring0 = g.image->ring0_segment();
  ASSERT_NE(ring0, nullptr);
  EXPECT_TRUE(FindImageAuditViolations(*g.image, g.file).empty());
  // The stubs end with `hlt; jmp .-1` (f4 eb fd): make it `movaps xmm0, xmm0`.
  const std::vector<uint8_t> tail = {0xf4, 0xeb, 0xfd};
  auto begin = g.file.begin() + static_cast<long>(ring0->offset);
  auto at = std::search(begin, begin + static_cast<long>(ring0->filesz), tail.begin(), tail.end());
  ASSERT_NE(at, begin + static_cast<long>(ring0->filesz));
  const uint8_t sse[] = {0x0f, 0x28, 0xc0};
  std::copy(std::begin(sse), std::end(sse), at);
  std::vector<ImageAuditViolation> v = FindImageAuditViolations(*g.image, g.file);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].instruction, "movaps xmm0, xmm0");
  EXPECT_THAT(v[0].reason, HasSubstr("ring 0"));
}

// The guest runs at CPL 3: a privileged instruction in its code could only
// fault, and the audit says so before boot.
TEST(ImageAudit, HltInRingThreeIsRefused) {
  PatchableGuest g = ProductionCopy();
  ASSERT_TRUE(g.image && g.port_load != 0);
  std::memset(g.file.data() + g.port_load, 0x90, g.port_load_size);
  g.file[g.port_load] = 0xf4;  // hlt
  std::vector<ImageAuditViolation> v = FindImageAuditViolations(*g.image, g.file);
  ASSERT_GE(v.size(), 1u);
  EXPECT_EQ(v[0].instruction, "hlt");
  EXPECT_EQ(v[0].reason, "a privileged instruction in ring-3 code");
}

// The embedded production image was audited by the build (which fails
// otherwise), so boots skip the run-time audit for exactly those bytes; a
// copy, even an identical one, and any other image are still audited.
TEST(ImageAudit, OnlyTheImageAuditedAtBuildSkipsTheRunTimeAudit) {
  EXPECT_TRUE(AuditedAtBuild(ProductionGuestImage()));
  EXPECT_FALSE(AuditedAtBuild(TestGuestImage()));
  PatchableGuest copy = ProductionCopy();
  EXPECT_FALSE(AuditedAtBuild(copy.file));
  EXPECT_FALSE(AuditedAtBuild(ProductionGuestImage().first(ProductionGuestImage().size() - 1)));
}

TEST(ImageAudit, TheRulesCanBeReviewed) {
  const std::string rules = ExplainImageAuditRules();
  EXPECT_THAT(rules, HasSubstr("CPL 3"));
  EXPECT_THAT(rules, HasSubstr("allow hlt"));
  EXPECT_THAT(rules, HasSubstr("ring 0: after the fault report"));
  EXPECT_THAT(rules, HasSubstr("no SSE"));
  EXPECT_THAT(rules, HasSubstr("wrmsr"));
}

}  // namespace
}  // namespace palisade
