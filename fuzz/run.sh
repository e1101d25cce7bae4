#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30) from its seed corpus, after
# replaying the inputs that once crashed it (fuzz/regressions/TARGET/).
#   fuzz/run.sh BUILD_DIR [SECONDS]
# New crashes land in BUILD_DIR/fuzz/artifacts; the exit status is 1 if any
# target crashed. `bash scripts/dev.sh fuzz` builds BUILD_DIR first.
set -uo pipefail
build=$(cd "$1" && pwd)
secs=${2:-30}
src=$(cd "$(dirname "$0")" && pwd)
corpus=$build/fuzz/corpus
work=$build/fuzz/work
artifacts=$build/fuzz/artifacts
mkdir -p "$work" "$artifacts"
declare -A seeds=([wasm_decode_fuzzer]=wasm [wasm_execute_fuzzer]=wasm [jit_compile_fuzzer]=wasm
                  [hypercall_fuzzer]=hypercall [policy_text_fuzzer]=text [grpc_request_fuzzer]=grpc
                  [fs_tree_fuzzer]=fs)
failed=0
for target in wasm_decode_fuzzer wasm_execute_fuzzer jit_compile_fuzzer hypercall_fuzzer policy_text_fuzzer \
  grpc_request_fuzzer fs_tree_fuzzer; do
  bin=$build/fuzz/$target
  if [[ -d $src/regressions/$target ]] && compgen -G "$src/regressions/$target/*" >/dev/null; then
    if ! "$bin" -runs=0 "$src"/regressions/"$target"/* >"$artifacts/$target-regressions.log" 2>&1; then
      echo "FAIL $target: a regression input crashes again (see $artifacts/$target-regressions.log)"
      failed=1
      continue
    fi
  fi
  mkdir -p "$work/$target" "$corpus/${seeds[$target]}"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" "$work/$target" "$corpus/${seeds[$target]}" \
    >"$artifacts/$target.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$artifacts/$target.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$artifacts/$target.log" | tail -1)
  if [[ $rc -ne 0 ]]; then
    echo "FAIL $target after ${execs:-?} runs ($cov): $(grep -m1 -E 'ERROR|SUMMARY' "$artifacts/$target.log")"
    ls "$artifacts/$target-"* 2>/dev/null | sed 's/^/     input: /'
    failed=1
  else
    echo "ok   $target: ${execs:-?} runs in ${secs}s, $cov, corpus $(ls "$work/$target" | wc -l) files"
  fi
done
exit $failed
