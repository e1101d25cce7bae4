#include "wasm/wasi/fs_image_writer.h"

namespace palisade::wasm::wasi {

FsImageAdd FsImageWriter::Add(uint32_t parent, FsType type, const char* name, size_t len, uint64_t size,
                              uint64_t mtime_ns, uint32_t* index) {
  if (entries_.size() >= max_entries_) return FsImageAdd::kTooManyEntries;
  const uint64_t used = bytes();
  if (used > max_bytes_ || len > max_bytes_ - used || size > max_bytes_ - used - len) {
    return FsImageAdd::kTooManyBytes;
  }
  FsEntry e{};
  e.parent = parent;
  e.type = type;
  e.name_offset = static_cast<uint32_t>(names_.size());
  e.name_len = static_cast<uint32_t>(len);
  e.size = size;
  e.mtime_ns = mtime_ns;
  if (type == FsType::kFile) e.data_offset = data_.size();
  if (!names_.append(name, len) || !entries_.push_back(e)) return FsImageAdd::kOutOfMemory;
  if (index != nullptr) *index = static_cast<uint32_t>(entries_.size() - 1);
  return FsImageAdd::kOk;
}

FsImageAdd FsImageWriter::AddRoot(const char* guest, size_t len, bool writable, uint32_t* index) {
  if (roots_ != entries_.size()) return FsImageAdd::kOutOfMemory;  // a caller's bug: roots come first
  uint32_t i = 0;
  const FsImageAdd r = Add(kNoParent, FsType::kDirectory, guest, len, 0, 0, &i);
  if (r != FsImageAdd::kOk) return r;
  entries_[i].flags = writable ? kFsWritable : 0;
  ++roots_;
  if (index != nullptr) *index = i;
  return r;
}

FsImageAdd FsImageWriter::AddDirectory(uint32_t parent, const char* name, size_t len, uint64_t mtime_ns,
                                       uint32_t* index) {
  return Add(parent, FsType::kDirectory, name, len, 0, mtime_ns, index);
}

FsImageAdd FsImageWriter::AddFile(uint32_t parent, const char* name, size_t len, uint64_t size, uint64_t mtime_ns,
                                  uint8_t** contents) {
  const FsImageAdd r = Add(parent, FsType::kFile, name, len, size, mtime_ns, nullptr);
  if (r != FsImageAdd::kOk) return r;
  const size_t start = data_.size();
  const size_t want = start + size;
  // Doubling: one file at a time must not copy the image over and over.
  const size_t doubled = data_.capacity() * 2 > want ? data_.capacity() * 2 : want;
  if ((want > data_.capacity() && !data_.reserve(doubled) && !data_.reserve(want)) || !data_.resize(want)) {
    entries_.pop_back();
    return FsImageAdd::kOutOfMemory;
  }
  *contents = data_.data() + start;
  return r;
}

void FsImageWriter::ShrinkLastFile(uint64_t size) {
  FsEntry& e = entries_.back();
  if (size >= e.size) return;
  data_.shrink(e.data_offset + size);
  e.size = size;
}

bool FsImageWriter::Finish(uint64_t max_tree_bytes, uint32_t max_tree_entries, Vec<uint8_t>* out) const {
  FsImageHeader h{};
  h.magic = kFsImageMagic;
  h.entry_count = static_cast<uint32_t>(entries_.size());
  h.root_count = roots_;
  h.names_offset = sizeof(h) + entries_.size() * sizeof(FsEntry);
  h.names_size = names_.size();
  h.data_offset = h.names_offset + names_.size();
  h.data_size = data_.size();
  h.max_tree_bytes = max_tree_bytes;
  h.max_tree_entries = max_tree_entries;
  out->clear();
  return out->reserve(h.data_offset + data_.size()) &&
         out->append(reinterpret_cast<const uint8_t*>(&h), sizeof(h)) &&
         out->append(reinterpret_cast<const uint8_t*>(entries_.data()), entries_.size() * sizeof(FsEntry)) &&
         out->append(reinterpret_cast<const uint8_t*>(names_.data()), names_.size()) &&
         out->append(data_.data(), data_.size());
}

}  // namespace palisade::wasm::wasi
