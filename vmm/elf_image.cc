#include "vmm/elf_image.h"

#include <cxxabi.h>
#include <elf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_format.h"
#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/guest_memory.h"

namespace palisade {
namespace {

constexpr uint64_t kPage = 4096;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed guest image: ", what));
}

// True if [off, off + len) lies inside a file of `size` bytes (overflow-safe).
// C++ names in crash reports read better demangled.
std::string Demangle(std::string name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(
      ::abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
  return status == 0 && out != nullptr ? std::string(out.get()) : name;
}

bool InFile(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

template <typename T>
T ReadAt(std::span<const uint8_t> file, uint64_t off) {
  T v;
  std::memcpy(&v, file.data() + off, sizeof(T));
  return v;
}

}  // namespace

uint64_t ElfImage::end() const {
  const ElfSegment& last = segments_.back();
  return (last.vaddr + last.memsz + kPage - 1) & ~(kPage - 1);
}

absl::StatusOr<ElfImage> ElfImage::Parse(std::span<const uint8_t> file,
                                         ElfLoadWindow window) {
  if (file.size() < sizeof(Elf64_Ehdr)) {
    return Malformed(absl::StrFormat("%d bytes is shorter than an ELF header", file.size()));
  }
  auto eh = ReadAt<Elf64_Ehdr>(file, 0);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return Malformed("no ELF magic");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return Malformed("not a 64-bit ELF");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return Malformed("not little-endian");
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT) {
    return Malformed("unknown ELF version");
  }
  if (eh.e_machine != EM_X86_64) {
    return Malformed(absl::StrFormat("machine %d is not x86-64", eh.e_machine));
  }
  if (eh.e_type != ET_EXEC) return Malformed("not a static executable (ET_EXEC)");
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return Malformed(absl::StrFormat("program header size %d", eh.e_phentsize));
  }
  if (eh.e_phnum == 0 || eh.e_phnum > 64) {
    return Malformed(absl::StrFormat("%d program headers", eh.e_phnum));
  }
  if (!InFile(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), file.size())) {
    return Malformed(absl::StrFormat("program headers at offset %#x run past the end of the file",
                                     eh.e_phoff));
  }

  ElfImage image;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    auto ph = ReadAt<Elf64_Phdr>(file, eh.e_phoff + i * sizeof(Elf64_Phdr));
    if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) {
      return Malformed(absl::StrFormat("segment %d: dynamic linking is not supported", i));
    }
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz) {
      return Malformed(absl::StrFormat("segment %d: file size %#x exceeds memory size %#x", i,
                                       ph.p_filesz, ph.p_memsz));
    }
    if (!InFile(ph.p_offset, ph.p_filesz, file.size())) {
      return Malformed(absl::StrFormat(
          "segment %d: bytes [%#x, +%#x) lie outside the %#x-byte file", i, ph.p_offset,
          ph.p_filesz, file.size()));
    }
    if (ph.p_vaddr % kPage != 0) {
      return Malformed(absl::StrFormat("segment %d: address %#x is not page-aligned", i,
                                       ph.p_vaddr));
    }
    if (ph.p_vaddr < window.begin || ph.p_vaddr > window.end ||
        ph.p_memsz > window.end - ph.p_vaddr) {
      return Malformed(absl::StrFormat(
          "segment %d: [%#x, +%#x) is outside the load window [%#x, %#x)", i, ph.p_vaddr,
          ph.p_memsz, window.begin, window.end));
    }
    ElfSegment seg;
    seg.vaddr = ph.p_vaddr;
    seg.memsz = ph.p_memsz;
    seg.filesz = ph.p_filesz;
    seg.offset = ph.p_offset;
    seg.readable = (ph.p_flags & PF_R) != 0;
    seg.writable = (ph.p_flags & PF_W) != 0;
    seg.executable = (ph.p_flags & PF_X) != 0;
    seg.supervisor = (ph.p_flags & PALISADE_ABI_PF_RING0) != 0;
    if (seg.supervisor && (seg.writable || !seg.executable)) {
      return Malformed(absl::StrFormat(
          "segment %d at %#x is ring-0 code but not read+execute only", i, seg.vaddr));
    }
    if (seg.writable && seg.executable) {
      return Malformed(absl::StrFormat("segment %d at %#x is both writable and executable (W^X)",
                                       i, seg.vaddr));
    }
    image.segments_.push_back(seg);
  }
  if (image.segments_.empty()) return Malformed("no loadable segments");
  std::sort(image.segments_.begin(), image.segments_.end(),
            [](const ElfSegment& a, const ElfSegment& b) { return a.vaddr < b.vaddr; });
  for (size_t i = 1; i < image.segments_.size(); ++i) {
    const ElfSegment& prev = image.segments_[i - 1];
    uint64_t prev_end = (prev.vaddr + prev.memsz + kPage - 1) & ~(kPage - 1);
    if (image.segments_[i].vaddr < prev_end) {
      return Malformed(absl::StrFormat("segments at %#x and %#x share a page", prev.vaddr,
                                       image.segments_[i].vaddr));
    }
    if (prev.writable && !image.segments_[i].writable) {
      return Malformed("read-only segments must come before writable ones");
    }
  }

  bool entry_ok = false;
  int ring0_segments = 0;
  for (const ElfSegment& s : image.segments_) {
    ring0_segments += s.supervisor ? 1 : 0;
    if (s.executable && !s.supervisor && eh.e_entry >= s.vaddr && eh.e_entry - s.vaddr < s.memsz) {
      entry_ok = true;
    }
  }
  if (ring0_segments > 1) return Malformed("more than one ring-0 segment");
  if (!entry_ok) {
    return Malformed(
        absl::StrFormat("entry point %#x is not in an executable ring-3 segment", eh.e_entry));
  }
  image.entry_ = eh.e_entry;

  // Symbols are optional (a stripped image just gets no names in crash
  // reports), but if section headers are present they must be sound.
  if (eh.e_shnum != 0) {
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum > 4096 ||
        !InFile(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr), file.size())) {
      return Malformed(absl::StrFormat("section headers at offset %#x are out of bounds",
                                       eh.e_shoff));
    }
    for (unsigned i = 0; i < eh.e_shnum; ++i) {
      auto sh = ReadAt<Elf64_Shdr>(file, eh.e_shoff + i * sizeof(Elf64_Shdr));
      if (sh.sh_type != SHT_SYMTAB) continue;
      if (sh.sh_entsize != sizeof(Elf64_Sym) || !InFile(sh.sh_offset, sh.sh_size, file.size()) ||
          sh.sh_link >= eh.e_shnum) {
        return Malformed(absl::StrFormat("symbol table (section %d) is out of bounds", i));
      }
      auto strtab = ReadAt<Elf64_Shdr>(file, eh.e_shoff + sh.sh_link * sizeof(Elf64_Shdr));
      if (strtab.sh_type != SHT_STRTAB || !InFile(strtab.sh_offset, strtab.sh_size, file.size())) {
        return Malformed(absl::StrFormat("string table (section %d) is out of bounds", sh.sh_link));
      }
      const char* strings = reinterpret_cast<const char*>(file.data() + strtab.sh_offset);
      for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
        auto sym = ReadAt<Elf64_Sym>(file, sh.sh_offset + off);
        if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_name >= strtab.sh_size) continue;
        // The name must be NUL-terminated inside the string table.
        const char* name = strings + sym.st_name;
        size_t max = strtab.sh_size - sym.st_name;
        size_t len = strnlen(name, max);
        if (len == max) return Malformed("unterminated symbol name");
        image.functions_.push_back(
            ElfSymbol{Demangle(std::string(name, len)), sym.st_value, sym.st_size});
      }
    }
    std::sort(image.functions_.begin(), image.functions_.end(),
              [](const ElfSymbol& a, const ElfSymbol& b) { return a.address < b.address; });
  }
  image.file_.assign(file.begin(), file.end());
  return image;
}

void ElfImage::LoadInto(GuestMemory& memory) const {
  for (const ElfSegment& s : segments_) {
    uint8_t* dst = memory.HostAddress(s.vaddr, s.memsz);
    std::memcpy(dst, file_.data() + s.offset, s.filesz);
    std::memset(dst + s.filesz, 0, s.memsz - s.filesz);
  }
}

ElfLoadWindow GuestImageWindow() {
  constexpr uint64_t kMaxImageBytes = 64ull << 20;
  return {abi::kImageBase, abi::kImageBase + kMaxImageBytes};
}

const ElfSegment* ElfImage::ring0_segment() const {
  for (const ElfSegment& s : segments_) {
    if (s.supervisor) return &s;
  }
  return nullptr;
}

const ElfSymbol* ElfImage::FindFunction(uint64_t address) const {
  auto it = std::upper_bound(
      functions_.begin(), functions_.end(), address,
      [](uint64_t a, const ElfSymbol& s) { return a < s.address; });
  if (it == functions_.begin()) return nullptr;
  --it;
  // Symbols from assembly often have size 0; accept them as "nearest below".
  if (it->size != 0 && address - it->address >= it->size) return nullptr;
  return &*it;
}

}  // namespace palisade
