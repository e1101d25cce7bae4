#!/usr/bin/env bash
# Lua's 1.8 MB of compiled code is large enough for the host's code check
# to split among its workers: a micro-VM run on two CPUs, under the default
# seccomp filters (the workers carry the vCPU thread's), still gives the
# right answer. Run inside QEMU with --smp 2 where /dev/kvm is absent; where
# it exists, real_programs_test.sh runs Lua in micro-VMs natively.
#   split_check_test.sh PALISADE PROGRAMS_DIR
set -uo pipefail
palisade=$1 dir=$2
if [[ ! -f $dir/lua.wasm ]]; then
  echo "no lua.wasm in $dir (fetch its sources with: bash scripts/dev.sh deps)"
  exit 77
fi
if [[ $(nproc) -lt 2 ]]; then
  echo "one CPU: the check has no workers here"
  exit 1
fi
got=$("$palisade" run "$dir/lua.wasm" -- -e 'print(6 * 7)' 2>&1)
if [[ $got != 42 ]]; then
  echo "FAIL: lua printed: $got"
  exit 1
fi
echo "ok   lua in a micro-VM on $(nproc) CPUs, its code checked in stretches"
