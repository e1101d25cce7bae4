// `palisade --server ADDR run --dir HOST::GUEST[:rw]`: the host directories
// travel in the request as Directory data and the run's FileChanges are
// applied beneath them here. Reading and applying are the local run's own
// code (cli/fs_image_builder.h walks HOST without following a link,
// cli/fs_commit.h applies with openat2 beneath it); this file only converts.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "cli/fs_image_builder.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "palisade/v1/palisade.pb.h"

namespace palisade::cli {

// The directories of `image` (BuildFsImage's output) as request data, in
// root order.
absl::Status DirectoriesFromImage(const std::vector<uint8_t>& image,
                                  google::protobuf::RepeatedPtrField<v1::Directory>* out);

// Joins RunWasiStream's change events: a file sent in pieces becomes one
// FileChange again. The server is checked, not trusted: a piece out of
// order or past the file's size is an error.
class ChangeCollector {
 public:
  absl::Status Add(v1::FileChange piece);
  // The changes, once every file is whole (else an error).
  absl::StatusOr<std::vector<v1::FileChange>> Take();

 private:
  std::vector<v1::FileChange> changes_;
};

// Applies `changes` beneath `preopens` (a change's guest_path names one)
// with the local commit; nothing is applied if any names a directory that
// is not a writable --dir, or is malformed.
absl::Status ApplyReturnedChanges(const std::vector<v1::FileChange>& changes, const std::vector<Preopen>& preopens);

}  // namespace palisade::cli
