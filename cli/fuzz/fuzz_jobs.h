// `palisade fuzz --jobs N`: N fuzzing processes (forked before any VM or
// thread exists) share one corpus directory, each reloading the others'
// finds (libFuzzer's -reload); each logs to <artifacts>/fuzz-<i>.log while
// the parent prints one status line for all of them.
#pragma once

#include "cli/fuzz/fuzz_command.h"
#include "cli/fuzz/fuzz_stats.h"

namespace palisade::cli {

// One fuzzing process (fuzz_command.cc): the whole of `palisade fuzz`
// without --jobs, publishing its counters to `stats`.
int RunFuzzWorker(const FuzzOptions& options, fuzz::FuzzStats* stats);

namespace fuzz {
int RunJobs(const FuzzOptions& options);
}  // namespace fuzz

}  // namespace palisade::cli
