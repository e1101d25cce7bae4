#include "cli/spec/spec_command.h"

#include <fstream>
#include <iostream>

#include "cli/run_command.h"
#include "cli/spec/spec_runner.h"
#include "vmm/kvm.h"

namespace palisade::cli {

int RunSpecCommand(const SpecCommandOptions& o) {
  if (o.in_vm && o.in_process) {
    std::cerr << "palisade spec: choose --in-process or --in-vm, not both\n";
    return kExitUsage;
  }
  if (o.coverage_probes && !o.in_process) {
    std::cerr << "palisade spec: --coverage-probes needs --in-process\n";
    return kExitUsage;
  }
  if (o.engine != "interpreter" && o.engine != "compiler") {
    std::cerr << "palisade spec: --engine takes interpreter or compiler\n";
    return kExitUsage;
  }
  const bool compiler = o.engine == "compiler";
  std::unique_ptr<spec::SpecBackend> backend =
      o.in_process ? spec::InProcessBackend(o.coverage_probes, compiler) : spec::VmBackend(compiler);
  if (!o.in_process) {
    if (auto kvm = Kvm::Shared(); !kvm.ok()) {
      std::cerr << "palisade spec: cannot start a micro-VM: " << kvm.status().message()
                << " (--in-process runs without one)\n";
      return kExitNoSandbox;
    }
  }
  spec::SpecOptions options;
  options.verbose = o.verbose;
  if (!o.expected_failures.empty()) {
    std::ifstream in(o.expected_failures);
    if (!in) {
      std::cerr << "palisade spec: cannot read " << o.expected_failures << "\n";
      return 2;
    }
    for (std::string line; std::getline(in, line);) {
      size_t hash = line.find('#');
      if (hash != std::string::npos) line.resize(hash);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
      if (!line.empty()) options.expected_failures.insert(line);
    }
  }
  spec::SpecCounts counts;
  std::set<std::string> failures;
  int file_errors = 0;
  for (const std::string& f : o.files) {
    absl::Status s = spec::RunSpecFile(f, options, *backend, &counts, &failures, std::cout);
    if (!s.ok()) {
      std::cerr << "palisade spec: " << s.message() << "\n";
      ++file_errors;
    }
  }
  int unexpected = 0;
  for (const std::string& f : failures) unexpected += options.expected_failures.count(f) ? 0 : 1;
  if (!o.expected_failures.empty()) {
    for (const std::string& e : options.expected_failures) {
      if (!failures.count(e)) std::cout << e << ": listed as an expected failure but passed\n";
    }
  }
  std::cout << "spec: " << counts.passed << " passed, " << counts.failed << " failed, "
            << counts.skipped << " skipped\n";
  if (compiler) std::cout << "spec: compiler tier: " << backend->TierSummary() << "\n";
  if (file_errors > 0) return 2;
  return unexpected == 0 && (counts.failed == 0 || !o.expected_failures.empty()) ? 0 : 1;
}

}  // namespace palisade::cli
