// libFuzzer used as a library (Debian's libclang-rt-14-dev,
// libclang_rt.fuzzer_no_main): it owns the corpus, the mutations, -dict,
// -runs, -max_total_time and its familiar output. The harness's edge
// counters reach it as "extra counters" (a section libFuzzer scans after
// every input), and its compares through __sanitizer_cov_trace_cmp4/8,
// which feed the table of recent compares its mutator draws magic values
// from: how a 4-byte magic number is found in seconds rather than never.
#pragma once

#include <string>
#include <vector>

#include "cli/fuzz/fuzz_target.h"

namespace palisade::cli::fuzz {

// The arrays libFuzzer reads. libFuzzer clears the counters before every
// input; the compares are cleared by FeedCompares().
CoverageArrays LibFuzzerArrays();

// Hands the compares the last input recorded to libFuzzer (unless `feed`
// is false) and clears them.
void FeedCompares(bool feed = true);

// Edges (counter indices) ever seen non-zero by this process; updated by
// NoteEdges() after each input.
uint32_t NoteEdges();

// Runs libFuzzer's driver with `args` (args[0] is the program name; the rest
// are libFuzzer flags and corpus directories) calling `callback` per input.
// Returns the driver's exit status.
int RunLibFuzzer(const std::vector<std::string>& args, int (*callback)(const uint8_t*, size_t));

}  // namespace palisade::cli::fuzz
