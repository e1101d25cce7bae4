// Runs the commands of one wast2json file against the engine, in process or
// in a micro-VM (spec_backend.h).
#pragma once

#include <ostream>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "cli/spec/spec_backend.h"

namespace palisade::spec {

struct SpecCounts {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

struct SpecOptions {
  bool verbose = false;
  // "file.json:LINE" entries whose failure is known; they still count as
  // failed but are reported as expected.
  std::set<std::string> expected_failures;
};

// Runs every command of `json_path` on `backend` (reset first). Failures are printed to `out` as
// "FILE:LINE: command: expected / got". Returns an error only when the file
// itself cannot be read or parsed.
absl::Status RunSpecFile(const std::string& json_path, const SpecOptions& options,
                         SpecBackend& backend, SpecCounts* counts, std::set<std::string>* failures,
                         std::ostream& out);

}  // namespace palisade::spec
