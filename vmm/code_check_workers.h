// Threads that share the code check of a large buffer (code_check.h).
//
// They are started explicitly and never implicitly: the check runs on the
// vCPU thread, whose seccomp filter does not let it make threads, so a
// command starts the workers while it still may (before it confines
// itself), and the thread that is about to confine itself can confine the
// workers the same way (ConfineEach). Without workers the check runs on
// the calling thread alone, as before.
//
// Process-wide; the workers live until the process ends.
#pragma once

#include <cstddef>
#include <functional>

#include "absl/status/status.h"

namespace palisade {

// Starts up to `count` workers (at most kMaxCodeCheckWorkers; once per
// process: a second call starts only what the first left out).
absl::Status StartCodeCheckWorkers(size_t count);

// One worker fewer than the machine has cores (the calling thread is the
// other), at most kMaxCodeCheckWorkers; 0 on one core. The environment
// variable PALISADE_CHECK_WORKERS=N overrides it (0: the check on the
// calling thread only).
size_t CodeCheckWorkersForThisMachine();

inline constexpr size_t kMaxCodeCheckWorkers = 7;

// How many workers run.
size_t CodeCheckWorkerCount();

// Runs `step` on every worker, each on its own thread, and returns the
// first failure (every worker runs it regardless). For installing the
// vCPU thread's seccomp filter on the workers too: they read what the
// guest hands over, exactly as the vCPU thread would.
absl::Status ConfineCodeCheckWorkers(const std::function<absl::Status()>& step);

// Runs task(0) .. task(n - 1), each exactly once, on the calling thread and
// on whichever workers are idle; returns when all have run. Busy or absent
// workers only make it slower: the caller takes every task nobody else did.
void ForEachOnCodeCheckWorkers(size_t n, const std::function<void(size_t)>& task);

}  // namespace palisade
