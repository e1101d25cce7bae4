// The ELF loader refuses every malformed image with a reason.
#include "vmm/elf_image.h"

#include <elf.h>

#include <cstring>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/embedded_images.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;

constexpr ElfLoadWindow kWindow{0x100000, 0x100000 + (64u << 20)};

std::vector<uint8_t> Image() {
  auto img = TestGuestImage();
  return {img.begin(), img.end()};
}

Elf64_Ehdr& Header(std::vector<uint8_t>& f) { return *reinterpret_cast<Elf64_Ehdr*>(f.data()); }
Elf64_Phdr& Phdr(std::vector<uint8_t>& f, int i) {
  return reinterpret_cast<Elf64_Phdr*>(f.data() + Header(f).e_phoff)[i];
}
int FirstLoad(std::vector<uint8_t>& f, bool writable) {
  for (int i = 0; i < Header(f).e_phnum; ++i) {
    if (Phdr(f, i).p_type == PT_LOAD && ((Phdr(f, i).p_flags & PF_W) != 0) == writable) return i;
  }
  return -1;
}

std::string ParseError(const std::vector<uint8_t>& f) {
  auto r = ElfImage::Parse(f, kWindow);
  if (r.ok()) return "accepted";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(ElfImage, ParsesTheEmbeddedGuests) {
  for (auto bytes : {ProductionGuestImage(), TestGuestImage()}) {
    auto img = ElfImage::Parse(bytes, kWindow);
    ASSERT_TRUE(img.ok()) << img.status();
    EXPECT_EQ(img->begin(), 0x100000u);
    EXPECT_GE(img->segments().size(), 2u);
    EXPECT_TRUE(img->segments().front().executable);
    const ElfSymbol* start = img->FindFunction(img->entry());
    ASSERT_NE(start, nullptr);
    EXPECT_EQ(start->name, "_start");
  }
}

TEST(ElfImage, RefusesTruncatedFiles) {
  auto f = Image();
  for (size_t n : {0ul, 1ul, 63ul}) {
    EXPECT_THAT(ParseError({f.begin(), f.begin() + static_cast<long>(n)}),
                HasSubstr("shorter than an ELF header"));
  }
  // Cut inside the segments.
  EXPECT_THAT(ParseError({f.begin(), f.begin() + 0x1100}), HasSubstr("outside the"));
}

TEST(ElfImage, RefusesBadIdentification) {
  auto f = Image();
  f[0] = 0;
  EXPECT_THAT(ParseError(f), HasSubstr("no ELF magic"));
  f = Image();
  f[EI_CLASS] = ELFCLASS32;
  EXPECT_THAT(ParseError(f), HasSubstr("not a 64-bit ELF"));
  f = Image();
  f[EI_DATA] = ELFDATA2MSB;
  EXPECT_THAT(ParseError(f), HasSubstr("little-endian"));
  f = Image();
  Header(f).e_machine = EM_AARCH64;
  EXPECT_THAT(ParseError(f), HasSubstr("not x86-64"));
  f = Image();
  Header(f).e_type = ET_DYN;
  EXPECT_THAT(ParseError(f), HasSubstr("ET_EXEC"));
}

TEST(ElfImage, RefusesProgramHeadersOutOfBounds) {
  auto f = Image();
  Header(f).e_phoff = f.size() - 8;
  EXPECT_THAT(ParseError(f), HasSubstr("program headers"));
  f = Image();
  Header(f).e_phoff = ~uint64_t{0} - 16;  // offset + size overflows
  EXPECT_THAT(ParseError(f), HasSubstr("program headers"));
  f = Image();
  Header(f).e_phnum = 0;
  EXPECT_THAT(ParseError(f), HasSubstr("0 program headers"));
  f = Image();
  Header(f).e_phentsize = 12;
  EXPECT_THAT(ParseError(f), HasSubstr("program header size"));
}

TEST(ElfImage, RefusesSegmentsOutsideTheFile) {
  auto f = Image();
  int i = FirstLoad(f, false);
  Phdr(f, i).p_offset = ~uint64_t{0} - 4;
  EXPECT_THAT(ParseError(f), HasSubstr("outside the"));
  f = Image();
  Phdr(f, i).p_filesz = Phdr(f, i).p_memsz + 1;
  EXPECT_THAT(ParseError(f), HasSubstr("exceeds memory size"));
}

TEST(ElfImage, RefusesSegmentsOutsideTheLoadWindow) {
  auto f = Image();
  int i = FirstLoad(f, false);
  Phdr(f, i).p_vaddr = 0x1000;  // would overwrite the system area
  EXPECT_THAT(ParseError(f), HasSubstr("outside the load window"));
  f = Image();
  Phdr(f, i).p_memsz = ~uint64_t{0} - 0x1000;  // vaddr + memsz wraps
  Phdr(f, i).p_filesz = 0;
  EXPECT_THAT(ParseError(f), HasSubstr("outside the load window"));
  f = Image();
  Phdr(f, i).p_vaddr += 1;
  EXPECT_THAT(ParseError(f), HasSubstr("not page-aligned"));
}

TEST(ElfImage, RefusesWritableAndExecutableSegments) {
  auto f = Image();
  int i = FirstLoad(f, false);
  Phdr(f, i).p_flags = (Phdr(f, i).p_flags & ~PALISADE_ABI_PF_RING0) | PF_W;
  EXPECT_THAT(ParseError(f), HasSubstr("W^X"));
}

TEST(ElfImage, FindsTheRingZeroSegment) {
  auto image = ElfImage::Parse(Image(), kWindow);
  ASSERT_TRUE(image.ok()) << image.status();
  const ElfSegment* ring0 = image->ring0_segment();
  ASSERT_NE(ring0, nullptr);
  EXPECT_TRUE(ring0->executable);
  EXPECT_FALSE(ring0->writable);
  EXPECT_EQ(ring0->vaddr, abi::kImageBase);  // guest.ld puts it first
  EXPECT_NE(image->entry(), ring0->vaddr);
}

TEST(ElfImage, RefusesABadRingZeroSegment) {
  auto f = Image();
  int ring0 = FirstLoad(f, false);
  ASSERT_NE(Phdr(f, ring0).p_flags & PALISADE_ABI_PF_RING0, 0u);
  Phdr(f, ring0).p_flags |= PF_W;
  EXPECT_THAT(ParseError(f), HasSubstr("ring-0 code but not read+execute only"));
  // A second ring-0 segment: the text segment marked too.
  f = Image();
  for (int i = 0; i < Header(f).e_phnum; ++i) {
    Elf64_Phdr& ph = Phdr(f, i);
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0) ph.p_flags |= PALISADE_ABI_PF_RING0;
  }
  EXPECT_THAT(ParseError(f), ::testing::AnyOf(HasSubstr("more than one ring-0 segment"),
                                              HasSubstr("entry point")));
}

TEST(ElfImage, RefusesOverlappingSegments) {
  auto f = Image();
  int ro = FirstLoad(f, false);
  int rw = FirstLoad(f, true);
  Phdr(f, rw).p_vaddr = Phdr(f, ro).p_vaddr;
  EXPECT_THAT(ParseError(f), HasSubstr("share a page"));
}

TEST(ElfImage, RefusesDynamicImages) {
  auto f = Image();
  Phdr(f, FirstLoad(f, true)).p_type = PT_INTERP;
  EXPECT_THAT(ParseError(f), HasSubstr("dynamic linking"));
}

TEST(ElfImage, RefusesEntryOutsideCode) {
  auto f = Image();
  Header(f).e_entry = Phdr(f, FirstLoad(f, true)).p_vaddr;
  EXPECT_THAT(ParseError(f), HasSubstr("entry point"));
  Header(f).e_entry = 0;
  EXPECT_THAT(ParseError(f), HasSubstr("entry point"));
}

TEST(ElfImage, RefusesBrokenSymbolTables) {
  auto f = Image();
  Header(f).e_shoff = f.size();
  EXPECT_THAT(ParseError(f), HasSubstr("section headers"));
  f = Image();
  auto* sh = reinterpret_cast<Elf64_Shdr*>(f.data() + Header(f).e_shoff);
  for (int i = 0; i < Header(f).e_shnum; ++i) {
    if (sh[i].sh_type == SHT_SYMTAB) sh[i].sh_size = f.size();
  }
  EXPECT_THAT(ParseError(f), HasSubstr("symbol table"));
}

TEST(ElfImage, NeverCrashesOnCorruptBytes) {
  // Flip each byte of the headers in turn: every result is either a clean
  // parse or a clean error (ASan/UBSan builds check the "clean").
  const auto base = Image();
  const size_t headers = sizeof(Elf64_Ehdr) + 8 * sizeof(Elf64_Phdr);
  for (size_t i = 0; i < headers; ++i) {
    auto f = base;
    f[i] ^= 0xff;
    (void)ElfImage::Parse(f, kWindow);
  }
}

}  // namespace
}  // namespace palisade
