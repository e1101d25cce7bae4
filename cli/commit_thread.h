// Applies a micro-VM run's change set (cli/fs_commit.h) from a thread of its
// own. `palisade run` narrows the thread that runs the vCPU to the `vcpu`
// seccomp filter, which allows no file system calls; this thread, started
// before that, keeps the process's `palisade-cli-rw` filter, which allows
// exactly what a commit needs.
#pragma once

#include <cstdint>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "cli/fs_image_builder.h"

namespace palisade::cli {

class CommitThread {
 public:
  explicit CommitThread(std::vector<Preopen> preopens);
  ~CommitThread();  // a thread never given a change set ends without one
  CommitThread(const CommitThread&) = delete;
  CommitThread& operator=(const CommitThread&) = delete;

  // Hands the change set over and waits until it is applied. Once only.
  absl::Status Apply(std::vector<uint8_t> changes);

 private:
  std::promise<std::optional<std::vector<uint8_t>>> input_;
  std::future<absl::Status> output_;
  bool given_ = false;
  std::thread thread_;
};

}  // namespace palisade::cli
