// A request's directories (v1::Directory: files sent as data) as the FsImage
// the guest's engine preopens. The request is untrusted input: every path
// is checked before anything is built, and the image is written by the same
// serializer as `palisade run --dir` (wasm/wasi/fs_image_writer.h).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "palisade/v1/palisade.pb.h"

namespace palisade::server {

struct DirLimits {
  uint64_t max_bytes = 256ull << 20;  // contents plus names, all directories
  uint32_t max_entries = 100000;      // files and directories, implied ones included
  // What the writable tree may grow to while the program runs (the tenant
  // policy's wasi.max_written_bytes / max_written_entries).
  uint64_t max_tree_bytes = 1ull << 30;
  uint32_t max_tree_entries = 100000;
};

using Directories = google::protobuf::RepeatedPtrField<v1::Directory>;

// The image, or INVALID_ARGUMENT naming the directory and path at fault: a
// guest_path empty, repeated or holding NUL; a file path that is absolute,
// has an empty, "." or ".." component or a NUL, is listed twice, or lies
// under a file; a directory with contents; a negative mtime.
// RESOURCE_EXHAUSTED past `limits`.
absl::StatusOr<std::vector<uint8_t>> BuildRequestImage(const Directories& dirs, const DirLimits& limits);

bool AnyWritable(const Directories& dirs);

}  // namespace palisade::server
