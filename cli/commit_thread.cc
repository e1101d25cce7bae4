#include "cli/commit_thread.h"

#include <utility>

#include "cli/fs_commit.h"

namespace palisade::cli {

CommitThread::CommitThread(std::vector<Preopen> preopens) {
  std::promise<absl::Status> result;
  output_ = result.get_future();
  thread_ = std::thread([in = input_.get_future(), out = std::move(result), p = std::move(preopens)]() mutable {
    std::optional<std::vector<uint8_t>> changes = in.get();
    out.set_value(changes.has_value() ? ApplyFsChanges(*changes, p) : absl::OkStatus());
  });
}

CommitThread::~CommitThread() {
  if (!given_) input_.set_value(std::nullopt);
  thread_.join();
}

absl::Status CommitThread::Apply(std::vector<uint8_t> changes) {
  if (given_) return absl::FailedPreconditionError("a change set was already applied");
  given_ = true;
  input_.set_value(std::move(changes));
  return output_.get();
}

}  // namespace palisade::cli
