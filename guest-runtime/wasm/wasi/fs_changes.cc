#include "wasm/wasi/fs_changes.h"

namespace palisade::wasm::wasi {

namespace {

bool Within(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

}  // namespace

bool IsCleanRelativePath(const char* p, uint64_t n) {
  if (n == 0) return false;
  uint64_t start = 0;
  for (uint64_t i = 0; i <= n; ++i) {
    if (i < n && p[i] == '\0') return false;
    if (i < n && p[i] != '/') continue;
    const uint64_t len = i - start;
    if (len == 0 || (len == 1 && p[start] == '.') || (len == 2 && p[start] == '.' && p[start + 1] == '.')) {
      return false;
    }
    start = i + 1;
  }
  return true;
}

bool FsChanges::Init(const uint8_t* data, size_t size) {
  *this = FsChanges();
  if (data == nullptr || size < sizeof(FsChangesHeader) ||
      reinterpret_cast<uintptr_t>(data) % alignof(FsChangesHeader) != 0) {
    return false;
  }
  FsChangesHeader h;
  __builtin_memcpy(&h, data, sizeof h);
  const uint64_t records_bytes = static_cast<uint64_t>(h.record_count) * sizeof(FsChange);
  if (h.magic != kFsChangesMagic || h.reserved != 0 || !Within(sizeof h, records_bytes, size) ||
      !Within(h.paths_offset, h.paths_size, size) || !Within(h.data_offset, h.data_size, size)) {
    return false;
  }
  const auto* changes = reinterpret_cast<const FsChange*>(data + sizeof h);
  const auto* paths = reinterpret_cast<const char*>(data + h.paths_offset);
  uint32_t last_kind = 0;
  for (uint32_t i = 0; i < h.record_count; ++i) {
    const FsChange& c = changes[i];
    const auto kind = static_cast<uint32_t>(c.kind);
    if (kind < static_cast<uint32_t>(FsChangeKind::kDelete) ||
        kind > static_cast<uint32_t>(FsChangeKind::kWriteFile) || kind < last_kind) {
      return false;
    }
    last_kind = kind;
    if (!Within(c.path_offset, c.path_size, h.paths_size) ||
        !IsCleanRelativePath(paths + c.path_offset, c.path_size)) {
      return false;
    }
    if (c.kind == FsChangeKind::kWriteFile ? !Within(c.data_offset, c.size, h.data_size)
                                           : (c.size != 0 || c.data_offset != 0)) {
      return false;
    }
  }
  changes_ = changes;
  paths_ = paths;
  data_ = data + h.data_offset;
  count_ = h.record_count;
  return true;
}

}  // namespace palisade::wasm::wasi
