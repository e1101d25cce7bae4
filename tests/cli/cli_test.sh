#!/usr/bin/env bash
# The in-process CLI end to end: `palisade run` and `palisade invoke` on a
# small WASI program, their exit statuses, and their errors on bad input.
#   cli_test.sh PALISADE MODULE_DIR
set -uo pipefail
palisade=$1 dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# expect NAME WANT_STATUS WANT_STDOUT_REGEX WANT_STDERR_REGEX -- CMD...
expect() {
  local name=$1 status=$2 out_re=$3 err_re=$4
  shift 5
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  local ok=1
  [[ $got -eq $status ]] || ok=0
  grep -Eq -- "$out_re" "$tmp/out" || [[ -z $out_re && ! -s $tmp/out ]] || ok=0
  grep -Eq -- "$err_re" "$tmp/err" || [[ -z $err_re ]] || ok=0
  if [[ $ok -eq 1 ]]; then
    echo "ok   $name"
  else
    echo "FAIL $name: status $got (want $status)"
    sed 's/^/     stdout: /' "$tmp/out"
    sed 's/^/     stderr: /' "$tmp/err"
    failures=$((failures + 1))
  fi
}

m=$dir/cli_program.wasm
expect "run prints args, exits with proc_exit's code" 3 '^one$' '' -- \
  "$palisade" run --in-process "$m" -- one "two words"
grep -qx 'two words' "$tmp/out" || { echo "FAIL second argument"; failures=$((failures + 1)); }
expect "--version" 0 '^palisade [0-9]+\.[0-9]+\.[0-9]+ \(guest ABI [0-9]+\)$' '' -- "$palisade" --version
expect "a bare number is seconds (--timeout 0.5 stops a spin)" 134 '' 'timeout: .* ran past 500ms' -- \
  "$palisade" run --in-process --timeout 0.5 "$dir/spin_command.wasm"
expect "a duration that is neither is refused" 2 '' "bad --timeout 'soon' \(seconds, or e.g." -- \
  "$palisade" run --in-process --timeout soon "$dir/spin_command.wasm"
expect "invoke i64" 0 '^-5$' '' -- "$palisade" invoke --in-process "$m" add 7 -12
expect "invoke hex i64" 0 '^4294967297$' '' -- "$palisade" invoke --in-process "$m" add 0xffffffff 2
expect "invoke f64, two results" 0 '^1\.25$' '' -- "$palisade" invoke --in-process "$m" half 2.5
grep -qx '0.100000001' "$tmp/out" || { echo "FAIL f32 result round-trips"; failures=$((failures + 1)); }
expect "trap: one line, status 134" 134 '' '^palisade: trap: unreachable in function [0-9]+ at offset 0x[0-9a-f]+$' -- \
  "$palisade" invoke --in-process "$m" boom
expect "timeout stops a spinning program" 134 '' 'timeout: .* ran past 200ms' -- \
  "$palisade" run --in-process --timeout 200ms "$dir/spin_command.wasm"
expect "fuel stops a spinning program" 134 '' 'trap: fuel exhausted' -- \
  "$palisade" run --in-process --fuel 100000 "$dir/spin_command.wasm"
# A program blocked reading stdin that never comes: the deadline still ends it.
mkfifo "$tmp/fifo"
exec 3<>"$tmp/fifo"
expect "timeout stops a program blocked on stdin" 134 '' 'timeout' -- \
  timeout 20 "$BASH" -c 'exec "$0" run --in-process --timeout 300ms "$1" <&3' "$palisade" "$dir/vm_stdio.wasm"
expect "bad timeout" 2 '' 'bad --timeout' -- \
  "$palisade" run --in-process --timeout soon "$dir/spin_command.wasm"
expect "wrong argument count" 2 '' 'takes 2 argument' -- "$palisade" invoke --in-process "$m" add 1
expect "bad argument" 2 '' "'x' is not a valid i64" -- "$palisade" invoke --in-process "$m" add 1 x
expect "missing export" 2 '' "exports no function 'nope'" -- "$palisade" invoke --in-process "$m" nope
expect "missing file" 2 '' '' -- "$palisade" run --in-process "$tmp/absent.wasm"
# The compiler tier in process: the same answers, traps, deadlines and fuel.
expect "compiler: run prints args, exits with proc_exit's code" 3 '^one$' '' -- \
  "$palisade" run --in-process --engine compiler "$m" -- one "two words"
expect "compiler: invoke f64" 0 '^1\.25$' '' -- "$palisade" invoke --in-process --engine compiler "$m" half 2.5
expect "compiler: trap, same line" 134 '' '^palisade: trap: unreachable in function [0-9]+ at offset 0x[0-9a-f]+$' -- \
  "$palisade" invoke --in-process --engine compiler "$m" boom
expect "compiler: timeout stops a spinning program" 134 '' 'timeout: .* ran past 200ms' -- \
  "$palisade" run --in-process --engine compiler --timeout 200ms "$dir/spin_command.wasm"
expect "compiler: fuel stops a spinning program" 134 '' 'trap: fuel exhausted' -- \
  "$palisade" run --in-process --engine compiler --fuel 100000 "$dir/spin_command.wasm"
# --perf-map: the compiled functions named in /tmp/perf-PID.map for perf.
"$palisade" invoke --in-process --engine compiler --perf-map "$m" add 1 2 >"$tmp/out" 2>&1 &
pid=$!
wait $pid
if grep -Eq '^[0-9a-f]+ [0-9a-f]+ wasm\[cli_program\.wasm\]::<entry trampoline>$' "/tmp/perf-$pid.map" &&
   [[ $(grep -c 'wasm\[cli_program\.wasm\]::' "/tmp/perf-$pid.map") -gt 3 ]]; then
  echo "ok   --perf-map names the compiled functions in /tmp/perf-PID.map"
else
  echo "FAIL --perf-map: /tmp/perf-$pid.map"; cat "$tmp/out"; failures=$((failures + 1))
fi
rm -f "/tmp/perf-$pid.map"
expect "--perf-map on the interpreter says there is nothing to name" 0 '^3$' 'runs interpreted, so there is nothing to name' -- \
  "$palisade" invoke --in-process --engine interpreter --perf-map "$m" add 1 2
expect "--perf-map wants --in-process" 2 '' '--perf-map needs --in-process' -- \
  "$palisade" run --perf-map "$m"
expect "bad engine" 2 '' "--engine takes interpreter or compiler, not 'jit'" -- \
  "$palisade" run --in-process --engine jit "$m"
printf '\0asm\1\0\0\0\1\5' >"$tmp/trunc.wasm"
expect "malformed module" 2 '' 'malformed module: .*type section' -- "$palisade" run --in-process "$tmp/trunc.wasm"
expect "unknown imports listed" 2 '' 'env\.mystery' -- "$palisade" run --in-process "$dir/unknown_import.wasm"
expect "not a command" 2 '' 'no _start' -- "$palisade" run --in-process "$dir/memory.wasm"
# A policy decides whether a preopened directory may be writable.
printf 'name: "ro"\nwasi { preopens: true }\n' >"$tmp/ro.textproto"
mkdir -p "$tmp/rwdir"
expect "a policy without writable_preopens refuses :rw" 2 '' \
  "policy 'ro' .* allows no writable directories \\(wasi.writable_preopens\\): drop :rw" -- \
  "$palisade" run --in-process --policy "$tmp/ro.textproto" --dir "$tmp/rwdir::/w:rw" "$m"
# --partial-results: a writable directory's changes reach the host after a
# trap or a non-zero exit only when asked for (dir_changes.c writes
# /out/partial.txt, then traps or exits 3). `partial_checks FORM [OPTIONS]`.
partial_checks() {
  local form=$1
  shift
  local mode status
  for mode in trap:134 fail:3; do
    status=${mode#*:} mode=${mode%%:*}
    rm -rf "$tmp/pout" && mkdir -p "$tmp/pout" "$tmp/pin"
    expect "$form: $mode without --partial-results changes nothing" "$status" '' '' -- \
      "$palisade" run "$@" --dir "$tmp/pin::/in" --dir "$tmp/pout::/out:rw" "$dir/dir_changes.wasm" -- "$mode"
    [[ ! -e $tmp/pout/partial.txt ]] || { echo "FAIL $form: $mode applied changes"; failures=$((failures + 1)); }
    expect "$form: $mode with --partial-results applies its changes" "$status" '' '' -- \
      "$palisade" run "$@" --partial-results --dir "$tmp/pin::/in" --dir "$tmp/pout::/out:rw" \
      "$dir/dir_changes.wasm" -- "$mode"
    [[ $(cat "$tmp/pout/partial.txt" 2>/dev/null) == partial ]] ||
      { echo "FAIL $form: $mode did not apply partial.txt"; failures=$((failures + 1)); }
  done
}
partial_checks "in process" --in-process
# Any /dev/kvm, hardware or PVM. (Inside QEMU the script comes along at the same
# path: palisade_cli_in_qemu passes it with --file.)
if "$(dirname "$0")/../../scripts/kvm-backend.sh" >/dev/null; then
  expect "in a micro-VM: args, proc_exit code" 3 '^one$' '' -- "$palisade" run "$m" -- one "two words"
  partial_checks "in a micro-VM"
  expect "in a micro-VM: timeout stops a program blocked on stdin" 134 '' 'timeout' -- \
    timeout 30 "$BASH" -c 'exec "$0" run --timeout 500ms "$1" <&3' "$palisade" "$dir/vm_stdio.wasm"
  expect "invoke in a micro-VM" 0 '^-5$' '' -- "$palisade" invoke "$m" add 7 -12
  expect "invoke --repeat: fresh state each call" 0 '^1$' 'calls from one snapshot, reset after each' -- \
    "$palisade" invoke --repeat 5 "$dir/counter.wasm" bump
  expect "invoke: _initialize runs once, before the snapshot" 0 '^1043$' '' -- \
    "$palisade" invoke --repeat 3 "$dir/snapshot_target.wasm" bump
  expect "invoke: a trap in the VM" 134 '' 'trap: unreachable in function' -- \
    "$palisade" invoke --repeat 3 "$dir/snapshot_target.wasm" boom
  expect "invoke: --timeout ends a spinning export" 134 '' 'timeout' -- \
    "$palisade" invoke --timeout 2s "$dir/snapshot_target.wasm" spin
  # Both tiers in the micro-VM (the compiler is the default): the same
  # answers, trap lines, fuel and deadlines.
  expect "in a micro-VM, interpreted on request" 3 '^one$' '' -- \
    "$palisade" run --engine interpreter "$m" -- one "two words"
  expect "in a micro-VM, compiled: the same trap line" 134 '' \
    '^palisade: trap: unreachable in function [0-9]+ at offset 0x[0-9a-f]+$' -- \
    "$palisade" invoke --engine compiler "$m" boom
  expect "in a micro-VM, compiled: fuel stops a spinning program" 134 '' 'trap: fuel exhausted' -- \
    "$palisade" run --engine compiler --fuel 100000 "$dir/spin_command.wasm"
  expect "in a micro-VM, compiled: timeout stops a spinning program" 134 '' 'timeout' -- \
    "$palisade" run --engine compiler --timeout 300ms "$dir/spin_command.wasm"
  # Guest memory sized to the module: 16 MiB of code needs more than the old
  # 256M default; unasked, it just runs. Too little, or a ceiling below the
  # need, is an error that says what the module needs and who stopped it.
  expect "a 16 MiB code section runs in a micro-VM with no --memory" 0 '' '' -- "$palisade" run "$dir/big_code.wasm"
  [[ ! -s $tmp/err ]] || { echo "FAIL the big module wrote to stderr"; failures=$((failures + 1)); }
  expect "too small a --memory names what the module needs" 2 '' \
    'the guest had 256 MiB; this module needs about [0-9.]+ MiB .*: try --memory [0-9]+M' -- \
    "$palisade" run --memory 256M "$dir/big_code.wasm"
  printf 'name: "small"\nwasi { preopens: true }\nlimits { memory_bytes: 134217728 }\n' >"$tmp/small.textproto"
  expect "a policy's memory ceiling below the need is named" 2 '' \
    "needs about [0-9.]+ MiB .* more than policy 'small' .*\\(limits.memory_bytes\\), 128.0 MiB" -- \
    "$palisade" run --policy "$tmp/small.textproto" "$dir/big_code.wasm"
else
  expect "no KVM: clear error" 69 '' '/dev/kvm' -- "$palisade" run "$m"
  expect "no KVM: invoke too" 69 '' '/dev/kvm' -- "$palisade" invoke "$m" add 1 2
fi

[[ $failures -eq 0 ]] && echo "all CLI checks passed" || echo "$failures CLI check(s) failed"
exit $((failures > 0))
