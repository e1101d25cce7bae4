#!/usr/bin/env bash
# Inputs per second of `palisade fuzz` on the example harnesses, in process
# and (where this machine has /dev/kvm, hardware or PVM) in micro-VMs reset to a snapshot per input;
# and how long finding the bug behind examples/fuzz/magic.c takes.
#   bench/fuzz/fuzz_rate.sh BUILD_DIR [RUNS]
# BUILD_DIR is a configured build (its tests/fuzz_harnesses holds the
# harnesses). Each rate is RUNS inputs over the wall time of the whole
# command (set-up included), on one core; crashing inputs (tlv has a bug)
# are recorded once and fuzzing goes on (--keep-going).
set -euo pipefail
build=$(cd "$1" && pwd)
runs=${2:-200000}
palisade=$build/cli/palisade
harnesses=$build/tests/fuzz_harnesses
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

modes=("--in-process")
"$(dirname "$0")/../../scripts/kvm-backend.sh" >/dev/null && modes+=("")

rate() {  # rate MODE HARNESS
  local start end
  start=$(date +%s.%N)
  "$palisade" fuzz $1 --keep-going --seed 1 --runs "$runs" --artifacts "$work" "$harnesses/$2.wasm" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  echo "$runs / ($end - $start)" | bc
}

printf "%-14s %-8s %12s\n" harness mode "inputs/s"
for mode in "${modes[@]}"; do
  for h in clean tlv; do
    printf "%-14s %-8s %12s\n" "$h" "${mode:-vm}" "$(rate "$mode" "$h")"
  done
done

# Time to the magic number (the first crash), five seeds each.
for mode in "${modes[@]}"; do
  for seed in 1 2 3 4 5; do
    rm -f "$work"/crash-*
    start=$(date +%s.%N)
    "$palisade" fuzz $mode --seed "$seed" --max-time 120s --artifacts "$work" "$harnesses/magic.wasm" \
      >"$work/log" 2>&1 || true
    end=$(date +%s.%N)
    found=$(ls "$work"/crash-* 2>/dev/null | grep -vc '\.txt$' || true)
    execs=$(grep -o '#[0-9]* |' "$work/log" | tail -1 | tr -dc 0-9)
    printf "magic %-8s seed %d: %s after %s inputs, %.2f s\n" "${mode:-vm}" "$seed" \
      "$([[ $found -gt 0 ]] && echo found || echo 'NOT found')" "${execs:-?}" "$(echo "$end - $start" | bc)"
  done
done
