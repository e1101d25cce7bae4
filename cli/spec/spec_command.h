// `palisade spec`: runs wast2json output of the WebAssembly spec tests.
#pragma once

#include <string>
#include <vector>

namespace palisade::cli {

struct SpecCommandOptions {
  bool in_process = false;
  bool in_vm = false;
  bool verbose = false;
  bool coverage_probes = false;  // --in-process only: compile with palisade fuzz's probes
  std::string engine = "compiler";  // or "interpreter"
  std::string expected_failures;  // file of "file.json:LINE" lines
  std::vector<std::string> files;
};

// Prints one line per failure and `spec: N passed, N failed, N skipped`;
// returns 0 iff nothing failed (or, with an expected-failures file, iff
// every failure is listed there).
int RunSpecCommand(const SpecCommandOptions& options);

}  // namespace palisade::cli
