#include "tests/support/proc_inspect.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace palisade::testing {
namespace fs = std::filesystem;

std::vector<std::string> OpenFdTargets(pid_t pid) {
  std::vector<std::string> targets;
  std::error_code ec;
  const fs::path dir = "/proc/" + std::to_string(pid) + "/fd";
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    char buf[4096];
    const ssize_t n = ::readlink(it->path().c_str(), buf, sizeof buf - 1);
    if (n > 0) targets.emplace_back(buf, static_cast<size_t>(n));  // an fd closed meanwhile is skipped
  }
  std::sort(targets.begin(), targets.end());
  return targets;
}

size_t CountContaining(const std::vector<std::string>& targets, std::string_view part) {
  return static_cast<size_t>(std::count_if(targets.begin(), targets.end(), [part](const std::string& t) {
    return t.find(part) != std::string::npos;
  }));
}

std::vector<std::string> MemfdMappings(pid_t pid) {
  std::vector<std::string> lines;
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(in, line);) {
    if (line.find("/memfd:") != std::string::npos) lines.push_back(line);
  }
  return lines;
}

uint64_t StatusKib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream value(line.substr(field.size() + 1));
      uint64_t kib = 0;
      value >> kib;
      return kib;
    }
  }
  return 0;
}

bool ProcessExists(pid_t pid) {
  std::error_code ec;
  return fs::exists("/proc/" + std::to_string(pid), ec);
}

std::vector<pid_t> ThreadIds(pid_t pid) {
  std::vector<pid_t> tids;
  std::error_code ec;
  for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end; !ec && it != end;
       it.increment(ec)) {
    tids.push_back(static_cast<pid_t>(std::stol(it->path().filename().string())));
  }
  return tids;
}

std::optional<std::vector<std::string>> KvmDebugfsVms(const std::vector<pid_t>& tids) {
  std::error_code ec;
  fs::directory_iterator it("/sys/kernel/debug/kvm", ec);
  if (ec) return std::nullopt;
  std::vector<std::string> vms;
  for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t dash = name.find('-');
    if (dash == std::string::npos || dash == 0) continue;  // KVM's own statistics files
    const std::string tid = name.substr(0, dash);
    for (pid_t t : tids) {
      if (tid == std::to_string(t)) vms.push_back(name);
    }
  }
  std::sort(vms.begin(), vms.end());
  return vms;
}

}  // namespace palisade::testing
