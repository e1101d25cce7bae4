// Serializes host directories into the read-only FsImage a WASI program
// sees (`--dir HOST::GUEST`), within caps on total size and entry count.
// Regular files and directories are copied; symbolic links, devices, sockets
// and FIFOs are left out, so nothing outside HOST is ever reachable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace palisade::cli {

struct Preopen {
  std::string host;   // a directory on this machine
  std::string guest;  // the name the program sees, e.g. "/data" or "."
};

// Parses "HOST::GUEST" (or just "HOST", seen under the same name).
absl::StatusOr<Preopen> ParsePreopen(const std::string& spec);

struct FsImageLimits {
  uint64_t max_bytes = 256ull << 20;  // file contents plus names
  uint32_t max_entries = 100000;
};

absl::StatusOr<std::vector<uint8_t>> BuildFsImage(const std::vector<Preopen>& preopens,
                                                  const FsImageLimits& limits = FsImageLimits());

}  // namespace palisade::cli
