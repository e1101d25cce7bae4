// A run's change set, as the guest handed it over (wasm/wasi/fs_changes.h),
// turned into the API's FileChanges. The bytes come from the guest, so they
// are validated whole, as `palisade run` does before applying them.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "palisade/v1/palisade.pb.h"
#include "server/request_dirs.h"

namespace palisade::server {

// RunWasiStream's pieces of a written file: at most this much contents per
// event, so a large file never needs one giant message.
inline constexpr size_t kChangePieceBytes = 1 << 20;

struct ReturnedChanges {
  std::vector<v1::FileChange> changes;
  bool too_large = false;  // contents over the limit: `changes` left empty
  uint64_t bytes = 0;      // contents of the files written
};

// `dirs` are the request's (a change's root is its index there). INTERNAL
// when the set is malformed or touches a directory that is not writable: the
// guest broke the ABI, and nothing of it is returned.
absl::StatusOr<ReturnedChanges> ChangesFromGuest(const std::vector<uint8_t>& set, const Directories& dirs,
                                                 uint64_t max_bytes);

// RunWasiStream's form of `change`: pieces of at most `piece` bytes of
// contents, each with its offset (one piece for anything but a large file).
void ForEachPiece(const v1::FileChange& change, size_t piece, const std::function<void(v1::FileChange)>& fn);

}  // namespace palisade::server
