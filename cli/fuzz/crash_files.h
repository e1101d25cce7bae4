// Saving what a fuzzer found: the input as <dir>/crash-<sha1 of the input>
// (libFuzzer's naming, so its tools and habits apply) and the one-line
// reason beside it as crash-<sha1>.txt.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace palisade::cli::fuzz {

std::string Sha1Hex(std::span<const uint8_t> bytes);

// Returns the input's path. Writes to a temporary name and renames, so a
// crash file is never seen half-written.
absl::StatusOr<std::string> SaveCrash(const std::string& dir, std::span<const uint8_t> input,
                                      const std::string& reason);

}  // namespace palisade::cli::fuzz
