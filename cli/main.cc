// The `palisade` command line. Each subcommand lives in its own file.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "cli/audit_command.h"
#include "cli/check_command.h"
#include "cli/fuzz/fuzz_command.h"
#include "cli/invoke_command.h"
#include "cli/policy_command.h"
#include "cli/remote/bench_invoke.h"
#include "cli/remote/remote_commands.h"
#include "cli/run_command.h"
#include "cli/spec/spec_command.h"
#include "guest-runtime/abi/hypercall_abi.h"
#include "vmm/code_check_workers.h"

int main(int argc, char** argv) {
  // The Wasm engine is compiled for SSE4.1 (guest-runtime/wasm/CMakeLists.txt):
  // say so instead of dying on an illegal instruction.
  if (!__builtin_cpu_supports("sse4.1")) {
    std::fprintf(stderr, "palisade: this CPU lacks SSE4.1, which the Wasm engine requires\n");
    return 2;
  }
  CLI::App app{"palisade: hypervisor-isolated WebAssembly sandboxes"};
  app.set_version_flag("--version", absl::StrCat("palisade ", PALISADE_VERSION, " (guest ABI ",
                                                 palisade::abi::kAbiVersion, ")"));
  app.require_subcommand(1);

  // Given --server, run/invoke/stats/bench go to a palisaded instead.
  palisade::cli::RemoteOptions remote;
  app.add_option("--server", remote.server,
                 "palisaded to run on instead of a local micro-VM: host:port, several (host:port,host:port; "
                 "calls are balanced and idempotent ones retried), dns:///name:port, or unix:PATH");
  app.add_option("--token", remote.token, "Bearer token for --server (default: $PALISADE_TOKEN)");
  app.add_flag("--tls", remote.tls, "Use TLS to --server, verified against the system's CAs");
  app.add_option("--tls-ca", remote.tls_ca, "PEM CA to verify --server with (implies --tls)");
  app.add_option("--tls-cert", remote.tls_cert, "PEM client certificate for mTLS");
  app.add_option("--tls-key", remote.tls_key, "PEM client key for mTLS");
  app.add_option("--tls-server-name", remote.tls_server_name,
                 "Name to expect in the server's certificate (default: the host in --server)");

  palisade::cli::CheckOptions check;
  CLI::App* check_cmd = app.add_subcommand(
      "check", "Check that KVM is usable; time a cold micro-VM boot and a hypercall round trip");
  check_cmd->add_option("--runs", check.runs, "Cold boots to take the median of")
      ->check(CLI::Range(1, 10000));
  check_cmd->add_option("--calls", check.calls_per_run, "Hypercall round trips per boot")
      ->check(CLI::Range(1, 10000000));
  check_cmd->add_option("--memory-mib", check.memory_mib, "Guest memory per micro-VM, MiB")
      ->check(CLI::Range(1, 65536));

  palisade::cli::SpecCommandOptions spec;
  CLI::App* spec_cmd = app.add_subcommand(
      "spec", "Run WebAssembly spec tests (wast2json output) and report every failure");
  spec_cmd->add_flag("--in-process", spec.in_process, "Run the engine in this process");
  spec_cmd->add_flag("--in-vm", spec.in_vm, "Run the engine inside a micro-VM (the default)");
  spec_cmd->add_flag("-v,--verbose", spec.verbose, "Print every command's outcome");
  spec_cmd->add_option("--engine", spec.engine,
                       "interpreter, or compiler (modules the compiler tier cannot translate yet are "
                       "interpreted, and counted)")
      ->capture_default_str();
  spec_cmd->add_flag("--coverage-probes", spec.coverage_probes,
                     "With --in-process: compile modules with palisade fuzz's coverage probes");
  spec_cmd->add_option("--expected-failures", spec.expected_failures,
                       "File of known failures (FILE.json:LINE per line); only others fail the run");
  spec_cmd->add_option("files", spec.files, "wast2json .json files")->required()->check(CLI::ExistingFile);

  palisade::cli::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run a WASI command module (MODULE.wasm [-- ARGS...])");
  run_cmd->add_flag("--in-process", run.in_process,
                    "Run the engine in this process (no micro-VM: for debugging and comparison, "
                    "not for untrusted code)");
  run_cmd->add_option("--engine", run.engine,
                      "interpreter, or compiler (the x86-64 tier, where it can compile the module; in a "
                      "micro-VM the guest compiles and the host checks and seals the code)")
      ->capture_default_str();
  run_cmd->add_flag("--perf-map", run.perf_map,
                    "With --in-process: name the compiled Wasm functions for `perf report` "
                    "(appends to /tmp/perf-PID.map)");
  run_cmd->add_option("--env", run.env, "Environment entry KEY=VALUE (repeatable)")
      ->allow_extra_args(false);
  run_cmd->add_option("--timeout", run.timeout, "Wall-clock limit: seconds, or e.g. 10s, 500ms");
  run_cmd->add_option("--memory", run.memory,
                      "Guest memory of the micro-VM, e.g. 256M or 1G (default: sized to the module, at least 256M)")
      ->capture_default_str();
  run_cmd->add_option("--max-output", run.max_output,
                      "Cap on the program's stdout+stderr in the micro-VM (0: none)")
      ->capture_default_str();
  run_cmd->add_option("--dir", run.dirs,
                      "Preopen HOST directory as GUEST: HOST::GUEST read-only, HOST::GUEST:rw "
                      "writable (changes applied to HOST only when the run succeeds); repeatable; "
                      "contents are copied in, up to 256 MiB")
      ->allow_extra_args(false);
  run_cmd->add_flag("--partial-results", run.partial_results,
                    "Apply a --dir ...:rw run's changes also after a trap (fuel included) or a non-zero "
                    "exit, not only after exit 0 (never after a timeout)");
  run_cmd->add_option("--fuel", run.fuel, "Instruction budget (function calls + loop iterations)");
  run_cmd->add_option("--max-memory-pages", run.max_memory_pages, "Cap on linear memory, 64 KiB pages")
      ->check(CLI::Range(1, 65536));
  run_cmd->add_option("--policy", run.policy,
                      "Tenant policy file (policy/*.textproto): WASI functions, limits, environment, preopens")
      ->check(CLI::ExistingFile);
  run_cmd->add_option("--seccomp", run.seccomp,
                      "Confinement of this process: enforce (default), log (violations only logged), off");
  run_cmd->add_option("module", run.module, "The .wasm file")->required();
  run_cmd->add_option("args", run.args, "Arguments for the program (after --)");

  palisade::cli::InvokeOptions invoke;
  CLI::App* invoke_cmd =
      app.add_subcommand("invoke", "Call an exported function: MODULE.wasm FUNC [ARGS...]");
  invoke_cmd->add_flag("--in-process", invoke.in_process, "Run the engine in this process");
  invoke_cmd->add_option("--engine", invoke.engine, "interpreter or compiler")
      ->capture_default_str();
  invoke_cmd->add_flag("--perf-map", invoke.perf_map,
                       "With --in-process: name the compiled Wasm functions for `perf report` "
                       "(appends to /tmp/perf-PID.map)");
  invoke_cmd->add_option("--repeat", invoke.repeat,
                         "Calls to make, each on a freshly instantiated module (micro-VM)")
      ->check(CLI::Range(1u, 1000000u));
  invoke_cmd->add_option("--memory", invoke.memory,
                         "Guest memory of the micro-VM (default: sized to the module, at least 256M)")
      ->capture_default_str();
  invoke_cmd->add_option("--timeout", invoke.timeout, "Wall-clock limit for the whole command");
  invoke_cmd->add_option("--seccomp", invoke.seccomp, "Confinement of this process: enforce, log, off");
  invoke_cmd->add_option("module", invoke.module, "The .wasm file")->required();
  invoke_cmd->add_option("function", invoke.function, "Exported function name")->required();
  invoke_cmd->add_option("args", invoke.args, "Arguments, typed by the function's signature");
  invoke_cmd->allow_extras(false);

  palisade::cli::FuzzOptions fuzz;
  CLI::App* fuzz_cmd = app.add_subcommand(
      "fuzz", "Coverage-guided fuzzing of a Wasm harness (LLVMFuzzerTestOneInput) in micro-VMs: "
              "HARNESS.wasm [CORPUS_DIR...] (docs/FUZZING.md)");
  fuzz_cmd->add_flag("--in-process", fuzz.in_process,
                     "Run the harness in this process, without a micro-VM (trusted code only)");
  fuzz_cmd->add_option("--reproduce", fuzz.reproduce, "Run these inputs once each and report (crash files)")
      ->check(CLI::ExistingFile)->allow_extra_args(false);
  fuzz_cmd->add_option("--engine", fuzz.engine,
                       "compiler (the x86-64 tier, coverage probes included; a harness it cannot "
                       "translate is interpreted) or interpreter")
      ->capture_default_str();
  fuzz_cmd->add_option("--max-time", fuzz.max_time, "Stop after this long: seconds, or e.g. 60s, 10m");
  fuzz_cmd->add_option("--runs", fuzz.runs, "Stop after this many inputs")->check(CLI::Range(int64_t{0}, INT64_MAX));
  fuzz_cmd->add_option("--jobs", fuzz.jobs, "Fuzzing processes sharing the corpus, one micro-VM each")
      ->check(CLI::Range(1u, 256u));
  fuzz_cmd->add_option("--dict", fuzz.dict, "Dictionary of tokens (libFuzzer/AFL format)")->check(CLI::ExistingFile);
  fuzz_cmd->add_option("--timeout", fuzz.timeout, "Per-input time limit; running past it is a crash")
      ->capture_default_str();
  fuzz_cmd->add_option("--fuel", fuzz.fuel, "Per-input instruction budget (calls + loop iterations); 0: none");
  fuzz_cmd->add_option("--max-memory-pages", fuzz.max_memory_pages,
                       "Linear-memory cap (64 KiB pages); hitting it is a crash")
      ->check(CLI::Range(1u, 65536u))->capture_default_str();
  fuzz_cmd->add_option("--max-len", fuzz.max_len, "Largest input to generate, bytes")
      ->check(CLI::Range(1u, 16u << 20))->capture_default_str();
  fuzz_cmd->add_option("--memory", fuzz.memory, "Guest memory of each micro-VM")->capture_default_str();
  fuzz_cmd->add_option("--artifacts", fuzz.artifacts, "Directory for crash-<sha1> files and job logs")
      ->capture_default_str();
  fuzz_cmd->add_option("--seed", fuzz.seed, "Random seed (0: libFuzzer picks one)");
  fuzz_cmd->add_flag("--keep-going", fuzz.keep_going, "Save every distinct crash instead of stopping at the first");
  fuzz_cmd->add_flag("--show-output", fuzz.show_output, "Let the harness's stdout/stderr through");
  fuzz_cmd->add_option("--seccomp", fuzz.seccomp, "Confinement of this process: enforce, log, off");
  fuzz_cmd->add_option("harness", fuzz.harness, "The harness .wasm (a WASI reactor)")->required()
      ->check(CLI::ExistingFile);
  fuzz_cmd->add_option("corpus", fuzz.corpus, "Corpus directories; the first receives new inputs");
  fuzz_cmd->add_option("--libfuzzer", fuzz.libfuzzer_flags,
                       "A libFuzzer flag passed through, e.g. --libfuzzer=-use_value_profile=1")
      ->allow_extra_args(false);

  CLI::App* stats_cmd = app.add_subcommand("stats", "Print a palisaded's counters (needs --server)");

  palisade::cli::BenchInvokeOptions bench;
  CLI::App* bench_cmd = app.add_subcommand("bench", "Load generators against a palisaded (needs --server)");
  bench_cmd->require_subcommand(1);
  CLI::App* bench_invoke_cmd = bench_cmd->add_subcommand(
      "invoke",
      "Closed-loop InvokeModule load (warm pools on any replica): MODULE.wasm FUNC [ARGS...]");
  bench_invoke_cmd->add_option("--concurrency,-c", bench.concurrency, "Calls in flight")
      ->capture_default_str()->check(CLI::Range(1u, 4096u));
  bench_invoke_cmd->add_option("--duration,-d", bench.duration, "Measured time, e.g. 10s")
      ->capture_default_str();
  bench_invoke_cmd->add_option("--warmup", bench.warmup, "Unmeasured time first")->capture_default_str();
  bench_invoke_cmd->add_flag("--json", bench.json, "Also print the figures as one JSON line");
  bench_invoke_cmd->add_flag("--sandbox", bench.sandbox,
                             "Invoke on one sandbox made for the run (one replica) instead of InvokeModule");
  bench_invoke_cmd->add_option("module", bench.module, "The .wasm file")->required();
  bench_invoke_cmd->add_option("function", bench.function, "Exported function name")->required();
  bench_invoke_cmd->add_option("args", bench.args, "Arguments, typed by the function's signature");
  palisade::cli::BenchInvokeOptions bench_stats;
  CLI::App* bench_stats_cmd = bench_cmd->add_subcommand(
      "stats", "Closed-loop GetStats load: the server's RPC ceiling (auth, a reactor, no VM)");
  bench_stats_cmd->add_option("--concurrency,-c", bench_stats.concurrency, "Calls in flight")
      ->capture_default_str()->check(CLI::Range(1u, 4096u));
  bench_stats_cmd->add_option("--duration,-d", bench_stats.duration, "Measured time")->capture_default_str();
  bench_stats_cmd->add_option("--warmup", bench_stats.warmup, "Unmeasured time first")->capture_default_str();
  bench_stats_cmd->add_flag("--json", bench_stats.json, "Also print the figures as one JSON line");

  std::vector<std::string> audit_logs;
  CLI::App* audit_cmd = app.add_subcommand("audit", "Audit-log tools");
  audit_cmd->require_subcommand(1);
  CLI::App* audit_verify_cmd = audit_cmd->add_subcommand(
      "verify", "Check an audit log's hash chain (or a rotated series: LOG.* LOG); name the first bad line");
  audit_verify_cmd->add_option("log", audit_logs, "The JSON-lines audit log and any rotated files of it")->required();

  palisade::cli::PolicyCommandOptions policy_opts;
  CLI::App* policy_cmd = app.add_subcommand("policy", "Seccomp and tenant policies");
  policy_cmd->require_subcommand(1);
  CLI::App* explain_cmd = policy_cmd->add_subcommand(
      "explain", "Print seccomp policies readably (built-in names or files; default: all built-ins)");
  explain_cmd->add_flag("--tenant", policy_opts.tenant, "The files are tenant policies");
  explain_cmd->add_option("policies", policy_opts.policies, "palisaded, palisade-cli, vcpu, image (the guest image audit), code (the compiled-code check), or files");
  CLI::App* export_cmd = policy_cmd->add_subcommand("export-bpf", "Write a seccomp policy's compiled BPF");
  export_cmd->add_option("policy", policy_opts.policies, "Built-in name or file")->required()->expected(1);
  export_cmd->add_option("-o,--output", policy_opts.output, "Where to write the BPF")->required();
  export_cmd->add_option("--mode", policy_opts.mode, "enforce (kill on violation) or log")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (explain_cmd->parsed()) return palisade::cli::RunPolicyExplain(policy_opts);
  if (export_cmd->parsed()) return palisade::cli::RunPolicyExportBpf(policy_opts);
  if (audit_verify_cmd->parsed()) return palisade::cli::RunAuditVerify(audit_logs);
  if (!remote.server.empty()) {
    // Limits the user did not set are left to the tenant's defaults.
    if (run_cmd->get_option("--memory")->count() == 0) run.memory.clear();
    if (run_cmd->get_option("--max-output")->count() == 0) run.max_output.clear();
    if (run_cmd->get_option("--max-memory-pages")->count() == 0) run.max_memory_pages = 0;
    if (invoke_cmd->get_option("--memory")->count() == 0) invoke.memory.clear();
    if (run_cmd->parsed() && !run.policy.empty()) {
      std::fprintf(stderr, "palisade run: with --server the tenant's policy applies; drop --policy\n");
      return 2;
    }
    if (run_cmd->parsed()) return palisade::cli::RunRemote(remote, run);
    if (invoke_cmd->parsed()) return palisade::cli::InvokeRemote(remote, invoke);
    if (stats_cmd->parsed()) return palisade::cli::StatsRemote(remote);
    if (bench_invoke_cmd->parsed()) return palisade::cli::Bench(remote, bench);
    if (bench_stats_cmd->parsed()) return palisade::cli::Bench(remote, bench_stats);
    std::fprintf(stderr, "palisade: this command runs locally; drop --server\n");
    return 2;
  }
  if (stats_cmd->parsed() || bench_cmd->parsed()) {
    std::fprintf(stderr, "palisade: %s needs --server ADDR\n", stats_cmd->parsed() ? "stats" : "bench");
    return 2;
  }
  if (run_cmd->parsed() || invoke_cmd->parsed() || spec_cmd->parsed() || fuzz_cmd->parsed()) {
    // Now, while this process may still make threads: the vCPU thread may
    // not, once confined. Without them the check only runs on one thread.
    (void)palisade::StartCodeCheckWorkers(palisade::CodeCheckWorkersForThisMachine());
  }
  if (run_cmd->parsed()) return palisade::cli::RunRun(run);
  if (invoke_cmd->parsed()) return palisade::cli::RunInvoke(invoke);
  if (check_cmd->parsed()) return palisade::cli::RunCheck(check);
  if (spec_cmd->parsed()) return palisade::cli::RunSpecCommand(spec);
  if (fuzz_cmd->parsed()) return palisade::cli::RunFuzz(fuzz);
  return 2;
}
