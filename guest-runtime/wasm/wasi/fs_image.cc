#include "wasm/wasi/fs_image.h"

namespace palisade::wasm::wasi {

namespace {

bool Within(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

}  // namespace

bool FsImage::Init(const uint8_t* data, size_t size) {
  *this = FsImage();
  if (data == nullptr || size < sizeof(FsImageHeader) ||
      reinterpret_cast<uintptr_t>(data) % alignof(FsImageHeader) != 0) {
    return false;
  }
  FsImageHeader h;
  __builtin_memcpy(&h, data, sizeof h);
  const uint64_t entries_bytes = static_cast<uint64_t>(h.entry_count) * sizeof(FsEntry);
  if (h.magic != kFsImageMagic || h.root_count > h.entry_count ||
      !Within(sizeof h, entries_bytes, size) || !Within(h.names_offset, h.names_size, size) ||
      !Within(h.data_offset, h.data_size, size) || h.names_size > UINT32_MAX || h.reserved != 0) {
    return false;
  }
  const auto* entries = reinterpret_cast<const FsEntry*>(data + sizeof h);
  const auto* names = reinterpret_cast<const char*>(data + h.names_offset);
  for (uint32_t i = 0; i < h.entry_count; ++i) {
    const FsEntry& e = entries[i];
    if (e.type != FsType::kDirectory && e.type != FsType::kFile) return false;
    if (!Within(e.name_offset, e.name_len, h.names_size) || e.name_len == 0) return false;
    if (e.type == FsType::kFile && !Within(e.data_offset, e.size, h.data_size)) return false;
    if (e.reserved != 0 || (e.flags & ~kFsWritable) != 0) return false;
    if (i < h.root_count) {
      if (e.parent != kNoParent || e.type != FsType::kDirectory) return false;
      continue;
    }
    if (e.flags != 0) return false;  // only a root is marked writable
    // Children come after their parent, which must be a directory; a name
    // is one path component.
    if (e.parent >= i || entries[e.parent].type != FsType::kDirectory) return false;
    for (uint32_t k = 0; k < e.name_len; ++k) {
      char c = names[e.name_offset + k];
      if (c == '/' || c == '\0') return false;
    }
    if ((e.name_len == 1 && names[e.name_offset] == '.') ||
        (e.name_len == 2 && names[e.name_offset] == '.' && names[e.name_offset + 1] == '.')) {
      return false;
    }
  }
  entries_ = entries;
  names_ = names;
  data_ = data + h.data_offset;
  count_ = h.entry_count;
  roots_ = h.root_count;
  max_bytes_ = h.max_tree_bytes;
  max_entries_ = h.max_tree_entries;
  return true;
}

uint32_t FsImage::Child(uint32_t dir, const char* name, size_t len) const {
  for (uint32_t i = dir + 1; i < count_; ++i) {
    const FsEntry& e = entries_[i];
    if (e.parent == dir && e.name_len == len && __builtin_memcmp(names_ + e.name_offset, name, len) == 0) {
      return i;
    }
  }
  return kNoParent;
}

}  // namespace palisade::wasm::wasi
