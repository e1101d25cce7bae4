// `palisade fuzz HARNESS.wasm [CORPUS_DIR...]`: coverage-guided fuzzing of a
// Wasm harness, each input on a fresh micro-VM reset to the harness's
// post-initialisation snapshot; `--reproduce FILE...` replays inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace palisade::cli {

struct FuzzOptions {
  std::string harness;
  std::vector<std::string> corpus;      // directories; the first receives new inputs
  std::vector<std::string> reproduce;   // inputs to replay instead of fuzzing
  bool in_process = false;
  std::string engine = "compiler";      // compiler | interpreter
  std::string max_time;                 // e.g. 60s, 10m; empty = no limit
  int64_t runs = -1;                    // inputs to run; -1 = no limit
  uint32_t jobs = 1;                    // parallel fuzzers (processes), sharing the corpus
  std::string dict;                     // libFuzzer/AFL dictionary
  std::string timeout = "1s";           // per input
  uint64_t fuel = 0;                    // per input; 0 = none
  uint32_t max_memory_pages = 1024;     // linear memory cap per input (64 KiB pages)
  uint32_t max_len = 4096;              // largest input libFuzzer generates
  std::string memory = "256M";          // guest memory of each micro-VM
  std::string artifacts = "./";         // where crash-<sha1> files go (a directory)
  int64_t seed = 0;                     // 0 = libFuzzer picks one
  bool keep_going = false;              // record every distinct crash instead of stopping
  bool show_output = false;             // let the harness's stdout/stderr through
  std::string seccomp;                  // enforce | log | off; empty: the default
  std::vector<std::string> libfuzzer_flags;  // passed through verbatim (-flag=value)
  int worker = -1;                      // internal: this process is --jobs worker N
};

// Exit status: 0 no crash found (or reproduced inputs ran clean), 1 a crash
// was found (or reproduced), 2 usage or an unusable harness, 69 no micro-VM
// could be started, 70 palisade itself failed.
constexpr int kExitFuzzCrash = 1;

int RunFuzz(const FuzzOptions& options);

}  // namespace palisade::cli
