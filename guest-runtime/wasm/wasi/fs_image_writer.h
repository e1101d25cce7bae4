// The one serializer of FsImages (fs_image.h): `palisade run --dir` fills it
// from host directories (cli/fs_image_builder), palisaded from a request's
// directories (server/request_dirs). Keeping one writer means the image the
// engine validates has one producer to get right. It enforces the caps on
// what the image may hold; callers word the errors for their users.
//
// Order is the caller's: every root first, then each entry after its
// parent (a directory already added).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wasm/support/vec.h"
#include "wasm/wasi/fs_image.h"

namespace palisade::wasm::wasi {

enum class FsImageAdd { kOk, kTooManyEntries, kTooManyBytes, kOutOfMemory };

class FsImageWriter {
 public:
  // `max_bytes`: file contents plus names; `max_entries`: roots included.
  FsImageWriter(uint64_t max_bytes, uint32_t max_entries) : max_bytes_(max_bytes), max_entries_(max_entries) {}

  // A preopened directory named [guest, guest + len) ("/data", ".").
  FsImageAdd AddRoot(const char* guest, size_t len, bool writable, uint32_t* index);
  FsImageAdd AddDirectory(uint32_t parent, const char* name, size_t len, uint64_t mtime_ns, uint32_t* index);
  // Reserves `size` bytes of contents and points `*contents` at them (valid
  // until the next Add); ShrinkLastFile keeps fewer if fewer arrived.
  FsImageAdd AddFile(uint32_t parent, const char* name, size_t len, uint64_t size, uint64_t mtime_ns,
                     uint8_t** contents);
  void ShrinkLastFile(uint64_t size);

  uint32_t entries() const { return static_cast<uint32_t>(entries_.size()); }
  uint64_t bytes() const { return names_.size() + data_.size(); }

  // The image, with the bounds the tree may grow to while the program runs.
  // False when out of memory.
  [[nodiscard]] bool Finish(uint64_t max_tree_bytes, uint32_t max_tree_entries, Vec<uint8_t>* out) const;

 private:
  FsImageAdd Add(uint32_t parent, FsType type, const char* name, size_t len, uint64_t size, uint64_t mtime_ns,
                 uint32_t* index);

  uint64_t max_bytes_;
  uint32_t max_entries_;
  uint32_t roots_ = 0;
  Vec<FsEntry> entries_;
  Vec<char> names_;
  Vec<uint8_t> data_;
};

}  // namespace palisade::wasm::wasi
