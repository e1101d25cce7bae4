// Serializes host directories into the FsImage a WASI program sees
// (`--dir HOST::GUEST[:rw]`), within caps on total size and entry count.
// Regular files and directories are copied; symbolic links, devices, sockets
// and FIFOs are left out (and listed in `skipped`). Every name below HOST is
// opened relative to its parent's descriptor with O_NOFOLLOW, so a link
// swapped in while the image is built is refused, never followed: nothing
// outside HOST is ever read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace palisade::cli {

struct Preopen {
  std::string host;       // a directory on this machine
  std::string guest;      // the name the program sees, e.g. "/data" or "."
  bool writable = false;  // ":rw": the program's changes are applied to host
};

// Parses "HOST::GUEST", "HOST::GUEST:rw", "HOST::GUEST:ro" (or just "HOST",
// seen under the same name, read-only).
absl::StatusOr<Preopen> ParsePreopen(const std::string& spec);

struct FsImageLimits {
  uint64_t max_bytes = 256ull << 20;  // file contents plus names
  uint32_t max_entries = 100000;
  // What the tree may grow to while the program runs (written to the image
  // header; the engine answers ENOSPC beyond them).
  uint64_t max_tree_bytes = 1ull << 30;
  uint32_t max_tree_entries = 100000;
};

// `skipped`, if given, receives the host paths left out (links, devices...).
absl::StatusOr<std::vector<uint8_t>> BuildFsImage(const std::vector<Preopen>& preopens,
                                                  const FsImageLimits& limits = FsImageLimits(),
                                                  std::vector<std::string>* skipped = nullptr);

// The --dir options, and the FsImage built from them (empty when there are
// none; what was left out, such as symbolic links, is named on stderr).
absl::StatusOr<std::vector<Preopen>> ParsePreopens(const std::vector<std::string>& dirs);
absl::StatusOr<std::vector<uint8_t>> BuildPreopens(const std::vector<Preopen>& preopens,
                                                   const FsImageLimits& limits = FsImageLimits());
bool AnyWritable(const std::vector<Preopen>& preopens);

}  // namespace palisade::cli
